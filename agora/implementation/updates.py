"""Posting an update on the works: progress, cumulative spending, text and photos, live to the hall.

Photos go through the proposals' pipeline (`agora.proposals.imaging.process`: the bytes decide the
format, decompression bombs are refused, EXIF/GPS stripped, re-encoded) before the transaction
opens; the rules are checked again inside it against the locked row, so two updates at once
cannot both move progress or spending past what the rules allow.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.errors import Invalid
from agora.i18n import _
from agora.implementation import acceptance, history, messages, queries, rules
from agora.implementation.models import ImplementationPhoto, ImplementationUpdate
from agora.implementation.services import access_implementation, lock, margin_percent
from agora.live.events import atomic, emit
from agora.proposals import imaging, markdown
from agora.proposals.photos import check_size, photo_columns, process

MAX_PHOTOS_PER_UPDATE = 6
MAX_BODY = 5000


def _processed(uploads: list[bytes]) -> list[imaging.Processed]:
    return [process(raw, field="photos") for raw in uploads]


def check_uploads(uploads: list[bytes]) -> None:
    if len(uploads) > MAX_PHOTOS_PER_UPDATE:
        raise Invalid(
            _("An update carries at most {n} photos.", n=MAX_PHOTOS_PER_UPDATE), fields={"photos": "too_many"}
        )
    for raw in uploads:
        check_size(raw)


async def post_update(
    user: User, proposal_id: int, form: dict[str, Any], uploads: list[bytes]
) -> ImplementationUpdate:
    proposal, access, implementation = await access_implementation(user, proposal_id, "report")
    try:
        progress = rules.parse_progress(form.get("progress"))
        spent = rules.parse_money(form.get("spent"), "spent")
    except rules.RuleError as error:
        raise messages.refusal(error) from None
    stage = str(form.get("stage") or "during")
    if stage not in rules.STAGES:
        raise Invalid(_("A photo's stage is before, during or after."), fields={"stage": "invalid"})
    body = str(form.get("body") or "").strip()
    note = str(form.get("note") or "").strip()
    if not body:
        raise Invalid(_("Say what was done."), fields={"body": "required"})
    if len(body) > MAX_BODY or len(note) > 2000:
        raise Invalid(_("The text is too long."), fields={"body": "too_long"})
    check_uploads(uploads)
    photos = await asyncio.to_thread(_processed, uploads)
    margin = await margin_percent(access)
    async with atomic():
        locked = await lock(implementation.id)
        try:
            status = rules.stored_status_after_update(locked.status, progress)
            rules.check_progress(locked.progress, progress, note)
            rules.check_spent(locked.spent_fen, spent, note)
            if spent > locked.spent_fen and not rules.within_budget(spent, locked.budget_fen, margin):
                raise rules.RuleError("over_budget", "spent")
        except rules.RuleError as error:
            raise messages.refusal(error) from None
        now = clock.now()
        update = await ImplementationUpdate.create(
            implementation=locked,
            kind="update",
            by=user,
            body=body,
            body_html=str(markdown.render(body)),
            note=note,
            progress=progress,
            spent_fen=spent,
            stage=stage,
            at=now,
        )
        for done in photos:
            await ImplementationPhoto.create(
                implementation_id=locked.id, update=update, stage=stage, **photo_columns(done, now)
            )
        became_done = status == "done" and locked.status != "done"
        locked.status, locked.progress, locked.spent_fen = status, progress, spent
        fields = ["status", "progress", "spent_fen"]
        if became_done:
            locked.done_at = now
            fields.append("done_at")
            await acceptance.open_poll(locked, proposal, user, now)
            fields.append("acceptance_proposal_id")
        await locked.save(update_fields=fields)
        await history.audit(
            "update",
            user,
            proposal.id,
            access.hall.id,
            update=update.id,
            progress=progress,
            spent=rules.format_money(spent),
            photos=len(photos),
            **({"note": note} if note else {}),
        )
        view = await queries.implementation_view(locked, proposal, now)
        await emit(access.hall.id, "implementation.update", queries.live_payload(view, update.id))
    return update
