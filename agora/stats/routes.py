"""Figures: `GET /api/v1/halls/{slug}/stats`, the dashboard page and its CSV and XLSX exports.

Thin handlers: the range and the hall are checked by `services.hall_stats` (422, 404); the tables
and chart geometry come from the pure `tables` module.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.i18n import _
from agora.proposals.labels import state_label
from agora.stats import concerns_export, services, tables
from agora.stats.labels import age_label, children_header, figure_label, urgency_heading
from agora.stats.report import render_report
from agora.web.http import json_response, require_user
from agora.web.templating import render

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _stats(request: Request) -> dict[str, Any]:
    params = request.query_params
    state = request.app.state
    if not hasattr(state, "record_figures"):
        state.record_figures = {}  # the records' figures, read once (agora.stats.queries)
    return await services.hall_stats(
        require_user(request), request.path_params["slug"], params.get("from"), params.get("to"),
        state.record_figures,
    )  # fmt: skip


async def stats_api(request: Request) -> Response:
    return json_response(await _stats(request))


def _sections(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    summary = [[name, value] for name, value in tables.summary_rows(data, figure_label)]
    states = [[state_label(s), str(n)] for s, n in data["proposals"]["by_state"].items()]
    return [
        (_("Figures"), [_("Figure"), _("Value")], summary),
        (_("Proposals"), [_("State"), _("Count")], states),
        (_("Halls"), children_header(), tables.children_rows(data)),
    ]


def _filename(data: dict[str, Any], ext: str) -> str:
    span = data["range"]
    tail = "-".join(x for x in (span["from"], span["to"]) if x) or "all"
    return f"agora-{data['hall']['slug']}-{tail}.{ext}"


async def dashboard_page(request: Request) -> Response:
    data = await _stats(request)
    if request.query_params.get("format") == "csv":
        body = tables.to_csv([(header, rows) for _title, header, rows in _sections(data)])
        disposition = f'attachment; filename="{_filename(data, "csv")}"'
        return Response(body, media_type=CSV_TYPE, headers={"Content-Disposition": disposition})
    children = data["children"]
    return render(
        request,
        "stats/dashboard.html",
        {
            "data": data,
            "summary": tables.summary_rows(data, figure_label),
            "state_bars": tables.bars((state_label(s), n) for s, n in data["proposals"]["by_state"].items()),
            "vote_bars": tables.bars(
                [
                    (_("Votes passed"), data["votes"]["passed"]),
                    (_("Votes with no decision made"), data["votes"]["no_decision"]),
                ]
            ),
            "work_bars": tables.bars(
                [
                    (_("Works under way"), data["implementation"]["active"]),
                    (_("Works done"), data["implementation"]["done"]),
                ]
            ),
            "child_bars": tables.bars((c["name"], c["votes"]["held"]) for c in children),
            "month_bars": [
                (
                    month,
                    tables.bars(
                        [(_("Concerns received"), n["received"]), (_("Concerns resolved"), n["resolved"])]
                    ),
                )
                for month, n in data["concerns"]["by_month"].items()
            ],
            "urgency_age_bars": [
                (
                    urgency_heading(urgency),
                    tables.bars((age_label(age), n) for age, n in ages.items()),
                )
                for urgency, ages in data["concerns"]["open_by_urgency_and_age"].items()
            ],
            "children_header": children_header(),
            "children_rows": tables.children_rows(data),
            "query": request.url.query,
        },
    )


async def monthly_report(request: Request) -> Response:
    """`?month=YYYY-MM` (or from/to): the figures of that month as a printable PDF."""
    month = request.query_params.get("month", "")
    raw_from, raw_to = request.query_params.get("from"), request.query_params.get("to")
    if month:
        raw_from, raw_to = services.month_range(month)
    state = request.app.state
    if not hasattr(state, "record_figures"):
        state.record_figures = {}
    data = await services.hall_stats(
        require_user(request), request.path_params["slug"], raw_from, raw_to, state.record_figures
    )
    body = await asyncio.to_thread(render_report, data)
    disposition = f'inline; filename="{_filename(data, "pdf")}"'
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": disposition})


async def dashboard_xlsx(request: Request) -> Response:
    data = await _stats(request)
    disposition = f'attachment; filename="{_filename(data, "xlsx")}"'
    return Response(
        tables.to_xlsx(_sections(data)), media_type=XLSX_TYPE, headers={"Content-Disposition": disposition}
    )


async def concerns_csv(request: Request) -> Response:
    params = request.query_params
    hall, span, rows = await concerns_export.export_rows(
        require_user(request), request.path_params["slug"], params.get("from"), params.get("to")
    )
    body = tables.to_csv([(header, rows) for _title, header, rows in concerns_export.sections(rows)])
    disposition = f'attachment; filename="{concerns_export.filename(hall, span, "csv")}"'
    return Response(body, media_type=CSV_TYPE, headers={"Content-Disposition": disposition})


async def concerns_xlsx(request: Request) -> Response:
    params = request.query_params
    hall, span, rows = await concerns_export.export_rows(
        require_user(request), request.path_params["slug"], params.get("from"), params.get("to")
    )
    disposition = f'attachment; filename="{concerns_export.filename(hall, span, "xlsx")}"'
    body = tables.to_xlsx(concerns_export.sections(rows))
    return Response(body, media_type=XLSX_TYPE, headers={"Content-Disposition": disposition})


routes: list[BaseRoute] = [
    Route("/api/v1/halls/{slug}/stats", stats_api, methods=["GET"]),
    Route("/halls/{slug}/dashboard", dashboard_page, methods=["GET"]),
    Route("/halls/{slug}/dashboard.xlsx", dashboard_xlsx, methods=["GET"]),
    Route("/halls/{slug}/report.pdf", monthly_report, methods=["GET"]),
    Route("/halls/{slug}/concerns.csv", concerns_csv, methods=["GET"]),
    Route("/halls/{slug}/concerns.xlsx", concerns_xlsx, methods=["GET"]),
]
