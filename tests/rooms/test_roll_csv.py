"""Reading the roll CSV: encodings, columns, every bad line reported, nothing imported on error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.i18n import use_locale
from agora.rooms.counting import RollUnit, count_electorate
from agora.rooms.roll_csv import (
    MAX_ROLL_BYTES,
    LineError,
    ParsedRoll,
    RollInvalid,
    decode_roll,
    parse_roll,
)

HEADER = "building,unit,area,owner_ref,owner_name"


@pytest.fixture(autouse=True)
def english():
    with use_locale("en"):
        yield


def roll(*lines, header=HEADER):
    return "\n".join([header, *lines]).encode("utf-8")


def errors_of(data, **kwargs):
    with pytest.raises(RollInvalid) as caught:
        parse_roll(data, **kwargs)
    return [(e.line, e.message) for e in caught.value.errors]


def only_error(data, **kwargs):
    errors = errors_of(data, **kwargs)
    assert len(errors) == 1, errors
    return errors[0]


CHINESE_ROLL = "\n".join(
    [
        "building,entrance,unit,area,owner_ref,owner_name,kind,status",
        "3,1,1-302,89.50,O-001,张三,home,owned",
        "3,1,1-302,89.50,O-002,李四,home,owned",
        "3,1,1-401,120,O-001,张三,,",
        '3,2,2-101,95.25,O-003,"欧阳，小明（业主）",home,owned',
        "3,2,2-102,95.25,DEV,某某房地产开发有限公司,home,unsold",
        '地下车库,,车位-017,12.5,O-003,"欧阳，小明（业主）",parking,owned',
    ]
)


def check_chinese_roll(parsed):
    assert parsed.buildings == ("3", "地下车库")
    assert parsed.units == (
        RollUnit("3", "1", "1-302", 8950, "home", "owned", ("O-001", "O-002")),
        RollUnit("3", "1", "1-401", 12000, "home", "owned", ("O-001",)),
        RollUnit("3", "2", "2-101", 9525, "home", "owned", ("O-003",)),
        RollUnit("3", "2", "2-102", 9525, "home", "unsold", ("DEV",)),
        RollUnit("地下车库", "", "车位-017", 1250, "parking", "owned", ("O-003",)),
    )
    assert parsed.owner_names == {
        "DEV": "某某房地产开发有限公司",
        "O-001": "张三",
        "O-002": "李四",
        "O-003": "欧阳，小明（业主）",
    }


# --- encodings -----------------------------------------------------------------------------------


def test_utf8():
    check_chinese_roll(parse_roll(CHINESE_ROLL.encode("utf-8")))


def test_utf8_with_bom():
    check_chinese_roll(parse_roll(b"\xef\xbb\xbf" + CHINESE_ROLL.encode("utf-8")))


def test_gb18030_as_excel_writes_it():
    data = CHINESE_ROLL.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test is only meaningful if this is not also valid UTF-8
    check_chinese_roll(parse_roll(data))


def test_crlf_line_endings():
    check_chinese_roll(parse_roll(CHINESE_ROLL.replace("\n", "\r\n").encode("gb18030")))


def test_decode_roll_returns_text_without_bom():
    assert decode_roll(b"\xef\xbb\xbfabc") == "abc"
    assert decode_roll("楼栋,张三".encode("gb18030")) == "楼栋,张三"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"   \r\n\n\t", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b"\xef\xbb\xbf\xff\xfe", "the file starts as UTF-8 but is not valid UTF-8 text"),
        ("building".encode("utf-16"), "the file is UTF-16 text; save it as CSV (UTF-8) and upload it again"),
        (b"PK\x03\x04\x14\x00", "the file is an Excel workbook; save it as CSV (UTF-8) and upload it again"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1",
            "the file is an Excel workbook; save it as CSV (UTF-8) and upload it again",
        ),
        (b"\xff\xff\xff", "the file is neither UTF-8 nor GB18030 text"),
        (b"building,unit\x00", "the file is not a text file"),
    ],
)
def test_file_level_errors(data, message):
    for call in (decode_roll, parse_roll):
        with pytest.raises(RollInvalid) as caught:
            call(data)
        assert caught.value.errors == [LineError(0, message)]


def test_too_large_is_refused_before_decoding():
    data = b"\xff" * (MAX_ROLL_BYTES + 1)  # undecodable too: the size must be the reported problem
    with pytest.raises(RollInvalid) as caught:
        parse_roll(data)
    assert caught.value.errors == [LineError(0, "the file is larger than 10 MB")]


def test_exactly_the_size_limit_is_decoded():
    data = roll("1,101,89.5,a,A")
    assert decode_roll(data + b" " * (MAX_ROLL_BYTES - len(data))).startswith(HEADER)


def test_messages_follow_the_locale():
    with use_locale("zh_CN"), pytest.raises(RollInvalid) as caught:
        parse_roll(b"")
    assert caught.value.errors[0].message  # an id without a translation yet still reads


# --- header --------------------------------------------------------------------------------------


def test_columns_in_any_order_case_and_spaces_ignored():
    parsed = parse_roll(
        roll("A, 101 ,89.5 , 李四 ,o1", header=" Building ,UNIT,  Area,Owner_Name ,owner_ref ")
    )
    assert parsed.units == (RollUnit("A", "", "101", 8950, owners=("o1",)),)
    assert parsed.owner_names == {"o1": "李四"}


def test_optional_columns_default():
    parsed = parse_roll(roll("1,101,89.5,a,A"))
    (u,) = parsed.units
    assert (u.entrance, u.kind, u.status) == ("", "home", "owned")


def test_unknown_column():
    line, message = only_error(roll("1,101,89.5,a,A,x", header=HEADER + ",floor"))
    assert line == 1
    assert message.startswith('unknown column "floor"; the columns are: building, unit, area')


@pytest.mark.parametrize("missing", ["building", "unit", "area", "owner_ref", "owner_name"])
def test_missing_required_column(missing):
    header = ",".join(c for c in HEADER.split(",") if c != missing)
    assert only_error(roll("x,y,z,w", header=header)) == (1, f'required column "{missing}" is missing')


def test_duplicate_column():
    assert only_error(roll("1,101,89.5,a,A,B", header=HEADER + ",Owner_Name")) == (
        1,
        'column "owner_name" appears twice',
    )


def test_several_header_problems_are_all_reported():
    errors = errors_of(roll("1,2,3", header="building,unit,floor"))
    assert [line for line, _ in errors] == [1, 1, 1, 1]


def test_missing_header_gives_one_clear_message():
    data = b"1,101,89.5,a,A\n1,102,89.5,b,B\n"
    assert only_error(data) == (
        1,
        "the first line must name the columns: "
        "building, unit, area, owner_ref, owner_name, entrance, kind, status",
    )


def test_header_after_leading_blank_lines_keeps_physical_numbers():
    data = b"\n\n" + roll("1,101,abc,a,A")
    assert only_error(data)[0] == 4


def test_header_only_has_no_units():
    assert only_error(roll()) == (0, "the roll has no units")
    assert only_error(roll("", " ", ",,,,")) == (0, "the roll has no units")


def test_unnamed_empty_columns_from_excel_are_ignored():
    parsed = parse_roll(roll("1,101,89.5,a,A,,", header=HEADER + ",,"))
    assert len(parsed.units) == 1


def test_value_in_an_unnamed_column():
    assert only_error(roll("1,101,89.5,a,A,oops", header=HEADER + ",")) == (
        2,
        "a column without a name holds a value",
    )


# --- lines ---------------------------------------------------------------------------------------


def test_co_owner_rows_merge_into_one_unit():
    parsed = parse_roll(roll("1,101,89.5,b,B", "1,101,89.50,a,A", "1,101,89.5,c,C"))
    assert parsed.units == (RollUnit("1", "", "101", 8950, owners=("a", "b", "c")),)


def test_units_sorted_by_building_entrance_unit():
    data = roll(
        "2,101,1,a,A,1",
        "1,201,1,b,B,2",
        "1,101,1,c,C,2",
        "1,301,1,d,D,1",
        header=HEADER + ",entrance",
    )
    keys = [(u.building, u.entrance, u.unit) for u in parse_roll(data).units]
    assert keys == [("1", "1", "301"), ("1", "2", "101"), ("1", "2", "201"), ("2", "1", "101")]


def test_blank_lines_skipped_and_whitespace_stripped():
    data = roll("", "  1 ,  101 , 89.5 ,  a  ,  张 三  ", "   ", ",,,,", "1,102,1,b,B", "")
    parsed = parse_roll(data)
    assert [u.unit for u in parsed.units] == ["101", "102"]
    assert parsed.owner_names["a"] == "张 三"


def test_quoted_fields_with_commas_quotes_and_full_width_characters():
    data = roll(
        '1,101,89.5,a,"Wang, Fang ""Amy"""', '1,102,89.5,b,"张三，李四（共有）　"', '1,103, "90.25",c,C'
    )
    parsed = parse_roll(data)
    assert parsed.owner_names == {"a": 'Wang, Fang "Amy"', "b": "张三，李四（共有）", "c": "C"}
    assert parsed.units[2].area_cents == 9025


def test_full_width_comma_is_not_a_separator():
    parsed = parse_roll(roll("1,101,89.5,a,张三，李四"))
    assert parsed.owner_names == {"a": "张三，李四"}


def test_markup_in_names_passes_through_unchanged():
    name = "<script>alert(1)</script>"
    parsed = parse_roll(roll(f"1,101,89.5,a,{name}", f'1,102,89.5,"<b>x</b>",{name}'))
    assert parsed.owner_names == {"<b>x</b>": name, "a": name}


def test_kind_and_status_are_case_insensitive_and_default_when_empty():
    data = roll(
        "1,P1,12.5,a,A,Parking,OWNED",
        "1,S1,40,b,B,shop,Unsold",
        "1,101,80,c,C,,",
        header=HEADER + ",kind,status",
    )
    kinds = {u.unit: (u.kind, u.status) for u in parse_roll(data).units}
    assert kinds == {"P1": ("parking", "owned"), "S1": ("shop", "unsold"), "101": ("home", "owned")}


def test_undelivered_status():
    (u,) = parse_roll(roll("1,101,80,dev,Dev,undelivered", header=HEADER + ",status")).units
    assert u.status == "undelivered"


@pytest.mark.parametrize(
    ("line", "column"),
    [
        (",101,89.5,a,A", "building"),
        ("1,,89.5,a,A", "unit"),
        ("1,101,,a,A", "area"),
        ("1,101,89.5,,A", "owner_ref"),
        ("1,101,89.5,a,", "owner_name"),
        ('1,101,89.5,a,"  "', "owner_name"),
    ],
)
def test_empty_required_field(line, column):
    assert only_error(roll(line)) == (2, f"{column} is empty")


def test_several_empty_fields_on_one_line_are_all_reported():
    assert errors_of(roll("1,,,a,")) == [
        (2, "unit is empty"),
        (2, "area is empty"),
        (2, "owner_name is empty"),
    ]


@pytest.mark.parametrize("area", ["0", "-5", "89.123", "abc", "nan", "1e3", "1,5", "100000.01"])
def test_bad_area(area):
    line, message = only_error(roll(f'1,101,"{area}",a,A'))
    assert line == 2
    assert message.startswith(f'area "{area}" is ')


def test_bad_kind_and_status():
    data = roll("1,101,80,a,A,garage,owned", "1,102,80,b,B,home,sold", header=HEADER + ",kind,status")
    assert errors_of(data) == [
        (2, 'kind "garage" is not one of: home, parking, shop, stall'),
        (3, 'status "sold" is not one of: owned, unsold, undelivered'),
    ]


def test_wrong_number_of_fields():
    assert errors_of(roll("1,101,89.5,a", "1,102,89.5,b,B,extra", "1,103,89.5,c,C")) == [
        (2, "expected 5 fields but found 4"),
        (3, "expected 5 fields but found 6"),
    ]


def test_owner_ref_with_two_names_reports_the_later_line_naming_the_earlier():
    assert only_error(roll("1,101,80,a,张三", "1,102,80,b,李四", "1,103,80,a,张 三")) == (
        4,
        'owner_ref "a" is named "张 三" here but "张三" on line 2',
    )


def test_duplicate_owner_row_for_a_unit():
    assert only_error(roll("1,101,80,a,A", "1,102,80,b,B", "1,101,80,a,A")) == (
        4,
        'owner_ref "a" is listed twice for unit 1/101; see line 2',
    )


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ("1,1,101,80.01,b,B,home,owned", 'unit 1/101 has area "80.01" here but "80.00" on line 2'),
        ("1,2,101,80,b,B,home,owned", 'unit 1/101 has entrance "2" here but "1" on line 2'),
        ("1,,101,80,b,B,home,owned", 'unit 1/101 has entrance "" here but "1" on line 2'),
        ("1,1,101,80,b,B,shop,owned", 'unit 1/101 has kind "shop" here but "home" on line 2'),
        ("1,1,101,80,b,B,home,unsold", 'unit 1/101 has status "unsold" here but "owned" on line 2'),
    ],
)
def test_co_owner_rows_that_disagree(second, message):
    header = "building,entrance,unit,area,owner_ref,owner_name,kind,status"
    assert only_error(roll("1,1,101,80,a,A,home,owned", second, header=header)) == (3, message)


def test_co_owner_rows_that_agree_after_normalising():
    header = "building,entrance,unit,area,owner_ref,owner_name,kind,status"
    parsed = parse_roll(roll("1,1,101,80,a,A,home,owned", "1,1,101,80.00,b,B,,", header=header))
    assert parsed.units[0].owners == ("a", "b")


def test_same_unit_label_in_two_buildings_is_two_units():
    assert len(parse_roll(roll("1,101,80,a,A", "2,101,90,a,A")).units) == 2


def test_known_buildings():
    data = roll("1,101,80,a,A", "9,101,80,b,B", "2,101,80,c,C")
    assert only_error(data, known_buildings={"1", "2"}) == (
        3,
        'building "9" is not a building of this compound',
    )
    assert len(parse_roll(data, known_buildings=None).units) == 3
    assert only_error(roll("1,101,80,a,A"), known_buildings=set())[0] == 2


def test_line_break_inside_a_quoted_field_is_refused_and_numbers_stay_physical():
    data = roll('1,101,80,a,"A\nB"', "1,102,abc,b,B")
    assert errors_of(data) == [
        (2, "owner_name contains a line break or a control character"),
        (4, 'area "abc" is not a positive number with at most two decimals'),
    ]


def test_unclosed_quote_is_reported_not_swallowed_silently():
    errors = errors_of(roll('1,101,80,a,"A', "1,102,80,b,B"))
    assert errors and errors[0][0] == 2


def test_control_characters_and_overlong_values():
    data = roll(
        "1,101,80,a\x07,A,",
        f"1,102,80,b,{'名' * 121},",
        f"{'楼' * 65},103,80,c,C,",
        f"1,104,80,d,D,{'单' * 33}",
        f"1,105,80,e,{'名' * 120},{'单' * 32}",
        header=HEADER + ",entrance",
    )
    assert errors_of(data) == [
        (2, "owner_ref contains a line break or a control character"),
        (3, "owner_name is longer than 120 characters"),
        (4, "building is longer than 64 characters"),
        (5, "entrance is longer than 32 characters"),
    ]


def test_every_bad_line_is_reported_and_nothing_imported():
    data = roll(
        "1,101,80,a,A",
        "1,102,-1,b,B",
        "",
        "1,103,80,c",
        "1,101,81,d,D",
        "1,104,80,a,Other",
        "1,105,80,e,E",
    )
    with pytest.raises(RollInvalid) as caught:
        parse_roll(data)
    assert [e.line for e in caught.value.errors] == [3, 5, 6, 7]
    assert all(
        isinstance(e.message, str) and not e.message.lower().startswith("line") for e in caught.value.errors
    )
    assert "4 error" in str(caught.value)


def test_a_bad_line_is_not_used_to_judge_later_lines():
    """Line 2 is refused for its area, so line 3 is not reported as disagreeing with it."""
    assert only_error(roll("1,101,abc,a,A", "1,101,80,b,B"))[0] == 2


def test_roll_invalid_sorts_errors_by_line():
    error = RollInvalid([LineError(5, "x"), LineError(1, "y"), LineError(5, "z")])
    assert error.errors == [LineError(1, "y"), LineError(5, "x"), LineError(5, "z")]


# --- size and round trips ------------------------------------------------------------------------


def test_a_2000_unit_roll_parses():
    lines = ["building,entrance,unit,area,owner_ref,owner_name,kind,status"]
    for i in range(2000):
        building, entrance = str(1 + i // 100), str(1 + (i // 25) % 4)
        lines.append(f"{building},{entrance},{i:04d},{80 + i % 50}.{i % 100:02d},O{i:04d},业主{i},home,owned")
        if i % 10 == 0:
            lines.append(
                f"{building},{entrance},{i:04d},{80 + i % 50}.{i % 100:02d},C{i:04d},共有人{i},home,owned"
            )
    parsed = parse_roll("\r\n".join(lines).encode("gb18030"))
    assert len(parsed.units) == 2000
    assert len(parsed.buildings) == 20
    assert len(parsed.owner_names) == 2200
    e = count_electorate(parsed.units, parking_counts=None)
    assert e.persons_total == 2000 and e.units_total == 2000
    assert e.area_cents_total == sum((80 + i % 50) * 100 + i % 100 for i in range(2000))


def test_parsed_roll_feeds_the_count():
    parsed = parse_roll(CHINESE_ROLL.encode("utf-8"))
    e = count_electorate(parsed.units, parking_counts=False)
    assert [p.key for p in e.persons] == ["developer", "owner:O-001", "owner:O-003"]
    assert e.area_cents_total == 8950 + 12000 + 9525 + 9525
    assert isinstance(parsed, ParsedRoll)


_label = st.text(alphabet="0123456789-ABC楼单元号", min_size=1, max_size=6)
_name = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and s)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.tuples(_label, _label),
        st.tuples(
            st.integers(1, 10_000_000),
            st.lists(st.sampled_from(list("abcdef")), min_size=1, max_size=3, unique=True),
        ),
        min_size=1,
        max_size=15,
    ),
    st.dictionaries(st.sampled_from(list("abcdef")), _name, min_size=6, max_size=6),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_written_rolls_read_back(units, names, encoding):
    """Any roll written with the csv module reads back exactly, in any of the three encodings."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["owner_name", "area", "unit", "owner_ref", "building"])
    for (building, label), (cents, refs) in units.items():
        for ref in refs:
            writer.writerow([names[ref], f"{cents // 100}.{cents % 100:02d}", label, ref, building])
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return  # GB18030 covers all of Unicode, but be safe about surrogates
    text = buffer.getvalue()
    try:
        other = data.decode("gb18030" if encoding.startswith("utf-8") else "utf-8")
    except UnicodeDecodeError:
        other = None
    if other is not None and other != text:
        # The same bytes are a valid roll in both encodings: no decoder can know the writer's
        # intent, so it must pick one of the two readings (the rule is tested on real cases below).
        assert decode_roll(data) in (text, other)
        return
    parsed = parse_roll(data)
    assert {(u.building, u.unit): (u.area_cents, u.owners) for u in parsed.units} == {
        key: (cents, tuple(sorted(refs))) for key, (cents, refs) in units.items()
    }
    used = {ref for _, refs in units.values() for ref in refs}
    assert parsed.owner_names == {ref: names[ref] for ref in sorted(used)}


def _cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def test_ambiguous_bytes_prefer_the_chinese_reading() -> None:
    """楼 in GB18030 is C2 A5, which is also valid UTF-8 ("¥"): a roll of Chinese names wins."""
    data = "building,unit,area,owner_ref,owner_name\n楼,101,80.00,o1,楼\n".encode("gb18030")
    assert data.decode("utf-8")  # genuinely ambiguous
    parsed = parse_roll(data)
    assert parsed.buildings == ("楼",) and parsed.owner_names == {"o1": "楼"}
    yuan = "building,unit,area,owner_ref,owner_name\n1,元,80.00,o1,Wang\n".encode("gb18030")
    assert parse_roll(yuan).units[0].unit == "元"  # D4 AA is also UTF-8 "Ԫ"
    latin = "building,unit,area,owner_ref,owner_name\n1,101,80.00,o1,José Müller\n".encode()
    assert parse_roll(latin).owner_names == {"o1": "José Müller"}
