"""HTTP routes of the rooms feature: the JSON API here, the pages in `agora.rooms.pages`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agora.rooms import joining, roll_import, services
from agora.rooms.access import access_hall
from agora.rooms.pages import routes as page_routes
from agora.web.http import json_response, read_json, require_user
from agora.web.middleware import client_ip


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def api_create_hall(request: Request) -> Response:
    user = require_user(request)
    hall = await services.create_hall(user, await read_json(request))
    return json_response({"slug": hall.slug}, status=201)


async def api_my_halls(request: Request) -> Response:
    user = require_user(request)
    return json_response({"halls": [s.to_json() for s in await services.my_halls(user)]})


async def api_hall(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    return json_response(await services.hall_detail(access, user))


async def api_put_roll(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    result = await roll_import.import_roll(access, user, await request.body())
    return json_response(result.to_json())


async def api_roll_csv(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    text = await roll_import.export_roll(access)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{access.hall.slug}-roll.csv"'},
    )


async def api_create_invite(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    code, _invite = await joining.create_hall_invite(access, user, await read_json(request))
    return json_response({"code": code, "url": joining.join_url(base_url(request), code)}, status=201)


async def api_set_roles(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    data = await read_json(request)
    roles = await services.set_roles(access, user, request.path_params["login"], data.get("roles"))
    return json_response({"login": request.path_params["login"], "roles": roles})


async def api_get_rules(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    return json_response((await services.get_rules(access)).to_json())


async def api_put_rules(request: Request) -> Response:
    user = require_user(request)
    access = await access_hall(user, request.path_params["slug"])
    rules = await services.set_rules(access, user, await read_json(request))
    return json_response(rules.to_json())


async def api_register(request: Request) -> Response:
    data = await read_json(request)
    user = await joining.register(request.app.state.passwords, data, client_ip(request.scope))
    return json_response({"login": user.login}, status=201)


api_routes: list[BaseRoute] = [
    Route("/api/v1/halls", api_create_hall, methods=["POST"]),
    Route("/api/v1/halls", api_my_halls, methods=["GET"]),
    Route("/api/v1/halls/{slug}", api_hall, methods=["GET"]),
    Route("/api/v1/halls/{slug}/roll", api_put_roll, methods=["PUT"]),
    Route("/api/v1/halls/{slug}/roll.csv", api_roll_csv, methods=["GET"]),
    Route("/api/v1/halls/{slug}/invites", api_create_invite, methods=["POST"]),
    Route("/api/v1/halls/{slug}/members/{login}/roles", api_set_roles, methods=["PUT"]),
    Route("/api/v1/halls/{slug}/rules", api_get_rules, methods=["GET"]),
    Route("/api/v1/halls/{slug}/rules", api_put_rules, methods=["PUT"]),
    Route("/api/v1/auth/register", api_register, methods=["POST"]),
]

routes: list[BaseRoute] = [*api_routes, *page_routes]
