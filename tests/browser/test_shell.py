"""The shell every page shares, in a real browser on a phone-sized screen."""

from __future__ import annotations

import pytest

from tests.support import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


async def test_login_page_is_accessible_and_sign_in_works(phone_factory) -> None:  # type: ignore[no-untyped-def]
    await make_user("phoneuser", name="张阿姨")
    phone = await phone_factory()
    await phone.goto("/login")
    assert await phone.page.get_attribute("html", "lang") == "zh-CN"
    width = await phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "no sideways scrolling on a phone"
    assert await phone.axe() == []
    await phone.screenshot("login")
    await phone.sign_in("phoneuser", TEST_PASSWORD)
    assert "/login" not in phone.page.url
    assert phone.csp_violations() == []


async def test_large_text_mode_persists_for_the_account(phone_factory) -> None:  # type: ignore[no-untyped-def]
    await make_user("elder")
    phone = await phone_factory()
    await phone.sign_in("elder", TEST_PASSWORD)
    await phone.goto("/login?next=/")
    await phone.page.click("button[name=size][value=large]")
    await phone.page.wait_for_load_state()
    size = await phone.page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert size == "22px"
    # Another device, same account: the setting follows the person.
    other = await phone_factory()
    await other.sign_in("elder", TEST_PASSWORD)
    await other.goto("/no-such-page")
    assert await other.page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"


async def test_language_switch_to_english(phone_factory) -> None:  # type: ignore[no-untyped-def]
    phone = await phone_factory()
    await phone.goto("/login")
    await phone.page.click("button[name=lang][value=en]")
    await phone.page.wait_for_load_state()
    assert await phone.page.get_attribute("html", "lang") == "en"
    assert "Sign in" in await phone.page.inner_text("h1")
