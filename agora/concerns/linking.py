"""A proposal names the concern it answers (`concern` on create): checked and linked inside the
proposal's own transaction, through the proposals feature's create hook (registered on import).

The concern must be one of the same compound that the author may see (else 422 and no proposal is
written); a merged concern's survivor is linked instead. The concern's history records the link and
its page lists the proposal; the proposal's JSON carries `concern`.
"""

from __future__ import annotations

from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.concerns import history
from agora.concerns.access import viewer_in
from agora.concerns.models import Concern
from agora.concerns.permissions import can_see
from agora.errors import Invalid, NotFound
from agora.i18n import _
from agora.proposals import services as proposal_services
from agora.proposals.models import Proposal
from agora.rooms.access import HallAccess
from agora.rooms.models import Hall
from agora.web.http import parse_id


def _unknown() -> Invalid:
    return Invalid(_("This compound has no such concern."), fields={"concern": "unknown"})


async def link_new_proposal(
    access: HallAccess, author: User, proposal: Proposal, data: dict[str, Any]
) -> None:
    raw = data.get("concern")
    if raw in (None, ""):
        return
    concern_id = parse_id(raw)
    concern = await Concern.get_or_none(id=concern_id) if concern_id is not None else None
    if concern is None or concern.compound_id != access.hall.compound_id:  # type: ignore[attr-defined]
        raise _unknown()
    try:
        viewer = await viewer_in(author, await Hall.get(id=concern.compound_id))  # type: ignore[attr-defined]
    except NotFound:
        raise _unknown() from None
    if not can_see(concern.visibility, viewer.who(concern)):
        raise _unknown()
    if concern.merged_into_id is not None:
        concern = await Concern.get(id=concern.merged_into_id)
    now = clock.now()
    proposal.concern_id = concern.id
    await proposal.save(update_fields=["concern_id"])
    await history.add_event(concern, "proposal", concern.status, now, author, str(proposal.id))
    await Concern.filter(id=concern.id).update(updated_at=now)


proposal_services.on_create(link_new_proposal)
