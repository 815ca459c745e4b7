"""`agora serve` never runs out of file descriptors (issue 16, item 4).

About 20,000 held connections used to exhaust the descriptors, and then even `/healthz` stopped
answering. `agora serve` now raises its soft RLIMIT_NOFILE to the hard limit at start and holds at most
that many connections minus `agora.web.serving.HEADROOM` (kept for the database, logs and the accept
itself): a connection past the cap is closed at once, before it costs anything, instead of the process
failing every `accept()` with EMFILE.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
from pathlib import Path

import httpx

from agora.web.serving import HEADROOM
from tests.reliability.procs import AgoraProcess

SOFT, HARD = 300, 600
FLOOD = 900  # more connections than the server has descriptors
ADDRESSES = ("127.0.3.1", "127.0.3.2")  # under the per-address cap (500) each
HEAD = b"GET /healthz HTTP/1.1\r\nHost: agora\r\nX-Slow: "


def soft_limit_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no 'Max open files' line")


async def hold(port: int, address: str, writers: list[asyncio.StreamWriter]) -> asyncio.StreamReader | None:
    """An unfinished request head, then nothing; None if the server refused the connection."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
    except OSError:
        return None
    writers.append(writer)
    with contextlib.suppress(ConnectionError):
        writer.write(HEAD)
    return reader


async def closed_at_once(reader: asyncio.StreamReader | None) -> bool:
    if reader is None:
        return True
    try:
        return await asyncio.wait_for(reader.read(1024), 0.5) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


async def test_past_its_descriptors_the_server_closes_connections_and_keeps_answering(
    server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """With a hard limit of 600 descriptors (a soft one of 300 at start) and 900 slow connections, the
    server raised its soft limit, closed the connections past its cap at once, never hit EMFILE, and
    `/healthz` answered again as soon as the slow heads were cut."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < FLOOD + 200 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this test's own side of the flood
    agora = AgoraProcess(server.settings.database_url, tmp_path / "fd", nofile=(SOFT, HARD))
    await agora.start()
    readers: list[asyncio.StreamReader | None] = []
    writers: list[asyncio.StreamWriter] = []
    try:
        assert agora.process is not None
        assert soft_limit_of(agora.process.pid) == HARD  # raised at start
        for n in range(FLOOD):
            readers.append(await hold(agora.port, ADDRESSES[n % len(ADDRESSES)], writers))
        refused = sum(await asyncio.gather(*(closed_at_once(r) for r in readers)))
        # Every connection past the cap was closed at once (a few of those under it may have been cut
        # by the busy head timeout meanwhile, hence at least).
        assert refused >= FLOOD - (HARD - HEADROOM), (refused, FLOOD, HARD - HEADROOM)
        answered = None
        async with httpx.AsyncClient(base_url=agora.url, timeout=5) as http:
            for _ in range(60):  # the slow heads are cut within the busy head timeout (2 s)
                with contextlib.suppress(httpx.TransportError):
                    answered = (await http.get("/healthz")).status_code
                    if answered == 200:
                        break
                await asyncio.sleep(0.25)
        assert answered == 200
    finally:
        for writer in writers:
            writer.close()
        for writer in writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        agora.stop()
    log = agora.log_text()
    assert "Too many open files" not in log and "EMFILE" not in log, log[-3000:]
    agora.assert_clean_log()
