"""An invite is not a free oracle of which logins exist (issue 16, item 8).

Anyone holding a valid invite could check logins unthrottled: a taken login answered 409 before the
password was even looked at. Now every value is checked first (the answer to a bad request is the
same whether the login exists or not), and answers that tell something are throttled per invite
and per address.
"""

from __future__ import annotations

import httpx

from agora.accounts.models import User
from agora.accounts.services import LIMITS
from agora.audit.models import AuditEntry
from agora.rooms.joining import ALPHABET
from tests.rooms.factories import compound_with_roll, register
from tests.security.test_signin_throttling import from_address
from tests.support import make_user


def _without_ids(response: httpx.Response) -> tuple[int, dict]:
    return response.status_code, response.json()


async def test_a_bad_request_is_answered_the_same_whether_the_login_exists(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    await make_user("existing-login")
    code = compound.invites["A"]
    for extra in ({"password": "short"}, {"display_name": "管理员"}, {"display_name": "a\u202eb"}):
        taken = await register(client, code, "existing-login", **extra)
        free = await register(client, code, "free-login-1", **extra)
        assert taken.status_code == 422 and _without_ids(taken) == _without_ids(free), (extra, taken.text)
    assert not await User.filter(login="free-login-1").exists()


async def test_probing_logins_with_one_invite_is_throttled(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        compound = await compound_with_roll(client)
        tenant = await client.post(
            f"/api/v1/halls/{compound.slug}/invites",
            json={"role": "tenant", "max_uses": 100},
            headers=compound.committee,
        )
        code = tenant.json()["code"]
        for n in range(LIMITS["probe_invite"].limit):
            await make_user(f"known-{n}")
    async with from_address(server.url, 20) as prober:
        for n in range(LIMITS["probe_invite"].limit):
            answer = await register(prober, code, f"known-{n}", display_name="张三")
            assert answer.status_code == 409, answer.text
        blocked = await register(prober, code, "known-x", display_name="张三")
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # The invite itself is throttled, from any address; the block is in the audit log.
    async with from_address(server.url, 21) as other:
        assert (await register(other, code, "brand-new", display_name="张三")).status_code == 429
    assert await AuditEntry.filter(action="auth.throttled", object_type="register").count() >= 2


async def test_guessing_invite_codes_from_one_address_is_throttled(server) -> None:  # type: ignore[no-untyped-def]
    async with from_address(server.url, 22) as guesser:
        for n in range(LIMITS["probe_ip"].limit):
            guess = "ABCDEFGH" + ALPHABET[n % len(ALPHABET)] + ALPHABET[n // len(ALPHABET)]
            answer = await register(guesser, guess, "guesser", display_name="张三")
            assert answer.status_code == 404, answer.text
        statuses = {(await register(guesser, "ABCDEFGHJK", "guesser")).status_code for _ in range(3)}
        assert statuses == {429}
