"""The demo's concerns step: every status, across buildings, through the real use cases."""

from __future__ import annotations

from datetime import timedelta

import httpx

from agora import clock
from agora.concerns.models import Concern, ConcernEvent, SearchDoc
from agora.demo import DEMO_PASSWORD, DemoContext
from agora.proposals.models import Proposal
from agora.rooms.models import Hall
from tests.support import TEST_PASSWORDS


async def test_demo_seed_has_concerns_in_every_status(client: httpx.AsyncClient) -> None:
    from agora.concerns.seed import SPECS, seed
    from agora.rooms.seed import seed as seed_rooms

    ctx = DemoContext(passwords=TEST_PASSWORDS)
    await ctx.user("admin", "管理员", is_admin=True)
    await seed_rooms(ctx)
    await seed(ctx)
    sunny = await Hall.get(slug="sunny-garden")
    concerns = await Concern.filter(compound_id=sunny.id)
    assert len(concerns) == len(SPECS) >= 30
    statuses = {c.status for c in concerns}
    assert statuses == {"received", "accepted", "in_progress", "resolved", "closed_unresolved", "merged"}
    assert len({c.building_id for c in concerns if c.building_id}) >= 6
    assert {c.kind for c in concerns} == {"concern", "wish"}
    assert any(c.on_behalf_name and c.submitter_id is None for c in concerns)
    assert any(c.feedback_satisfied is True for c in concerns) and any(
        c.feedback_satisfied is False for c in concerns
    )
    # Timestamps tell a story over weeks, and some open items are overdue now.
    resolved = [c for c in concerns if c.status == "resolved"]
    assert all(c.resolved_at and c.resolved_at > c.created_at for c in resolved)
    assert max(c.created_at for c in concerns) - min(c.created_at for c in concerns) > timedelta(days=40)
    assert all(e.at <= clock.now() for e in await ConcernEvent.all())
    assert await SearchDoc.filter(doc_kind="concern").count() == len(SPECS) + 2
    linked = await Proposal.get_or_none(concern_id__not_isnull=True)
    assert linked is not None
    token = await client.post("/api/v1/auth/token", json={"login": "owner1", "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    listing = await client.get("/api/v1/halls/sunny-garden/governance", headers=headers)
    items = listing.json()["items"]
    assert items and any(i["overdue"] for i in items) and listing.json()["awaiting_triage"] >= 4
    found = await client.get(
        "/api/v1/halls/sunny-garden/concerns/search", params={"q": "电梯"}, headers=headers
    )
    top = {c["title"] for c in found.json()["concerns"][:2]}
    assert top == {"3号楼电梯一周坏了三次", "电梯又困人了"}
