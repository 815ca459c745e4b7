"""Fuzzing by hand, beside schemathesis (test_schemathesis.py): a hypothesis walk over every OpenAPI
operation with random JSON bodies and query parameters, SQL-ish payloads in login, search and API
parameters, random bytes into the roll importer, and random mutations of a valid resolution record into
the verifier. Nothing may answer 5xx, leak a database error, or crash.
"""

from __future__ import annotations

import copy
import html
import json
import random
import re
from datetime import timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agora import clock
from agora.ballots.verify import verify_record
from agora.errors import DomainError
from agora.rooms.roll_csv import RollInvalid, parse_roll
from tests.ballots.factories import voting_proposal
from tests.rooms.factories import compound_with_roll

SQLISH = [
    "' OR '1'='1", "1; DROP TABLE users; --", "\" OR 1=1 --", "%' UNION SELECT password_hash FROM users --",
    "1) OR (1=1", "admin'--", "\\x00", "${jndi:ldap://x}", "{{7*7}}", "../../etc/passwd", "%00", "ä" * 300,
]  # fmt: skip
LEAKS = ("sqlite", "syntax error", "psycopg", "asyncpg", "traceback", "operationalerror", "$argon2")

scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False)
json_values = st.recursive(
    scalars | st.text(max_size=40) | st.sampled_from(SQLISH),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
    max_leaves=12,
)


def assert_no_leak(response: httpx.Response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    lowered = response.text.lower()
    for payload in SQLISH:  # an echo of the caller's own input (a search box) is not a leak
        lowered = lowered.replace(json.dumps(payload, ensure_ascii=False)[1:-1].lower(), "")
        lowered = lowered.replace(payload.lower(), "")
        lowered = lowered.replace(html.escape(payload).lower(), "").replace(
            html.escape(payload, quote=False).lower(), ""
        )
    for word in LEAKS:
        assert word not in lowered, f"{where}: {word!r} in the answer"


async def test_every_openapi_operation_survives_random_input(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    owner = await compound.owner("A", "fz-a")
    schema = (await client.get("/api/openapi.json")).json()
    rng = random.Random(278)
    operations = [
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]  # fmt: skip
    assert len(operations) > 20
    fill = {"slug": compound.slug, "id": str(proposal.id), "proposal_id": str(proposal.id), "login": "fz-a"}
    bodies = json_values.filter(lambda v: True)

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(
        body=st.one_of(
            bodies,
            st.dictionaries(
                st.sampled_from(
                    [
                        "choice",
                        "title",
                        "body",
                        "to",
                        "login",
                        "password",
                        "roles",
                        "reason",
                        "q",
                        "kind",
                        "slug",
                        "name",
                        "parent",
                        "invite",
                        "owner_ref",
                        "witness",
                        "proxy",
                        "closes_at",
                        "matter",
                        "item",
                        "options",
                    ]
                ),
                json_values,
                max_size=6,
            ),
        )
    )
    def bodies_for(body: Any) -> None:
        samples.append(body)

    samples: list[Any] = []
    bodies_for()
    for method, path in operations:
        for headers in ({}, owner, compound.committee):
            for round_ in range(2):
                concrete = re.sub(
                    r"\{(\w+)(?::\w+)?\}",
                    lambda m: rng.choice(
                        [fill.get(m.group(1), "1"), rng.choice(SQLISH), "0", "-1", "99999999999"]
                    ),
                    path,
                )
                params = {
                    "q": rng.choice(SQLISH),
                    "state": rng.choice(SQLISH),
                    "limit": rng.choice(["5", "-1", "x"]),
                }
                body = samples[(round_ + len(path)) % len(samples)]
                kwargs: dict[str, Any] = {"headers": headers, "params": params}
                if method in ("POST", "PUT", "PATCH", "DELETE"):
                    kwargs["content"] = json.dumps(body).encode() if round_ == 0 else rng.randbytes(40)
                    kwargs["headers"] = {**headers, "Content-Type": "application/json"}
                response = await client.request(method, concrete, **kwargs)
                assert_no_leak(response, f"{method} {concrete}")


async def test_sql_ish_payloads_in_login_search_and_params(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    for payload in SQLISH:
        response = await client.post("/api/v1/auth/token", json={"login": payload, "password": payload})
        assert_no_leak(response, f"token {payload!r}")
        assert response.status_code in (401, 422, 429)
        response = await client.get(
            f"/api/v1/halls/{compound.slug}/search", params={"q": payload}, headers=compound.committee
        )
        assert_no_leak(response, "search")
        assert response.status_code in (200, 422)  # 422: a query too long to search
        page = await client.get(
            f"/halls/{compound.slug}/search", params={"q": payload}, headers=compound.committee
        )
        assert_no_leak(page, "search page")
        archive = await client.get(
            f"/api/v1/halls/{compound.slug}/resolutions", params={"q": payload}, headers=compound.committee
        )
        assert_no_leak(archive, "archive")
    # The accounts are all still there and the admin can still sign in: nothing was injected.
    assert (await client.get("/api/v1/halls", headers=compound.admin)).status_code == 200


@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.binary(max_size=600))
def test_the_roll_parser_never_crashes_on_random_bytes(data: bytes) -> None:
    try:
        parse_roll(data, known_buildings=None)
    except (DomainError, RollInvalid):
        pass


header = "building,entrance,unit,area,owner_ref,owner_name,kind,status\n"
cell = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8
) | st.sampled_from(["", "1", "-5", "1e9", "12.345", "NaN", "parking", "unsold", '"', ",", "\r\n", "\ufeff"])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=9), max_size=8))
def test_the_roll_parser_never_crashes_on_random_csv(rows: list[list[str]]) -> None:
    text = header + "\n".join(",".join(r) for r in rows)
    for encoding in ("utf-8", "gb18030"):
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            continue
        try:
            parse_roll(data, known_buildings=None)
        except (DomainError, RollInvalid):
            pass


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


async def test_random_mutations_of_a_real_record_are_reported_never_raised(client: httpx.AsyncClient) -> None:
    from tests.ballots.factories import cast, close_now
    from tests.support import bearer

    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    owners = {ref: await compound.owner(ref, f"fv-{ref}") for ref in "ABDE"}
    for ref, choice in (("A", "yes"), ("B", "no"), ("D", "yes"), ("E", "abstain")):
        assert (await cast(client, proposal.id, owners[ref], choice)).status_code == 201
    await close_now(proposal)
    # The whole procedure, so that the record states all of it: certified (preliminary), an owner's
    # objection, the period over, the final record answering it.
    committee = await _fresh(client, compound)
    base = f"/api/v1/proposals/{proposal.id}"
    assert (await client.post(f"{base}/resolution/certify", headers=committee)).status_code == 200
    objection = await client.post(
        f"{base}/objections", json={"body": "计票有误"}, headers=await bearer(client, "fv-A")
    )
    assert objection.status_code == 201, objection.text
    clock.travel(timedelta(days=9))
    final = await client.post(
        f"{base}/resolution/finalize",
        json={"answers": {str(objection.json()["id"]): "已核对"}},
        headers=await _fresh(client, compound),
    )
    assert final.status_code == 200, final.text
    record = (await client.get(f"{base}/resolution", headers=await _fresh(client, compound))).json()
    assert record["stage"] == "final" and record["objections"][0]["answer"] == "已核对"
    assert record["residents_committee"] and record["rules"] and record["publish_by"]
    assert verify_record(record).ok, verify_record(record).problems
    paths = [p for p in _paths(record) if p]
    replacements = [None, "", 0, -1, 1, 10**12, "0.00", "99999.99", "yes", "no", [], {}, True, "x" * 70, "ƒ"]

    @settings(max_examples=250, deadline=None, derandomize=True)
    @given(where=st.sampled_from(paths), value=st.sampled_from(replacements), delete=st.booleans())
    def mutate(where: tuple, value: Any, delete: bool) -> None:
        forged = copy.deepcopy(record)
        parent = forged
        for key in where[:-1]:
            parent = parent[key]
        last = where[-1]
        if parent[last] in ("", None) and (delete or value in ("", None)):
            return  # an empty text and a missing one mean the same: a no-op
        if delete and isinstance(parent, dict):
            del parent[last]
        elif delete and isinstance(parent, list):
            parent.pop(last)
        else:
            parent[last] = value
        report = verify_record(forged)  # must never raise
        if forged != record and _matters(where, None if delete else value):
            assert not report.ok, (where, value, delete)

    mutate()


# Fields the verifier does not vouch for (free text and presentation: it checks the count, the chain,
# the roll, the text of the plan by its hash, and the procedure: docs/verify.md).
UNCHECKED = {"title", "hall", "compound", "timeline", "channels", "certified", "created_at",
             "supersedes", "record_hash", "superseded_by", "number", "finalized_by",
             "scope", "format", "deemed_participation", "roll_fingerprint", "correction"}  # fmt: skip
# Free text the procedure's checks only require to be there: the community's name, an objection's words
# and its answer (their ids are the server's).
FREE_TEXT = {("residents_committee", "hall"), ("residents_committee", "name"), ("objections", "body"),
             ("objections", "answer"), ("objections", "id"), ("objections", "answered_by")}  # fmt: skip


def _matters(where: tuple, value: Any = "") -> bool:
    if where == ("head",):
        return False  # an absent top-level head claims nothing (the ledger's own head is checked)
    if where == ("entry_count",) and value is None:
        return False  # an absent count claims nothing either; any other value must be the ledger's
    if where == ("roll", "published_fingerprint") and value is None:
        # An absent or null published fingerprint claims nothing (records of votes opened before it was
        # published have none); removing it is caught by `agora verify --roll` with the copy taken at
        # opening (tests/security/test_ledger.py). Any other value must match the roll.
        return False
    if where[0] in UNCHECKED:
        return False
    if where[0] == "residents_committee" and len(where) == 1 and value is None:
        return False  # a record that does not say the residents' committee was told claims nothing
    if where == ("status",) and value is None:
        return False  # the API adds the status to the stored document; its stage is what is checked
    if where == ("residents_committee", "staff") and value is None:
        return False  # nor does an absent count of the staff told (records before the count have none)
    if where[0] == "verdict" and len(where) == 1 and value is None:
        return False  # nor does a record without a verdict (its result is checked by the count)
    if where[0] == "objections" and (len(where) == 1 and value == [] or len(where) == 2 and value is None):
        # Objections dropped from the list cannot be told from a record that had fewer: the list is
        # the server's word (docs/verify.md, "What is checked").
        return False
    if (where[0], where[-1]) in FREE_TEXT and len(where) in (2, 3):
        return False
    if where[0] == "proposal" and len(where) > 1 and where[1] in ("title", "category", "item", "entrance"):
        return False
    if where[0] == "roll" and len(where) > 1 and where[1] == "fingerprint":
        return False
    return True


async def _fresh(client: httpx.AsyncClient, compound: Any) -> dict[str, str]:
    from tests.support import bearer

    return await bearer(client, f"{compound.slug}-committee")
