#!/usr/bin/env bash
# Add a migration for the models' changes since the last one (Tortoise's autodetector).
# Databases in use hold residents' data: never regenerate 0001 or edit an applied migration.
# Keep migrations additive on SQLite (AddField nullable/with default, AddIndex, CreateModel):
# Tortoise's AlterField/RemoveField rebuild the table there, and dropping the old table cascades
# ON DELETE CASCADE to the rows that reference it (tests/cli/test_commands.py checks an upgrade keeps
# every row). Use Meta.indexes for a new index instead of db_index on an existing field.
# (Tortoise bug to avoid: a semicolon in a model's docstring breaks its SQL; keep them out.)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
.venv/bin/tortoise -c agora.storage.tortoise_cli.TORTOISE_ORM makemigrations 2>&1 | grep -v "has no models\|_load_from_config" || true
echo "rename the new file in agora/migrations/ to say what it does, and read it before committing"
