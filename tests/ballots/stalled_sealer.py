"""A sealing worker that says it is ready and then reads nothing: the pipe to it fills, as the pipe to
a worker held up (a stopped process, a starved CPU) would. The tests of `agora.ballots.sealer` run it
(`python -m tests.ballots.stalled_sealer`) in place of the real one; it is killed when they stop it."""

from __future__ import annotations

import sys
import time


def main() -> None:
    sys.stdout.buffer.write(b"ready\n")
    sys.stdout.buffer.flush()
    while True:
        time.sleep(60)


if __name__ == "__main__":
    main()
