"""Device cookies: a browser or phone that has signed in to an account before (pure, no I/O).

OWASP's "Slow Down Online Guessing Attacks with Device Cookies": after a successful sign-in the
client gets a cookie naming the account and a random device id, signed with a key derived from
`AGORA_SECRET_KEY`. Failed sign-ins from a known device count only against that device, so an
attacker elsewhere — from however many addresses — cannot lock the owner's own phone out; clients
without one share the account-wide and per-address limits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "agora_device"
MAX_AGE = 365 * 24 * 3600
_VERSION = "d1"


def _key(secret: str) -> bytes:
    return hashlib.sha256(f"agora-device-cookie:{secret}".encode()).digest()


def _mac(secret: str, login: str, device: str) -> str:
    message = f"{login.strip().lower()}|{device}".encode()
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()[:32]


def issue(secret: str, login: str) -> str:
    """A new cookie value binding a fresh device id to `login`."""
    device = secrets.token_urlsafe(16)
    return f"{_VERSION}.{device}.{_mac(secret, login, device)}"


def device_for(secret: str, value: str | None, login: str) -> str | None:
    """The device id in a cookie issued for `login` with this secret, else None."""
    if not value or len(value) > 100 or not login:
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != _VERSION or not parts[1]:
        return None
    if not hmac.compare_digest(parts[2], _mac(secret, login, parts[1])):
        return None
    return parts[1]
