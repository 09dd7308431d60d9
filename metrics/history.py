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
    file, uploader, time of receipt, current/replaced, number of warnings. The uploader (a person) is blank
    for a principal without view_personal_data."""
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
               coalesce(json_array_length(s.warnings_json::JSON), 0)::INTEGER AS warning_count
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
    """One row per (expected or reporting unit in scope, period of the year): unit_code, unit_name,
    period, period_end, deadline, first_received, versions, status (on_time | late | missing |
    waiting (ended, deadline not passed) | not_due (period not ended))."""
    unit = authorize_unit(db, principal, unit)
    as_of = as_of or today()
    cte, where_u = _scope_filter(unit, "u.code")
    params: dict = {"year": year}
    if unit is not None:
        params["unit"] = unit
    units = db.query_df(
        f"""{cte}
        SELECT u.code AS unit_code, u.name AS unit_name FROM units u
        WHERE ({must_report_sql('u')}
               OR u.code IN (SELECT unit_code FROM submissions WHERE year = $year))
              AND u.kind <> 'ROOT' {where_u}
        ORDER BY u.code""",
        params,
    )
    firsts = db.query_df(
        """SELECT unit_code, period, min(received_at) AS first_received, count(*)::INTEGER AS versions
           FROM submissions WHERE year = $year GROUP BY unit_code, period""",
        {"year": year},
    )
    grid = units.merge(pd.DataFrame({"period": list(PERIODS)}), how="cross")
    grid = grid.merge(firsts, on=["unit_code", "period"], how="left")
    grid["period_end"] = [period_end(year, p) for p in grid["period"]]
    grid["deadline"] = [report_deadline(year, p, deadline_days) for p in grid["period"]]
    grid["versions"] = grid["versions"].fillna(0).astype(int)
    grid["status"] = [
        _status(end, deadline, received, as_of)
        for end, deadline, received in zip(grid["period_end"], grid["deadline"], grid["first_received"])
    ]
    return grid


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
    """The current state of every petition received in the window (year, or year to date through the
    quarter) in scope: the row of the latest report (latest period, then latest upload) of each
    (unit, petition number). Adds age_days (to resolution, else to the as-of date), overdue (pending past
    its deadline at the as-of date) and late (resolved after its deadline). Petition numbers and summaries
    are blank for a principal without view_personal_data."""
    unit = authorize_unit(db, principal, unit)
    as_of = as_of or today()
    end = period_end(year, f"Q{quarter}") if quarter else dt.date(year, 12, 31)
    cte, where = _scope_filter(unit, "s.unit_code")
    # reports after the window do not change what was known at its end
    params: dict = {"start": dt.date(year, 1, 1), "end": min(end, as_of), "as_of": as_of, "year": year,
                    "max_rank": quarter or 5}
    if unit is not None:
        params["unit"] = unit
    return mask_personal(db.query_df(
        f"""{cte}
        SELECT * EXCLUDE (rn) FROM (
            SELECT s.unit_code, coalesce(u.name, s.unit_name) AS unit_name, p.petition_no, p.received_date,
                   p.kind, p.over_level, p.in_competence, p.deadline, p.resolved_date, p.status, p.summary,
                   (coalesce(p.resolved_date, $as_of::DATE) - p.received_date)::INTEGER AS age_days,
                   (p.resolved_date IS NULL AND p.status = 'DANG_GIAI_QUYET' AND p.deadline < $as_of::DATE) AS overdue,
                   (p.resolved_date IS NOT NULL AND p.resolved_date > p.deadline) AS late,
                   s.file_name, s.received_at,
                   row_number() OVER (PARTITION BY s.unit_code, p.petition_key
                       ORDER BY s.year DESC,
                                CASE s.period WHEN 'Y' THEN 5 ELSE right(s.period, 1)::INTEGER END DESC,
                                s.received_at DESC, s.id DESC) AS rn
            FROM petitions p JOIN submissions s ON s.id = p.submission_id AND s.status = 'current'
            LEFT JOIN units u ON u.code = s.unit_code
            WHERE (s.year < $year OR (s.year = $year AND
                   CASE s.period WHEN 'Y' THEN 5 ELSE right(s.period, 1)::INTEGER END <= $max_rank)) {where}
        ) WHERE rn = 1 AND received_date BETWEEN $start AND $end
        ORDER BY received_date, unit_code, petition_no""",
        params,
    ), principal)


def activities_by_unit(db: Database, *, year: int, quarter: int | None = None, unit: str | None = None,
                       principal: Principal | None = None) -> pd.DataFrame:
    """Totals of every `sum` data element per reporting unit in scope (unit_code, unit_name, element,
    value): a quarter alone, or the full year (a unit's `Năm` report, when it has one, is its year)."""
    unit = authorize_unit(db, principal, unit)
    from loaders.elements import DATA_ELEMENTS

    codes = [e.code for e in DATA_ELEMENTS if e.aggregation == "sum"]
    periods = [f"Q{quarter}"] if quarter else list(PERIODS)
    cte, where = _scope_filter(unit, "s.unit_code")
    params: dict = {"year": year, "periods": periods, "codes": codes}
    if unit is not None:
        params["unit"] = unit
    head = f"{cte}," if cte else "WITH"
    return db.query_df(
        f"""{head} win AS (SELECT s.* FROM submissions s
                  WHERE s.status = 'current' AND s.year = $year AND list_contains($periods, s.period) {where}),
        used AS (SELECT * FROM win w WHERE w.period = 'Y'
                 OR NOT EXISTS (SELECT 1 FROM win y WHERE y.unit_code = w.unit_code AND y.period = 'Y'))
        SELECT u.unit_code, coalesce(un.name, any_value(u.unit_name)) AS unit_name, e.code AS element,
               sum(e.value) AS value
        FROM used u JOIN elements e ON e.submission_id = u.id AND e.known AND list_contains($codes, e.code)
        LEFT JOIN units un ON un.code = u.unit_code
        GROUP BY u.unit_code, un.name, e.code
        ORDER BY u.unit_code, e.code""",
        params,
    )
