"""The demo seed: a certified resolution record that verifies, and an open vote owner1 can cast in."""

from __future__ import annotations

import httpx

from agora.ballots.models import Resolution
from agora.ballots.resolution import record_is_final_and_passed
from agora.ballots.seed import PARKING_TITLE, SHED_TITLE, SHOP_TITLE
from agora.ballots.verify import verify_record
from agora.demo import DEMO_PASSWORD, seed_demo
from agora.proposals.models import Proposal
from tests.ballots.factories import cast
from tests.support import TEST_PASSWORDS, bearer


async def test_the_demo_has_a_real_record_and_an_open_vote(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(server.settings, TEST_PASSWORDS)
    # (The implementation step adds another certified vote, the roof: this is the shed's record.)
    final = await Resolution.get(proposal__title=SHED_TITLE)
    assert final.finalized_at is not None and final.posted_at is not None
    assert final.number == "阳光花园-" + final.number.split("-", 1)[1]
    assert verify_record(final.document).ok
    assert final.document["channels"]["paper"] >= 2 and final.document["channels"]["proxy"] == 1
    # The final record answers the objection filed against its preliminary version.
    [objection] = final.document["objections"]
    assert objection["body"] and objection["answer"] and objection["answered_at"]
    assert await record_is_final_and_passed(await Proposal.get(id=final.proposal_id))  # type: ignore[attr-defined]
    # Another vote's preliminary record is in its objection period now.
    preliminary = await Resolution.get(proposal__title=PARKING_TITLE)
    assert preliminary.finalized_at is None and preliminary.posted_at is not None
    assert verify_record(preliminary.document).ok
    open_vote = await Proposal.get(state="voting", matter="major")
    owner1 = await bearer(client, "owner1", DEMO_PASSWORD)
    mine = await client.get(f"/api/v1/proposals/{open_vote.id}/ballots/mine", headers=owner1)
    assert mine.status_code == 404
    assert (await cast(client, open_vote.id, owner1, "yes")).status_code == 201
    shown = await client.get(f"/api/v1/proposals/{final.proposal_id}/resolution", headers=owner1)  # type: ignore[attr-defined]
    assert shown.status_code == 200 and shown.json()["status"] == "final"
    pending = await client.get(f"/api/v1/proposals/{preliminary.proposal_id}/resolution", headers=owner1)  # type: ignore[attr-defined]
    assert pending.json()["status"] == "preliminary"
    objected = await client.post(
        f"/api/v1/proposals/{preliminary.proposal_id}/objections",  # type: ignore[attr-defined]
        json={"body": "临时车位影响消防通道，请说明。"},
        headers=owner1,
    )
    assert objected.status_code == 201, objected.text


async def test_the_demo_asks_owner1_for_an_art_279_consent(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(server.settings, TEST_PASSWORDS)
    shop = await Proposal.get(title=SHOP_TITLE)
    assert (
        shop.matter == "unanimous" and shop.state == "voting" and shop.affected == ["SG-OWNER1", "SG-OWNER6"]
    )
    committee = await bearer(client, "committee", DEMO_PASSWORD)
    listed = (await client.get(f"/api/v1/proposals/{shop.id}/consents", headers=committee)).json()
    assert listed["consents"]["consented"] == ["SG-OWNER6"] and listed["consents"]["pending"] == ["SG-OWNER1"]
    owner1 = await bearer(client, "owner1", DEMO_PASSWORD)
    answer = await client.post(
        f"/api/v1/proposals/{shop.id}/consents", json={"consent": True}, headers=owner1
    )
    assert answer.status_code == 201, answer.text
