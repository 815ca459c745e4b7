"""Servers under test, each a real process on a free 127.0.0.1 port: agora itself and the baselines."""

from __future__ import annotations

import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
AGORA = str(Path(PYTHON).parent / "agora")
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def pids(self) -> list[int]:
        """The processes that serve requests: the worker children, or the process itself."""
        children = child_pids(self.process.pid)
        return children if self.workers > 1 and children else [self.process.pid]

    def rss_kib(self) -> int:
        return sum(rss_kib(pid) for pid in self.pids())

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the serving processes and their own worker processes (the roll's
        parse worker, the ballots' sealing worker: `agora.offload`) have used so far, from
        /proc/<pid>/stat: a request's cost that does not depend on how busy the machine is (its
        latency does)."""
        serving = self.pids()
        return sum(cpu_seconds(pid) for pid in serving + [c for pid in serving for c in child_pids(pid)])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def rss_kib(pid: int) -> int:
    """VmRSS of a process, from /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def child_pids(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces: split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def wait_ready(server: Server, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited ({server.process.returncode}):\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}{path}", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    if server.workers > 1:
                        _wait_workers(server, deadline)
                    return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{server.name} did not become ready in {timeout:.0f} s:\n{server.log_tail()}")


def _wait_workers(server: Server, deadline: float) -> None:
    """Every worker has started (each logs "Application startup complete")."""
    while time.monotonic() < deadline:
        if (
            server.log_path.read_text(errors="replace").count("Application startup complete")
            >= server.workers
        ):
            return
        time.sleep(0.1)


def agora_env(database_url: str, var_dir: Path, redis_url: str | None = None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AGORA_") and k not in ("VIRTUAL_ENV_PROMPT",)
    }
    env.update(
        AGORA_DATABASE_URL=database_url,
        AGORA_SECRET_KEY=secrets.token_urlsafe(48),
        AGORA_VAR_DIR=str(var_dir),
        AGORA_RUN_SCHEDULER="0",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["AGORA_REDIS_URL"] = redis_url
    return env


def migrate(env: dict[str, str], log_path: Path) -> None:
    with log_path.open("ab") as log:
        subprocess.run([AGORA, "migrate"], env=env, cwd=ROOT, stdout=log, stderr=log, check=True, timeout=300)  # noqa: S603


GRANIAN = str(Path(PYTHON).parent / "granian")


def granian_command(target: str, port: int, workers: int = 1, factory: bool = False) -> list[str]:
    """granian serving an ASGI app with the options closest to `agora serve`'s uvicorn (uvloop, no
    websocket compression is granian's default)."""
    command = [GRANIAN, "--interface", "asgi", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--loop", "uvloop", "--log-level", "info"]
    return command + (["--factory"] if factory else []) + [target]


def start_agora(
    env: dict[str, str],
    work: Path,
    workers: int = 1,
    name: str = "agora",
    server: str = "uvicorn",
    nofile: tuple[int, int] | None = None,
) -> Server:
    """`agora serve` (uvicorn, as in production), or agora's app under granian (`server="granian"`,
    with its own head deadline set to agora's: `Limits.header_timeout`); `nofile` is the (soft, hard)
    RLIMIT_NOFILE the server starts with."""
    port = free_port()
    log_path = work / f"{name}-{server}-{port}.log"
    log = log_path.open("wb")
    command = [AGORA, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    if server == "granian":
        command = granian_command("agora.app:create_app", port, workers, factory=True)
        command[-1:-1] = ["--http1-header-read-timeout", "10000"]

    def limit_descriptors() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

    process = subprocess.Popen(  # noqa: S603
        command,
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=limit_descriptors if nofile else None,  # noqa: PLW1509 — only setrlimit, before exec
    )
    started = Server(name, process, port, log_path, workers, env)
    wait_ready(started, "/healthz")
    return started


def start_baseline(
    work: Path, server: str = "uvicorn", env: dict[str, str] | None = None, workers: int = 1
) -> Server:
    """The bare baselines (bench.baseline_apps) under uvicorn, as agora, or under granian; `env` for
    the `/thread` page (agora's environment and AGORA_BENCH_THREAD/AGORA_BENCH_COOKIE) or the broadcast
    through Redis (AGORA_BENCH_REDIS_URL)."""
    port = free_port()
    log_path = work / f"baseline-{server}-{port}.log"
    log = log_path.open("wb")
    command = [PYTHON, "-m", "bench.baseline_apps", "--port", str(port), "--workers", str(workers)]
    if server == "granian":
        command = granian_command("bench.baseline_apps:app", port)
    process = subprocess.Popen(  # noqa: S603
        command,
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started = Server("baseline", process, port, log_path, workers=workers)
    wait_ready(started, "/healthz")
    return started
