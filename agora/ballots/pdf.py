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

from agora import clock
from agora.art278 import CHOICE_NAMES_ZH
from agora.ballots.labels import test_sentence
from agora.errors import Unavailable
from agora.i18n import _, use_locale
from agora.timefmt import local_time

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
ART_279 = "业主将住宅改变为经营性用房，应当经有利害关系的业主一致同意"
REASONS = {
    "not_unanimous": "有利害关系的业主未全部同意",
    "quorum_not_met": "参与表决人数或面积未达三分之二",
    "not_approved": "同意票未达规定比例",
    "missing_figure": "缺少总数，无法计算",
    "deemed_majority_unclear": "视为同意多数的方向不明确",
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


SEAL_SIZE = 42  # mm: room for a round 38–42 mm committee seal


def _seal_and_signatures(pdf: Any, width: float) -> None:
    """Where the printed record is signed and sealed: the owners' committee's seal (an empty
    square), the chair's and two members' signatures with dates, and the residents' committee's
    acknowledgement. Kept on one page: a seal split from its signatures proves nothing."""
    needed = SEAL_SIZE + 12
    if pdf.y + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(4)
    top = pdf.y
    left = pdf.l_margin
    seal_x = left + width - SEAL_SIZE
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.3)
    pdf.rect(seal_x, top, SEAL_SIZE, SEAL_SIZE)
    pdf.set_font("cjk", size=9)
    pdf.set_xy(seal_x, top + SEAL_SIZE - 7)
    pdf.cell(SEAL_SIZE, 6, "业主委员会（盖章）", align="C")
    lines = (
        "业主委员会主任（签字）：",
        "业主委员会委员（签字）：",
        "业主委员会委员（签字）：",
        "居委会（已知悉）：",
    )
    row = SEAL_SIZE / len(lines)
    label_width = 48
    line_end = seal_x - 6
    pdf.set_font("cjk", size=10)
    for index, label in enumerate(lines):
        y = top + index * row + row - 3
        pdf.set_xy(left, y - 5)
        pdf.cell(label_width, 6, label)
        pdf.line(left + label_width, y, line_end - 30, y)
        pdf.set_xy(line_end - 29, y - 5)
        pdf.cell(10, 6, "日期")
        pdf.line(line_end - 19, y, line_end, y)
    pdf.set_xy(left, top + SEAL_SIZE + 4)


def render_pdf(doc: dict[str, Any]) -> bytes:
    """The record as an A4 PDF, always in Chinese; times in local time, to the minute."""
    with use_locale("zh_CN"):
        return _render_pdf(doc)


def _render_pdf(doc: dict[str, Any]) -> bytes:
    from fpdf import FPDF  # 0.2 s to import: loaded by the first PDF, not by every process

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

    def at(value: Any) -> str:
        return local_time(value, clock.LOCAL_ZONE, "zh_Hans_CN") or "—"

    proposal, result = doc["proposal"], doc["result"]
    line(TITLE, 18, 10)
    line(f"编号 {doc['number']}", 11)
    if doc.get("status") == "draft":
        line("（草稿，待业委会确认）", 11)
    elif doc.get("status") == "preliminary":
        line(f"（初步结果公示，业主可于 {at(doc.get('objections_until'))} 前提出异议）", 11)
    elif doc.get("status") == "final":
        line("（最终结果）", 11)
    if doc.get("supersedes"):
        line(f"本公告更正 {doc['supersedes']}：{doc.get('correction', '')}", 10)
    line(f"事项：{proposal['title']}", 13, 8)
    unanimous = proposal["matter"] == "unanimous"
    if unanimous:
        line(f"范围：{_scope(doc)}　依据：《民法典》第二百七十九条（{ART_279}）")
    else:
        matter = "重大事项" if proposal["matter"] == "major" else "一般事项"
        line(f"范围：{_scope(doc)}　依据：《民法典》第二百七十八条第{proposal['item']}项（{matter}）")
    charged = (doc.get("scope") or {}).get("charged_units")
    if charged:
        line(f"维修资金分摊范围：{len(charged)} 户（{'、'.join(charged)}）")
    verdict = (doc.get("verdict") or {}).get("outcome") or result["outcome"]
    line(f"表决结果：{OUTCOMES.get(verdict, verdict)}", 14, 9)
    vote_figures = not unanimous  # art. 279: consents, no count
    if unanimous:
        line("本事项不以多数表决决定：有利害关系的业主全部同意方为通过，一户不同意或未答复即未形成决定。")
    if vote_figures and verdict != result["outcome"]:
        voted = OUTCOMES.get(result["outcome"], result["outcome"])
        line(f"（单元业主表决：{voted}；占用房屋业主的个别同意未全部取得）")
    if result.get("reason"):
        line(f"原因：{REASONS.get(result['reason'], result['reason'])}")
    if vote_figures:
        _count_lines(doc, result, line)
    timeline = doc["timeline"]
    line(f"公告时间：{at(timeline.get('notice_at'))}")
    period = "征求同意期间" if unanimous else "表决期间"
    line(f"{period}：{at(timeline.get('opens_at'))} 至 {at(timeline.get('closes_at'))}")
    closer = timeline.get("closed_by")
    closed_how = f"由 {closer} 结束表决" if closer else "表决期满自动结束"
    line(f"{'截止时间' if unanimous else '计票时间'}：{at(timeline.get('closed_at'))}（{closed_how}）")
    _procedure_lines(doc, line, at)
    for signature in doc.get("certified") or []:
        line(f"业委会确认：{signature['by']}　{at(signature['at'])}")
    if doc.get("posted_at"):
        line(f"公布时间：{at(doc['posted_at'])}，公示至 {at(doc['display_until'])}")
    _seal_and_signatures(pdf, width)
    line("供核对：", 10, 7)
    if vote_figures:
        line(f"选票账本末条哈希：{doc['head']}", 8)
        if doc.get("entry_count") is not None:
            line(f"表决结束时账本条目数：{doc['entry_count']}", 8)
    if doc.get("secrecy") == "secret":
        line("无记名表决：每张选票加密记录，只公开各选项合计及其解密证明。", 8)
        line(f"表决公钥：{doc['election']['public_key']}", 8)
    published = doc["roll"].get("published_fingerprint")
    if published:
        line(f"名册公开指纹（开始表决时公布）：{published}", 8)
    line(f"冻结名册内部校验值：{doc['roll_fingerprint']}", 8)
    line(f"方案全文哈希（SHA-256）：{proposal['body_sha256']}", 8)
    if doc.get("record_hash"):
        line(f"表决结果公告哈希：{doc['record_hash']}", 8)
    line("表决方案全文：", 12, 8)
    line(proposal["body"], 10)
    if vote_figures:
        line("参与表决的专有部分（仅房号与面积）：", 12, 8)
        _participation(pdf, doc["participation"], width, has_latin=latin is not None)
        line("任何人可用 agora verify 重新计票并核对哈希链。", 9)
    else:
        line("任何人可用 agora verify 核对各户同意情况与结果。", 9)
    return bytes(pdf.output())


def _count_lines(doc: dict[str, Any], result: dict[str, Any], line: Any) -> None:
    """The count of an owners' vote: N and A, participation, each choice, each threshold, channels."""
    totals = doc["roll"]["totals"]
    line(f"专有部分总人数 N = {totals['persons']}，总面积 A = {totals['area']} 平方米")
    part = result["participating"]
    line(f"参与表决：{part['persons']} 人，{part['area']} 平方米")
    for key, figures in result["choices"].items():
        line(f"{CHOICE_NAMES_ZH.get(key, key)}：{figures['persons']} 人，{figures['area']} 平方米")
    for test in result["tests"]:
        line(test_sentence(test))
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


def _scope(doc: dict[str, Any]) -> str:
    """The hall, and the entrance when the electorate was one entrance (an elevator)."""
    scope = doc.get("scope") or {}
    entrance = scope.get("entrance") or (doc.get("proposal") or {}).get("entrance")
    name = doc["hall"]["name"]
    return f"{name} {entrance}单元" if entrance else name


def _procedure_lines(doc: dict[str, Any], line: Any, at: Any) -> None:
    """The procedure around the count: extension, residents' committee, consents, rules, objections."""
    extension = (doc.get("timeline") or {}).get("extension")
    if extension:
        old, new = at(extension.get("from")), at(extension.get("to"))
        line(f"表决期限延长：由 {old} 延至 {new}，理由：{extension.get('reason')}")
    notified = doc.get("residents_committee")
    if notified:
        staff = notified.get("staff")
        told = f"，通知社区工作人员 {staff} 人" if staff is not None else ""
        line(f"已告知居委会（{notified.get('name')}）：{at(notified.get('notified_at'))}{told}")
    consents = doc.get("consents")
    if consents:
        line(
            f"个别同意：应取得 {consents['required']} 户，同意 {consents['consented']}，"
            f"不同意 {consents['refused']}，未答复 {consents['pending']}"
        )
        for owner in consents.get("owners") or []:
            line(f"　{_consent_line(owner, at)}", 9)
    rules = doc.get("rules")
    if rules:
        parking = {True: "计入", False: "不计入", None: "未决定"}.get(rules.get("parking_counts"), "未决定")
        revote = "允许" if rules.get("revote") else "不允许"
        staff = "不得" if rules.get("proxy_bar_property_staff") else "可以"
        line(
            f"议事规则（公告时锁定）：公告 {rules.get('notice_days')} 日；"
            f"表决期 {rules.get('min_voting_days')}–{rules.get('max_voting_days')} 日；"
            f"车位{parking}；改票{revote}；"
            f"每名受托人至多代理 {rules.get('proxy_cap')} 户；物业人员{staff}受托；"
            f"视为同意条款：{rules.get('deemed_participation') or '无'}；"
            f"确认签名 {rules.get('certify_signatures')} 人；异议期 {rules.get('objection_days')} 日",
            9,
        )
    if doc.get("publish_by"):
        late = "（逾期公布）" if doc.get("published_late") else ""
        line(f"应于 {at(doc['publish_by'])} 前公布{late}")
    preliminary = doc.get("preliminary")
    if preliminary:
        line(f"初步结果公布：{at(preliminary.get('posted_at'))}")
    for number, objection in enumerate(doc.get("objections") or [], start=1):
        line(f"异议 {number}（{at(objection.get('at'))}）：{objection.get('body')}", 9)
        if objection.get("answer"):
            line(f"答复：{objection['answer']}", 9)


ANSWERS_ZH = {"consented": "同意", "refused": "不同意", "not_answered": "未答复"}


def _consent_line(owner: dict[str, Any], at: Any) -> str:
    """One owner's answer: "业主 A（1/101）：同意，线上，<time>" or entered "…见证录入（见证人 李）…"."""
    rooms = "、".join(owner.get("units") or []) or "—"
    answer = ANSWERS_ZH.get(owner.get("answer") or "", str(owner.get("answer")))
    if owner.get("answer") == "not_answered":
        return f"业主 {owner.get('owner_ref')}（{rooms}）：{answer}"
    how = "线上" if owner.get("channel") == "online" else f"见证录入（见证人 {owner.get('witness')}）"
    return f"业主 {owner.get('owner_ref')}（{rooms}）：{answer}，{how}，{at(owner.get('at'))}"


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
    # Only a final record is frozen for good: a preliminary one gathers objections beside its hash.
    key = str(doc.get("record_hash")) if doc.get("status") == "final" else None
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
