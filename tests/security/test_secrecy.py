"""Secrecy before close: nothing reveals the split of choices of an open vote — not a page, fragment,
API answer, nor the SIZE of a response. Two open votes with identical text and the same voters, one
all "yes" and one all "no", must look the same to everyone (modulo ids, times and per-request tokens).
"""

from __future__ import annotations

import re

import httpx

from tests.ballots.factories import cast, set_roles, voting_proposal
from tests.rooms.factories import compound_with_roll

VOTERS = {"A": "o-a", "B": "o-b", "D": "o-d", "E": "o-e"}


def normalize(text: str, own_id: int, other_id: int) -> str:
    text = re.sub(r"\d{4}-\d\d-\d\d[T ][\d:.]+(?:[+-]\d\d:?\d\d|Z)?", "<time>", text)
    # Times as pages print them ("2027年1月8日 14:35:21"): two votes opened a second apart differ here.
    text = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d\d(?::\d\d)?", "<time>", text)
    text = re.sub(r'(name="(?:csrf_token|idempotency_key)" value=")[^"]+', r"\1<tok>", text)
    text = re.sub(r'("X-CSRF-Token":\s*")[^"]+', r"\1<tok>", text)
    text = re.sub(r'csrf[^"]*"[^"]*"', "<csrf>", text)
    for pid in sorted({own_id, other_id}, reverse=True):
        text = re.sub(rf"(?<!\d){pid}(?!\d)", "<id>", text)
    return text


async def test_a_yes_heavy_and_a_no_heavy_open_vote_look_the_same(client: httpx.AsyncClient) -> None:
    compound = await compound_with_roll(client)
    yes_vote = await voting_proposal(compound)
    no_vote = await voting_proposal(compound)
    owners = {ref: await compound.owner(ref, login) for ref, login in VOTERS.items()}
    for headers in owners.values():
        assert (await cast(client, yes_vote.id, headers, "yes")).status_code == 201
        assert (await cast(client, no_vote.id, headers, "no")).status_code == 201
    viewers = {
        "committee": compound.committee,
        "moderator": await set_roles(compound, "sec-mod", "moderator"),
        "resident": await set_roles(compound, "sec-res", "member"),
        "canvasser": await set_roles(compound, "sec-can", "canvasser"),
        "admin": compound.admin,
    }
    paths = [
        "/api/v1/proposals/{id}",
        "/api/v1/proposals/{id}/result",
        "/api/v1/proposals/{id}/turnout/buildings",
        "/api/v1/proposals/{id}/ledger",
        "/api/v1/proposals/{id}/resolution",
        "/api/v1/proposals/{id}/comments",
        f"/api/v1/halls/{compound.slug}/proposals",
        "/proposals/{id}",
        "/proposals/{id}/result",
        "/proposals/{id}/vote",
        "/proposals/{id}/paper",
        "/proposals/{id}/resolution",
    ]
    checked = 0
    for who, headers in {**viewers, "voter": owners["E"]}.items():
        for template in paths:
            if who == "voter" and template.endswith(("/vote", "/mine")):
                continue  # a voter may see their own choice
            a = await client.get(template.format(id=yes_vote.id), headers=headers)
            b = await client.get(template.format(id=no_vote.id), headers=headers)
            assert a.status_code == b.status_code, (who, template)
            assert a.status_code < 500
            left = normalize(a.text, yes_vote.id, no_vote.id)
            right = normalize(b.text, no_vote.id, yes_vote.id)
            assert left == right, (who, template)
            assert len(a.content) == len(b.content), (who, template, "response size differs")
            for word in ("赞成", "反对"):  # never a count next to a choice while open
                assert not re.search(rf"{word}\D{{0,12}}\d+\s*(人|票|%)", left), (who, template)
            checked += 1
    assert checked > 50
