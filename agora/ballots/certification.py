"""Certifying a resolution record and its two stages, as pure rules.

The owners' committee certifies: `certify_signatures` of its members (a rule of procedure, default
1) sign, and the record is posted as **preliminary**. Owners of the scope may object during
`objection_days` (default 7); then the committee answers every objection and posts the **final**
record. A platform administrator is not the owners' committee: an administrator's signature never
counts (they cannot sign at all; this module does not count them even if a row said otherwise).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

STATUSES = ("draft", "preliminary", "final")


@dataclass(frozen=True)
class Signature:
    user_id: int
    is_committee: bool
    is_admin: bool


def counted_signers(signatures: Iterable[Signature]) -> set[int]:
    """Distinct committee members who signed (administrators who are not members do not count)."""
    return {s.user_id for s in signatures if s.is_committee}


def certification_complete(signatures: Iterable[Signature], required: int) -> bool:
    """Enough distinct committee members signed (at least one, whatever the rule says)."""
    return len(counted_signers(signatures)) >= max(1, required)


def record_status(posted: bool, finalized: bool) -> str:
    if finalized:
        return "final"
    if posted:
        return "preliminary"
    return "draft"


def unanswered(objection_ids: Iterable[int], answers: dict[int, str]) -> list[int]:
    """Objections with no (non-blank) answer: the final record answers each one."""
    return sorted(i for i in objection_ids if not (answers.get(i) or "").strip())


def final_and_passed(status: str, outcome: str | None) -> bool:
    """A decision may be carried out only once its record is final and it passed."""
    return status == "final" and outcome == "passed"


def record_hash(document: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON (sorted keys, no whitespace, UTF-8)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
