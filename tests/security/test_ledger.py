"""Tampering with the stored ledger, roll snapshot or record in the DATABASE is detected by `agora verify`
on the exported record; an earlier export is an exact prefix of a later one (`agora verify --prefix`);
and an independent re-count, written here without agora's tally code, agrees with the app.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agora.ballots.chain import GENESIS, LedgerEntry, hash_of
from agora.ballots.electorate import snapshot_public_fingerprint
from agora.ballots.models import LedgerRow, Resolution
from agora.ballots.verify import verify_record
from agora.cli import main
from agora.proposals.models import Proposal
from agora.rooms.models import RollSnapshot
from tests.ballots.factories import close_now, set_rules, voting_proposal
from tests.reliability.procs import owner_tokens
from tests.rooms.factories import Compound, Row, admin_headers, compound_with_roll, roll_csv
from tests.support import bearer

ROWS = [Row("1", f"{100 + k}", f"{80 + k}.50", f"T{k}", f"业主{k}") for k in range(6)]
VOTES = {"T0": "yes", "T1": "no", "T2": "yes", "T3": "abstain", "T4": "yes"}


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AGORA_SECRET_KEY", "test-secret")
    monkeypatch.setenv("AGORA_VAR_DIR", str(tmp_path / "cli-var"))
    monkeypatch.setenv("AGORA_LANG", "en")


def write(tmp_path: Path, data: dict[str, Any], name: str) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


class Vote:
    def __init__(self, compound: Compound, tokens: dict[str, dict[str, str]]) -> None:
        self.compound, self.tokens, self.receipts = compound, tokens, {}
        self.secrecy = "secret"

    async def open_and_cast(self) -> Proposal:
        proposal = await voting_proposal(self.compound)
        for ref, choice in VOTES.items():
            response = await self.compound.client.post(
                f"/api/v1/proposals/{proposal.id}/ballots", json={"choice": choice}, headers=self.tokens[ref]
            )
            assert response.status_code == 201, response.text
            self.receipts[ref] = response.json()["entry_hash"]
        return proposal

    async def committee(self) -> dict[str, str]:
        """Fresh bearer headers (the clock travels past a token's lifetime between votes)."""
        return await bearer(self.compound.client, f"{self.compound.slug}-committee")

    async def record(self, proposal: Proposal) -> dict[str, Any]:
        response = await self.compound.client.get(
            f"/api/v1/proposals/{proposal.id}/resolution", headers=await self.committee()
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(params=["secret", "named"])
async def vote(client: httpx.AsyncClient, request: pytest.FixtureRequest) -> Vote:
    compound = await compound_with_roll(client, text=roll_csv(ROWS))
    await set_rules(compound, ballot_secrecy=request.param)
    # The tokens are issued by the test process: the owners voted.
    made = Vote(compound, await owner_tokens(compound.slug, list(VOTES), prefix="tam"))
    made.secrecy = request.param
    return made


async def _rehash(proposal_id: int) -> None:
    """A forger with database access recomputes every hash after an edit (a consistent rewrite)."""
    prev = GENESIS
    for row in await LedgerRow.filter(proposal_id=proposal_id).order_by("seq"):
        entry = LedgerEntry(
            row.seq, row.receipt_hash, row.choice, row.persons, int(row.area_cents), row.channel, row.at,
            row.replaces, prev, "", row.ciphertext, row.proof,
        )  # fmt: skip
        digest = hash_of(proposal_id, entry)  # agora-ledger/1, or /2 for a sealed ballot
        await LedgerRow.filter(id=row.id).update(prev=prev, hash=digest)
        prev = digest


async def _ledger_edit(kind: str, proposal_id: int) -> None:
    rows = await LedgerRow.filter(proposal_id=proposal_id).order_by("seq")
    second = rows[1]
    # The ballot's content: its choice, or for a secret vote its sealed ballot (here, the first one's).
    content = {"choice": "yes"} if not second.ciphertext else {"ciphertext": rows[0].ciphertext}
    if kind == "choice":
        await LedgerRow.filter(id=second.id).update(**content)
    elif kind == "choice, rehashed":
        await LedgerRow.filter(id=second.id).update(**content)
        await _rehash(proposal_id)
    elif kind == "deleted":
        await LedgerRow.filter(id=second.id).delete()
    elif kind == "deleted, renumbered and rehashed":
        await LedgerRow.filter(id=second.id).delete()
        for row in rows[2:]:
            await LedgerRow.filter(id=row.id).update(seq=row.seq - 1)
        await _rehash(proposal_id)
    elif kind == "inserted":
        await LedgerRow.create(
            proposal_id=proposal_id, seq=len(rows) + 1, receipt_hash="f" * 64, choice="yes",
            persons=1, area_cents=8050, channel="online", at=rows[-1].at, replaces=None,
            prev=rows[-1].hash, hash="e" * 64,
        )  # fmt: skip
    elif kind == "inserted, chained":
        await LedgerRow.create(
            proposal_id=proposal_id, seq=len(rows) + 1, receipt_hash="f" * 64, choice="yes",
            persons=1, area_cents=8550, channel="online", at=rows[-1].at, replaces=None,
            prev=rows[-1].hash, hash="e" * 64,
        )  # fmt: skip
        await _rehash(proposal_id)
    elif kind == "weight":
        await LedgerRow.filter(id=second.id).update(area_cents=int(second.area_cents) + 10000)
    elif kind == "weight, rehashed":
        await LedgerRow.filter(id=second.id).update(area_cents=int(second.area_cents) + 10000)
        await _rehash(proposal_id)
    elif kind == "time":
        await LedgerRow.filter(id=second.id).update(at="2001-01-01T00:00:00.000+00:00")
    elif kind == "swapped":
        await LedgerRow.filter(id=rows[0].id).update(seq=-1)
        await LedgerRow.filter(id=rows[1].id).update(seq=1)
        await LedgerRow.filter(id=rows[0].id).update(seq=2)
    else:  # pragma: no cover
        raise AssertionError(kind)


LEDGER_EDITS = [
    "choice", "choice, rehashed", "deleted", "deleted, renumbered and rehashed", "inserted",
    "inserted, chained", "weight", "weight, rehashed", "time", "swapped",
]  # fmt: skip


async def test_ledger_tampering_in_the_database_is_caught(vote: Vote, tmp_path: Path) -> None:
    """Each edit is made to the ballot_ledger table while the vote is open; the record built at the
    close from that table then fails `agora verify`, or — for a consistent rewrite — fails the voters'
    own receipts (an entry_hash a voter holds is no longer in the ledger) and `--head`."""
    record_kind = vote.secrecy
    for kind in LEDGER_EDITS:
        proposal = await vote.open_and_cast()
        honest_head = (await LedgerRow.filter(proposal_id=proposal.id).order_by("-seq").first()).hash  # type: ignore[union-attr]
        await _ledger_edit(kind, proposal.id)
        await close_now(proposal)
        if (await Proposal.get(id=proposal.id)).state != "closed":
            # The close refused the forged ledger: a chain broken at some entry (any edit not
            # rehashed), or a count that cannot be (more area than the scope holds). No record is
            # published over it.
            # A plain entry chained into a secret vote's sealed ledger is refused as well.
            assert (
                kind.startswith("weight")
                or not kind.endswith(("rehashed", "chained"))
                or (kind == "inserted, chained" and record_kind == "secret")
            ), kind
            await Proposal.filter(id=proposal.id).update(state="withdrawn")
            continue
        record = await vote.record(proposal)
        assert record["secrecy"] == record_kind
        path = write(tmp_path, record, "record.json")
        plain = main(["verify", path])
        with_head = main(["verify", path, "--head", honest_head])
        published = {e["hash"] for e in record["ledger"]["entries"]}
        receipts_found = all(h in published for h in vote.receipts.values())
        assert with_head == 1, kind
        assert plain == 1 or not receipts_found, kind


async def _snapshot_edit(kind: str, proposal: Proposal) -> None:
    snap = await RollSnapshot.get(id=proposal.snapshot_id)
    units = copy.deepcopy(snap.units)
    if kind == "unit area":
        units[5][3] = int(units[5][3]) + 100000
        await RollSnapshot.filter(id=snap.id).update(units=units)
    elif kind == "persons total":
        await RollSnapshot.filter(id=snap.id).update(persons_total=snap.persons_total + 3)
    elif kind == "area total":
        await RollSnapshot.filter(id=snap.id).update(area_cents_total=snap.area_cents_total - 5000)
    elif kind == "voter's unit area, totals adjusted":
        units[0][3] = int(units[0][3]) + 5000
        await RollSnapshot.filter(id=snap.id).update(
            units=units, area_cents_total=snap.area_cents_total + 5000
        )
    elif kind == "non-voter's unit area, totals adjusted":
        index = next(i for i, unit in enumerate(units) if list(unit[6]) == ["T5"])  # T5 did not vote
        units[index][3] = int(units[index][3]) + 5000
        await RollSnapshot.filter(id=snap.id).update(
            units=units, area_cents_total=snap.area_cents_total + 5000
        )
    elif kind == "unit removed":
        await RollSnapshot.filter(id=snap.id).update(units=units[:-1])
    else:  # pragma: no cover
        raise AssertionError(kind)


async def test_roll_snapshot_tampering_in_the_database_is_caught(vote: Vote, tmp_path: Path) -> None:
    for kind in (
        "unit area",
        "persons total",
        "area total",
        "voter's unit area, totals adjusted",
        "unit removed",
    ):
        proposal = await vote.open_and_cast()
        await _snapshot_edit(kind, proposal)
        await close_now(proposal)
        record = await vote.record(proposal)
        assert main(["verify", write(tmp_path, record, "record.json")]) == 1, kind


async def test_a_roll_rewritten_before_the_close_is_caught_by_the_fingerprint_published_at_opening(
    vote: Vote, tmp_path: Path
) -> None:
    """A consistent rewrite of the frozen roll before the close (a non-voter's area and the totals
    together) leaves a record that holds on its own; the fingerprint published when voting opened
    catches it, given to `agora verify --roll` or carried by the record as `roll.published_fingerprint`.
    """
    honest = await vote.open_and_cast()
    honest_published = snapshot_public_fingerprint(await RollSnapshot.get(id=honest.snapshot_id))
    await close_now(honest)
    honest_record = await vote.record(honest)
    honest_path = write(tmp_path, honest_record, "honest.json")
    assert main(["verify", honest_path, "--roll", honest_published]) == 0
    assert main(["verify", honest_path, "--roll", honest_published.upper() + " "]) == 0
    assert honest_record["roll"]["public_fingerprint"] == honest_published

    proposal = await vote.open_and_cast()
    published = snapshot_public_fingerprint(await RollSnapshot.get(id=proposal.snapshot_id))
    await _snapshot_edit("non-voter's unit area, totals adjusted", proposal)
    await close_now(proposal)
    record = await vote.record(proposal)
    bare = copy.deepcopy(record)
    bare["roll"].pop("published_fingerprint", None)
    assert verify_record(bare).ok  # the known limit: on its own, the rewritten roll holds together
    path = write(tmp_path, bare, "rewritten.json")
    assert main(["verify", path, "--roll", published]) == 1
    assert main(["verify", path, "--roll", honest_published]) == 1
    carried = copy.deepcopy(bare)
    carried["roll"]["published_fingerprint"] = published
    report = verify_record(carried)
    assert not report.ok
    assert any(published in problem for problem in report.problems), report.problems
    honest_carried = copy.deepcopy(honest_record)
    honest_carried["roll"]["published_fingerprint"] = honest_published
    assert verify_record(honest_carried).ok
    honest_carried["roll"]["published_fingerprint"] = 7
    assert not verify_record(honest_carried).ok


async def test_the_roll_fingerprint_is_public_from_the_opening(vote: Vote) -> None:
    proposal = await vote.open_and_cast()
    published = snapshot_public_fingerprint(await RollSnapshot.get(id=proposal.snapshot_id))
    headers = vote.tokens["T0"]
    client = vote.compound.client
    api = await client.get(f"/api/v1/proposals/{proposal.id}", headers=headers)
    result = await client.get(f"/api/v1/proposals/{proposal.id}/result", headers=headers)
    page = await client.get(f"/proposals/{proposal.id}/vote", headers=headers)
    assert api.status_code == result.status_code == page.status_code == 200
    assert published in api.text, "the proposal's JSON (its timeline) states the roll fingerprint"
    assert published in result.text, "the vote's JSON states the roll fingerprint"
    assert published in page.text, "the vote page shows the roll fingerprint"
    await close_now(proposal)
    record = await vote.record(proposal)
    assert record["roll"].get("published_fingerprint") == published


async def test_stored_record_tampering_is_caught_and_an_earlier_export_is_a_prefix(
    vote: Vote, tmp_path: Path
) -> None:
    proposal = await vote.open_and_cast()
    await close_now(proposal)
    first = await vote.record(proposal)
    first_path = write(tmp_path, first, "first.json")
    ledger = await vote.compound.client.get(
        f"/api/v1/proposals/{proposal.id}/ledger", headers=await vote.committee()
    )
    assert ledger.status_code == 200
    ledger_path = write(tmp_path, ledger.json(), "ledger.json")
    # Later exports of an untouched vote: the earlier one is an exact prefix, both ways of exporting.
    again_path = write(tmp_path, await vote.record(proposal), "again.json")
    assert main(["verify", "--prefix", first_path, again_path]) == 0
    assert main(["verify", "--prefix", ledger_path, again_path]) == 0
    assert main(["verify", "--prefix", first_path, ledger_path]) == 0

    resolution = await Resolution.get(proposal_id=proposal.id)
    for name, edit in {
        "choice in the stored record": lambda d: d["ledger"]["entries"][1].__setitem__("choice", "yes"),
        "verdict in the stored record": lambda d: d["result"].__setitem__(
            "outcome", "no_decision" if d["result"]["outcome"] == "passed" else "passed"
        ),
        "entry removed from the stored record": lambda d: d["ledger"]["entries"].pop(1),
        "roll area in the stored record": lambda d: d["roll"]["units"][0].__setitem__("area", "999.00"),
        "totals in the stored record": lambda d: d["roll"]["totals"].__setitem__("persons", 99),
    }.items():
        document = copy.deepcopy(resolution.document)
        edit(document)
        await Resolution.filter(id=resolution.id).update(document=document)
        forged = await vote.record(proposal)
        forged_path = write(tmp_path, forged, "forged.json")
        assert main(["verify", forged_path]) == 1, name
    # A consistent rewrite of the whole chain in the database and in the stored record.
    await Resolution.filter(id=resolution.id).update(document=resolution.document)
    rows = await LedgerRow.filter(proposal_id=proposal.id).order_by("seq")
    content = {"choice": "yes"} if not rows[1].ciphertext else {"ciphertext": rows[0].ciphertext}
    await LedgerRow.filter(id=rows[1].id).update(**content)
    await _rehash(proposal.id)
    document = copy.deepcopy(resolution.document)
    fresh = await LedgerRow.filter(proposal_id=proposal.id).order_by("seq")
    for item, row in zip(document["ledger"]["entries"], fresh, strict=True):
        item.update(
            prev=row.prev,
            hash=row.hash,
            **({"ciphertext": row.ciphertext} if row.ciphertext else {"choice": row.choice}),
        )
    document["ledger"]["head"] = document["head"] = fresh[-1].hash
    await Resolution.filter(id=resolution.id).update(document=document)
    rewritten_path = write(tmp_path, await vote.record(proposal), "rewritten.json")
    assert main(["verify", rewritten_path, "--head", first["head"]]) == 1
    assert main(["verify", "--prefix", first_path, rewritten_path]) == 1
    later_ledger = await vote.compound.client.get(
        f"/api/v1/proposals/{proposal.id}/ledger", headers=await vote.committee()
    )
    assert main(["verify", "--prefix", ledger_path, write(tmp_path, later_ledger.json(), "l2.json")]) == 1


def test_prefix_command_reports_unreadable_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["verify", "--prefix", str(bad), str(bad)]) == 2
    empty = write(tmp_path, {"entries": [], "head": GENESIS}, "empty.json")
    assert main(["verify", "--prefix", empty, empty]) == 0


# --- an independent re-count --------------------------------------------------------------------


def independent_outcome(matter: str, n_total: int, a_total: int, ballots: list[tuple[str, int, int]]) -> dict:
    """art. 278 from docs/domain.md, in integers only: quorum 2/3 of persons and area (inclusive), then
    3/4 of participating (major, inclusive) or more than 1/2 (ordinary, strict), both measures."""
    n_p = sum(p for _c, p, _a in ballots)
    a_p = sum(a for _c, _p, a in ballots)
    n_y = sum(p for c, p, _a in ballots if c == "yes")
    a_y = sum(a for c, _p, a in ballots if c == "yes")
    quorum = 3 * n_p >= 2 * n_total and 3 * a_p >= 2 * a_total
    if matter == "major":
        approved = 4 * n_y >= 3 * n_p and 4 * a_y >= 3 * a_p
    else:
        approved = 2 * n_y > n_p and 2 * a_y > a_p
    return {"passed": quorum and approved and n_p > 0, "n_p": n_p, "a_p": a_p, "n_y": n_y, "a_y": a_y}


def cents(text: str) -> int:
    whole, _dot, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


roll_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=3),  # units held by this person
        st.integers(min_value=3000, max_value=25000),  # area cents per unit
        st.sampled_from(["yes", "no", "abstain", None]),  # their vote, None = did not vote
        st.booleans(),  # co-owned (a second owner on the same units)
    ),
    min_size=2,
    max_size=9,
)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(people=roll_strategy, major=st.booleans(), developer_units=st.integers(min_value=0, max_value=3))
async def test_an_independent_recount_agrees_with_the_app(
    client: httpx.AsyncClient, people, major, developer_units
) -> None:  # type: ignore[no-untyped-def]
    global _RUN
    _RUN += 1
    slug = f"rc{_RUN}"
    admin = _ADMIN.get("h") or await admin_headers(client, "rc-admin")
    _ADMIN["h"] = admin
    rows: list[Row] = []
    expected_units = 0
    persons, area, ballots_of = 0, 0, {}
    for p, (units, unit_cents, choice, co_owned) in enumerate(people):
        weight = 0
        for u in range(units):
            label, text = f"{p}{u:02d}", f"{unit_cents // 100}.{unit_cents % 100:02d}"
            rows.append(Row("1", label, text, f"R{p}", f"甲{p}"))
            if co_owned:
                rows.append(Row("1", label, text, f"R{p}b", f"乙{p}"))
            weight += unit_cents
            expected_units += 1
        persons += 1
        area += weight
        if choice is not None:
            ballots_of[f"R{p}"] = (choice, 1, weight)
    if developer_units:
        dev_weight = 0
        for u in range(developer_units):
            rows.append(Row("2", f"D{u}", "50.00", "DEV", "开发商", status="unsold"))
            dev_weight += 5000
        persons += 1
        area += dev_weight
    compound = await compound_with_roll(
        client, slug=slug, community=f"{slug}-c", text=roll_csv(rows), admin=admin
    )
    # Re-counted here from the exported choices: a named vote (a secret one's are sealed; the
    # verifier's agreement with the server on secret votes is tests/verifier/test_agreement.py).
    await set_rules(compound, ballot_secrecy="named")
    assert compound.roll["persons"] == persons and cents(compound.roll["area"]) == area
    proposal = await voting_proposal(
        compound, matter="major" if major else "ordinary", item=7 if major else 4
    )
    tokens = await owner_tokens(slug, list(ballots_of), prefix=slug)
    for ref, (choice, _p, _a) in ballots_of.items():
        response = await client.post(
            f"/api/v1/proposals/{proposal.id}/ballots", json={"choice": choice}, headers=tokens[ref]
        )
        assert response.status_code == 201, response.text
    await close_now(proposal)
    record = (
        await client.get(f"/api/v1/proposals/{proposal.id}/resolution", headers=compound.committee)
    ).json()
    mine = independent_outcome(record["proposal"]["matter"], persons, area, list(ballots_of.values()))
    # The same re-count from the exported JSON alone: effective entries (none replaced here).
    replaced = {e["replaces"] for e in record["ledger"]["entries"] if e["replaces"] is not None}
    exported = [
        (e["choice"], e["persons"], cents(e["area"]))
        for e in record["ledger"]["entries"]
        if e["seq"] not in replaced
    ]
    from_json = independent_outcome(
        record["proposal"]["matter"],
        record["roll"]["totals"]["persons"],
        cents(record["roll"]["totals"]["area"]),
        exported,
    )
    assert from_json == mine
    result = record["result"]
    assert (result["outcome"] == "passed") == mine["passed"], (mine, result)
    assert result["participating"]["persons"] == mine["n_p"]
    assert cents(result["participating"]["area"]) == mine["a_p"]
    yes = result["choices"].get("yes", {"persons": 0, "area": "0.00"})
    assert yes["persons"] == mine["n_y"] and cents(yes["area"]) == mine["a_y"]


_RUN = 0
_ADMIN: dict[str, dict[str, str]] = {}
