"""Photos of a concern, through the proposals' photo pipeline (`agora.proposals.imaging`): every
upload is decoded, refused unless a JPEG, PNG or WebP within the pixel cap, and re-encoded without
metadata (no EXIF, no GPS) in a worker thread, before any transaction opens. At most three per concern.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from agora import clock
from agora.accounts.models import User
from agora.concerns import history, permissions, queries, rules
from agora.concerns.access import Viewer
from agora.concerns.models import Concern, ConcernPhoto
from agora.errors import Conflict, Invalid, NotFound
from agora.i18n import _
from agora.live.events import atomic
from agora.proposals import imaging
from agora.proposals.photos import check_size, photo_columns, process


def photo_url(photo: ConcernPhoto | queries.PhotoRow, thumb: bool = False) -> str:
    url = f"/concerns/{photo.concern_id}/photos/{photo.id}.jpg"  # type: ignore[union-attr]
    return url + "?size=thumb" if thumb else url


def _too_many() -> Conflict:
    return Conflict(_("A concern can have at most {n} photos.", n=rules.MAX_PHOTOS), code="too_many_photos")


async def process_all(uploads: list[bytes]) -> list[imaging.Processed]:
    """Check and process each upload (422/413 for the first bad one); nothing is stored here."""
    if len(uploads) > rules.MAX_PHOTOS:
        raise Invalid(
            _("A concern can have at most {n} photos.", n=rules.MAX_PHOTOS), fields={"photos": "too_many"}
        )
    done = []
    for raw in uploads:
        check_size(raw)
        done.append(await asyncio.to_thread(process, raw))
    return done


async def store_processed(
    concern: Concern, user: User | None, processed: list[imaging.Processed], now: datetime
) -> list[ConcernPhoto]:
    """Inside the caller's transaction: counted again there, so two uploads cannot make a fourth."""
    if not processed:
        return []
    if await ConcernPhoto.filter(concern_id=concern.id).count() + len(processed) > rules.MAX_PHOTOS:
        raise _too_many()
    return [
        await ConcernPhoto.create(concern_id=concern.id, uploader=user, **photo_columns(p, now))
        for p in processed
    ]


def require_can_add(viewer: Viewer, concern: Concern) -> None:
    permissions.check_can_add_photo(concern.status, viewer.who(concern))


async def add_photo(viewer: Viewer, concern: Concern, raw: bytes | None) -> ConcernPhoto:
    require_can_add(viewer, concern)
    if not raw:
        raise Invalid(_("Choose a photo to upload."), fields={"photo": "required"})
    if await ConcernPhoto.filter(concern_id=concern.id).count() >= rules.MAX_PHOTOS:
        raise _too_many()
    processed = await process_all([raw])
    async with atomic():
        (photo,) = await store_processed(concern, viewer.user, processed, clock.now())
        await history.audit("photo_add", concern, viewer.user, photo=photo.id, sha256=photo.sha256)
    return photo


async def photo_rows(concern_id: int) -> list[queries.PhotoRow]:
    """The concern's photos without their bytes."""
    return await queries.photo_rows(concern_id)


async def photo_bytes(concern: Concern, photo_id: int, thumb: bool) -> tuple[bytes, str]:
    photo = await ConcernPhoto.get_or_none(id=photo_id, concern_id=concern.id)
    if photo is None:
        raise NotFound(_("This photo does not exist or you cannot see it."))
    return (photo.thumb if thumb else photo.data), photo.sha256
