"""Reading the rows the figures are computed from: a fixed number of queries, whatever the hall's size.

1. the hall and every hall under it (a community's compounds and their buildings, a compound's
   buildings) — one query;
2. their proposals (state, creation time) — one query;
3. the resolution records of their compounds: outcome, participating and total persons, read inside the
   database from the record's JSON (SQLite `json_extract`, PostgreSQL `->>`) so the ledgers stored in
   the documents are never shipped to Python — one query;
4. their implementations (status, spending) — one query.

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
_RECORDS_SQLITE = (
    "SELECT r.id, r.proposal_id, p.hall_id, p.closed_at,"
    " json_extract(r.document, '$.verdict.outcome') AS outcome,"
    " json_extract(r.document, '$.result.participating.persons') AS persons,"
    " json_extract(r.document, '$.roll.totals.persons') AS persons_total"
    " FROM resolutions r JOIN proposals p ON p.id = r.proposal_id WHERE r.compound_id IN {ids} ORDER BY r.id"
)
_RECORDS_POSTGRES = (
    "SELECT r.id, r.proposal_id, p.hall_id, p.closed_at,"
    " r.document->'verdict'->>'outcome' AS outcome,"
    " r.document->'result'->'participating'->>'persons' AS persons,"
    " r.document->'roll'->'totals'->>'persons' AS persons_total"
    " FROM resolutions r JOIN proposals p ON p.id = r.proposal_id WHERE r.compound_id IN {ids} ORDER BY r.id"
)


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
        sql = (_RECORDS_POSTGRES if is_postgres() else _RECORDS_SQLITE).format(ids=in_list(compounds))
        newest: dict[int, tuple[int, VoteRow]] = {}
        for row in await fetch(sql, *compounds):  # a correction supersedes the records before it
            if row["outcome"] is None or row["closed_at"] is None:
                continue
            vote = VoteRow(
                str(row["outcome"]),
                to_datetime(row["closed_at"]),
                _int(row["persons"]),
                _int(row["persons_total"]),
            )
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
