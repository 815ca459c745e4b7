"""Photos on proposals: metadata stripped, downscaled, refused when not a photo, too big or too many.

Uploads go through the real server (multipart), as the author, a neighbour, a moderator and a
member of another compound; the served bytes are opened again with Pillow to check what is left.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zlib

import httpx
import pytest
from PIL import Image

from agora.audit.models import AuditEntry
from agora.proposals.models import ProposalPhoto
from tests.proposals.factories import XSS, api, create, make_hall, member
from tests.support import browser_login, csrf_from


@pytest.fixture
async def hall(server):  # type: ignore[no-untyped-def]
    sunny = await make_hall("sunny")
    await member("author", sunny)
    await member("neighbour", sunny)
    await member("party", sunny, "moderator")
    rainy = await make_hall("rainy")
    await member("outsider", rainy, "moderator")
    return sunny


def jpeg_with_gps(size: tuple[int, int] = (300, 200), orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (31.0, 14.0, 9.5)
    gps[3], gps[4] = "E", (121.0, 28.0, 44.1)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=exif, comment=b"flat 12-3-401")
    return out.getvalue()


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128).save(out, "PNG")
    return out.getvalue()


def one_colour_png(width: int, height: int) -> bytes:
    """A 1-bit PNG of any size, compressed row by row: small on disk, huge once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row * 1000) for _ in range(height // 1000))
    idat += packer.compress(row * (height % 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], pid: int, data: bytes, name: str = "photo.jpg"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/proposals/{pid}/photos", files={"photo": (name, data, "image/jpeg")}, headers=headers
    )


async def test_gps_and_all_metadata_are_stripped_and_the_photo_is_turned_upright(client, hall) -> None:  # type: ignore[no-untyped-def]
    author = await api(client, "author")
    pid = await create(client, author, "sunny")
    original = jpeg_with_gps((300, 200), orientation=6)
    assert b"Exif" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    response = await upload(client, author, pid, original)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "url", "width", "height"}
    assert (body["width"], body["height"]) == (200, 300)  # EXIF orientation 6 applied, then dropped
    served = await client.get(body["url"], headers=author)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "private, max-age=86400"
    assert served.headers["x-content-type-options"] == "nosniff"
    for raw in (served.content, (await client.get(body["url"] + "?size=thumb", headers=author)).content):
        image = Image.open(io.BytesIO(raw))
        assert image.format == "JPEG" and image.size == (200, 300)
        assert not image.getexif() and not image.info.get("exif") and "comment" not in image.info
        assert b"Exif" not in raw and b"SpyCam" not in raw and b"12-3-401" not in raw
    audit = await AuditEntry.filter(action="proposal.photo_add").first()
    assert audit is not None and audit.object_id == str(pid)


async def test_large_photos_are_downscaled_with_a_thumbnail(client, hall) -> None:  # type: ignore[no-untyped-def]
    author = await api(client, "author")
    pid = await create(client, author, "sunny")
    response = await upload(client, author, pid, png((3000, 2000)), name="big.png")
    assert response.status_code == 201, response.text
    assert (response.json()["width"], response.json()["height"]) == (1600, 1067)
    full = Image.open(io.BytesIO((await client.get(response.json()["url"], headers=author)).content))
    assert full.size == (1600, 1067)
    thumb = await client.get(response.json()["url"] + "?size=thumb", headers=author)
    assert Image.open(io.BytesIO(thumb.content)).size == (480, 320)
    # A WebP with transparency is accepted and flattened.
    webp = io.BytesIO()
    Image.new("RGBA", (100, 50), (0, 0, 0, 0)).save(webp, "WEBP")
    assert (await upload(client, author, pid, webp.getvalue(), name="x.webp")).status_code == 201


async def test_not_an_image_too_many_pixels_and_too_large_are_refused(client, hall) -> None:  # type: ignore[no-untyped-def]
    author = await api(client, "author")
    pid = await create(client, author, "sunny")
    text = await upload(client, author, pid, b"GIF89a? no, just text\n" * 50, name="notes.jpg")
    assert text.status_code == 422 and text.json()["error"]["fields"] == {"photo": "format"}
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    assert (await upload(client, author, pid, gif.getvalue())).status_code == 422
    for width, height in ((20000, 20000), (8000, 6000)):  # beyond Pillow's own bomb limit, and beyond ours
        bomb = one_colour_png(width, height)
        assert len(bomb) < 1024 * 1024
        refused = await upload(client, author, pid, bomb, name="bomb.png")
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["fields"] == {"photo": "too_many_pixels"}
        assert "40" in refused.json()["error"]["message"]  # the cap, in megapixels
    huge = await upload(client, author, pid, os.urandom(8 * 1024 * 1024 + 1))
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "photo_too_large"
    missing = await client.post(f"/api/v1/proposals/{pid}/photos", json={}, headers=author)
    assert missing.status_code == 422
    assert await ProposalPhoto.filter(proposal_id=pid).count() == 0


async def test_who_may_add_and_who_may_see(client, hall) -> None:  # type: ignore[no-untyped-def]
    author, neighbour = await api(client, "author"), await api(client, "neighbour")
    party, outsider = await api(client, "party"), await api(client, "outsider")
    pid = await create(client, author, "sunny")
    refused = await upload(client, neighbour, pid, jpeg_with_gps())
    assert refused.status_code == 403
    assert (await upload(client, outsider, pid, jpeg_with_gps())).status_code == 404
    by_moderator = await upload(client, party, pid, jpeg_with_gps())
    assert by_moderator.status_code == 201
    url = by_moderator.json()["url"]
    assert (await client.get(url, headers=neighbour)).status_code == 200
    assert (await client.get(url, headers=outsider)).status_code == 404
    assert (await client.get(url + "?size=thumb", headers=outsider)).status_code == 404
    assert (await client.get(url)).status_code in (303, 401)
    other = await create(client, author, "sunny")  # a photo id under another proposal is absent
    elsewhere = f"/proposals/{other}/photos/{by_moderator.json()['id']}.jpg"
    assert (await client.get(elsewhere, headers=author)).status_code == 404


async def test_at_most_six_photos(client, hall) -> None:  # type: ignore[no-untyped-def]
    author = await api(client, "author")
    pid = await create(client, author, "sunny")
    small = png((40, 30))
    for _ in range(6):
        assert (await upload(client, author, pid, small)).status_code == 201
    seventh = await upload(client, author, pid, small)
    assert seventh.status_code == 409
    assert seventh.json()["error"]["code"] == "too_many_photos" and "6" in seventh.json()["error"]["message"]


async def test_upload_from_the_page_shows_the_photo_and_never_the_file_name(client, server, hall) -> None:  # type: ignore[no-untyped-def]
    pid = await create(client, await api(client, "author"), "sunny")
    async with httpx.AsyncClient(base_url=server.url) as http:
        await browser_login(http, "author")
        page = await http.get(f"/proposals/{pid}")
        assert 'enctype="multipart/form-data"' in page.text
        assert f'action="/proposals/{pid}/photos"' in page.text
        token = csrf_from(page.text)
        name = f"{XSS[0]}{XSS[1]}.jpg"
        bad = await http.post(
            f"/proposals/{pid}/photos", data={"csrf_token": token}, files={"photo": (name, b"not an image")}
        )
        assert bad.status_code == 422
        assert XSS[0] not in bad.text and XSS[1] not in bad.text
        no_token = await http.post(f"/proposals/{pid}/photos", files={"photo": ("a.jpg", jpeg_with_gps())})
        assert no_token.status_code == 403
        done = await http.post(
            f"/proposals/{pid}/photos", data={"csrf_token": token}, files={"photo": (name, jpeg_with_gps())}
        )
        assert done.status_code == 303 and done.headers["location"] == f"/proposals/{pid}#photos"
        page = await http.get(f"/proposals/{pid}?lang=en")
        assert XSS[0] not in page.text and XSS[1] not in page.text
        images = re.findall(r"<img [^>]*>", page.text)
        assert len(images) == 1, images
        tag = images[0]
        photo = await ProposalPhoto.get(proposal_id=pid)
        assert f'src="/proposals/{pid}/photos/{photo.id}.jpg?size=thumb"' in tag
        assert 'alt="Photo 1 of the proposal"' in tag and 'loading="lazy"' in tag and 'class="photo"' in tag
        assert 'width="300"' in tag and 'height="200"' in tag
        zh = await http.get(f"/proposals/{pid}?lang=zh-CN")
        assert 'alt="议题照片 1"' in zh.text
