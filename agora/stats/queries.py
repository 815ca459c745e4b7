"""Reading the rows the figures are computed from: a fixed number of queries, whatever the hall's size.

1. the hall and every hall under it (a community's compounds and their buildings, a compound's
   buildings) — one query;
2. their proposals (state, creation time) — one query;
3. the resolution records of their compounds: outcome, participating and total persons, read inside the
   database from the record's JSON (SQLite `json_extract`, PostgreSQL `->>`) so the ledgers stored in
   the documents are never shipped to Python — one query;
4. their implementations (status, spending) — one query.

Posted records are frozen: their three figures are kept per process by (id, hash) after the first read.
Concerns (诉求, 微心愿) are read once the concerns feature (`agora/concerns/`) is on main; until then
there are no concern rows to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agora.stats.figures import ProposalRow, VoteRow, WorkRow
from agora.storage.database import is_postgres
from agora.web.sql import fetch, fetch_rows, in_list, to_datetime

_HALLS = (
    "SELECT id, kind, slug, name, parent_id, compound_id FROM halls WHERE id = ? OR parent_id = ?"
    " OR compound_id = ? OR compound_id IN (SELECT id FROM halls WHERE parent_id = ? AND kind = ?)"
)
_RECORDS = (
    "SELECT r.id, r.proposal_id, r.hash, p.hall_id, p.closed_at FROM resolutions r"
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
# A posted record is frozen (its hash never changes): its figures are kept by (id, hash) in this
# process, so a page reads only the records it has not seen. Drafts are read every time.
_posted: dict[tuple[int, str], tuple[str | None, int, int]] = {}
POSTED_CACHE_LIMIT = 200_000


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
    proposals: list[tuple[int, ProposalRow]]
    votes: list[tuple[int, VoteRow]]
    works: list[tuple[int, WorkRow]]


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


async def _read_figures(records: list[dict[str, Any]]) -> dict[tuple[int, str], tuple[str | None, int, int]]:
    """Read the figures of these records (in chunks of 500 ids: one query for a page's usual few).
    A posted record's are kept; a draft's (no hash yet: it may still change) are not."""
    if len(_posted) > POSTED_CACHE_LIMIT:
        _posted.clear()
    hashes = {r["id"]: r["hash"] or "" for r in records}
    ids = list(hashes)
    read: dict[tuple[int, str], tuple[str | None, int, int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = (_FIGURES_POSTGRES if is_postgres() else _FIGURES_SQLITE).format(ids=in_list(chunk))
        for row in await fetch(sql, *chunk):
            key = (row["id"], hashes[row["id"]])
            outcome = None if row["outcome"] is None else str(row["outcome"])
            read[key] = (outcome, _int(row["persons"]), _int(row["persons_total"]))
            if key[1]:
                _posted[key] = read[key]
    return read


async def rows_under(hall_id: int) -> Rows:
    halls = [HallRow(**row) for row in await fetch(_HALLS, hall_id, hall_id, hall_id, hall_id, "compound")]
    ids = [h.id for h in halls]
    compounds = [h.id for h in halls if h.kind == "compound"]
    proposals = [
        (row[0], ProposalRow(str(row[1]), to_datetime(row[2])))
        for row in await fetch_rows(
            f"SELECT hall_id, state, created_at FROM proposals WHERE hall_id IN {in_list(ids)}",  # noqa: S608
            *ids,
        )
    ]
    votes: list[tuple[int, VoteRow]] = []
    if compounds:
        records = await fetch(_RECORDS.format(ids=in_list(compounds)), *compounds)  # noqa: S608
        read = await _read_figures([r for r in records if (r["id"], r["hash"] or "") not in _posted])
        newest: dict[int, tuple[int, VoteRow]] = {}
        for row in records:  # a correction supersedes the records before it
            key = (row["id"], row["hash"] or "")
            outcome, persons, total = read.get(key) or _posted.get(key) or (None, 0, 0)
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
    return Rows(halls, proposals, votes, works)
