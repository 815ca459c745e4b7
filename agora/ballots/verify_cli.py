"""`agora verify FILE|URL [--head HASH] [--roll FINGERPRINT] [--rules FINGERPRINT]`: re-count a resolution
record, check its hash chain and procedure and, with `--roll`, that its roll is the one published when
voting opened, with `--rules`, that its rules of procedure are the ones published with the notice.

Exit status: 0 when the record holds, 1 when it does not, 2 when it cannot be read at all.
A URL is fetched with `Authorization: Bearer $AGORA_TOKEN` when that variable is set.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from agora.i18n import _
from agora.verifier import verify_record
from agora.verifier.meeting import check_meeting, is_meeting_record
from agora.verifier.record import Broken, check_chain, parse_entry

OUTCOMES = ("passed", "no_decision", "undetermined")


def load(source: str) -> Any:
    if source.startswith(("http://", "https://")):
        import httpx  # the offline verifier loads the HTTP client only to fetch a URL

        headers = {"accept": "application/json"}
        token = os.environ.get("AGORA_TOKEN")
        if token:
            headers["authorization"] = f"Bearer {token}"
        response = httpx.get(source, headers=headers, timeout=30, follow_redirects=True)
        if response.status_code in (401, 403, 404) and not token:
            raise ValueError(
                _(
                    "the server answered {status}: set AGORA_TOKEN to an API token of a member of the hall "
                    "(POST /api/v1/auth/token), or download the record and pass the file",
                    status=response.status_code,
                )
            )
        if response.status_code in (401, 403, 404):
            raise ValueError(
                _(
                    "the server answered {status} with the token in AGORA_TOKEN: it may have expired, or "
                    "its account is not a member of the hall",
                    status=response.status_code,
                )
            )
        response.raise_for_status()
        if "json" not in response.headers.get("content-type", ""):
            raise ValueError(
                _("this address is not a record in JSON: use /api/v1/proposals/ID/resolution")
            )
        return response.json()
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def _outcome(outcome: str | None) -> str:
    return {
        "passed": _("passed"),
        "no_decision": _("no decision made"),
        "undetermined": _("cannot be determined"),
    }.get(outcome or "", str(outcome))


def run_verify(
    source: str,
    expected_head: str | None = None,
    expected_roll: str | None = None,
    expected_rules: str | None = None,
) -> int:
    try:
        record = load(source)
    except Exception as error:  # noqa: BLE001 — any failure to read is reported the same way
        print(_("agora verify: cannot read {source}: {error}", source=source, error=error), file=sys.stderr)
        return 2
    if is_meeting_record(record):
        return _verify_meeting(record)
    report = verify_record(
        record, expected_head=expected_head, expected_roll=expected_roll, expected_rules=expected_rules
    )
    number = record.get("number", "?") if isinstance(record, dict) else "?"
    print(_("Resolution record {number}", number=number))
    recount = report.recount
    if recount.get("consents"):  # art. 279: the interested owners' consents decide, not a count
        consents = recount["consents"]
        print(
            _(
                "Consents: {consented} of {required} interested owners consented, {refused} refused, "
                "{pending} did not answer; outcome: {outcome}.",
                consented=consents.get("consented"),
                required=consents.get("required"),
                refused=consents.get("refused"),
                pending=consents.get("pending"),
                outcome=_outcome(recount.get("outcome")),
            )
        )
    elif recount:
        participating = recount.get("participating", {})
        totals = recount.get("totals", {})
        print(
            _(
                "Re-counted: {n} of {total} persons, {a} of {area} m² took part; outcome: {outcome}.",
                n=participating.get("persons"),
                total=totals.get("persons"),
                a=participating.get("area"),
                area=totals.get("area"),
                outcome=_outcome(recount.get("outcome")),
            )
        )
        for test in recount.get("tests", []):
            mark = "?" if test["met"] is None else ("✓" if test["met"] else "✗")
            print(f"  {mark} {test['name']}: {test['value']} {test['required']}")
    if isinstance(record, dict) and isinstance(record.get("ledger"), dict):
        entries = record["ledger"].get("entries") or []
        print(_("Ledger: {n} entries, head {head}", n=len(entries), head=record["ledger"].get("head")))
    if isinstance(record, dict) and isinstance(record.get("roll"), dict):
        roll = record["roll"]
        print(_("Roll: public fingerprint {fingerprint}", fingerprint=roll.get("public_fingerprint")))
        if roll.get("published_fingerprint") is not None:
            print(
                _(
                    "Roll fingerprint published when voting opened: {fingerprint}",
                    fingerprint=roll.get("published_fingerprint"),
                )
            )
    if expected_head is None:
        print(_("Note: without --head, a consistently rewritten ledger cannot be told apart."))
    if expected_roll is None:
        print(
            _(
                "Note: without --roll, a roll rewritten before the close consistently with its totals"
                " cannot be told apart."
            )
        )
    if report.ok:
        print(_("The record holds: the chain is intact and the count agrees."))
        return 0
    print(_("The record does NOT hold:"))
    for problem in report.problems:
        print(f"  - {problem}")
    return 1


def _verify_meeting(record: dict[str, Any]) -> int:
    """A residents' meeting: said plainly not to be an owners' vote, its two tests re-checked."""
    print(_("Residents' meeting ({rule}): not an owners' vote.", rule=record.get("rule") or "?"))
    print(_("There is no roll of owners, no area and no ledger to verify; the figures and the verdict are."))
    outcome, problems = check_meeting(record)
    found = record.get("result")
    result: dict[str, Any] = found if isinstance(found, dict) else {}
    if outcome is not None:
        print(
            _(
                "Re-counted: {present} of {residents} residents present, {yes} of them in favour;"
                " outcome: {outcome}.",
                present=result.get("present"),
                residents=result.get("residents"),
                yes=result.get("yes"),
                outcome=_outcome(outcome),
            )
        )
    if not problems:
        print(_("The record holds: the figures give its verdict."))
        return 0
    print(_("The record does NOT hold:"))
    for problem in problems:
        print(f"  - {problem}")
    return 1


def _entries_of(data: Any) -> tuple[list[dict[str, Any]], int | None]:
    """The ledger entries of a resolution record or of a `/ledger` export, and the proposal id if known."""
    if isinstance(data, dict) and isinstance(data.get("ledger"), dict):
        proposal = data.get("proposal")
        proposal_id = proposal.get("id") if isinstance(proposal, dict) else None
        data = data["ledger"]
    else:
        proposal_id = None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ValueError(_("no ledger entries"))
    return data["entries"], proposal_id if isinstance(proposal_id, int) else None


def prefix_problems(old: Any, new: Any) -> list[str]:
    """Why the earlier export `old` is not an exact prefix of the later export `new` (empty: it is)."""
    old_entries, old_id = _entries_of(old)
    new_entries, new_id = _entries_of(new)
    problems: list[str] = []
    if old_id is not None and new_id is not None and old_id != new_id:
        return [_("The two exports are ledgers of different proposals.")]
    if len(old_entries) > len(new_entries):
        problems.append(
            _("The later ledger is shorter ({new} entries) than the earlier one ({old}).",
              new=len(new_entries), old=len(old_entries))
        )  # fmt: skip
    for index, (was, now) in enumerate(zip(old_entries, new_entries, strict=False)):
        if was != now:
            problems.append(_("Entry {n} differs between the two exports.", n=index + 1))
    proposal_id = new_id if new_id is not None else old_id
    if proposal_id is not None:
        for entries in (old_entries, new_entries):
            secret = any(isinstance(item, dict) and "ciphertext" in item for item in entries)
            try:
                parsed = [parse_entry(item, n, secret) for n, item in enumerate(entries)]
            except Broken as bad:
                problems.append(str(bad))
                continue
            check_chain(proposal_id, parsed, problems)
    return problems


def run_prefix(old_source: str, new_source: str) -> int:
    """`agora verify --prefix OLD NEW`: 0 when OLD is an exact prefix of NEW, 1 when not, 2 unreadable."""
    try:
        old, new = load(old_source), load(new_source)
        problems = prefix_problems(old, new)
    except Exception as error:  # noqa: BLE001 — any failure to read is reported the same way
        print(
            _("agora verify: cannot read {source}: {error}", source=old_source, error=error), file=sys.stderr
        )
        return 2
    if not problems:
        print(_("The earlier ledger is an exact prefix of the later one."))
        return 0
    print(_("The earlier ledger is NOT a prefix of the later one:"))
    for problem in problems:
        print(f"  - {problem}")
    return 1
