"""The report submission page (Nộp báo cáo): completeness of reports, submission history, validation issues.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import pandas as pd

from core.text import PERIOD_LABELS, fmt_datetime
from ui.views.detail import MAX_CHART_ROWS


COMPLETENESS_LABELS = {
    "on_time": "✓ Đúng hạn",
    "late": "◔ Nộp muộn",
    "missing": "✗ Chưa nộp",
    "waiting": "… Chưa nộp (còn hạn)",
    "not_due": "· Chưa đến kỳ",
}


SUBMISSION_STATUS = {"current": "Đang dùng", "replaced": "Đã thay thế", "withdrawn": "Đã rút (không tính)"}
REVIEW_STATUS = {"received": "Đã nhận", "approved": "✓ Đã duyệt", "returned": "↩ Trả lại"}


def completeness_matrix(long: pd.DataFrame) -> pd.DataFrame:
    """Units × periods of metrics.history.completeness, cells labelled (đúng hạn / nộp muộn / chưa nộp)."""
    if long.empty:
        return pd.DataFrame(columns=["Mã đơn vị", "Đơn vị", *PERIOD_LABELS.values()])
    wide = long.pivot(index=["unit_code", "unit_name"], columns="period", values="status")
    wide = wide.reindex(columns=list(PERIOD_LABELS)).reset_index()
    out = pd.DataFrame({"Mã đơn vị": wide["unit_code"], "Đơn vị": wide["unit_name"]})
    for code, label in PERIOD_LABELS.items():
        out[label] = [COMPLETENESS_LABELS.get(s, "") for s in wide[code]]
    return out


def completeness_counts(long: pd.DataFrame) -> dict[str, int]:
    """How many (unit, period) cells have each completeness status."""
    counts = {k: 0 for k in COMPLETENESS_LABELS}
    for s, n in long["status"].value_counts().items() if not long.empty else []:
        counts[str(s)] = int(n)
    return counts


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """The submission history for display: who uploaded which version of which report, when, and the
    office's review of it (Đã nhận, Đã duyệt, Trả lại)."""
    return pd.DataFrame(
        {
            "Mã đơn vị": history["unit_code"],
            "Đơn vị": history["unit_name"],
            "Năm": history["year"].astype(int),
            "Kỳ": [PERIOD_LABELS.get(p, p) for p in history["period"]],
            "Phiên bản": history["version"].astype(int),
            "Tệp": history["file_name"],
            "Người nộp": history["uploader"].fillna("—"),
            "Thời điểm nhận": [fmt_datetime(t) for t in history["received_at"]],
            "Trạng thái": [SUBMISSION_STATUS.get(s, s) for s in history["status"]],
            # the office's review (a returned report still counts, flagged here, until it is replaced)
            "Duyệt": [REVIEW_STATUS.get(s, s) for s in history.get("review_state", ["received"] * len(history))],
            "Cảnh báo": history["warning_count"].astype(int),
        }
    )


def issues_table(issues: list) -> pd.DataFrame:
    """Validation issues (errors first) as a table: sheet, Excel row, column, value, message."""
    ordered = sorted(issues, key=lambda i: (i.severity != "error",))
    return pd.DataFrame(
        {
            "Mức độ": ["✗ Lỗi" if i.severity == "error" else "! Cảnh báo" for i in ordered],
            "Trang tính": [i.sheet or "" for i in ordered],
            "Dòng": [str(i.row) if i.row is not None else "" for i in ordered],
            "Cột": [i.column or "" for i in ordered],
            "Giá trị": ["" if i.value is None else str(i.value) for i in ordered],
            "Nội dung": [i.message for i in ordered],
        }
    )


def worst_completeness(long: pd.DataFrame, limit: int = MAX_CHART_ROWS) -> tuple[pd.DataFrame, int]:
    """The `limit` units with the most missing/late reports (all of them when fewer), and how many units
    were left out of the chart (the table still lists everyone)."""
    units = long["unit_code"].drop_duplicates()
    if len(units) <= limit:
        return long, 0
    bad = long.assign(score=long["status"].map({"missing": 2, "late": 1}).fillna(0))
    keep = bad.groupby("unit_code")["score"].sum().sort_values(ascending=False, kind="stable").index[:limit]
    return long[long["unit_code"].isin(keep)], len(units) - limit

