"""The user's words for each rule the implementation refuses, and its HTTP class (422 or 409)."""

from __future__ import annotations

from agora.errors import Conflict, Invalid
from agora.i18n import _
from agora.implementation.rules import MAX_MONEY_FEN, RuleError, format_money

CONFLICTS = frozenset({"over_budget", "already_accepted"})


def text(code: str) -> str:
    return {
        "malformed_amount": _("An amount is a number of yuan with at most two decimals, like 1234.50."),
        "amount_too_large": _("That amount is larger than {max} yuan.", max=format_money(MAX_MONEY_FEN)),
        "progress_out_of_range": _("Progress is a whole number from 0 to 100."),
        "progress_backwards": _("Progress went down: add a note saying why."),
        "spent_backwards": _("The amount spent went down: add a note saying why."),
        "unknown_source": _("Funding sources are maintenance_fund, self_raised, public or other."),
        "duplicate_source": _("Name each funding source once."),
        "funding_mismatch": _("The funding must add up exactly to the budget."),
        "over_budget": _(
            "This goes beyond the approved budget by more than the compound's margin:"
            " a new vote must approve a higher budget first."
        ),
        "already_accepted": _("Residents have accepted this work: it takes no more updates."),
    }.get(code, code)


def refusal(error: RuleError) -> Invalid | Conflict:
    message = text(error.code)
    if error.code in CONFLICTS:
        return Conflict(message, code=error.code)
    return Invalid(message, code=error.code, fields={error.field or "value": error.code})
