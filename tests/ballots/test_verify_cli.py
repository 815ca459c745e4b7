"""`agora verify` on a record exported from a real vote, and on tampered copies of it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from agora.ballots.chain import GENESIS, entry_hash
from agora.ballots.verify import public_roll_fingerprint
from agora.cli import main
from tests.ballots.factories import cast, close_now, paper, set_roles, set_rules, voting_proposal
from tests.rooms.factories import compound_with_roll


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`main()` reads settings from the environment: keep it away from ./var/."""
    monkeypatch.setenv("AGORA_SECRET_KEY", "test-secret")
    monkeypatch.setenv("AGORA_VAR_DIR", str(tmp_path / "cli-var"))
    monkeypatch.setenv("AGORA_LANG", "zh-CN")


async def exported(client: httpx.AsyncClient) -> dict[str, Any]:
    """A named vote's record (its ledger shows choices, which these forgeries rewrite); a secret
    vote's record is checked by tests/ballots/test_secret_votes.py and tests/verifier/."""
    compound = await compound_with_roll(client)
    await set_rules(compound, ballot_secrecy="named")
    proposal = await voting_proposal(compound)
    canvasser = await set_roles(compound, "grid-1", "canvasser")
    for ref, choice in (("A", "yes"), ("B", "no"), ("D", "yes")):
        assert (
            await cast(client, proposal.id, await compound.owner(ref, f"o-{ref}"), choice)
        ).status_code == 201
    assert (await paper(client, proposal.id, canvasser, "E", "yes")).status_code == 201
    proxy = {"name": "周", "id_last4": "0001", "authorization": f"委托书 WT-1：第{proposal.id}号议题"}
    assert (await paper(client, proposal.id, canvasser, "DEV", "abstain", proxy=proxy)).status_code == 201
    await close_now(proposal)
    response = await client.get(f"/api/v1/proposals/{proposal.id}/resolution", headers=compound.committee)
    assert response.status_code == 200
    return response.json()


def write(tmp_path: Path, record: dict[str, Any], name: str = "record.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return str(path)


def rechain(record: dict[str, Any]) -> None:
    """A forger with write access: renumber, relink and rehash everything, and the claimed head."""
    prev = GENESIS
    for seq, item in enumerate(record["ledger"]["entries"], start=1):
        item["seq"], item["prev"] = seq, prev
        cents = int(item["area"].replace(".", ""))
        item["hash"] = prev = entry_hash(
            record["proposal"]["id"], seq, item["receipt_hash"], item["choice"], item["persons"], cents,
            item["channel"], item["at"], item["replaces"], prev,
        )  # fmt: skip
    record["ledger"]["head"] = record["head"] = prev


async def test_a_real_record_holds_through_the_command_line(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    record = await exported(client)
    path = write(tmp_path, record)
    done = subprocess.run(  # noqa: ASYNC221 — the command as a user runs it
        [sys.executable, "-m", "agora.cli", "verify", path, "--head", record["head"]],
        capture_output=True,
        text=True,
        env={"AGORA_LANG": "en", "PATH": "/usr/bin:/bin", "AGORA_SECRET_KEY": "x"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "holds" in done.stdout and record["number"] in done.stdout


def _tampered(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    changed = copy.deepcopy(record)
    changed["ledger"]["entries"][1]["choice"] = "yes"
    cases["changed choice"] = changed
    removed = copy.deepcopy(record)
    del removed["ledger"]["entries"][1]
    cases["removed entry"] = removed
    inserted = copy.deepcopy(record)
    extra = copy.deepcopy(inserted["ledger"]["entries"][0])
    extra["receipt_hash"] = "f" * 64
    inserted["ledger"]["entries"].insert(1, extra)
    cases["inserted entry"] = inserted
    area = copy.deepcopy(record)
    area["roll"]["units"][0]["area"] = "189.50"
    cases["changed area in the roll"] = area
    refingered = copy.deepcopy(area)
    roll = refingered["roll"]
    roll["public_fingerprint"] = public_roll_fingerprint(roll["units"], roll["parking_counts"])
    cases["changed area, fingerprint recomputed"] = refingered
    verdict = copy.deepcopy(record)
    verdict["result"]["outcome"] = "passed" if record["result"]["outcome"] != "passed" else "no_decision"
    cases["changed verdict"] = verdict
    return cases


async def test_every_tampering_is_caught(
    client: httpx.AsyncClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = await exported(client)
    assert main(["verify", write(tmp_path, record)]) == 0
    for name, forged in _tampered(record).items():
        capsys.readouterr()
        assert main(["verify", write(tmp_path, forged, "forged.json")]) == 1, name
        assert "公告核验未通过" in capsys.readouterr().out, name


async def test_a_whole_rewritten_chain_is_caught_only_with_the_head(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    record = await exported(client)
    forged = copy.deepcopy(record)
    flipped = next(e for e in forged["ledger"]["entries"] if e["choice"] == "no")
    flipped["choice"] = "yes"
    rechain(forged)
    from agora.ballots.tally import CountedBallot, result_to_json, tally_owners

    ballots = [
        CountedBallot(e["choice"], e["persons"], int(e["area"].replace(".", "")))
        for e in forged["ledger"]["entries"]
    ]
    totals = forged["roll"]["totals"]
    forged["result"] = result_to_json(
        tally_owners("major", totals["persons"], int(totals["area"].replace(".", "")), ballots)
    )
    path = write(tmp_path, forged)
    assert main(["verify", path]) == 0  # consistent on its own
    assert main(["verify", path, "--head", record["head"]]) == 1


@pytest.mark.parametrize("content", ["not json", "[]"])
def test_unreadable_or_malformed_input_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert main(["verify", str(path)]) in (1, 2)
    assert main(["verify", str(tmp_path / "missing.json")]) == 2


async def test_verify_fetches_a_record_by_url(client: httpx.AsyncClient, server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    record = await exported(client)
    from tests.support import bearer

    headers = await bearer(client, "sunny-committee")
    monkeypatch.setenv("AGORA_TOKEN", headers["Authorization"][7:])
    url = f"{server.url}/api/v1/proposals/{record['proposal']['id']}/resolution"
    import asyncio

    code = await asyncio.to_thread(main, ["verify", url, "--head", record["head"]])
    assert code == 0
