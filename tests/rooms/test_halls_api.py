"""The hall hierarchy, hall details and totals, rules of procedure, and roles, through the JSON API."""

from __future__ import annotations

import httpx

from agora.audit.models import AuditEntry
from tests.rooms.factories import SMALL_COUNTS, admin_headers, compound_with_roll, make_hall
from tests.support import bearer, make_user


async def test_hierarchy_rules_for_parents(client: httpx.AsyncClient) -> None:
    admin = await admin_headers(client)
    await make_hall(client, admin, "community", "yangguang", "阳光社区")
    await make_hall(client, admin, "compound", "garden", "阳光花园", "yangguang")
    await make_hall(client, admin, "compound", "lonely", "独立小区")  # a compound may stand alone
    await make_hall(client, admin, "building", "garden-b1", "1号楼", "garden", label="1")

    async def post(body: dict) -> httpx.Response:
        return await client.post("/api/v1/halls", json=body, headers=admin)

    bad = [
        {"kind": "building", "slug": "orphan", "name": "x", "parent": None},
        {"kind": "building", "slug": "b-in-community", "name": "x", "parent": "yangguang"},
        {"kind": "compound", "slug": "c-in-compound", "name": "x", "parent": "garden"},
        {"kind": "community", "slug": "c-in-c", "name": "x", "parent": "yangguang"},
        {"kind": "street", "slug": "street", "name": "x", "parent": None},
        {"kind": "compound", "slug": "Bad Slug", "name": "x", "parent": None},
        {"kind": "compound", "slug": "nameless", "name": "", "parent": None},
        {"kind": "compound", "slug": "ghost-parent", "name": "x", "parent": "nowhere"},
    ]
    for body in bad:
        response = await post(body)
        assert response.status_code == 422, (body, response.text)
    taken = await post({"kind": "compound", "slug": "garden", "name": "again", "parent": None})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "slug_taken"
    same_label = await post(
        {"kind": "building", "slug": "garden-one", "name": "1", "parent": "garden", "label": "1"}
    )
    assert same_label.status_code == 409

    detail = (await client.get("/api/v1/halls/garden", headers=admin)).json()
    assert detail == {
        "slug": "garden",
        "kind": "compound",
        "name": "阳光花园",
        "parent": "yangguang",
        "children": ["garden-b1"],
        "totals": {"units": 0, "persons": 0, "area": "0.00"},
        "my_roles": ["admin", "member"],
    }
    community = (await client.get("/api/v1/halls/yangguang", headers=admin)).json()
    assert community["children"] == ["garden"] and community["parent"] is None
    assert await AuditEntry.filter(action="hall.created").count() == 4


async def test_only_administrators_create_halls(client: httpx.AsyncClient) -> None:
    await make_user("plain")
    headers = await bearer(client, "plain")
    response = await client.post(
        "/api/v1/halls",
        json={"kind": "community", "slug": "mine", "name": "x", "parent": None},
        headers=headers,
    )
    assert response.status_code == 403
    anonymous = await client.post("/api/v1/halls", json={"kind": "community", "slug": "m", "name": "x"})
    assert anonymous.status_code == 401


async def test_totals_and_my_halls_follow_the_roll(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    assert {k: c.roll[k] for k in ("units", "persons", "area")} == {
        k: SMALL_COUNTS[k] for k in ("units", "persons", "area")
    }
    assert c.roll["buildings"] == {c.building(label): t for label, t in SMALL_COUNTS["buildings"].items()}
    assert sorted(i["owner_ref"] for i in c.roll["invites"]) == SMALL_COUNTS["owner_refs"]
    b1 = (await client.get(f"/api/v1/halls/{c.building('1')}", headers=c.committee)).json()
    assert b1["totals"] == SMALL_COUNTS["buildings"]["1"]
    assert b1["parent"] == c.slug and b1["children"] == []
    assert "committee" in b1["my_roles"]  # a compound role holds in its buildings
    halls = (await client.get("/api/v1/halls", headers=c.committee)).json()["halls"]
    assert [h["slug"] for h in halls] == [c.community, c.slug, c.building("1"), c.building("2")]

    # Parking undecided: persons and area cannot be given while the roll has a parking space.
    await client.put(f"/api/v1/halls/{c.slug}/rules", json={"parking_counts": None}, headers=c.committee)
    undecided = (await client.get(f"/api/v1/halls/{c.slug}", headers=c.committee)).json()["totals"]
    assert undecided == {"units": 10, "persons": None, "area": None}
    b1 = (await client.get(f"/api/v1/halls/{c.building('1')}", headers=c.committee)).json()["totals"]
    assert b1 == SMALL_COUNTS["buildings"]["1"]  # building 1 has no parking: it can still be counted
    await client.put(f"/api/v1/halls/{c.slug}/rules", json={"parking_counts": True}, headers=c.committee)
    counted = (await client.get(f"/api/v1/halls/{c.slug}", headers=c.committee)).json()["totals"]
    assert counted == {"units": 10, "persons": 7, "area": "700.05"}


async def test_rules_get_put_and_validation(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    rules = (await client.get(f"/api/v1/halls/{c.building('2')}/rules", headers=c.committee)).json()
    assert rules == {
        "notice_days": 15,
        "min_voting_days": 5,
        "max_voting_days": 60,
        "parking_counts": False,
        "revote": False,
        "proxy_cap": 3,
        "deemed_participation": None,
        "certify_signatures": 1,
        "objection_days": 7,
        "proxy_bar_property_staff": True,
        "budget_margin_percent": 10,  # agora.implementation: spending beyond the budget needs a new vote
        "ballot_secrecy": "secret",  # api.md "Secrecy": the default
    }
    for secrecy in ("open", "", None, True):
        refused = await client.put(
            f"/api/v1/halls/{c.slug}/rules", json={"ballot_secrecy": secrecy}, headers=c.committee
        )
        assert refused.status_code == 422 and "ballot_secrecy" in refused.json()["error"]["fields"]
    named = await client.put(
        f"/api/v1/halls/{c.slug}/rules", json={"ballot_secrecy": "named"}, headers=c.committee
    )
    assert named.status_code == 200 and named.json()["ballot_secrecy"] == "named"
    for margin in (-1, 101, "10", 10.5):
        refused = await client.put(
            f"/api/v1/halls/{c.slug}/rules", json={"budget_margin_percent": margin}, headers=c.committee
        )
        assert refused.status_code == 422 and "budget_margin_percent" in refused.json()["error"]["fields"]
    bad = await client.put(
        f"/api/v1/halls/{c.slug}/rules",
        json={
            "notice_days": 7,
            "min_voting_days": 70,
            "proxy_cap": "3",
            "colour": "red",
            "parking_counts": "yes",
        },
        headers=c.committee,
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {
        "notice_days",
        "min_voting_days",
        "proxy_cap",
        "colour",
        "parking_counts",
    }
    ok = await client.put(
        f"/api/v1/halls/{c.slug}/rules", json={"notice_days": 20, "revote": True}, headers=c.committee
    )
    assert ok.status_code == 200 and ok.json()["notice_days"] == 20 and ok.json()["revote"] is True
    # Set through a building hall, stored on the compound.
    via_building = await client.put(
        f"/api/v1/halls/{c.building('1')}/rules", json={"proxy_cap": 2}, headers=c.committee
    )
    assert via_building.status_code == 200
    assert (await client.get(f"/api/v1/halls/{c.slug}/rules", headers=c.admin)).json()["proxy_cap"] == 2
    owner = await c.owner("A", "owner-a")
    assert (await client.get(f"/api/v1/halls/{c.slug}/rules", headers=owner)).status_code == 200
    refused = await client.put(f"/api/v1/halls/{c.slug}/rules", json={"notice_days": 30}, headers=owner)
    assert refused.status_code == 403
    community = await client.get(f"/api/v1/halls/{c.community}/rules", headers=c.admin)
    assert community.status_code == 404
    changes = await AuditEntry.filter(action="hall.rules_changed").order_by("id")
    assert changes[-1].detail == {"changed": {"proxy_cap": 2}}


async def test_role_changes_are_checked_and_audited(client: httpx.AsyncClient) -> None:
    c = await compound_with_roll(client)
    await make_user("party", name="党支部")
    url = f"/api/v1/halls/{c.slug}/members/party/roles"
    response = await client.put(url, json={"roles": ["moderator", "canvasser"]}, headers=c.committee)
    assert response.status_code == 200 and response.json() == {
        "login": "party",
        "roles": ["canvasser", "moderator"],
    }
    party = await bearer(client, "party")
    detail = (await client.get(f"/api/v1/halls/{c.building('2')}", headers=party)).json()
    assert {"moderator", "canvasser"} <= set(detail["my_roles"])
    # A moderator cannot hand out roles; unknown roles and logins are refused.
    forbidden = await client.put(url, json={"roles": ["committee"]}, headers=party)
    assert forbidden.status_code == 403
    unknown = await client.put(url, json={"roles": ["king"]}, headers=c.committee)
    assert unknown.status_code == 422
    nobody = await client.put(
        f"/api/v1/halls/{c.slug}/members/nobody/roles", json={"roles": []}, headers=c.committee
    )
    assert nobody.status_code == 404
    removed = await client.put(url, json={"roles": []}, headers=c.committee)
    assert removed.status_code == 200
    assert (await client.get(f"/api/v1/halls/{c.slug}", headers=party)).status_code == 404
    entries = await AuditEntry.filter(action="hall.roles_changed", object_type="user").order_by("id")
    party_entries = [e.detail for e in entries if e.detail["login"] == "party"]
    assert party_entries == [
        {"login": "party", "before": [], "after": ["canvasser", "moderator"]},
        {"login": "party", "before": ["canvasser", "moderator"], "after": []},
    ]
