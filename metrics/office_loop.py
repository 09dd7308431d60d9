"""What the office's loop with the units reads (issue 13): the reports to review, the units to chase, the
reminders sent, the period locks, and a unit's pre-filled workbook.

Pure read functions over the database (the writes are ops.review and ops.reminders). Who must report and
who has reported come from the engine (metrics.history.completeness over engine.window_query), so the list
of units to chase is the same set I25/I26 count as missing.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from core.auth import UPLOAD, Principal, authorize_unit, mask_personal, require
from core.clock import PERIOD_RANK_SQL, PERIODS, report_deadline, today
from core.errors import DashboardError
from core.storage import Database, subtree_cte
from metrics import history
from metrics.scope import EXPECTED_KINDS, resolve_unit

# review states as stored (NULL in the database = received, not reviewed yet)
RECEIVED, APPROVED, RETURNED = "received", "approved", "returned"
# why a unit is on the list of units to chase
CHASE_MISSING, CHASE_WAITING, CHASE_RETURNED = "missing", "waiting", "returned"

MSG_PERIOD = "Kỳ báo cáo không hợp lệ: “{period}” (Q1, Q2, Q3, Q4 hoặc Y)."
MSG_NOT_REPORTING = "Đơn vị “{code}” không phải đơn vị nộp báo cáo (Đảng bộ cơ sở hoặc Chi bộ cơ sở)."
MSG_PICK_UNIT = "Hãy chọn một đơn vị nộp báo cáo."
_RANK = PERIOD_RANK_SQL.format(c="s.period")


def check_period(period: str) -> str:
    """The period code (Q1..Q4, Y) or DashboardError."""
    code = str(period or "").strip().upper()
    if code not in PERIODS:
        raise DashboardError(MSG_PERIOD.format(period=period))
    return code


def _scope(unit: str | None, column: str = "s.unit_code") -> tuple[str, str, dict]:
    """(WITH clause, predicate on `column`, parameters) for a unit's subtree; empty for everything."""
    if unit is None:
        return "", "", {}
    return f"WITH RECURSIVE {subtree_cte('unit')}", f"AND {column} IN (SELECT code FROM scope)", {"unit": unit}


def review_list(db: Database, *, year: int, period: str | None = None, unit: str | None = None,
                principal: Principal | None = None) -> pd.DataFrame:
    """The current report of every (unit, period) of the year in scope, for the office's review:
    submission_id, unit_code, unit_name, year, period, version, file_name, uploader, received_at,
    review_state (received | approved | returned), review_comment, reviewed_by, reviewed_at, warning_count.
    Oldest receipt first (the order they wait in)."""
    unit = authorize_unit(db, principal, unit)
    cte, where, params = _scope(unit)
    params["year"] = int(year)
    if period is not None:
        where += " AND s.period = $period"
        params["period"] = check_period(period)
    df = db.query_df(f"""{cte}
        SELECT s.id AS submission_id, s.unit_code, coalesce(u.name, s.unit_name) AS unit_name, s.year, s.period,
               s.version, s.file_name, s.uploader, s.received_at,
               coalesce(s.review_state, '{RECEIVED}') AS review_state, s.review_comment, s.reviewed_by,
               s.reviewed_at, coalesce(json_array_length(s.warnings_json::JSON), 0)::INTEGER AS warning_count
        FROM submissions s LEFT JOIN units u ON u.code = s.unit_code
        WHERE s.status = 'current' AND s.year = $year {where}
        ORDER BY s.received_at, s.id""", params)
    return mask_personal(df, principal)


def review_history(db: Database, submission_ids: list[int] | tuple[int, ...],
                   principal: Principal | None = None) -> pd.DataFrame:
    """Every review of the given reports, oldest first: submission_id, state, comment, done_by, done_at
    (the reports are authorised by their units first)."""
    ids = [int(i) for i in submission_ids]
    if not ids:
        return pd.DataFrame(columns=["submission_id", "state", "comment", "done_by", "done_at"])
    units = {u for (u,) in db.query_rows(f"SELECT DISTINCT unit_code FROM submissions WHERE id IN "
                                         f"({', '.join('?' * len(ids))})", ids)}
    for u in units:
        authorize_unit(db, principal, u)
    df = db.query_df(f"SELECT submission_id, state, comment, done_by, done_at FROM reviews "
                     f"WHERE submission_id IN ({', '.join('?' * len(ids))}) ORDER BY done_at, id", ids)
    return mask_personal(df.rename(columns={"done_by": "reviewed_by"}), principal)


def chase_list(db: Database, *, year: int, period: str, unit: str | None = None, as_of: dt.date | None = None,
               principal: Principal | None = None) -> pd.DataFrame:
    """Cần đôn đốc: the units in scope that must send the period's report and have not (missing: past the
    deadline; waiting: the period ended, the deadline not yet passed), and those whose report the office
    returned. Columns: unit_code, unit_name, reason (missing | waiting | returned), deadline, days_late
    (days past the deadline at as_of, 0 before it), review_comment, reminders (how many sent),
    last_reminder_at, contact_name, contact_email, contact_phone. Missing first, then returned, then
    waiting; by unit code."""
    period = check_period(period)
    as_of = as_of or today()
    full = history.completeness(db, year=year, unit=unit, as_of=as_of, principal=principal)
    late = full[(full["period"] == period) & full["status"].isin((CHASE_MISSING, CHASE_WAITING))]
    rows = [{"unit_code": r.unit_code, "unit_name": r.unit_name, "reason": r.status, "review_comment": None}
            for r in late.itertuples(index=False)]
    returned = review_list(db, year=year, period=period, unit=unit, principal=principal)
    returned = returned[returned["review_state"] == RETURNED]
    rows += [{"unit_code": r.unit_code, "unit_name": r.unit_name, "reason": CHASE_RETURNED,
              "review_comment": r.review_comment} for r in returned.itertuples(index=False)]
    out = pd.DataFrame(rows, columns=["unit_code", "unit_name", "reason", "review_comment"])
    deadline = report_deadline(int(year), period)
    out.insert(3, "deadline", deadline)
    out.insert(4, "days_late", max(0, (as_of - deadline).days))
    sent = _reminder_summary(db, int(year), period)
    contacts = db.query_df("SELECT code AS unit_code, contact_name, contact_email, contact_phone FROM units")
    out = out.merge(sent, on="unit_code", how="left").merge(contacts, on="unit_code", how="left")
    out["reminders"] = out["reminders"].fillna(0).astype(int)
    out = out.sort_values(["reason", "unit_code"], key=lambda c: c.map(_REASON_ORDER) if c.name == "reason" else c,
                          kind="stable").reset_index(drop=True)
    return mask_personal(out, principal)


_REASON_ORDER = {CHASE_MISSING: 0, CHASE_RETURNED: 1, CHASE_WAITING: 2}


def _reminder_summary(db: Database, year: int, period: str) -> pd.DataFrame:
    """unit_code, reminders (count), last_reminder_at of one period's reminders."""
    return db.query_df("SELECT unit_code, count(*)::INTEGER AS reminders, max(sent_at) AS last_reminder_at "
                       "FROM reminders WHERE year = ? AND period = ? GROUP BY unit_code", [year, period])


def reminder_list(db: Database, *, unit: str | None = None, year: int | None = None,
                  principal: Principal | None = None) -> pd.DataFrame:
    """Reminders sent to units in scope, newest first: id, unit_code, unit_name, year, period, notice_no,
    days_late, sent_by, sent_at, emailed_to, emailed_at."""
    unit = authorize_unit(db, principal, unit)
    cte, where, params = _scope(unit)
    if year is not None:
        where += " AND s.year = $year"
        params["year"] = int(year)
    df = db.query_df(f"""{cte}
        SELECT s.id, s.unit_code, coalesce(u.name, s.unit_code) AS unit_name, s.year, s.period, s.notice_no,
               s.days_late, s.sent_by, s.sent_at, s.emailed_to, s.emailed_at
        FROM reminders s LEFT JOIN units u ON u.code = s.unit_code
        WHERE TRUE {where} ORDER BY s.sent_at DESC, s.id DESC""", params)
    return mask_personal(df, principal)


def lock_list(db: Database, *, year: int | None = None) -> pd.DataFrame:
    """Every lock of a reporting period, newest first: id, year, period, auto, reason, locked_by,
    locked_at, unlocked_by, unlocked_at, unlock_reason (locks cover the whole organisation)."""
    where, params = ("WHERE year = ?", [int(year)]) if year is not None else ("", [])
    return db.query_df(f"SELECT * FROM period_locks {where} ORDER BY id DESC", params)


def locked_periods(db: Database, year: int) -> dict[str, dt.datetime]:
    """{period: locked_at} of the year's periods locked now."""
    return {p: at for p, at in db.query_rows("SELECT period, max(locked_at) FROM period_locks WHERE year = ? "
                                             "AND unlocked_at IS NULL GROUP BY period", [int(year)])}


def reporting_units(db: Database, *, principal: Principal | None = None) -> pd.DataFrame:
    """The units in the principal's scope that send reports (code, name, kind), for the unit's page."""
    scope = authorize_unit(db, principal, None)
    cte, where, params = _scope(scope, "u.code")
    kinds = ", ".join(f"'{k}'" for k in EXPECTED_KINDS)
    return db.query_df(f"""{cte}
        SELECT u.code, u.name, u.kind FROM units u
        WHERE u.kind IN ({kinds}) AND u.merged_into IS NULL {where}
        ORDER BY u.code""", params)


# ---------------------------------------------------------------- the pre-filled workbook
def prefill_data(db: Database, *, unit: str, year: int, period: str,
                 principal: Principal | None = None) -> dict[str, Any]:
    """What a unit's pre-filled workbook of (year, period) carries, as stored values: `info` (the unit's
    code, name, type and parent from the unit list; the year and period; the member and staff totals of
    its latest report), `tables` (`cells`: the cells of that report, without the year's ratings;
    `petitions`: every petition still pending, i.e. whose row in the unit's latest report holding it is
    "Đang giải quyết" without a resolution date, with its number and dates), and `source` (year, period
    of the report the cells came from, or None). "Latest" is the latest period up to (year, period), else
    the latest of all. Needs the upload permission and the unit in scope."""
    require(principal, UPLOAD)
    period = check_period(period)
    if not str(unit or "").strip():
        raise DashboardError(MSG_PICK_UNIT)
    code = authorize_unit(db, principal, unit)
    code, name, is_root = resolve_unit(db, code)
    row = db.query_rows("SELECT kind, parent_code FROM units WHERE code = ?", [code])
    if is_root or not row or row[0][0] not in EXPECTED_KINDS:
        raise DashboardError(MSG_NOT_REPORTING.format(code=code))
    kind, parent = row[0]
    root = db.query_value("SELECT code FROM units WHERE kind = 'ROOT' LIMIT 1")
    target = int(year) * 10 + (5 if period == "Y" else int(period[1]))
    key = f"s.year * 10 + {_RANK}"
    latest = db.query_rows(f"""SELECT s.id, s.year, s.period, s.member_total, s.staff_total FROM submissions s
        WHERE s.unit_code = ? AND s.status = 'current'
        ORDER BY ({key}) <= ? DESC, {key} DESC, s.received_at DESC, s.id DESC LIMIT 1""", [code, target])
    info = {"unit_code": code, "unit_name": name, "unit_kind": kind,
            "parent_code": None if parent in (None, root) else parent, "year": int(year), "period": period}
    cells: list[dict] = []
    source = None
    if latest:
        sid, sy, sp, members, staff = latest[0]
        info.update(member_total=members, staff_total=staff)
        source = (int(sy), sp)
        cells = db.query_df("SELECT cell_code, cell_name, cell_kind, members, mo_hinh_4_tot FROM cells "
                            "WHERE submission_id = ? ORDER BY excel_row", [sid]).to_dict("records")
    petitions = db.query_df(f"""
        SELECT petition_no, received_date, kind, over_level, in_competence, deadline, resolved_date, status, summary
        FROM (SELECT p.*, row_number() OVER (PARTITION BY p.petition_key
                                             ORDER BY {key} DESC, s.received_at DESC, s.id DESC) AS rn
              FROM submissions s JOIN petitions p ON p.submission_id = s.id
              WHERE s.unit_code = ? AND s.status = 'current' AND {key} <= ?)
        WHERE rn = 1 AND status = 'DANG_GIAI_QUYET' AND resolved_date IS NULL
        ORDER BY received_date, petition_no""", [code, target])
    petitions = mask_personal(petitions, principal).to_dict("records")
    return {"info": info, "tables": {"cells": [_plain(r) for r in cells],
                                     "petitions": [_plain(r) for r in petitions]}, "source": source}


def _plain(row: dict) -> dict:
    """A record with pandas' values turned into Python ones (NaN/NaT → None, Timestamps → dates)."""
    out = {}
    for k, v in row.items():
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out[k] = None
        elif isinstance(v, pd.Timestamp):
            out[k] = v.date()
        elif hasattr(v, "item"):  # numpy scalars
            out[k] = v.item()
        else:
            out[k] = v
    return out


def prefill_bytes(db: Database, *, unit: str, year: int, period: str,
                  principal: Principal | None = None) -> bytes:
    """The unit's pre-filled workbook of (year, period) as .xlsx bytes (prefill_data written by the blank
    template's writer): loading it back unchanged is a valid report."""
    from loaders.template import template_bytes

    return template_bytes(prefill_data(db, unit=unit, year=year, period=period, principal=principal))


def unit_contact(db: Database, code: str | None) -> tuple[str | None, str | None, str | None]:
    """(contact_name, contact_email, contact_phone) of a unit ((None, None, None) when unknown)."""
    rows = db.query_rows("SELECT contact_name, contact_email, contact_phone FROM units WHERE code = ?",
                         [str(code or "").strip().upper()])
    return tuple(rows[0]) if rows else (None, None, None)
