"""The dataset rules (domain/datasets/) and the CSV reader (application/datasets/csv_input.py):
examples, and properties checked by hypothesis on generated tables and on any bytes."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from application.datasets.csv_input import (
    CsvLimits,
    detect_delimiter,
    parse_delimiter,
    read_records,
)
from domain.datasets import (
    Column,
    ColumnSpec,
    ColumnType,
    DigestLog,
    Finding,
    ReportBuilder,
    RowValidator,
    Rule,
    TypeTally,
    encoding_problem,
    fits,
    header_findings,
    neutralize,
    parse_schema,
    plan_columns,
    validate_rows,
)
from domain.errors import DomainError, InvalidInput, TooLarge

pytestmark = pytest.mark.unit

LIMITS = CsvLimits(max_rows=1000, max_columns=20, max_field_chars=1000, max_row_bytes=4000)


@pytest.mark.parametrize(
    ("column_type", "good", "bad"),
    [
        (ColumnType.INTEGER, ["0", "-12", "+7", " 42 "], ["1.5", "1e3", "٣", "x", "1 000"]),
        (ColumnType.NUMBER, ["1.5", "-.5", "3e-2", "10"], ["NaN", "inf", "1,5", "1.2.3"]),
        (ColumnType.BOOLEAN, ["true", "FALSE", "yes", "n", "1", "0"], ["2", "maybe", "truthy"]),
        (ColumnType.DATE, ["2024-02-29", "1999-12-31"], ["2023-02-29", "2024-13-01", "24-1-1"]),
        (ColumnType.EMAIL, ["a@b.co", "x.y+z@example.org"], ["a@b", "@b.co", "a b@c.de", "a@@b.c"]),
    ],
)
def test_types(column_type: ColumnType, good: list[str], bad: list[str]) -> None:
    assert all(fits(column_type, value) for value in good)
    assert not any(fits(column_type, value) for value in bad)


def test_schema_parsing() -> None:
    schema = parse_schema(
        {"id": {"type": "integer", "required": True, "unique": True}, "n": {"type": "string"}},
        max_columns=10,
    )
    assert schema == {
        "id": ColumnSpec(ColumnType.INTEGER, required=True, unique=True),
        "n": ColumnSpec(ColumnType.STRING),
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "schema"),
        ({}, "schema"),
        ({"a": "integer"}, "schema.a"),
        ({"a": {"type": "int"}}, "schema.a.type"),
        ({"a": {}}, "schema.a.type"),
        ({"a": {"type": "date", "required": "yes"}}, "schema.a.required"),
        ({"a": {"type": "date", "nullable": True}}, "schema.a.nullable"),
        ({str(i): {"type": "string"} for i in range(11)}, "schema"),
    ],
)
def test_bad_schemas(data: object, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_schema(data, max_columns=10)
    assert caught.value.code == "invalid_schema"
    assert caught.value.errors[0].field == field


def test_known_problems_give_exactly_these_findings() -> None:
    columns = plan_columns(
        ["id", "email", "extra"],
        {
            "id": ColumnSpec(ColumnType.INTEGER, required=True, unique=True),
            "email": ColumnSpec(ColumnType.EMAIL),
            "gone": ColumnSpec(ColumnType.DATE, required=True),
        },
        [TypeTally(), TypeTally(), TypeTally()],
    )
    rows = [
        ["1", "a@example.com", "x"],
        ["x", "nope", "y"],
        ["1", "", "z"],
        ["", "b@example.com"],
        ["2", "c@example.com", "q", "surplus"],
        ["", "", ""],
        ["1", "a@example.com", "x"],
        ["3", "Ã©@example.com", "w"],
    ]
    found = header_findings(["id", "email", "extra"], {"id": ColumnSpec(), "gone": ColumnSpec()})
    found += validate_rows(columns, rows)
    assert [(f.row, f.column, f.rule) for f in found] == [
        (None, "gone", Rule.MISSING_COLUMN),
        (None, "email", Rule.UNKNOWN_COLUMN),
        (None, "extra", Rule.UNKNOWN_COLUMN),
        (2, "id", Rule.TYPE),
        (2, "email", Rule.TYPE),
        (3, "id", Rule.DUPLICATE),
        (4, "id", Rule.EMPTY),
        (4, "extra", Rule.MISSING_COLUMN),
        (5, None, Rule.UNKNOWN_COLUMN),
        (6, None, Rule.EMPTY),
        (7, "id", Rule.DUPLICATE),
        (7, None, Rule.DUPLICATE),
        (8, "email", Rule.ENCODING),
    ]
    assert columns[2] == Column("extra", ColumnType.STRING, inferred=True)


def test_report_lists_the_first_findings_and_counts_all() -> None:
    builder = ReportBuilder(limit=3)
    builder.add(Finding(n, "c", Rule.TYPE, "bad") for n in range(1, 6))
    builder.add([Finding(9, None, Rule.EMPTY, "empty")])
    report = builder.build()
    assert [f.row for f in report.findings] == [1, 2, 3]
    assert report.summary == {"empty": 1, "type": 5}
    assert report.truncated


def test_inference_takes_the_best_fitting_type() -> None:
    def infer(values: list[str]) -> ColumnType:
        tally = TypeTally()
        for value in values:
            tally.add(value)
        return tally.inferred()

    assert infer(["1", "2", ""]) is ColumnType.INTEGER
    assert infer(["1", "2.5"] * 10) is ColumnType.NUMBER
    assert infer(["0", "1"]) is ColumnType.INTEGER  # integer before boolean on a tie
    assert infer(["yes", "no"]) is ColumnType.BOOLEAN
    assert infer(["2024-01-01"] * 19 + ["n/a"]) is ColumnType.DATE  # 95 % fit
    assert infer(["2024-01-01"] * 8 + ["n/a"] * 2) is ColumnType.STRING  # 80 % do not
    assert infer(["", " "]) is ColumnType.STRING


def test_a_column_is_mostly_filled_from_90_percent_of_its_cells() -> None:
    def tally(filled: int, empty: int) -> TypeTally:
        counted = TypeTally()
        for value in ["x"] * filled + [""] * empty:
            counted.add(value)
        return counted

    assert tally(9, 1).mostly_filled() and tally(10, 0).mostly_filled()
    assert not tally(8, 1).mostly_filled()  # 89 %
    assert not TypeTally().mostly_filled()
    columns = plan_columns(["name", "note"], None, [tally(9, 1), tally(8, 2)])
    assert columns[0] == Column("name", ColumnType.STRING, required=True, inferred=True)
    assert columns[1] == Column("note", ColumnType.STRING, inferred=True)
    found = validate_rows(columns, [["a", "b"], ["", ""], ["", "c"], ["d", ""]])
    assert [(f.row, f.column, f.rule) for f in found] == [
        (2, None, Rule.EMPTY),  # the row
        (3, "name", Rule.EMPTY),
    ]


def test_encoding_findings() -> None:
    assert encoding_problem("plain") is None
    assert encoding_problem("naïve café 東京") is None
    assert encoding_problem("bell\x07")
    assert encoding_problem("Ã©t")
    assert encoding_problem("â€™quoted") is not None  # cp1252 mojibake of U+2019
    assert encoding_problem("broken \ufffd")
    assert encoding_problem("tab\there, new\nline, cr\r") is None


@given(st.text(max_size=30))
def test_neutralize_is_lossless_and_never_starts_a_formula(cell: str) -> None:
    out = neutralize(cell)
    assert out in (cell, "'" + cell)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_neutralize_examples() -> None:
    assert neutralize("=SUM(A1:A2)") == "'=SUM(A1:A2)"
    assert neutralize("@cmd") == "'@cmd"
    assert neutralize("\t=1") == "'\t=1"
    assert neutralize("+1 555 0100") == "'+1 555 0100"
    assert neutralize("-12.5") == "'-12.5"  # literally: numbers too
    assert neutralize("a=b") == "a=b"


cell_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda width: st.lists(
            st.lists(cell_text, min_size=width, max_size=width), min_size=2, max_size=12
        )
    ),
    st.sampled_from([",", ";", "\t", "|"]),
    st.booleans(),
)
def test_csv_round_trip(table: list[list[str]], delimiter: str, bom: bool) -> None:
    """Whatever the csv module writes (any text, quotes, newlines in cells) reads back as
    given, row for row (csv writes a row of one empty cell as "", not as a blank line)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(table)
    # A file that starts with U+FEFF starts with a byte-order mark, by definition: a first
    # cell that starts with one round-trips only behind a real mark.
    assume(bom or not out.getvalue().startswith("\ufeff"))
    data = ("\ufeff" if bom else "") + out.getvalue()
    stream = io.BytesIO(data.encode("utf-8"))
    records = list(read_records(stream, delimiter, LIMITS))
    assert records == table


plain = st.text(alphabet="abcXYZ019 .", max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=2, max_value=6).flatmap(
        lambda width: st.lists(st.lists(plain, min_size=width, max_size=width), min_size=1)
    ),
    st.sampled_from([",", ";", "\t", "|"]),
)
def test_detects_the_delimiter_of_a_regular_table(table: list[list[str]], delimiter: str) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(table)
    assert detect_delimiter(io.BytesIO(out.getvalue().encode())) == delimiter


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", " a", "", "d"]), min_size=1, max_size=30))
def test_unique_column_reports_each_repeat_once(values: list[str]) -> None:
    columns = [Column("k", ColumnType.STRING, unique=True), Column("n", ColumnType.INTEGER)]
    table = [[value, str(n)] for n, value in enumerate(values, 1)]
    found = [f for f in validate_rows(columns, table) if f.rule is Rule.DUPLICATE]
    keys = [v.strip() for v in values if v.strip()]
    assert len(found) == len(keys) - len(set(keys))
    assert all(f.column == "k" for f in found)  # the row numbers differ: no whole-row repeat


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", ""]), max_size=2))))
def test_digest_log_finds_the_first_of_each_repeat(keys: list[list[str] | None]) -> None:
    log = DigestLog()
    for key in keys:
        log.add(key)
    expected: dict[int, int] = {}
    first_seen: dict[tuple[str, ...], int] = {}
    for row, key in enumerate(keys, 1):
        if key is None:
            continue
        first = first_seen.setdefault(tuple(key), row)
        if first != row:
            expected[row] = first
    assert log.repeats() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["1", "x", "", "2024-01-01"]), max_size=4), max_size=20))
def test_findings_point_inside_the_table(rows: list[list[str]]) -> None:
    columns = [Column(name, ColumnType.INTEGER, required=True) for name in ("a", "b", "c")]
    validator = RowValidator(columns)
    for number, cells in enumerate(rows, 1):
        findings = validator.check(number, cells)
        assert all(f.row == number for f in findings)
        assert all(f.column in (None, "a", "b", "c") for f in findings)
        counts = Counter(f.rule for f in findings)
        if not any(c.strip() for c in cells):
            assert findings == [Finding(number, None, Rule.EMPTY, "The row is empty.")]
        else:
            assert counts[Rule.MISSING_COLUMN] == max(0, 3 - len(cells))
            assert counts[Rule.TYPE] == sum(1 for c in cells[:3] if c.strip() and c != "1")


# -- the reader's refusals -----------------------------------------------------------------


def read_all(data: bytes, limits: CsvLimits = LIMITS, delimiter: str = ",") -> list[list[str]]:
    return list(read_records(io.BytesIO(data), delimiter, limits))


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (b"a,b\n1,\xff\n", InvalidInput, "not_utf8"),
        ("a,b\n1,2\n".encode("utf-16"), InvalidInput, "not_utf8"),
        (b"a,b\n1,\x002\n", InvalidInput, "nul_byte"),
        (b'a,b\n1,"2\n', InvalidInput, "malformed_csv"),
        (b'a,b\n1,"2"x\n', InvalidInput, "malformed_csv"),
        (b"a,b\n1," + b"x" * 1001 + b"\n", TooLarge, "field_too_large"),
        (b",".join([b"c"] * 21) + b"\n", TooLarge, "too_many_columns"),
        (b"a,b,c,d\n" + b",".join([b"x" * 1000] * 4) + b"\n", TooLarge, "row_too_large"),
        (b"a\n" + b"1\n" * 1001, TooLarge, "too_many_rows"),
    ],
)
def test_unusable_files(data: bytes, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as caught:
        read_all(data)
    assert getattr(caught.value, "code", None) == code


def test_field_over_the_csv_modules_own_limit() -> None:
    limits = CsvLimits(max_rows=10, max_columns=5)  # the default: csv.field_size_limit()
    assert limits.max_field_chars == csv.field_size_limit()
    with pytest.raises(TooLarge) as caught:
        read_all(b'a\n"' + b"x" * (csv.field_size_limit() + 1) + b'"\n', limits)
    assert caught.value.code == "field_too_large"


def test_bom_blank_lines_and_crlf() -> None:
    assert read_all(b"\xef\xbb\xbfa;b\r\n\r\n1;2\r\n\n", delimiter=";") == [["a", "b"], ["1", "2"]]
    assert read_all(b"a,b\r1,2\r") == [["a", "b"], ["1", "2"]]


def test_detects_the_delimiter() -> None:
    assert detect_delimiter(io.BytesIO(b"a;b;c\n1;2,5;3\n4;5;6\n")) == ";"
    assert detect_delimiter(io.BytesIO(b"a\tb\n1\t2\n")) == "\t"
    assert detect_delimiter(io.BytesIO(b"a|b|c\n1|2|3\n")) == "|"
    assert detect_delimiter(io.BytesIO(b"a,b\n1,2\n")) == ","
    assert detect_delimiter(io.BytesIO(b"single\n1\n")) == ","
    assert parse_delimiter("tab") == "\t" and parse_delimiter(";") == ";"
    assert parse_delimiter(None) is None
    with pytest.raises(InvalidInput):
        parse_delimiter(":")


def test_at_most_ten_unique_columns() -> None:
    many = {str(i): {"type": "string", "unique": True} for i in range(11)}
    with pytest.raises(InvalidInput) as caught:
        parse_schema(many, max_columns=20)
    assert caught.value.errors[-1].message == "At most 10 columns may be unique."
    del many["0"]
    assert len(parse_schema(many, max_columns=20)) == 10


# -- CSV ----------------------------------------------------------------------------------

ANY_BYTES_LIMITS = CsvLimits(max_rows=50, max_columns=8, max_field_chars=200, max_row_bytes=600)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from([",", ";", "\t", "|", None]))
@example(b"\xef\xbb\xbf", None)
@example(b'"', ",")
@example(b"\x00", ",")
@example(b"\r\r\n\n", None)
@example("a\u2028b,c\n".encode(), None)
def test_any_bytes_are_rows_or_a_refusal_with_a_code(data: bytes, delimiter: str | None) -> None:
    stream = io.BytesIO(data)
    # moved here from tests/unit/test_properties.py
    rows: list[list[str]] = []
    error: DomainError | None = None
    try:
        rows = list(read_records(stream, delimiter or detect_delimiter(stream), ANY_BYTES_LIMITS))
    except DomainError as refused:
        error = refused
    if error is not None:
        assert isinstance(error, InvalidInput | TooLarge)
        assert re.fullmatch(r"[a-z0-9_]+", error.code)
    else:
        assert len(rows) <= ANY_BYTES_LIMITS.max_rows + 1
        assert all(len(row) <= ANY_BYTES_LIMITS.max_columns for row in rows)
        assert all(isinstance(cell, str) and "\x00" not in cell for row in rows for cell in row)
