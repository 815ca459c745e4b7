"""Receipt and invitation codes stay out of URLs and out of every log line (issue 16, item 6).

Codes used to travel in query strings (`/proposals/{id}/resolution?receipt=…`, `/join?code=…`) and
so into the access log. Links now carry them in the fragment (never sent to the server), the lookup
is a POST form, and any code that still arrives in a query (a link printed before) is redacted from
every log line.
"""

from __future__ import annotations

import io
import logging
import logging.config
import re

import httpx
import pytest
from uvicorn.logging import AccessFormatter as UvicornAccessFormatter

from agora.web.serving import ACCESS_FORMAT, redact, uvicorn_log_config
from tests.ballots.factories import cast, close_now, voting_proposal
from tests.rooms.factories import compound_with_roll
from tests.support import browser_login, csrf_from


def test_redaction_of_query_codes() -> None:
    assert redact("GET /join?code=ABCD-1234 HTTP/1.1") == "GET /join?code=[redacted] HTTP/1.1"
    assert redact("/p/1/resolution?x=1&receipt=K7Q2&y=2") == "/p/1/resolution?x=1&receipt=[redacted]&y=2"
    assert redact("/x?Token=abc") == "/x?Token=[redacted]" and redact("/x?since=5") == "/x?since=5"


async def test_codes_never_reach_a_url_or_a_log_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="uvicorn.access")  # the test server logs at warning only
    compound = await compound_with_roll(client)
    invite = await client.post(
        f"/api/v1/halls/{compound.slug}/invites", json={"role": "resident"}, headers=compound.committee
    )
    code = invite.json()["code"]
    assert invite.json()["url"].endswith(f"/join#code={code}") and "?" not in invite.json()["url"]
    proposal = await voting_proposal(compound)
    owner = await compound.owner("A", "owner-a")
    receipt = (await cast(client, proposal.id, owner, "yes")).json()["receipt"]

    # The receipt page's QR code and link point at the record with the code in the fragment.
    await close_now(proposal)
    await browser_login(client, "owner-a")
    page = await client.get(f"/proposals/{proposal.id}/resolution")
    assert page.status_code == 200
    form = re.search(r'<form method="(\w+)" action="/proposals/\d+/resolution#ledger">', page.text)
    assert form and form.group(1) == "post"
    found = await client.post(
        f"/proposals/{proposal.id}/resolution", data={"csrf_token": csrf_from(page.text), "receipt": receipt}
    )
    assert found.status_code == 200 and 'class="found"' in found.text
    # Links printed before still work, and the code is redacted from the access log.
    old_link = await client.get(f"/proposals/{proposal.id}/resolution?receipt={receipt}")
    assert old_link.status_code == 200 and 'class="found"' in old_link.text
    assert (await client.get(f"/join?code={code}")).status_code == 200

    # Every line the server wrote (the test's own HTTP client logs its URLs: not the server's).
    lines = [record.getMessage() for record in caplog.records if not record.name.startswith("httpx")]
    assert any("resolution?receipt=[redacted]" in line for line in lines), lines[-5:]
    for line in lines:
        assert receipt not in line and code not in line, line


def test_qr_links_carry_codes_in_the_fragment() -> None:
    """What the receipt's and the invitation slip's QR codes encode."""
    from agora.ballots.receipts import receipt_url
    from agora.rooms.joining import join_url

    assert receipt_url("https://agora.example/", 7, "K7Q2-ABCD") == (
        "https://agora.example/proposals/7/resolution#receipt=K7Q2-ABCD"
    )
    assert join_url("https://agora.example", "ABCD1234") == "https://agora.example/join#code=ABCD1234"


def test_the_access_line_agora_serve_writes_is_uvicorns_redacted() -> None:
    """`agora serve` writes its access log through its own formatter (`agora.web.serving.AccessFormatter`,
    uvicorn's line without uvicorn's per-line copy): the same line uvicorn writes, the code redacted.
    The handler is built from `agora serve`'s logging configuration as `logging.config` builds it."""
    config = uvicorn_log_config()
    assert config["loggers"]["uvicorn.access"]["handlers"] == ["access"]
    assert config["handlers"]["access"]["formatter"] == "access"
    assert config["handlers"]["access"]["filters"] == ["redact"]
    builder = logging.config.DictConfigurator(config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(builder.configure_formatter(dict(config["formatters"]["access"])))
    handler.addFilter(builder.configure_filter(dict(config["filters"]["redact"])))
    access = logging.getLogger("tests.access_line")
    access.propagate = False
    access.addHandler(handler)
    try:
        args = ("203.0.113.7:51000", "GET", "/proposals/3/resolution?receipt=K7Q2-9XYZ&x=1", "1.1", 200)
        access.warning('%s - "%s %s HTTP/%s" %d', *args)
        access.error('%s - "%s %s HTTP/%s" %d', *args[:4], 599)
    finally:
        access.removeHandler(handler)
    written = stream.getvalue().splitlines()
    redacted = (*args[:2], "/proposals/3/resolution?receipt=[redacted]&x=1", *args[3:])
    uvicorns = UvicornAccessFormatter(fmt=ACCESS_FORMAT, use_colors=False)
    expected = [
        uvicorns.format(logging.LogRecord("uvicorn.access", level, "", 0, '%s - "%s %s HTTP/%s" %d', a, None))
        for level, a in ((logging.WARNING, redacted), (logging.ERROR, (*redacted[:4], 599)))
    ]
    assert written == expected
    assert written[0] == (
        'WARNING:  203.0.113.7:51000 - "GET /proposals/3/resolution?receipt=[redacted]&x=1 HTTP/1.1" 200 OK'
    )
    assert "K7Q2" not in stream.getvalue()
