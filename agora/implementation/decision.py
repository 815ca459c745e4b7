"""Whether a proposal's decision stands, so that carrying it out may begin: the one gate.

A decision stands when the proposal is an owners' matter and its newest resolution record (a
correction supersedes) is **final** and its verdict is "passed": certified and posted as the
preliminary record, the objection period over and every objection answered, then posted as final
(`agora.ballots.publication`: preliminary → objections → final). A draft or a preliminary record, a
failed vote and a consultation do not stand. Every caller asks this one function.
"""

from __future__ import annotations

from agora.ballots.publication import record_is_final_and_passed
from agora.proposals.models import Proposal


async def decision_stands(proposal: Proposal) -> bool:
    """True when the proposal's newest record is final and passed."""
    if proposal.matter not in ("ordinary", "major", "unanimous"):
        return False
    return await record_is_final_and_passed(proposal)
