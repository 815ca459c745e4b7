"""Votes ready for the ballots tests: a compound with its roll (rooms' factories), a proposal in
voting with its frozen roll, owners signed in, and helpers to cast, close and fetch the record.

Titles and bodies carry an XSS payload so any page that forgets to escape fails.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from agora import clock
from agora.accounts.models import User
from agora.ballots.voting import close_overdue, open_vote
from agora.proposals.models import Proposal
from agora.rooms.models import Hall
from tests.rooms.factories import XSS, Compound, Row, compound_with_roll, roll_csv
from tests.support import bearer, make_user

TITLE = f"加装电梯 {XSS}"[:200]
BODY = f"在1幢加装电梯，费用按楼层分摊。{XSS}"


async def voting_proposal(
    compound: Compound,
    *,
    matter: str = "major",
    item: int | None = 7,
    hall: str | None = None,
    entrance: str | None = None,
    options: list[dict[str, str]] | None = None,
    days: int = 7,
    title: str = TITLE,
    body: str = BODY,
) -> Proposal:
    """A proposal whose vote is open now (notice published 20 days ago, roll frozen now)."""
    place = await Hall.get(slug=hall or compound.slug)
    author = await User.get(login=f"{compound.slug}-committee")
    now = clock.now()
    proposal = await Proposal.create(
        hall=place,
        author=author,
        title=title,
        body=body,
        category="elevator",
        matter=matter,
        item=None if matter == "consultation" else item,
        options=options or [],
        entrance=entrance,
        state="notice",
        notice_at=now - timedelta(days=20),
    )
    await open_vote(proposal, closes_at=now + timedelta(days=days), actor=author)
    await Proposal.filter(id=proposal.id).update(state="voting")
    return await Proposal.get(id=proposal.id)


async def set_roles(compound: Compound, login: str, *roles: str, hall: str | None = None) -> dict[str, str]:
    """A user with roles in the compound (or a building), signed in: bearer headers."""
    if not await User.filter(login=login).exists():
        await make_user(login, name=f"{login} {XSS}"[:100])
    response = await compound.client.put(
        f"/api/v1/halls/{hall or compound.slug}/members/{login}/roles",
        json={"roles": list(roles)},
        headers=compound.admin,
    )
    assert response.status_code == 200, response.text
    return await bearer(compound.client, login)


async def set_rules(compound: Compound, **rules: Any) -> None:
    response = await compound.client.put(
        f"/api/v1/halls/{compound.slug}/rules", json=rules, headers=compound.committee
    )
    assert response.status_code == 200, response.text


async def cast(
    client: httpx.AsyncClient, proposal_id: int, headers: dict[str, str], choice: str, **extra: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/proposals/{proposal_id}/ballots", json={"choice": choice}, headers={**headers, **extra}
    )


async def paper(
    client: httpx.AsyncClient,
    proposal_id: int,
    headers: dict[str, str],
    owner_ref: str,
    choice: str,
    proxy: dict[str, str] | None = None,
    witness: str = "网格员 李",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/proposals/{proposal_id}/ballots/paper",
        json={"owner_ref": owner_ref, "choice": choice, "witness": witness, "proxy": proxy},
        headers=headers,
    )


async def close_now(proposal: Proposal) -> int:
    """Let the window pass and run the scheduler's close once."""
    fresh = await Proposal.get(id=proposal.id)
    assert fresh.closes_at is not None
    clock.travel(fresh.closes_at - clock.now() + timedelta(seconds=1))
    return await close_overdue()


async def simple_compound(
    client: httpx.AsyncClient, rows: list[Row], *, slug: str = "sunny", name: str = "阳光花园", **kwargs: Any
) -> Compound:
    return await compound_with_roll(client, slug=slug, name=name, text=roll_csv(rows), **kwargs)


# The developer's three unsold units are one person: with them counted per unit the vote would pass.
DEVELOPER_ROWS = [
    Row("1", "101", "100.00", "A", "甲"),
    Row("1", "102", "100.00", "B", "乙"),
    Row("1", "201", "100.00", "C", "丙"),
    Row("1", "202", "100.00", "D", "丁"),
    Row("1", "301", "100.00", "DEV", "开发商", status="unsold"),
    Row("1", "302", "100.00", "DEV", "开发商", status="unsold"),
    Row("1", "303", "100.00", "DEV", "开发商", status="undelivered"),
    Row("1", "304", "100.00", "DEV", "开发商", status="unsold"),
]


def record_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()
