"""Reading the rows the figures are computed from: a fixed number of queries, whatever the hall's size.

1. the hall and every hall under it (a community's compounds and their buildings, a compound's
   buildings) — one query;
2. their proposals (state, creation time) — one query;
3. the resolution records of their compounds: outcome, participating and total persons, read inside the
   database from the record's JSON (SQLite `json_extract`, PostgreSQL `->>`) so the ledgers stored in
   the documents are never shipped to Python — one query;
4. their implementations (status, spending) — one query.

A record's three figures never change once it is drafted: they are kept in the app's cache.
Concerns (诉求, 微心愿) are read once the concerns feature (`agora/concerns/`) is on main; until then
there are no concern rows to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agora.stats.figures import ConcernRow, ProposalRow, VoteRow, WorkRow
from agora.storage.database import is_postgres
from agora.storage.sql import fetch, fetch_rows, in_list, to_datetime

_HALLS = (
    "SELECT id, kind, slug, name, parent_id, compound_id FROM halls WHERE id = ? OR parent_id = ?"
    " OR compound_id = ? OR compound_id IN (SELECT id FROM halls WHERE parent_id = ? AND kind = ?)"
)
# Only columns stored before `document`: on SQLite a column after a large value is reached only by
# walking the value's overflow pages, and the documents carry whole ledgers.
_RECORDS = (
    "SELECT r.id, r.number, r.proposal_id, p.hall_id, p.closed_at FROM resolutions r"
    " JOIN proposals p ON p.id = r.proposal_id WHERE r.compound_id IN {ids} ORDER BY r.id"
)
# The three figures of a record, read inside the database (the ledger in the document never leaves it).
_FIGURES_SQLITE = (
    "SELECT id, json_extract(document, '$.verdict.outcome') AS outcome,"
    " json_extract(document, '$.result.participating.persons') AS persons,"
    " json_extract(document, '$.roll.totals.persons') AS persons_total FROM resolutions WHERE id IN {ids}"
)
_FIGURES_POSTGRES = (
    "SELECT id, document->'verdict'->>'outcome' AS outcome,"
    " document->'result'->'participating'->>'persons' AS persons,"
    " document->'roll'->'totals'->>'persons' AS persons_total FROM resolutions WHERE id IN {ids}"
)
CACHE_LIMIT = 200_000
# (record id, number) -> (outcome, persons, persons_total). A record's count is written when it is
# drafted and never changes (certifying adds signatures and the posting time; a correction is a new
# record), so its figures are read once per cache. The cache belongs to the app (app.state).
FigureCache = dict[tuple[int, str], tuple[str | None, int, int]]


@dataclass(frozen=True)
class HallRow:
    id: int
    kind: str
    slug: str
    name: str
    parent_id: int | None
    compound_id: int | None


@dataclass
class Rows:
    """Everything under one hall, each row tagged with the hall it belongs to."""

    halls: list[HallRow]
    concerns: list[tuple[int, ConcernRow]]
    proposals: list[tuple[int, ProposalRow]]
    votes: list[tuple[int, VoteRow]]
    works: list[tuple[int, WorkRow]]


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


async def _read_figures(records: list[dict[str, Any]], cache: FigureCache) -> None:
    """Read the figures of records not in the cache (in chunks of 500 ids)."""
    if len(cache) > CACHE_LIMIT:
        cache.clear()
    numbers = {r["id"]: r["number"] for r in records if (r["id"], r["number"]) not in cache}
    ids = list(numbers)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = (_FIGURES_POSTGRES if is_postgres() else _FIGURES_SQLITE).format(ids=in_list(chunk))
        for row in await fetch(sql, *chunk):
            outcome = None if row["outcome"] is None else str(row["outcome"])
            # An art. 279 record has no count (its consents decide): a decision, but no turnout, so
            # no total either (the median turnout leaves it out).
            counted = row["persons"] is not None
            cache[(row["id"], numbers[row["id"]])] = (
                outcome,
                _int(row["persons"]),
                _int(row["persons_total"]) if counted else 0,
            )


async def _proposal_counts(
    ids: list[int], start: datetime | None, end: datetime | None
) -> list[tuple[int, ProposalRow]]:
    """Proposals per hall and state within the range, counted by the database (not 20,000 rows)."""
    where, params = [f"hall_id IN {in_list(ids)}"], list[Any](ids)
    if start is not None:
        where.append("created_at >= ?")
        params.append(start)
    if end is not None:
        where.append("created_at < ?")
        params.append(end)
    sql = (
        f"SELECT hall_id, state, COUNT(*) FROM proposals WHERE {' AND '.join(where)} GROUP BY hall_id, state"  # noqa: S608
    )
    return [(row[0], ProposalRow(str(row[1]), None, int(row[2]))) for row in await fetch_rows(sql, *params)]


async def _concerns(
    compounds: list[int], labels: dict[int, str], start: datetime | None, end: datetime | None
) -> list[tuple[int, ConcernRow]]:
    """Every concern and wish of these compounds received within the range (only the columns the
    figures need: never a title, a body, a name or a contact), tagged with its building's hall when
    it names one, else its compound's."""
    where, params = [f"compound_id IN {in_list(compounds)}"], list[Any](compounds)
    if start is not None:
        where.append("created_at >= ?")
        params.append(start)
    if end is not None:
        where.append("created_at < ?")
        params.append(end)
    columns = (
        "compound_id, building_id, kind, category, status, created_at, resolved_at, feedback_satisfied,"
        " urgency"
    )
    sql = f"SELECT {columns} FROM concerns WHERE {' AND '.join(where)}"  # noqa: S608
    out = []
    for row in await fetch_rows(sql, *params):
        compound_id, building_id, kind, category, status, created, resolved, satisfied, urgency = row
        hall = building_id if building_id in labels else compound_id
        concern = ConcernRow(
            str(kind), str(category), str(status), to_datetime(created),
            to_datetime(resolved) if resolved is not None else None,
            None if satisfied is None else bool(satisfied), labels.get(building_id),
            None if urgency is None else int(urgency),
        )  # fmt: skip
        out.append((hall, concern))
    return out


async def rows_under(
    hall_id: int, cache: FigureCache, start: datetime | None = None, end: datetime | None = None
) -> Rows:
    halls = [HallRow(**row) for row in await fetch(_HALLS, hall_id, hall_id, hall_id, hall_id, "compound")]
    ids = [h.id for h in halls]
    compounds = [h.id for h in halls if h.kind == "compound"]
    proposals = await _proposal_counts(ids, start, end)
    buildings = {h.id: h.name for h in halls if h.kind == "building"}
    compound_ids = sorted({h.compound_id for h in halls if h.compound_id is not None})
    concerns = await _concerns(compound_ids, buildings, start, end) if compound_ids else []
    if any(h.id == hall_id and h.kind == "building" for h in halls):
        concerns = [(h, c) for h, c in concerns if h == hall_id]  # a building's own concerns only
    votes: list[tuple[int, VoteRow]] = []
    if compounds:
        records = await fetch(_RECORDS.format(ids=in_list(compounds)), *compounds)  # noqa: S608
        await _read_figures(records, cache)
        newest: dict[int, tuple[int, VoteRow]] = {}
        for row in records:  # a correction supersedes the records before it
            outcome, persons, total = cache.get((row["id"], row["number"]), (None, 0, 0))
            if outcome is None or row["closed_at"] is None:
                continue
            vote = VoteRow(outcome, to_datetime(row["closed_at"]), persons, total)
            newest[row["proposal_id"]] = (row["hall_id"], vote)
        votes = list(newest.values())
    works = [
        (row[0], WorkRow(str(row[1]), int(row[2])))
        for row in await fetch_rows(
            f"SELECT hall_id, status, spent_fen FROM implementations WHERE hall_id IN {in_list(ids)}",  # noqa: S608
            *ids,
        )
    ]
    return Rows(halls, concerns, proposals, votes, works)
