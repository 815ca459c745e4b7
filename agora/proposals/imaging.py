"""Turning an uploaded photo into what agora stores: pure Pillow, no Tortoise, no Starlette.

The upload is decoded (the bytes decide the format, never the file name or the declared type),
refused if it is not a JPEG, PNG or WebP or if its dimensions exceed a pixel cap (decompression
bombs are refused from the header, before any pixel is decoded), turned upright, flattened to RGB,
downscaled and re-encoded as a fresh JPEG that carries no metadata: no EXIF, GPS, XMP, ICC or comment.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PIXELS = 40_000_000  # 8000 x 5000: above any phone camera's normal output
MAX_SIDE = 1600
THUMB_SIDE = 480
QUALITY = 82


class PhotoRejected(ValueError):
    """The upload is not an image we accept. `reason` is "format" or "too_many_pixels"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Processed:
    data: bytes
    width: int
    height: int
    thumb: bytes
    thumb_width: int
    thumb_height: int
    sha256: str


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # A fresh save with no exif=, icc_profile=, comment= or xmp=: nothing of the original's metadata.
    image.save(out, format="JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _fresh_rgb(image: Image.Image) -> Image.Image:
    """A new RGB image with the same pixels and an empty `info` (transparency on white)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    rgb = image.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def process(raw: bytes) -> Processed:
    """Decode, check, orient, downscale and re-encode one upload. Raises PhotoRejected."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=FORMATS)
        except Image.DecompressionBombError as exc:
            raise PhotoRejected("too_many_pixels") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise PhotoRejected("format") from exc
        with image:
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_PIXELS:
                raise PhotoRejected("too_many_pixels")
            try:
                if image.format == "JPEG":
                    image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode big JPEGs at a reduced scale
                image.load()
                upright = ImageOps.exif_transpose(image)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise PhotoRejected("too_many_pixels") from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise PhotoRejected("format") from exc
            clean = _fresh_rgb(upright)
    clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    data = _encode(clean)
    small = clean.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return Processed(
        data=data,
        width=clean.width,
        height=clean.height,
        thumb=_encode(small),
        thumb_width=small.width,
        thumb_height=small.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
