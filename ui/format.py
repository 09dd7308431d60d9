"""Vietnamese display formats: 1.234,5 numbers, percentages, targets, statuses, dates."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

# status code -> (label, icon); the icon carries the meaning too, not colour alone. Plain Unicode
# symbols (not emoji): they render in charts and tables on machines without an emoji font.
STATUS = {
    "met": ("Đạt", "✓"),
    "exceeded": ("Vượt", "▲"),
    "not_met": ("Chưa đạt", "✗"),
    "no_data": ("Không có dữ liệu", "○"),
    "no_target": ("Không đặt chỉ tiêu", "–"),
}
STATUS_ORDER = ("not_met", "met", "exceeded", "no_data", "no_target")

# Okabe–Ito (colour-blind safe): blue = đạt, orange = chưa đạt, bluish green = vượt
COLORS = {
    "met": "#0072B2",
    "exceeded": "#009E73",
    "not_met": "#E69F00",
    "no_data": "#BBBBBB",
    "no_target": "#999999",
}
TARGET_COLOR = "#D55E00"
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

QUARTER_LABELS = {None: "Cả năm", 1: "Quý I", 2: "Quý II", 3: "Quý III", 4: "Quý IV"}
PERIOD_LABELS = {"Q1": "Quý I", "Q2": "Quý II", "Q3": "Quý III", "Q4": "Quý IV", "Y": "Năm"}
OPS = {">": ">", ">=": "≥", "=": "=", "<=": "≤", "<": "<"}


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas NA."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not "missing"
        return False


def fmt_number(value: Any, decimals: int = 0) -> str:
    """A number in Vietnamese style: '.' thousands, ',' decimals (1.234,5); '—' when missing."""
    if is_missing(value):
        return "—"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_auto(value: Any) -> str:
    """A count without decimals, anything fractional with one decimal."""
    if is_missing(value):
        return "—"
    v = float(value)
    return fmt_number(v, 0 if v.is_integer() else 1)


def fmt_percent(value: Any, decimals: int = 1) -> str:
    """A percentage 0–100 as '87,5%'; rounding is for display only."""
    return "—" if is_missing(value) else f"{fmt_number(value, decimals)}%"


def fmt_value(value: Any, unit: str | None) -> str:
    """An indicator value with its unit ('87,5%', '6 người')."""
    if is_missing(value):
        return "—"
    if unit == "%":
        return fmt_percent(value)
    return f"{fmt_auto(value)} {unit}".strip() if unit else fmt_auto(value)


def fmt_target(target: dict | None, unit: str | None = None) -> str:
    """A target as people read it: '= 100%', '≥ 85%', '5–10 người', '—' when there is none."""
    if not target:
        return "—"
    suffix = "%" if unit == "%" else (f" {unit}" if unit else "")
    if target.get("op") == "range":
        return f"{fmt_auto(target.get('min'))}–{fmt_auto(target.get('max'))}{suffix}"
    op = OPS.get(target.get("op"), target.get("op") or "")
    return f"{op} {fmt_auto(target.get('value'))}{suffix}"


def fmt_status(status: str | None) -> str:
    """Icon and Vietnamese label of a status code ('✅ Đạt')."""
    label, icon = STATUS.get(status or "", (status or "—", ""))
    return f"{icon} {label}".strip()


def status_label(status: str | None) -> str:
    """The Vietnamese label of a status code without icon."""
    return STATUS.get(status or "", (status or "—", ""))[0]


def fmt_datetime(value: Any) -> str:
    """A date-time as dd/mm/yyyy HH:MM (a date as dd/mm/yyyy)."""
    if is_missing(value):
        return "—"
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y" if value.time() == dt.time(0) else "%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def window_label(year: int, quarter: int | None) -> str:
    """'năm 2024' or 'lũy kế Quý II/2024'."""
    return f"năm {year}" if quarter is None else f"lũy kế đến {QUARTER_LABELS[quarter]}/{year}"
