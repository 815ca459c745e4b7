"""The demo seed: the halls, rolls and accounts the README and the browser tests rely on."""

from __future__ import annotations

import httpx

from agora.demo import DEMO_PASSWORD, seed_demo
from agora.rooms.models import Hall, Unit
from tests.support import TEST_PASSWORDS, bearer


async def test_the_demo_community_is_seeded(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    lines = await seed_demo(server.settings, TEST_PASSWORDS)
    assert any(line.strip().startswith("owner4") for line in lines)
    sunny = await Hall.get(slug="sunny-garden")
    assert await Hall.filter(kind="building", compound_id=sunny.id).count() == 8
    river = await Hall.get(slug="river-view")
    assert await Hall.filter(kind="building", compound_id=river.id).count() == 4
    assert await Unit.filter(compound_id=sunny.id, status="unsold").count() == 15
    assert await Unit.filter(active=True).count() >= 250

    committee = await bearer(client, "committee", DEMO_PASSWORD)
    detail = (await client.get("/api/v1/halls/sunny-garden", headers=committee)).json()
    assert detail["parent"] == "demo-community" and len(detail["children"]) == 8
    totals = detail["totals"]
    assert totals["units"] == 192 + 6 + 4
    # Parking does not count; the developer's 15 units are one person; owner4's two units are one.
    assert totals["persons"] is not None and totals["persons"] < 192 + 4

    owner1 = await bearer(client, "owner1", DEMO_PASSWORD)
    halls = [h["slug"] for h in (await client.get("/api/v1/halls", headers=owner1)).json()["halls"]]
    assert halls == ["demo-community", "sunny-garden", "sunny-garden-b1"]
    owner4 = await bearer(client, "owner4", DEMO_PASSWORD)
    halls = [h["slug"] for h in (await client.get("/api/v1/halls", headers=owner4)).json()["halls"]]
    assert halls == ["demo-community", "sunny-garden", "sunny-garden-b3", "sunny-garden-b5"]
    river_owner = await bearer(client, "riverowner", DEMO_PASSWORD)
    assert (await client.get("/api/v1/halls/sunny-garden", headers=river_owner)).status_code == 404
    tenant = await bearer(client, "tenant1", DEMO_PASSWORD)
    roles = (await client.get("/api/v1/halls/sunny-garden-b2", headers=tenant)).json()["my_roles"]
    assert "tenant" in roles
