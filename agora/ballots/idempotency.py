"""Idempotency-Key: a retried cast gets the very response (and receipt) the first one got.

Only a hash of the key is stored, and the receipt inside the stored response is sealed with the key
itself (XOR with a SHA-256 keystream), so whoever reads the table cannot recover a receipt. The rows
of a proposal are deleted when its vote closes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.ballots.models import IdempotencyKey
from agora.errors import Conflict, Invalid
from agora.i18n import _

MAX_KEY_LENGTH = 200


def _keystream(key: str, size: int) -> bytes:
    out = b""
    block = 0
    while len(out) < size:
        out += hashlib.sha256(f"agora-idempotency:{block}:{key}".encode()).digest()
        block += 1
    return out[:size]


def seal(key: str, text: str) -> str:
    data = text.encode("utf-8")
    return bytes(a ^ b for a, b in zip(data, _keystream(key, len(data)), strict=True)).hex()


def unseal(key: str, sealed: str) -> str:
    data = bytes.fromhex(sealed)
    return bytes(a ^ b for a, b in zip(data, _keystream(key, len(data)), strict=True)).decode("utf-8")


def check_key(key: str | None) -> str | None:
    if key is None or key == "":
        return None
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            _("The Idempotency-Key header is too long or not printable."), code="bad_idempotency_key"
        )
    return key


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_reused() -> Conflict:
    return Conflict(
        _("This Idempotency-Key was already used for another request."), code="idempotency_key_reused"
    )


async def stored_response(user_id: int, key: str) -> tuple[int, dict[str, Any]] | None:
    """The proposal and the (unsealed) response first given for this user's key, if any."""
    row = await IdempotencyKey.get_or_none(user_id=user_id, key_hash=key_hash(key))
    if row is None:
        return None
    body = dict(row.response)
    body["receipt"] = unseal(key, body["receipt"])
    return row.proposal_id, body


async def replay_of(user: User, key: str, proposal_id: int) -> dict[str, Any] | None:
    stored = await stored_response(user.id, key)
    if stored is None:
        return None
    if stored[0] != proposal_id:
        raise key_reused()
    return stored[1]


def key_row(user_id: int, key: str, proposal_id: int, body: dict[str, Any]) -> IdempotencyKey:
    """The row that remembers a response (not saved: the caller saves it in its transaction)."""
    stored = {**body, "receipt": seal(key, body["receipt"])}
    return IdempotencyKey(
        user_id=user_id,
        key_hash=key_hash(key),
        proposal_id=proposal_id,
        status=201,
        response=json.loads(json.dumps(stored)),
        created_at=clock.now(),
    )


async def remember(user: User, key: str, proposal_id: int, body: dict[str, Any]) -> None:
    await key_row(user.id, key, proposal_id, body).save()
