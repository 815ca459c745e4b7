"""`AGORA_TEST_SERVER=granian` (tests/conftest.py) keeps serving agora to the suite.

The switch is how the question "may `agora serve` move to granian?" is asked again (docs/bench.md,
"Which server"), and nothing else runs it: without this test it could break unseen, and the next
person to ask would first have to mend it. A client sees which server answered in the `server`
header, so the probe below checks that the fixture runs the server it names.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


async def test_the_server_fixture_serves_agora_in_the_server_it_names(server) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{server.url}/healthz")
    assert response.status_code == 200
    assert response.headers["server"] == os.environ.get("AGORA_TEST_SERVER", "uvicorn")


def test_under_granian_the_probe_http_and_websocket_tests_pass() -> None:
    """The probe, the hall socket's admission (origin, session, token, another compound) and presence,
    run under granian in a pytest of their own (on SQLite: the switch is about the server)."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("AGORA_TEST_DATABASE_URL", "AGORA_TEST_REDIS_URL")
    }
    env["AGORA_TEST_SERVER"] = "granian"
    files = [
        f"{Path(__file__).relative_to(ROOT)}::test_the_server_fixture_serves_agora_in_the_server_it_names",
        "tests/live/test_access.py",
        "tests/live/test_presence.py",
    ]
    run = subprocess.run(  # noqa: S603 — this interpreter, the repository's own test files
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-2000:]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
