"""A decision ready to be carried out: a compound, a major matter voted, closed, certified (the
preliminary record), its objection period let pass and its final record posted (passed).

Everything goes through the public API except opening the vote (the ballots factories' shortcut).
Moving the clock past the objection period would let the tokens issued before expire, so the
factory signs the committee, the administrator and the owners in again, refreshing their header
dicts in place (a test's `committee = compound.committee` keeps working).
Titles carry the XSS payload, so any page that forgets to escape fails.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import httpx
from PIL import Image

from agora import clock
from agora.accounts.models import ApiToken, User
from agora.accounts.services import digest
from agora.ballots.models import Resolution
from agora.proposals.calendar import finalize_from
from agora.rooms.rules import DEFAULTS
from tests.ballots.factories import cast, close_now, voting_proposal
from tests.rooms.factories import XSS, Compound, compound_with_roll
from tests.support import bearer


@dataclass
class Decision:
    compound: Compound
    proposal_id: int
    owners: dict[str, dict[str, str]]  # owner_ref -> bearer headers

    @property
    def client(self) -> httpx.AsyncClient:
        return self.compound.client

    @property
    def url(self) -> str:
        return f"/api/v1/proposals/{self.proposal_id}/implementation"


async def voted(
    client: httpx.AsyncClient,
    compound: Compound | None = None,
    *,
    yes: bool = True,
    certify: bool = True,
    final: bool = True,
    owners: dict[str, dict[str, str]] | None = None,
    title: str = f"修缮屋顶防水 {XSS}",
) -> Decision:
    """A/B/D/E take part (4 of 6 persons, 461.80 of 687.55 m²: quorum met); all yes passes it."""
    compound = compound or await compound_with_roll(client)
    proposal = await voting_proposal(compound, title=title)
    if owners is None:
        owners = {ref: await compound.owner(ref, f"owner-{ref.lower()}") for ref in ("A", "B", "D", "E")}
    for headers in owners.values():
        response = await cast(client, proposal.id, headers, "yes" if yes else "no")
        assert response.status_code == 201, response.text
    assert await close_now(proposal) == 1
    if certify:
        response = await client.post(
            f"/api/v1/proposals/{proposal.id}/resolution/certify", headers=compound.committee
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "preliminary", response.text
        if final:
            await finalized(compound, proposal.id, owners)
    return Decision(compound, proposal.id, owners)


async def finalized(compound: Compound, proposal_id: int, owners: dict[str, dict[str, str]]) -> None:
    """Let the preliminary record's objection period pass, then post the final record (no objection)."""
    record = await Resolution.filter(proposal_id=proposal_id).order_by("-id").first()
    assert record is not None and record.posted_at is not None
    days = int(record.document.get("objection_days", DEFAULTS["objection_days"]))
    clock.travel(finalize_from(record.posted_at, days) - clock.now())
    await signed_in_again(compound, owners)
    response = await compound.client.post(
        f"/api/v1/proposals/{proposal_id}/resolution/finalize",
        json={"answers": {}},
        headers=compound.committee,
    )
    assert response.status_code == 200 and response.json()["status"] == "final", response.text


async def signed_in_again(compound: Compound, owners: dict[str, dict[str, str]]) -> None:
    """Fresh tokens for every header dict the tests hold, replaced in place."""
    for headers in (compound.admin, compound.committee, *owners.values()):
        token = headers["Authorization"].removeprefix("Bearer ")
        row = await ApiToken.filter(token_hash=digest(token)).first()
        assert row is not None
        user = await User.get(id=row.user_id)  # type: ignore[attr-defined]
        headers.update(await bearer(compound.client, user.login))


def opening(lead: str = "sunny-committee", budget: str = "200000.00", due_at: str = "2027-06-30") -> dict:
    return {
        "lead": lead,
        "due_at": due_at,
        "budget": budget,
        "funding": [
            {"source": "maintenance_fund", "amount": "150000.00"},
            {"source": "self_raised", "amount": "50000"},
        ],
    }


def jpeg(colour: tuple[int, int, int] = (30, 120, 30), gps: bool = True) -> bytes:
    """A photo with the camera's make and a GPS position in its EXIF (which must not survive)."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    if gps:
        info = exif.get_ifd(0x8825)
        info[1], info[2] = "N", (31.0, 14.0, 9.5)
        info[3], info[4] = "E", (121.0, 28.0, 44.1)
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG", exif=exif)
    return out.getvalue()


async def post_update(
    decision: Decision,
    headers: dict[str, str],
    *,
    progress: object = 30,
    spent: object = "10000.00",
    body: str = "搭设脚手架",
    stage: str = "during",
    note: str = "",
    photos: list[bytes] | None = None,
) -> httpx.Response:
    files = [("photos", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos or [])]
    data = {"body": body, "progress": str(progress), "spent": str(spent), "stage": stage, "note": note}
    return await decision.client.post(
        decision.url + "/updates", data=data, files=files or None, headers=headers
    )
