"""The one metrics engine: every indicator declaration becomes DuckDB SQL by its kind.

Each kind handler returns an *item query* — one row per unit, cell, person, petition or expected report
behind an indicator (meetings are summed per cell), with the columns of ITEM_COLUMNS. The same item queries serve three uses:
summed per group for `compute` (group = the scope) and `compute_by_unit` (group = each unit), and listed
for `drilldown`. Base CTEs (scope, window, latest versions, aggregated elements, cells, deduplicated
meetings, petitions' current state, expected reports) are shared by all items of one query.

Semantics (indicators-v1.md, decisions written down in docs/indicators.md):
- only `status = 'current'` submissions; for a full year a unit's `Y` report supersedes its quarters;
  with a quarter, `Y` reports are not used;
- meetings deduplicated by (unit, cell, date, kind), the later report's row wins, counted by their date;
- persons once per group by (name_key, birth_date, level) in the year sent;
- petitions: the row of the latest report (latest year, period, then upload) per (unit, petition_key);
- months, quarters and deadlines count only when they ended on or before as_of.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from core.config import load_config
from core.auth import Principal, authorize_unit, mask_personal
from core.errors import DashboardError
from loaders.elements import DATA_ELEMENTS, ELEMENTS_BY_CODE
from metrics.indicators import ACTIVITIES_BY_CODE, BEHIND_KINDS, INDICATORS, INDICATORS_BY_ID, Indicator
from core.clock import PERIOD_RANK_SQL, report_deadline
from metrics.scope import Scope, Window, make_window, must_report_sql, resolve_scope
from metrics.targets import declared_target, effective_targets, judge, judge_array

ITEM_COLUMNS = ("grp", "unit_code", "item", "label", "figure", "num", "den", "ok", "behind_key", "submission_id")
SUM_ELEMENTS = tuple(e.code for e in DATA_ELEMENTS if e.aggregation == "sum")

# columns a declaration may name in `where`/`test` predicates, per item source
CELL_COLUMNS = frozenset({"cell_kind", "rating", "mo_hinh_4_tot", "members", "period", "dv_xuat_sac", "dv_tot",
                          "dv_hoan_thanh", "dv_khong_hoan_thanh", "dv_gop_y_6"})
PETITION_COLUMNS = frozenset({"over_level", "in_competence", "kind", "status"})
OPS = {"=": "=", ">=": ">=", ">": ">", "<=": "<=", "<": "<", "in": "IN", "is not": "IS NOT"}


# ------------------------------------------------------------------ SQL helpers
def _lit(value: Any) -> str:
    """A SQL literal for a declaration constant (never user input)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_lit(v) for v in value) + ")"
    return "'" + str(value).replace("'", "''") + "'"


def _pred(alias: str, pred: tuple, allowed: frozenset[str]) -> str:
    """SQL for a declared predicate (column, op, value); NULL never passes (COALESCE to FALSE)."""
    col, op, value = pred
    if col not in allowed or op not in OPS:
        raise ValueError(f"bad predicate {pred!r}")
    if op == "is not":
        return f"({alias}.{col} IS NOT NULL)"
    return f"COALESCE({alias}.{col} {OPS[op]} {_lit(value)}, FALSE)"


def _where(alias: str, preds: tuple, allowed: frozenset[str]) -> str:
    return " AND ".join([_pred(alias, p, allowed) for p in preds] or ["TRUE"])


@dataclass(frozen=True)
class Ctx:
    """What a handler needs: the window and how items are grouped (one scope, or per unit)."""

    win: Window
    group_literal: str | None  # the scope code when grouping everything into one group; None: per unit

    def grp(self, alias: str) -> str:
        """The group expression for rows of `alias`."""
        return _lit(self.group_literal) if self.group_literal is not None else f"{alias}.unit_code"


def _items(select: str) -> str:
    """Normalise an item SELECT's column types so every kind can be UNIONed."""
    return (f"SELECT grp::VARCHAR AS grp, unit_code::VARCHAR AS unit_code, item::VARCHAR AS item, "
            f"label::VARCHAR AS label, figure::DOUBLE AS figure, num::DOUBLE AS num, den::DOUBLE AS den, "
            f"ok::BOOLEAN AS ok, behind_key::VARCHAR AS behind_key, submission_id::BIGINT AS submission_id "
            f"FROM ({select})")


# ------------------------------------------------------------------ kind handlers
# Each handler returns a SELECT with ITEM_COLUMNS first, then detail columns for drilldown.
CELL_DETAIL = "c.cell_code, c.cell_name, c.cell_kind, c.rating, c.members"
# pending at as_of: resolved later, or no resolution date and still "Đang giải quyết" (a transferred or
# filed petition without a date is closed, not pending)
PENDING = "(p.resolved_date > $as_of OR (p.resolved_date IS NULL AND p.status = 'DANG_GIAI_QUYET'))"
PET_DETAIL = ("p.petition_no, p.kind, p.received_date, p.deadline, p.resolved_date, p.status, "
              "p.over_level, p.in_competence")


def h_unit_ratio(ind: Indicator, ctx: Ctx) -> str:
    """Units counted whose element value passes the declared test."""
    p = ind.params
    value = ctx.win.quarters_ended if p.value == "ended_quarters" else p.value
    test = f"COALESCE(e.v, 0) {OPS[p.op]} {_lit(value)}"
    return f"""
        SELECT {ctx.grp('u')} AS grp, u.unit_code, u.unit_code AS item, NULL AS label, e.v AS figure,
               CASE WHEN {test} THEN 1 ELSE 0 END AS num, 1 AS den, {test} AS ok,
               u.unit_code AS behind_key, u.submission_id, u.period
        FROM ucount u LEFT JOIN elem e ON e.unit_code = u.unit_code AND e.code = {_lit(p.element)}"""


def h_unit_sum_ratio(ind: Indicator, ctx: Ctx) -> str:
    """Σ element / Σ report field over units counted that reported both, the field > 0 (empty is not zero)."""
    p = ind.params
    den = {"staff_total": "u.staff_total", "member_total": "u.member_total"}[p.den_field]
    return f"""
        SELECT {ctx.grp('u')} AS grp, u.unit_code, u.unit_code AS item, NULL AS label,
               CASE WHEN {den} > 0 THEN 100.0 * e.v / {den} END AS figure,
               e.v AS num, {den} AS den, TRUE AS ok, NULL AS behind_key, u.submission_id, u.period
        FROM ucount u JOIN elem e ON e.unit_code = u.unit_code AND e.code = {_lit(p.element)}
        WHERE e.v IS NOT NULL AND {den} > 0"""


def _cell_items(ind: Indicator, ctx: Ctx, den: str) -> str:
    p = ind.params
    test = _pred("c", p.test, CELL_COLUMNS)
    return f"""
        SELECT {ctx.grp('c')} AS grp, c.unit_code, c.unit_code || '/' || c.cell_code AS item, c.cell_name AS label,
               CASE WHEN {test} THEN 1 ELSE 0 END AS figure, CASE WHEN {test} THEN 1 ELSE 0 END AS num,
               {den} AS den, {test} AS ok, c.unit_code || '/' || c.cell_code AS behind_key, c.submission_id,
               {CELL_DETAIL}
        FROM cellx c WHERE {_where('c', p.where, CELL_COLUMNS)}"""


def h_cell_ratio(ind: Indicator, ctx: Ctx) -> str:
    """Cells counted (filtered by `where`) passing `test`, over all of them."""
    return _cell_items(ind, ctx, "1")


def h_cell_count(ind: Indicator, ctx: Ctx) -> str:
    """Cells counted (filtered by `where`) passing `test`; the value is their number."""
    return _cell_items(ind, ctx, "NULL")


def h_cell_sum_ratio(ind: Indicator, ctx: Ctx) -> str:
    """Σ numerator columns / Σ denominator columns over cells that reported a numerator column."""
    p = ind.params
    for col in (*p.num, *p.den):
        if col not in CELL_COLUMNS:
            raise ValueError(col)
    num = " + ".join(f"COALESCE(c.{c}, 0)" for c in p.num)
    den = " + ".join(f"COALESCE(c.{c}, 0)" for c in p.den)
    reported = " OR ".join(f"c.{c} IS NOT NULL" for c in p.num)
    return f"""
        SELECT {ctx.grp('c')} AS grp, c.unit_code, c.unit_code || '/' || c.cell_code AS item, c.cell_name AS label,
               CASE WHEN ({den}) > 0 THEN 100.0 * ({num}) / ({den}) END AS figure,
               {num} AS num, {den} AS den, TRUE AS ok, NULL AS behind_key, c.submission_id, {CELL_DETAIL}
        FROM cellx c WHERE ({reported}) AND {_where('c', p.where, CELL_COLUMNS)}"""


def h_meeting_cell_ratio(ind: Indicator, ctx: Ctx) -> str:
    """Cells counted with ≥1 meeting of the kind in every ended month (or quarter) of the window; the
    figure is the number of ended months (quarters) with one. Windows start in January, so the ended
    months are 1..n: bits 1..n of the cell's month mask."""
    p = ind.params
    need = ctx.win.months_ended if p.every == "month" else ctx.win.quarters_ended
    mask = "m.month_mask" if p.every == "month" else "m.quarter_mask"
    have = f"COALESCE(bit_count({mask} & {(1 << (need + 1)) - 2}), 0)"
    return f"""
        SELECT {ctx.grp('c')} AS grp, c.unit_code, c.unit_code || '/' || c.cell_code AS item, c.cell_name AS label,
               {have} AS figure, CASE WHEN {have} >= {need} THEN 1 ELSE 0 END AS num, 1 AS den,
               {have} >= {need} AS ok, c.unit_code || '/' || c.cell_code AS behind_key, c.submission_id,
               {CELL_DETAIL}
        FROM cellx c LEFT JOIN mtg_cell m
          ON m.unit_code = c.unit_code AND m.cell_code = c.cell_code AND m.kind = {_lit(p.meeting_kind)}"""


def h_meeting_ratio(ind: Indicator, ctx: Ctx) -> str:
    """Σ num / Σ den over the window's deduplicated meetings of the kind (ideological: meetings with it
    on the agenda / meetings), summed per cell: the items are cells with their own rate."""
    p = ind.params
    num = {"attended": "m.attended", "ideological": "m.ideological"}[p.num]
    den = {"required": "m.required", None: "m.meetings"}[p.den]
    return f"""
        SELECT {ctx.grp('m')} AS grp, m.unit_code, m.unit_code || '/' || m.cell_code AS item, NULL AS label,
               CASE WHEN {den} > 0 THEN 100.0 * {num} / {den} END AS figure,
               {num} AS num, {den} AS den, TRUE AS ok, NULL AS behind_key, m.submission_id, m.cell_code,
               m.meetings, m.first_meeting, m.last_meeting
        FROM mtg_cell m WHERE m.kind = {_lit(p.meeting_kind)}"""


def h_person_count(ind: Indicator, ctx: Ctx) -> str:
    """Distinct persons (name_key, birth date, level) of the level sent in the year, once per group."""
    return f"""
        SELECT {ctx.grp('t')} AS grp, min(t.unit_code) AS unit_code,
               t.name_key || '|' || strftime(t.birth_date, '%d/%m/%Y') AS item,
               min(t.full_name) AS label, 1 AS figure, 1 AS num, NULL AS den, TRUE AS ok, NULL AS behind_key,
               max(t.submission_id) AS submission_id, min(t.full_name) AS full_name, t.birth_date,
               any_value(t.level) AS level
        FROM persons t WHERE t.level = {_lit(ind.params.level)}
        GROUP BY 1, t.name_key, t.birth_date"""


def h_petition_ratio(ind: Indicator, ctx: Ctx) -> str:
    """In-competence petitions received in the window resolved on or before their deadline; pending ones
    whose deadline has not passed at as_of are left out."""
    resolved = "(p.resolved_date IS NOT NULL AND p.resolved_date <= $as_of)"
    on_time = f"({resolved} AND p.resolved_date <= p.deadline)"
    return f"""
        SELECT {ctx.grp('p')} AS grp, p.unit_code, p.unit_code || '/' || p.petition_no AS item, p.summary AS label,
               CASE WHEN {resolved} THEN p.resolved_date - p.received_date END AS figure,
               CASE WHEN {on_time} THEN 1 ELSE 0 END AS num, 1 AS den, {on_time} AS ok,
               NULL AS behind_key, p.submission_id, {PET_DETAIL}
        FROM pet p WHERE p.in_competence AND NOT ({PENDING} AND p.deadline >= $as_of)"""


def h_petition_count(ind: Indicator, ctx: Ctx) -> str:
    """Petitions received in the window passing the declared predicate."""
    return f"""
        SELECT {ctx.grp('p')} AS grp, p.unit_code, p.unit_code || '/' || p.petition_no AS item, p.summary AS label,
               1 AS figure, 1 AS num, NULL AS den, TRUE AS ok, NULL AS behind_key, p.submission_id, {PET_DETAIL}
        FROM pet p WHERE {_pred('p', ind.params.where, PETITION_COLUMNS)}"""


def h_report_ratio(ind: Indicator, ctx: Ctx) -> str:
    """Expected (unit, period) reports received (or received on time: first accepted upload's date on or
    before the deadline day); for timeliness, a missing report counts only once its deadline has passed."""
    if ind.params.test == "received":
        test, keep = "f.first_at IS NOT NULL", "TRUE"
    else:
        test = "COALESCE(f.first_at::DATE <= e.deadline, FALSE)"
        keep = "NOT (f.first_at IS NULL AND e.deadline >= $as_of)"
    return f"""
        SELECT {ctx.grp('e')} AS grp, e.unit_code, e.unit_code || '/' || e.period AS item, e.period AS label,
               f.first_at::DATE - e.deadline AS figure, CASE WHEN {test} THEN 1 ELSE 0 END AS num, 1 AS den,
               {test} AS ok, e.unit_code AS behind_key, f.first_id AS submission_id, e.period, e.deadline
        FROM expected e LEFT JOIN firsts f ON f.unit_code = e.unit_code AND f.period = e.period
        WHERE {keep}"""


HANDLERS: dict[str, Callable[[Indicator, Ctx], str]] = {
    "unit_ratio": h_unit_ratio,
    "unit_sum_ratio": h_unit_sum_ratio,
    "cell_ratio": h_cell_ratio,
    "cell_count": h_cell_count,
    "cell_sum_ratio": h_cell_sum_ratio,
    "meeting_cell_ratio": h_meeting_cell_ratio,
    "meeting_ratio": h_meeting_ratio,
    "person_count": h_person_count,
    "petition_ratio": h_petition_ratio,
    "petition_count": h_petition_count,
    "report_ratio": h_report_ratio,
}
# kinds whose value is a count of items (value = Σ num, no denominator)
COUNT_KINDS = frozenset({"cell_count", "person_count", "petition_count"})
# kinds that judge every ended month/quarter: no ended period means nothing to judge yet
PERIODIC_KINDS = {"meeting_cell_ratio": lambda p, w: w.months_ended if p.every == "month" else w.quarters_ended}


def _no_periods(ind: Indicator, win: Window) -> bool:
    """True when the indicator needs ended months/quarters and the window has none yet."""
    if ind.kind in PERIODIC_KINDS:
        return PERIODIC_KINDS[ind.kind](ind.params, win) == 0
    return getattr(ind.params, "value", None) == "ended_quarters" and win.quarters_ended == 0


# ------------------------------------------------------------------ base CTEs
# one meeting (unit, cell, date, kind) may come in several reports: the later report (year, period) wins,
# then the lower row of the sheet; a unique BIGINT key keeps every arg_max on the same row
MEETING_ORDER = "((r.year * 10 + r.prank)::BIGINT * 10000000 + r.excel_row)"
# the per-cell meeting figures, from rows with `meeting_date`, `sid` (their report), required, attended, ideological
MTG_AGGREGATES = (
    "count(*) AS meetings, bit_or(1::BIGINT << month({date})::INTEGER) AS month_mask, "
    "bit_or(1::BIGINT << quarter({date})::INTEGER) AS quarter_mask, sum(attended) AS attended, "
    "sum(required) AS required, count(*) FILTER (WHERE ideological) AS ideological, "
    "min({date}) AS first_meeting, max({date}) AS last_meeting, max({sid}) AS submission_id")
# distinct meeting days of a group: a window lies within one year (≤ 366 days), one bit per day in three
# 122-bit HUGEINT masks; bit_or never overflows, whatever the number of rows
_DISTINCT_DAYS = " + ".join(
    f"COALESCE(bit_count(bit_or(CASE WHEN (meeting_date - $start) // 122 = {b} "
    f"THEN 1::HUGEINT << ((meeting_date - $start) % 122)::INTEGER END)), 0)" for b in range(3))


APPROVED = "approved"  # submissions.review_state of a report the office approved (ops.review)


def _base_sql(win: Window, scope: Scope, grp_literal: str | None, detail: bool = True,
              approved_only: bool = False) -> str:
    """The shared CTEs (after WITH RECURSIVE) for one window and scope. `detail` False leaves out the texts
    only drill-down lists show (cell names, petition summaries): less to read at national scale.
    `approved_only`: only reports the office approved feed the figures (a report received but not yet
    approved, or returned, is left out); receipt and timeliness (`firsts`, I25/I26) still count every
    report received, since they judge the sending, not the content."""
    cfg = load_config()
    rank = PERIOD_RANK_SQL.format(c="s.period")
    periods = _lit(win.periods)
    agg = ", ".join(f"({_lit(e.code)}, {_lit(e.aggregation)})" for e in DATA_ELEMENTS)
    if win.expected_periods:
        exp_rows = ", ".join(
            f"({_lit(p)}, {_lit(report_deadline(win.year, p, cfg.deadline_days))})"
            for p in win.expected_periods)
        exp_values = f"(VALUES {exp_rows}) p(period, deadline)"
    else:
        exp_values = "(SELECT NULL::VARCHAR AS period, NULL::DATE AS deadline WHERE FALSE) p"
    ucount_grp = _lit(grp_literal) if grp_literal is not None else "l.unit_code"
    cell_name = "c.cell_name" if detail else "NULL::VARCHAR AS cell_name"
    summary = "p.summary" if detail else "NULL::VARCHAR AS summary"
    return f"""
    {scope.cte()},
    agg(code, aggregation) AS (VALUES {agg}),
    subs AS MATERIALIZED (
        SELECT s.id, s.unit_code, s.year, s.period, s.received_at, s.member_total, s.staff_total, {rank} AS prank
        FROM submissions s WHERE s.status = 'current' AND s.year = $year AND {scope.filter('s.unit_code')}
        {"AND s.review_state = " + _lit(APPROVED) if approved_only else ""}),
    -- the window's reports: every figure of the window comes from these and no other (indicators v1.1)
    win AS MATERIALIZED (SELECT * FROM subs WHERE period IN {periods}),
    used AS MATERIALIZED (
        SELECT * FROM win w WHERE w.period = 'Y'
           OR NOT EXISTS (SELECT 1 FROM win y WHERE y.unit_code = w.unit_code AND y.period = 'Y')),
    lastsub AS MATERIALIZED (
        SELECT unit_code, arg_max(id, prank) AS id, max(prank) AS prank FROM used GROUP BY unit_code),
    ucount AS MATERIALIZED (
        SELECT {ucount_grp} AS grp, l.unit_code, l.id AS submission_id, s.period, s.member_total, s.staff_total
        FROM lastsub l JOIN submissions s ON s.id = l.id),
    -- grouped first, then the catalogue by a LEFT join: an inner join let the optimizer test every one of
    -- ~20M element rows against the catalogue's codes (the slowest step at national scale); a known code
    -- outside the catalogue only adds an elem row nothing selects
    elem AS MATERIALIZED (
        SELECT g.unit_code, g.code,
               CASE a.aggregation WHEN 'sum' THEN g.total WHEN 'latest' THEN g.latest ELSE g.most END AS v
        FROM (SELECT u.unit_code, e.code, sum(e.value) AS total,
                     arg_max(e.value, u.prank) FILTER (WHERE e.value IS NOT NULL) AS latest, max(e.value) AS most
              FROM used u JOIN elements e ON e.submission_id = u.id AND e.known{scope.rows_of('e.submission_id')}
              GROUP BY u.unit_code, e.code) g
        LEFT JOIN agg a ON a.code = g.code),
    cellx AS MATERIALIZED (
        SELECT u.unit_code, u.submission_id, u.period, c.cell_code, {cell_name}, c.cell_kind, c.members, c.rating,
               c.dv_xuat_sac, c.dv_tot, c.dv_hoan_thanh, c.dv_khong_hoan_thanh, c.dv_gop_y_6, c.mo_hinh_4_tot
        FROM ucount u JOIN cells c ON c.submission_id = u.submission_id{scope.rows_of('c.submission_id')}),
    -- Meetings, deduplicated by (unit, cell, date, kind), summed per (unit, cell, kind). Grouping every
    -- meeting row by its date first was the costliest step at national scale, and duplicates are rare: one
    -- pass per cell finds them (fewer distinct days than rows) and only those cells go through the dedup.
    mtg_rows AS NOT MATERIALIZED (
        SELECT s.unit_code, s.id AS sid, s.year, s.prank, m.cell_code, m.meeting_date, m.kind, m.required,
               m.attended, m.ideological, m.excel_row
        FROM win s JOIN meetings m ON m.submission_id = s.id
        WHERE m.meeting_date BETWEEN $start AND $end_asof{scope.rows_of('m.submission_id')}),
    mtg_once AS MATERIALIZED (
        SELECT unit_code, cell_code, kind, {MTG_AGGREGATES.format(date="meeting_date", sid="sid")},
               count(*) > {_DISTINCT_DAYS} AS dup
        FROM mtg_rows GROUP BY unit_code, cell_code, kind),
    mtg_cell AS MATERIALIZED (
        SELECT * EXCLUDE (dup) FROM mtg_once WHERE NOT dup
        UNION ALL
        SELECT unit_code, cell_code, kind, {MTG_AGGREGATES.format(date="meeting_date", sid="sid")}
        FROM (  -- one row per meeting of the cells with duplicates: the later report's row wins
            SELECT r.unit_code, r.cell_code, r.meeting_date, r.kind, arg_max(r.sid, {MEETING_ORDER}) AS sid,
                   arg_max(r.required, {MEETING_ORDER}) AS required,
                   arg_max(r.attended, {MEETING_ORDER}) AS attended,
                   arg_max(r.ideological, {MEETING_ORDER}) AS ideological
            FROM mtg_rows r JOIN (SELECT unit_code, cell_code, kind FROM mtg_once WHERE dup) d
              ON d.unit_code = r.unit_code AND d.cell_code = r.cell_code AND d.kind = r.kind
            GROUP BY r.unit_code, r.cell_code, r.meeting_date, r.kind)
        GROUP BY unit_code, cell_code, kind),
    persons AS MATERIALIZED (
        SELECT s.unit_code, s.id AS submission_id, t.full_name, t.name_key, t.birth_date, t.level
        FROM win s JOIN trainees t ON t.submission_id = s.id WHERE t.year_sent = $year{scope.rows_of('t.submission_id')}),
    pet AS MATERIALIZED (
        SELECT * EXCLUDE (rn) FROM (
            SELECT s.unit_code, s.id AS submission_id, p.petition_no, p.petition_key, p.received_date, p.kind,
                   p.over_level, p.in_competence, p.deadline, p.resolved_date, p.status, {summary},
                   row_number() OVER (PARTITION BY s.unit_code, p.petition_key
                                      ORDER BY s.prank DESC, s.received_at DESC, s.id DESC) AS rn
            FROM win s JOIN petitions p ON p.submission_id = s.id
            -- only petitions some report dates in the window: the others cannot count here
            WHERE (s.unit_code, p.petition_key) IN (
                SELECT (s2.unit_code, p2.petition_key) FROM win s2 JOIN petitions p2 ON p2.submission_id = s2.id
                WHERE p2.received_date BETWEEN $start AND $end_asof{scope.rows_of('p2.submission_id')}){scope.rows_of('p.submission_id')})
        WHERE rn = 1 AND received_date BETWEEN $start AND $end_asof),
    expected AS MATERIALIZED (
        SELECT u.code AS unit_code, p.period, p.deadline FROM units u CROSS JOIN {exp_values}
        WHERE {must_report_sql('u')}
          AND {scope.filter('u.code')}),
    firsts AS MATERIALIZED (
        SELECT s.unit_code, s.period, min(s.received_at) AS first_at, arg_min(s.id, s.received_at) AS first_id,
               count(*)::INTEGER AS versions
        FROM submissions s WHERE s.year = $year AND s.status <> 'withdrawn' AND {scope.filter('s.unit_code')}
        GROUP BY ALL)"""


# One reference without a filter to each large CTE whose every use filters it (by element code, meeting kind):
# otherwise DuckDB pushes the OR of those filters into the CTE and down to the scan, testing ~20M element
# rows against 17 codes — slower than grouping them all.
_UNFILTERED = ("UNION ALL SELECT '_ELEM', count(*), NULL, count(*), NULL FROM elem "
               "UNION ALL SELECT '_MEETINGS', count(*), NULL, count(*), NULL FROM mtg_cell")


def _params(sql: str, win: Window, scope_code: str) -> dict:
    """Only the named parameters the SQL uses (DuckDB rejects extra ones)."""
    allp = {"scope": scope_code, "year": win.year, "as_of": win.as_of, "start": win.start, "end_asof": win.end_asof}
    used = set(re.findall(r"\$([a-z_]+)", sql))
    return {k: v for k, v in allp.items() if k in used}


def _item_union(inds: tuple[Indicator, ...], ctx: Ctx) -> str:
    return "\nUNION ALL\n".join(f"SELECT {_lit(i.id)} AS iid, * FROM ({_items(HANDLERS[i.kind](i, ctx))})"
                                 for i in inds)


def window_query(db, select: str, *, year: int, quarter: int | None = None, unit: str | None = None,
                 as_of: dt.date | None = None, single_quarter: bool = False,
                 principal: Principal | None = None, approved_only: bool = False) -> pd.DataFrame:
    """Run `select` over the engine's own CTEs for a scope and window (the window's reports `win`, `used`,
    per-unit elements `elem`, petitions' states `pet`, expected reports `expected`, first receipts `firsts`,
    the scope `scope`), so registers and page headlines count exactly what the indicators count.
    Parameters $year, $as_of, $start, $end_asof are bound; the principal is authorised first.
    `approved_only`: only the reports the office approved feed the window (see _base_sql)."""
    unit = authorize_unit(db, principal, unit)
    win = make_window(year, quarter, as_of, single_quarter=single_quarter)
    scope = resolve_scope(db, unit)
    sql = f"WITH RECURSIVE {_base_sql(win, scope, scope.code, approved_only=approved_only)}\n{select}"
    return db.query_df(sql, _params(sql, win, scope.code))


# ------------------------------------------------------------------ results
@dataclass
class IndicatorResult:
    """One computed indicator (fields of the interfaces.md JSON, plus group and kind)."""

    id: str
    name: str
    unit: str
    value: float | int | None
    numerator: float | int | None
    denominator: float | int | None
    target: dict | None
    status: str
    behind: list[str]
    group: str

    def to_json(self) -> dict:
        """The interfaces.md indicator object (keys exactly as the contract)."""
        return {"id": self.id, "name": self.name, "unit": self.unit, "value": self.value,
                "numerator": self.numerator, "denominator": self.denominator, "target": self.target,
                "status": self.status, "behind": list(self.behind)}


@dataclass
class Report:
    """The result of `compute`: scope, window, every indicator in id order, activities."""

    scope: dict
    window: dict
    indicators: list[IndicatorResult]
    activities: dict[str, float | int | None]
    by_id: dict[str, IndicatorResult] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {i.id: i for i in self.indicators}

    def to_json(self) -> dict:
        """Exactly the interfaces.md object: scope, window, indicators (id order), activities."""
        return {"scope": dict(self.scope), "window": dict(self.window),
                "indicators": [i.to_json() for i in self.indicators], "activities": dict(self.activities)}


def _num(x: Any) -> float | int | None:
    """A JSON-friendly number: None for NULL/NaN, int when integral."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if f != f:
        return None
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def _value(ind: Indicator, num: float | None, den: float | None, n_items: int, n_units: int,
           win: Window) -> tuple[float | int | None, Any, Any]:
    """(value, numerator, denominator) of one indicator in one group, None value meaning no_data."""
    if ind.kind in COUNT_KINDS:
        # nothing to count from: no rated cell (I13); no item and no report in the window (others)
        empty = n_items == 0 and (n_units == 0 or ind.kind == "cell_count")
        return (None, None, None) if empty else (_num(num or 0), _num(num or 0), None)
    if _no_periods(ind, win) or not den:
        return None, _num(num) if n_items else None, _num(den) if n_items else None
    return 100.0 * float(num) / float(den), _num(num), _num(den)


def _target_for(ind: Indicator, targets: dict, is_root: bool, year: int) -> dict | None:
    """The target judged in this view: none below the root for root-only indicators."""
    if ind.root_only and not is_root:
        return None
    return targets[ind.id] if ind.id in targets else declared_target(ind, year)


# ------------------------------------------------------------------ public API
def compute(db, *, year: int, quarter: int | None = None, unit: str | None = None,
            as_of: dt.date | None = None, principal: Principal | None = None,
            approved_only: bool = False) -> Report:
    """All indicators and activities for a scope (unit and everything below; None = root), a window
    (the year, or year to date through `quarter`) and an as-of date (default today).
    `approved_only`: only the reports the office approved count (receipt and timeliness still count every
    report received). Raises DashboardError for an unknown unit, a unit outside the principal's scope, or
    an invalid year/quarter."""
    unit = authorize_unit(db, principal, unit)
    win = make_window(year, quarter, as_of)
    year, quarter = win.year, win.quarter  # plain ints (pages may pass numpy ints)
    scope = resolve_scope(db, unit)
    code, name, is_root = scope.code, scope.name, scope.is_root
    ctx = Ctx(win, code)
    base = _base_sql(win, scope, code, detail=False, approved_only=approved_only)
    # `behind` comes back sorted and distinct as one string split in Python: hundreds of thousands of
    # UNIT/CELL keys at national scale cost ~1.5 s as Python lists sorted in Python
    behind = (f"string_agg(DISTINCT behind_key, {_lit(BEHIND_SEP)} ORDER BY behind_key) {BEHIND_FILTER}, "
              f"count(DISTINCT behind_key) {BEHIND_FILTER}")
    others = f"SELECT '_UNITS', count(*), NULL, count(*), NULL FROM ucount {_UNFILTERED}"
    if win.full_year:  # the activities window is the same: one query for everything
        others += f"\n UNION ALL {_activity_rows_sql()}"
    sql = f"""WITH RECURSIVE {base},
        items AS ({_item_union(INDICATORS, ctx)})
        SELECT iid, sum(num) AS num, sum(den) AS den, count(*) AS n, {behind}
        FROM items GROUP BY iid
        UNION ALL SELECT *, NULL FROM ({others})"""
    rows = {r[0]: r[1:] for r in db.query_rows(sql, _params(sql, win, code))}
    n_units = int(rows.get("_UNITS", (0, None, 0, None, None))[2])
    targets = effective_targets(db, year)
    results = []
    for ind in INDICATORS:
        num, den, n, behind_text, n_behind = rows.get(ind.id, (None, None, 0, None, 0))
        value, numerator, denominator = _value(ind, num, den, int(n or 0), n_units, win)
        target = _target_for(ind, targets, is_root, year)
        status = judge(value, target, provisional=ind.annual and not win.year_complete)
        show_behind = ind.kind in BEHIND_KINDS and value is not None
        results.append(IndicatorResult(ind.id, ind.name, ind.unit, value, numerator, denominator, target,
                                       status, _split_behind(behind_text, n_behind) if show_behind else [],
                                       ind.group))
    return Report(
        scope={"unit": code, "name": name, "is_root": is_root},
        window={"year": year, "quarter": quarter, "as_of": win.as_of.isoformat()},
        indicators=results,
        activities=(_activities_from(rows) if win.full_year
                    else _activities_by_quarter(db, win.year, (quarter,), win.as_of, scope,
                                                approved_only)[quarter]),
    )


BEHIND_SEP = "\x1f"  # ASCII unit separator: never part of a unit or cell code
BEHIND_FILTER = "FILTER (WHERE NOT ok AND behind_key IS NOT NULL)"


def _split_behind(text: str | None, count: int | None) -> list[str]:
    """The sorted distinct behind keys from their joined string; a key holding the separator fails loudly."""
    keys = text.split(BEHIND_SEP) if text else []
    if len(keys) != int(count or 0):
        raise RuntimeError(f"behind keys hold the separator: {len(keys)} parts for {count} keys")
    return keys


def _activity_rows_sql() -> str:
    """Activity totals as rows (iid, num, den, n, behind) over the base CTEs' window, UNION-able with
    the indicator aggregates: 'A:<element>' sums, then the three petition figures."""
    sums = " UNION ALL ".join(
        f"SELECT {_lit('A:' + c)}, sum(v), NULL, count(v), NULL FROM elem WHERE code = {_lit(c)}" for c in SUM_ELEMENTS)
    return f"""{sums}
        UNION ALL SELECT 'A:DON_THU_NHAN', count(*), NULL, count(*), NULL FROM pet
        UNION ALL SELECT 'A:DON_THU_QUA_HAN', count(*), NULL, count(*), NULL FROM pet p
                  WHERE {PENDING} AND p.deadline < $as_of
        UNION ALL SELECT 'A:DON_THU_SO_NGAY_TB', avg(resolved_date - received_date), NULL, count(*), NULL
                  FROM pet WHERE resolved_date <= $as_of"""


def _activities_from(rows: dict) -> dict:
    """The activities object from 'A:' rows (null when nobody reported an element)."""
    out: dict[str, Any] = {}
    for c in SUM_ELEMENTS:
        v = rows.get("A:" + c, (None,))[0]
        # Money is in triệu đồng: 6 decimals is one đồng, and drops binary summation noise (8282.500000000002).
        out[c] = None if v is None else (round(float(v), 6) if ELEMENTS_BY_CODE[c].type == "money" else _num(v))
    out["DON_THU_NHAN"] = int(rows.get("A:DON_THU_NHAN", (0,))[0] or 0)
    out["DON_THU_QUA_HAN"] = int(rows.get("A:DON_THU_QUA_HAN", (0,))[0] or 0)
    avg = rows.get("A:DON_THU_SO_NGAY_TB", (None,))[0]
    out["DON_THU_SO_NGAY_TB"] = None if avg is None else float(avg)
    return out


def _activities_by_quarter(db, year: int, quarters: tuple[int, ...], as_of: dt.date, scope: Scope,
                           approved_only: bool = False) -> dict:
    """{quarter: activities of that quarter alone} in one query: element totals of the quarter's reports;
    petitions received in the quarter, each in its row of the latest report of the year-to-date window
    through that quarter (Q1..Qq: a later quarter's report does not move an earlier quarter's figures).
    The same figures as `compute(quarter=q)` gives for each quarter."""
    win = make_window(year, None, as_of)
    periods = _lit(tuple(f"Q{q}" for q in quarters))
    sql = f"""WITH RECURSIVE {_base_sql(win, scope, None, detail=False, approved_only=approved_only)},
        qelem AS (
            SELECT g.period, g.code, g.total FROM (
                SELECT s.period, e.code, sum(e.value) AS total
                FROM subs s JOIN elements e ON e.submission_id = s.id AND e.known{scope.rows_of('e.submission_id')}
                WHERE s.period IN {periods} GROUP BY s.period, e.code) g
            JOIN agg a ON a.code = g.code AND a.aggregation = 'sum'),
        qs(q) AS (VALUES {', '.join(f'({int(q)})' for q in quarters)}),
        qpet AS (
            SELECT * EXCLUDE (rn) FROM (
                SELECT 'Q' || q.q AS period, q.q, s.unit_code, p.received_date, p.deadline, p.resolved_date,
                       p.status,
                       row_number() OVER (PARTITION BY q.q, s.unit_code, p.petition_key
                                          ORDER BY s.prank DESC, s.received_at DESC, s.id DESC) AS rn
                FROM qs q JOIN subs s ON s.prank <= q.q
                JOIN petitions p ON p.submission_id = s.id{scope.rows_of('p.submission_id')}
                WHERE (s.unit_code, p.petition_key) IN (
                    SELECT (s2.unit_code, p2.petition_key) FROM subs s2 JOIN petitions p2 ON p2.submission_id = s2.id
                    WHERE p2.received_date BETWEEN $start AND $end_asof{scope.rows_of('p2.submission_id')}))
            WHERE rn = 1 AND quarter(received_date) = q AND received_date BETWEEN $start AND $end_asof)
        SELECT 'A:' || code, period, total FROM qelem
        UNION ALL SELECT 'A:DON_THU_NHAN', period, count(*) FROM qpet GROUP BY period
        UNION ALL SELECT 'A:DON_THU_QUA_HAN', period, count(*) FROM qpet p
                  WHERE {PENDING} AND p.deadline < $as_of GROUP BY period
        UNION ALL SELECT 'A:DON_THU_SO_NGAY_TB', period, avg(resolved_date - received_date) FROM qpet
                  WHERE resolved_date <= $as_of GROUP BY period"""
    by_q: dict[int, dict] = {q: {} for q in quarters}
    for key, period, value in db.query_rows(sql, _params(sql, win, scope.code)):
        q = int(period[1])
        if q in by_q:
            by_q[q][key] = (value,)
    return {q: _activities_from(rows) for q, rows in by_q.items()}


def _indicator_table(win: Window) -> str:
    """VALUES rows (iid, ord, is_count, count_needs_items, periods_ok): what the per-unit query needs to
    turn sums into values in SQL (statuses are judged afterwards by metrics.targets, like everywhere)."""
    rows = []
    for k, ind in enumerate(INDICATORS):
        rows.append("(" + ", ".join(_lit(v) for v in (
            ind.id, k, ind.kind in COUNT_KINDS, ind.kind == "cell_count", not _no_periods(ind, win))) + ")")
    return f"(SELECT * FROM (VALUES {', '.join(rows)}) t(iid, ord, is_count, count_needs_items, periods_ok))"


def compute_by_unit(db, *, year: int, quarter: int | None = None, unit: str | None = None,
                    as_of: dt.date | None = None, principal: Principal | None = None,
                    approved_only: bool = False) -> pd.DataFrame:
    """One row per (unit in scope that reported in the window or is expected to, indicator), ordered by
    unit then indicator: unit_code, unit_name, indicator_id, value, numerator, denominator, status.
    Set-based: one query for all units, values and statuses included. Root-only targets: no_target.
    `approved_only`: only the reports the office approved count (as in `compute`)."""
    unit = authorize_unit(db, principal, unit)
    win = make_window(year, quarter, as_of)
    year, quarter = win.year, win.quarter  # plain ints (pages may pass numpy ints)
    scope = resolve_scope(db, unit)
    code = scope.code
    ctx = Ctx(win, None)
    sql = f"""WITH RECURSIVE {_base_sql(win, scope, None, detail=False, approved_only=approved_only)},
        items AS ({_item_union(INDICATORS, ctx)}),
        g AS (SELECT iid, grp, sum(num) AS num, sum(den) AS den, count(*) AS n FROM items GROUP BY ALL),
        nu AS (SELECT grp, count(*) AS n FROM ucount GROUP BY grp),
        us AS (SELECT DISTINCT grp FROM g UNION SELECT grp FROM nu),
        ind AS {_indicator_table(win)},
        v AS (
            SELECT us.grp, ind.*, g.num, g.den, COALESCE(g.n, 0) AS n,
                   CASE WHEN ind.is_count THEN
                          CASE WHEN COALESCE(g.n, 0) = 0 AND (COALESCE(nu.n, 0) = 0 OR ind.count_needs_items)
                               THEN NULL ELSE COALESCE(g.num, 0) END
                        WHEN ind.periods_ok AND g.den > 0 THEN 100.0 * g.num / g.den END AS value
            FROM us CROSS JOIN ind LEFT JOIN g ON g.grp = us.grp AND g.iid = ind.iid
            LEFT JOIN nu ON nu.grp = us.grp)
        SELECT v.grp AS unit_code, un.name AS unit_name, v.iid AS indicator_id, v.value,
               CASE WHEN is_count THEN value WHEN n > 0 THEN num END AS numerator,
               CASE WHEN NOT is_count AND n > 0 THEN den END AS denominator
        FROM v LEFT JOIN units un ON un.code = v.grp
        ORDER BY v.grp, v.ord"""
    # through Arrow: 4× faster than .df() for the ~26 × units rows of a large organisation
    df = db.cursor().sql(sql, params=_params(sql, win, code)).to_arrow_table().to_pandas()
    for col in ("value", "numerator", "denominator"):
        df[col] = df[col].astype(float)
    targets = effective_targets(db, year)
    status = np.full(len(df), "no_target", dtype=object)
    values = df["value"].to_numpy(dtype=float, na_value=np.nan)
    for iid, rows in df.groupby("indicator_id", sort=False).indices.items():
        ind = INDICATORS_BY_ID[iid]
        target = _target_for(ind, targets, False, year)
        provisional = ind.annual and not win.year_complete
        status[rows] = judge_array(values[rows], target, provisional=provisional)
    df["status"] = status
    return df


def drilldown(db, indicator_id: str, *, year: int, quarter: int | None = None, unit: str | None = None,
              as_of: dt.date | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """The items behind one indicator at their natural grain, failing ones first: unit_code, unit_name,
    the grain's own columns (cells: cell_code, cell_name, cell_kind, rating, members; meetings summed per
    cell: cell_code, meetings, first_meeting, last_meeting; persons: full_name, birth_date, level; petitions: petition_no, kind,
    received_date, deadline, resolved_date, status, over_level, in_competence; reports: period, deadline;
    units: period of the report used), then value (the item's own figure), numerator, denominator,
    meets (True/False, None where an item has no verdict of its own), submission_id, file_name, version,
    uploader, received_at of the submission it came from. Names, birth dates, petition details and the
    uploader are blank for a principal without view_personal_data."""
    unit = authorize_unit(db, principal, unit)
    ind = INDICATORS_BY_ID.get(indicator_id)
    if ind is None:
        raise DashboardError(f"Không có chỉ tiêu “{indicator_id}”.")
    win = make_window(year, quarter, as_of)
    year, quarter = win.year, win.quarter  # plain ints (pages may pass numpy ints)
    scope = resolve_scope(db, unit)
    code, is_root = scope.code, scope.is_root
    ctx = Ctx(win, code)
    sql = f"""WITH RECURSIVE {_base_sql(win, scope, code)}
        SELECT i.unit_code, un.name AS unit_name, i.* EXCLUDE (grp, unit_code, item, label, figure, num, den, ok,
               behind_key, submission_id),
               i.figure AS value, i.num AS numerator, i.den AS denominator, i.ok AS meets,
               i.submission_id, s.file_name, s.version, s.uploader, s.received_at
        FROM ({HANDLERS[ind.kind](ind, ctx)}) i
        LEFT JOIN units un ON un.code = i.unit_code LEFT JOIN submissions s ON s.id = i.submission_id
        ORDER BY i.ok NULLS FIRST, i.unit_code, i.item"""
    df = db.query_df(sql, _params(sql, win, code))
    target = _target_for(ind, effective_targets(db, year), is_root, year)
    if ind.kind in BEHIND_KINDS or ind.kind == "petition_ratio":
        meets = [bool(v) for v in df["meets"]]
    elif ind.kind in COUNT_KINDS and target is not None and (
            target["op"] in ("<", "<=") or (target["op"] == "=" and target.get("value") == 0)):
        # the target wants none (or few) of the counted items: each counted item falls short
        meets = [not bool(v) if ind.kind == "cell_count" else False for v in df["meets"]]
    elif ind.is_percent and target is not None:
        meets = [None if st == "no_data" else st in ("met", "exceeded")
                 for st in judge_array(df["value"].to_numpy(dtype=float, na_value=np.nan), target)]
    else:
        meets = [None] * len(df)
    df["meets"] = pd.Series(meets, index=df.index, dtype=object)
    order = np.array([{False: 0, None: 1, True: 2}[m] for m in meets], dtype=int)
    df = df.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)  # failing items first
    return mask_personal(df, principal)


def activities_by_period(db, *, year: int, unit: str | None = None,
                         as_of: dt.date | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """Activities (every `sum` element and the petition figures) per quarter of a year, long format:
    element, label, period (Q1..Q4), value — for trend charts."""
    unit = authorize_unit(db, principal, unit)
    scope = resolve_scope(db, unit)
    as_of = as_of or make_window(year).as_of
    rows = []
    for q, acts in _activities_by_quarter(db, make_window(year).year, (1, 2, 3, 4), as_of, scope).items():
        rows += [{"element": k, "label": ACTIVITIES_BY_CODE[k].label, "period": f"Q{q}", "value": v}
                 for k, v in acts.items()]
    return pd.DataFrame(rows, columns=["element", "label", "period", "value"])


def trend(db, indicator_ids: list[str] | tuple[str, ...], *, years: list[int] | tuple[int, ...] | range,
          unit: str | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """Value of each indicator per full year: year, indicator_id, name, unit, value, numerator,
    denominator, status."""
    unknown = [i for i in indicator_ids if i not in INDICATORS_BY_ID]
    if unknown:
        raise DashboardError(f"Không có chỉ tiêu: {', '.join(unknown)}")
    rows = []
    for y in years:
        rep = compute(db, year=int(y), unit=unit, principal=principal)
        for iid in indicator_ids:
            r = rep.by_id[iid]
            rows.append({"year": int(y), "indicator_id": iid, "name": r.name, "unit": r.unit, "value": r.value,
                         "numerator": r.numerator, "denominator": r.denominator, "status": r.status})
    return pd.DataFrame(rows, columns=["year", "indicator_id", "name", "unit", "value", "numerator",
                                       "denominator", "status"])
