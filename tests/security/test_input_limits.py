"""Input that used to answer 500 (issue 16, item 5): deep JSON, lone surrogates, NUL, far-future
times, and an Idempotency-Key replayed with another body. Each is now a clear 4xx before any database.
"""

from __future__ import annotations

import httpx

from agora.web.inputs import MAX_JSON_DEPTH, json_depth_exceeds
from tests.ballots.factories import cast, voting_proposal
from tests.proposals.factories import api, create, make_hall, member
from tests.rooms.factories import compound_with_roll
from tests.support import csrf_from

JSON = {"Content-Type": "application/json"}


def test_depth_scan_ignores_brackets_inside_strings() -> None:
    assert not json_depth_exceeds('{"a": "' + "[" * 100 + '"}')
    assert not json_depth_exceeds('{"a": "\\"' + "{" * 100 + '"}')
    assert json_depth_exceeds("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert not json_depth_exceeds("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)


async def test_deeply_nested_json_is_a_400_without_signing_in(client: httpx.AsyncClient) -> None:
    for depth in (MAX_JSON_DEPTH + 1, 5000, 400_000):
        body = '{"login": ' + "[" * depth + "]" * depth + ', "password": "x"}'
        response = await client.post("/api/v1/auth/token", content=body.encode(), headers=JSON)
        assert response.status_code == 400, (depth, response.text)
        assert response.json()["error"]["code"] == "json_too_deep"
    fine = await client.post("/api/v1/auth/token", json={"login": [[["x"]]], "password": "x"})
    assert fine.status_code == 422


async def test_surrogates_and_nul_are_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    for raw, reason in (('"a\\ud800b"', "surrogate"), ('"a\\udfff"', "surrogate"), ('"a\\u0000b"', "nul")):
        body = '{"login": ' + raw + ', "password": "secret"}'
        response = await client.post("/api/v1/auth/token", content=body.encode(), headers=JSON)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_text" and error["fields"] == {"login": reason}
        assert "login" in error["message"]
        nested = '{"login": "x", "password": "y", "extra": {"deep": [' + raw + "]}}"
        response = await client.post("/api/v1/auth/token", content=nested.encode(), headers=JSON)
        assert response.status_code == 422 and response.json()["error"]["fields"] == {"extra.deep.0": reason}


async def test_the_login_form_refuses_nul_before_the_database(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = csrf_from(page.text)
    for login, password in (("ad\x00min", "x"), ("admin", "pass\x00word")):
        form = {"login": login, "password": password, "csrf_token": token}
        response = await client.post("/login", data=form)
        assert response.status_code == 422, response.text
    # A NUL in a query parameter or the path never reaches a lookup either.
    assert (await client.get("/login?next=%00")).status_code == 422
    assert (await client.get("/api/v1/halls/a%00b")).status_code in (401, 404)


async def test_comments_with_nul_or_surrogates_are_422(client: httpx.AsyncClient) -> None:
    hall = await make_hall("nulls")
    await member("nul-resident", hall)
    headers = await api(client, "nul-resident")
    proposal_id = await create(client, headers, "nulls")
    body = b'{"body": "hello \\u0000 world", "stance": "support"}'
    response = await client.post(
        f"/api/v1/proposals/{proposal_id}/comments", content=body, headers={**headers, **JSON}
    )
    assert response.status_code == 422 and response.json()["error"]["fields"] == {"body": "nul"}
    search = await client.get("/api/v1/halls/nulls/search?q=a%00b", headers=headers)
    assert search.status_code == 422 and search.json()["error"]["fields"] == {"q": "nul"}


async def test_far_future_and_ancient_times_are_422(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    for value in ("9999-12-31T23:59:59-14:00", "3000-01-01T00:00:00+08:00", "0001-01-01T00:00:00+14:00"):
        response = await client.post(
            f"/api/v1/halls/{compound.slug}/invites",
            json={"role": "resident", "max_uses": 3, "expires_at": value},
            headers=compound.committee,
        )
        assert response.status_code == 422, (value, response.text)
        assert "expires_at" in response.json()["error"]["fields"]
    proposal_id = await create(client, compound.committee, compound.slug, matter="major", item=7, options=[])
    response = await client.post(
        f"/api/v1/proposals/{proposal_id}/transition",
        json={"to": "notice", "closes_at": "9999-12-31T23:59:59-14:00"},
        headers=compound.committee,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"] == {"closes_at": "out_of_range"}


async def test_an_idempotency_key_replayed_with_another_body_is_422(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    owner = await compound.owner("A", "owner-a")
    first = await cast(client, proposal.id, owner, "yes", **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    again = await cast(client, proposal.id, owner, "yes", **{"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json() == first.json()
    other = await cast(client, proposal.id, owner, "no", **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "idempotency_mismatch"
    assert first.json()["receipt"] not in other.text
