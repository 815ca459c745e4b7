"""Whether a proposal's decision stands, so that carrying it out may begin: the one gate.

Engineer "proc" (issue 14) is adding the record's preliminary → objections → final procedure and
will expose `record_is_final_and_passed(proposal)`. Until that is on main, a decision stands when
the proposal's current resolution record (the newest; a correction supersedes) is certified and
posted and its verdict is "passed". Every caller asks this one function, so switching to the
final-record rule is a one-line change here.
"""

from __future__ import annotations

from agora.ballots.resolution import current_resolution
from agora.proposals.models import Proposal


async def decision_stands(proposal: Proposal) -> bool:
    """True when the proposal's record is final (today: certified and posted) and passed."""
    if proposal.matter not in ("ordinary", "major", "unanimous"):
        return False
    record = await current_resolution(proposal)
    if record is None or record.posted_at is None:
        return False
    verdict = (record.document or {}).get("verdict") or {}
    return verdict.get("outcome") == "passed"
