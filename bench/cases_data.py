"""Data benchmarks: roll import, the tally against a raw SQL aggregate, the resolution PDF, growth."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import Any

from bench.harness import Context, Result
from bench.world import World, ensure_compound, roll_csv, shared_world

REPEAT = 5  # timings of a single call: the median of this many calls, per run


def bench_roll_import(ctx: Context) -> Result:
    """`PUT /api/v1/halls/{slug}/roll` of a 20,000-unit roll, timed from request to response."""
    n = ctx.sizes.roll_units
    result = Result("roll_import", f"Importing a {n:,}-unit roll")
    world = shared_world(ctx, purpose="data")
    csv = roll_csv(n, prefix="ri").encode()
    seconds = result.figure("import time", "s")
    for run in range(ctx.runs):
        slug = ensure_compound(world, f"bench-roll-{run}")
        started = time.perf_counter()
        response = world.call(
            "PUT", f"/api/v1/halls/{slug}/roll", csv, content_type="text/csv; charset=utf-8"
        )
        elapsed = time.perf_counter() - started
        world.require(response, "roll import API", 200)
        seconds.values.append(elapsed)
        result.details[f"run{run + 1}"] = {"seconds": elapsed, "units": response.json().get("units")}
    median = seconds.as_dict()["value"]["median"]
    result.target("≤ 5 s", None if median is None else median <= 5)
    result.details["csv_bytes"] = len(csv)
    result.notes.append(
        "each run imports into a new compound (first import: every unit, owner and invite is new)"
    )
    return result


# --- a closed-or-open vote with n ballots -----------------------------------------------------------


def vote_with_ballots(ctx: Context, world: World, persons: int) -> int:
    """A compound with `persons` owners, a vote open on it, and one ballot from each of them.

    The roll goes through the API and the vote is opened through the API; the ballots are appended in
    bulk to the ledger with agora's own hash chain (`agora.ballots.chain.append`), because casting
    100,000 ballots through the API would take longer than the rest of the run (the ballots benchmark
    measures casting).
    """
    from bench.cases_http import import_roll, open_vote

    key = f"vote:{persons}"
    if key in world.compounds:
        return int(world.compounds[key])
    slug = ensure_compound(world, f"bench-tally-{persons}")
    # The ballots below are plain ledger entries (the plain tally and the PDF are measured here), so the
    # compound votes by name; the sealed path of a secret vote is measured by `secret_tally`.
    named = world.call("PUT", f"/api/v1/halls/{slug}/rules", {"ballot_secrecy": "named"})
    world.require(named, "named ballots rule", 200)
    import_roll(world, slug, persons, f"t{persons}-")
    proposal_id = open_vote(world, slug, f"Tally of {persons:,}")
    world.db(lambda: _append_ballots(proposal_id))
    world.compounds[key] = proposal_id
    return proposal_id


async def _append_ballots(proposal_id: int) -> int:
    from datetime import UTC, datetime

    from tortoise.transactions import in_transaction

    from agora.ballots import electorate
    from agora.ballots.chain import GENESIS, append, hash_receipt, receipt_code
    from agora.ballots.models import BallotSlot, LedgerRow
    from agora.proposals.models import Proposal

    proposal = await Proposal.get(id=proposal_id)
    snapshot = await electorate.load_snapshot(proposal)
    ref_of = {person: ref for ref, person in electorate.snapshot_person_of(snapshot).items()}
    now = datetime.now(UTC)
    at = now.isoformat(timespec="milliseconds")
    prev, rows, slots = GENESIS, [], []
    for seq, (person, area) in enumerate(electorate.person_weights(snapshot).items(), 1):
        choice = ("yes", "yes", "yes", "no", "abstain")[seq % 5]
        entry = append(
            prev,
            proposal_id,
            seq,
            receipt_hash=hash_receipt(receipt_code()),
            choice=choice,
            persons=1,
            area_cents=area,
            channel="online",
            at=at,
        )
        prev = entry.hash
        rows.append(
            LedgerRow(
                proposal_id=proposal_id,
                seq=seq,
                receipt_hash=entry.receipt_hash,
                choice=choice,
                persons=1,
                area_cents=area,
                channel="online",
                at=at,
                prev=entry.prev,
                hash=entry.hash,
            )
        )
        slots.append(
            BallotSlot(
                proposal_id=proposal_id,
                person_key=person,
                seq=seq,
                channel="online",
                area_cents=area,
                owner_ref=ref_of.get(person, ""),
                created_at=now,
            )
        )
    async with in_transaction():
        await LedgerRow.bulk_create(rows, batch_size=1000)
        await BallotSlot.bulk_create(slots, batch_size=1000)
    return len(rows)


async def _agora_tally(proposal_id: int) -> dict[str, Any]:
    """The count as agora makes it: the proposal, its frozen roll's totals, the effective ballots of
    the ledger (`counted_ballots`: the columns the count needs) → the art. 278 tally."""
    from agora.ballots import electorate
    from agora.ballots.ledger import counted_ballots
    from agora.ballots.tally import tally_owners
    from agora.proposals.models import Proposal

    proposal = await Proposal.get(id=proposal_id)
    snapshot = await electorate.load_snapshot(proposal)
    ballots = await counted_ballots(proposal_id)
    result = tally_owners(proposal.matter, snapshot.persons_total, snapshot.area_cents_total, ballots)
    return {"outcome": result.outcome, "ballots": len(ballots)}


RAW_READS = (
    "SELECT matter, snapshot_id FROM proposals WHERE id = ?",
    "SELECT persons_total, area_cents_total FROM roll_snapshots WHERE id = ?",
    # the effective ballots' columns, as agora.ballots.ledger.counted_ballots reads them
    "SELECT choice, persons, area_cents FROM ballot_ledger WHERE proposal_id = ? AND choice != ?"
    " AND seq NOT IN (SELECT replaces FROM ballot_ledger WHERE proposal_id = ? AND replaces IS NOT NULL)"
    " ORDER BY seq",
)


def raw_read(db: Any, proposal_id: int) -> int:
    from agora.ballots.chain import WITHDRAWN

    """Plain sqlite3 reading the columns the count needs: the proposal's, the roll's totals, the ledger's."""
    _matter, snapshot_id = db.execute(RAW_READS[0], (proposal_id,)).fetchone()
    db.execute(RAW_READS[1], (snapshot_id,)).fetchone()
    return len(db.execute(RAW_READS[2], (proposal_id, WITHDRAWN, proposal_id)).fetchall())


def time_tally(world: World, proposal_id: int) -> tuple[float, float, dict[str, Any]]:
    """Median milliseconds of agora's count and of plain sqlite3 reading the same columns."""
    import sqlite3

    from bench.world import with_database

    if not world.database_url.startswith("sqlite"):
        raise RuntimeError("the raw read baseline is SQLite")
    path = world.database_url.split("://", 1)[1]

    async def agora_side() -> tuple[list[float], dict[str, Any]]:
        times, outcome = [], {}
        for _ in range(REPEAT):
            started = time.perf_counter()
            outcome = await _agora_tally(proposal_id)
            times.append((time.perf_counter() - started) * 1000)
        return times, outcome

    def raw_side() -> list[float]:
        times = []
        db = sqlite3.connect(path)
        try:
            for _ in range(REPEAT):
                started = time.perf_counter()
                raw_read(db, proposal_id)
                times.append((time.perf_counter() - started) * 1000)
        finally:
            db.close()
        return times

    agora_times, outcome = with_database(world.database_url, agora_side)
    raw_times = raw_side()
    return statistics.median(agora_times), statistics.median(raw_times), outcome


def bench_tally(ctx: Context) -> Result:
    n = ctx.sizes.tally_persons
    result = Result("tally", f"Tally of a {n:,}-person vote")
    world = shared_world(ctx, purpose="data")
    proposal_id = vote_with_ballots(ctx, world, n)
    tally = result.figure(
        "count: ledger → art. 278 result", "ms", baseline_label="sqlite3 reading the columns the count needs"
    )
    for run in range(ctx.runs):
        agora_ms, raw_ms, outcome = time_tally(world, proposal_id)
        tally.values.append(agora_ms)
        tally.baseline.append(raw_ms)
        result.details[f"run{run + 1}"] = {"agora_ms": agora_ms, "raw_ms": raw_ms, **outcome}
    ratio = tally.as_dict()["ratio"]["median"]
    result.target("≤ 2× reading its columns with plain sqlite3", None if ratio is None else ratio <= 2)
    result.notes.append(
        f"agora's count runs in the bench process on agora's own connection (median of {REPEAT} calls "
        "per run): the proposal, the frozen roll's totals, the ledger's effective ballots, art. 278; the "
        "baseline reads the same columns with the same statements (proposal, roll totals, each effective "
        "ballot's "
        "choice, persons and area) with plain sqlite3, in the same process"
    )
    return result


def bench_resolution_pdf(ctx: Context) -> Result:
    n = ctx.sizes.pdf_ballots
    result = Result("resolution_pdf", f"Resolution PDF of a {n:,}-ballot vote")
    world = shared_world(ctx, purpose="data")
    proposal_id = vote_with_ballots(ctx, world, n)
    key = f"closed:{proposal_id}"
    if key not in world.compounds:
        # No owners' vote ends before its announced window: its close is moved to now in the database
        # (not through the API), then the moderator's close counts and drafts the record as before.
        async def due_now() -> None:
            from agora.proposals.models import Proposal

            await Proposal.filter(id=proposal_id).update(closes_at=datetime.now(UTC))

        world.db(due_now)
        started = time.perf_counter()
        response = world.call("POST", f"/api/v1/proposals/{proposal_id}/transition", {"to": "closed"})
        if response.status == 409 and b"transition_not_allowed" in response.body:
            result.notes.append("the server's scheduler closed the vote before the moderator did")
        else:
            world.require(response, "closing a vote", 200)
        world.compounds[key] = time.perf_counter() - started
    result.details["close_seconds"] = world.compounds[key]
    seconds = result.figure("GET /proposals/{id}/resolution.pdf", "s")
    size = 0
    for _run in range(ctx.runs):
        started = time.perf_counter()
        response = world.call("GET", f"/proposals/{proposal_id}/resolution.pdf")
        seconds.values.append(time.perf_counter() - started)
        world.require(response, "resolution PDF", 200)
        size = len(response.body)
    result.details["pdf_bytes"] = size
    median = seconds.as_dict()["value"]["median"]
    result.target("≤ 2 s", None if median is None else median <= 2)
    result.notes.append(
        f"closing the vote (count and resolution record, through the API) took {world.compounds[key]:.2f} s"
    )
    return result


def bench_tally_growth(ctx: Context) -> Result:
    result = Result("tally_growth", "Tally time against roll size")
    world = shared_world(ctx, purpose="data")
    agora_series, raw_series = [], []
    for n in ctx.sizes.tally_growth:
        proposal_id = vote_with_ballots(ctx, world, n)
        figure = result.figure(f"{n:,} ballots", "ms", baseline_label="sqlite3 reading the columns")
        for _run in range(ctx.runs):
            agora_ms, raw_ms, _outcome = time_tally(world, proposal_id)
            figure.values.append(agora_ms)
            figure.baseline.append(raw_ms)
        as_dict = figure.as_dict()
        agora_series.append((n, as_dict["value"]["median"]))
        raw_series.append((n, as_dict["baseline"]["median"]))
    result.details["series"] = {
        "agora count (ms)": agora_series,
        "sqlite3 reading the columns (ms)": raw_series,
    }
    result.details["plot"] = {"x": "persons on the roll (all voted)", "y": "ms", "log_x": True, "log_y": True}
    return result
