"""The bare baselines, served by uvicorn with the options `agora serve` uses.

`python -m bench.baseline_apps --port P` serves, in one process:
- `GET /plain`: a bare Starlette route returning a small string;
- `GET /page`: a bare Jinja2 page of about 5 KB with a 50-item loop (autoescaped);
- `GET /thread`: agora's own proposal page (`AGORA_BENCH_THREAD`, for the session cookie in
  `AGORA_BENCH_COOKIE`) rendered by Jinja2 from memory: the template, the environment and the context
  of one real render (captured once at start, in this process, through agora's app on the same
  database), rendered again on every request with no database, no session, no middleware. The HTML
  is agora's, byte for byte (`bench.cases_http` checks), so the page's ratio to it measures agora's own
  work around the template: reads, access checks, the pipeline, the response;
- `WS /ws`: a minimal websocket endpoint that keeps its clients;
- `POST /broadcast`: sends the request body, as text, to every connected `/ws` client; with
  `AGORA_BENCH_REDIS_URL` set, publishes it on a Redis channel instead, and every process (`--workers N`)
  sends what it hears there to its own clients: the bare shape of agora's fan-out through Redis.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><header><h1>{{ title }}</h1><p class="lede">{{ lede }}</p></header>
<main><ol class="comments">
{% for item in items %}
<li id="c{{ item.id }}" class="{{ item.stance }}">{{ item.author }}
<p>{{ item.body }}</p></li>
{% endfor %}
</ol></main><footer>{{ footer }}</footer></body></html>
"""
ITEMS = [
    {
        "id": i,
        "author": f"业主 {i}",
        "stance": ("support", "oppose", "question", "neutral")[i % 4],
        "body": f"Comment {i}: keep the <b>stairs</b> clear",
    }
    for i in range(50)
]
ENV = Environment(loader=DictLoader({"page.html": PAGE}), autoescape=select_autoescape(default=True))
CLIENTS: set[WebSocket] = set()


async def plain(request: Request) -> Response:
    return PlainTextResponse("hello, agora")


async def page(request: Request) -> Response:
    html = ENV.get_template("page.html").render(
        title="Proposal: install an elevator in building 3",
        lede="A bare Jinja2 page with a 50-item loop, the baseline for agora's proposal page.",
        items=ITEMS,
        footer="agora benchmark baseline",
    )
    return HTMLResponse(html)


def capture_page(path: str, cookie: str) -> Callable[[], str]:
    """Render `path` once through agora (in-process, on the database of this process's environment),
    keep the page template's environment and context, and return a function rendering it again."""
    from starlette.testclient import TestClient

    from agora import i18n
    from agora.app import create_app

    app = create_app()
    env = app.state.templates
    captured: dict[str, Any] = {}
    get_template = env.get_template

    def spying(name: str, *args: Any, **kwargs: Any) -> Any:
        template = get_template(name, *args, **kwargs)
        if name == "proposals/detail.html" and not captured:
            render = template.render

            def capture(context: dict[str, Any]) -> str:
                captured.update(template=template, context=dict(context), locale=i18n.get_locale())
                return str(render(context))

            template.render = capture
        return template

    env.get_template = spying
    with TestClient(app, base_url="http://127.0.0.1") as client:
        response = client.get(path, headers={"Cookie": cookie})
        response.raise_for_status()
    env.get_template = get_template
    template, context, locale = captured["template"], captured["context"], captured["locale"]
    del template.render  # the instance's spy; the class's render again

    def again() -> str:
        with i18n.use_locale(locale):
            return str(template.render(context))

    return again


THREAD: list[Callable[[], str]] = []


async def thread(request: Request) -> Response:
    return HTMLResponse(THREAD[0]())


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    CLIENTS.add(websocket)
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        CLIENTS.discard(websocket)


REDIS_URL = os.environ.get("AGORA_BENCH_REDIS_URL", "")
CHANNEL = f"agora-bench:broadcast:{os.getppid() if os.environ.get('AGORA_BENCH_WORKERS') else os.getpid()}"
REDIS: list[Any] = []  # the publishing connection, when broadcasting through Redis


async def send_to_clients(text: str) -> None:
    for client in list(CLIENTS):
        try:
            await client.send_text(text)
        except Exception:  # noqa: BLE001 — a closing client
            CLIENTS.discard(client)


async def broadcast(request: Request) -> Response:
    text = (await request.body()).decode()
    if REDIS:
        await REDIS[0].publish(CHANNEL, text)
    else:
        await send_to_clients(text)
    return PlainTextResponse(str(len(CLIENTS)))


async def listen(pubsub: Any) -> None:
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if message and message.get("type") == "message":
            await send_to_clients(message["data"].decode())


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    if not REDIS_URL:
        yield
        return
    import asyncio

    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    pubsub = client.pubsub()
    await pubsub.subscribe(CHANNEL)
    listener = asyncio.create_task(listen(pubsub))
    REDIS.append(client)
    try:
        yield
    finally:
        REDIS.clear()
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await pubsub.aclose()
        await client.aclose()


app = Starlette(
    routes=[
        Route("/plain", plain),
        Route("/page", page),
        Route("/thread", thread),
        Route("/healthz", healthz),
        Route("/broadcast", broadcast, methods=["POST"]),
        WebSocketRoute("/ws", socket),
    ],
    lifespan=lifespan,
)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if os.environ.get("AGORA_BENCH_THREAD"):
        THREAD.append(capture_page(os.environ["AGORA_BENCH_THREAD"], os.environ["AGORA_BENCH_COOKIE"]))
    if args.workers > 1:
        os.environ["AGORA_BENCH_WORKERS"] = str(args.workers)  # the workers share this process's channel
    uvicorn.run(
        "bench.baseline_apps:app" if args.workers > 1 else app,
        workers=args.workers if args.workers > 1 else None,
        host="127.0.0.1",
        port=args.port,
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
        proxy_headers=True,
        log_level="info",
    )


if __name__ == "__main__":
    main()
