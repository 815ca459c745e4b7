"""The demo's proposals step runs through the real use cases after the rooms step."""

from __future__ import annotations

import httpx
import pytest

from agora.demo import DEMO_PASSWORD, DemoContext
from agora.proposals.models import Comment, ModerationEntry, Proposal, ResidentsMeeting
from tests.proposals.factories import assert_no_xss
from tests.support import TEST_PASSWORDS


async def test_demo_seed_makes_a_consultation_a_notice_and_a_draft(client: httpx.AsyncClient) -> None:
    rooms_seed = pytest.importorskip("agora.rooms.seed")
    from agora.proposals.seed import seed

    ctx = DemoContext(passwords=TEST_PASSWORDS)
    await ctx.user("admin", "管理员", is_admin=True)
    await rooms_seed.seed(ctx)
    await seed(ctx)
    parking = await Proposal.get(title="东门空地改建临时停车位")
    assert parking.state == "consultation" and parking.matter == "consultation" and len(parking.options) == 3
    comments = await Comment.filter(proposal_id=parking.id)
    assert any(c.official and c.official_as == "party" for c in comments)
    assert any(c.parent_id is not None for c in comments)
    assert {c.stance for c in comments} >= {"support", "oppose", "question"}
    hidden = [c for c in comments if c.hidden_at is not None]
    assert len(hidden) == 1 and hidden[0].hidden_reason
    assert await ModerationEntry.filter(action="hide").count() == 1
    elevator = await Proposal.get(title="1 号楼 1 单元加装电梯")
    assert (elevator.state, elevator.matter, elevator.item) == ("notice", "major", 7) and elevator.notice_at
    draft = await Proposal.get(title="启动物业服务企业选聘程序")
    assert (draft.state, draft.matter, draft.item, draft.seconds) == ("draft", "ordinary", 4, 3)
    held = await Proposal.get(title="楼道堆物清理与集中充电棚")
    meeting = await ResidentsMeeting.get(proposal_id=held.id)
    assert held.state == "closed" and meeting.result is not None
    # Six owners bound to the roll and the tenant: seven residents; five present, four in favour.
    assert (meeting.residents, meeting.result["present"], meeting.result["yes"]) == (7, 5, 4)
    assert meeting.result["verdict"]["text"] == "通过"

    token = await client.post("/api/v1/auth/token", json={"login": "owner2", "password": DEMO_PASSWORD})
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    tree = (await client.get(f"/api/v1/proposals/{parking.id}/comments", headers=headers)).json()["comments"]
    assert any(node["hidden"] and node["body_html"] is None for node in tree)
    for node in tree:
        if node["body_html"]:
            assert_no_xss(node["body_html"])
