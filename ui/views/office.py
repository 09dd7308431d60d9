"""The office's loop with the units (pages Đôn đốc & duyệt and Đơn vị của tôi): the units to chase, the
reports to review, the reminders sent, what a unit still owes, and approved-only figures beside all.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.clock import PERIODS, period_end
from core.text import MISSING, PERIOD_LABELS, fmt_date, fmt_datetime, fmt_period, fmt_status, fmt_value, is_missing
from metrics.indicators import short_code
from ui.views.submissions import REVIEW_STATUS as REVIEW_LABELS, SUBMISSION_STATUS

CHASE_LABELS = {"missing": "✗ Chưa nộp (quá hạn)", "waiting": "… Chưa nộp (còn hạn)", "returned": "↩ Bị trả lại"}
DUE_LABELS = {"missing": "✗ Quá hạn, chưa nộp", "waiting": "… Chưa nộp (còn hạn)", "not_due": "· Chưa đến kỳ",
              "returned": "↩ Bị trả lại, cần nộp lại"}


def _text(value) -> str:
    return MISSING if is_missing(value) else str(value)


def default_period(year: int, today: dt.date) -> str:
    """The period the office works on by default: the latest of the year that has ended by today (the
    year's first quarter when none has)."""
    ended = [p for p in PERIODS if period_end(year, p) <= today]
    return ended[-1] if ended else "Q1"


def period_label(code: str) -> str:
    """'Quý I', …, 'Năm'."""
    return PERIOD_LABELS.get(code, code)


def chase_table(chase: pd.DataFrame) -> pd.DataFrame:
    """metrics.office_loop.chase_list for display: unit, why it is chased, deadline, days late, reminders."""
    return pd.DataFrame({
        "Mã đơn vị": chase["unit_code"],
        "Đơn vị": chase["unit_name"],
        "Tình trạng": [CHASE_LABELS.get(r, r) for r in chase["reason"]],
        "Hạn nộp": [fmt_date(d) for d in chase["deadline"]],
        "Số ngày quá hạn": chase["days_late"].astype(int),
        "Số lần đôn đốc": chase["reminders"].astype(int),
        "Đôn đốc gần nhất": [fmt_datetime(t) for t in chase["last_reminder_at"]],
        "Người liên hệ": [_text(v) for v in chase["contact_name"]],
        "Email": [_text(v) for v in chase["contact_email"]],
        "Điện thoại": [_text(v) for v in chase["contact_phone"]],
    })


def chase_counts(chase: pd.DataFrame) -> dict[str, int]:
    """How many units are on the list for each reason."""
    return {k: int((chase["reason"] == k).sum()) for k in CHASE_LABELS}


def review_table(reviews: pd.DataFrame) -> pd.DataFrame:
    """metrics.office_loop.review_list for display: the current report of each unit and its review."""
    return pd.DataFrame({
        "Số báo cáo": reviews["submission_id"].astype(int),
        "Mã đơn vị": reviews["unit_code"],
        "Đơn vị": reviews["unit_name"],
        "Kỳ": [period_label(p) for p in reviews["period"]],
        "Phiên bản": reviews["version"].astype(int),
        "Thời điểm nhận": [fmt_datetime(t) for t in reviews["received_at"]],
        "Cảnh báo": reviews["warning_count"].astype(int),
        "Trạng thái duyệt": [REVIEW_LABELS.get(s, s) for s in reviews["review_state"]],
        "Nhận xét": [_text(c) for c in reviews["review_comment"]],
        "Người duyệt": [_text(v) for v in reviews["reviewed_by"]],
        "Lúc": [fmt_datetime(t) for t in reviews["reviewed_at"]],
    })


def report_options(reviews: pd.DataFrame) -> dict[int, str]:
    """{submission id: 'DB01 — Quý I/2025, phiên bản 2 (Đã nhận)'} for the review picker."""
    return {int(r.submission_id): f"{r.unit_code} — {r.unit_name}, {fmt_period(r.period, int(r.year))}, "
                                  f"phiên bản {int(r.version)} ({REVIEW_LABELS.get(r.review_state, r.review_state)})"
            for r in reviews.itertuples(index=False)}


def reminders_table(reminders: pd.DataFrame) -> pd.DataFrame:
    """metrics.office_loop.reminder_list for display."""
    return pd.DataFrame({
        "Số công văn": [f"{int(n)}-CV" for n in reminders["notice_no"]],
        "Mã đơn vị": reminders["unit_code"],
        "Đơn vị": reminders["unit_name"],
        "Kỳ báo cáo": [fmt_period(p, int(y)) for p, y in zip(reminders["period"], reminders["year"])],
        "Số ngày quá hạn": [int(d) if not is_missing(d) else 0 for d in reminders["days_late"]],
        "Lập lúc": [fmt_datetime(t) for t in reminders["sent_at"]],
        "Người lập": [_text(v) for v in reminders["sent_by"]],
        "E-mail tới": [_text(v) for v in reminders["emailed_to"]],
    })


def locks_table(locks: pd.DataFrame) -> pd.DataFrame:
    """metrics.office_loop.lock_list for display."""
    return pd.DataFrame({
        "Kỳ báo cáo": [fmt_period(p, int(y)) for p, y in zip(locks["period"], locks["year"])],
        "Khóa": ["Tự động (đã duyệt hết)" if a else "Văn phòng khóa" for a in locks["auto"]],
        "Lý do": [_text(v) for v in locks["reason"]],
        "Người khóa": locks["locked_by"],
        "Lúc khóa": [fmt_datetime(t) for t in locks["locked_at"]],
        "Mở khóa": [f"{u} lúc {fmt_datetime(t)}: {_text(r)}" if not is_missing(u) else "Đang khóa"
                    for u, t, r in zip(locks["unlocked_by"], locks["unlocked_at"], locks["unlock_reason"])],
    })


def approved_comparison(every, approved) -> pd.DataFrame:
    """Two metrics.engine Reports of the same view side by side: every report received, and the
    approved reports only (the office's check before the meeting)."""
    rows = []
    for i in every.indicators:
        a = approved.by_id[i.id]
        rows.append({"Mã": short_code(i.id), "Chỉ tiêu": i.name,
                     "Mọi báo cáo đã nhận": fmt_value(i.value, i.unit), "Đánh giá": fmt_status(i.status),
                     "Chỉ báo cáo đã duyệt": fmt_value(a.value, a.unit), "Đánh giá (đã duyệt)": fmt_status(a.status),
                     "Khác nhau": "●" if (i.value, i.status) != (a.value, a.status) else ""})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the unit's own page
def unit_reports_table(history: pd.DataFrame) -> pd.DataFrame:
    """metrics.history.submission_history of one unit: every version, its state and the office's comment."""
    return pd.DataFrame({
        "Kỳ": [fmt_period(p, int(y)) for p, y in zip(history["period"], history["year"])],
        "Phiên bản": history["version"].astype(int),
        "Tệp": history["file_name"],
        "Thời điểm nhận": [fmt_datetime(t) for t in history["received_at"]],
        "Bản": [SUBMISSION_STATUS.get(s, s) for s in history["status"]],
        "Trạng thái duyệt": [REVIEW_LABELS.get(s, s) for s in history["review_state"]],
        "Nhận xét của Văn phòng": [_text(c) for c in history["review_comment"]],
        "Cảnh báo": history["warning_count"].astype(int),
    })


def returned_reports(history: pd.DataFrame) -> list[dict]:
    """The unit's current reports the office returned: [{period, year, version, comment, reviewed_at}]."""
    rows = history[(history["status"] == "current") & (history["review_state"] == "returned")]
    return [{"period": fmt_period(r.period, int(r.year)), "version": int(r.version),
             "comment": _text(r.review_comment), "reviewed_at": fmt_datetime(r.reviewed_at)}
            for r in rows.itertuples(index=False)]


def due_table(completeness: pd.DataFrame, history: pd.DataFrame, locked: dict) -> pd.DataFrame:
    """What the unit still owes in the year: every period without a report (missing, waiting, not yet
    due) and every report returned, with the deadline and whether the period is locked."""
    returned = {(r.period) for r in history[(history["status"] == "current")
                                            & (history["review_state"] == "returned")].itertuples(index=False)}
    rows = []
    for r in completeness.itertuples(index=False):
        status = "returned" if r.period in returned else r.status
        if status not in DUE_LABELS:
            continue
        rows.append({"Kỳ báo cáo": period_label(r.period), "Hạn nộp": fmt_date(r.deadline),
                     "Việc cần làm": DUE_LABELS[status],
                     "Kỳ đã khóa": "Đã khóa (đề nghị quản trị mở khóa)" if r.period in locked else ""})
    return pd.DataFrame(rows, columns=["Kỳ báo cáo", "Hạn nộp", "Việc cần làm", "Kỳ đã khóa"])
