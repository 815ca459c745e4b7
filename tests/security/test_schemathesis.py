"""schemathesis against `/api/openapi.json` of a live test server (issue 9, item 9).

Every operation of the published schema gets a bounded number of generated requests, sent as a signed-in
member (an owner on the roll) so that they get past the 401s, then as the owners' committee and as an
administrator to reach what a member may not do; some are aimed at real objects (the compound's slug, an
open and a closed vote, a comment), the rest at whatever schemathesis makes up. Each response must
not be a 5xx and must conform to the schema: a documented status code, the documented content type, a
body that validates against the documented schema and headers as documented.

The requests are sent with `requests` (schemathesis' transport) from a worker thread, while the server
answers in this test's event loop.
"""

from __future__ import annotations

import asyncio
import re
import traceback
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.ballots.factories import cast, close_now, voting_proposal
from tests.conftest import LiveServer
from tests.rooms.factories import compound_with_roll
from tests.support import bearer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 6  # ×2 per operation and role: ~45 operations × 3 roles × 12 requests, well under a minute


async def test_schemathesis_finds_no_5xx_and_no_schema_mismatch(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        compound = await compound_with_roll(client)
        closed = await voting_proposal(compound, days=1)
        member = await compound.owner("A", "st-member")
        assert (await cast(client, closed.id, member, "yes")).status_code == 201  # for /ballots/mine
        for ref, choice in (("B", "yes"), ("E", "no")):
            voter = await compound.owner(ref, f"st-{ref}")
            assert (await cast(client, closed.id, voter, choice)).status_code == 201
        await close_now(closed)
        proposal = await voting_proposal(compound, days=30)
        made = await client.post(
            f"/api/v1/proposals/{proposal.id}/comments", json={"body": "first"}, headers=member
        )
        assert made.status_code == 201, made.text
        comment_id = made.json()["id"]
        raw = (await client.get("/api/openapi.json")).json()
        committee_login = f"{compound.slug}-committee"
        # DELETE /api/v1/auth/token revokes the token it is sent with: it gets a spare one each time.
        spares = {
            "member": [await bearer(client, "st-member") for _ in range(2 * EXAMPLES * 4)],
            "committee": [await bearer(client, committee_login) for _ in range(2 * EXAMPLES * 4)],
            "admin": [await bearer(client, "admin") for _ in range(2 * EXAMPLES * 4)],
        }
        roles = {"member": member, "committee": compound.committee, "admin": compound.admin}

    schema = schemathesis.openapi.from_dict(raw)
    failures: list[str] = []
    calls = 0

    def targets(path: str) -> list[dict[str, Any]]:
        """Real objects for the path's parameters: the compound, the member, an open and a closed vote."""
        names = set(re.findall(r"\{(\w+)\}", path))
        if not names:
            return []
        ids = [comment_id] if path.startswith("/api/v1/comments/") else [proposal.id, closed.id]
        out = []
        for id_ in ids if "id" in names else [None]:
            fixed = {"slug": compound.slug, "login": "st-member", "id": id_}
            out.append({k: v for k, v in fixed.items() if k in names})
        return out

    def run_operation(operation: Any, role: str) -> None:
        nonlocal calls
        path = operation.path
        method = operation.method.upper()
        strategy = st.one_of(
            operation.as_strategy(), *[operation.as_strategy(path_parameters=t) for t in targets(path)]
        )

        @settings(
            max_examples=2 * EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def probe(case: Any) -> None:
            nonlocal calls
            calls += 1
            headers = dict(roles[role])
            if method == "DELETE" and path == "/api/v1/auth/token":
                headers = spares[role].pop()
            case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS, timeout=30)

        try:
            probe()
        except (Exception, BaseExceptionGroup) as exc:  # one report per operation, then the next
            text = "".join(traceback.format_exception_only(exc)).strip()
            failures.append(f"{method} {path} as {role}:\n{text[:3000]}")

    def run_all() -> None:
        for role in roles:
            for result in schema.get_all_operations():
                run_operation(result.ok(), role)

    await asyncio.to_thread(run_all)
    assert calls > 1200, calls
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
