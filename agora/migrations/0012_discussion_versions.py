"""A version for each proposal's discussion, kept by the database itself (additive: one table, triggers).

Every write that changes what a proposal page shows below the proposal — a comment posted, edited,
deleted, hidden or made official, a step of the timeline, a photo, a person's new display name —
gives the proposal's row in `discussion_versions` a new random version inside the writing
transaction, whichever code path or process made the write. `agora.proposals.page_cache` keys the
page's discussion by it, so a cached view can only be served while nothing it shows has changed.

Random rather than counted: a version is then never reused, even by a test database that restarts
its ids, so a per-process cache cannot mistake one database's proposal 1 for another's. The row of
proposal 0 is the version of everyone's display names (a rename touches every page that shows it).
"""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

# Tables whose rows belong to one proposal and appear on its page.
_PROPOSAL_TABLES = ("comments", "proposal_transitions", "proposal_photos")

_SQLITE_TABLE = (
    "CREATE TABLE IF NOT EXISTS discussion_versions"
    " (proposal_id INTEGER NOT NULL PRIMARY KEY, version BIGINT NOT NULL)"
)
_SQLITE_BUMP = (
    "INSERT INTO discussion_versions (proposal_id, version) VALUES ({pid}, random())"
    " ON CONFLICT (proposal_id) DO UPDATE SET version = excluded.version;"
)


def _sqlite() -> list[str]:
    statements = [_SQLITE_TABLE]
    for table in _PROPOSAL_TABLES:
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_discussion_{event.lower()}"
                f" AFTER {event} ON {table} BEGIN {_SQLITE_BUMP.format(pid=f'{row}.proposal_id')} END"
            )
    statements.append(
        "CREATE TRIGGER IF NOT EXISTS users_display_name_discussion AFTER UPDATE OF display_name ON users"
        " WHEN OLD.display_name IS NOT NEW.display_name"
        f" BEGIN {_SQLITE_BUMP.format(pid='0')} END"
    )
    statements.append(
        "INSERT INTO discussion_versions (proposal_id, version) SELECT id, random() FROM proposals"
        " WHERE true ON CONFLICT (proposal_id) DO NOTHING"
    )
    return statements


_PG_RANDOM = "(random() * 9007199254740991)::bigint"


def _postgres() -> list[str]:
    statements = [
        "CREATE TABLE IF NOT EXISTS discussion_versions"
        " (proposal_id INT NOT NULL PRIMARY KEY, version BIGINT NOT NULL)",
        "CREATE OR REPLACE FUNCTION agora_bump_discussion() RETURNS trigger LANGUAGE plpgsql AS $$"
        " DECLARE pid INT;"
        " BEGIN"
        "  IF TG_TABLE_NAME = 'users' THEN pid := 0;"
        "  ELSIF TG_OP = 'DELETE' THEN pid := OLD.proposal_id;"
        "  ELSE pid := NEW.proposal_id; END IF;"
        "  INSERT INTO discussion_versions (proposal_id, version)"
        f"   VALUES (pid, {_PG_RANDOM})"
        "   ON CONFLICT (proposal_id) DO UPDATE SET version = excluded.version;"
        "  RETURN NULL;"
        " END $$",
    ]
    for table in _PROPOSAL_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_discussion ON {table}")
        statements.append(
            f"CREATE TRIGGER {table}_discussion AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION agora_bump_discussion()"
        )
    statements.append("DROP TRIGGER IF EXISTS users_display_name_discussion ON users")
    statements.append(
        "CREATE TRIGGER users_display_name_discussion AFTER UPDATE OF display_name ON users"
        " FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)"
        " EXECUTE FUNCTION agora_bump_discussion()"
    )
    statements.append(
        f"INSERT INTO discussion_versions (proposal_id, version) SELECT id, {_PG_RANDOM} FROM proposals"
        " ON CONFLICT (proposal_id) DO NOTHING"
    )
    return statements


async def create_versions(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    if dialect == "sqlite":
        statements = _sqlite()
    elif dialect == "postgres":
        statements = _postgres()
    else:  # pragma: no cover - agora runs on SQLite or PostgreSQL only
        raise RuntimeError(f"agora does not support the {dialect} database")
    for statement in statements:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('agora', '0011_residents_meetings')]

    initial = False

    operations = [
        ops.RunPython(create_versions),
    ]
