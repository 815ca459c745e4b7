"""Display names (pure): what a member may be called, next to everyone else's words.

A name is NFKC-normalised (full-width letters, compatibility forms) and its spaces collapsed.
Refused: control, bidi (right-to-left overrides and isolates) and zero-width or other invisible
format characters, which let a name pose as another or reorder the text around it; and a name that
imitates a role the person does not hold ("管理员", "admin", "业委会", "党支部"…), which would let
anyone appear as the administrator, the owners' committee or the Party branch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

MAX_LENGTH = 100

# Which held role lets a name use which words. "admin" is the platform administrator (User.is_admin),
# "committee" the owners' committee, "moderator" the Party branch (who moderates).
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "admin": (
        "管理员", "管理員", "系统管理", "系統管理", "平台官方", "官方", "客服",
        "administrator", "admin", "sysadmin",
    ),
    "committee": ("业委会", "業委會", "业主委员会", "業主委員會", "业主大会", "committee"),
    "moderator": (
        "党支部", "黨支部", "党委", "黨委", "党总支", "党组织", "居委会", "居委會", "版主",
        "moderator", "partybranch",
    ),
}  # fmt: skip

_SPACES = re.compile(r"\s+")


def _invisible(ch: str) -> bool:
    category = unicodedata.category(ch)
    # Cc controls, Cf format (bidi controls, zero-width joiners and spaces, BOM, soft hyphen…),
    # Co/Cn private and unassigned, Zl/Zp line separators.
    return category in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp") or ch in "\u115f\u1160\u3164\uffa0"


def normalise(name: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip()


def _squeezed(name: str) -> str:
    """Letters and digits only, case-folded: "A d-m.i n" → "admin", "管 理 员" → "管理员"."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def imitated_role(name: str) -> str | None:
    """The role a (normalised) name imitates, or None.

    CJK words match anywhere; Latin ones as a whole word, or at either end of the squeezed name
    ("adminWang", "Wang-Admin"), so "Badminton 羽毛球" is still a name."""
    squeezed = _squeezed(name)
    words = set(re.findall(r"[a-z0-9]+", name.casefold()))
    for role, terms in ROLE_WORDS.items():
        for term in terms:
            if term.isascii():
                if term in words or squeezed.startswith(term) or squeezed.endswith(term):
                    return role
            elif term in squeezed:
                return role
    return None


def check_display_name(name: str, held: Collection[str]) -> tuple[str, str | None]:
    """(the normalised name, None) or (name, reason): "empty", "too_long", "invisible", "role"."""
    if any(_invisible(ch) for ch in name):
        return name, "invisible"
    normal = normalise(name)
    if not normal:
        return normal, "empty"
    if len(normal) > MAX_LENGTH:
        return normal, "too_long"
    role = imitated_role(normal)
    if role is not None and role not in held:
        return normal, "role"
    return normal, None
