"""Finding an owner on a vote's frozen roll by building and room, or by name: pure, no I/O.

A canvasser at a door knows "3幢2单元201" or "周明", not the committee's owner reference. The
query is read as numbers (building, entrance, room: "3-2-201", "3幢2单元201室", "3 2-201", "201")
when it has digits, else as part of a name (or an exact owner reference).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_RESULTS = 20
_NUMBERS = re.compile(r"\d+")


@dataclass(frozen=True)
class Candidate:
    """One owner of one unit on the frozen roll (co-owners are one candidate each)."""

    owner_ref: str
    name: str
    building: str
    entrance: str
    unit: str
    area_cents: int

    @property
    def tokens(self) -> tuple[str, ...]:
        """The numbers that name the unit: building, then those of its label ("1-302" -> 1, 302),
        with leading zeros dropped."""
        return _numbers(self.building) + _numbers(self.unit)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _numbers(text: str) -> tuple[str, ...]:
    return tuple(str(int(n)) for n in _NUMBERS.findall(unicodedata.normalize("NFKC", text)))


def _rank(candidate: Candidate, query: tuple[str, ...]) -> int | None:
    """0: the whole address; 1: building and room ("3幢201"); 2: the end of the address ("2-201",
    "201"); None: no match."""
    tokens = candidate.tokens
    if query == tokens:
        return 0
    building = _numbers(candidate.building)
    if len(query) >= 2 and building and query[0] == building[0] and query[-1] == tokens[-1]:
        return 1
    if len(query) <= len(tokens) and tokens[len(tokens) - len(query) :] == query:
        return 2
    return None


def find(candidates: list[Candidate], query: str, limit: int = MAX_RESULTS) -> list[Candidate]:
    """The candidates the query names, best first (then in roll order); at most `limit`."""
    text = _fold(query)
    if not text:
        return []
    numbers = _numbers(text)
    if numbers:
        ranked = [(rank, i) for i, c in enumerate(candidates) if (rank := _rank(c, numbers)) is not None]
        return [candidates[i] for _rank_, i in sorted(ranked)[:limit]]
    exact = [c for c in candidates if _fold(c.owner_ref) == text]
    named = [c for c in candidates if text in _fold(c.name) and c not in exact]
    return (exact + named)[:limit]
