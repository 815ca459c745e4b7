"""The share page: a proposal's link and QR code, rendered on the server, for members only."""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg

from tests.proposals.factories import XSS_ALL, api, assert_no_xss, create, make_hall, member
from tests.support import browser_login


def _path_of(text: str) -> str:
    """The module path data of the QR code for `text` (what a scanner reads)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    match = re.search(r' d="([^"]+)"', svg)
    assert match
    return match.group(1)


async def test_a_member_gets_the_link_and_its_qr_code_on_the_share_page(server, client) -> None:  # type: ignore[no-untyped-def]
    hall = await make_hall("sunny")
    await member("wang", hall)
    await member("lili", hall)
    pid = await create(client, await api(client, "wang"), "sunny")
    await browser_login(client, "lili")
    detail = await client.get(f"/proposals/{pid}")
    assert f'href="/proposals/{pid}/share"' in detail.text
    page = await client.get(f"/proposals/{pid}/share")
    assert page.status_code == 200
    url = f"{server.url}/proposals/{pid}"
    assert f'value="{url}"' in page.text
    # The code encodes exactly the proposal's address, and carries a text alternative with the title.
    assert _path_of(url) in page.text
    assert _path_of(f"{server.url}/proposals/{pid + 1}") not in page.text
    assert re.search(r'<svg class="qr" role="img"[^>]*><title>[^<]*停车位', page.text)
    assert "&lt;script&gt;" in page.text  # the title's payload is escaped inside <title> too
    # Nothing is fetched from elsewhere: the CSP allows only the site itself.
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "https://" not in page.text.split("<main", 1)[-1].replace("https://example.com", "")
    no_svg = re.sub(r"<svg.*?</svg>", "", page.text, flags=re.S)
    assert_no_xss(no_svg)
    assert XSS_ALL[:10] not in page.text


async def test_the_share_page_is_translated(server, client) -> None:  # type: ignore[no-untyped-def]
    hall = await make_hall("sunny")
    await member("wang", hall)
    pid = await create(client, await api(client, "wang"), "sunny")
    await browser_login(client, "wang")
    zh = await client.get(f"/proposals/{pid}/share", headers={"accept-language": "zh-CN"})
    assert "分享" in zh.text
    en = await client.get(f"/proposals/{pid}/share", headers={"accept-language": "en"})
    assert "Share this proposal" in en.text


async def test_outsiders_cannot_see_the_share_page(server, client) -> None:  # type: ignore[no-untyped-def]
    hall = await make_hall("sunny")
    other = await make_hall("rainy")
    await member("wang", hall)
    await member("stranger", other)
    pid = await create(client, await api(client, "wang"), "sunny")
    anonymous = await client.get(f"/proposals/{pid}/share")
    assert anonymous.status_code in (303, 401)
    await browser_login(client, "stranger")
    assert (await client.get(f"/proposals/{pid}/share")).status_code == 404
