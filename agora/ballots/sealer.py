"""The sealing worker: a process of its own that seals secret ballots for its server, over a pipe.

Sealing a ballot (`elgamal.encrypt_ballot`: thirty scalar multiplications, about 2 ms) is most of a
secret ballot's work. On the event loop it holds up every other request; in a thread it costs more
than it saves (libsodium releases the interpreter's lock on each of its calls, some sixty a ballot,
and under load each hand-back waits for the event loop's thread); a `ProcessPoolExecutor` adds two
threads of its own to the server, each woken for every ballot. Here the event loop writes one line
to the worker's stdin and reads one line from its stdout, as it reads a socket:

    request:  <n> <public key, hex> <proposal id> <receipt hash> <choice>
    answer:   <n> <ciphertext, hex> <proof, hex>        (or `<n> !` when it could not seal)

answered in the order asked (the event loop reads the answers as they come, with no thread of its
own: `asyncio.SubprocessProtocol`). The worker (`python -m agora.ballots.sealer`) imports only the crypto
core, says `ready` once, and ends when its input ends: when the server closes the pipe, and when the
server's process ends, however it ended (the kernel closes the pipe).

`Sealer.seal` seals in the caller's thread until the server has sealed `start_after` ballots since it
started (a server that seals a ballot now and then starts no process) and until the worker is ready;
and again for a ballot whose worker died or refused it (the error, if any, is then the caller's own).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from typing import cast

from agora import offload
from agora.ballots.secret_ledger import seal_choice

START_AFTER = 32
Sealed = tuple[str, str]  # the ciphertext and the proof, hex


class NotSealed(Exception):
    """The worker is gone, behind, or could not seal this ballot: seal it in the server."""


BEHIND = 64 * 1024  # bytes of requests waiting in the pipe (some 400 ballots): past that, seal here


class Sealer:
    """The server's sealing worker, started when it is needed and stopped with the app."""

    worker = "agora.ballots.sealer"  # the module the worker runs (`python -m`)

    def __init__(self, start_after: int = START_AFTER) -> None:
        self.start_after = start_after
        self._calls = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting: asyncio.Task[None] | None = None
        self._transport: asyncio.SubprocessTransport | None = None
        self._pipe: _Pipe | None = None
        self._stdin: asyncio.WriteTransport | None = None
        self._pending: dict[int, asyncio.Future[Sealed]] = {}
        self._next = 0
        self._ready = False
        offload.on_stop(self.shutdown)

    @property
    def started(self) -> bool:
        return self._transport is not None or self._starting is not None

    @property
    def ready(self) -> bool:
        """The worker has said it is ready: ballots go to it."""
        return self._ready

    @property
    def pid(self) -> int | None:
        return None if self._transport is None else self._transport.get_pid()

    async def seal(self, public_key: bytes, proposal_id: int, receipt_hash: str, choice: str) -> Sealed:
        """The ballot's ciphertext and proof (hex), by the worker once it is ready, else here."""
        if self._loop is not None and self._loop is not asyncio.get_running_loop():
            self.stop()  # a worker of another event loop (an earlier server in the same process)
        if self._ready:
            with contextlib.suppress(NotSealed):
                return await self._ask(public_key, proposal_id, receipt_hash, choice)
        elif not self.started:
            self._calls += 1
            if self._calls > self.start_after:
                self.start()
        return seal_choice(public_key, proposal_id, receipt_hash, choice)

    def start(self) -> None:
        """Start the worker now, in the background (it says `ready` within a fraction of a second)."""
        if not self.started:
            self._loop = asyncio.get_running_loop()
            self._starting = self._loop.create_task(self._open())

    async def _open(self) -> None:
        assert self._loop is not None
        try:
            transport, protocol = await self._loop.subprocess_exec(
                lambda: _Pipe(self), sys.executable, "-m", self.worker, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=None,
            )  # fmt: skip
        finally:
            self._starting = None
        self._transport, self._pipe = transport, protocol
        self._stdin = cast(asyncio.WriteTransport, transport.get_pipe_transport(0))

    def _answer(self, fields: list[bytes]) -> None:
        if not fields:
            return
        if fields == [b"ready"]:
            self._ready = True
            return
        future = self._pending.pop(int(fields[0]), None)
        if future is None or future.done():
            return
        if len(fields) == 3:
            future.set_result((fields[1].decode("ascii"), fields[2].decode("ascii")))
        else:
            future.set_exception(NotSealed("the sealing worker could not seal this ballot"))

    async def _ask(self, public_key: bytes, proposal_id: int, receipt_hash: str, choice: str) -> Sealed:
        stdin = self._stdin
        if stdin is None or stdin.is_closing() or stdin.get_write_buffer_size() > BEHIND:
            raise NotSealed("no sealing worker, or one far behind")
        n, self._next = self._next, self._next + 1
        future = self._pending[n] = asyncio.get_running_loop().create_future()
        stdin.write(f"{n} {public_key.hex()} {proposal_id} {receipt_hash} {choice}\n".encode("ascii"))
        return await future

    def ended(self, transport: asyncio.SubprocessTransport | None) -> None:
        """The worker's process ended (or is being stopped): what it held is sealed in the server, and
        a new worker comes after `start_after` more ballots."""
        if transport is not None and transport is not self._transport:
            return  # an earlier worker's end
        self._transport, self._stdin, self._ready, self._calls = None, None, False, 0
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(NotSealed("the sealing worker ended"))
        if transport is not None:
            transport.close()

    async def shutdown(self) -> None:
        """End the worker at the app's shutdown: its input closed, it ends by itself (killed if it
        has not within a second), and its end is awaited, so no process is left to reap."""
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starting
        transport, pipe = self._transport, self._pipe
        if transport is not None and pipe is not None and self._loop is asyncio.get_running_loop():
            stdin = transport.get_pipe_transport(0)
            if stdin is not None:
                stdin.close()
            try:
                await asyncio.wait_for(asyncio.shield(pipe.exited), 1)
            except TimeoutError:
                transport.kill()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(pipe.exited, 5)
        self.stop()

    def stop(self) -> None:
        """End the worker now, without waiting (a worker of an event loop that has ended)."""
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        self.ended(self._transport)  # closes the transport: kills the process if it still runs
        self._loop = self._pipe = None


class _Pipe(asyncio.SubprocessProtocol):
    """The worker's stdout, split into answer lines, and its end."""

    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer
        self.transport: asyncio.SubprocessTransport | None = None
        self.partial = b""
        self.exited: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.SubprocessTransport, transport)

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        *lines, self.partial = (self.partial + cast(bytes, data)).split(b"\n")
        for line in lines:
            self.sealer._answer(line.split())

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)
        self.sealer.ended(self.transport)


def main() -> None:
    """The worker's loop: one answer per request line, until the input ends."""
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        fields = line.split()
        try:
            n, public, proposal_id, receipt_hash, choice = fields
            key = bytes.fromhex(public.decode())
            ciphertext, proof = seal_choice(key, int(proposal_id), receipt_hash.decode(), choice.decode())
            out.write(b"%s %s %s\n" % (n, ciphertext.encode(), proof.encode()))
        except Exception:  # noqa: BLE001 — a request it cannot seal: the server seals it and sees why
            out.write(b"%s !\n" % (fields[0] if fields else b"-1"))
        out.flush()


if __name__ == "__main__":
    main()
