"""The concerns pages: phone first, forms that work without JavaScript (post/redirect/get)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.routing import BaseRoute

from agora.concerns import rules
from agora.proposals.photos import MAX_BYTES


async def read_photos(request: Request, form: object | None = None) -> list[bytes]:
    """The bytes of each non-empty multipart file field `photo` (at most one byte over the limit each).

    File names and declared content types are ignored: the image decoder decides what a file is."""
    data = form if form is not None else await request.form(max_files=rules.MAX_PHOTOS + 1)
    out: list[bytes] = []
    try:
        for upload in data.getlist("photo"):  # type: ignore[attr-defined]
            if isinstance(upload, UploadFile):
                raw = await upload.read(MAX_BYTES + 1)
                if raw:
                    out.append(raw)
    finally:
        if form is None:
            await data.close()  # type: ignore[attr-defined]
    return out


routes: list[BaseRoute] = []
