"""Configuration for Tortoise's own CLI.

Used as `tortoise -c agora.storage.tortoise_cli.TORTOISE_ORM makemigrations` by scripts/makemigrations.sh.
"""

from pathlib import Path

from agora.storage.database import tortoise_config

Path("var").mkdir(exist_ok=True)
TORTOISE_ORM = tortoise_config("sqlite://var/makemigrations.sqlite3")
