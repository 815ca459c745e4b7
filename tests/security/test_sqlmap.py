"""sqlmap against the login, search and API parameters of a throwaway instance (issue 9, item 9).

The instance is the suite's live server on 127.0.0.1 with a fresh database; sqlmap (Debian's package,
installed by `make system-deps`) runs in batch mode at level 2, risk 1, one run per target, each bounded
in time, and must report every tested parameter as not injectable. A control run against a deliberately
injectable endpoint (a tiny app that builds its SQL by string formatting) shows that this very setup and
the parsing of sqlmap's answer do find an injection when there is one.

Only 127.0.0.1 is ever a target.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agora.accounts import services as accounts_services
from agora.proposals import search
from tests.ballots.factories import voting_proposal
from tests.conftest import LiveServer
from tests.rooms.factories import compound_with_roll
from tests.support import TEST_PASSWORD, bearer

SQLMAP = shutil.which("sqlmap")
pytestmark = pytest.mark.skipif(SQLMAP is None, reason="sqlmap is not installed (make system-deps)")

RUN_SECONDS = 150  # per target; a clean run at level 2 takes a fraction of this
FOUND = re.compile(r"sqlmap identified the following injection point|Parameter: .+ \((GET|POST|URI)\)")
CLEAN = "do not appear to be injectable"


@dataclass
class Scan:
    output: str
    log: str

    @property
    def found(self) -> bool:
        return bool(FOUND.search(self.output)) or bool(self.log.strip())

    @property
    def server_errors(self) -> int:
        """How many 5xx answers sqlmap saw (its closing summary of HTTP error codes)."""
        return sum(int(n) for n in re.findall(r"^5\d\d \([^)]*\) - (\d+) times", self.output, re.M))

    @property
    def clean(self) -> bool:
        return CLEAN in self.output and not self.found


async def sqlmap(url: str, out: Path, *extra: str) -> Scan:
    assert urlsplit(url).hostname == "127.0.0.1", "sqlmap is only ever aimed at 127.0.0.1"
    out.mkdir(parents=True, exist_ok=True)
    assert SQLMAP is not None
    proc = await asyncio.create_subprocess_exec(
        SQLMAP,
        "-u",
        url,
        "--batch",
        "--level=2",
        "--risk=1",
        "--time-sec=2",
        "--timeout=10",
        "--retries=0",
        "--flush-session",
        "--disable-coloring",
        "--skip-waf",
        "--ignore-stdin",
        f"--output-dir={out}",
        *extra,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        stdout, _ = await asyncio.wait_for(proc.communicate(), timeout=RUN_SECONDS)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"sqlmap did not finish within {RUN_SECONDS} s: {url}")
    logs = [p.read_text(errors="replace") for p in out.glob("*/log")]
    return Scan(output=stdout.decode(errors="replace"), log="\n".join(logs))


async def test_sqlmap_finds_no_injection_in_login_search_and_api_parameters(
    server: LiveServer, client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sqlmap sends hundreds of sign-ins from one address: the throttle would answer most of them 429
    # and hide the code behind it, so this throwaway instance lifts it (tests/security covers it).
    monkeypatch.setattr(
        accounts_services,
        "LIMITS",
        {kind: replace(limit, limit=10**6) for kind, limit in accounts_services.LIMITS.items()},
    )
    # The search refuses queries over 100 characters, most of sqlmap's payloads: lifted here too, so
    # that every payload reaches the database.
    monkeypatch.setattr(search, "MAX_QUERY", 10_000)
    compound = await compound_with_roll(client)
    committee = compound.committee["Authorization"]
    login = f"{compound.slug}-committee"
    proposal = (await voting_proposal(compound)).id
    base = server.url
    term = quote("电梯")  # in the proposal's title and body: the base query finds something
    auth = f"--headers=Authorization: {committee}"
    targets = {
        # the JSON sign-in, with the real password so that a true condition would sign in
        "login": (
            f"{base}/api/v1/auth/token",
            f'--data={{"login": "{login}", "password": "{TEST_PASSWORD}"}}',
            "-p",
            "login",
            "--ignore-code=401",  # a payload that breaks the login is a failed sign-in, not the end
        ),
        # the browser's sign-in form, with a fresh CSRF token fetched for every request (a wrong
        # password: a session cookie would take the form away)
        "login form": (
            f"{base}/login",
            f"--data=login={login}&password=wrong-password&csrf_token=x",
            "--csrf-token=csrf_token",
            f"--csrf-url={base}/login",
            "-p",
            "login",
            "--ignore-code=401",
        ),
        "search": (f"{base}/api/v1/halls/{compound.slug}/search?q={term}", auth, "-p", "q"),
        "search page": (f"{base}/halls/{compound.slug}/search?q={term}", auth, "-p", "q"),
        "proposals state": (
            f"{base}/api/v1/halls/{compound.slug}/proposals?state=voting",
            auth,
            "-p",
            "state",
        ),
        "resolutions q": (f"{base}/api/v1/halls/{compound.slug}/resolutions?q={term}", auth, "-p", "q"),
        "hall slug": (f"{base}/api/v1/halls/{compound.slug}*", auth),
        "proposal id": (f"{base}/api/v1/proposals/{proposal}*", auth),
    }
    reports = {}
    for name, (url, *extra) in targets.items():
        reports[name] = await sqlmap(url, tmp_path / name.replace(" ", "_"), *extra)
    found = {name: scan.output[-3000:] for name, scan in reports.items() if scan.found}
    assert not found, found
    errors = {name: scan.server_errors for name, scan in reports.items() if scan.server_errors}
    assert not errors, errors
    unclear = {name: scan.output[-3000:] for name, scan in reports.items() if not scan.clean}
    assert not unclear, unclear
    # Nothing was injected: the committee still signs in and the hall still answers.
    assert (
        await client.get(f"/api/v1/halls/{compound.slug}", headers=await bearer(client, login))
    ).is_success


def _vulnerable_app(db: Path) -> Starlette:
    """The control: a search that pastes its parameter into SQL."""
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO items (name) VALUES (?)", [("elevator",), ("roof",), ("garden",)])

    async def search(request: Request) -> JSONResponse:
        q = request.query_params.get("q", "")
        with sqlite3.connect(db) as conn:
            try:
                rows = conn.execute(f"SELECT name FROM items WHERE name = '{q}'").fetchall()  # noqa: S608
            except sqlite3.Error:
                return JSONResponse({"items": []})
        return JSONResponse({"items": [r[0] for r in rows]})

    return Starlette(routes=[Route("/search", search)])


async def test_the_scan_does_find_an_injection_when_there_is_one(tmp_path: Path) -> None:
    config = uvicorn.Config(
        _vulnerable_app(tmp_path / "v.sqlite3"), host="127.0.0.1", port=0, log_level="error"
    )
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    try:
        while not uv.started:
            await asyncio.sleep(0.01)
        port = uv.servers[0].sockets[0].getsockname()[1]
        scan = await sqlmap(f"http://127.0.0.1:{port}/search?q=elevator", tmp_path / "control", "-p", "q")
    finally:
        uv.should_exit = True
        await asyncio.wait_for(task, timeout=10)
    assert scan.found, scan.output[-3000:]
    assert not scan.clean
