"""Exports run no formulas; display names cannot pose as a role or hide characters (issue 16, item 7)."""

from __future__ import annotations

import csv
import io

import httpx
from hypothesis import given
from hypothesis import strategies as st

from agora.accounts.models import User
from agora.accounts.names import check_display_name, imitated_role
from agora.security.spreadsheets import FORMULA_LEADS, neutralise_cell, restore_cell
from tests.rooms.factories import Row, compound_with_roll, import_roll, register, roll_csv

HOSTILE = [
    '=HYPERLINK("http://evil.example","点我")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+8613800000000",
    "-1+1",
]


def test_formula_leading_cells_are_quoted_and_restored() -> None:
    for lead in FORMULA_LEADS:
        assert neutralise_cell(lead + "x") == "'" + lead + "x"
    assert neutralise_cell("张三") == "张三" and neutralise_cell(12) == 12 and neutralise_cell("") == ""
    assert neutralise_cell("'=x") == "'=x"  # already text for a spreadsheet


@given(st.text(max_size=20))
def test_restore_undoes_neutralise(text: str) -> None:
    assert restore_cell(neutralise_cell(text)) == text or text.startswith("'")
    assert not str(neutralise_cell(text)).startswith(FORMULA_LEADS)


async def test_the_roll_export_starts_no_formula_and_reimports_unchanged(client: httpx.AsyncClient) -> None:
    rows = [Row("1", str(101 + n), "80.00", f"H{n}", name) for n, name in enumerate(HOSTILE)]
    rows.append(Row("1", "201", "80.00", "OK", "张三"))
    compound = await compound_with_roll(client, text=roll_csv(rows))
    export = await client.get(f"/api/v1/halls/{compound.slug}/roll.csv", headers=compound.committee)
    assert export.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(export.text.lstrip("\ufeff"))) for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_LEADS)], cells
    for name in HOSTILE:
        assert "'" + name in cells
    again = await import_roll(client, compound.committee, compound.slug, export.text)
    assert again.status_code == 200, again.text
    second = await client.get(f"/api/v1/halls/{compound.slug}/roll.csv", headers=compound.committee)
    assert second.text == export.text


def test_names_imitating_roles() -> None:
    imitations = ("管理员 Administrator", "ａｄｍｉｎ", "A d m i n", "Wang-Admin", "王 业委会", "党支部书记")
    for name in (*imitations, "小区版主"):
        assert check_display_name(name, set())[1] == "role", name
    assert imitated_role("业委会 王主任") == "committee" and imitated_role("党支部 李") == "moderator"
    assert check_display_name("业委会 王主任", {"committee"}) == ("业委会 王主任", None)
    for name in ("Badminton 羽毛球", "Madison", "王小明", "李 管家"):
        assert check_display_name(name, set())[1] is None, name


def test_names_are_nfkc_normalised_and_invisible_characters_refused() -> None:
    assert check_display_name("  Ｗａｎｇ   小明 ", set()) == ("Wang 小明", None)
    hidden = ("Wang\u202egnaW", "李\u200b四", "a\u2066b", "x\u200dy", "\ufeffname", "a\u00adb")
    for bad in (*hidden, "tab\tname"):
        assert check_display_name(bad, set())[1] == "invisible", repr(bad)


async def test_registration_refuses_role_names_and_hidden_characters(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    for ref, name, reason in (
        ("A", "管理员 Administrator", "role"),
        ("B", "ａｄｍｉｎ", "role"),
        ("C", "业委会 主任", "role"),
        ("D", "党支部", "role"),
        ("E", "Li\u202eSi", "invisible"),
        ("A", "王\u200b五", "invisible"),
    ):
        response = await register(client, compound.invites[ref], f"user-{ref.lower()}", display_name=name)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"]["fields"] == {"display_name": reason}
    assert await User.filter(login__startswith="user-").count() == 0  # the invites are still unused
    ok = await register(client, compound.invites["A"], "user-a", display_name="Ｗａｎｇ  Wu")
    assert ok.status_code == 201, ok.text
    assert (await User.get(login="user-a")).display_name == "Wang Wu"
