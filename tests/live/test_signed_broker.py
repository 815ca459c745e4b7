"""Redis messages are signed; forged ones never reach a phone, and JSON clients never get a fragment
(issue 16, item 6). Needs Redis (AGORA_TEST_REDIS_URL, else redis://127.0.0.1:6379/0 when it answers).
"""

from __future__ import annotations

import json
import os
import socket

import pytest

from agora.live.broker import channel_for, sign, signing_key, verify
from agora.live.hub import json_text
from agora.settings import Settings
from tests.live.factories import collect, compound, member, next_of, open_socket

REDIS = os.environ.get("AGORA_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def test_signatures_bind_the_text_and_the_secret() -> None:
    key = signing_key("s3cret")
    wire = sign(key, '{"kind":"event"}')
    assert verify(key, wire) == '{"kind":"event"}' and verify(key, wire.encode()) == '{"kind":"event"}'
    assert verify(signing_key("other"), wire) is None
    assert verify(key, wire.replace("event", "evenT")) is None
    assert verify(key, '{"kind":"event"}') is None and verify(key, b"\xff\xfe") is None
    assert signing_key("s3cret") != b"s3cret"


def test_json_clients_get_data_not_fragments() -> None:
    import agora.proposals.live  # noqa: F401 — registers the comment events' JSON shapes

    comment = {"type": "comment.created", "seq": 1, "hall": 1,
               "body_html": "<p>x<script>alert(1)</script></p>",
               "fragment_html": "<div hx-get='/logout'></div>"}  # fmt: skip
    sent = json.loads(json_text(comment))
    assert "<script" not in sent["body_html"] and "fragment_html" not in sent
    other = json.loads(json_text({"type": "reload", "seq": 2, "hall": 1, "html": "<b>x</b>"}))
    assert other == {"type": "reload", "seq": 2, "hall": 1}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    if not _redis_answers():
        pytest.skip("no Redis on 127.0.0.1:6379")
    return settings.with_(redis_url=REDIS)


async def test_forged_messages_on_the_channel_are_dropped_and_counted(server) -> None:  # type: ignore[no-untyped-def]
    import redis.asyncio as redis

    hall = await compound("signed")
    headers = await member("phone-owner", hall)
    broker = server.app.state.hub.broker
    publisher = redis.from_url(REDIS)
    channel = channel_for(server.settings.database_url)
    forged = {
        "kind": "event",
        "hall": hall.id,
        "message": {"type": "comment.created", "seq": None, "hall": hall.id, "official": True,
                    "author": "管理员", "body_html": "<p>请立即转账</p><script>alert(1)</script>"},
    }  # fmt: skip
    try:
        async with open_socket(server, "signed", headers) as ws:
            await next_of(ws, "presence")
            before = broker.dropped
            await publisher.publish(channel, json.dumps(forged))
            await publisher.publish(channel, "0" * 64 + "." + json.dumps(forged))  # a made-up signature
            assert await collect(ws, "comment.created", quiet=1.0) == []
            assert broker.dropped == before + 2
            # The site's own key gets through, and JSON clients still get sanitized data only.
            key = signing_key(server.settings.secret_key)
            await publisher.publish(channel, sign(key, json.dumps({**forged, "fragment_html": "<b>x</b>"})))
            message = await next_of(ws, "comment.created")
            assert "<script" not in message["body_html"] and "fragment_html" not in message
            assert broker.dropped == before + 2
    finally:
        await publisher.aclose()
