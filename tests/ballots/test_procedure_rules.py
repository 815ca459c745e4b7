"""Pure rules of the procedure: proxy identity and cap, units sold mid-vote, consents, signatures."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agora.ballots import certification, consents, proxies, transfers
from agora.ballots.transfers import FrozenPerson
from agora.proposals.drafting import parse_refs
from agora.rooms.rules import Rules, frozen_rules, rules_from, rules_in_force, validate_rules

# --- proxies ---------------------------------------------------------------------------------------

LOOKALIKES = [
    "王大妈",
    "王 大妈",
    " 王大妈 ",
    "王\u200b大妈",  # zero-width space
    "王\u200d大妈",  # zero-width joiner
    "王\ufeff大妈",  # byte-order mark
    "王\u3000大妈",  # ideographic space
    "王\u00a0大妈",  # no-break space
    "王\t大妈\n",
    "王\u2060大妈",  # word joiner
]


def test_look_alike_names_are_one_identity() -> None:
    keys = {proxies.identity(name, "123X") for name in LOOKALIKES}
    assert keys == {"王大妈#123X"}
    assert proxies.identity("ＷＡＮＧ Ｌｉ", "0012") == proxies.identity("wang li", "0012")  # NFKC + case
    assert proxies.identity("王大妈", "123x") == "王大妈#123X"
    assert proxies.identity("王大妈", "１２３４") == "王大妈#1234"  # full-width digits


def test_same_name_other_id_is_another_person() -> None:
    assert proxies.identity("王大妈", "1234") != proxies.identity("王大妈", "1235")


@pytest.mark.parametrize("bad", ["", "12", "12345", "12X4", "abcd", "X123"])
def test_id_last4_must_be_the_end_of_an_id_number(bad: str) -> None:
    assert proxies.normalize_id_last4(bad) is None
    with pytest.raises(ValueError):
        proxies.identity("王", bad)


@given(st.text(alphabet=st.sampled_from("王大妈 \u200b\u200c\u200d\ufeff\u3000\u00a0\u2060\t"), min_size=1))
def test_normalisation_drops_every_invisible_character(name: str) -> None:
    reference = "".join(ch for ch in name if ch in "王大妈")
    assert proxies.normalize_name(name) == reference


def test_authorization_must_name_the_proposal() -> None:
    assert proxies.names_proposal("委托书 WT-7：就第12号议题表决", 12, "加装电梯")
    assert proxies.names_proposal("委托书：加装 电梯", 12, "加装电梯")
    assert not proxies.names_proposal("委托书：本议题表决", 12, "加装电梯")
    assert not proxies.names_proposal("第123号议题", 12, "加装电梯")  # 12 inside 123 is not 12
    assert not proxies.names_proposal("第112号", 12, "加装电梯")


def test_parse_proxy_reports_every_problem() -> None:
    assert proxies.parse_proxy(None) == (None, {})
    assert proxies.parse_proxy("x") == (None, {"proxy": "type"})
    _none, problems = proxies.parse_proxy({"name": "\u200b ", "id_last4": "12", "property_staff": "yes"})
    assert problems == {
        "proxy.name": "required",
        "proxy.id_last4": "invalid",
        "proxy.authorization": "required",
        "proxy.property_staff": "invalid",
    }
    parsed, problems = proxies.parse_proxy(
        {"name": "周 阿姨", "id_last4": "001x", "authorization": {"reference": "WT-7", "text": "议题12"}}
    )
    assert problems == {} and parsed is not None
    assert parsed.key == "周阿姨#001X" and parsed.authorization == "WT-7 议题12" and not parsed.property_staff


def test_cap() -> None:
    assert not proxies.cap_reached(2, 3)
    assert proxies.cap_reached(3, 3)
    assert proxies.cap_reached(0, 0)


# --- a unit changing hands ------------------------------------------------------------------------

SELLER = FrozenPerson("P:S", frozenset({"S"}), (("1", "101"),))
TWO_UNITS = FrozenPerson("P:T", frozenset({"T"}), (("1", "201"), ("1", "202")))
COOWNERS = FrozenPerson("P:CD", frozenset({"C", "D"}), (("2", "101"),))
PEOPLE = [SELLER, TWO_UNITS, COOWNERS]


def owners(**units: str) -> dict[tuple[str, str], frozenset[str]]:
    return {tuple(k.split("_")): frozenset(v.split(",")) if v else frozenset() for k, v in units.items()}  # type: ignore[misc]


def test_buyer_votes_in_the_sellers_slot_and_the_seller_no_longer_does() -> None:
    now = owners(**{"1_101": "B", "1_201": "T", "1_202": "T", "2_101": "C,D"})
    assert transfers.is_sold(SELLER, now)
    buyer = transfers.standing(["B"], PEOPLE, now)
    assert (buyer.person_key, buyer.owner_ref, buyer.as_buyer) == ("P:S", "B", True)
    seller = transfers.standing(["S"], PEOPLE, now)
    assert seller.person_key is None and seller.refusal == "unit_sold"
    assert transfers.standing(["Z"], PEOPLE, now).refusal == "no_vote"


def test_a_reimport_that_leaves_an_owner_out_sells_nothing() -> None:
    # The unit is not on the new roll, or has no owner: the frozen owner keeps the vote.
    for now in (owners(), owners(**{"1_101": ""})):
        standing = transfers.standing(["S"], PEOPLE, now)
        assert standing.person_key == "P:S" and not standing.as_buyer


def test_a_partial_sale_keeps_the_ballot_with_the_owner() -> None:
    now = owners(**{"1_201": "B", "1_202": "T"})
    assert not transfers.is_sold(TWO_UNITS, now)
    assert transfers.standing(["T"], PEOPLE, now).person_key == "P:T"
    assert transfers.standing(["B"], PEOPLE, now).refusal == "no_vote"
    both = owners(**{"1_201": "B", "1_202": "B2"})
    assert transfers.buyers_of(TWO_UNITS, both) == {"B", "B2"}
    assert transfers.standing(["B2"], PEOPLE, both).person_key == "P:T"


def test_one_coowner_staying_on_the_unit_keeps_it_unsold() -> None:
    assert not transfers.is_sold(COOWNERS, owners(**{"2_101": "D,E"}))
    assert transfers.is_sold(COOWNERS, owners(**{"2_101": "E"}))
    assert transfers.standing(["C"], PEOPLE, owners(**{"2_101": "E"})).refusal == "unit_sold"


def test_an_owner_who_also_bought_votes_first_as_owner() -> None:
    now = owners(**{"1_101": "T", "1_201": "T", "1_202": "T"})
    assert transfers.standing(["T"], PEOPLE, now) == transfers.Standing("P:T", "T")


@given(
    st.lists(st.sampled_from(["S", "T", "C", "D", "B", "E"]), unique=True, max_size=3),
    st.fixed_dictionaries(
        {
            ("1", "101"): st.frozensets(st.sampled_from(["S", "B", "E"]), max_size=2),
            ("1", "201"): st.frozensets(st.sampled_from(["T", "B"]), max_size=2),
            ("1", "202"): st.frozensets(st.sampled_from(["T", "B", "E"]), max_size=2),
            ("2", "101"): st.frozensets(st.sampled_from(["C", "D", "E"]), max_size=2),
        }
    ),
)
def test_standing_against_a_brute_force_reference(refs: list[str], now: dict) -> None:  # type: ignore[type-arg]
    def sold(p: FrozenPerson) -> bool:
        return all(now[u] and not (now[u] & p.refs) for u in p.units)

    result = transfers.standing(refs, PEOPLE, now)
    as_owner = sorted((r, p) for r in refs for p in PEOPLE if r in p.refs and not sold(p))
    if as_owner:
        assert result.person_key == as_owner[0][1].person_key and not result.as_buyer
        return
    purchases = sorted(
        (p.person_key, r)
        for p in PEOPLE
        if sold(p) and not (p.refs & set(refs))
        for r in refs
        if any(r in now[u] for u in p.units)
    )
    if purchases:
        assert result.as_buyer and result.person_key == purchases[0][0]
    elif any(r in p.refs for r in refs for p in PEOPLE):
        assert result.refusal == "unit_sold"
    else:
        assert result.refusal == "no_vote"


# --- consents --------------------------------------------------------------------------------------


def test_unanimity_needs_every_interested_owner() -> None:
    everyone = consents.tally_consents(["A", "B", "C"], {"A": True, "B": True, "C": True, "X": False})
    assert everyone.unanimous and consents.unanimity_outcome(everyone) == "passed"
    one_no = consents.tally_consents(["A", "B", "C"], {"A": True, "B": False, "C": True})
    assert one_no.refused == ("B",) and consents.unanimity_outcome(one_no) == "no_decision"
    missing = consents.tally_consents(["A", "B", "C"], {"A": True, "B": True})
    assert missing.pending == ("C",) and not missing.unanimous
    assert not consents.tally_consents([], {}).unanimous


@given(
    st.lists(st.sampled_from("ABCDEFG"), min_size=1, unique=True),
    st.dictionaries(st.sampled_from("ABCDEFGH"), st.booleans()),
)
def test_unanimity_reference(required: list[str], answers: dict[str, bool]) -> None:
    tally = consents.tally_consents(required, answers)
    assert tally.unanimous == all(answers.get(r) is True for r in required)
    assert set(tally.consented) | set(tally.refused) | set(tally.pending) == set(required)


def test_elevator_needs_the_vote_and_every_occupied_units_consent() -> None:
    yes = consents.tally_consents(["A"], {"A": True})
    no = consents.tally_consents(["A", "B"], {"A": True, "B": False})
    assert consents.elevator_outcome("passed", yes) == "passed"
    assert consents.elevator_outcome("passed", no) == "no_decision"
    assert consents.elevator_outcome("no_decision", yes) == "no_decision"
    assert consents.elevator_outcome("undetermined", yes) == "undetermined"
    assert consents.elevator_outcome("passed", None) == "passed"


def test_parse_refs() -> None:
    assert parse_refs(["A", " B "]) == ["A", "B"]
    for bad in (None, [], ["A", "A"], [""], [1], "A", ["x" * 65]):
        assert parse_refs(bad) is None


# --- certification ---------------------------------------------------------------------------------


def test_only_committee_members_count_and_each_once() -> None:
    Sig = certification.Signature
    admin = Sig(1, is_committee=False, is_admin=True)
    member = Sig(2, is_committee=True, is_admin=False)
    member_admin = Sig(3, is_committee=True, is_admin=True)
    assert not certification.certification_complete([admin], 1)
    assert certification.certification_complete([member], 1)
    assert not certification.certification_complete([member, member, admin], 2)
    assert certification.certification_complete([member, member_admin], 2)
    assert not certification.certification_complete([], 0)  # at least one signature, always


@given(st.lists(st.tuples(st.integers(1, 6), st.booleans()), max_size=10), st.integers(1, 5))
def test_signature_count_reference(rows: list[tuple[int, bool]], required: int) -> None:
    sigs = [certification.Signature(uid, member, not member) for uid, member in rows]
    distinct = {uid for uid, member in rows if member}
    assert certification.certification_complete(sigs, required) == (len(distinct) >= required)


def test_record_stages_and_answers() -> None:
    assert [
        certification.record_status(p, f) for p, f in itertools.product((False, True), (False, True))
    ] == [
        "draft",
        "final",
        "preliminary",
        "final",
    ]
    assert certification.unanswered([1, 2, 3], {1: "答复", 2: "  "}) == [2, 3]
    assert certification.final_and_passed("final", "passed")
    assert not certification.final_and_passed("preliminary", "passed")
    assert not certification.final_and_passed("final", "no_decision")


# --- frozen rules ----------------------------------------------------------------------------------


def test_frozen_rules_do_not_follow_later_changes() -> None:
    at_notice = Rules(proxy_cap=3, revote=False)
    frozen = frozen_rules(at_notice)
    later = validate_rules({"proxy_cap": 1, "revote": True, "deemed_participation": "第9条"}, at_notice)
    assert rules_in_force(frozen, later) == at_notice
    assert rules_in_force(None, later) == later
    assert frozen["certify_signatures"] == 1 and frozen["objection_days"] == 7
    assert frozen["proxy_bar_property_staff"] is True
    # A setting added after the notice takes its default, not the compound's later choice.
    older = {k: v for k, v in frozen.items() if k != "objection_days"}
    assert rules_in_force(older, rules_from({"objection_days": 30})).objection_days == 7


def test_procedure_rules_are_validated() -> None:
    from agora.errors import Invalid

    with pytest.raises(Invalid) as bad:
        validate_rules(
            {"certify_signatures": 0, "objection_days": 61, "proxy_bar_property_staff": "no"}, Rules()
        )
    assert set(bad.value.fields) == {"certify_signatures", "objection_days", "proxy_bar_property_staff"}
    ok = validate_rules(
        {"certify_signatures": 3, "objection_days": 0, "proxy_bar_property_staff": False}, Rules()
    )
    assert (ok.certify_signatures, ok.objection_days, ok.proxy_bar_property_staff) == (3, 0, False)
