"""`electorate.load_snapshot`: the frozen roll read as one plain row gives what the model gives."""

from __future__ import annotations

import httpx
import pytest

from agora.ballots import electorate
from agora.rooms.models import RollSnapshot
from tests.ballots.factories import voting_proposal
from tests.rooms.factories import compound_with_roll

FIELDS = (
    "id",
    "compound_id",
    "scope",
    "parking_counts",
    "units",
    "persons",
    "persons_total",
    "area_cents_total",
    "fingerprint",
    "created_at",
)


@pytest.mark.parametrize("parking_counts", [False, True, None])
async def test_the_frozen_roll_matches_the_stored_snapshot(
    client: httpx.AsyncClient, parking_counts: bool | None
) -> None:
    compound = await compound_with_roll(client, parking_counts=parking_counts)
    proposal = await voting_proposal(compound)
    stored = await RollSnapshot.get(id=proposal.snapshot_id)
    roll = await electorate.load_snapshot(proposal)

    for name in FIELDS:
        assert getattr(roll, name) == getattr(stored, name), name
        assert type(getattr(roll, name)) is type(getattr(stored, name)), name
    assert roll.units and roll.persons
    assert electorate.person_weights(roll) == electorate.person_weights(stored)
    assert electorate.unit_person_keys(roll) == electorate.unit_person_keys(stored)
    assert electorate.snapshot_person_of(roll) == electorate.snapshot_person_of(stored)
    assert electorate.public_units(roll) == electorate.public_units(stored)


async def test_the_units_and_persons_are_decoded_only_when_read(client: httpx.AsyncClient) -> None:
    """The count reads the totals only: decoding the whole roll is left to the callers that need it."""
    compound = await compound_with_roll(client)
    proposal = await voting_proposal(compound)
    roll = await electorate.load_snapshot(proposal)
    assert "units" not in vars(roll) and "persons" not in vars(roll)
    assert roll.persons_total and roll.area_cents_total
    assert "units" not in vars(roll) and "persons" not in vars(roll)
    assert roll.units is roll.units  # decoded once, then kept
