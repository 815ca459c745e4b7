"""The turnout announced after each write (`ballot.turnout`) is the count of the ballots that stand,
without counting every slot of the vote again on every batch: the writer adds its own changes to the
totals it counted at the ledger's head, and counts again whenever the head is not the one it knows
(another process wrote)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from agora.ballots import queries
from tests.ballots.factories import cast, paper, set_roles, set_rules, voting_proposal
from tests.reliability.procs import AgoraProcess
from tests.rooms.factories import compound_with_roll


async def result_turnout(client: httpx.AsyncClient, proposal_id: int, headers: dict[str, str]) -> dict:
    body = (await client.get(f"/api/v1/proposals/{proposal_id}/result", headers=headers)).json()
    return body["turnout"]


class Announcements:
    """The hall's `ballot.turnout` events, as a member's phone receives them."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def next(self) -> dict:
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), timeout=10))
            if message.get("type") == "ballot.turnout":
                return message["turnout"]

    async def last(self, quiet: float = 0.5) -> dict:
        """The latest announcement once none has come for `quiet` seconds (with Redis configured the
        other process's announcement reaches this socket too, before this process's own)."""
        latest = await self.next()
        while True:
            try:
                latest = await asyncio.wait_for(self.next(), timeout=quiet)
            except TimeoutError:
                return latest


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every full count of a vote's slots (`queries.slot_totals`), by proposal id."""
    seen: list[int] = []
    real = queries.slot_totals

    async def counting(proposal_id: int) -> tuple[int, int]:
        seen.append(proposal_id)
        return await real(proposal_id)

    monkeypatch.setattr(queries, "slot_totals", counting)
    return seen


async def test_each_write_announces_the_standing_ballots_and_counts_them_once(
    client: httpx.AsyncClient, server: Any, counts: list[int]
) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, ballot_secrecy="named", revote=True)
    proposal = await voting_proposal(compound)
    pid = proposal.id
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    a, b = await compound.owner("A", "owner-a"), await compound.owner("B", "owner-b")
    async with websockets.connect(
        f"{server.ws_url}/ws/halls/{compound.slug}?format=json", additional_headers=a
    ) as socket:
        heard = Announcements(socket)
        steps = [
            lambda: cast(client, pid, a, "yes"),  # a new slot
            lambda: cast(client, pid, b, "no"),  # another
            lambda: cast(client, pid, a, "no"),  # a revote: the slot moves, the totals stay
            lambda: paper(client, pid, canvasser, "E", "yes"),  # a paper ballot
            lambda: client.post(f"/api/v1/proposals/{pid}/ballots/paper/4/undo", headers=canvasser),  # freed
            lambda: paper(client, pid, canvasser, "E", "abstain"),  # entered again
        ]
        for number, step in enumerate(steps, start=1):
            response = await step()
            assert response.status_code in (200, 201), (number, response.text)
            announced = await heard.next()
            assert announced == await result_turnout(client, pid, a), number
        assert announced["persons"] == 3  # A, B and E stand; E's first paper ballot was taken back
    # The result's reads count in full (six of them, above); the writer counted once, at the first write.
    writes = len(counts) - len(steps)
    assert writes == 1, counts


async def test_a_ballot_written_by_another_process_is_counted(
    client: httpx.AsyncClient, server: Any, counts: list[int], db_url: str, tmp_path: Path
) -> None:
    compound = await compound_with_roll(client)
    await set_rules(compound, ballot_secrecy="named")
    proposal = await voting_proposal(compound)
    pid = proposal.id
    a, b, c = [await compound.owner(ref, f"owner-{ref.lower()}") for ref in "ABD"]
    other = AgoraProcess(db_url, tmp_path / "other")
    await other.start()
    try:
        async with websockets.connect(
            f"{server.ws_url}/ws/halls/{compound.slug}?format=json", additional_headers=a
        ) as socket:
            heard = Announcements(socket)
            assert (await cast(client, pid, a, "yes")).status_code == 201
            assert (await heard.next())["persons"] == 1
            async with httpx.AsyncClient(base_url=other.url, timeout=30) as elsewhere:
                assert (await cast(elsewhere, pid, b, "no")).status_code == 201  # not seen by this process
            assert (await cast(client, pid, c, "yes")).status_code == 201
            announced = await heard.last()
        assert announced["persons"] == 3, announced
        assert announced == await result_turnout(client, pid, a)
        other.assert_clean_log()
    finally:
        other.stop()
