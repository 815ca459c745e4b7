"""What the scanners found (schemathesis, sqlmap), pinned as plain requests that do not need them.

Both were 500s where a parameter was out of the range the database column takes. Ids are now
range-checked by `agora.web.http.parse_id`/`path_id`, and slugs and logins by their column's length
before the lookup.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.ballots.factories import voting_proposal
from tests.rooms.factories import compound_with_roll


async def test_ids_out_of_range_are_not_found_not_a_server_error(client: httpx.AsyncClient) -> None:
    """What schemathesis found: the schema says ids are int32; an id past that (in the path or as a
    comment's parent) must be refused with 404 or 422, never 5xx."""
    compound = await compound_with_roll(client)
    member = await compound.owner("A", "st-range")
    raw = (await client.get("/api/openapi.json")).json()
    answers = {}
    for path, item in raw["paths"].items():
        if "{id}" not in path:
            continue
        for method in item:
            for big in (2**31, 2**63, 2**64):
                url = path.replace("{id}", str(big))
                kwargs: dict[str, Any] = {"headers": member}
                if method != "get":
                    kwargs["json"] = {}
                response = await client.request(method.upper(), url, **kwargs)
                answers[f"{method.upper()} {url}"] = response.status_code
    proposal = await voting_proposal(compound)
    for big in (2**31, 2**63, 2**64):
        url = f"/api/v1/proposals/{proposal.id}/comments"
        response = await client.post(url, json={"body": "x", "parent": big}, headers=member)
        answers[f"POST {url} parent={big}"] = response.status_code
    for cursor in (2**31, 2**64, "²"):
        url = f"/api/v1/proposals/{proposal.id}/comments?after={cursor}"
        response = await client.get(url, headers=member)
        assert response.status_code in (200, 422), (url, response.status_code)
    for page in ("/proposals/{id}", "/proposals/{id}/vote", "/proposals/{id}/result"):
        url = page.replace("{id}", str(2**64))
        answers[f"GET {url}"] = (await client.get(url, headers=member)).status_code
    assert len(answers) > 60
    broken = {where: status for where, status in answers.items() if status not in (404, 422)}
    assert not broken, "\n".join(f"{w}: {s}" for w, s in sorted(broken.items()))


async def test_overlong_slugs_are_not_found_not_a_server_error(client: httpx.AsyncClient) -> None:
    """What sqlmap found: its payloads in a hall's slug made it longer than 64 characters. The same
    lookup with an over-long hall parent or member login, found by hand after it, answers 500 too."""
    compound = await compound_with_roll(client)
    member = await compound.owner("A", "st-slug")
    slug = compound.slug + "x" * 80
    answers = {}
    for url in (
        f"/api/v1/halls/{slug}",
        f"/api/v1/halls/{slug}/proposals",
        f"/api/v1/halls/{slug}/search?q=a",
        f"/api/v1/halls/{slug}/resolutions",
        f"/api/v1/halls/{slug}/rules",
        f"/halls/{slug}",
    ):
        answers[url] = (await client.get(url, headers=member)).status_code
    roles = await client.put(
        f"/api/v1/halls/{compound.slug}/members/{'x' * 80}/roles",
        json={"roles": ["moderator"]},
        headers=compound.admin,
    )
    answers["PUT roles of an over-long login"] = roles.status_code
    parent = await client.post(
        "/api/v1/halls",
        json={"kind": "building", "slug": "b-long", "name": "楼", "parent": slug},
        headers=compound.admin,
    )
    answers["POST a hall with an over-long parent"] = parent.status_code
    broken = {url: status for url, status in answers.items() if status not in (404, 422)}
    assert not broken, broken
