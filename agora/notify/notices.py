"""The residents' committee is told of every owners' vote and of its result (docs/domain.md).

The community's `staff` role (社区/街道工作人员, held in the community hall) stands for the residents'
committee (居委会). When a proposal's notice is published, inside the same transaction, every active
staff account of the compound's community gets one notification (its inbox entry, made once: the
(user, key) pair is unique); `agora.notify.services.sweep_notices` then passes it on by e-mail or SMS
where the operator turned those on and the staff member left an address. The resolution record says
when the committee was told and how many staff members (`told_count`). When the final record is
posted, the same staff are told the result (`tell_result`, kind `vote_result`): the outcome is in the
message itself, since staff do not read a compound's proposals (docs/stats.md, "Community staff").

Storage only below this module (notify's models, the roll's roles, accounts): the proposals feature
calls it from the notice, and the record reads the count, without the notifier's services.
"""

from __future__ import annotations

from datetime import datetime

from agora.accounts.models import User
from agora.notify.models import Notification
from agora.rooms.models import STAFF_ROLE, MemberRole

KIND = "vote_notice"
RESULT_KIND = "vote_result"
KINDS = (KIND, RESULT_KIND)
"""What the community's staff are told: an owners' vote's notice, and its final result."""


def notice_key(proposal_id: int) -> str:
    return f"{KIND}:{proposal_id}"


def result_key(proposal_id: int) -> str:
    return f"{RESULT_KIND}:{proposal_id}"


async def tell_community_staff(
    community_id: int, proposal_id: int, closes_at: datetime | None, now: datetime
) -> int:
    """One notification of the notice for each active staff member of the community; the number told."""
    return await _tell(KIND, notice_key(proposal_id), community_id, proposal_id, closes_at, now)


async def tell_result(community_id: int, proposal_id: int, now: datetime) -> int:
    """One notification of the final result for each active staff member; the number told."""
    return await _tell(RESULT_KIND, result_key(proposal_id), community_id, proposal_id, None, now)


async def _tell(
    kind: str, key: str, community_id: int, proposal_id: int, due_at: datetime | None, now: datetime
) -> int:
    role_holders = await MemberRole.filter(hall_id=community_id, role=STAFF_ROLE).values_list(
        "user_id", flat=True
    )
    staff = (
        await User.filter(id__in=list(role_holders), is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    done = set(await Notification.filter(key=key).values_list("user_id", flat=True))
    for user_id in staff:
        if user_id in done:
            continue
        await Notification.create(
            user_id=user_id,
            kind=kind,
            key=key,
            proposal_id=proposal_id,
            hall_id=community_id,
            due_at=due_at,
            created_at=now,
        )
    return len(staff)


async def told_count(proposal_id: int) -> int:
    """How many staff members of the community were told of this proposal's notice."""
    return await Notification.filter(key=notice_key(proposal_id)).count()
