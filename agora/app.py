"""The application factory: explicit routes, middleware and lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from agora import offload
from agora.accounts.passwords import Passwords
from agora.accounts.routes import routes as account_routes
from agora.api_schema import openapi_json
from agora.ballots.routes import routes as ballot_routes
from agora.ballots.scheduler import start_scheduler
from agora.concerns.routes import routes as concern_routes
from agora.errors import DomainError
from agora.implementation.routes import routes as implementation_routes
from agora.implementation.scheduler import start_sweeper
from agora.live.hub import start_hub, stop_hub
from agora.live.routes import routes as live_routes
from agora.notify.routes import routes as notify_routes
from agora.notify.scheduler import start_reminders
from agora.notify.services import Notifier
from agora.proposals.routes import routes as proposal_routes
from agora.recovery.routes import routes as recovery_routes
from agora.rooms.routes import routes as room_routes
from agora.settings import Settings
from agora.startup import (
    StartupError,
    check_connected_database,
    check_database_reachable,
    check_files,
    health_failures,
)
from agora.stats.routes import routes as stats_routes
from agora.storage import database
from agora.web import errors, serving
from agora.web.http import redirect
from agora.web.middleware import AgoraMiddleware
from agora.web.routing import PrefixRouter, SocketLane
from agora.web.staticfiles import load_manifest, serve_static
from agora.web.templating import build_environment, render

log = logging.getLogger("agora")


async def healthz(request: Request) -> Response:
    """200 `{"ok": true}` when the database answers and the files are there; else 503 with the names of
    the failed checks and their one-line messages (`agora.startup`)."""
    failures = await health_failures()
    if failures:
        return JSONResponse(
            {
                "ok": False,
                "failed": [failure.name for failure in failures],
                "messages": {failure.name: failure.message for failure in failures},
            },
            status_code=503,
        )
    return JSONResponse({"ok": True})


async def home(request: Request) -> Response:
    if request.state.user is None:
        return redirect("/login")
    return redirect("/halls")


def feature_routes() -> list[BaseRoute]:
    """Every feature's routes, in one explicit list."""
    return [
        *account_routes,
        *recovery_routes,
        *room_routes,
        *proposal_routes,
        *ballot_routes,
        *implementation_routes,
        *concern_routes,
        *stats_routes,
        *notify_routes,
        *live_routes,
    ]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    serving.install_log_redaction()
    serving.share_the_gil()
    from agora.ballots import secrecy  # noqa: PLC0415 — the feature's key holder, set per app

    secrecy.configure(settings.secret_key)  # the vote keys are sealed under it

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The same checks `agora serve` runs before it starts uvicorn (agora.startup).
        failures = check_files() + await check_database_reachable(settings.database_url)
        if failures:
            for failure in failures:
                log.error(failure.line())
            raise StartupError(failures)
        if settings.auto_migrate:
            await database.migrate(settings.database_url)
        await database.init(settings.database_url)
        try:
            failures = await check_connected_database(settings.allow_unsafe_durability)
            if failures:
                for failure in failures:
                    log.error(failure.line())
                raise StartupError(failures)
            await start_hub(app, settings)
            scheduler = implementation_sweeper = reminders = None
            if settings.run_scheduler:
                scheduler = await start_scheduler(app)
                implementation_sweeper = await start_sweeper()
                reminders = await start_reminders(app.state.notifier)
            serving.freeze_startup_heap()  # no full collection walks the start-up heap again
            try:
                yield
            finally:
                for task in (scheduler, implementation_sweeper, reminders):
                    if task is not None:
                        task.cancel()
                await stop_hub(app)
                await offload.stop_all()  # the roll's parse worker, the ballots' sealing worker
        finally:
            await database.close()

    load_manifest()
    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/api/openapi.json", openapi_json),
        Route("/static/{digest}/{path:path}", serve_static),
        *feature_routes(),
    ]
    sockets = [route for route in routes if isinstance(route, WebSocketRoute)]  # in front (SocketLane)
    app = Starlette(
        debug=False,
        middleware=[
            Middleware(SocketLane, routes=sockets, middleware=AgoraMiddleware),
            Middleware(GZipMiddleware, minimum_size=800),
            Middleware(AgoraMiddleware),
        ],
        exception_handlers={
            DomainError: errors.domain_error_handler,
            HTTPException: errors.http_exception_handler,
        },
    )
    # Starlette's router, trying only the routes a path can match; every route is in it, the sockets
    # too (the lane only reaches them first).
    app.router = PrefixRouter(routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.templates = build_environment(auto_reload=settings.debug)
    app.state.passwords = Passwords(settings.argon2_profile, settings.max_concurrent_hashes)
    app.state.notifier = Notifier.from_settings(settings)
    return app


def render_page(request: Request, template: str, **context: object) -> Response:
    return render(request, template, context)
