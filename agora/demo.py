"""The demo: a realistic community seeded feature by feature; also the browser tests' fixture.

Each feature contributes a `seed(ctx)` step; the steps run in order and share `DemoContext`.
Seeding is idempotent: an already-seeded database is left as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from agora.accounts.models import User
from agora.accounts.passwords import Passwords
from agora.accounts.services import create_user
from agora.ballots import seed as ballots_seed
from agora.concerns import seed as concerns_seed
from agora.implementation import seed as implementation_seed
from agora.proposals import seed as proposals_seed
from agora.rooms import seed as rooms_seed
from agora.settings import Settings

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 — printed for the demo on purpose


@dataclass
class DemoContext:
    passwords: Passwords
    users: dict[str, User] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    async def user(self, login: str, name: str, *, is_admin: bool = False) -> User:
        user = await create_user(self.passwords, login, DEMO_PASSWORD, name, is_admin=is_admin)
        self.users[login] = user
        return user


def seed_steps() -> list[Callable[[DemoContext], Awaitable[None]]]:
    """Each feature's step, in the order they build on each other."""
    return [
        rooms_seed.seed,
        proposals_seed.seed,
        ballots_seed.seed,
        concerns_seed.seed,
        implementation_seed.seed,
    ]


async def seed_demo(settings: Settings, passwords: Passwords | None = None) -> list[str]:
    """Seed once; return the accounts to print — every time, also when the database was seeded before."""
    accounts = settings.var_dir / "demo-accounts.txt"
    if await User.filter(login="admin").exists():
        if accounts.is_file():
            lines = accounts.read_text(encoding="utf-8").splitlines()
        else:  # seeded by another var folder: list the accounts from the database
            lines = _header() + [
                f"  {user.login:<12} {user.display_name}"
                for user in await User.all().order_by("id")
            ]
        return lines + ["", "(already seeded: delete ./var/ to start over)"]
    ctx = DemoContext(passwords=passwords or Passwords(settings.argon2_profile, 2))
    await ctx.user("admin", "管理员 Administrator", is_admin=True)
    for step in seed_steps():
        await step(ctx)
    lines = _header() + ["  admin        community administrator"] + ctx.lines
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    accounts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def _header() -> list[str]:
    return ["agora demo accounts (password for all: " + DEMO_PASSWORD + ")"]
