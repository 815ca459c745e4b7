"""Counting owners' votes under Civil Code art. 278, exactly.

Pure domain code: no database, no web framework. Areas are integers in hundredths of a square metre
("cents"); every comparison is an integer cross-multiplication, so there is no rounding anywhere.
Percentages exist only for display, elsewhere.

With ``N``, ``A`` the scope's totals, ``n_p``, ``a_p`` the participating persons and area and ``n_y``,
``a_y`` the yes:

- quorum (every owners' matter): ``3·a_p >= 2·A`` and ``3·n_p >= 2·N`` (art. 1259: "以上" includes the
  bound). Abstentions and invalid or blank ballots participate.
- major matter (art. 278 items 6-8): quorum and ``4·a_y >= 3·a_p`` and ``4·n_y >= 3·n_p``.
- ordinary matter (items 1-5, 9): quorum and ``2·a_y > a_p`` and ``2·n_y > n_p`` ("过半数" is strict).

A vote that fails is "no_decision" (never a decision for the opposite); a missing figure makes the
result "undetermined" (never a pass).

Threshold tests (``ThresholdTest``) always come in this order: ``quorum_persons``, ``quorum_area``,
``approval_persons``, ``approval_area``. Their ``value`` is ``"<numerator>/<denominator>"`` of the
quantities compared: participating/total for the quorum, yes/participating for approval; persons as
integers and areas as two-decimal strings (``"2057.71/3086.56"``); an unknown total is written ``?``.
``required`` is the bound the fraction is held to (``">= 2/3"``, ``">= 3/4"``, ``"> 1/2"``). An approval
test with nobody participating is not met (there is nothing to approve); when the result is undetermined,
every test has ``met = None``.

Deemed participation ("未投票视为同意多数") is an opt-in per-compound clause. ``tally_owners`` always
returns the STRICT tally at the top level and, when a ``DeemedParticipation`` is given, the deemed tally
in ``.deemed`` beside it. Which one is authoritative is the caller's decision (the compound's setting);
the record must carry both and the flag.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from agora.art278 import COUNTED_CHOICES, OWNERS_MATTERS

OWNER_CHOICES = COUNTED_CHOICES
MATTERS = OWNERS_MATTERS

_REQUIRED_QUORUM = ">= 2/3"
_REQUIRED_MAJOR = ">= 3/4"
_REQUIRED_ORDINARY = "> 1/2"


class CountedBallot(NamedTuple):
    """One effective ballot as it weighs in the count (a person's ballot is ``persons=1``).

    An immutable named tuple rather than a frozen dataclass: a count builds one per effective ballot,
    and a tuple is built several times faster.
    """

    choice: str
    persons: int
    area_cents: int


@dataclass(frozen=True, slots=True)
class ThresholdTest:
    name: str
    value: str
    required: str
    met: bool | None


@dataclass(frozen=True, slots=True)
class DeemedParticipation:
    """The clause of the rules of procedure, and the owners served a ballot who did not return one.

    Only owners with recorded proof of delivery belong in ``delivered_not_returned``; their ``choice`` is
    ignored (they did not choose), only their weight counts.
    """

    clause: str
    delivered_not_returned: list[CountedBallot] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TallyResult:
    outcome: str
    reason: str | None
    persons_total: int | None
    area_cents_total: int | None
    participating_persons: int
    participating_area_cents: int
    choices: dict[str, tuple[int, int]]
    tests: tuple[ThresholdTest, ...]
    deemed: TallyResult | None = None
    # Set only on a deemed tally: the clause applied, the majority the silent owners were counted
    # with (None when it was unclear), and the (persons, area_cents) they added.
    clause: str | None = None
    deemed_choice: str | None = None
    deemed_added: tuple[int, int] = (0, 0)

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


def _fmt_area(cents: int | None) -> str:
    """Two-decimal string of an area in cents (``8950 -> "89.50"``); ``?`` when unknown."""
    if cents is None:
        return "?"
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _fraction(num: int, den: int | None, *, area: bool) -> str:
    if area:
        return f"{_fmt_area(num)}/{_fmt_area(den)}"
    return f"{num}/{'?' if den is None else den}"


def _check_ballot(ballot: CountedBallot) -> None:
    if ballot.persons < 0 or ballot.area_cents < 0:
        raise ValueError(f"negative weight in ballot {ballot!r}")


def _sum_choices(ballots: Iterable[CountedBallot]) -> dict[str, tuple[int, int]]:
    """(persons, area) per choice; one pass with plain integer sums, every ballot checked."""
    persons = dict.fromkeys(OWNER_CHOICES, 0)
    areas = dict.fromkeys(OWNER_CHOICES, 0)
    for ballot in ballots:
        choice, n, area = ballot  # unpacked: three attribute reads cost twice as much over 10,000 ballots
        if choice not in persons:
            raise ValueError(f"unknown choice {choice!r} for an owners' matter")
        if n < 0 or area < 0:
            raise ValueError(f"negative weight in ballot {ballot!r}")
        persons[choice] += n
        areas[choice] += area
    return {key: (persons[key], areas[key]) for key in OWNER_CHOICES}


def _judge(
    matter: str,
    persons_total: int | None,
    area_cents_total: int | None,
    choices: dict[str, tuple[int, int]],
) -> TallyResult:
    """Apply art. 278 to summed choices; the single place where the thresholds live."""
    n_p = sum(persons for persons, _ in choices.values())
    a_p = sum(area for _, area in choices.values())
    n_y, a_y = choices["yes"]
    if persons_total is not None and n_p > persons_total:
        raise ValueError(f"{n_p} participating persons exceed the {persons_total} in scope")
    if area_cents_total is not None and a_p > area_cents_total:
        raise ValueError(f"{a_p} participating area exceeds the {area_cents_total} in scope")
    required = _REQUIRED_MAJOR if matter == "major" else _REQUIRED_ORDINARY

    def tests(
        quorum_p: bool | None, quorum_a: bool | None, appr_p: bool | None, appr_a: bool | None
    ) -> tuple[ThresholdTest, ...]:
        return (
            ThresholdTest(
                "quorum_persons", _fraction(n_p, persons_total, area=False), _REQUIRED_QUORUM, quorum_p
            ),
            ThresholdTest(
                "quorum_area", _fraction(a_p, area_cents_total, area=True), _REQUIRED_QUORUM, quorum_a
            ),
            ThresholdTest("approval_persons", _fraction(n_y, n_p, area=False), required, appr_p),
            ThresholdTest("approval_area", _fraction(a_y, a_p, area=True), required, appr_a),
        )

    def result(outcome: str, reason: str | None, test_tuple: tuple[ThresholdTest, ...]) -> TallyResult:
        return TallyResult(
            outcome, reason, persons_total, area_cents_total, n_p, a_p, dict(choices), test_tuple
        )

    if not persons_total or not area_cents_total:
        return result("undetermined", "missing_figure", tests(None, None, None, None))

    quorum_p = 3 * n_p >= 2 * persons_total
    quorum_a = 3 * a_p >= 2 * area_cents_total
    if matter == "major":
        appr_p = n_p > 0 and 4 * n_y >= 3 * n_p
        appr_a = a_p > 0 and 4 * a_y >= 3 * a_p
    else:
        appr_p = n_p > 0 and 2 * n_y > n_p
        appr_a = a_p > 0 and 2 * a_y > a_p
    checked = tests(quorum_p, quorum_a, appr_p, appr_a)
    if not (quorum_p and quorum_a):
        return result("no_decision", "quorum_not_met", checked)
    if not (appr_p and appr_a):
        return result("no_decision", "not_approved", checked)
    return result("passed", None, checked)


def _deemed_tally(
    matter: str,
    persons_total: int | None,
    area_cents_total: int | None,
    strict: TallyResult,
    deemed: DeemedParticipation,
) -> TallyResult:
    """The tally with silent served owners counted with the majority of those who voted.

    The majority must be clear: yes and no compared by persons and by area must both favour the same
    side. A tie, or persons and area disagreeing, leaves the deemed tally undetermined.
    """
    if not deemed.clause or not deemed.clause.strip():
        raise ValueError("deemed participation needs the text of the clause that allows it")
    added_p = added_a = 0
    for ballot in deemed.delivered_not_returned:
        _check_ballot(ballot)
        added_p += ballot.persons
        added_a += ballot.area_cents
    (yes_p, yes_a), (no_p, no_a) = strict.choices["yes"], strict.choices["no"]
    if yes_p > no_p and yes_a > no_a:
        majority: str | None = "yes"
    elif no_p > yes_p and no_a > yes_a:
        majority = "no"
    else:
        majority = None
    _check_room(persons_total, area_cents_total, strict, added_p, added_a)
    if strict.outcome == "undetermined" or majority is None:
        reason = "missing_figure" if strict.outcome == "undetermined" else "deemed_majority_unclear"
        blank = tuple(ThresholdTest(t.name, t.value, t.required, None) for t in strict.tests)
        return TallyResult(
            "undetermined",
            reason,
            persons_total,
            area_cents_total,
            strict.participating_persons,
            strict.participating_area_cents,
            dict(strict.choices),
            blank,
            clause=deemed.clause,
            deemed_choice=None,
            deemed_added=(added_p, added_a),
        )
    choices = dict(strict.choices)
    persons, area = choices[majority]
    choices[majority] = (persons + added_p, area + added_a)
    judged = _judge(matter, persons_total, area_cents_total, choices)
    return TallyResult(
        judged.outcome,
        judged.reason,
        persons_total,
        area_cents_total,
        judged.participating_persons,
        judged.participating_area_cents,
        judged.choices,
        judged.tests,
        clause=deemed.clause,
        deemed_choice=majority,
        deemed_added=(added_p, added_a),
    )


def _check_room(
    persons_total: int | None, area_cents_total: int | None, strict: TallyResult, added_p: int, added_a: int
) -> None:
    if persons_total is not None and strict.participating_persons + added_p > persons_total:
        raise ValueError("voters and deemed participants exceed the persons in scope")
    if area_cents_total is not None and strict.participating_area_cents + added_a > area_cents_total:
        raise ValueError("voters and deemed participants exceed the area in scope")


def tally_owners(
    matter: str,
    persons_total: int | None,
    area_cents_total: int | None,
    ballots: Iterable[CountedBallot],
    *,
    deemed: DeemedParticipation | None = None,
) -> TallyResult:
    """Count an owners' vote (``matter`` "major" or "ordinary") over the effective ballots.

    ``persons_total``/``area_cents_total`` are N and A of the roll frozen at opening; None (or 0) means
    the figure is missing and the result is undetermined. Raises ValueError on an unknown matter or
    choice, negative figures, or participation larger than the scope.
    """
    if matter not in MATTERS:
        raise ValueError(f"matter must be one of {MATTERS}, not {matter!r}")
    for name, value in (("persons_total", persons_total), ("area_cents_total", area_cents_total)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative")
    strict = _judge(matter, persons_total, area_cents_total, _sum_choices(ballots))
    if deemed is None:
        return strict
    beside = _deemed_tally(matter, persons_total, area_cents_total, strict, deemed)
    return TallyResult(
        strict.outcome,
        strict.reason,
        strict.persons_total,
        strict.area_cents_total,
        strict.participating_persons,
        strict.participating_area_cents,
        strict.choices,
        strict.tests,
        deemed=beside,
    )


def tally_consultation(options: list[str], ballots: Iterable[CountedBallot]) -> dict[str, int]:
    """Persons per option of a non-binding poll: no area, no quorum, every option present."""
    if len(set(options)) != len(options):
        raise ValueError("consultation options must be distinct")
    counts = {option: 0 for option in options}
    for ballot in ballots:
        if ballot.choice not in counts:
            raise ValueError(f"unknown option {ballot.choice!r}")
        if ballot.persons < 0:
            raise ValueError("negative persons in a ballot")
        counts[ballot.choice] += ballot.persons
    return counts


def _ceil_two_thirds(total: int) -> int:
    """Smallest integer x with 3·x >= 2·total."""
    return -((-2 * total) // 3)


def turnout(
    persons_total: int | None,
    area_cents_total: int | None,
    participating_persons: int,
    participating_area_cents: int,
) -> dict[str, Any]:
    """The live meter while voting: how many have voted, and the exact minimum the quorum needs.

    ``persons_needed = ceil(2N/3)`` and ``area_needed_cents = ceil(2A/3)`` (None when the total is
    unknown); ``quorum_met`` is None when either total is missing or zero.
    """
    for value in (persons_total, area_cents_total, participating_persons, participating_area_cents):
        if value is not None and value < 0:
            raise ValueError("turnout figures must not be negative")
    persons_needed = None if persons_total is None else _ceil_two_thirds(persons_total)
    area_needed = None if area_cents_total is None else _ceil_two_thirds(area_cents_total)
    met = None
    if persons_needed is not None and area_needed is not None and persons_total and area_cents_total:
        met = participating_persons >= persons_needed and participating_area_cents >= area_needed
    return {
        "persons": participating_persons,
        "area_cents": participating_area_cents,
        "persons_total": persons_total,
        "area_cents_total": area_cents_total,
        "persons_needed": persons_needed,
        "area_needed_cents": area_needed,
        "quorum_met": met,
    }


def turnout_to_json(meter: dict[str, Any]) -> dict[str, Any]:
    """``turnout()`` in the docs/api.md shape (areas as two-decimal strings)."""

    def area(cents: int | None) -> str | None:
        return None if cents is None else _fmt_area(cents)

    return {
        "persons": meter["persons"],
        "area": area(meter["area_cents"]),
        "persons_total": meter["persons_total"],
        "area_total": area(meter["area_cents_total"]),
        "persons_needed": meter["persons_needed"],
        "area_needed": area(meter["area_needed_cents"]),
    }


def _result_body(result: TallyResult) -> dict[str, Any]:
    return {
        "outcome": result.outcome,
        "reason": result.reason,
        "totals": {
            "persons": result.persons_total,
            "area": None if result.area_cents_total is None else _fmt_area(result.area_cents_total),
        },
        "participating": {
            "persons": result.participating_persons,
            "area": _fmt_area(result.participating_area_cents),
        },
        "choices": {
            key: {"persons": persons, "area": _fmt_area(area)}
            for key, (persons, area) in result.choices.items()
        },
        "tests": [
            {"name": test.name, "value": test.value, "required": test.required, "met": test.met}
            for test in result.tests
        ],
    }


def result_to_json(result: TallyResult) -> dict[str, Any]:
    """The docs/api.md "After close" shape; ``deemed`` is null or the same shape plus the clause applied.

    The deemed object also carries ``deemed_choice`` (the majority the silent owners joined, null when
    unclear) and ``added`` ({persons, area} of the silent owners).
    """
    body = _result_body(result)
    if result.deemed is None:
        body["deemed"] = None
    else:
        deemed = _result_body(result.deemed)
        persons, area = result.deemed.deemed_added
        deemed.update(
            clause=result.deemed.clause,
            deemed_choice=result.deemed.deemed_choice,
            added={"persons": persons, "area": _fmt_area(area)},
        )
        body["deemed"] = deemed
    return body
