"""Roll columns and coded values in Chinese or English (agora.rooms.roll_columns)."""

from __future__ import annotations

import pytest

from agora.rooms.roll_columns import COLUMN_ALIASES, canonical_column, canonical_value, template_csv
from agora.rooms.roll_csv import parse_roll


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("楼栋", "building"), ("幢", "building"), (" 单元 ", "entrance"), ("房号", "unit"),
        ("面积", "area"), ("面积（㎡）", "area"), ("建筑面积(平方米)", "area"), ("业主编号", "owner_ref"),
        ("业主姓名", "owner_name"), ("类型", "kind"), ("状态", "status"), ("Owner_Ref", "owner_ref"),
        ("AREA (m2)", "area"), ("ｂｕｉｌｄｉｎｇ", "building"), ("电话", "电话"), ("", ""),
    ],
)  # fmt: skip
def test_headers(header: str, column: str) -> None:
    assert canonical_column(header) == column


def test_every_alias_names_one_known_column() -> None:
    seen: set[str] = set()
    for column, aliases in COLUMN_ALIASES.items():
        assert canonical_column(column) == column
        for alias in aliases:
            assert alias not in seen and canonical_column(alias) == column
            seen.add(alias)


def test_values() -> None:
    assert canonical_value("kind", "车位") == "parking" and canonical_value("kind", "商铺") == "shop"
    assert canonical_value("kind", "摊位") == "stall"
    assert canonical_value("status", "未售") == "unsold"
    assert canonical_value("status", "未交付") == "undelivered"
    assert canonical_value("kind", "home") == "home" and canonical_value("unit", "车位") == "车位"


def test_the_template_is_a_valid_roll() -> None:
    roll = parse_roll(template_csv())
    assert [(u.building, u.unit, u.kind, u.owners) for u in roll.units] == [
        ("1", "P01", "parking", ("A004",)),  # no entrance: sorted first
        ("1", "101", "home", ("A001",)),
        ("1", "102", "home", ("A002", "A003")),
    ]
    assert roll.owner_names["A003"] == "王五"
