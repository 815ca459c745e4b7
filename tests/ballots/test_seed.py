"""The demo seed: a certified resolution record that verifies, and an open vote owner1 can cast in."""

from __future__ import annotations

import httpx

from agora.ballots.models import Resolution
from agora.ballots.seed import SHED_TITLE
from agora.ballots.verify import verify_record
from agora.demo import DEMO_PASSWORD, seed_demo
from agora.proposals.models import Proposal
from tests.ballots.factories import cast
from tests.support import TEST_PASSWORDS, bearer


async def test_the_demo_has_a_real_record_and_an_open_vote(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(server.settings, TEST_PASSWORDS)
    # (The implementation step adds a second certified vote, the roof: this is the shed's record.)
    certified = await Proposal.get(state="certified", title=SHED_TITLE)
    record = await Resolution.get(proposal_id=certified.id)
    assert record.posted_at is not None and record.number == "阳光花园-" + record.number.split("-", 1)[1]
    assert verify_record(record.document).ok
    assert record.document["channels"]["paper"] >= 2 and record.document["channels"]["proxy"] == 1
    open_vote = await Proposal.get(state="voting")
    owner1 = await bearer(client, "owner1", DEMO_PASSWORD)
    mine = await client.get(f"/api/v1/proposals/{open_vote.id}/ballots/mine", headers=owner1)
    assert mine.status_code == 404
    assert (await cast(client, open_vote.id, owner1, "yes")).status_code == 201
    shown = await client.get(f"/api/v1/proposals/{certified.id}/resolution", headers=owner1)
    assert shown.status_code == 200 and shown.json()["status"] == "posted"
