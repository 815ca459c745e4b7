"""HTTP routes of the ballots feature: the JSON API here, the pages in `agora.ballots.pages`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.ballots import live, services
from agora.ballots.consent_pages import routes as consent_routes
from agora.ballots.named import named_ballots
from agora.ballots.pages import routes as page_routes
from agora.ballots.procedure_routes import routes as procedure_routes
from agora.web.http import json_response, path_id, read_json, require_user


def _id(request: Request) -> int:
    return path_id(request, "proposal_id")


async def cast(request: Request) -> Response:
    user = require_user(request)
    data = await read_json(request)
    body = await services.cast_ballot(
        user, _id(request), data.get("choice"), request.headers.get("idempotency-key")
    )
    return json_response(body, status=201)


async def cast_paper(request: Request) -> Response:
    user = require_user(request)
    body = await services.cast_paper(user, _id(request), await read_json(request))
    return json_response(body, status=201)


async def undo_paper(request: Request) -> Response:
    """The canvasser takes back a paper ballot entered by mistake, within the undo window."""
    user = require_user(request)
    undone = await services.undo_paper(user, _id(request), path_id(request, "seq"))
    return json_response(
        {
            "owner_ref": undone.owner_ref,
            "channel": undone.channel,
            "withdrawn": undone.seq,
            "entry": undone.withdrawal_seq,
        }  # fmt: skip
    )


async def delivery(request: Request) -> Response:
    user = require_user(request)
    body = await services.record_delivery(user, _id(request), await read_json(request))
    return json_response(body, status=201)


async def mine(request: Request) -> Response:
    return json_response(await services.my_ballot(require_user(request), _id(request)))


async def named(request: Request) -> Response:
    return json_response(await named_ballots(require_user(request), _id(request)))


async def result(request: Request) -> Response:
    return json_response(await services.result_json(require_user(request), _id(request)))


async def turnout_by_building(request: Request) -> Response:
    rows = await services.building_turnout(require_user(request), _id(request))
    return json_response({"buildings": rows})


async def ledger(request: Request) -> Response:
    return json_response(await services.ledger_json(require_user(request), _id(request)))


async def resolution(request: Request) -> Response:
    return json_response(await services.resolution_json(require_user(request), _id(request)))


async def certify(request: Request) -> Response:
    return json_response(await services.certify(require_user(request), _id(request)))


async def correct(request: Request) -> Response:
    data = await read_json(request)
    body = await services.correct(require_user(request), _id(request), data.get("reason"))
    return json_response(body, status=201)


async def archive(request: Request) -> Response:
    hall, rows = await services.archive(
        require_user(request), request.path_params["slug"], request.query_params.get("q", "")
    )
    return json_response(
        {
            "hall": hall.slug,
            "resolutions": [
                {
                    "number": r.number,
                    "title": r.title,
                    "proposal": r.proposal_id,  # type: ignore[attr-defined]
                    "outcome": r.document["result"]["outcome"],
                    "posted_at": r.posted_at.isoformat() if r.posted_at else None,
                    "supersedes": r.document.get("supersedes"),
                }
                for r in rows
            ],
        }
    )


live.register()

P = "/api/v1/proposals/{proposal_id:int}"
routes: list[BaseRoute] = [
    Route(f"{P}/ballots", cast, methods=["POST"]),
    Route(f"{P}/ballots/paper", cast_paper, methods=["POST"]),
    Route(f"{P}/ballots/paper/{{seq:int}}/undo", undo_paper, methods=["POST"]),
    Route(f"{P}/ballots/mine", mine, methods=["GET"]),
    Route(f"{P}/ballots/named", named, methods=["GET"]),
    Route(f"{P}/deliveries", delivery, methods=["POST"]),
    Route(f"{P}/result", result, methods=["GET"]),
    Route(f"{P}/turnout/buildings", turnout_by_building, methods=["GET"]),
    Route(f"{P}/ledger", ledger, methods=["GET"]),
    Route(f"{P}/resolution", resolution, methods=["GET"]),
    Route(f"{P}/resolution/certify", certify, methods=["POST"]),
    Route(f"{P}/resolution/corrections", correct, methods=["POST"]),
    Route("/api/v1/halls/{slug}/resolutions", archive, methods=["GET"]),
    *procedure_routes,
    *consent_routes,
    *page_routes,
]
