"""The one text formatter: how every number, percentage, target, status, date and period reads, in Vietnamese.

Pages, charts, exports and the command line all write figures through these functions, so "87,5%",
"1.234 người", "≥ 85%" and "03/04/2024" look the same wherever the leadership reads them.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

# status code -> (label, icon); the icon carries the meaning too, not colour alone. Plain Unicode
# symbols (not emoji): they render in charts, tables and slides on machines without an emoji font.
STATUS: dict[str, tuple[str, str]] = {
    "met": ("Đạt", "✓"),
    "exceeded": ("Vượt", "▲"),
    "not_met": ("Chưa đạt", "✗"),
    "in_progress": ("Đang thực hiện", "◐"),  # an annual target before the year is over (indicators v1.1)
    "no_data": ("Không có dữ liệu", "○"),
    "no_target": ("Không đặt chỉ tiêu", "–"),
}
STATUS_ORDER = ("not_met", "in_progress", "met", "exceeded", "no_data", "no_target")
JUDGED = ("met", "exceeded", "not_met", "in_progress")  # statuses that judge a figure against its target
REACHED = ("met", "exceeded")  # statuses of a target reached

QUARTER_LABELS = {None: "Cả năm", 1: "Quý I", 2: "Quý II", 3: "Quý III", 4: "Quý IV"}
PERIOD_LABELS = {"Q1": "Quý I", "Q2": "Quý II", "Q3": "Quý III", "Q4": "Quý IV", "Y": "Năm"}
# "=" is not written: "100%" reads as the target, and a leading "=" would be a formula in a spreadsheet
OP_SYMBOLS = {">": "> ", ">=": "≥ ", "=": "", "<=": "≤ ", "<": "< "}
MISSING = "—"


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas NA/NaT."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError, ImportError):  # list-like values are not "missing"
        return False


def fmt_number(value: Any, decimals: int = 0) -> str:
    """A number in Vietnamese style: '.' thousands, ',' decimals (1.234,5); '—' when missing."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_auto(value: Any) -> str:
    """A whole number without decimals, anything fractional with one decimal."""
    if is_missing(value):
        return MISSING
    v = float(value)
    return fmt_number(v, 0 if v.is_integer() else 1)


def fmt_percent(value: Any, decimals: int = 1) -> str:
    """A percentage 0–100 as '87,5%'; rounding is for display only."""
    return MISSING if is_missing(value) else f"{fmt_number(value, decimals)}%"


def fmt_value(value: Any, unit: str | None) -> str:
    """An indicator value with its unit ('87,5%', '6 người')."""
    if is_missing(value):
        return MISSING
    if unit == "%":
        return fmt_percent(value)
    return f"{fmt_auto(value)} {unit}".strip() if unit else fmt_auto(value)


def fmt_target(target: dict | None, unit: str | None = None) -> str:
    """A target as people read it: '100%', '> 80%', '≥ 85%', '5–10 người'; '—' when there is none."""
    if not target or not target.get("op"):
        return MISSING
    suffix = "%" if unit == "%" else (f" {unit}" if unit else "")
    if target["op"] == "range":
        return f"{fmt_auto(target.get('min'))}–{fmt_auto(target.get('max'))}{suffix}"
    return f"{OP_SYMBOLS.get(target['op'], target['op'] + ' ')}{fmt_auto(target.get('value'))}{suffix}"


def status_label(status: str | None) -> str:
    """The Vietnamese label of a status code, without icon."""
    return STATUS.get(status or "", (status or MISSING, ""))[0]


def fmt_status(status: str | None) -> str:
    """Icon and Vietnamese label of a status code ('✓ Đạt')."""
    label, icon = STATUS.get(status or "", (status or MISSING, ""))
    return f"{icon} {label}".strip()


def as_date(value: Any) -> dt.date | None:
    """A date from a date, a date-time or an ISO text; None when it is none of them."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def fmt_date(value: Any) -> str:
    """A date as dd/mm/yyyy ('—' when missing; other text as it is)."""
    if is_missing(value):
        return MISSING
    day = as_date(value)
    return day.strftime("%d/%m/%Y") if day else str(value)


def fmt_datetime(value: Any) -> str:
    """A date-time as dd/mm/yyyy HH:MM (a date, or midnight, as dd/mm/yyyy)."""
    if is_missing(value):
        return MISSING
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y" if value.time() == dt.time(0) else "%d/%m/%Y %H:%M")
    return fmt_date(value)


def date_line(place: str, day: dt.date) -> str:
    """The date line of a Party document: 'Thái Bình, ngày 03 tháng 10 năm 2024' (day and month below 10
    with a leading zero, as Party documents write them); without a place, 'Ngày 03 tháng 10 năm 2024'."""
    text = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


def fmt_wait(seconds: float) -> str:
    """A waiting time as people say it: '45 giây', '3 phút' (minutes rounded up)."""
    secs = max(1, math.ceil(seconds))
    return f"{secs} giây" if secs < 60 else f"{math.ceil(secs / 60)} phút"


def window_label(year: int, quarter: int | None) -> str:
    """'năm 2024' or 'lũy kế đến Quý II/2024'."""
    return f"năm {year}" if quarter is None else f"lũy kế đến {QUARTER_LABELS[quarter]}/{year}"


def yes_no(value: Any) -> str:
    """'Có', 'Không', or '—' when unknown."""
    return "Có" if value is True else "Không" if value is False else MISSING


def fmt_period(period: str, year: int) -> str:
    """A reporting period of a year as people write it: 'Quý I/2025', or 'năm 2025' for the annual report."""
    return f"năm {year}" if period == "Y" else f"{PERIOD_LABELS.get(period, period)}/{year}"
