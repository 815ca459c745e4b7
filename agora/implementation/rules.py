"""The rules of carrying a decision out, as pure functions (no Tortoise, no Starlette).

Money is handled as integer fen (1/100 yuan) from the moment it is parsed to the moment it is
printed: `parse_money("1700000.5")` is 170000050, `format_money(170000050)` is "1700000.50".
Never a float.

- Progress is a whole number from 0 to 100 and never goes backwards without a note.
- Spent money (cumulative) never goes down without a note either: a correction is said out loud.
- Spending beyond the approved budget by more than the compound's margin (rule
  `budget_margin_percent`, default 10) is refused; only a new vote raises the approved budget.
- Status: `planned` until the first update, `in_progress` after it, `done` at 100 %, `accepted`
  once residents accept the work, and `stalled` whenever the due date has passed and the work is
  neither done nor accepted (derived at read time, so it is never stale).
- The satisfaction rate is accepted / answered, a decimal string with three places, rounded down
  (a rate is never shown higher than it is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

STATUSES = ("planned", "in_progress", "done", "accepted", "stalled")
STAGES = ("before", "during", "after")
SOURCES = ("maintenance_fund", "self_raised", "public", "other")
DEFAULT_MARGIN_PERCENT = 10
MAX_MONEY_FEN = 10**13  # 1,000 亿元: far above any compound's works, far below 64-bit overflow
_MONEY_RE = re.compile(r"([0-9]{1,12})(?:\.([0-9]{1,2}))?")  # ASCII digits only


class RuleError(ValueError):
    """A value or a step the rules refuse. `field` names the input, `code` the contract's code."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


def parse_money(value: object, field: str = "amount") -> int:
    """A non-negative amount in yuan with at most two decimals -> fen. Strings or ints only.

    Floats are refused outright: 0.1 + 0.2 is not how a maintenance fund is kept.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RuleError("malformed_amount", field)
    text = str(value).strip()
    match = _MONEY_RE.fullmatch(text)
    if match is None:
        raise RuleError("malformed_amount", field)
    fen = int(match.group(1)) * 100 + int((match.group(2) or "").ljust(2, "0"))
    if fen > MAX_MONEY_FEN:
        raise RuleError("amount_too_large", field)
    return fen


def format_money(fen: int) -> str:
    """170000050 -> "1700000.50" (the API's decimal string: yuan, two places)."""
    if type(fen) is not int:
        raise TypeError(f"money must be integer fen, got {fen!r}")
    sign = "-" if fen < 0 else ""
    whole, fraction = divmod(abs(fen), 100)
    return f"{sign}{whole}.{fraction:02d}"


def parse_progress(value: object) -> int:
    """A whole number from 0 to 100 (a numeric string from a form is accepted)."""
    if isinstance(value, bool):
        raise RuleError("progress_out_of_range", "progress")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value <= 100:
        raise RuleError("progress_out_of_range", "progress")
    return value


def check_progress(previous: int, new: int, note: str) -> None:
    """Progress may stay or grow; going back needs a note saying why."""
    if new < previous and not note.strip():
        raise RuleError("progress_backwards", "note")


def check_spent(previous_fen: int, new_fen: int, note: str) -> None:
    """The cumulative amount spent may stay or grow; a lower figure is a correction with a note."""
    if new_fen < previous_fen and not note.strip():
        raise RuleError("spent_backwards", "note")


def spending_ceiling(budget_fen: int, margin_percent: int) -> int:
    """The most that may be spent without a new vote: budget × (1 + margin), rounded down to a fen."""
    return (budget_fen * (100 + margin_percent)) // 100


def within_budget(spent_fen: int, budget_fen: int, margin_percent: int) -> bool:
    """spent ≤ budget × (100 + margin) / 100, in exact integers (the bound itself is allowed)."""
    return spent_fen * 100 <= budget_fen * (100 + margin_percent)


def check_funding(budget_fen: int, funding: list[tuple[str, int]]) -> None:
    """Funding names known sources, each once, and adds up exactly to the budget."""
    seen: set[str] = set()
    for source, _amount in funding:
        if source not in SOURCES:
            raise RuleError("unknown_source", "funding")
        if source in seen:
            raise RuleError("duplicate_source", "funding")
        seen.add(source)
    if sum(amount for _source, amount in funding) != budget_fen:
        raise RuleError("funding_mismatch", "funding")


def stored_status_after_update(current: str, progress: int) -> str:
    """The stored status after an update: `done` at 100 %, else `in_progress` (an accepted work
    is finished: it takes no more updates)."""
    if current == "accepted":
        raise RuleError("already_accepted")
    return "done" if progress == 100 else "in_progress"


def effective_status(stored: str, due_at: datetime | None, now: datetime) -> str:
    """What residents see: a work past its due date that is not done or accepted is `stalled`."""
    if stored in ("done", "accepted"):
        return stored
    if due_at is not None and now > due_at:
        return "stalled"
    return stored


@dataclass(frozen=True)
class Acceptance:
    accepted: int
    rejected: int

    @property
    def answered(self) -> int:
        return self.accepted + self.rejected

    @property
    def passed(self) -> bool:
        """Residents accept the work when more than half of those who answered accept it."""
        return 2 * self.accepted > self.answered

    @property
    def satisfaction(self) -> str | None:
        return rate(self.accepted, self.answered)


def rate(part: int, whole: int) -> str | None:
    """part / whole as a decimal string with three places, rounded down; None when whole is 0."""
    if whole <= 0:
        return None
    if not 0 <= part <= whole:
        raise ValueError("a rate's part lies between 0 and the whole")
    thousandths = (1000 * part) // whole  # exact integer division: rounded down, never up
    return f"{thousandths // 1000}.{thousandths % 1000:03d}"


def progress_width(progress: int, width: int = 300) -> int:
    """The filled width of a progress bar (display only)."""
    return (width * max(0, min(100, progress))) // 100
