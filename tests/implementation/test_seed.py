"""The demo has one work in progress and one accepted with before / after photos."""

from __future__ import annotations

import httpx

from agora.demo import DEMO_PASSWORD, seed_demo
from agora.implementation.models import Implementation
from tests.support import TEST_PASSWORDS, bearer


async def test_the_demo_has_a_work_in_progress_and_one_accepted_with_photos(
    client: httpx.AsyncClient,
    server,  # type: ignore[no-untyped-def]
) -> None:
    await seed_demo(server.settings, TEST_PASSWORDS)
    owner = await bearer(client, "owner1", DEMO_PASSWORD)
    works = {w.status: w for w in await Implementation.all()}
    assert set(works) == {"accepted", "in_progress"}
    shed = (
        await client.get(f"/api/v1/proposals/{works['accepted'].proposal_id}/implementation", headers=owner)
    ).json()
    assert shed["status"] == "accepted" and shed["progress"] == 100
    assert shed["pair"]["before"]["stage"] == "before" and shed["pair"]["after"]["stage"] == "after"
    assert shed["acceptance"]["accepted"] == 3 and shed["acceptance"]["rejected"] == 1
    assert shed["acceptance"]["satisfaction"] == "0.750"
    assert [q["chosen"] for q in shed["quotes"]] == [False, True]
    roof = (
        await client.get(
            f"/api/v1/proposals/{works['in_progress'].proposal_id}/implementation", headers=owner
        )
    ).json()
    assert roof["status"] == "in_progress" and roof["progress"] == 35 and roof["spent"] == "98000.00"
    assert roof["budget"] == "320000.00" and len(roof["milestones"]) == 2
    page = await client.get(f"/proposals/{works['accepted'].proposal_id}/implementation", headers=owner)
    assert page.status_code == 200 and "0.750" in page.text
