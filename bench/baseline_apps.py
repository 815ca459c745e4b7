"""The bare baselines, served by uvicorn with the options `agora serve` uses.

`python -m bench.baseline_apps --port P` serves, in one process:
- `GET /plain`: a bare Starlette route returning a small string;
- `GET /page`: a bare Jinja2 page of about 5 KB with a 50-item loop (autoescaped);
- `WS /ws`: a minimal websocket endpoint that keeps its clients;
- `POST /broadcast`: sends the request body, as text, to every connected `/ws` client.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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


async def broadcast(request: Request) -> Response:
    text = (await request.body()).decode()
    for client in list(CLIENTS):
        try:
            await client.send_text(text)
        except Exception:  # noqa: BLE001 — a closing client
            CLIENTS.discard(client)
    return PlainTextResponse(str(len(CLIENTS)))


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    yield


app = Starlette(
    routes=[
        Route("/plain", plain),
        Route("/page", page),
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
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
        proxy_headers=True,
        log_level="info",
    )


if __name__ == "__main__":
    main()
