"""Named ballots (rule ``ballot_secrecy: "named"``): after the close, the owners of the scope see each
unit's choice, as with signed paper ballots -- never before the close, never anyone else, and never
for a secret vote (whose choices agora does not keep).
"""

from __future__ import annotations

from typing import Any

from agora.accounts.models import User
from agora.ballots import electorate, secrecy
from agora.ballots.models import BallotSlot, LedgerRow
from agora.errors import Conflict, NotFound
from agora.i18n import _
from agora.proposals.timeline import access_proposal


async def named_ballots(user: User, proposal_id: int) -> dict[str, Any]:
    """``{units: [{building, unit, area, choice, channel}]}`` for an owner of the scope after close."""
    proposal, _access = await access_proposal(user, proposal_id)
    if not electorate.is_owners_matter(proposal) or await secrecy.is_secret(proposal.id):
        raise NotFound(_("This vote is secret: agora keeps no unit's choice."), code="secret_ballot")
    if proposal.closed_at is None or proposal.state not in ("closed", "certified"):
        raise Conflict(_("Each unit's choice is shown only after the vote closes."), code="not_closed")
    info = await electorate.snapshot_info(proposal)
    await electorate.owner_voter_for_user(info, user)  # Forbidden unless an owner of the scope
    snapshot = await electorate.load_snapshot(proposal)
    slots = await BallotSlot.filter(proposal_id=proposal.id).values("person_key", "seq", "channel")
    choices = dict(
        await LedgerRow.filter(proposal_id=proposal.id, seq__in=[s["seq"] for s in slots]).values_list(
            "seq", "choice"
        )
    )
    by_person = {slot["person_key"]: (choices.get(slot["seq"]), slot["channel"]) for slot in slots}
    persons = electorate.unit_person_keys(snapshot)
    units = []
    for unit in electorate.public_units(snapshot):
        person = persons.get((unit["building"], unit["unit"]))
        if person in by_person:
            choice, channel = by_person[person]
            units.append(
                {
                    "building": unit["building"],
                    "unit": unit["unit"],
                    "area": unit["area"],
                    "choice": choice,
                    "channel": channel,
                }
            )
    return {"proposal": proposal.id, "units": units}
