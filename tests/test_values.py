"""Value rules of template-v1.md: every parser, example by example, plus property tests."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from loaders import values as V
from loaders.schema import Column


def problem(fn, value, *args) -> str:
    with pytest.raises(V.ValueProblem) as exc:
        fn(value, *args)
    return exc.value.message


@pytest.mark.parametrize("raw, expected", [
    (12, 12), (12.0, 12), ("12", 12), (" 1.234 ", 1234), ("1 234", 1234), ("1,234", 1234),
    ("1.234.567", 1234567), ("0", 0), ("1\u00a0234", 1234), ("+7", 7), ("12.000", 12000),
])
def test_integer_accepts(raw, expected):
    assert V.parse_integer(raw) == expected
    assert isinstance(V.parse_integer(raw), int)


@pytest.mark.parametrize("raw, message", [
    (12.5, V.MSG_FRACTION), ("12.5", V.MSG_FRACTION), ("12,5", V.MSG_FRACTION),
    (-1, V.MSG_NEGATIVE), ("-3", V.MSG_NEGATIVE),
    ("abc", V.MSG_NOT_NUMBER), ("12 người", V.MSG_NOT_NUMBER), ("1.2.3", V.MSG_NOT_NUMBER),
    (True, V.MSG_NOT_NUMBER), (dt.date(2024, 1, 1), V.MSG_NOT_NUMBER), ("1..2", V.MSG_NOT_NUMBER),
])
def test_integer_rejects(raw, message):
    assert problem(V.parse_integer, raw) == message


@pytest.mark.parametrize("raw, expected", [
    ("1.250,5", 1250.5), ("1.234", 1234.0), ("1250,5", 1250.5), (867000, 867000.0), (3.25, 3.25),
    ("1,234.5", 1234.5), ("0", 0.0), ("12.5", 12.5), ("1 250,75", 1250.75),
])
def test_money_accepts(raw, expected):
    assert V.parse_money(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw, message", [(-5, V.MSG_NEGATIVE), ("-1,5", V.MSG_NEGATIVE),
                                          ("nhiều", V.MSG_NOT_NUMBER), (False, V.MSG_NOT_NUMBER)])
def test_money_rejects(raw, message):
    assert problem(V.parse_money, raw) == message


@pytest.mark.parametrize("raw", ["Có", "có", "CO", "x", "X", "✓", "1", 1, 1.0, "TRUE", True, "Yes", "Đã", "đã"])
def test_yes(raw):
    assert V.parse_yesno(raw) is True


@pytest.mark.parametrize("raw", ["Không", "khong", "", "0", 0, "FALSE", False, "No", "Chưa", None, "  "])
def test_no(raw):
    assert V.parse_yesno(raw) is False


@pytest.mark.parametrize("raw", ["Có lẽ", "2", 2, "abc", dt.date(2024, 1, 1)])
def test_yesno_rejects(raw):
    assert problem(V.parse_yesno, raw) == V.MSG_YESNO


@pytest.mark.parametrize("raw, expected", [
    (dt.datetime(2024, 4, 3, 0, 0), dt.date(2024, 4, 3)), (dt.date(2024, 4, 3), dt.date(2024, 4, 3)),
    (45385, dt.date(2024, 4, 3)), (45385.75, dt.date(2024, 4, 3)),
    ("03/04/2024", dt.date(2024, 4, 3)), ("3/4/2024", dt.date(2024, 4, 3)), ("03-04-2024", dt.date(2024, 4, 3)),
    ("03.04.2024", dt.date(2024, 4, 3)), ("2024-04-03", dt.date(2024, 4, 3)), (" 29/02/2024 ", dt.date(2024, 2, 29)),
    ("2024-04-03 00:00:00", dt.date(2024, 4, 3)), ("03/04/2024 10:30", dt.date(2024, 4, 3)),
])
def test_date_accepts_day_first(raw, expected):
    assert V.parse_date(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ("31/02/2024", V.MSG_DATE_INVALID), ("29/02/2023", V.MSG_DATE_INVALID), ("2024-13-01", V.MSG_DATE_INVALID),
    ("13/13/2024", V.MSG_DATE_INVALID), (-3, V.MSG_DATE_INVALID), ("01/01/0202", V.MSG_DATE_INVALID),
    (dt.date(1850, 1, 1), V.MSG_DATE_INVALID), (3_000_000, V.MSG_DATE_INVALID),
    ("hôm qua", V.MSG_DATE_FORMAT), ("03/04/24", V.MSG_DATE_FORMAT), (True, V.MSG_DATE_FORMAT),
])
def test_date_rejects(raw, message):
    assert problem(V.parse_date, raw) == message


@pytest.mark.parametrize("raw, expected", [(" db01 ", "DB01"), ("DB01-CB1", "DB01-CB1"), ("a.b_c", "A.B_C"),
                                           (12.0, "12"), ("AB", "AB"), ("X" * 20, "X" * 20)])
def test_code_accepts(raw, expected):
    assert V.parse_code(raw) == expected


@pytest.mark.parametrize("raw", ["A", "X" * 21, "DB 01", "ĐB01", "DB/01", ""])
def test_code_rejects(raw):
    assert problem(V.parse_code, raw) == V.MSG_CODE


@pytest.mark.parametrize("raw, expected", [
    ("Quý I", "Q1"), ("quy 1", "Q1"), ("Q1", "Q1"), ("I", "Q1"), ("QUÝ II", "Q2"), ("Quý 3", "Q3"),
    ("Quý IV", "Q4"), ("Năm", "Y"), ("Cả năm", "Y"), ("Năm 2024", "Y"), ("nam 2024", "Y"),
    ("Quý I/2024", "Q1"), ("Quý II năm 2024", "Q2"), ("Qu\u0079\u0301 I", "Q1"),
])
def test_period(raw, expected):
    assert V.parse_period(raw) == expected


def test_period_rejects_unknown():
    assert problem(V.parse_period, "Quý V").startswith("Giá trị không có trong danh sách: Quý I, Quý II")


@pytest.mark.parametrize("enum, raw, expected", [
    ("rating", "HTXSNV", "HTXSNV"), ("rating", "xuất sắc", "HTXSNV"), ("rating", "Hoàn thành tốt nhiệm vụ", "HTTNV"),
    ("meeting_kind", "Thường kỳ", "DINH_KY"), ("petition_kind", "Phản ánh", "KIEN_NGHI"),
    ("petition_status", "chuyen don", "CHUYEN_DON"), ("unit_kind", "CHI BO CO SO", "CBCS"),
    ("training_level", "Cao  cấp", "CAO_CAP"),
])
def test_enum_matches_after_normalising(enum, raw, expected):
    assert V.parse_enum(raw, enum) == expected


def test_enum_rejects_with_choices():
    assert problem(V.parse_enum, "Trung bình", "rating") == (
        "Giá trị không có trong danh sách: Hoàn thành xuất sắc nhiệm vụ, Hoàn thành tốt nhiệm vụ, "
        "Hoàn thành nhiệm vụ, Không hoàn thành nhiệm vụ")


@pytest.mark.parametrize("raw, expected", [(" =SUM(1) ", "=SUM(1)"), ("+84 912", "+84 912"), ("@x", "@x"),
                                           ("Nguye\u0302\u0303n", "Nguyễn"), (12.0, "12"),
                                           (dt.datetime(2024, 4, 3), "03/04/2024")])
def test_text_is_nfc_trimmed_and_never_evaluated(raw, expected):
    assert V.parse_text(raw) == expected


@pytest.mark.parametrize("raw, lo, hi, ok", [(2024, 2000, 2100, True), ("2024", 2000, 2100, True),
                                             (1999, 2000, 2100, False), (2101, 2000, 2100, False)])
def test_year_range(raw, lo, hi, ok):
    if ok:
        assert V.parse_year(raw, lo, hi) == 2024
    else:
        assert problem(V.parse_year, raw, lo, hi) == "Năm phải là số nguyên trong khoảng 2000–2100"


def test_coerce_dispatches_on_declared_type():
    assert V.coerce(Column("a", "A", "integer"), "1.234") == 1234
    assert V.coerce(Column("a", "A", "enum", enum="rating"), "Tốt") == "HTTNV"
    assert V.coerce(Column("a", "A", "year", min=2000, max=2100), 2030.0) == 2030
    assert V.coerce(Column("a", "A", "text"), " x ") == "x"


# ---------------------------------------------------------------- properties
def _dots(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_with_dots_round_trip(n):
    assert V.parse_integer(_dots(n)) == n
    assert V.parse_integer(f"{n:,}") == n
    assert V.parse_integer(f"{n:,}".replace(",", " ")) == n
    assert V.parse_money(_dots(n)) == n


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_money_vietnamese_decimal_round_trip(n, cents):
    text = f"{_dots(n)},{cents:02d}"
    assert V.parse_money(text) == pytest.approx(n + cents / 100)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31)))
def test_dates_round_trip_in_every_text_form(d):
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        assert V.parse_date(d.strftime(fmt)) == d
    assert V.parse_date(f"{d.day}/{d.month}/{d.year}") == d
    serial = (d - dt.date(1899, 12, 30)).days
    assert V.parse_date(serial) == d


ANY_CELL = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.dates(), st.datetimes(), st.text(alphabet="0123456789.,- /", max_size=15),
)


@given(ANY_CELL)
def test_parsers_raise_only_value_problem(value):
    parsers = [V.parse_integer, V.parse_money, V.parse_yesno, V.parse_date, V.parse_code, V.parse_text,
               V.parse_period, lambda v: V.parse_enum(v, "rating"), lambda v: V.parse_year(v, 2000, 2100)]
    for fn in parsers:
        try:
            fn(value)
        except V.ValueProblem as exc:
            assert exc.message and isinstance(exc.message, str)


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["5", "25", "125", "5,5", "0,5"]))
def test_integer_never_silently_drops_a_fraction(n, frac):
    text = f"{n}.{frac}" if "," not in frac else f"{n},{frac.replace(',', '')}"
    try:
        value = V.parse_integer(text)
    except V.ValueProblem as exc:
        assert exc.message == V.MSG_FRACTION
    else:
        # only a 3-digit group after the separator is a thousands group
        assert len(frac.replace(",", "")) == 3 and value == int(f"{n}{frac}")
