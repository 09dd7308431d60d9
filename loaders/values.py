"""Pure cell-value parsers of template-v1.md "Value rules": each returns the coerced value or raises ValueProblem.

The reader hands over python values (float, int, bool, str, date, datetime); people also type numbers and
dates as text, Vietnamese style ("1.234" is one thousand two hundred thirty-four, "03/04/2024" is 3 April).
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from functools import lru_cache
from typing import Any, Callable

from core.text import fmt_number
from loaders.elements import ELEMENT_INTEGER_MAX
from loaders.normalize import Matcher, fold, keys
from loaders.schema import ENUMS, INTEGER_MAX, Column


class ValueProblem(ValueError):
    """A cell value that does not fit its column's rule; the message is Vietnamese, shown to users."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


MSG_NOT_NUMBER = "Không phải là số"
MSG_FRACTION = "Phải là số nguyên (không có phần lẻ)"
MSG_NEGATIVE = "Không được là số âm"
MSG_TOO_LARGE = "Số quá lớn (tối đa {max}); hãy kiểm tra lại số liệu"
MSG_YESNO = "Phải là Có hoặc Không (Có, x, ✓, 1 / Không, 0, để trống)"
MSG_DATE_INVALID = "Ngày không hợp lệ"
MSG_DATE_FORMAT = "Không đọc được ngày; hãy ghi dạng dd/mm/yyyy"
MSG_CODE = "Mã chỉ gồm chữ in hoa không dấu, chữ số, dấu . _ - và dài 2–20 ký tự"
MSG_TEXT_TOO_LONG = "Nội dung quá dài ({n} ký tự, tối đa {max}); hãy tách thành nhiều dòng hoặc viết ngắn gọn hơn"

_SPACE_CHARS = re.compile(r"[\s\u00a0\u202f\u2009]+")
_DIGITS = re.compile(r"^\d+$")
_GROUPED = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")


def is_empty(value: Any) -> bool:
    """True for a cell that holds nothing: None, '' or only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- numbers
def _number_text(text: str) -> float:
    """Parse a Vietnamese/English number written as text; raise ValueProblem when it is not one."""
    s = _SPACE_CHARS.sub("", unicodedata.normalize("NFKC", text))
    neg = s.startswith("-")
    if s[:1] in "+-":
        s = s[1:]
    if not s or not re.fullmatch(r"[\d.,]+", s) or not s[0].isdigit() or not s[-1].isdigit():
        raise ValueProblem(MSG_NOT_NUMBER)
    if "." in s and "," in s:
        # both present: the last one is the decimal separator, the other groups thousands
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        grp = "," if dec == "." else "."
        whole, _, frac = s.rpartition(dec)
        if not re.fullmatch(r"\d{1,3}(?:" + re.escape(grp) + r"\d{3})*", whole) or not _DIGITS.match(frac):
            raise ValueProblem(MSG_NOT_NUMBER)
        number = float(whole.replace(grp, "") + "." + frac)
    elif "." in s or "," in s:
        sep = "." if "." in s else ","
        if s.count(sep) > 1 or _GROUPED.match(s):
            if not _GROUPED.match(s):
                raise ValueProblem(MSG_NOT_NUMBER)
            number = float(s.replace(sep, ""))
        else:
            number = float(s.replace(",", "."))
    else:
        number = float(s)
    return -number if neg else number


def _money_text(text: str) -> float:
    """Money text: a single "," is the Vietnamese decimal mark ("1250,5"); otherwise as _number_text."""
    s = _SPACE_CHARS.sub("", unicodedata.normalize("NFKC", text))
    m = re.fullmatch(r"([+-]?\d+),(\d+)", s)
    if m:
        return float(f"{m.group(1)}.{m.group(2)}")
    return _number_text(s)


def _as_number(value: Any, text_parser: Callable[[str], float]) -> float:
    if isinstance(value, bool):
        raise ValueProblem(MSG_NOT_NUMBER)
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = text_parser(value)
    else:
        raise ValueProblem(MSG_NOT_NUMBER)
    if math.isnan(number) or math.isinf(number):
        raise ValueProblem(MSG_NOT_NUMBER)
    return number


def parse_integer(value: Any, hi: int | None = None) -> int:
    """A non-negative whole count: Excel number (12.0) or text "12", " 1.234 ", "1 234", "1,234"; at most
    `hi` when given (the column's bound: a larger number cannot be stored or is a typing slip)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number: float = value
    else:
        number = _as_number(value, _number_text)
    if number != int(number):
        raise ValueProblem(MSG_FRACTION)
    if number < 0:
        raise ValueProblem(MSG_NEGATIVE)
    if hi is not None and number > hi:
        raise ValueProblem(MSG_TOO_LARGE.format(max=fmt_number(float(hi))))
    return int(number)


def parse_money(value: Any) -> float:
    """A non-negative amount (triệu đồng): "1.250,5" = 1250.5, "1.234" = 1234."""
    number = _as_number(value, _money_text)
    if number < 0:
        raise ValueProblem(MSG_NEGATIVE)
    return number + 0.0


def parse_year(value: Any, lo: int | None = 2000, hi: int | None = 2100) -> int:
    """A year as an integer within lo..hi."""
    try:
        year = parse_integer(value)
    except ValueProblem:
        raise ValueProblem(f"Năm phải là số nguyên trong khoảng {lo}–{hi}") from None
    if (lo is not None and year < lo) or (hi is not None and year > hi):
        raise ValueProblem(f"Năm phải là số nguyên trong khoảng {lo}–{hi}")
    return year


# ---------------------------------------------------------------- yes / no
_YES = {"có", "co", "x", "✓", "✔", "1", "true", "yes", "y", "đã", "da", "đúng", "rồi", "đã có"}
_NO = {"không", "khong", "", "0", "false", "no", "n", "chưa", "chua", "chưa có", "-"}


def parse_yesno(value: Any) -> bool:
    """Có/Không: "Có", "x", "✓", "1", "TRUE", "Yes", "Đã" → True; "Không", "", "0", "FALSE", "No", "Chưa" → False."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return bool(value)
        raise ValueProblem(MSG_YESNO)
    if isinstance(value, str):
        f = fold(value)
        if f in _YES:
            return True
        if f in _NO:
            return False
    raise ValueProblem(MSG_YESNO)


# ---------------------------------------------------------------- dates
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY = re.compile(r"^(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4})" + _TIME + "$")
# a plausible date: birth dates of members through report dates; "01/01/0202" is a typo, not a date
DATE_YEARS = (1900, 2100)
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$")


def _make_date(y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise ValueProblem(MSG_DATE_INVALID) from None


def parse_date(value: Any) -> dt.date:
    """A date: Excel date, Excel serial number, or text dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd."""
    d = _parse_date(value)
    if not DATE_YEARS[0] <= d.year <= DATE_YEARS[1]:
        raise ValueProblem(MSG_DATE_INVALID)
    return d


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueProblem(MSG_DATE_FORMAT)
    if isinstance(value, (int, float)):
        if math.isnan(value) or not 1 <= value < 2958466:  # 2958466 = 10000-01-01
            raise ValueProblem(MSG_DATE_INVALID)
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        s = unicodedata.normalize("NFKC", value).strip()
        m = _DMY.match(s)
        if m:
            return _make_date(int(m.group(4)), int(m.group(3)), int(m.group(1)))
        m = _YMD.match(s)
        if m:
            return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if re.fullmatch(r"\d+(?:\.0+)?", s):
            return _parse_date(float(s))
    raise ValueProblem(MSG_DATE_FORMAT)


# ---------------------------------------------------------------- codes, text
_CODE = re.compile(r"^[A-Z0-9._\-]{2,20}$")
# Characters that change how text looks or reads without being visible, so a unit or cell name could
# spoof another in the UI (docs/decisions.md): C0/C1 controls except tab and line breaks (Alt+Enter in a
# cell), bidirectional marks, embeddings, overrides (U+202E) and isolates, zero-width characters, BOM.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
MSG_INVISIBLE = "Đã bỏ ký tự điều khiển hoặc ký tự ẩn ({chars}) khỏi nội dung ô"


# `has_invisible(text)` is a match or None: the cheap test before strip_invisible, for per-cell loops
has_invisible = _INVISIBLE.search


def strip_invisible(text: str) -> tuple[str, list[str]]:
    """The text without control, bidi and zero-width characters, and the removed ones as 'U+202E' (once each)."""
    found = _INVISIBLE.findall(text)
    if not found:
        return text, []
    return _INVISIBLE.sub("", text), sorted({f"U+{ord(ch):04X}" for ch in found})


def parse_code(value: Any) -> str:
    """An identifier: uppercase ASCII letters, digits, '.', '_', '-'; 2–20 characters after trim/uppercasing."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).strip().upper()
    if not _CODE.match(text):
        raise ValueProblem(MSG_CODE)
    return text


def parse_text(value: Any) -> str:
    """NFC, trimmed text without invisible characters; formula-looking text ("=SUM(1)") is kept as text and
    never evaluated (exports neutralise it)."""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    return unicodedata.normalize("NFC", strip_invisible(str(value))[0]).strip()


_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_LINE_SPACES = re.compile(r"[ \t\u00a0]+")


def parse_long_text(value: Any, hi: int | None = None) -> str:
    """A paragraph or a few (sheet `Tình hình`): as `parse_text`, with line breaks (Alt+Enter) kept as
    paragraph breaks (\\r\\n and \\r become \\n, blank lines fold into one), spaces and tabs inside a line
    folded into one; at most `hi` characters after that (ValueProblem beyond)."""
    text = parse_text(value)
    lines = [_LINE_SPACES.sub(" ", line).strip() for line in _LINE_BREAKS.sub("\n", text).split("\n")]
    text = _BLANK_LINES.sub("\n", "\n".join(lines)).strip()
    if hi is not None and len(text) > hi:
        raise ValueProblem(MSG_TEXT_TOO_LONG.format(n=fmt_number(len(text)), max=fmt_number(hi)))
    return text


# ---------------------------------------------------------------- enumerations
@lru_cache(maxsize=None)
def enum_matcher(enum: str) -> Matcher:
    """The cached Matcher of one enumeration of schema.ENUMS."""
    return Matcher(ENUMS[enum])


def _choices(enum: str) -> str:
    labels = [labels[0] for labels in ENUMS[enum].values()]
    # labels that hold a comma themselves ("Kết quả nổi bật, cách làm hay") are listed with semicolons
    return ("; " if any("," in label for label in labels) else ", ").join(labels)


def parse_enum(value: Any, enum: str) -> str:
    """The stored ASCII code of an enumerated value, matched after normalising (aliases included)."""
    try:
        code = _enum_code(value, enum)
    except TypeError:  # an unhashable value: match it without the cache
        code = enum_matcher(enum).match(parse_text(value))
    if code is None:
        raise ValueProblem(f"Giá trị không có trong danh sách: {_choices(enum)}")
    return code


@lru_cache(maxsize=4096, typed=True)  # typed: True, 1 and 1.0 are equal keys but read differently
def _enum_code(value: Any, enum: str) -> str | None:
    """The code a cell value names in an enumeration, or None; cached because a sheet repeats a few words
    (kinds, statuses) in every row."""
    return enum_matcher(enum).match(parse_text(value))


_TRAILING_YEAR = re.compile(r"^(.*?)[\s/\-,]*(nam|năm)?\s*\d{4}$")


def parse_period(value: Any) -> str:
    """Q1..Q4 or Y; also "Năm 2024", "Quý I/2024", "Quý II năm 2024"."""
    text = parse_text(value)
    code = enum_matcher("period").match(text)
    if code:
        return code
    m = _TRAILING_YEAR.match(keys(text)[0])
    if m:
        head = m.group(1).strip()
        if not head and m.group(2):
            return "Y"
        code = enum_matcher("period").match(head) if head else None
        if code:
            return code
    raise ValueProblem(f"Giá trị không có trong danh sách: {_choices('period')}")


# ---------------------------------------------------------------- dispatch
def coerce(column: Column, value: Any) -> Any:
    """Coerce a non-empty cell to its column's declared type (raises ValueProblem)."""
    return parser_for(column)(value)


@lru_cache(maxsize=None)
def parser_for(column: Column) -> Callable[[Any], Any]:
    """The one-argument parser of a column's declared type (resolved once per column, not per cell)."""
    kind = column.type
    if kind == "year":
        return functools.partial(parse_year, lo=column.min, hi=column.max)
    if kind == "enum":
        return functools.partial(parse_enum, enum=column.enum or "")
    if kind == "integer":  # never past what its INTEGER column holds
        return functools.partial(parse_integer, hi=min(column.max or INTEGER_MAX, INTEGER_MAX))
    if kind == "longtext":
        return functools.partial(parse_long_text, hi=column.max)
    return _PARSERS_BY_TYPE.get(kind, parse_text)


_PARSERS_BY_TYPE: dict[str, Callable[[Any], Any]] = {
    "money": parse_money,
    "yesno": parse_yesno,
    "date": parse_date,
    "code": parse_code,
    "period": parse_period,
}


ELEMENT_PARSERS: dict[str, Callable[[Any], Any]] = {
    "integer": functools.partial(parse_integer, hi=ELEMENT_INTEGER_MAX),
    "money": parse_money,
    "yesno": parse_yesno,
}
