"""Secret votes over HTTP: the ledger and record carry sealed ballots, the totals are proven, nothing
published after close links a choice to a unit, and a broken chain is refused by close and certify."""

from __future__ import annotations

import asyncio
import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import websockets

from agora.ballots.models import LedgerRow, VoteKey
from agora.i18n import use_locale
from agora.verifier import verify_record
from tests.ballots.factories import (
    cast,
    close_now,
    paper,
    record_of,
    set_roles,
    set_rules,
    simple_compound,
    voting_proposal,
)
from tests.ballots.pdftext import extract_text
from tests.rooms.factories import Row

ROOT = Path(__file__).resolve().parents[2]
# A and B hold flats of the same area: swapping their choices leaves every total unchanged.
ROWS = [
    Row("1", "101", "100.00", "A", "甲"),
    Row("1", "102", "100.00", "B", "乙"),
    Row("1", "201", "80.25", "C", "丙"),
    Row("2", "101", "120.50", "D", "丁"),
    Row("2", "102", "95.10", "E", "戊"),
]


async def _vote(client: httpx.AsyncClient, compound, owners, choices: dict[str, str], canvasser=None):
    proposal = await voting_proposal(compound)
    for ref, choice in choices.items():
        if ref == "E" and canvasser is not None:
            response = await paper(client, proposal.id, canvasser, "E", choice)
        else:
            response = await cast(client, proposal.id, owners[ref], choice)
        assert response.status_code == 201, response.text
    return proposal


async def _compound(client: httpx.AsyncClient, slug: str = "sealed"):
    compound = await simple_compound(client, ROWS, slug=slug)
    owners = {ref: await compound.owner(ref, f"{slug}-{ref.lower()}") for ref in "ABCD"}
    canvasser = await set_roles(compound, f"{slug}-canvasser", "canvasser")
    return compound, owners, canvasser


async def test_a_secret_vote_seals_every_channel_and_proves_its_totals(client: httpx.AsyncClient) -> None:
    compound, owners, canvasser = await _compound(client)
    proposal = await _vote(client, compound, owners, {"A": "yes", "B": "no", "C": "yes", "D": "abstain",
                                                      "E": "no"}, canvasser)  # fmt: skip
    rows = await LedgerRow.filter(proposal_id=proposal.id).order_by("seq")
    assert len(rows) == 5 and all(r.choice == "" and r.ciphertext and r.proof for r in rows)
    key = await VoteKey.get(proposal_id=proposal.id)
    assert key.sealed is not None
    mine = await client.get(f"/api/v1/proposals/{proposal.id}/ballots/mine", headers=owners["A"])
    assert mine.status_code == 200 and mine.json()["choice"] is None  # agora keeps no choice
    assert await close_now(proposal) == 1
    key = await VoteKey.get(proposal_id=proposal.id)
    assert key.sealed is None and key.destroyed_at is not None  # destroyed in the closing transaction
    record = record_of(await client.get(f"/api/v1/proposals/{proposal.id}/resolution", headers=owners["A"]))
    assert record["secrecy"] == "secret" and record["entry_count"] == 5
    assert all("choice" not in entry for entry in record["ledger"]["entries"])
    assert record["result"]["choices"]["yes"] == {"persons": 2, "area": "180.25"}
    assert record["result"]["choices"]["no"] == {"persons": 2, "area": "195.10"}  # B online, E on paper
    with use_locale("en"):
        report = verify_record(record, expected_head=record["head"])
    assert report.problems == []
    ledger = (await client.get(f"/api/v1/proposals/{proposal.id}/ledger", headers=owners["B"])).json()
    assert ledger["entries"] == record["ledger"]["entries"]


def _mask(text: str, proposal_id: int) -> str:
    text = re.sub(r"[0-9a-f]{12,}", "<hex>", text)  # ciphertexts, proofs, hashes, shares
    text = re.sub(r"<code>[0-9a-f]{6,}</code>", "<code><hex></code>", text)  # shortened receipt hashes
    text = re.sub(r"[0-9a-f]{6,}…", "<hex>", text)
    text = re.sub(r"\d{4}-\d\d-\d\d[T ][\d:.]+(?:[+-]\d\d:?\d\d|Z)?", "<time>", text)
    text = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d\d(?::\d\d)?", "<time>", text)
    text = re.sub(r'(name="(?:csrf_token|idempotency_key)" value=")[^"]+', r"\1<tok>", text)
    text = re.sub(r'csrf[^"]*"[^"]*"', "<csrf>", text)
    text = re.sub(r"[0-9]{4}-[0-9]{3}", "<number>", text)  # record numbers
    text = re.sub(rf"(proposals/|proposal=|-){proposal_id}(?=[\"/?#-])", r"\1<id>", text)
    text = re.sub(rf"(\"(?:proposal|id)\":\s?){proposal_id}(?!\d)", r"\1<id>", text)
    return text


async def test_nothing_published_after_close_links_a_choice_to_a_unit(client: httpx.AsyncClient) -> None:
    """Two closed secret votes where A and B (same area) swapped their choices look the same in every
    published artifact -- ledger, record, pages, PDF, the receipt lookup by another member."""
    compound, owners, canvasser = await _compound(client, "swap")
    while (await voting_proposal(compound)).id < 10:  # two-digit ids: masked apart from "-1", "2/3"
        pass
    first = await _vote(client, compound, owners, {"A": "yes", "B": "no", "C": "yes", "E": "no"}, canvasser)
    second = await _vote(client, compound, owners, {"A": "no", "B": "yes", "C": "yes", "E": "no"}, canvasser)
    await close_now(second)
    resident = await set_roles(compound, "swap-resident", "member")
    paths = [
        "/api/v1/proposals/{id}/result",
        "/api/v1/proposals/{id}/ledger",
        "/api/v1/proposals/{id}/resolution",
        "/proposals/{id}",
        "/proposals/{id}/result",
        "/proposals/{id}/resolution",
        "/proposals/{id}/resolution.pdf",
    ]
    checked = 0
    for who, headers in {
        "owner B": owners["B"],
        "committee": compound.committee,
        "resident": resident,
    }.items():
        for template in paths:
            a = await client.get(template.format(id=first.id), headers=headers)
            b = await client.get(template.format(id=second.id), headers=headers)
            assert a.status_code == b.status_code == 200, (who, template, a.status_code)
            if template.endswith(".pdf"):
                left, right = extract_text(a.content), extract_text(b.content)
            else:
                left, right = a.text, b.text
            left, right = _mask(left, first.id), _mask(right, second.id)
            if left != right:
                diff = "\n".join(
                    list(difflib.unified_diff(left.splitlines(), right.splitlines(), lineterm=""))[:40]
                )
                raise AssertionError(f"{who} {template}:\n{diff}")
            checked += 1
    assert checked == 21
    # The record of each vote: no entry carries a choice, and the units that took part are public.
    record = (await client.get(f"/api/v1/proposals/{first.id}/resolution", headers=resident)).json()
    assert {(p["building"], p["unit"]) for p in record["participation"]} == {
        ("1", "101"),
        ("1", "102"),
        ("1", "201"),
        ("2", "102"),
    }
    assert not any(key in json.dumps(record["ledger"]) for key in ('"yes"', '"no"', '"choice"'))


async def test_a_receipt_proves_inclusion_not_the_choice(client: httpx.AsyncClient) -> None:
    compound, owners, _canvasser = await _compound(client, "rcpt")
    proposal = await voting_proposal(compound)
    receipt = (await cast(client, proposal.id, owners["A"], "yes")).json()["receipt"]
    await cast(client, proposal.id, owners["B"], "no")
    await close_now(proposal)
    # Anyone the receipt is shown to (here owner B) finds the entry, counted, and no choice.
    page = await client.get(f"/proposals/{proposal.id}/resolution?receipt={receipt}", headers=owners["B"])
    assert page.status_code == 200
    found = re.search(r'<p class="ok" role="status">(.*?)</p>', page.text, re.S)
    assert found is not None
    assert not re.search(r"同意|反对|弃权|\b(yes|no|abstain)\b", found.group(1), re.I), found.group(1)


async def test_closing_refuses_a_broken_chain_and_names_the_entry(client: httpx.AsyncClient) -> None:
    compound, owners, _canvasser = await _compound(client, "broken")
    proposal = await _vote(client, compound, owners, {"A": "yes", "B": "no", "C": "yes"})
    other = await LedgerRow.get(proposal_id=proposal.id, seq=3)
    await LedgerRow.filter(proposal_id=proposal.id, seq=2).update(ciphertext=other.ciphertext)
    moderator = await set_roles(compound, "broken-mod", "moderator")
    assert await close_now(proposal) == 0  # the scheduled close refuses, and keeps trying
    response = await client.post(
        f"/api/v1/proposals/{proposal.id}/transition", json={"to": "closed"}, headers=moderator
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "ledger_broken"
    assert "2" in response.json()["error"]["message"]
    assert (await VoteKey.get(proposal_id=proposal.id)).sealed is not None  # nothing was opened


async def test_certifying_refuses_a_ledger_changed_after_close(client: httpx.AsyncClient) -> None:
    compound, owners, _canvasser = await _compound(client, "certx")
    proposal = await _vote(client, compound, owners, {"A": "yes", "B": "yes", "C": "no", "D": "yes"})
    await close_now(proposal)
    await LedgerRow.filter(proposal_id=proposal.id, seq=4).delete()
    response = await client.post(
        f"/api/v1/proposals/{proposal.id}/resolution/certify", headers=compound.committee
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "ledger_broken"
    assert "4" in response.json()["error"]["message"]


async def test_agora_verify_fails_on_an_appended_entry(client: httpx.AsyncClient, tmp_path: Path) -> None:
    compound, owners, _canvasser = await _compound(client, "cli")
    proposal = await _vote(client, compound, owners, {"A": "yes", "B": "no", "C": "yes"})
    await close_now(proposal)
    record = record_of(await client.get(f"/api/v1/proposals/{proposal.id}/resolution", headers=owners["A"]))
    head = record["head"]
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")

    def verify() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "agora.cli", "verify", str(path), "--head", head],
            cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"},
            timeout=120, check=False,
        )  # fmt: skip

    assert verify().returncode == 0, verify().stdout
    extra = dict(record["ledger"]["entries"][0], seq=4, prev=head)
    record["ledger"]["entries"].append(extra)
    record["entry_count"] = 4
    path.write_text(json.dumps(record), encoding="utf-8")
    assert verify().returncode == 1


async def test_named_mode_shows_choices_to_owners_only_after_close(client: httpx.AsyncClient) -> None:
    compound, owners, _canvasser = await _compound(client, "named")
    await set_rules(compound, ballot_secrecy="named")
    proposal = await _vote(client, compound, owners, {"A": "yes", "B": "no"})
    assert not await VoteKey.filter(proposal_id=proposal.id).exists()
    url = f"/api/v1/proposals/{proposal.id}/ballots/named"
    assert (await client.get(url, headers=owners["A"])).status_code == 409  # never before close
    await close_now(proposal)
    named = await client.get(url, headers=owners["C"])
    assert named.status_code == 200, named.text
    units = {(u["building"], u["unit"]): u["choice"] for u in named.json()["units"]}
    assert units == {("1", "101"): "yes", ("1", "102"): "no"}
    resident = await set_roles(compound, "named-resident", "member")
    assert (await client.get(url, headers=resident)).status_code == 403  # owners of the scope only
    record = record_of(await client.get(f"/api/v1/proposals/{proposal.id}/resolution", headers=owners["A"]))
    assert record["secrecy"] == "named"


async def test_the_named_list_of_a_secret_vote_does_not_exist(client: httpx.AsyncClient) -> None:
    compound, owners, _canvasser = await _compound(client, "nolist")
    proposal = await _vote(client, compound, owners, {"A": "yes"})
    await close_now(proposal)
    response = await client.get(f"/api/v1/proposals/{proposal.id}/ballots/named", headers=owners["A"])
    assert response.status_code == 404


async def test_live_turnout_of_a_secret_vote_moves_in_steps(client: httpx.AsyncClient, server) -> None:  # type: ignore[no-untyped-def]
    """Every ballot.turnout event of a secret vote carries persons in steps of five and area in steps,
    so watching the live events does not tell which flat just voted."""
    rows = [Row("1", f"{n:03d}", f"{80 + n}.{n:02d}", f"O{n}", f"业主{n}") for n in range(1, 8)]
    compound = await simple_compound(client, rows, slug="live")
    proposal = await voting_proposal(compound)
    owners = [await compound.owner(f"O{n}", f"live-{n}") for n in range(1, 8)]
    seen: list[dict] = []
    async with websockets.connect(
        f"{server.ws_url}/ws/halls/{compound.slug}?format=json", additional_headers=owners[0]
    ) as socket:
        for headers in owners[:6]:
            assert (await cast(client, proposal.id, headers, "yes")).status_code == 201
            message: dict = {}
            while message.get("type") != "ballot.turnout":
                message = json.loads(await asyncio.wait_for(socket.recv(), timeout=5))
            seen.append(message["turnout"])
    assert [t["persons"] for t in seen] == [0, 0, 0, 0, 5, 5]
    assert {t["area"] for t in seen} <= {"0.00", "100.00", "200.00", "300.00", "400.00", "500.00"}
    result = (await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=owners[6])).json()
    assert result["turnout"]["persons"] == 5  # the API shows the same steps as the live events
