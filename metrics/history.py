"""Submission history and report completeness (units × periods: on time / late / missing), over the DB.

Pure read functions: they never write. Timeliness follows indicators-v1.md I26: the FIRST accepted upload
of a (unit, year, period) counts, on time when its date is on or before period end + deadline days.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.auth import Principal, authorize_unit, mask_personal
from core.clock import PERIODS, period_end, report_deadline, today
from core.storage import Database, subtree_cte
from metrics.engine import PENDING, SUM_ELEMENTS, window_query
from metrics.scope import must_report_sql

# completeness status codes, in display order
ON_TIME, LATE, MISSING, WAITING, NOT_DUE = "on_time", "late", "missing", "waiting", "not_due"

_SCOPE_CTE = f"WITH RECURSIVE {subtree_cte('unit')}"


def units_frame(db: Database) -> pd.DataFrame:
    """Every unit of the unit list: code, name, kind, parent_code, inactive_from (root first)."""
    return db.query_df(
        """SELECT code, name, kind, parent_code, inactive_from FROM units
           ORDER BY kind <> 'ROOT', code"""
    )


def report_years(db: Database) -> list[int]:
    """Years that have at least one stored submission, ascending."""
    return [int(r[0]) for r in db.query_rows("SELECT DISTINCT year FROM submissions ORDER BY year")]


def _scope_filter(unit: str | None, column: str = "unit_code") -> tuple[str, str]:
    if unit is None:
        return "", ""
    return _SCOPE_CTE, f"AND {column} IN (SELECT code FROM scope)"


def submission_history(db: Database, *, unit: str | None = None, year: int | None = None,
                       principal: Principal | None = None) -> pd.DataFrame:
    """Every stored version of every report in scope (newest receipt first): unit, period, version,
    file, uploader, time of receipt, current/replaced, number of warnings, and the office's review
    (review_state received | approved | returned, review_comment, reviewed_by, reviewed_at). The uploader
    and reviewer (people) are blank for a principal without view_personal_data."""
    unit = authorize_unit(db, principal, unit)
    cte, where = _scope_filter(unit, "s.unit_code")
    params: dict = {}
    if unit is not None:
        params["unit"] = unit
    if year is not None:
        where += " AND s.year = $year"
        params["year"] = year
    return mask_personal(db.query_df(
        f"""{cte}
        SELECT s.id AS submission_id, s.unit_code, coalesce(u.name, s.unit_name) AS unit_name,
               s.year, s.period, s.version, s.file_name, s.uploader, s.received_at, s.status,
               coalesce(json_array_length(s.warnings_json::JSON), 0)::INTEGER AS warning_count,
               coalesce(s.review_state, 'received') AS review_state, s.review_comment, s.reviewed_by,
               s.reviewed_at
        FROM submissions s LEFT JOIN units u ON u.code = s.unit_code
        WHERE TRUE {where}
        ORDER BY s.received_at DESC, s.id DESC""",
        params,
    ), principal)


def completeness(
    db: Database,
    *,
    year: int,
    unit: str | None = None,
    as_of: dt.date | None = None,
    deadline_days: int | None = None,
    principal: Principal | None = None,
) -> pd.DataFrame:
    """One row per (unit in scope that must report or did report in the year, period of the year):
    unit_code, unit_name, expected (it must report that year), period, period_end, deadline,
    first_received, versions, status (on_time | late | missing | waiting (ended, deadline not passed) |
    not_due (period not ended)). Built on the engine's `firsts` and its rule of who must report, so the
    counts are I25/I26's."""
    as_of = as_of or today()
    found = window_query(db, f"""
        SELECT u.code AS unit_code, u.name AS unit_name, {must_report_sql('u')} AS expected, f.period,
               f.first_at AS first_received, f.versions
        FROM units u LEFT JOIN firsts f ON f.unit_code = u.code
        WHERE ({must_report_sql('u')} OR u.code IN (SELECT unit_code FROM firsts))
          AND u.kind <> 'ROOT' AND u.code IN (SELECT code FROM scope)
        ORDER BY u.code""", year=year, unit=unit, as_of=as_of, principal=principal)
    units = found[["unit_code", "unit_name", "expected"]].drop_duplicates(subset=["unit_code"])
    firsts = found.dropna(subset=["period"])[["unit_code", "period", "first_received", "versions"]]
    grid = units.merge(pd.DataFrame({"period": list(PERIODS)}), how="cross")
    grid = grid.merge(firsts, on=["unit_code", "period"], how="left")
    grid["period_end"] = [period_end(year, p) for p in grid["period"]]
    grid["deadline"] = [report_deadline(year, p, deadline_days) for p in grid["period"]]
    grid["versions"] = grid["versions"].fillna(0).astype(int)
    grid["status"] = [
        _status(end, deadline, received, as_of)
        for end, deadline, received in zip(grid["period_end"], grid["deadline"], grid["first_received"])
    ]
    return grid.reset_index(drop=True)


def _status(end: dt.date, deadline: dt.date, received, as_of: dt.date) -> str:
    if received is not None and not pd.isna(received):
        return ON_TIME if pd.Timestamp(received).date() <= deadline else LATE
    if end > as_of:
        return NOT_DUE
    return MISSING if as_of > deadline else WAITING


def petition_register(
    db: Database,
    *,
    year: int,
    quarter: int | None = None,
    unit: str | None = None,
    as_of: dt.date | None = None,
    principal: Principal | None = None,
) -> pd.DataFrame:
    """Every petition received in the window (year, or year to date through the quarter) in scope, as the
    engine sees it: its row in the latest of the window's reports (indicators v1.1), at the as-of date (a
    resolution dated after it is not yet known: still pending). Adds age_days (to resolution, else to the
    as-of date), overdue (pending past its deadline: DON_THU_QUA_HAN) and late (resolved after its
    deadline). Petition numbers and summaries are blank for a principal without view_personal_data."""
    as_of = as_of or today()
    known = "(p.resolved_date IS NOT NULL AND p.resolved_date <= $as_of)"
    df = window_query(db, f"""
        SELECT p.unit_code, coalesce(u.name, p.unit_code) AS unit_name, p.petition_no, p.received_date, p.kind,
               p.over_level, p.in_competence, p.deadline,
               CASE WHEN {known} THEN p.resolved_date END AS resolved_date,
               CASE WHEN p.resolved_date > $as_of THEN 'DANG_GIAI_QUYET' ELSE p.status END AS status, p.summary,
               ((CASE WHEN {known} THEN p.resolved_date ELSE $as_of::DATE END) - p.received_date)::INTEGER
                   AS age_days,
               coalesce({PENDING} AND p.deadline < $as_of, FALSE) AS overdue,
               coalesce({known} AND p.resolved_date > p.deadline, FALSE) AS late,
               s.file_name, s.received_at
        FROM pet p LEFT JOIN units u ON u.code = p.unit_code LEFT JOIN submissions s ON s.id = p.submission_id
        ORDER BY p.received_date, p.unit_code, p.petition_no""",
        year=year, quarter=quarter, unit=unit, as_of=as_of, principal=principal)
    return mask_personal(df, principal)


def activities_by_unit(db: Database, *, year: int, quarter: int | None = None, unit: str | None = None,
                       as_of: dt.date | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """Totals of every `sum` data element per reporting unit in scope (unit_code, unit_name, element,
    value): a quarter alone, or the full year (a unit's `Năm` report, when it has one, is its year) — the
    engine's own per-unit element values, so the units add up to the activities."""
    codes = ", ".join(f"'{c}'" for c in SUM_ELEMENTS)
    return window_query(db, f"""
        SELECT e.unit_code, coalesce(u.name, e.unit_code) AS unit_name, e.code AS element, e.v AS value
        FROM elem e LEFT JOIN units u ON u.code = e.unit_code
        WHERE e.code IN ({codes})
        ORDER BY e.unit_code, e.code""",
        year=year, quarter=quarter, unit=unit, as_of=as_of, single_quarter=quarter is not None,
        principal=principal)


def coverage(db: Database, *, unit: str | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """How many of the units that must report sent each period, for every year with reports: year, period,
    expected, received (a withdrawn report does not count). Decides the period a meeting looks at first:
    the last one most units have reported (ui/views/unit_tree.default_period)."""
    unit = authorize_unit(db, principal, unit)
    cte, where = _scope_filter(unit, "u.code")
    params: dict = {} if unit is None else {"unit": unit}
    head = f"{cte}," if cte else "WITH"
    return db.query_df(
        f"""{head} years AS (SELECT DISTINCT year FROM submissions),
        expect AS (SELECT y.year, u.code FROM years y CROSS JOIN units u
                   WHERE {must_report_sql('u', 'y.year')} {where}),
        got AS (SELECT DISTINCT unit_code, year, period FROM submissions WHERE status <> 'withdrawn')
        SELECT e.year, p.period, count(*)::INTEGER AS expected, count(g.unit_code)::INTEGER AS received
        FROM expect e CROSS JOIN (VALUES ('Q1'), ('Q2'), ('Q3'), ('Q4'), ('Y')) p(period)
        LEFT JOIN got g ON g.unit_code = e.code AND g.year = e.year AND g.period = p.period
        GROUP BY e.year, p.period ORDER BY e.year, p.period""", params)


def cell_names(db: Database, *, year: int, unit: str | None = None,
               principal: Principal | None = None) -> dict[str, str]:
    """'UNIT/CELL' → the cell's own name as the unit's latest report of the year writes it (who is behind
    a cell indicator is named by the cell, not by its code)."""
    unit = authorize_unit(db, principal, unit)
    cte, where = _scope_filter(unit, "s.unit_code")
    params: dict = {"year": year} if unit is None else {"year": year, "unit": unit}
    rows = db.query_rows(
        f"""{cte}
        SELECT s.unit_code || '/' || c.cell_code, arg_max(c.cell_name, s.id)
        FROM cells c JOIN submissions s ON s.id = c.submission_id
        WHERE s.year = $year AND s.status = 'current' {where}
        GROUP BY s.unit_code, c.cell_code""", params)
    return {key: name for key, name in rows}
