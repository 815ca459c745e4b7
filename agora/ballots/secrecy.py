"""Secret votes on the server: the vote key's life, sealing a choice as it is recorded, the chain check
before a close or a certification, and the coarse live turnout.

The key (docs/verify.md, "The vote key"): made when voting opens, its public half published, its
secret half stored only sealed under a key derived from AGORA_SECRET_KEY; opened once at the close to
decrypt the eight totals, and destroyed in the closing transaction. Whoever reads the database after
the close can no longer open any ballot; the operator of a running server during the vote can (the
server seals the ballots), which the docs say plainly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from agora import clock
from agora.ballots import elgamal, queries
from agora.ballots.chain import GENESIS, SEALED_WITHDRAWAL, hash_of, secret_entry_hash
from agora.ballots.models import VoteKey
from agora.ballots.sealer import Sealer
from agora.ballots.secret_ledger import (
    SecretEntry,
    SecretTally,
    append_secret,
    seal_choice,
    tally_secret,
)
from agora.errors import Conflict
from agora.i18n import _
from agora.rooms.counting import format_area
from agora.settings import Settings

_app_secret: str | None = None


def configure(secret_key: str) -> None:
    """The server's AGORA_SECRET_KEY, set when the app starts (``agora.app.create_app``)."""
    global _app_secret
    _app_secret = secret_key


def _secret() -> str:
    if _app_secret is None:
        configure(Settings.from_env().secret_key)
    assert _app_secret is not None
    return _app_secret


async def start_secret_vote(proposal_id: int) -> VoteKey:
    """A fresh key for one vote, stored sealed (called when voting opens, in its transaction).

    Opening again (a new closing time) keeps the key the vote's first ballots were sealed under."""
    existing = await VoteKey.get_or_none(proposal_id=proposal_id)
    if existing is not None:
        return existing
    key = elgamal.generate_key()
    sealed = elgamal.seal_key(key, _secret(), proposal_id)
    return await VoteKey.create(
        proposal_id=proposal_id, public_key=key.public.hex(), sealed=sealed.hex(), created_at=clock.now()
    )


async def public_key_of(proposal_id: int) -> bytes | None:
    """The vote's public key, or None for a named vote."""
    row = cast(list[str], await VoteKey.filter(proposal_id=proposal_id).values_list("public_key", flat=True))
    return bytes.fromhex(row[0]) if row else None


async def is_secret(proposal_id: int) -> bool:
    return await VoteKey.filter(proposal_id=proposal_id).exists()


@dataclass(frozen=True, slots=True)
class Envelope:
    """An online ballot's choice sealed before it reaches the ledger's lock, for one key and receipt."""

    public_key: bytes
    receipt_hash: str
    ciphertext: str  # hex
    proof: str  # hex


SEALER = Sealer()
"""The sealing worker beside this serving process (`agora.ballots.sealer`): on a vote day a secret
vote's sealing gets a core of its own while the event loop serves on another (a deployment that needs
more runs more serving workers)."""


async def seal_ahead(public_key: bytes, proposal_id: int, receipt_hash: str, choice: str) -> Envelope:
    """Seal an online ballot before it is queued for the writer, by the sealing worker once it runs.

    Sealing is most of a secret ballot's work (30 scalar multiplications, about 2 ms). Done inside
    the writer's batch it ran on the event loop and under the ledger's lock, one ballot after another;
    here it runs beside the event loop, and the lock only chains the envelope. The proof binds the
    receipt, not the ledger position, so it holds wherever the entry lands."""
    ciphertext, proof = await SEALER.seal(public_key, proposal_id, receipt_hash, choice)
    return Envelope(public_key, receipt_hash, ciphertext, proof)


def sealed(public_key: bytes, proposal_id: int, entry: Any, envelope: Envelope | None = None) -> SecretEntry:
    """The secret form of a plain entry just decided (same place in the chain): its choice sealed, or
    the envelope sealed ahead for this key and this entry's receipt."""
    receipt_hash = entry.receipt_hash
    if envelope is not None and envelope.public_key == public_key and envelope.receipt_hash == receipt_hash:
        ciphertext, proof = envelope.ciphertext, envelope.proof
    else:
        ciphertext, proof = seal_choice(public_key, proposal_id, receipt_hash, entry.choice)
    return append_secret(
        entry.prev,
        proposal_id,
        entry.seq,
        receipt_hash=entry.receipt_hash,
        ciphertext=ciphertext,
        proof=proof,
        persons=entry.persons,
        area_cents=entry.area_cents,
        channel=entry.channel,
        at=entry.at,
        replaces=entry.replaces,
    )


def row_values(entry: Any) -> dict[str, Any]:
    """The ledger row's columns for a plain or a sealed entry (a sealed one keeps no choice)."""
    secret = isinstance(entry, SecretEntry)
    return {
        "seq": entry.seq,
        "receipt_hash": entry.receipt_hash,
        "choice": "" if secret else entry.choice,
        "ciphertext": entry.ciphertext if secret else None,
        "proof": entry.proof if secret else None,
        "persons": entry.persons,
        "area_cents": entry.area_cents,
        "channel": entry.channel,
        "at": entry.at,
        "replaces": entry.replaces,
        "prev": entry.prev,
        "hash": entry.hash,
    }


async def open_and_destroy(proposal_id: int) -> elgamal.VoteKey:
    """The vote key, opened for the close; its sealed copy is deleted in the same transaction."""
    row = await VoteKey.get(proposal_id=proposal_id)
    if row.sealed is None:
        raise Conflict(_("The key of this secret vote was already destroyed."), code="key_destroyed")
    key = elgamal.open_key(bytes.fromhex(row.sealed), bytes.fromhex(row.public_key), _secret(), proposal_id)
    await VoteKey.filter(id=row.id).update(sealed=None, destroyed_at=clock.now())
    return key


def chain_break(proposal_id: int, entries: Sequence[Any]) -> tuple[int, str] | None:
    """The first entry that breaks the ledger's chain, with what is wrong, or None when it holds.

    ``entries`` are ledger rows in seq order, plain (``choice``) or secret (``ciphertext``, ``proof``).
    """
    prev = GENESIS
    for position, entry in enumerate(entries, start=1):
        if entry.seq != position:
            return position, "seq"
        if entry.prev != prev:
            return entry.seq, "link"
        try:
            if isinstance(entry, SecretEntry):  # a sealed ledger: every entry must be a sealed ballot
                if not entry.ciphertext or not entry.proof:
                    return entry.seq, "hash"
                digest = secret_entry_hash(
                    proposal_id, entry.seq, entry.receipt_hash, entry.ciphertext, entry.proof,
                    entry.persons, entry.area_cents, entry.channel, entry.at, entry.replaces, entry.prev,
                )  # fmt: skip
            else:
                digest = hash_of(proposal_id, entry)
        except ValueError:
            return entry.seq, "hash"
        if digest != entry.hash:
            return entry.seq, "hash"
        prev = entry.hash
    return None


def broken_chain(seq: int, what: str) -> Conflict:
    """The committee is told which entry breaks the chain, and that nothing was counted or signed."""
    reason = {
        "seq": _("it is out of order or a number is missing"),
        "link": _("it does not link to the entry before it"),
        "hash": _("its content does not match its hash (it was changed)"),
        "count": _("the number of entries is not the one published at close"),
    }.get(what, what)
    return Conflict(
        _(
            "The ballot ledger is broken at entry {seq}: {reason}. Nothing was counted or signed; "
            "restore the ledger from a backup and ask the platform administrator to investigate.",
            seq=seq,
            reason=reason,
        ),
        code="ledger_broken",
    )


def check_chain(proposal_id: int, entries: Sequence[Any]) -> None:
    broken = chain_break(proposal_id, entries)
    if broken is not None:
        raise broken_chain(*broken)


# -- the live turnout of a secret vote -----------------------------------------------------------------

PERSON_STEP = 5


def area_step(area_total_cents: int | None) -> int:
    """The coarse step of the published area: 1% of the scope's area, at least 100 m², in whole m²."""
    if not area_total_cents:
        return 10_000
    return max(10_000, (area_total_cents // 100) // 100 * 100)


def coarse_turnout(meter: dict[str, Any], area_total_cents: int | None) -> dict[str, Any]:
    """The turnout of a secret vote as published while it is open: persons in steps of five and area
    in steps of 1% of the scope (floored), so that no published change is one ballot's weight.

    ``meter`` is ``tally.turnout()``; the exact figures stay on the server until the close.
    """
    step = area_step(area_total_cents)
    coarse = dict(meter)
    coarse["persons"] = meter["persons"] // PERSON_STEP * PERSON_STEP
    coarse["area_cents"] = meter["area_cents"] // step * step
    coarse["quorum_met"] = None if meter["quorum_met"] is None else (
        coarse["persons"] >= meter["persons_needed"] and coarse["area_cents"] >= meter["area_needed_cents"]
    )  # fmt: skip
    return coarse


# -- reading and counting a secret ledger ----------------------------------------------------------------

async def secret_entries(proposal_id: int) -> list[SecretEntry]:
    """Every entry of a secret vote's ledger, in order (one fixed query, as ``ledger_entries``)."""
    return await queries.secret_entries(proposal_id)


def published_entry(entry: SecretEntry) -> dict[str, Any]:
    """A secret entry as the ledger API and the record publish it: no choice, the sealed ballot."""
    return {
        "seq": entry.seq,
        "receipt_hash": entry.receipt_hash,
        "ciphertext": entry.ciphertext,
        "proof": entry.proof,
        "persons": entry.persons,
        "area": format_area(entry.area_cents),
        "channel": entry.channel,
        "at": entry.at,
        "replaces": entry.replaces,
        "prev": entry.prev,
        "hash": entry.hash,
    }


def effective_secret(entries: Sequence[SecretEntry]) -> list[SecretEntry]:
    """The sealed ballots that count: not replaced, and not a withdrawal (an entry with no envelope)."""
    replaced = {entry.replaces for entry in entries if entry.replaces is not None}
    return [entry for entry in entries if entry.seq not in replaced and entry.ciphertext != SEALED_WITHDRAWAL]


async def count_secret(proposal_id: int, counted: Sequence[SecretEntry]) -> SecretTally:
    """At the close: open the key, add the sealed ballots, decrypt the totals with proofs, destroy it.

    Call inside the closing transaction, after the chain was checked: if anything fails the key's
    deletion is rolled back with the rest.
    """
    key = await open_and_destroy(proposal_id)
    persons = sum(entry.persons for entry in counted)
    area = sum(entry.area_cents for entry in counted)
    return tally_secret(key, proposal_id, counted, persons, area)


def election_json(proposal_id: int, public_key: bytes) -> dict[str, Any]:
    return {
        "id": elgamal.election_id(proposal_id).decode("ascii"),
        "public_key": public_key.hex(),
        "choices": list(elgamal.CHOICES),
    }
