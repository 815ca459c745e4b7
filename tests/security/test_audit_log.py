"""The audit log: one structured row per privileged action and per security event, never a secret.

Privileged actions (roll import, role change, rules, hiding a comment, a paper ballot) and security
events (failed sign-in, throttling, a CSRF failure, a 403) are driven through HTTP with request ids
of our own; each must leave exactly one row naming the actor, the object, the request id and the
client address, and the same facts on the `agora.audit` logger. No password, bearer token, session
cookie, invite code or receipt used in the test may appear in the table or in any captured log line.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from agora import clock
from agora.audit.models import AuditEntry
from tests.ballots.factories import cast, paper, set_roles, voting_proposal
from tests.rooms.factories import SMALL_ROLL, compound_with_roll, import_roll
from tests.support import TEST_PASSWORD, browser_login, make_user

IP = "127.0.0.1"


def rid(name: str) -> dict[str, str]:
    return {"X-Request-ID": f"t-{name}"}


async def one_row(action: str, request_id: str) -> AuditEntry:
    rows = await AuditEntry.filter(action=action, request_id=request_id)
    assert len(rows) == 1, (action, request_id, [(r.action, r.detail) for r in rows])
    row = rows[0]
    assert row.ip == IP, row.ip
    return row


def log_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "agora.audit"]


async def test_privileged_actions_and_security_events_write_one_row_each_and_no_secret(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    compound = await compound_with_roll(client)
    secrets: list[str] = [TEST_PASSWORD, *compound.invites.values()]
    secrets += [h["Authorization"][7:] for h in (compound.admin, compound.committee)]

    # Privileged actions, each with its own request id.
    response = await import_roll(client, {**compound.committee, **rid("roll")}, compound.slug, SMALL_ROLL)
    assert response.status_code == 200, response.text
    secrets += [i["code"] for i in response.json()["invites"]]
    row = await one_row("roll.imported", "t-roll")
    assert (row.actor_login, row.object_type, row.hall_id) == ("sunny-committee", "hall", int(row.object_id))

    await make_user("lili")
    response = await client.put(
        f"/api/v1/halls/{compound.slug}/members/lili/roles",
        json={"roles": ["moderator"]},
        headers={**compound.admin, **rid("roles")},
    )
    assert response.status_code == 200, response.text
    roles = await AuditEntry.filter(request_id="t-roles")
    assert len(roles) == 1 and roles[0].actor_login == "admin" and roles[0].ip == IP, roles

    owner = await compound.owner("A", "owner-a")
    secrets.append(owner["Authorization"][7:])
    proposal = await voting_proposal(compound)
    comment = await client.post(
        f"/api/v1/proposals/{proposal.id}/comments", json={"body": "我反对"}, headers=owner
    )
    assert comment.status_code == 201, comment.text
    moderator = await set_roles(compound, "mod-1", "moderator")
    secrets.append(moderator["Authorization"][7:])
    hidden = await client.post(
        f"/api/v1/comments/{comment.json()['id']}/hide",
        json={"reason": "off topic"},
        headers={**moderator, **rid("hide")},
    )
    assert hidden.status_code == 200, hidden.text
    row = await one_row("comment.hide", "t-hide")
    assert (row.actor_login, row.object_type, row.object_id) == (
        "mod-1",
        "comment",
        str(comment.json()["id"]),
    )

    voted = await cast(client, proposal.id, owner, "yes")
    assert voted.status_code == 201, voted.text
    secrets.append(voted.json()["receipt"])
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    secrets.append(canvasser["Authorization"][7:])
    entered = await client.post(
        f"/api/v1/proposals/{proposal.id}/ballots/paper",
        json={"owner_ref": "E", "choice": "no", "witness": "网格员 李", "proxy": None},
        headers={**canvasser, **rid("paper")},
    )
    assert entered.status_code == 201, entered.text
    if "receipt" in entered.json() and entered.json()["receipt"]:
        secrets.append(entered.json()["receipt"])
    row = await one_row("ballot.paper_entered", "t-paper")
    assert (row.actor_login, row.object_type, row.object_id) == ("grid-1", "proposal", str(proposal.id))
    assert "no" not in json.dumps(row.detail).split('"'), "the paper ballot's choice is in the audit log"

    # Security events: a failed sign-in, a 403, a CSRF failure, throttling.
    wrong = await client.post(
        "/api/v1/auth/token", json={"login": "owner-a", "password": "wrong password 1"}, headers=rid("bad")
    )
    assert wrong.status_code == 401
    secrets.append("wrong password 1")
    row = await one_row("auth.login_failed", "t-bad")
    assert (row.object_type, row.object_id) == ("login", "owner-a")

    refused = await paper(client, proposal.id, {**owner, **rid("forbidden")}, "E", "yes")
    assert refused.status_code == 403, refused.text
    row = await one_row("security.forbidden", "t-forbidden")
    assert row.actor_login == "owner-a" and row.object_id == f"/api/v1/proposals/{proposal.id}/ballots/paper"

    browser = httpx.AsyncClient(base_url=str(client.base_url))
    async with browser:
        signed_in = await browser_login(browser, "owner-a")
        assert signed_in.status_code == 303
        cookie = browser.cookies.get("agora_session")
        assert cookie
        secrets.append(cookie)
        forged = await browser.post(
            "/settings/text-size", data={"csrf_token": "forged", "size": "large"}, headers=rid("csrf")
        )
        assert forged.status_code == 403
        row = await one_row("security.csrf_failed", "t-csrf")
        assert row.actor_login == "owner-a" and row.object_id == "/settings/text-size"
        assert row.detail.get("reason") == "csrf_failed"
        # The session cookie on the unsafe API is refused and recorded as well.
        cookie_api = await browser.post("/api/v1/halls", json={}, headers=rid("cookie-api"))
        assert cookie_api.status_code == 403
        await one_row("security.forbidden", "t-cookie-api")

    for n in range(6):
        await client.post(
            "/api/v1/auth/token",
            json={"login": "owner-a", "password": f"guess-{n}-guess"},
            headers=rid(f"g{n}"),
        )
        secrets.append(f"guess-{n}-guess")
    throttled = await client.post(
        "/api/v1/auth/token", json={"login": "owner-a", "password": TEST_PASSWORD}, headers=rid("throttled")
    )
    assert throttled.status_code == 429
    row = await one_row("auth.throttled", "t-throttled")
    assert (row.object_type, row.object_id) == ("login", "owner-a") and row.detail["blocked"]

    # Every logged line has the same facts as its row.
    lines = {(line["action"], line["request_id"]): line for line in log_lines(caplog)}
    for action, request_id in [
        ("roll.imported", "t-roll"),
        ("comment.hide", "t-hide"),
        ("ballot.paper_entered", "t-paper"),
        ("auth.login_failed", "t-bad"),
        ("security.forbidden", "t-forbidden"),
        ("security.csrf_failed", "t-csrf"),
        ("auth.throttled", "t-throttled"),
    ]:
        line = lines.get((action, request_id))
        assert line is not None, (action, request_id)
        row = await one_row(action, request_id)
        assert line["ip"] == IP and line["actor"] == row.actor_login
        assert line["object"] == f"{row.object_type}:{row.object_id}"

    # No secret anywhere: the whole table and every captured log line.
    table = json.dumps(
        [
            [r.actor_login, r.action, r.object_type, r.object_id, r.ip, r.request_id, r.detail]
            for r in await AuditEntry.all()
        ],
        ensure_ascii=False,
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    secrets = [s for s in secrets if s]
    assert len(secrets) > 10
    for secret in secrets:
        assert secret not in table, f"a secret ({secret[:6]}…) is in the audit table"
        assert secret not in logged, f"a secret ({secret[:6]}…) is in the log"


async def test_a_refusal_whose_audit_write_fails_is_still_a_403(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit row of a refusal is best effort: a broken write must not turn a 403 into a 500."""
    import agora.audit.services as audit

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk I/O error")

    await make_user("lili")
    await browser_login(client, "lili")
    monkeypatch.setattr(audit, "record", broken)
    forged = await client.post("/settings/text-size", data={"csrf_token": "forged", "size": "large"})
    assert forged.status_code == 403
    compound_refusal = await client.post("/api/v1/halls", json={})
    assert compound_refusal.status_code == 403


# --- a flood of refusals: bounded rows, and the signal kept --------------------------------------


def _refusal_total(rows: list[AuditEntry]) -> int:
    """Refusals a set of rows accounts for: one each, or an aggregate row's count."""
    return sum(int(r.detail["count"]) if r.detail.get("aggregate") else 1 for r in rows)


async def test_a_flood_of_refusals_is_aggregated_not_written_row_by_row(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    from agora.audit import refusals

    caplog.set_level(logging.INFO)
    compound = await compound_with_roll(client)
    owner = await compound.owner("A", "flooder")
    proposal = await voting_proposal(compound)
    flood = 80
    for n in range(flood):
        refused = await paper(client, proposal.id, {**owner, **rid(f"flood-{n}")}, "E", "yes")
        assert refused.status_code == 403, refused.text
    rows = await AuditEntry.filter(action="security.forbidden").order_by("id")
    assert len(rows) == refusals.PER_SOURCE + 1, [(r.request_id, r.detail) for r in rows]
    # The first ones are rows of their own, as any refusal...
    singles, aggregate = rows[:-1], rows[-1]
    assert [r.request_id for r in singles] == [f"t-flood-{n}" for n in range(refusals.PER_SOURCE)]
    assert all(r.actor_login == "flooder" and r.ip == IP and not r.detail.get("aggregate") for r in singles)
    # ...the rest are one row that says who, from where, at what, how many and since when.
    assert aggregate.detail["aggregate"] is True
    assert aggregate.detail["count"] == flood - refusals.PER_SOURCE
    assert (aggregate.actor_login, aggregate.ip) == ("flooder", IP)
    assert aggregate.request_id == f"t-flood-{refusals.PER_SOURCE}"
    assert aggregate.detail["objects"] == [f"/api/v1/proposals/{proposal.id}/ballots/paper"]
    assert aggregate.detail["ips"] == [IP]
    assert aggregate.detail["first_at"] <= aggregate.detail["last_at"]
    assert _refusal_total(rows) == flood
    # The log is bounded too: a line for each row of its own, then at 1, 10, 100… folded.
    lines = [line for line in log_lines(caplog) if line["action"] == "security.forbidden"]
    folded = [line for line in lines if line["detail"].get("aggregate")]
    assert len(lines) == refusals.PER_SOURCE + len(folded)
    assert [line["detail"]["count"] for line in folded] == [1, 10]
    # Another source in the same window still gets rows of its own: one flooder cannot hide others.
    other = await compound.owner("B", "bystander")
    refused = await paper(client, proposal.id, {**other, **rid("bystander")}, "E", "yes")
    assert refused.status_code == 403
    await one_row("security.forbidden", "t-bystander")
    # So does the flooder once the window has passed.
    clock.travel(refusals.WINDOW)
    refused = await paper(client, proposal.id, {**owner, **rid("later")}, "E", "yes")
    assert refused.status_code == 403
    assert not (await one_row("security.forbidden", "t-later")).detail.get("aggregate")


async def test_refusals_from_rotating_addresses_stay_bounded_and_are_all_counted(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agora.audit import refusals
    from agora.audit.services import record
    from agora.web.context import RequestMeta, reset_request_meta, set_request_meta

    monkeypatch.setattr(refusals, "PER_WINDOW", 20)
    monkeypatch.setattr(refusals, "MAX_SOURCES", 30)
    flood = 300
    for n in range(flood):
        token = set_request_meta(RequestMeta(ip=f"198.51.100.{n % 250}-{n}", request_id=f"rot-{n}"))
        try:
            await record("auth.login_failed", object_type="login", object_id=f"victim-{n % 7}")
        finally:
            reset_request_meta(token)
    rows = await AuditEntry.filter(action="auth.login_failed").order_by("id")
    # 20 rows of their own, one aggregate per remembered source, then one for everybody else.
    assert len(rows) <= 20 + 30 + 1, len(rows)
    assert len([r for r in rows if not r.detail.get("aggregate")]) == 20
    assert _refusal_total(rows) == flood  # nothing lost from the count
    everybody = [r for r in rows if r.ip == refusals.ANYONE]
    assert len(everybody) == 1 and everybody[0].detail["count"] == flood - 20 - 30
    assert len(everybody[0].detail["ips"]) == refusals.SAMPLES
    assert sorted(everybody[0].detail["objects"]) == sorted(f"victim-{k}" for k in range(7))
    # Privileged actions are never folded, however many.
    for n in range(refusals.PER_SOURCE * 3):
        await record("hall.rules_changed", object_type="hall", object_id=n)
    assert await AuditEntry.filter(action="hall.rules_changed").count() == refusals.PER_SOURCE * 3
