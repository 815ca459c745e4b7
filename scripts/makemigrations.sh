#!/usr/bin/env bash
# Before the first release the schema is one initial migration, regenerated from the models.
# (Tortoise bug to avoid: a semicolon in a model's docstring breaks its SQL; keep them out.)
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f agora/migrations/0*.py var/makemigrations.sqlite3
mkdir -p var
.venv/bin/tortoise -c agora.storage.tortoise_cli.TORTOISE_ORM makemigrations 2>&1 | grep -v "has no models\|_load_from_config" || true
rm -f var/makemigrations.sqlite3
