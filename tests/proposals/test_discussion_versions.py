"""The proposal page's discussion is cached per process under the discussion's version, which the
database's triggers change on every write the page shows (migration 0012): whatever path made the
write — agora's own routes, another process, an operator's SQL — the next view shows it, and while
the version stands the page is served from the cache."""

from __future__ import annotations

import re

import httpx
import pytest
from tortoise import connections

from agora.accounts.models import User
from agora.proposals import queries
from agora.proposals.models import Comment, ProposalPhoto, ProposalTransition
from tests.proposals.factories import api, comment_box, create, make_hall, member, move, post_comment
from tests.proposals.test_photos import jpeg_with_gps, upload
from tests.support import browser_login


@pytest.fixture
async def hall(server):  # type: ignore[no-untyped-def]
    sunny = await make_hall("sunny")
    await member("wang", sunny)
    await member("lili", sunny)
    await member("party", sunny, "moderator")
    return sunny


def timeline(html: str) -> str:
    match = re.search(r'<ol class="timeline">.*?</ol>', html, re.S)
    assert match, "no timeline on the page"
    return match.group(0)


async def versions(pid: int) -> tuple[int, int]:
    """The proposal's version and the names' version, as the page reads them."""
    found = await queries.discussion_version(pid)
    assert found is not None, f"proposal {pid} has no discussion version"
    return found


async def set_version(pid: int, version: int) -> None:
    """An operator's SQL, as a test's lever: put back a version the page has already seen."""
    conn = connections.get("default")
    update = "UPDATE discussion_versions SET version = ? WHERE proposal_id = ?"
    if conn.capabilities.dialect == "postgres":
        update = update.replace("= ?", "= $1", 1).replace("= ?", "= $2", 1)
    await conn.execute_query(update, [version, pid])


async def test_a_rename_a_step_and_a_photo_show_on_the_next_view(server, client, hall) -> None:  # type: ignore[no-untyped-def]
    wang, party = await api(client, "wang"), await api(client, "party")
    pid = await create(client, wang, "sunny")
    cid = await post_comment(client, wang, pid, "先看看")
    async with httpx.AsyncClient(base_url=server.url) as http:
        await browser_login(http, "lili")
        for _ in range(2):  # the second view comes from the cache
            page = (await http.get(f"/proposals/{pid}")).text
            assert "先看看" in comment_box(page, cid) and 'class="photo-grid"' not in page

        # An operator corrects a display name (no route of agora's does): the comment and the
        # timeline step that show it change.
        await User.filter(login="wang").update(display_name="王老师")
        page = (await http.get(f"/proposals/{pid}")).text
        assert "王老师" in comment_box(page, cid) and "王老师" in timeline(page)

        moved = await move(client, party, pid, "consultation")
        assert moved.status_code == 200, moved.text
        page = (await http.get(f"/proposals/{pid}")).text
        assert timeline(page).count("<li>") == 2 and "party" in timeline(page)

        added = await upload(client, wang, pid, jpeg_with_gps())
        assert added.status_code == 201, added.text
        page = (await http.get(f"/proposals/{pid}")).text
        assert f"/proposals/{pid}/photos/{added.json()['id']}" in page

        # A step written by hand (another process, a repair): the timeline reads it.
        step = await ProposalTransition.filter(proposal_id=pid).order_by("-id").first()
        assert step is not None
        await ProposalTransition.filter(id=step.id).update(reason="补记的理由")
        assert "补记的理由" in timeline((await http.get(f"/proposals/{pid}")).text)


async def test_the_page_is_served_from_the_cache_while_the_version_stands(server, client, hall) -> None:  # type: ignore[no-untyped-def]
    """Proof that the cache is in use, and that the version alone decides: a comment changed while
    the version is put back to the one already seen stays old; a new version shows it."""
    wang = await api(client, "wang")
    pid = await create(client, wang, "sunny")
    cid = await post_comment(client, wang, pid, "原文")
    async with httpx.AsyncClient(base_url=server.url) as http:
        await browser_login(http, "lili")
        assert "原文" in comment_box((await http.get(f"/proposals/{pid}")).text, cid)
        seen, _names = await versions(pid)
        await Comment.filter(id=cid).update(body_html="<p>改过</p>")
        changed, _names = await versions(pid)
        assert changed != seen  # the trigger gave the discussion a new version
        await set_version(pid, seen)
        assert "原文" in comment_box((await http.get(f"/proposals/{pid}")).text, cid)
        await set_version(pid, changed)
        assert "改过" in comment_box((await http.get(f"/proposals/{pid}")).text, cid)


async def test_every_write_a_page_shows_gives_a_new_version(client, hall) -> None:  # type: ignore[no-untyped-def]
    """Each trigger, on its own: inserts, updates and deletes of comments, steps and photos, and a
    display name (row 0); a write the page does not show (the same name again, another column of the
    account, another proposal's rows) changes nothing."""
    wang, party = await api(client, "wang"), await api(client, "party")
    pid = await create(client, wang, "sunny")
    other = await create(client, wang, "sunny", title="另一项")
    last = await versions(pid)
    untouched = await versions(other)

    async def changed() -> bool:
        nonlocal last
        now = await versions(pid)
        moved, last = now[0] != last[0], now
        return moved

    cid = await post_comment(client, wang, pid, "一")
    assert await changed()
    await Comment.filter(id=cid).update(stance="support")
    assert await changed()
    await Comment.filter(id=cid).delete()
    assert await changed()
    assert (await move(client, party, pid, "consultation")).status_code == 200
    assert await changed()
    await ProposalTransition.filter(proposal_id=pid).delete()
    assert await changed()
    photo = await upload(client, wang, pid, jpeg_with_gps())
    assert photo.status_code == 201 and await changed()
    await ProposalPhoto.filter(id=photo.json()["id"]).update(width=1)
    assert await changed()
    await ProposalPhoto.filter(id=photo.json()["id"]).delete()  # an operator removes it
    assert await changed()
    names = last[1]
    await User.filter(login="lili").update(display_name="李丽")
    assert (await versions(pid))[1] != names
    last = await versions(pid)
    await User.filter(login="lili").update(display_name="李丽")  # the same name: no new version
    assert await versions(pid) == last
    await User.filter(login="lili").update(is_active=True)
    assert await versions(pid) == last
    assert (await versions(other))[0] == untouched[0]
