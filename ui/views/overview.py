"""The overview page (Tổng quan): the scorecard's headline, its table and the status of targets over the years.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import pandas as pd

from core.text import (JUDGED, PERIOD_LABELS, fmt_auto, fmt_number, fmt_status, fmt_target, fmt_value,
                       status_label)
from metrics.indicators import INDICATORS_BY_ID, short_code
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
    """'Đạt 10 · Vượt 1 · Chưa đạt 14 · Đang thực hiện 1 · Không có dữ liệu 2' (statuses with at least one
    indicator; a figure without a target is left out)."""
    order = ("met", "exceeded", "not_met", "in_progress", "no_data")
    parts = [f"{status_label(s)} {counts[s]}" for s in order if counts.get(s)]
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



# ------------------------------------------------------------------ the one-page scorecard (issue 11)
MISSED_COLUMNS = ("Chỉ tiêu", "Kết quả", "Mục tiêu", "Chênh lệch", "Cùng kỳ", "Thay đổi",
                  "Chưa đạt / chưa thực hiện")


def gap_text(row: dict) -> str:
    """How far a missed target is, in the indicator's unit: 'thiếu 12,5 điểm %', 'thiếu 2 người', 'thừa 3 đơn'
    (a target of none, e.g. no over-level petition); '' when there is no figure or no target."""
    value, target, unit = row.get("value"), row.get("target"), row.get("unit") or ""
    if value is None or not target:
        return ""
    if target["op"] == "range":
        diff = target["min"] - value if value < target["min"] else value - target["max"]
        word = "thiếu" if value < target["min"] else "vượt"
    else:
        limit = target["value"]
        low = target["op"] in ("<", "<=") or (target["op"] == "=" and limit == 0)
        diff = value - limit if low else limit - value
        word = "thừa" if low else "thiếu"
    if diff <= 0:
        return ""
    amount = f"{fmt_number(diff, 1)} điểm %" if unit == "%" else f"{fmt_auto(diff)} {unit}".strip()
    return f"{word} {amount}"


def change_text(value, last, unit: str) -> str:
    """'▲ 3,2 điểm %', '▼ 2 người', '=' against last year's figure; '—' without it. Arrows say the direction
    of the figure, not whether it is good."""
    if value is None or last is None:
        return "—"
    diff = float(value) - float(last)
    if abs(diff) < 1e-9:
        return "="
    amount = f"{fmt_number(abs(diff), 1)} điểm %" if unit == "%" else f"{fmt_auto(abs(diff))} {unit}".strip()
    return f"{'▲' if diff > 0 else '▼'} {amount}"


def missed_table(rows: list[dict], last_rows: list[dict], names: dict[str, str], limit: int = 2) -> pd.DataFrame:
    """Every target missed (then every one in progress), the largest shortfall first: the indicator's short
    name, value, target, gap, the change against the same period last year, and who is behind by name."""
    last = {r["id"]: r.get("value") for r in last_rows}
    picked = [r for r in rows if r["status"] in ("not_met", "in_progress")]

    def shortfall(r: dict) -> float:
        t, v = r.get("target") or {}, r.get("value") or 0
        base = t.get("min") if t.get("op") == "range" else t.get("value")
        return -abs((base or 0) - v) / (abs(base) if base else 1)

    picked.sort(key=lambda r: (r["status"] != "not_met", shortfall(r)))
    return pd.DataFrame({
        MISSED_COLUMNS[0]: [f"{short_code(r['id'])} {_short(r)}" for r in picked],
        MISSED_COLUMNS[1]: [fmt_value(r["value"], r["unit"]) for r in picked],
        MISSED_COLUMNS[2]: [fmt_target(r["target"], r["unit"]) for r in picked],
        MISSED_COLUMNS[3]: [gap_text(r) or "—" for r in picked],
        MISSED_COLUMNS[4]: [fmt_value(last.get(r["id"]), r["unit"]) for r in picked],
        MISSED_COLUMNS[5]: [change_text(r["value"], last.get(r["id"]), r["unit"]) for r in picked],
        MISSED_COLUMNS[6]: [("◐ " if r["status"] == "in_progress" else "") +
                            (behind_text(r.get("behind") or [], names, limit) or "—") for r in picked],
    }, columns=list(MISSED_COLUMNS))


def _short(row: dict) -> str:
    ind = INDICATORS_BY_ID.get(row["id"])
    return ind.short if ind else row["name"]


def coverage(long: pd.DataFrame, year: int, quarter: int | None, names: dict[str, str],
             limit: int = 6) -> tuple[int, int, str]:
    """(received, expected, banner) for the window's last period from metrics.history.completeness:
    '14/16 đơn vị đã nộp báo cáo Quý I/2024; thiếu: A, B'. Only units that must report are counted."""
    period = f"Q{quarter}" if quarter else "Y"
    label = f"{PERIOD_LABELS[period]}/{year}" if quarter else f"năm {year}"
    if long.empty:
        return 0, 0, f"Chưa có đơn vị nào phải nộp báo cáo {label}."
    due = long[(long["period"] == period) & long["expected"].astype(bool)]
    got = due["status"].isin(["on_time", "late"])
    received, expected = int(got.sum()), len(due)
    if expected and (due["status"] == "not_due").all():
        return received, expected, f"Kỳ báo cáo {label} chưa kết thúc; đã có {received}/{expected} đơn vị nộp."
    missing = [names.get(c, c) for c in due.loc[~got, "unit_code"]]
    text = f"{received}/{expected} đơn vị đã nộp báo cáo {label}"
    if missing:
        shown = ", ".join(missing[:limit]) + (f" và {len(missing) - limit} đơn vị khác" if len(missing) > limit else "")
        text += f"; thiếu: {shown}"
    return received, expected, text + "."


def is_thin(received: int, expected: int) -> bool:
    """True when fewer than half the units that must report have reported: too few to judge targets by."""
    return expected > 0 and received * 2 < expected


def thin_headline(received: int, expected: int, window: str) -> str:
    """The headline when data is thin: it says so instead of counting targets missed."""
    return (f"Mới có {received}/{expected} đơn vị nộp báo cáo — chưa đủ số liệu để đánh giá chỉ tiêu {window}")
