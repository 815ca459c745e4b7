"""A sealing worker that takes SLOW seconds longer a ballot: the tests of `agora.ballots.sealer` run
it (`python -m tests.ballots.slow_sealer`) in place of the real one."""

from __future__ import annotations

import time

from agora.ballots import sealer

SLOW = 0.6


def main() -> None:
    real = sealer.seal_choice

    def seal_slowly(public_key: bytes, proposal_id: int, receipt_hash: str, choice: str) -> tuple[str, str]:
        time.sleep(SLOW)
        return real(public_key, proposal_id, receipt_hash, choice)

    sealer.seal_choice = seal_slowly  # type: ignore[assignment]
    sealer.main()


if __name__ == "__main__":
    main()
