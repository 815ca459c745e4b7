"""Resolution records built with the SERVER's code (chain, elgamal, tally), for the verifier to check."""

from __future__ import annotations

import hashlib

from agora.ballots import elgamal
from agora.ballots.chain import GENESIS, append, effective, hash_receipt
from agora.ballots.secret_ledger import append_secret, seal_choice, tally_secret
from agora.ballots.tally import CountedBallot, DeemedParticipation, result_to_json, tally_owners
from agora.ballots.verify import public_roll_fingerprint

PROPOSAL = 7
BODY = "在3幢1单元加装电梯，费用按楼层分摊。"
CLAUSE = "议事规则第十二条"
KEY = elgamal.generate_key()


def area(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def unit_json(row) -> dict:
    keys = ("building", "entrance", "unit", "area", "kind", "status", "person")
    return dict(zip(keys, (*row[:3], area(row[3]), *row[4:]), strict=True))


def entry_json(entry, secret: bool) -> dict:
    body = {"seq": entry.seq, "receipt_hash": entry.receipt_hash}
    if secret:
        body.update(ciphertext=entry.ciphertext, proof=entry.proof)
    else:
        body["choice"] = entry.choice
    body.update(
        persons=entry.persons,
        area=area(entry.area_cents),
        channel=entry.channel,
        at=entry.at,
        replaces=entry.replaces,
        prev=entry.prev,
        hash=entry.hash,
    )
    return body


def make_record(
    units, votes, *, matter="major", item=7, parking_counts=True, deemed_persons=(), secret=False, key=KEY
) -> dict:
    """``units``: (building, entrance, unit, area_cents, kind, status, person); ``votes``: (person, choice,
    channel, replaces)."""
    counted = [u for u in units if u[4] != "parking" or parking_counts]
    weights: dict[str, int] = {}
    for u in counted:
        weights[u[6]] = weights.get(u[6], 0) + u[3]
    entries, prev = [], GENESIS
    for seq, (person, choice, channel, replaces) in enumerate(votes, start=1):
        receipt = hash_receipt(f"R{seq:09d}")
        common = dict(
            receipt_hash=receipt,
            persons=1,
            area_cents=weights[person],
            channel=channel,
            at=f"2025-03-{seq % 28 + 1:02d}T09:30:00+08:00",
            replaces=replaces,
        )
        if secret:
            ciphertext, proof = seal_choice(key.public, PROPOSAL, receipt, choice)
            entry = append_secret(prev, PROPOSAL, seq, ciphertext=ciphertext, proof=proof, **common)
        else:
            entry = append(prev, PROPOSAL, seq, choice=choice, **common)
        entries.append(entry)
        prev = entry.hash
    live = effective(entries)
    n_total = len(weights) if parking_counts is not None or all(u[4] != "parking" for u in units) else None
    a_total = sum(weights.values()) if n_total is not None else None
    decryption = None
    if secret:
        secret_tally = tally_secret(
            key, PROPOSAL, live, sum(e.persons for e in live), sum(e.area_cents for e in live)
        )
        decryption = secret_tally.decryption
        ballots = [CountedBallot(choice, p, a) for choice, (p, a) in secret_tally.choices.items()]
    else:
        ballots = [CountedBallot(e.choice, e.persons, e.area_cents) for e in live]
    deemed = None
    if deemed_persons:
        deemed = DeemedParticipation(
            CLAUSE, [CountedBallot("abstain", 1, weights[p]) for p in deemed_persons]
        )
    result = tally_owners(matter, n_total, a_total, ballots, deemed=deemed)
    voters = {person for person, *_ in votes}
    roll_units = [unit_json(u) for u in units]
    record = {
        "format": "agora-resolution/1",
        "number": "2025-003",
        "secrecy": "secret" if secret else "named",
        "proposal": {
            "id": PROPOSAL,
            "matter": matter,
            "item": item,
            "body": BODY,
            "body_sha256": hashlib.sha256(BODY.encode()).hexdigest(),
        },
        "roll": {
            "parking_counts": parking_counts,
            "fingerprint": "f" * 64,
            "units": roll_units,
            "public_fingerprint": public_roll_fingerprint(roll_units, parking_counts),
            "totals": {"persons": n_total, "area": None if a_total is None else area(a_total)},
        },
        "ledger": {"entries": [entry_json(e, secret) for e in entries], "head": prev},
        "head": prev,
        "entry_count": len(entries),
        "result": result_to_json(result),
        "participation": [
            {"building": u[0], "unit": u[2], "area": area(u[3])} for u in counted if u[6] in voters
        ],
    }
    if secret:
        record["election"] = {
            "id": elgamal.election_id(PROPOSAL).decode(),
            "public_key": key.public.hex(),
            "choices": list(elgamal.CHOICES),
        }
        record["decryption"] = decryption
    if deemed_persons:
        record["deemed_participation"] = {
            "clause": CLAUSE,
            "units": [{"building": u[0], "unit": u[2]} for u in units if u[6] in deemed_persons],
        }
    return record
