"""The concerns pages without JavaScript: raise with photos, triage, status, reply, feedback, the
governance list with overdue items marked, and following a concern entered on behalf with its code."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import httpx
import pytest
from PIL import Image

from agora import clock
from agora.clock import LOCAL_TZ
from agora.concerns.models import Concern, ConcernPhoto
from tests.concerns.factories import XSS, api, raise_concern, world
from tests.proposals.factories import assert_no_xss
from tests.support import TEST_PASSWORD, csrf_from


@pytest.fixture
async def w(server):  # type: ignore[no-untyped-def]
    return await world("sunny")


async def signed_in(server, login: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=30)
    page = await http.get("/login")
    done = await http.post(
        "/login", data={"login": login, "password": TEST_PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert done.status_code == 303, done.text
    return http


def jpeg(color: str = "red", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: must not survive
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def post_form(http: httpx.AsyncClient, page_path: str, action: str, data: dict, **kw) -> httpx.Response:  # type: ignore[no-untyped-def,type-arg]
    page = await http.get(page_path)
    assert page.status_code == 200, page.text
    return await http.post(action, data={**data, "csrf_token": csrf_from(page.text)}, **kw)


async def test_raise_with_photos_then_triage_and_resolve(server, w) -> None:  # type: ignore[no-untyped-def]
    alice = await signed_in(server, "sunny-alice")
    party = await signed_in(server, "sunny-party")
    try:
        hall = await alice.get("/halls/sunny")
        assert 'href="/halls/sunny/concerns/new"' in hall.text
        form = await alice.get("/halls/sunny/concerns/new")
        assert form.status_code == 200 and 'name="photo"' in form.text and "on_behalf" not in form.text
        files = [
            ("photo", ("a.jpg", jpeg("red"), "image/jpeg")),
            ("photo", ("b.jpg", jpeg("blue"), "image/jpeg")),
        ]
        data = {
            "kind": "concern",
            "title": f"楼道灯不亮 {XSS[0]}",
            "body": "2单元三楼的灯坏了一周",
            "category": "livelihood",
            "building": "sunny-b2",
            "csrf_token": csrf_from(form.text),
        }
        created = await alice.post("/halls/sunny/concerns", data=data, files=files)
        assert created.status_code == 303, created.text
        cid = int(created.headers["location"].rsplit("/", 1)[1])
        assert await ConcernPhoto.filter(concern_id=cid).count() == 2
        detail = await alice.get(f"/concerns/{cid}")
        assert detail.status_code == 200 and "楼道灯不亮" in detail.text
        assert "<script>alert(1)</script>" not in detail.text
        photo_paths = re.findall(r'href="(/concerns/\d+/photos/\d+\.jpg)"', detail.text)
        assert len(photo_paths) == 2
        served = await alice.get(photo_paths[0])
        assert served.headers["content-type"] == "image/jpeg" and b"PhoneMaker" not in served.content
        assert f'action="/concerns/{cid}/triage"' not in detail.text  # not for residents
        # The Party branch triages and resolves through the page's forms.
        due = (clock.now() + timedelta(days=7)).date().isoformat()
        page = f"/concerns/{cid}"
        triaged = await post_form(
            party,
            page,
            f"/concerns/{cid}/triage",
            {
                "route": "list",
                "urgency": "3",
                "category": "livelihood",
                "assignee": "物业 电工老李",
                "due_at": due,
            },
        )
        assert triaged.status_code == 303, triaged.text
        refused = await post_form(
            party, page, f"/concerns/{cid}/status", {"to": "closed_unresolved", "note": ""}
        )
        assert refused.status_code == 422 and "需填写说明原因" in refused.text
        for to in ("in_progress", "resolved"):
            moved = await post_form(party, page, f"/concerns/{cid}/status", {"to": to, "note": "已换灯泡"})
            assert moved.status_code == 303, moved.text
        replied = await post_form(party, page, f"/concerns/{cid}/replies", {"body": f"已处理 {XSS[1]}"})
        assert replied.status_code == 303
        seen = await alice.get(page)
        assert "物业 电工老李" in seen.text and "已换灯泡" in seen.text
        assert_no_xss(re.sub(r'<img class="photo"[^>]*>', "", seen.text))
        # The submitter answers the follow-up.
        answered = await post_form(
            alice, page, f"/concerns/{cid}/feedback", {"satisfied": "yes", "comment": "谢谢"}
        )
        assert answered.status_code == 303
        assert (await Concern.get(id=cid)).feedback_satisfied is True
    finally:
        await alice.aclose()
        await party.aclose()


async def test_bad_form_shows_the_form_again_and_writes_nothing(server, w) -> None:  # type: ignore[no-untyped-def]
    alice = await signed_in(server, "sunny-alice")
    try:
        form = await alice.get("/halls/sunny/concerns/new")
        bad = await alice.post(
            "/halls/sunny/concerns",
            data={"title": "", "body": "正文", "category": "livelihood", "csrf_token": csrf_from(form.text)},
        )
        assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and "正文" in bad.text
        junk = [("photo", ("x.jpg", b"not an image", "image/jpeg"))]
        refused = await alice.post(
            "/halls/sunny/concerns",
            data={"title": "t", "body": "b", "category": "livelihood", "csrf_token": csrf_from(form.text)},
            files=junk,
        )
        assert refused.status_code == 422
        four = [("photo", (f"{n}.jpg", jpeg(), "image/jpeg")) for n in range(4)]
        too_many = await alice.post(
            "/halls/sunny/concerns",
            data={"title": "t", "body": "b", "category": "livelihood", "csrf_token": csrf_from(form.text)},
            files=four,
        )
        assert too_many.status_code in (400, 422), too_many.text
        assert await Concern.all().count() == 0 and await ConcernPhoto.all().count() == 0
    finally:
        await alice.aclose()


async def test_governance_list_orders_and_marks_overdue(server, w, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    alice, party = await api(client, "sunny-alice"), await api(client, "sunny-party")
    ids = {}
    for name, urgency in (("old-normal", 1), ("urgent", 3), ("soon", 2)):
        ids[name] = (await raise_concern(client, alice, "sunny", title=name))["id"]
        due = clock.now().astimezone(LOCAL_TZ).date().isoformat()  # today, in Shanghai
        response = await client.post(
            f"/api/v1/concerns/{ids[name]}/triage",
            json={
                "route": "list",
                "urgency": urgency,
                "category": "health",
                "due_at": due,
                "assignee": "居委会",
            },
            headers=party,
        )
        assert response.status_code == 200, response.text
    waiting = (await raise_concern(client, alice, "sunny", title="waiting"))["id"]
    clock.travel(timedelta(days=2))
    data = (await client.get("/api/v1/halls/sunny/governance", headers=alice)).json()
    assert [i["id"] for i in data["items"]] == [ids["urgent"], ids["soon"], ids["old-normal"]]
    assert all(i["overdue"] for i in data["items"]) and data["awaiting_triage"] == 1
    bob = await signed_in(server, "sunny-bob")
    try:
        page = await bob.get("/halls/sunny/governance")
        assert page.status_code == 200
        order = [int(m) for m in re.findall(r'<li id="concern-(\d+)"', page.text)]
        assert order == [ids["urgent"], ids["soon"], ids["old-normal"]] and waiting not in order
        assert page.text.count('class="concern-row overdue"') == 3
        assert "居委会" in page.text
        assert_no_xss(page.text)
        listing = await bob.get("/halls/sunny/concerns")
        assert listing.status_code == 200 and f'id="concern-{waiting}"' in listing.text
        assert_no_xss(listing.text)
        found = await bob.get("/halls/sunny/concerns/search", params={"q": "urgent"})
        assert f'id="concern-{ids["urgent"]}"' in found.text
    finally:
        await bob.aclose()


async def test_follow_a_concern_with_its_code(server, w, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    canvasser = await signed_in(server, "sunny-canvasser")
    try:
        form = await canvasser.get("/halls/sunny/concerns/new")
        assert 'name="on_behalf"' in form.text
        shown = await canvasser.post(
            "/halls/sunny/concerns",
            data={
                "title": "想在楼下放张长椅",
                "body": "老人走累了没处坐",
                "category": "livelihood",
                "kind": "wish",
                "on_behalf": "王奶奶",
                "private": "1",
                "csrf_token": csrf_from(form.text),
            },
        )
        assert shown.status_code == 200, shown.text
        code = re.search(r'<p class="invite-code">([A-Z0-9]+)</p>', shown.text).group(1)  # type: ignore[union-attr]
    finally:
        await canvasser.aclose()
    cid = (await Concern.get(on_behalf_name="王奶奶")).id
    anonymous = httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=30)
    try:
        page = await anonymous.get("/concerns/follow")
        assert page.status_code == 200
        token = csrf_from(page.text)
        wrong = await anonymous.post("/concerns/follow", data={"code": "WRONGCODE1", "csrf_token": token})
        assert wrong.status_code == 404
        seen = await anonymous.post("/concerns/follow", data={"code": code.lower(), "csrf_token": token})
        assert seen.status_code == 200 and "想在楼下放张长椅" in seen.text and "feedback" not in seen.text
        early = await anonymous.post(
            "/concerns/follow/feedback", data={"code": code, "satisfied": "yes", "csrf_token": token}
        )
        assert early.status_code == 409
        party = await api(client, "sunny-party")
        await client.post(
            f"/api/v1/concerns/{cid}/status", json={"to": "resolved", "note": "长椅已安装"}, headers=party
        )
        seen = await anonymous.post("/concerns/follow", data={"code": code, "csrf_token": token})
        assert "长椅已安装" in seen.text and 'action="/concerns/follow/feedback"' in seen.text
        done = await anonymous.post(
            "/concerns/follow/feedback",
            data={"code": code, "satisfied": "yes", "comment": "很好", "csrf_token": token},
        )
        assert done.status_code == 200
        assert (await Concern.get(id=cid)).feedback_comment == "很好"
        # Without the code the concern is as private as before.
        assert (await anonymous.get(f"/concerns/{cid}")).status_code == 303
    finally:
        await anonymous.aclose()


async def test_merge_from_the_page_by_suggestion_or_by_number(server, w, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    alice, bob = await api(client, "sunny-alice"), await api(client, "sunny-bob")
    survivor = await raise_concern(client, alice, "sunny", title="3号楼电梯经常停运", body="电梯这周坏了三次")
    dup = await raise_concern(client, bob, "sunny", title="3号楼电梯又停运了", body="电梯今天又坏了")
    other = await raise_concern(client, bob, "sunny", title="垃圾分类点太远", body="倒垃圾不方便")
    party = await signed_in(server, "sunny-party")
    try:
        page = await party.get(f"/concerns/{dup['id']}")
        assert f'name="into" value="{survivor["id"]}"' in page.text  # suggested: the same words
        assert f'name="into" value="{other["id"]}"' not in page.text
        merged = await post_form(
            party,
            f"/concerns/{dup['id']}",
            f"/concerns/{dup['id']}/merge",
            {"into": str(survivor["id"]), "into_ref": ""},
        )
        assert merged.status_code == 303
        assert (await Concern.get(id=dup["id"])).merged_into_id == survivor["id"]
        third = await raise_concern(client, bob, "sunny", title="电梯", body="又坏")
        by_number = await post_form(
            party, f"/concerns/{third['id']}", f"/concerns/{third['id']}/merge", {"into_ref": survivor["ref"]}
        )
        assert by_number.status_code == 303
        assert (await Concern.get(id=third["id"])).merged_into_id == survivor["id"]
        wrong = await post_form(
            party, f"/concerns/{other['id']}", f"/concerns/{other['id']}/merge", {"into_ref": "2026-9999"}
        )
        assert wrong.status_code == 404
    finally:
        await party.aclose()
