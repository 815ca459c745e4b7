"""The wheel, installed alone in a fresh virtual environment, serves every kind of page.

The wheel is built from the files git knows (as a clean checkout has them, without node_modules),
installed into a new venv with nothing else of agora's, and run from an empty folder: `agora --version`,
`agora migrate`, `agora demo --no-serve`, then `agora serve`; a crawler signed in as the demo's accounts
follows every same-site link and form-less page it finds and loads every static file the pages name.

The third-party dependencies come from the test run's own environment (a `.pth` line: plain paths,
no editable finders), so the test needs no network; `.ci/run` also installs the wheel with its
dependencies from the package index into a second venv (`AGORA_CI_WHEEL_FROM_INDEX=1`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """No PYTHONPATH (it would put the source tree, and its metadata, in front of the wheel)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "PYTHON"))}


def source_copy(target: Path) -> Path:
    """The repository's files as a clean checkout would have them (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=False,
    )
    if listed.returncode != 0:  # not a git checkout (an unpacked archive): everything but local state
        local = shutil.ignore_patterns(".git", ".venv", "node_modules", "var", "build", "dist", "*.egg-info",
                                       "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis")
        shutil.copytree(ROOT, target, ignore=local)
        return target
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def build_wheel(tmp: Path) -> Path:
    source = source_copy(tmp / "src")
    assert not (source / "node_modules").exists()
    out = tmp / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300, check=False, env=clean_env(),
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = out.glob("agora_halls-*.whl")
    return wheel


def fresh_venv(tmp: Path, wheel: Path, from_index: bool) -> Path:
    venv = tmp / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120, env=clean_env()
    )
    python = venv / "bin" / "python"
    if not from_index:
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True, env=clean_env(),
        ).stdout.strip()
        ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        Path(purelib, "zz_test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    args = ["--python", str(python), "install", "--quiet", str(wheel)]
    installed = subprocess.run(
        [sys.executable, "-m", "pip", *args] + ([] if from_index else ["--no-deps"]),
        capture_output=True, text=True, timeout=900, check=False, env=clean_env(),
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return venv


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.pages: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.pages.append(values["href"] or "")
        if tag in ("script", "img") and values.get("src"):
            self.assets.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.assets.append(values["href"] or "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def crawl(base: str, login: str, password: str, limit: int = 400) -> tuple[dict[str, int], set[str]]:
    """Sign in, then visit every same-site page reachable by links; return status per path kind."""
    seen: dict[str, int] = {}
    kinds: set[str] = set()
    assets: set[str] = set()
    # generous: the first page that segments Chinese words loads jieba's dictionary (slow on a busy machine)
    with httpx.Client(base_url=base, timeout=180, follow_redirects=True) as client:
        page = client.get("/login")
        assert page.status_code == 200, page.text[:500]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        signed = client.post("/login", data={"login": login, "password": password, "csrf_token": token[1]})
        assert signed.status_code == 200 and "/login" not in str(signed.url), signed.text[:500]
        queue = ["/halls"]
        while queue and len(seen) < limit:
            path = queue.pop(0)
            if path in seen:
                continue
            response = client.get(path)
            seen[path] = response.status_code
            assert response.status_code < 500, f"{path}: {response.status_code} {response.text[:300]}"
            kinds.add(re.sub(r"/\d+", "/{id}", re.sub(r"/halls/[^/]+", "/halls/{slug}", path)))
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            parser = Links()
            parser.feed(response.text)
            for href in parser.pages:
                target = urlparse(urljoin(str(response.url), href))
                if target.netloc == urlparse(base).netloc and target.path not in seen:
                    if not target.path.startswith(("/static/", "/logout")):
                        queue.append(target.path + (f"?{target.query}" if target.query else ""))
            assets.update(urlparse(urljoin(str(response.url), a)).path for a in parser.assets)
        for asset in sorted(a for a in assets if a.startswith("/static/")):
            response = client.get(asset)
            assert response.status_code == 200 and response.content, asset
    return seen, kinds | {a.split("/", 3)[-1] for a in assets if a.startswith("/static/")}


def test_the_wheel_alone_serves_every_page_kind(tmp_path: Path) -> None:
    from_index = os.environ.get("AGORA_CI_WHEEL_FROM_INDEX") == "1"
    wheel = build_wheel(tmp_path)
    venv = fresh_venv(tmp_path, wheel, from_index)
    agora = str(venv / "bin" / "agora")
    work = tmp_path / "empty"
    work.mkdir()
    env = clean_env()
    env.update(AGORA_ARGON2_PROFILE="test", AGORA_LANG="en")

    def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [agora, *args], cwd=work, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import agora, agora.resources as r; print(agora.__file__);"
         "print(r.TEMPLATE_DIR); print(r.STATIC_DIR)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert all(line.startswith(str(venv)) for line in where), where  # nothing from the source tree

    version = run("--version")
    assert version.returncode == 0 and re.fullmatch(r"agora \d+\.\d+\.\d+\S*\n", version.stdout), version

    assert run("migrate").returncode == 0
    seeded = run("demo", "--no-serve", timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    assert "admin" in seeded.stdout and "owner1" in seeded.stdout

    port = free_port()
    # The server logs every request: into a file, not a pipe nobody reads (a full pipe blocks the server).
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [agora, "serve", "--port", str(port)], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(f"{base}/healthz", timeout=2).json() == {"ok": True}:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "agora serve did not answer /healthz within a minute"
            time.sleep(0.3)

        password = re.search(r"password for all: (\S+)\)", seeded.stdout)
        assert password, seeded.stdout
        kinds: set[str] = set()
        for login in ("admin", "committee", "party", "owner1"):
            _seen, found = crawl(base, login, password[1])
            kinds |= found
        for expected in (
            "/halls", "/halls/{slug}", "/halls/{slug}/proposals", "/proposals/{id}", "/halls/{slug}/roll",
            "/halls/{slug}/members", "/halls/{slug}/invites", "/halls/{slug}/moderation", "/inbox",
            "vendor/htmx.min.js", "app.js",
        ):
            assert expected in kinds, (expected, sorted(kinds))
        # The stylesheet is written into every page (one round trip less on Slow 3G): the wheel's
        # copy is the project's, and the CSP allows exactly it.
        login_page = httpx.get(f"{base}/login", timeout=10)
        stylesheet = (ROOT / "static" / "app.css").read_text(encoding="utf-8")
        assert f"<style>{stylesheet}</style>" in login_page.text
        digest = base64.b64encode(hashlib.sha256(stylesheet.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in login_page.headers["content-security-policy"]
        assert any(kind.endswith("resolution.pdf") for kind in kinds), sorted(kinds)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
