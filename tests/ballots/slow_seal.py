"""A ballot sealing that takes SLOW seconds longer, importable by the sealing worker process (the tests
of `agora.ballots.secrecy.seal_ahead` put it in place of `secrecy.seal`)."""

from __future__ import annotations

import time

from agora.ballots import secrecy

SLOW = 0.6
_seal = secrecy.seal  # the real one, as this module is first imported


def seal_slowly(public_key: bytes, proposal_id: int, receipt_hash: str, choice: str) -> tuple[str, str]:
    time.sleep(SLOW)  # blocks whatever thread seals: the event loop's, if sealing runs there
    return _seal(public_key, proposal_id, receipt_hash, choice)
