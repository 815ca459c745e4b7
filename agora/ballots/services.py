"""The ballots feature's use cases, in one import: casting, closing, results and the record.

The scheduler imports `close_overdue` from here; the proposals feature calls `open_vote` and
`close_vote` (also importable from `agora.ballots.voting`).
"""

from __future__ import annotations

from agora.ballots.casting import cast_ballot, cast_paper, my_ballot, record_delivery
from agora.ballots.ledger import turnout_now
from agora.ballots.paper_undo import undo_paper
from agora.ballots.resolution import archive, certify, correct, resolution_json
from agora.ballots.results import building_turnout, ledger_json, result_json
from agora.ballots.voting import close_overdue, close_vote, open_vote

__all__ = [
    "archive",
    "building_turnout",
    "cast_ballot",
    "cast_paper",
    "certify",
    "close_overdue",
    "close_vote",
    "correct",
    "ledger_json",
    "my_ballot",
    "open_vote",
    "record_delivery",
    "resolution_json",
    "result_json",
    "turnout_now",
    "undo_paper",
]
