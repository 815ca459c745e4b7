"""The words of Civil Code art. 278 as agora uses them: matters, items, choices.

One vocabulary for the whole house: drafting checks a proposal's matter and item with it, the
ballots feature offers its choices, the tally and the record count and name them. Pure constants
and functions: no database, no web.

- **Matters.** An owners' matter is decided by the owners' vote under art. 278: *major* (items 6–8:
  raising the maintenance fund, rebuilding or altering buildings and facilities, changing the use of
  common parts) needs three quarters of those who took part; *ordinary* (items 1–5 and 9) more than
  half. A *consultation* is a non-binding poll open to every resident, with its own options.
- **The residents' meeting** (`resident_meeting`, 居民会议) is no owners' matter at all: residents,
  tenants too, attend and vote one each, by the Organic Law of Urban Residents' Committees art. 9
  (`agora.proposals.assembly`). Named here so that every matter has one spelling; `proposals.matter`
  is 16 characters wide, so it is `resident_meeting`.
- **Choices.** An owner votes yes, no or abstain; a paper ballot that cannot be read is *invalid*.
  Abstentions and invalid ballots count as taking part (docs/domain.md, "When a decision is made").
"""

from __future__ import annotations

MAJOR = "major"
ORDINARY = "ordinary"
CONSULTATION = "consultation"
OWNERS_MATTERS = (MAJOR, ORDINARY)  # decided by the owners' vote
UNANIMOUS = "unanimous"  # art. 279 (住改商): every interested owner's consent, not a vote
RESIDENT_MEETING = "resident_meeting"  # 居民会议: attendance and votes of residents, not ballots
MATTERS = (ORDINARY, MAJOR, CONSULTATION, UNANIMOUS, RESIDENT_MEETING)

MAJOR_ITEMS = (6, 7, 8)
ORDINARY_ITEMS = (1, 2, 3, 4, 5, 9)
FUND_USE_ITEM = 5  # using the maintenance fund: its electorate may be the units the spend charges
FUND_CATEGORY = "maintenance_fund"

BALLOT_CHOICES = ("yes", "no", "abstain")  # what an owner chooses
COUNTED_CHOICES = (*BALLOT_CHOICES, "invalid")  # what the count knows
CHOICE_NAMES_ZH = {"yes": "同意", "no": "反对", "abstain": "弃权", "invalid": "无效"}


def is_owners_matter(matter: str) -> bool:
    return matter in OWNERS_MATTERS


def is_fund_use(category: str, item: int | None) -> bool:
    """A maintenance-fund spend (item 5, category maintenance_fund): it may list the units it charges."""
    return category == FUND_CATEGORY and item == FUND_USE_ITEM


def has_record(matter: str) -> bool:
    """A resolution record is written at the close: an owners' vote, or art. 279's consents."""
    return matter in OWNERS_MATTERS or matter == UNANIMOUS


def matter_of_item(item: int) -> str:
    """The matter an art. 278 item makes (items 6–8 major, the others ordinary)."""
    return MAJOR if item in MAJOR_ITEMS else ORDINARY
