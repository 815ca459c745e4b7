"""Idempotency-Key: a retried cast gets the very response (and receipt) the first one got.

The key is bound to a hash of the request (`request_digest`): the same key sent with another choice
is refused with 422 `idempotency_mismatch` instead of answered with the first receipt.

Only a hash of the key is stored, and the receipt inside the stored response is sealed with the key
itself (XOR with a SHA-256 keystream), so whoever reads the table cannot recover a receipt. The rows
of a proposal are deleted when its vote closes.
"""

from __future__ import annotations

import hashlib
import hmac
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


def request_digest(key: str, choice: Any) -> str:
    """What the key is bound to: a hash of the request's content (its canonical JSON), keyed with the
    key itself so that whoever reads the table cannot test which choice a stored request made."""
    canonical = json.dumps({"choice": choice}, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hmac.new(key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def mismatch() -> Invalid:
    return Invalid(
        _("This Idempotency-Key was already used with a different request body."),
        code="idempotency_mismatch",
    )


def key_reused() -> Conflict:
    return Conflict(
        _("This Idempotency-Key was already used for another request."), code="idempotency_key_reused"
    )


async def stored_response(user_id: int, key: str) -> tuple[int, dict[str, Any], str | None] | None:
    """The proposal, the (unsealed) response first given for this user's key and the digest of the
    request it answered (None for rows written before keys were bound to the request), if any."""
    row = await IdempotencyKey.get_or_none(user_id=user_id, key_hash=key_hash(key))
    if row is None:
        return None
    body = dict(row.response)
    request = body.pop("request", None)
    body["receipt"] = unseal(key, body["receipt"])
    return row.proposal_id, body, request


def check_replay(stored: tuple[int, dict[str, Any], str | None], proposal_id: int, request: str) -> None:
    """Refuse a replay whose key was used on another proposal (409) or with another body (422)."""
    if stored[0] != proposal_id:
        raise key_reused()
    if stored[2] is not None and stored[2] != request:
        raise mismatch()


async def replay_of(user: User, key: str, proposal_id: int, request: str) -> dict[str, Any] | None:
    stored = await stored_response(user.id, key)
    if stored is None:
        return None
    check_replay(stored, proposal_id, request)
    return stored[1]


def key_row(user_id: int, key: str, proposal_id: int, body: dict[str, Any], request: str) -> IdempotencyKey:
    """The row that remembers a response (not saved: the caller saves it in its transaction)."""
    stored = {**body, "receipt": seal(key, body["receipt"]), "request": request}
    return IdempotencyKey(
        user_id=user_id,
        key_hash=key_hash(key),
        proposal_id=proposal_id,
        status=201,
        response=json.loads(json.dumps(stored)),
        created_at=clock.now(),
    )


async def remember(user: User, key: str, proposal_id: int, body: dict[str, Any], request: str) -> None:
    await key_row(user.id, key, proposal_id, body, request).save()
