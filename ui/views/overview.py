"""The overview page (Tổng quan): the scorecard's headline, its table and the status of targets over the years.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import pandas as pd

from core.text import JUDGED, fmt_status, fmt_target, fmt_value, status_label
from metrics.indicators import short_code
from ui.views.scorecard import behind_text, status_counts


def scorecard_headline(rows: list[dict], window: str) -> str:
    """The message of the scorecard: '3/24 chỉ tiêu chưa đạt năm 2024'."""
    counts = status_counts(rows)
    judged = sum(counts[s] for s in JUDGED)
    going = f", {counts['in_progress']} đang thực hiện" if counts["in_progress"] else ""
    if judged == 0:
        return f"Chưa có chỉ tiêu nào đủ dữ liệu để đánh giá {window}"
    if counts["not_met"] == 0:
        if counts["in_progress"]:
            return f"Không chỉ tiêu nào chưa đạt {window}{going}"
        return f"Tất cả {judged} chỉ tiêu có dữ liệu đều đạt {window}"
    return f"{counts['not_met']}/{judged} chỉ tiêu chưa đạt {window}{going}"


def counts_title(counts: dict[str, int]) -> str:
    """'Đạt 10 · Vượt 1 · Chưa đạt 14' (statuses with at least one indicator)."""
    parts = [f"{status_label(s)} {n}" for s, n in counts.items() if n and s in JUDGED]
    return " · ".join(parts) or "Chưa có chỉ tiêu nào được đánh giá"


def scorecard_table(rows: list[dict], unit_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The scorecard as a display table (Vietnamese headers, formatted values, status with icon)."""
    unit_names = unit_names or {}
    return pd.DataFrame(
        {
            "Mã": [short_code(r["id"]) for r in rows],
            "Chỉ tiêu": [r["name"] for r in rows],
            "Nhóm": [r.get("group") or "" for r in rows],
            "Kết quả": [fmt_value(r["value"], r["unit"]) for r in rows],
            "Mục tiêu": [fmt_target(r["target"], r["unit"]) for r in rows],
            "Trạng thái": [fmt_status(r["status"]) for r in rows],
            "Chưa đạt": [behind_text(r.get("behind") or [], unit_names) for r in rows],
        }
    )


def status_by_year(rows_by_year: dict[int, list[dict]]) -> pd.DataFrame:
    """Long table year, status, count (every status of every year, zeros included)."""
    records = [
        {"year": y, "status": s, "count": n}
        for y, rows in sorted(rows_by_year.items())
        for s, n in status_counts(rows).items()
    ]
    return pd.DataFrame(records, columns=["year", "status", "count"])


def status_by_year_title(df: pd.DataFrame) -> str:
    """'Chỉ tiêu chưa đạt: 5 (2023) → 3 (2025)'."""
    nm = df[df["status"] == "not_met"].sort_values("year")
    if nm.empty:
        return "Số chỉ tiêu theo trạng thái qua các năm"
    if len(nm) == 1:
        return f"{int(nm['count'].iloc[0])} chỉ tiêu chưa đạt năm {int(nm['year'].iloc[0])}"
    a, b = nm.iloc[0], nm.iloc[-1]
    return f"Chỉ tiêu chưa đạt: {int(a['count'])} ({int(a['year'])}) → {int(b['count'])} ({int(b['year'])})"

