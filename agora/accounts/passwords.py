"""argon2id password hashing, off the event loop and under a concurrency cap.

Hashing is deliberately expensive (tens of MiB and tens of ms each); a login flood must not
exhaust memory or starve other requests, so at most `max_concurrent` hashes run at once and
callers beyond a short queue are turned away with 429 instead of piling up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.concurrency import run_in_threadpool

from agora.errors import Invalid, Throttled
from agora.i18n import _

MIN_PASSWORD_LENGTH = 8
# Longer inputs are refused before hashing: hashing cost must not be attacker-controlled.
MAX_PASSWORD_LENGTH = 256

class Profile(TypedDict):
    time_cost: int
    memory_cost: int
    parallelism: int


PROFILES: dict[str, Profile] = {
    # argon2-cffi's RFC 9106 low-memory profile: argon2id, t=3, m=64 MiB, p=4.
    "interactive": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
    # Same algorithm, cheaper parameters, for the test suite only.
    "test": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}


class Passwords:
    def __init__(self, profile: str = "interactive", max_concurrent: int = 2, max_waiting: int = 32) -> None:
        self.hasher = PasswordHasher(**PROFILES[profile])
        self._max_concurrent = max_concurrent
        # One semaphore per event loop: asyncio primitives bind to the loop that first waits on
        # them, and one Passwords may outlive a loop (CLI commands, the test suite).
        self._slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
        self._waiting = 0
        self._max_waiting = max_waiting
        # A real hash of a random secret, so unknown logins cost the same as known ones.
        self._dummy = self.hasher.hash("agora-dummy-password-for-timing")

    def check_policy(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise Invalid(
                _("The password must have at least {n} characters.", n=MIN_PASSWORD_LENGTH),
                fields={"password": "too_short"},
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise Invalid(
                _("The password must have at most {n} characters.", n=MAX_PASSWORD_LENGTH),
                fields={"password": "too_long"},
            )

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._waiting >= self._max_waiting:
            raise Throttled(
                _("Too many sign-in attempts right now. Please try again shortly."), retry_after=2
            )
        self._waiting += 1
        try:
            async with self._semaphore():
                return await run_in_threadpool(fn, *args)
        finally:
            self._waiting -= 1

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            for stale in [known for known in self._slots if known.is_closed()]:
                del self._slots[stale]
            slots = self._slots[loop] = asyncio.Semaphore(self._max_concurrent)
        return slots

    async def hash(self, password: str) -> str:
        self.check_policy(password)
        return await self._run(self.hasher.hash, password)

    def _verify_sync(self, stored: str | None, password: str) -> tuple[bool, bool]:
        try:
            self.hasher.verify(stored or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        if stored is None:
            return False, False
        return True, self.hasher.check_needs_rehash(stored)

    async def verify(self, stored: str | None, password: str) -> tuple[bool, bool]:
        """(matches, needs_rehash). `stored=None` verifies against the dummy hash and never matches."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return False, False
        return await self._run(self._verify_sync, stored, password)
