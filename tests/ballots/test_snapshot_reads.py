"""The reads a ballot makes take a frozen roll's small columns from its covering index, never from the
row: in SQLite those columns lie after the units and persons lists, at the end of a chain of overflow
pages that a read would walk page by page (0.2 ms a read for a 12,000-unit roll after each commit)."""

from __future__ import annotations

import pytest
from tortoise import connections

from agora.ballots import queries
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="INDEXED BY and the overflow chain are SQLite's")


async def plan(sql: str) -> str:
    rows = await connections.get("default").execute_query_dict(
        "EXPLAIN QUERY PLAN " + sql, [1, 1][: sql.count("?")]
    )
    return "\n".join(str(row["detail"]) for row in rows)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(queries._cast_read_sql, id="cast read"),
        pytest.param(lambda: queries._SNAPSHOT_SQL, id="snapshot row"),
    ],
)
async def test_the_ballots_reads_of_a_frozen_roll_use_its_covering_index(
    connected_db: None, sql: object
) -> None:
    detail = await plan(sql())  # type: ignore[operator]
    snapshot_lines = [line for line in detail.splitlines() if line.startswith("SEARCH s ")]
    assert snapshot_lines == ["SEARCH s USING COVERING INDEX roll_snapshots_head (id=?) LEFT-JOIN"] or (
        snapshot_lines == ["SEARCH s USING COVERING INDEX roll_snapshots_head (id=?)"]
    ), detail
