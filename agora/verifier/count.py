"""The verifier's own recount under Civil Code art. 278 (shares no code with agora's tally).

Written from ``domain.md`` and the published record format, not from the server's counting code, so a
fault there is not repeated here. Areas are integers in 0.01 m²; every threshold is an integer
cross-multiplication:

- quorum: ``3·a_p >= 2·A`` and ``3·n_p >= 2·N``;
- major matter (items 6-8): ``4·a_y >= 3·a_p`` and ``4·n_y >= 3·n_p``;
- ordinary matter: ``2·a_y > a_p`` and ``2·n_y > n_p``;
- a missing or zero N or A makes the result "undetermined"; a failed test "no_decision".

``recount`` returns the record's ``result`` object exactly as a correct server must have written it.
"""

from __future__ import annotations

CHOICES = ("yes", "no", "abstain", "invalid")

_BOUNDS = {"quorum": ">= 2/3", "major": ">= 3/4", "ordinary": "> 1/2"}


class Uncountable(ValueError):
    """The figures cannot be counted at all (more participants than the scope holds, unknown choice)."""


def area_text(cents: int | None) -> str:
    if cents is None:
        return "?"
    return f"{cents // 100}.{cents % 100:02d}"


def _ratio(part: int, whole: int | None, area: bool) -> str:
    if area:
        return area_text(part) + "/" + area_text(whole)
    return f"{part}/{'?' if whole is None else whole}"


def _verdict(matter: str, n_total: int | None, a_total: int | None, sums: dict[str, list[int]]) -> dict:
    """The result body for per-choice sums ``{choice: [persons, area_cents]}``."""
    n_p = sum(pair[0] for pair in sums.values())
    a_p = sum(pair[1] for pair in sums.values())
    n_y, a_y = sums["yes"]
    if (n_total is not None and n_p > n_total) or (a_total is not None and a_p > a_total):
        raise Uncountable("more participate than the scope holds")
    bound = _BOUNDS["major" if matter == "major" else "ordinary"]
    figures = [
        ("quorum_persons", _ratio(n_p, n_total, False), _BOUNDS["quorum"]),
        ("quorum_area", _ratio(a_p, a_total, True), _BOUNDS["quorum"]),
        ("approval_persons", _ratio(n_y, n_p, False), bound),
        ("approval_area", _ratio(a_y, a_p, True), bound),
    ]
    if not n_total or not a_total:
        met: list[bool | None] = [None, None, None, None]
        outcome, reason = "undetermined", "missing_figure"
    else:
        if matter == "major":
            approve_p, approve_a = 4 * n_y >= 3 * n_p, 4 * a_y >= 3 * a_p
        else:
            approve_p, approve_a = 2 * n_y > n_p, 2 * a_y > a_p
        met = [3 * n_p >= 2 * n_total, 3 * a_p >= 2 * a_total, n_p > 0 and approve_p, a_p > 0 and approve_a]
        if not (met[0] and met[1]):
            outcome, reason = "no_decision", "quorum_not_met"
        elif not (met[2] and met[3]):
            outcome, reason = "no_decision", "not_approved"
        else:
            outcome, reason = "passed", None
    return {
        "outcome": outcome,
        "reason": reason,
        "totals": {"persons": n_total, "area": None if a_total is None else area_text(a_total)},
        "participating": {"persons": n_p, "area": area_text(a_p)},
        "choices": {key: {"persons": sums[key][0], "area": area_text(sums[key][1])} for key in CHOICES},
        "tests": [
            {"name": name, "value": value, "required": required, "met": verdict}
            for (name, value, required), verdict in zip(figures, met, strict=True)
        ],
    }


def recount(
    matter: str,
    n_total: int | None,
    a_total: int | None,
    sums: dict[str, list[int]],
    deemed: tuple[str, int, int] | None = None,
) -> dict:
    """The ``result`` of an owners' vote from per-choice sums; ``deemed`` is (clause, persons, area) of
    the owners served a ballot who did not return one, counted with the clear majority of yes and no."""
    if set(sums) != set(CHOICES):
        raise Uncountable("the choices are not yes, no, abstain and invalid")
    strict = _verdict(matter, n_total, a_total, sums)
    if deemed is None:
        strict["deemed"] = None
        return strict
    clause, added_p, added_a = deemed
    if not clause.strip():
        raise Uncountable("deemed participation without its clause")
    strict_p, strict_a = strict["participating"]["persons"], sum(pair[1] for pair in sums.values())
    if (n_total is not None and strict_p + added_p > n_total) or (
        a_total is not None and strict_a + added_a > a_total
    ):
        raise Uncountable("voters and deemed participants exceed the scope")
    (yes_p, yes_a), (no_p, no_a) = sums["yes"], sums["no"]
    majority = "yes" if yes_p > no_p and yes_a > no_a else "no" if no_p > yes_p and no_a > yes_a else None
    if strict["outcome"] == "undetermined" or majority is None:
        beside = {key: value for key, value in strict.items() if key != "deemed"}
        beside["outcome"] = "undetermined"
        beside["reason"] = (
            "missing_figure" if strict["outcome"] == "undetermined" else "deemed_majority_unclear"
        )
        beside["tests"] = [dict(test, met=None) for test in strict["tests"]]
        majority = None
    else:
        shifted = {key: list(pair) for key, pair in sums.items()}
        shifted[majority][0] += added_p
        shifted[majority][1] += added_a
        beside = _verdict(matter, n_total, a_total, shifted)
    beside.update(
        clause=clause, deemed_choice=majority, added={"persons": added_p, "area": area_text(added_a)}
    )
    strict["deemed"] = beside
    return strict
