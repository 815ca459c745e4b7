"""QR codes as inline SVG for printed invitation slips (no inline styles or scripts: the CSP forbids them)."""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(text: str, label: str = "") -> Markup:
    """An <svg> sized by CSS (class "qr"); generated path data around our own URL, never user text."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r'\s(width|height|id)="[^"]*"', "", svg)
    title = Markup("<title>{}</title>").format(label) if label else Markup("")
    svg = svg.replace("<svg ", '<svg class="qr" role="img" ', 1).replace(">", ">" + str(title), 1)
    return Markup(svg)  # noqa: S704 — generated path data; the label is escaped by Markup.format
