"""A decision ready to be carried out: a compound, a major matter voted, closed and certified (passed).

Everything goes through the public API except opening the vote (the ballots factories' shortcut).
Titles carry the XSS payload, so any page that forgets to escape fails.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import httpx
from PIL import Image

from tests.ballots.factories import cast, close_now, voting_proposal
from tests.rooms.factories import XSS, Compound, compound_with_roll


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
    return Decision(compound, proposal.id, owners)


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
