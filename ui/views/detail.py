"""Drill-down tables and the limits of per-unit charts: items behind an indicator in plain words.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from core.text import (PERIOD_LABELS, STATUS, fmt_auto, fmt_datetime, fmt_percent, fmt_status, is_missing as _missing,
                       yes_no)
from loaders.schema import ENUMS
from metrics.indicators import INDICATORS_BY_ID, drill_words


DRILL_COLUMNS = {
    "unit_code": "Mã đơn vị", "unit_name": "Đơn vị", "cell_code": "Mã chi bộ", "cell_name": "Chi bộ",
    "cell_kind": "Loại chi bộ", "rating": "Xếp loại", "full_name": "Họ và tên", "level": "Trình độ",
    "year_sent": "Năm cử đi học", "petition_no": "Số hiệu đơn", "kind": "Loại", "received_date": "Ngày nhận",
    "deadline": "Hạn giải quyết", "resolved_date": "Ngày giải quyết xong", "meeting_date": "Ngày sinh hoạt",
    "period": "Kỳ", "value": "Kết quả", "numerator": "Tử số", "denominator": "Mẫu số", "meets": "Đạt",
    "met": "Đạt", "status": "Trạng thái", "file_name": "Tệp báo cáo", "version": "Phiên bản",
    "uploader": "Người nộp", "received_at": "Thời điểm nhận", "item": "Mục", "label": "Nội dung",
    "figure": "Số liệu", "members": "Số đảng viên", "topic": "Chủ đề", "over_level": "Vượt cấp",
    "in_competence": "Thuộc thẩm quyền",
}


_ENUM_COLUMNS = {"kind", "status", "level", "cell_kind", "rating"}


_NUMBERS = {"figure", "numerator", "denominator", "value"}


_HIDDEN = {"submission_id", "name_key", "petition_key", "birth_date"}  # internal ids and personal data


def drilldown_table(detail: pd.DataFrame, unit_names: dict[str, str] | None = None,
                    personal: bool = False, indicator_id: str | None = None) -> pd.DataFrame:
    """metrics.engine.drilldown output for display: Vietnamese headers, numbers 1.234,5, dates and yes/no
    readable; the item's own figures named in plain words for the indicator (metrics.indicators.drill_words),
    days with their unit. `personal`: the items are persons — names and birth dates are left out."""
    if detail is None or detail.empty:
        return pd.DataFrame()
    ind = INDICATORS_BY_ID.get(indicator_id or "")
    words = drill_words(ind) if ind else {}
    hidden = _HIDDEN | ({"item", "label", "full_name"} if personal else set())
    hidden |= {col for col, word in words.items() if word is None}
    df = detail.drop(columns=[c for c in detail.columns if c in hidden])
    if "unit_name" not in df.columns and "unit_code" in df.columns and unit_names:
        df.insert(df.columns.get_loc("unit_code") + 1, "unit_name", [unit_names.get(c, c) for c in df["unit_code"]])
    out = pd.DataFrame(index=range(len(df)))
    for col in df.columns:
        values = df[col].tolist()
        if col in ("meets", "met"):
            values = ["✓ Đạt" if v is True else "✗ Chưa đạt" if v is False else "—" for v in values]
        elif col in _ENUM_COLUMNS:
            values = _map_distinct(values, _code_text)
        elif any(isinstance(v, bool) for v in values) and all(isinstance(v, bool) or _missing(v) for v in values):
            values = [yes_no(v) for v in values]
        elif col == "period":
            values = [PERIOD_LABELS.get(v, v) for v in values]
        elif col == "value" and ind is not None:
            values = _map_distinct(values, _VALUE_TEXT.get(ind.kind, fmt_auto))
        elif col in _NUMBERS:
            values = _map_distinct(values, fmt_auto)
        elif col in ("received_at", "received_date", "deadline", "resolved_date", "meeting_date"):
            values = _map_distinct(values, fmt_datetime)
        out[words.get(col) or DRILL_COLUMNS.get(col, col)] = values
    return out


def _days(v: Any) -> str:
    """'12 ngày'."""
    return "—" if _missing(v) else f"{fmt_auto(v)} ngày"


def _against_deadline(v: Any) -> str:
    """A report's first receipt against its deadline: 'muộn 3 ngày', 'trước hạn 5 ngày', 'đúng ngày hạn'."""
    if _missing(v):
        return "chưa nộp"
    days = int(v)
    return "đúng ngày hạn" if days == 0 else f"muộn {days} ngày" if days > 0 else f"trước hạn {-days} ngày"


# an item's own figure, by kind: a rate for the sum ratios, days for petitions and reports, else a number
_VALUE_TEXT: dict[str, Callable[[Any], str]] = {
    "unit_sum_ratio": fmt_percent, "cell_sum_ratio": fmt_percent, "meeting_ratio": fmt_percent,
    "petition_ratio": _days, "report_ratio": _against_deadline}


def _map_distinct(values: list, fn: Callable[[Any], Any]) -> list:
    """[fn(v) for v in values], calling fn once per distinct value: a national drill-down has ~50 000 rows
    but few distinct figures, codes and dates, and formatting each one was most of the page's time."""
    done: dict = {}
    out = []
    for v in values:
        try:
            r = done[v]
        except KeyError:
            r = done[v] = fn(v)
        except TypeError:  # unhashable: format it directly
            r = fn(v)
        out.append(r)
    return out


def _code_text(v: Any) -> Any:
    """A stored code as its Vietnamese label: indicator statuses, then the workbook's enumerations."""
    if _missing(v):
        return "—"
    if v in STATUS:
        return fmt_status(v)
    for members in ENUMS.values():
        if v in members:
            return members[v][0]
    return v


MAX_CHART_ROWS = 40  # beyond this a per-unit chart is unreadable on a projector


def top_bottom(df: pd.DataFrame, limit: int = MAX_CHART_ROWS) -> pd.DataFrame:
    """The first and last limit/2 rows of a ranked table (all rows when it is short)."""
    if len(df) <= limit:
        return df
    half = limit // 2
    return pd.concat([df.head(half), df.tail(half)])


def top_units(df: pd.DataFrame, unit_col: str, value_col: str, limit: int = MAX_CHART_ROWS) -> pd.DataFrame:
    """Rows of the `limit` units with the largest total of value_col (a long table with one row per part)."""
    totals = df.groupby(unit_col)[value_col].sum()
    if len(totals) <= limit:
        return df
    keep = totals.sort_values(ascending=False, kind="stable").index[:limit]
    return df[df[unit_col].isin(keep)]

