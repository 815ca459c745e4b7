"""The printable resolution record (fpdf2 with a CJK TrueType font), always in Chinese.

The font is looked up in `AGORA_PDF_FONT` and then in the usual Debian/Ubuntu places; the
Makefile installs `fonts-droid-fallback` (`make system-deps`).

Speed: fpdf2's `multi_cell` with a fallback font re-measures the current line for every character
and splits text into a fragment at every change of font or script, so a 10,000-unit participation
list as one paragraph took half a minute. The short heading lines still go through `multi_cell`; the
participation list is laid out here on a grid of columns, one `text()` call per unit, measured with
the font's own width table (ASCII in the Latin font, which needs no fallback). A posted record is
frozen, so its PDF is cached by the record hash.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from itertools import groupby
from pathlib import Path
from typing import Any

from agora.errors import Unavailable
from agora.i18n import _

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
)
# The CJK fallback fonts have no Latin letters or digits; these fill in (hashes, figures).
LATIN_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
)
TITLE = "业主共同决定表决结果公告"
OUTCOMES = {"passed": "通过", "no_decision": "未形成决定", "undetermined": "无法确定"}
REASONS = {
    "quorum_not_met": "参与表决人数或面积未达三分之二",
    "not_approved": "同意票未达规定比例",
    "missing_figure": "缺少总数，无法计算",
    "deemed_majority_unclear": "视为同意多数的方向不明确",
}
CHOICES = {"yes": "同意", "no": "反对", "abstain": "弃权", "invalid": "无效"}
TESTS = {
    "quorum_persons": "参与表决人数",
    "quorum_area": "参与表决面积",
    "approval_persons": "同意人数",
    "approval_area": "同意面积",
}


def find_font() -> Path:
    configured = os.environ.get("AGORA_PDF_FONT")
    for candidate in ((configured,) if configured else ()) + FONT_CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            return path
    raise Unavailable(
        _(
            "No Chinese font for the printable record. Install fonts-droid-fallback "
            "(make system-deps) or set AGORA_PDF_FONT to a CJK .ttf file."
        ),
        code="font_missing",
    )


def render_pdf(doc: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    font = find_font()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", "", str(font))
    latin = next((Path(p) for p in LATIN_CANDIDATES if Path(p).is_file()), None)
    if latin is not None:
        pdf.add_font("latin", "", str(latin))
        pdf.set_fallback_fonts(["latin"])
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: int = 10, height: float = 6) -> None:
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")

    proposal, result = doc["proposal"], doc["result"]
    line(TITLE, 18, 10)
    line(f"编号 {doc['number']}", 11)
    if doc.get("status") == "draft":
        line("（草稿，待业主委员会确认）", 11)
    if doc.get("supersedes"):
        line(f"本公告更正 {doc['supersedes']}：{doc.get('correction', '')}", 10)
    line(f"事项：{proposal['title']}", 13, 8)
    matter = "重大事项" if proposal["matter"] == "major" else "一般事项"
    line(f"范围：{doc['hall']['name']}　依据：《民法典》第二百七十八条第{proposal['item']}项（{matter}）")
    line(f"表决结果：{OUTCOMES.get(result['outcome'], result['outcome'])}", 14, 9)
    if result.get("reason"):
        line(f"原因：{REASONS.get(result['reason'], result['reason'])}")
    totals = doc["roll"]["totals"]
    line(f"专有部分总人数 N = {totals['persons']}，总面积 A = {totals['area']} 平方米")
    part = result["participating"]
    line(f"参与表决：{part['persons']} 人，{part['area']} 平方米")
    for key, figures in result["choices"].items():
        line(f"{CHOICES.get(key, key)}：{figures['persons']} 人，{figures['area']} 平方米")
    for test in result["tests"]:
        met = "—" if test["met"] is None else ("达到" if test["met"] else "未达到")
        line(f"{TESTS.get(test['name'], test['name'])}：{test['value']}，要求 {test['required']}，{met}")
    if result.get("deemed"):
        deemed = result["deemed"]
        line(
            f"【视为同意多数】依据：{deemed.get('clause')}；按此计算结果："
            f"{OUTCOMES.get(deemed['outcome'], deemed['outcome'])}（上列为严格计票结果）"
        )
    channels = doc.get("channels") or {}
    line(
        f"表决方式：线上 {channels.get('online', 0)}，纸质 {channels.get('paper', 0)}，"
        f"委托 {channels.get('proxy', 0)}"
    )
    timeline = doc["timeline"]
    line(f"公告时间：{timeline.get('notice_at') or '—'}")
    line(f"表决期间：{timeline.get('opens_at')} 至 {timeline.get('closes_at')}")
    line(f"计票时间：{timeline.get('closed_at')}")
    for signature in doc.get("certified") or []:
        line(f"业主委员会确认：{signature['by']}　{signature['at']}")
    if doc.get("posted_at"):
        line(f"公布时间：{doc['posted_at']}，公示至 {doc['display_until']}")
    line(f"账本头哈希：{doc['head']}", 8)
    line(f"名册指纹：{doc['roll_fingerprint']}", 8)
    published = doc["roll"].get("published_fingerprint")
    if published:
        line(f"开始表决时公布的名册公开指纹：{published}", 8)
    line(f"方案文本 SHA-256：{proposal['body_sha256']}", 8)
    if doc.get("record_hash"):
        line(f"公告哈希：{doc['record_hash']}", 8)
    line("表决方案全文：", 12, 8)
    line(proposal["body"], 10)
    line("参与表决的专有部分（仅房号与面积）：", 12, 8)
    _participation(pdf, doc["participation"], width, has_latin=latin is not None)
    line("任何人可用 agora verify 重新计票并核对哈希链。", 9)
    return bytes(pdf.output())


UNIT_SIZE = 8  # pt, the participation grid
UNIT_ROW = 3.8  # mm per grid row
UNIT_GAP = 4.0  # mm between grid columns


def _participation(pdf: Any, units: list[dict[str, str]], width: float, *, has_latin: bool) -> None:
    """Every participating unit, grouped under its building ("1幢"), as "<unit> <area>" on a grid.

    Grid cells all have the width of the widest entry, so the columns line up and each unit is one
    `text()` call at a computed position. An entry that is not ASCII (a unit labelled in Chinese), or
    one wider than the page, goes through `multi_cell()`, which handles mixed fonts and wraps; without
    a Latin font, every entry does.
    """
    if not units:
        pdf.set_font("cjk", size=9)
        pdf.multi_cell(width, 6, "—", new_x="LMARGIN", new_y="NEXT")
        return
    latin = pdf.fonts["latin"] if has_latin else None
    scale = UNIT_SIZE / 1000 / pdf.k  # font units (1/1000 em) to mm at UNIT_SIZE

    def measure(text: str) -> tuple[float, bool]:
        """The entry's width, and whether it is plain ASCII that fits a line (drawn with `text()`)."""
        if latin is not None and text.isascii():
            widths = latin.cw
            measured = sum(widths[ord(ch)] for ch in text) * scale
            return measured, measured <= width
        pdf.set_font("cjk", size=UNIT_SIZE)
        return pdf.get_string_width(text), False

    entries = [(u["building"], text, *measure(text)) for u in units for text in (f"{u['unit']} {u['area']}",)]
    cell = min(max(entry[2] for entry in entries), width) + UNIT_GAP
    columns = max(1, int((width + UNIT_GAP) // cell))
    baseline = UNIT_ROW * 0.75
    for building, group in groupby(entries, key=lambda entry: entry[0]):
        row = list(group)
        if pdf.y + 5 + UNIT_ROW > pdf.page_break_trigger:
            pdf.add_page()
        pdf.set_font("cjk", size=9)
        pdf.cell(width, 5, f"{building}幢", new_x="LMARGIN", new_y="NEXT")
        for start in range(0, len(row), columns):
            # A wrapped entry takes more than one grid row: the whole row must fit on the page.
            lines = max(
                1 if simple else 2 + int(w // (cell - UNIT_GAP))
                for _b, _t, w, simple in row[start : start + columns]
            )
            if pdf.y + lines * UNIT_ROW > pdf.page_break_trigger:
                pdf.add_page()
            y = bottom = pdf.y
            for column, (_building, text, _width, simple) in enumerate(row[start : start + columns]):
                x = pdf.l_margin + column * cell
                if simple:
                    pdf.set_font("latin", size=UNIT_SIZE)
                    pdf.text(x, y + baseline, text)
                    bottom = max(bottom, y + UNIT_ROW)
                else:
                    pdf.set_font("cjk", size=UNIT_SIZE)
                    pdf.set_xy(x, y)
                    pdf.multi_cell(cell - UNIT_GAP, UNIT_ROW, text, new_x="LMARGIN", new_y="NEXT")
                    bottom = max(bottom, pdf.y)
            pdf.set_xy(pdf.l_margin, bottom)
        pdf.ln(1)


_CACHE: OrderedDict[str, bytes] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 16


def record_pdf(doc: dict[str, Any]) -> bytes:
    """`render_pdf`, cached for a posted record: it is frozen, and its hash names its exact content.

    A draft still changes (certifications), so it is rendered every time. Safe to call from a thread.
    """
    key = doc.get("record_hash") if doc.get("status") == "posted" else None
    if key:
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
    data = render_pdf(doc)
    if key:
        with _CACHE_LOCK:
            _CACHE[key] = data
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return data
