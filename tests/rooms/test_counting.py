"""Persons and area of a scope: every rule of SPC arts. 8-9 and the boundaries around them."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.i18n import use_locale
from agora.rooms.counting import (
    MAX_AREA_CENTS,
    Electorate,
    ParkingUndecided,
    Person,
    RollUnit,
    count_electorate,
    fingerprint,
    format_area,
    in_scope,
    parse_area,
    person_of,
)


@pytest.fixture(autouse=True)
def english():
    with use_locale("en"):
        yield


def unit(label, *owners, building="1", entrance="1", area=8950, kind="home", status="owned"):
    return RollUnit(building, entrance, label, area, kind, status, tuple(owners))


# --- areas -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("89.5", 8950),
        ("89.50", 8950),
        ("89", 8900),
        ("89.05", 8905),
        ("0.01", 1),
        ("0.1", 10),
        ("1", 100),
        ("  89.5\t", 8950),
        ("089.50", 8950),
        ("100000", MAX_AREA_CENTS),
        ("100000.00", MAX_AREA_CENTS),
        ("99999.99", MAX_AREA_CENTS - 1),
        ("0" * 5000 + "1", 100),
    ],
)
def test_parse_area_accepts(text, cents):
    assert parse_area(text) == cents
    assert type(parse_area(text)) is int


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "0",
        "0.0",
        "0.00",
        "000",
        "-1",
        "-0.5",
        "-0",
        "+89",
        "89.123",
        "89.001",
        "89.",
        ".5",
        "abc",
        "89.5m²",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "1e3",
        "1E3",
        "8.95e1",
        "1,000",
        "1,000.50",
        "89 .5",
        "89. 5",
        "０８９",  # full-width digits
        "٨٩",  # Arabic-Indic digits: \d would accept them, the parser must not
        "0x10",
        "1_000",
    ],
)
def test_parse_area_refuses_malformed(text):
    with pytest.raises(ValueError, match="is not a positive number with at most two decimals"):
        parse_area(text)


@pytest.mark.parametrize("text", ["100000.01", "100001", "999999999", "1" * 5000, "1" * 5000 + ".5"])
def test_parse_area_refuses_absurd_size(text):
    with pytest.raises(ValueError, match=r"is larger than 100000 m²"):
        parse_area(text)


def test_parse_area_message_names_the_value_and_truncates_long_ones():
    with pytest.raises(ValueError) as caught:
        parse_area("12abc")
    assert str(caught.value) == 'area "12abc" is not a positive number with at most two decimals'
    with pytest.raises(ValueError) as caught:
        parse_area("x" * 500)
    assert len(str(caught.value)) < 120


def test_parse_area_message_is_translatable_in_default_locale():
    with use_locale("zh_CN"), pytest.raises(ValueError) as caught:
        parse_area("abc")
    assert "abc" in str(caught.value)


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (8950, "89.50"),
        (8905, "89.05"),
        (1, "0.01"),
        (10, "0.10"),
        (0, "0.00"),
        (100, "1.00"),
        (12737800, "127378.00"),
        (308656, "3086.56"),
        (123456789, "1234567.89"),
        (-150, "-1.50"),
        (-5, "-0.05"),
    ],
)
def test_format_area(cents, text):
    assert format_area(cents) == text


@pytest.mark.parametrize("value", [89.5, True, "8950", None])
def test_format_area_refuses_non_integers(value):
    with pytest.raises(TypeError):
        format_area(value)


@given(st.integers(min_value=1, max_value=MAX_AREA_CENTS))
def test_area_round_trip(cents):
    assert parse_area(format_area(cents)) == cents


# --- units ---------------------------------------------------------------------------------------


def test_roll_unit_normalises_owners_to_sorted_unique_tuple():
    u = RollUnit("1", "", "101", 100, owners=["b", "a", "b"])  # type: ignore[arg-type]
    assert u.owners == ("a", "b")
    assert u.key == ("1", "101")
    assert u.kind == "home" and u.status == "owned"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"area_cents": 0},
        {"area_cents": -1},
        {"area_cents": 89.5},
        {"area_cents": True},
        {"kind": "garage"},
        {"status": "sold"},
        {"owners": ("",)},
    ],
)
def test_roll_unit_refuses_broken_invariants(kwargs):
    fields = {"building": "1", "entrance": "", "unit": "101", "area_cents": 100} | kwargs
    with pytest.raises(ValueError):
        RollUnit(**fields)


def test_roll_unit_is_frozen():
    u = unit("101", "a")
    with pytest.raises(AttributeError):
        u.area_cents = 1  # type: ignore[misc]


# --- scope ---------------------------------------------------------------------------------------

SCOPE_UNITS = [
    unit("1-101", "a", building="1", entrance="1"),
    unit("2-101", "b", building="1", entrance="2"),
    unit("1-101", "c", building="2", entrance="1"),
    unit("1-102", "d", building="2", entrance="1"),
]


def test_in_scope_without_filters_is_everything_in_order():
    assert in_scope(SCOPE_UNITS) == SCOPE_UNITS
    assert in_scope(iter(SCOPE_UNITS)) == SCOPE_UNITS


def test_in_scope_by_building():
    assert in_scope(SCOPE_UNITS, building="2") == SCOPE_UNITS[2:]
    assert in_scope(SCOPE_UNITS, building="9") == []


def test_in_scope_by_entrance_stays_in_its_building():
    assert in_scope(SCOPE_UNITS, building="1", entrance="1") == [SCOPE_UNITS[0]]
    assert in_scope(SCOPE_UNITS, building="2", entrance="1") == SCOPE_UNITS[2:]
    assert in_scope(SCOPE_UNITS, building="1", entrance="") == []


def test_in_scope_entrance_without_building_is_refused():
    with pytest.raises(ValueError):
        in_scope(SCOPE_UNITS, entrance="1")


def test_in_scope_by_unit_keys():
    assert in_scope(SCOPE_UNITS, unit_keys={("2", "1-101"), ("1", "2-101")}) == [
        SCOPE_UNITS[1],
        SCOPE_UNITS[2],
    ]
    assert in_scope(SCOPE_UNITS, unit_keys=set()) == []
    assert in_scope(SCOPE_UNITS, building="1", unit_keys={("2", "1-101")}) == []


# --- persons -------------------------------------------------------------------------------------


def keys(electorate):
    return [p.key for p in electorate.persons]


def test_each_unit_is_one_person():
    e = count_electorate([unit("101", "a", area=100), unit("102", "b", area=250)], parking_counts=None)
    assert e == Electorate(
        persons=(
            Person("owner:a", ("a",), (("1", "101"),), 100),
            Person("owner:b", ("b",), (("1", "102"),), 250),
        ),
        persons_total=2,
        area_cents_total=350,
        units_total=2,
        excluded_parking=0,
    )


def test_empty_scope():
    assert count_electorate([], parking_counts=None) == Electorate((), 0, 0, 0, 0)


def test_one_owner_of_several_units_is_one_person_with_summed_area():
    e = count_electorate(
        [unit("101", "a", area=100), unit("102", "a", area=200, building="2"), unit("103", "b", area=5)],
        parking_counts=False,
    )
    assert keys(e) == ["owner:a", "owner:b"]
    assert e.persons[0].units == (("1", "101"), ("2", "102"))
    assert e.persons[0].area_cents == 300
    assert (e.persons_total, e.area_cents_total, e.units_total) == (2, 305, 3)


def test_co_owners_of_one_unit_are_one_person():
    e = count_electorate([unit("101", "b", "a", "c", area=100)], parking_counts=None)
    assert e.persons == (Person("owner:a", ("a", "b", "c"), (("1", "101"),), 100),)


def test_co_ownership_and_several_units_combine_transitively():
    """X alone holds 101, X and Y hold 102, Y and Z hold 103, Z alone holds 104: one person, one ballot."""
    units = [
        unit("101", "x"),
        unit("102", "x", "y"),
        unit("103", "y", "z"),
        unit("104", "z"),
        unit("105", "w"),
    ]
    e = count_electorate(units, parking_counts=None)
    assert keys(e) == ["owner:w", "owner:x"]
    merged = e.persons[1]
    assert merged.owner_refs == ("x", "y", "z")
    assert [u for _, u in merged.units] == ["101", "102", "103", "104"]
    assert merged.area_cents == 4 * 8950


def test_transitive_chain_order_does_not_matter():
    units = [unit(f"{i:03d}", f"o{i}", f"o{i + 1}") for i in range(50)]
    for seed in range(5):
        shuffled = units[:]
        random.Random(seed).shuffle(shuffled)
        e = count_electorate(shuffled, parking_counts=None)
        assert e.persons_total == 1
        assert e.persons[0].key == "owner:o0"
        assert len(e.persons[0].owner_refs) == 51


def test_person_key_is_the_smallest_owner_ref():
    e = count_electorate(
        [unit("101", "zed"), unit("102", "zed", "Amy"), unit("103", "bob")], parking_counts=None
    )
    assert keys(e) == ["owner:Amy", "owner:bob"]  # sorted by code point: uppercase first


def test_unsold_and_undelivered_units_are_one_developer_person_whatever_their_refs():
    units = [
        unit("101", "dev-a", status="unsold", area=100),
        unit("102", "dev-b", status="undelivered", area=200),
        unit("103", status="unsold", area=300),
        unit("104", "a", area=50),
    ]
    e = count_electorate(units, parking_counts=None)
    assert keys(e) == ["developer", "owner:a"]
    developer = e.persons[0]
    assert developer.owner_refs == ("dev-a", "dev-b")
    assert developer.area_cents == 600
    assert len(developer.units) == 3


def test_developer_owner_ref_on_an_owned_unit_joins_the_developer():
    """Conservative: whoever holds a developer unit's ref must not vote twice, as developer and as owner."""
    units = [unit("101", "dev", status="unsold", area=100), unit("102", "dev", area=200), unit("103", "b")]
    e = count_electorate(units, parking_counts=None)
    assert keys(e) == ["developer", "owner:b"]
    assert e.persons[0].area_cents == 300
    assert person_of(e)["dev"].key == "developer"


def test_a_single_unsold_unit_is_still_keyed_developer():
    e = count_electorate([unit("101", status="undelivered")], parking_counts=None)
    assert keys(e) == ["developer"]
    assert e.persons[0].owner_refs == ()


def test_owned_unit_without_owner_is_its_own_person():
    units = [unit("101", area=100), unit("102", area=200, building="2"), unit("103", "a")]
    e = count_electorate(units, parking_counts=None)
    assert keys(e) == ["owner:a", "unit:1/101", "unit:2/102"]
    assert e.persons[1] == Person("unit:1/101", (), (("1", "101"),), 100)


def test_ownerless_keys_that_would_collide_are_refused():
    units = [unit("c", building="a/b"), unit("b/c", building="a")]
    with pytest.raises(ValueError, match="share the key"):
        count_electorate(units, parking_counts=None)


def test_the_same_unit_twice_is_refused_not_double_counted():
    with pytest.raises(ValueError, match="listed twice"):
        count_electorate([unit("101", "a"), unit("101", "b", entrance="2")], parking_counts=None)


def test_same_unit_label_in_two_buildings_is_two_units():
    e = count_electorate(
        [unit("101", "a", building="1"), unit("101", "b", building="2")], parking_counts=None
    )
    assert e.persons_total == 2


# --- parking -------------------------------------------------------------------------------------

PARKING_ROLL = [
    unit("101", "a", area=10000),
    unit("P1", "a", kind="parking", area=1250),
    unit("P2", "p", kind="parking", area=1250),
    unit("S1", "s", kind="shop", area=4510),
]


def test_parking_undecided_refuses_to_count():
    with pytest.raises(ParkingUndecided):
        count_electorate(PARKING_ROLL, parking_counts=None)


def test_parking_undecided_is_fine_without_parking_units():
    e = count_electorate([u for u in PARKING_ROLL if u.kind != "parking"], parking_counts=None)
    assert e.persons_total == 2


def test_parking_that_does_not_count_is_left_out_entirely():
    e = count_electorate(PARKING_ROLL, parking_counts=False)
    assert keys(e) == ["owner:a", "owner:s"]  # "p" holds only parking: not a person
    assert e.area_cents_total == 10000 + 4510
    assert e.units_total == 2
    assert e.excluded_parking == 2
    assert e.persons[0].units == (("1", "101"),)
    assert "p" not in person_of(e)


def test_parking_that_counts_counts_like_any_unit():
    e = count_electorate(PARKING_ROLL, parking_counts=True)
    assert keys(e) == ["owner:a", "owner:p", "owner:s"]
    assert e.persons[0].area_cents == 11250
    assert (e.area_cents_total, e.units_total, e.excluded_parking) == (17010, 4, 0)


def test_stalls_follow_the_parking_setting():
    """A stall (摊位) counts as the parking setting says, like a parking space; a shop always counts."""
    roll = [
        unit("101", "a", area=10000),
        unit("S1", "s", kind="stall", area=600),
        unit("M1", "m", kind="shop"),
    ]
    with pytest.raises(ParkingUndecided):
        count_electorate(roll, parking_counts=None)
    left_out = count_electorate(roll, parking_counts=False)
    assert keys(left_out) == ["owner:a", "owner:m"] and left_out.excluded_parking == 1
    counted = count_electorate(roll, parking_counts=True)
    assert keys(counted) == ["owner:a", "owner:m", "owner:s"]
    assert counted.area_cents_total == 10000 + 600 + 8950


def test_excluded_parking_does_not_link_owners():
    """X and Y co-own only a parking space: if parking does not count, they are two persons."""
    units = [unit("101", "x"), unit("102", "y"), unit("P1", "x", "y", kind="parking")]
    assert count_electorate(units, parking_counts=False).persons_total == 2
    assert count_electorate(units, parking_counts=True).persons_total == 1


def test_shops_always_count():
    shops = [unit("S1", "s", kind="shop"), unit("S2", "t", kind="shop", status="unsold")]
    for setting in (None, False, True):
        assert keys(count_electorate(shops, parking_counts=setting)) == ["developer", "owner:s"]


def test_unsold_parking_left_out_when_parking_does_not_count():
    units = [unit("P1", kind="parking", status="unsold"), unit("101", "a")]
    e = count_electorate(units, parking_counts=False)
    assert keys(e) == ["owner:a"]


# --- published case and a realistic roll ---------------------------------------------------------


def test_published_case_developer_15_unsold_units_are_one_person():
    """Shanghai No. 1 Intermediate Court (2019): yes was 421 counting 15 unsold units as 15 persons.

    Counted as one person: 406 + 1 = 407 yes against 414 no, and the decision fails.
    """
    yes_owners = [unit(f"Y{i}", f"yes{i}") for i in range(406)]
    no_owners = [unit(f"N{i}", f"no{i}") for i in range(414)]
    unsold = [unit(f"D{i}", "dev", status="unsold", area=10000) for i in range(15)]
    e = count_electorate(yes_owners + no_owners + unsold, parking_counts=None)
    by_ref = person_of(e)
    yes_persons = {by_ref[f"yes{i}"].key for i in range(406)} | {by_ref["dev"].key}
    no_persons = {by_ref[f"no{i}"].key for i in range(414)}
    assert len(yes_persons) == 407
    assert len(no_persons) == 414
    assert len(yes_persons) < len(no_persons)
    assert e.persons_total == 406 + 414 + 1
    assert e.units_total == 406 + 414 + 15
    developer = by_ref["dev"]
    assert developer.key == "developer" and len(developer.units) == 15 and developer.area_cents == 150000


def realistic_roll():
    """Two buildings; every rule appears once. Totals worked out by hand in the tests below."""
    return [
        unit("1-101", "A", building="1", entrance="1", area=8950),
        unit("1-102", "B", "C", building="1", entrance="1", area=12000),
        unit("1-201", "A", building="1", entrance="1", area=8950),
        unit("1-202", "D", building="1", entrance="1", area=12000),
        unit("2-101", "C", "E", building="1", entrance="2", area=9525),
        unit("2-102", "DEV", building="1", entrance="2", area=9525, status="unsold"),
        unit("2-201", "DEV", building="1", entrance="2", area=9525, status="undelivered"),
        unit("2-202", building="1", entrance="2", area=9525),
        unit("S-1", "F", building="2", entrance="", area=4510, kind="shop"),
        unit("P-1", "A", building="2", entrance="", area=1250, kind="parking"),
        unit("P-2", "G", building="2", entrance="", area=1250, kind="parking"),
        unit("101", "G", building="2", entrance="", area=8888),
    ]


def test_realistic_roll_parking_excluded():
    e = count_electorate(realistic_roll(), parking_counts=False)
    summary = [(p.key, p.owner_refs, p.area_cents, len(p.units)) for p in e.persons]
    assert summary == [
        ("developer", ("DEV",), 19050, 2),
        ("owner:A", ("A",), 17900, 2),
        ("owner:B", ("B", "C", "E"), 21525, 2),
        ("owner:D", ("D",), 12000, 1),
        ("owner:F", ("F",), 4510, 1),
        ("owner:G", ("G",), 8888, 1),
        ("unit:1/2-202", (), 9525, 1),
    ]
    assert (e.persons_total, e.area_cents_total, e.units_total, e.excluded_parking) == (7, 93398, 10, 2)
    assert format_area(e.area_cents_total) == "933.98"


def test_realistic_roll_parking_counted():
    e = count_electorate(realistic_roll(), parking_counts=True)
    assert e.persons_total == 7
    assert e.area_cents_total == 93398 + 2500
    assert {p.key: p.area_cents for p in e.persons}["owner:A"] == 19150
    assert e.units_total == 12


def test_realistic_roll_one_entrance():
    scope = in_scope(realistic_roll(), building="1", entrance="2")
    e = count_electorate(scope, parking_counts=None)
    assert keys(e) == ["developer", "owner:C", "unit:1/2-202"]  # B is out of scope: C's key changes
    assert e.area_cents_total == 4 * 9525


def test_person_of_maps_every_owner_to_their_person():
    e = count_electorate(realistic_roll(), parking_counts=False)
    mapping = person_of(e)
    assert set(mapping) == {"A", "B", "C", "D", "DEV", "E", "F", "G"}
    assert mapping["B"] is mapping["C"] is mapping["E"]
    assert mapping["DEV"].key == "developer"


# --- property-based: against a brute-force reference ---------------------------------------------


def reference_electorate(units, parking_counts):
    """Deliberately naive: start with one group per unit and merge any two that share a mark until
    nothing changes. A mark is an owner ref, or "the developer" for unsold/undelivered units."""
    # Parking spaces and stalls (车位、摊位) follow the same setting.
    if parking_counts is None and any(u.kind in ("parking", "stall") for u in units):
        return ParkingUndecided
    counted = [u for u in units if parking_counts or u.kind not in ("parking", "stall")]
    groups = []
    for u in counted:
        marks = {("owner", ref) for ref in u.owners}
        if u.status in ("unsold", "undelivered"):
            marks.add(("developer", ""))
        groups.append((marks, [u]))
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(len(groups)):
                if i != j and groups[i][0] & groups[j][0]:
                    groups[i] = (groups[i][0] | groups[j][0], groups[i][1] + groups[j][1])
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    persons = []
    for marks, members in groups:
        refs = sorted(ref for kind, ref in marks if kind == "owner")
        if ("developer", "") in marks:
            key = "developer"
        elif refs:
            key = "owner:" + min(refs)
        else:
            key = f"unit:{members[0].building}/{members[0].unit}"
        units_held = tuple(sorted((m.building, m.unit) for m in members))
        persons.append(Person(key, tuple(refs), units_held, sum(m.area_cents for m in members)))
    persons.sort(key=lambda p: p.key)
    return Electorate(
        tuple(persons),
        len(persons),
        sum(u.area_cents for u in counted),
        len(counted),
        len(units) - len(counted),
    )


@st.composite
def rolls(draw, max_units=25):
    """Rolls with unique (building, unit) keys over a small owner pool, so that sharing is frequent."""
    keys_ = draw(
        st.lists(
            st.tuples(st.sampled_from(["1", "2", "3"]), st.integers(101, 130).map(str)),
            unique=True,
            max_size=max_units,
        )
    )
    pool = list("abcdefghij")
    units = []
    for building, label in keys_:
        units.append(
            RollUnit(
                building=building,
                entrance=draw(st.sampled_from(["", "1", "2"])),
                unit=label,
                area_cents=draw(st.integers(1, MAX_AREA_CENTS)),
                kind=draw(st.sampled_from(["home", "home", "home", "parking", "shop", "stall"])),
                status=draw(st.sampled_from(["owned"] * 6 + ["unsold", "undelivered"])),
                owners=tuple(draw(st.lists(st.sampled_from(pool), max_size=3))),
            )
        )
    return units


@settings(max_examples=400, deadline=None)
@given(rolls(), st.sampled_from([None, False, True]))
def test_count_electorate_matches_brute_force_reference(units, parking_counts):
    expected = reference_electorate(units, parking_counts)
    if expected is ParkingUndecided:
        with pytest.raises(ParkingUndecided):
            count_electorate(units, parking_counts=parking_counts)
        return
    assert count_electorate(units, parking_counts=parking_counts) == expected


@settings(max_examples=200, deadline=None)
@given(rolls(), st.booleans(), st.randoms(use_true_random=False))
def test_count_electorate_invariants(units, parking_counts, rnd):
    e = count_electorate(units, parking_counts=parking_counts)
    held = [key for p in e.persons for key in p.units]
    assert len(held) == len(set(held)) == e.units_total  # every counted unit in exactly one person
    refs = [ref for p in e.persons for ref in p.owner_refs]
    assert len(refs) == len(set(refs))  # no owner can cast two ballots
    assert e.area_cents_total == sum(p.area_cents for p in e.persons)
    assert e.persons_total == len(e.persons) <= e.units_total
    assert [p.key for p in e.persons] == sorted({p.key for p in e.persons})
    assert sum(1 for p in e.persons if p.key == "developer") <= 1
    shuffled = units[:]
    rnd.shuffle(shuffled)
    assert count_electorate(shuffled, parking_counts=parking_counts) == e


# --- fingerprint ---------------------------------------------------------------------------------


def test_fingerprint_canonical_form_is_exactly_documented():
    units = [
        RollUnit("3", "1", "1-302", 8950, "home", "owned", ("b", "a")),
        RollUnit("3", "", "车位-1", 1250, "parking", "unsold", ()),
    ]
    canonical = (
        '{"parking_counts":null,"units":['
        '["3","","车位-1",1250,"parking","unsold",[]],'
        '["3","1","1-302",8950,"home","owned",["a","b"]]]}'
    )
    assert fingerprint(units, None) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    with_true = canonical.replace("null", "true")
    assert fingerprint(units, True) == hashlib.sha256(with_true.encode("utf-8")).hexdigest()
    assert fingerprint([], False) == hashlib.sha256(b'{"parking_counts":false,"units":[]}').hexdigest()


def test_fingerprint_escapes_quotes_and_backslashes_as_json():
    u = RollUnit('a"b', "\\", "x", 1)
    canonical = '{"parking_counts":null,"units":[["a\\"b","\\\\","x",1,"home","owned",[]]]}'
    assert fingerprint([u], None) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_fingerprint_refuses_a_non_boolean_parking_setting():
    with pytest.raises(TypeError):
        fingerprint([], 1)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(rolls(), st.sampled_from([None, False, True]), st.randoms(use_true_random=False))
def test_fingerprint_ignores_row_order(units, parking_counts, rnd):
    shuffled = units[:]
    rnd.shuffle(shuffled)
    assert fingerprint(shuffled, parking_counts) == fingerprint(units, parking_counts)
    assert fingerprint(iter(units), parking_counts) == fingerprint(units, parking_counts)


def test_fingerprint_is_a_sha256_hex_digest():
    digest = fingerprint(realistic_roll(), False)
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    "change",
    [
        {"building": "2"},
        {"entrance": "2"},
        {"unit": "1-303"},
        {"area_cents": 8951},
        {"kind": "shop"},
        {"status": "unsold"},
        {"owners": ("a",)},
        {"owners": ("a", "b", "c")},
        {"owners": ("a", "B")},
    ],
)
def test_fingerprint_changes_with_any_field(change):
    base = RollUnit("1", "1", "1-302", 8950, "home", "owned", ("a", "b"))
    other = RollUnit(**({f: getattr(base, f) for f in RollUnit.__slots__} | change))
    rest = [unit("101", "z", building="9")]
    assert fingerprint([base, *rest], False) != fingerprint([other, *rest], False)


def test_fingerprint_changes_with_the_parking_setting_and_with_units_added_or_removed():
    roll = realistic_roll()
    digests = {fingerprint(roll, None), fingerprint(roll, False), fingerprint(roll, True)}
    digests |= {fingerprint(roll[1:], None), fingerprint([*roll, unit("999", "z")], None)}
    assert len(digests) == 5


def test_fingerprint_does_not_confuse_field_boundaries():
    a = RollUnit("1", "1", "1-302", 8950)
    b = RollUnit("1", "11", "-302", 8950)
    assert fingerprint([a], None) != fingerprint([b], None)


def test_an_owned_unit_with_no_owner_on_the_roll_is_its_own_person():
    electorate = count_electorate([unit("101"), unit("102", "A")], parking_counts=False)
    assert sorted(p.key for p in electorate.persons) == ["owner:A", "unit:1/101"]
