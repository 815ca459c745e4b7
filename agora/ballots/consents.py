"""Individual consents, as pure rules: art. 279 unanimity and an elevator's occupied units.

- **住改商 (Civil Code art. 279)**: turning a home into a business needs the consent of *every*
  interested owner. It is not a majority vote: one refusal, or one owner who has not answered, and
  no decision is made. The record names who refused and who has not answered, to the committee.
- **Elevator**: adding one is decided by the owners of the entrance with the major-matter thresholds
  (art. 278), *and* needs the individual consent of every owner whose unit it occupies. Both are
  shown on the record; it passes only when both hold.

A consent is recorded once per owner (a second answer is refused: the first, signed, stands).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentTally:
    """Every listed owner's answer: consented, refused, or not answered yet."""

    required: tuple[str, ...]
    consented: tuple[str, ...]
    refused: tuple[str, ...]
    pending: tuple[str, ...]

    @property
    def unanimous(self) -> bool:
        """Every listed owner consented (an empty list is no consent at all: never unanimous)."""
        return bool(self.required) and len(self.consented) == len(self.required)

    @property
    def outcome(self) -> str:
        """ "passed" when unanimous, "no_decision" once anyone refused or the question closed
        without every answer (callers decide when it is closed; see `final_outcome`)."""
        return "passed" if self.unanimous else "no_decision"

    def to_json(self) -> dict[str, object]:
        return {
            "required": list(self.required),
            "consented": list(self.consented),
            "refused": list(self.refused),
            "pending": list(self.pending),
            "unanimous": self.unanimous,
        }


def tally_consents(required: Iterable[str], answers: Mapping[str, bool]) -> ConsentTally:
    """Sort each required owner by their answer; answers from anyone not listed are ignored."""
    listed = tuple(sorted(set(required)))
    consented = tuple(ref for ref in listed if answers.get(ref) is True)
    refused = tuple(ref for ref in listed if answers.get(ref) is False)
    pending = tuple(ref for ref in listed if ref not in answers)
    return ConsentTally(listed, consented, refused, pending)


def unanimity_outcome(tally: ConsentTally) -> str:
    """Art. 279: passed only when every interested owner consented; otherwise no decision made."""
    return "passed" if tally.unanimous else "no_decision"


def elevator_outcome(vote_outcome: str, occupied: ConsentTally | None) -> str:
    """The entrance vote's outcome, held back unless every occupied unit's owner consented.

    An undetermined vote stays undetermined; a vote that made no decision stays so; a passed vote
    with a missing or refused consent is no decision made. No occupied unit listed: the vote alone.
    """
    if vote_outcome != "passed":
        return vote_outcome
    if occupied is None or not occupied.required:
        return vote_outcome
    return "passed" if occupied.unanimous else "no_decision"
