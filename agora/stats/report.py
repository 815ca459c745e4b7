"""The monthly report as PDF: the same engine and fonts as the printable resolution record
(fpdf2, `agora.ballots.pdf.find_font`), always in Chinese, with the figures, a bar chart per section
drawn as rectangles, and the halls' table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agora.ballots.pdf import LATIN_CANDIDATES, find_font
from agora.i18n import use_locale
from agora.proposals.labels import state_label
from agora.stats import tables
from agora.stats.labels import children_header, figure_label

BAR_MM = 90


def render_report(data: dict[str, Any]) -> bytes:
    with use_locale("zh_CN"):
        return _render(data)


def _render(data: dict[str, Any]) -> bytes:
    from fpdf import FPDF  # 0.2 s to import: loaded by the first report, not by every process

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", "", str(find_font()))
    latin = next((Path(p) for p in LATIN_CANDIDATES if Path(p).is_file()), None)
    if latin is not None:
        pdf.add_font("latin", "", str(latin))
        pdf.set_fallback_fonts(["latin"])
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: int = 10, height: float = 6) -> None:
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(width, height, text, new_x="LMARGIN", new_y="NEXT")

    def chart(title: str, bars: list[tables.Bar]) -> None:
        line(title, 12, 8)
        for bar in bars:
            pdf.set_font("cjk", size=9)
            y = pdf.get_y()
            pdf.cell(60, 6, f"{bar.label}：{bar.value}")
            pdf.set_fill_color(232, 230, 225)
            pdf.rect(pdf.l_margin + 62, y + 1, BAR_MM, 4, style="F")
            pdf.set_fill_color(23, 97, 43)
            if bar.width:
                pdf.rect(pdf.l_margin + 62, y + 1, BAR_MM * bar.width / tables.CHART_WIDTH, 4, style="F")
            pdf.ln(6)

    span = data["range"]
    line("议事厅数据月报", 18, 10)
    line(f"{data['hall']['name']}　{span['from'] or '…'} 至 {span['to'] or '…'}", 12, 8)
    for name, value in tables.summary_rows(data, figure_label):
        line(f"{name}：{value}")
    chart("各状态议题数", tables.bars((state_label(s), n) for s, n in data["proposals"]["by_state"].items()))
    votes = data["votes"]
    chart(
        "表决及结果",
        tables.bars([("通过的表决", votes["passed"]), ("未形成决定的表决", votes["no_decision"])]),
    )
    if data["children"]:
        line("下属议事厅", 12, 8)
        line("　".join(children_header()), 9, 5)
        for row in tables.children_rows(data):
            line("　".join(row), 9, 5)
    return bytes(pdf.output())
