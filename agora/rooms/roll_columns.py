"""The roll's column names and coded values as committees write them: English or Chinese. Pure.

A committee's spreadsheet says 楼栋, 房号, 面积, 业主编号, 业主姓名; the importer reads those as
building, unit, area, owner_ref, owner_name. Headers are compared after NFKC, case folding, and
dropping a unit in brackets ("面积（㎡）", "Area (m2)").
"""

from __future__ import annotations

import re
import unicodedata

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "building": ("楼栋", "楼号", "栋", "幢", "楼栋号", "幢号", "楼"),
    "entrance": ("单元", "单元号"),
    "unit": ("房号", "房间号", "户号", "室号", "门牌号"),
    "area": ("面积", "建筑面积", "专有部分面积", "产权面积"),
    "owner_ref": ("业主编号", "编号", "业主编码"),
    "owner_name": ("业主姓名", "姓名", "业主", "业主名称"),
    "kind": ("类型", "房屋类型", "用途"),
    "status": ("状态", "出售状态"),
}
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "kind": {"住宅": "home", "住房": "home", "车位": "parking", "停车位": "parking", "商铺": "shop",
             "商业": "shop", "店铺": "shop", "摊位": "stall"},
    "status": {"已售": "owned", "自有": "owned", "已交付": "owned", "未售": "unsold", "未出售": "unsold",
               "未交付": "undelivered"},
}  # fmt: skip
_BRACKETS = re.compile(r"[(\[（【].*?[)\]）】]")
_ALIASES = {alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}

# The downloadable template: Chinese headers, two example rows (co-owners of one unit share a row
# each), as Excel opens it (UTF-8 with a byte order mark).
TEMPLATE_HEADER = ("楼栋", "单元", "房号", "面积", "业主编号", "业主姓名", "类型", "状态")
TEMPLATE_ROWS = (
    ("1", "1", "101", "89.50", "A001", "张三", "住宅", "已售"),
    ("1", "1", "102", "102.30", "A002", "李四", "住宅", "已售"),
    ("1", "1", "102", "102.30", "A003", "王五", "住宅", "已售"),
    ("1", "", "P01", "12.50", "A004", "赵六", "车位", "已售"),
)


def canonical_column(name: str) -> str:
    """"楼栋" -> "building", "Owner_Ref" -> "owner_ref", "面积（㎡）" -> "area"; an unknown name is
    returned folded, for the importer to report."""
    folded = unicodedata.normalize("NFKC", name).strip().casefold()
    bare = _BRACKETS.sub("", folded).strip()
    if bare in _ALIASES:
        return _ALIASES[bare]
    return bare if bare in COLUMN_ALIASES else folded


def canonical_value(column: str, value: str) -> str:
    """A kind or status written in Chinese ("车位", "未售") as the importer's code; others unchanged."""
    return VALUE_ALIASES.get(column, {}).get(value.strip(), value)


def template_csv() -> bytes:
    lines = [",".join(TEMPLATE_HEADER), *(",".join(row) for row in TEMPLATE_ROWS)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
