"""Photos attached to proposals: who may add them, the limits, storing and serving.

The author may add photos while the proposal is a draft or in consultation, a moderator at any
time. Each upload is decoded and re-encoded by `imaging.process` (in a worker thread) and stored
in the database, so backups carry the photos with everything else.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from agora import clock
from agora.accounts.models import User
from agora.audit.services import record
from agora.errors import Conflict, Invalid, NotFound, TooLarge
from agora.i18n import _
from agora.live.events import atomic
from agora.proposals import imaging, permissions, queries
from agora.proposals.models import Proposal, ProposalPhoto
from agora.rooms.access import HallAccess

MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6


def check_size(raw: bytes) -> None:
    """TooLarge (413) past MAX_BYTES, before any decoding."""
    if len(raw) > MAX_BYTES:
        raise TooLarge(
            _("A photo may be at most {mb} MB.", mb=MAX_BYTES // (1024 * 1024)), code="photo_too_large"
        )


def process(raw: bytes, field: str = "photo") -> imaging.Processed:
    """`imaging.process`, its refusals as 422s on `field`; the one pipeline for every feature's photos
    (proposals, concerns, implementation updates). Blocking: call it in a worker thread."""
    try:
        return imaging.process(raw)
    except imaging.PhotoRejected as rejected:
        if rejected.reason == "too_many_pixels":
            raise Invalid(
                _("This image has too many pixels (at most {n} million).", n=imaging.MAX_PIXELS // 1_000_000),
                fields={field: "too_many_pixels"},
            ) from None
        raise Invalid(
            _("This file is not a photo we accept: send a JPEG, PNG or WebP image."),
            fields={field: "format"},
        ) from None


def photo_columns(done: imaging.Processed, now: datetime) -> dict[str, Any]:
    """A processed photo as the columns every photo table shares (`models.PhotoColumns`)."""
    return {
        "data": done.data,
        "thumb": done.thumb,
        "width": done.width,
        "height": done.height,
        "thumb_width": done.thumb_width,
        "thumb_height": done.thumb_height,
        "sha256": done.sha256,
        "created_at": now,
    }


def photo_url(photo: ProposalPhoto | queries.PhotoRow, thumb: bool = False) -> str:
    url = f"/proposals/{photo.proposal_id}/photos/{photo.id}.jpg"  # type: ignore[union-attr]
    return url + "?size=thumb" if thumb else url


def can_add(access: HallAccess, proposal: Proposal, user: User) -> bool:
    is_author = proposal.author_id == user.id  # type: ignore[attr-defined]
    return permissions.may_add_photo(access, is_author=is_author, state=proposal.state)


def require_can_add(access: HallAccess, proposal: Proposal, user: User) -> None:
    """Forbidden unless `can_add`; handlers call it before reading an upload's body."""
    is_author = proposal.author_id == user.id  # type: ignore[attr-defined]
    permissions.check_may_add_photo(access, is_author=is_author, state=proposal.state)


async def add_photo(access: HallAccess, proposal: Proposal, user: User, raw: bytes | None) -> ProposalPhoto:
    """Check who and how many, process the image, store it and audit the upload."""
    require_can_add(access, proposal, user)
    if raw is None or not raw:
        raise Invalid(_("Choose a photo to upload."), fields={"photo": "required"})
    check_size(raw)
    if await ProposalPhoto.filter(proposal_id=proposal.id).count() >= MAX_PHOTOS:
        raise Conflict(_("A proposal can have at most {n} photos.", n=MAX_PHOTOS), code="too_many_photos")
    done = await asyncio.to_thread(process, raw)
    async with atomic():
        # Counted again inside the transaction: two uploads at once cannot make a seventh photo.
        if await ProposalPhoto.filter(proposal_id=proposal.id).count() >= MAX_PHOTOS:
            raise Conflict(_("A proposal can have at most {n} photos.", n=MAX_PHOTOS), code="too_many_photos")
        columns = photo_columns(done, clock.now())
        photo = await ProposalPhoto.create(
            proposal_id=proposal.id, uploader=user, content_type="image/jpeg", **columns
        )
        await record(
            "proposal.photo_add",
            actor=user,
            object_type="proposal",
            object_id=proposal.id,
            hall_id=access.hall.id,
            photo=photo.id,
            width=done.width,
            height=done.height,
            bytes=len(done.data),
            sha256=done.sha256,
        )
    return photo


async def photos_of(proposal: Proposal) -> list[ProposalPhoto]:
    """The proposal's photos, oldest first, without their bytes."""
    return (
        await ProposalPhoto.filter(proposal_id=proposal.id)
        .order_by("id")
        .only("id", "proposal_id", "width", "height", "thumb_width", "thumb_height")
    )


async def photo_rows(proposal: Proposal) -> list[queries.PhotoRow]:
    """`photos_of` for the page, as plain rows with the same attributes (one fixed query)."""
    return await queries.photo_rows(proposal.id)


async def photo_bytes(proposal: Proposal, photo_id: int, thumb: bool) -> tuple[bytes, str]:
    """The stored JPEG (or its thumbnail) and its digest; NotFound unless it belongs to the proposal."""
    photo = await ProposalPhoto.get_or_none(id=photo_id, proposal_id=proposal.id)
    if photo is None:
        raise NotFound(_("This photo does not exist or you cannot see it."))
    return (photo.thumb if thumb else photo.data), photo.sha256
