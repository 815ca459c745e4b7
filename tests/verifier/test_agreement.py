"""Property: on random rolls and ballots the independent verifier agrees with the server's tally."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agora.i18n import use_locale
from agora.verifier import verify_record
from tests.verifier.records import make_record

KINDS = ("home", "home", "home", "parking", "shop")
STATUSES = ("owned", "owned", "owned", "unsold", "undelivered")


@st.composite
def votes(draw, secret_max: int | None = None):
    """A roll (some owners with several units, the developer's units as one person) and ballots."""
    n_units = draw(st.integers(1, 14))
    owners = draw(st.integers(1, n_units))
    units = []
    for index in range(n_units):
        status = draw(st.sampled_from(STATUSES))
        person = "DEV" if status != "owned" else f"P{draw(st.integers(1, owners)):02d}"
        area = draw(st.sampled_from([8_950, 10_000, 12_025, draw(st.integers(0, 40_000))]))
        units.append(("1", "", f"U{index:02d}", area, draw(st.sampled_from(KINDS)), status, person))
    parking_counts = draw(st.sampled_from([True, False, None]))
    counted = {u[6] for u in units if u[4] != "parking" or parking_counts}
    people = sorted(counted)
    voters = draw(st.lists(st.sampled_from(people), unique=True, max_size=secret_max)) if people else []
    choices = ("yes", "no", "abstain", "invalid")
    ballots, seq_of = [], {}
    for person in voters:
        ballots.append(
            (
                person,
                draw(st.sampled_from(choices)),
                draw(st.sampled_from(("online", "paper", "proxy"))),
                None,
            )
        )
        seq_of[person] = len(ballots)
        if draw(st.booleans()) and draw(st.booleans()):  # a revote replaces the first ballot
            ballots.append((person, draw(st.sampled_from(choices)), "online", seq_of[person]))
    silent = [p for p in people if p not in voters]
    deemed = (
        tuple(draw(st.lists(st.sampled_from(silent), unique=True))) if silent and draw(st.booleans()) else ()
    )
    matter, item = draw(st.sampled_from([("major", 6), ("major", 8), ("ordinary", 1), ("ordinary", 9)]))
    return units, ballots, parking_counts, deemed, matter, item


def agree(case, secret: bool) -> None:
    units, ballots, parking_counts, deemed, matter, item = case
    record = make_record(
        units,
        ballots,
        matter=matter,
        item=item,
        parking_counts=parking_counts,
        deemed_persons=deemed,
        secret=secret,
    )
    with use_locale("en"):
        report = verify_record(record, expected_head=record["head"])
    assert report.problems == []
    assert report.recount == record["result"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(votes())
def test_the_verifier_agrees_with_the_server_on_named_votes(case):
    agree(case, secret=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(votes(secret_max=6))
def test_the_verifier_agrees_with_the_server_on_secret_votes(case):
    agree(case, secret=True)
