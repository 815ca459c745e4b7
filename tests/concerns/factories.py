"""Compounds, buildings, members and concerns for the concerns tests, with XSS payloads in the text.

Halls and roles are created directly (as in tests/proposals/factories.py); concerns go through the API.
"""

from __future__ import annotations

from typing import Any

import httpx

from agora.rooms.models import Hall
from tests.proposals.factories import XSS, XSS_ALL, api, make_hall, member

__all__ = ["XSS", "XSS_ALL", "api", "member", "world", "building", "concern_data", "raise_concern"]


async def building(compound: Hall, label: str) -> Hall:
    hall = await make_hall(f"{compound.slug}-b{label}", "building", parent=compound)
    hall.label = label
    await hall.save(update_fields=["label"])
    return hall


async def world(slug: str = "sunny") -> dict[str, Any]:
    """A compound with two buildings and its people: residents, a tenant of building 1, the Party
    branch (compound moderator), a building-2 moderator, the committee, a canvasser."""
    compound = await make_hall(slug)
    b1, b2 = await building(compound, "1"), await building(compound, "2")
    people = {
        "alice": await member(f"{slug}-alice", compound),
        "bob": await member(f"{slug}-bob", compound),
        "party": await member(f"{slug}-party", compound, "moderator"),
        "committee": await member(f"{slug}-committee", compound, "committee"),
        "canvasser": await member(f"{slug}-canvasser", compound, "canvasser"),
        "tenant": await member(f"{slug}-tenant", b1, "tenant"),
        "b2mod": await member(f"{slug}-b2mod", b2, "moderator"),
    }
    return {"compound": compound, "b1": b1, "b2": b2, "people": people, "slug": slug}


def concern_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": f"3号楼电梯经常停运 {XSS[0]}",
        "body": f"电梯这周坏了三次，老人上下楼很不方便。{XSS_ALL}",
        "category": "livelihood",
        "kind": "concern",
    }
    data.update(overrides)
    return data


async def raise_concern(
    client: httpx.AsyncClient, headers: dict[str, str], slug: str, expect: int = 201, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/halls/{slug}/concerns", json=concern_data(**overrides), headers=headers
    )
    assert response.status_code == expect, response.text
    return response.json()
