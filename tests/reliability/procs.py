"""agora as separate server processes for the reliability tests.

`AgoraProcess` runs `python -m agora.cli serve` (optionally `--workers N`) on a free port against a
database the test seeded through agora's services, in its own process group so `kill -9` reaches
every worker. Its standard error goes to a file the tests read (`log_text`) to assert that no
worker ever logged "database is locked" or a traceback.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from agora.accounts.services import issue_token
from agora.ballots.chain import LedgerEntry, verify_chain
from agora.ballots.ledger import ledger_entries
from agora.rooms.models import Hall, Owner
from tests.support import make_user

SECRET = "test-secret-key-not-for-production"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AgoraProcess:
    def __init__(
        self,
        database_url: str,
        workdir: Path,
        *,
        workers: int = 1,
        scheduler: bool = False,
        extra_env: dict[str, str] | None = None,
        nofile: tuple[int, int] | None = None,
    ) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.workers = workers
        self.scheduler = scheduler
        self.extra_env = extra_env or {}
        self.nofile = nofile  # (soft, hard) RLIMIT_NOFILE the server starts with
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "server.log"
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
        env.update(
            AGORA_DATABASE_URL=self.database_url,
            AGORA_SECRET_KEY=SECRET,
            AGORA_VAR_DIR=str(self.workdir / "var"),
            AGORA_ARGON2_PROFILE="test",
            AGORA_RUN_SCHEDULER="1" if self.scheduler else "0",
            PYTHONUNBUFFERED="1",
        )
        redis = os.environ.get("AGORA_TEST_REDIS_URL")
        if redis:
            env["AGORA_REDIS_URL"] = redis
        env.update(self.extra_env)
        return env

    async def start(self, timeout: float = 40.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 — handed to the child
        log.write(f"\n=== start {self.starts} on port {self.port} ===\n".encode())
        log.flush()
        self.process = subprocess.Popen(  # noqa: ASYNC220 — a separate agora, like production
            [
                sys.executable, "-m", "agora.cli", "serve",
                "--port", str(self.port), "--workers", str(self.workers),
            ],
            env=self._env(),
            stdout=log,
            stderr=log,
            start_new_session=True,
            preexec_fn=self._limit_descriptors if self.nofile else None,  # noqa: PLW1509 — setrlimit only
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        ready = 0
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as http:
            # With several workers, wait until a handful of health checks in a row succeed.
            while ready < 3 * self.workers:
                if self.process.poll() is not None:
                    raise RuntimeError(f"agora exited with {self.process.returncode}:\n{self.log_text()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"agora did not start:\n{self.log_text()}")
                try:
                    ok = (await http.get("/healthz")).status_code == 200
                    ready = ready + 1 if ok else 0
                except httpx.TransportError:
                    ready = 0
                await asyncio.sleep(0.05)

    def _limit_descriptors(self) -> None:
        assert self.nofile is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, self.nofile)

    def kill9(self) -> None:
        """SIGKILL to the whole process group: the supervisor and every worker, no shutdown at all."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def assert_clean_log(self) -> None:
        text = self.log_text()
        for bad in ("database is locked", "Traceback", "unhandled error"):
            assert bad not in text, f"{bad!r} in the server log:\n{text[-4000:]}"


async def owner_tokens(slug: str, refs: list[str], prefix: str = "o") -> dict[str, dict[str, str]]:
    """Bind accounts to owners of the roll directly (as a registration would) and issue bearer tokens."""
    hall = await Hall.get(slug=slug)
    out: dict[str, dict[str, str]] = {}
    for ref in refs:
        user = await make_user(f"{prefix}-{ref.lower()}"[:64])
        bound = await Owner.filter(compound_id=hall.id, owner_ref=ref, user_id=None).update(user_id=user.id)
        assert bound == 1, ref
        raw, _ = await issue_token(user, timedelta(days=3650))
        out[ref] = {"Authorization": f"Bearer {raw}"}
    return out


async def chain_problems(proposal_id: int) -> list[str]:
    entries: list[LedgerEntry] = await ledger_entries(proposal_id)
    return verify_chain(proposal_id, entries)


def no_server_errors(responses: list[Any]) -> None:
    bad = [(r.status_code, r.text[:200]) for r in responses if r.status_code >= 500]
    assert not bad, bad
