"""Proxies (委托投票), as pure rules: who the proxy is, what the authorization names, the cap.

A proxy votes for an owner with a written authorization that names the proposal; a proxy may
represent at most `proxy_cap` owners on one vote (Weifang: 3); property-management staff may be
barred as proxies (rule `proxy_bar_property_staff`, on by default).

The cap counts a proxy by **identity**, not by the name as typed: "王大妈", "王 大妈", "王\u200b大妈" and
"王大妈" in full-width forms are the same person to the canvasser who wrote them. The identity is the
name normalised (Unicode NFKC, case folded, every space, zero-width, format and control character
removed) plus the last four characters of the proxy's ID card number (the 18th may be "X"). Two
different people with the same name are told apart by those four characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Unicode categories removed from a name: format (zero-width space/joiners, BOM, bidi marks),
# control, and every separator (spaces of every width, line and paragraph separators).
_DROPPED_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})
_ID_LAST4 = re.compile(r"^[0-9]{3}[0-9X]$")
NAME_MAX = 120
AUTHORIZATION_MAX = 500


def normalize_name(name: str) -> str:
    """NFKC, case folded, with no space, zero-width, format or control characters."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    kept = "".join(
        ch for ch in folded if unicodedata.category(ch) not in _DROPPED_CATEGORIES and not ch.isspace()
    )
    return unicodedata.normalize("NFKC", kept)


def normalize_id_last4(value: str) -> str | None:
    """The last four characters of a PRC ID number: three digits then a digit or X (None if not)."""
    text = normalize_name(value).upper()
    return text if _ID_LAST4.match(text) else None


def identity(name: str, id_last4: str) -> str:
    """The key the cap counts: the normalised name and the last four ID characters."""
    last4 = normalize_id_last4(id_last4)
    if last4 is None:
        raise ValueError("id_last4 is not the last four characters of an ID number")
    return f"{normalize_name(name)}#{last4}"


def names_proposal(authorization: str, proposal_id: int, title: str) -> bool:
    """Does the written authorization name this proposal: its number (as a whole number) or title?"""
    text = normalize_name(authorization)
    if re.search(rf"(?<![0-9]){proposal_id}(?![0-9])", text):
        return True
    wanted = normalize_name(title)
    return bool(wanted) and wanted in text


@dataclass(frozen=True)
class ProxyInput:
    name: str
    id_last4: str
    authorization: str
    property_staff: bool

    @property
    def key(self) -> str:
        return identity(self.name, self.id_last4)


def parse_proxy(value: Any) -> tuple[ProxyInput | None, dict[str, str]]:
    """`{name, id_last4, authorization, property_staff?}` → the proxy, or the problems by field.

    `None, {}` when there is no proxy at all (a signed paper ballot by the owner).
    """
    if value is None or value == "" or value == {}:
        return None, {}
    if not isinstance(value, dict):
        return None, {"proxy": "type"}
    problems: dict[str, str] = {}
    name = value.get("name")
    if not isinstance(name, str) or not normalize_name(name):
        problems["proxy.name"] = "required"
    elif len(name) > NAME_MAX:
        problems["proxy.name"] = "too_long"
    last4 = value.get("id_last4")
    if not isinstance(last4, str) or not last4.strip():
        problems["proxy.id_last4"] = "required"
    elif normalize_id_last4(last4) is None:
        problems["proxy.id_last4"] = "invalid"
    authorization = value.get("authorization")
    if isinstance(authorization, dict):  # {reference, text}: the written authorization's reference and words
        parts = [authorization.get(k) for k in ("reference", "text", "proposal")]
        authorization = " ".join(
            str(p) for p in parts if isinstance(p, str | int) and not isinstance(p, bool)
        )
    if not isinstance(authorization, str) or not authorization.strip():
        problems["proxy.authorization"] = "required"
    elif len(authorization) > AUTHORIZATION_MAX:
        problems["proxy.authorization"] = "too_long"
    staff = value.get("property_staff", False)
    if not isinstance(staff, bool):
        problems["proxy.property_staff"] = "invalid"
    if problems:
        return None, problems
    return (
        ProxyInput(
            name=str(name).strip(),
            id_last4=str(normalize_id_last4(str(last4))),
            authorization=str(authorization).strip(),
            property_staff=bool(staff),
        ),
        {},
    )


def cap_reached(represented: int, cap: int) -> bool:
    """`represented` owners already carry this proxy's identity: may one more be added?"""
    return represented >= cap
