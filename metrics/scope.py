"""Scope (a unit and everything below it), windows (a year or year to date) and expected reports."""
from __future__ import annotations

import operator
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from core.clock import month_end, period_end, today
from core.config import load_config
from core.errors import DashboardError
from core.storage import UNITS_CTE, subtree_cte

EXPECTED_KINDS = ("DBCS", "CBCS")  # the kinds of unit that report (a committee above them does not)


def must_report_sql(alias: str, year: str = "$year") -> str:
    """The one rule of who must report, as an SQL predicate over a `units` row: a unit of a reporting kind
    that is active in the year (started, not stopped, not merged into another)."""
    kinds = ", ".join(_quote(k) for k in EXPECTED_KINDS)
    return (f"({alias}.kind IN ({kinds}) AND ({alias}.inactive_from IS NULL OR {alias}.inactive_from > {year})"
            f" AND ({alias}.active_from IS NULL OR {alias}.active_from <= {year}) AND {alias}.merged_into IS NULL)")


@dataclass(frozen=True)
class Window:
    """What a (year, quarter, as-of) view covers; every count of 'ended' periods uses as_of."""

    year: int
    quarter: int | None
    as_of: dt.date
    periods: tuple[str, ...]  # report periods whose data is used (Y only for a full year)
    start: dt.date  # first day of the window
    end: dt.date  # last day of the window
    months_ended: int  # months 1..n of the window that ended on or before as_of
    quarters_ended: int  # quarters 1..n of the window that ended on or before as_of
    expected_periods: tuple[str, ...]  # periods whose reports are expected (ended on or before as_of)

    @property
    def end_asof(self) -> dt.date:
        """The window's last day, but not after the as-of date (dated events after it do not count)."""
        return min(self.end, self.as_of)

    @property
    def year_complete(self) -> bool:
        """True when the window reaches the year's last quarter and the year has ended at the as-of date
        (annual targets are judged only then; before, a value short of them is in_progress)."""
        return self.quarter in (None, 4) and self.as_of >= dt.date(self.year, 12, 31)

    @property
    def full_year(self) -> bool:
        """True when the window is the whole year (annual reports used)."""
        return self.quarter is None


def make_window(year: int, quarter: int | None = None, as_of: dt.date | None = None,
                *, single_quarter: bool = False) -> Window:
    """The window of a year (quarter None) or year to date through `quarter`; `single_quarter` gives
    only that quarter (activities)."""
    year_in, quarter_in = year, quarter
    year, quarter = _integer(year), None if quarter is None else _integer(quarter)
    if year is None or not 2000 <= year <= 2100:
        raise DashboardError(f"Năm không hợp lệ: {year_in!r} (phải từ 2000 đến 2100)")
    if quarter_in is not None and (quarter is None or not 1 <= quarter <= 4):
        raise DashboardError(f"Quý không hợp lệ: {quarter_in!r} (phải từ 1 đến 4)")
    as_of = as_of or today()
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise DashboardError(f"Ngày tính không hợp lệ: {as_of!r} (dạng YYYY-MM-DD)") from None
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    last_q = quarter or 4
    first_q = last_q if single_quarter and quarter else 1
    quarters = tuple(f"Q{q}" for q in range(first_q, last_q + 1))
    periods = quarters if quarter else quarters + ("Y",)
    start = dt.date(year, 3 * first_q - 2, 1)
    end = period_end(year, f"Q{last_q}")
    months = [m for m in range(3 * first_q - 2, 3 * last_q + 1) if month_end(year, m) <= as_of]
    quarters_done = [q for q in quarters if period_end(year, q) <= as_of]
    expected = tuple(p for p in periods if period_end(year, p) <= as_of)
    return Window(year, quarter, as_of, periods, start, end, len(months), len(quarters_done), expected)


def _integer(x) -> int | None:
    """An int from any integral number (numpy ints from pages included); None for anything else."""
    if isinstance(x, bool):
        return None
    try:
        return operator.index(x)
    except TypeError:
        return None


def root_code() -> str:
    """The configured root unit code."""
    return load_config().root_code


def resolve_unit(db, unit: str | None) -> tuple[str, str, bool]:
    """(code, name, is_root) of the scope unit; None means the root. Unknown code: DashboardError."""
    code = str(unit or "").strip().upper() or root_code()
    row = db.query_rows("SELECT code, name, kind FROM units WHERE upper(code) = ?", [code.upper()])
    if not row:
        raise DashboardError(f"Không tìm thấy đơn vị “{unit}” trong danh sách đơn vị.")
    c, name, kind = row[0]
    return c, name, kind == "ROOT"


@dataclass(frozen=True)
class Scope:
    """A resolved scope: the unit, and (below the root) the codes of it and every unit under it."""

    code: str
    name: str
    is_root: bool
    codes: tuple[str, ...] | None  # None for the root: every unit
    # ids of the scope's current submissions when few enough to list (below the root): see rows_of()
    sub_ids: tuple[int, ...] | None = None

    def cte(self) -> str:
        """SQL for the CTE `scope(code)` (the unit codes in scope), with no parameters."""
        if self.codes is None:
            return "scope(code) AS (SELECT code FROM units)"
        return f"scope(code) AS (SELECT * FROM (VALUES {', '.join(f'({_quote(c)})' for c in self.codes)}) v(code))"

    def filter(self, column: str) -> str:
        """A predicate keeping rows whose `column` is a unit in scope. Below the root a literal IN list:
        both DuckDB and PostgreSQL push it into the scan (DuckDB skips row groups by min/max), where a
        semi-join on a recursive CTE read the whole table."""
        if self.codes is None:
            return f"{column} IN (SELECT code FROM scope)"
        return f"{column} IN ({', '.join(_quote(c) for c in self.codes)})"


    def rows_of(self, column: str) -> str:
        """An extra ` AND column IN (ids)` for a data table's submission_id, or "" when not listed. A join
        on submissions is never pushed to a PostgreSQL server by DuckDB's extension, which then reads the
        whole table; a literal list is pushed (the backend's `list_submission_ids` says where it pays: on
        PostgreSQL it saves reading whole tables over the wire; on a DuckDB file, which already skips row groups
        by unit, it made one unit 0.12 → 0.18 s at 50,000 units)."""
        if not self.sub_ids:
            return ""
        return f" AND {column} IN ({', '.join(str(int(i)) for i in self.sub_ids)})"


# beyond this many current submissions a scope is filtered by its join alone (a list this long costs
# more to send and test than it saves; an intermediate committee of ~100 units × 5 years stays below)
MAX_LISTED_SUBMISSIONS = 5000
def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def resolve_scope(db, unit: str | None) -> Scope:
    """The scope of a unit (None = the root), its descendants resolved once; unknown code: DashboardError."""
    code, name, is_root = resolve_unit(db, unit)
    if is_root:
        return Scope(code, name, True, None)
    rows = db.query_rows(f"WITH RECURSIVE {scope_cte(False)} SELECT code FROM scope ORDER BY code", {"scope": code})
    scope = Scope(code, name, False, tuple(r[0] for r in rows))
    if not db.backend.list_submission_ids:
        return scope
    # resolved on every call, never cached: an upload changes which submissions are current
    ids = db.query_rows(f"SELECT id FROM submissions WHERE status = 'current' AND {scope.filter('unit_code')} "
                        f"ORDER BY id LIMIT {MAX_LISTED_SUBMISSIONS + 1}")
    if len(ids) <= MAX_LISTED_SUBMISSIONS:
        scope = Scope(code, name, False, scope.codes, tuple(r[0] for r in ids) or (-1,))
    return scope


def scope_cte(is_root: bool) -> str:
    """SQL for the CTE `scope(code)`: every unit for the root, else the unit and its descendants
    ($scope parameter). UNION (not ALL) stops on a cycle in parent codes."""
    if is_root:
        return "scope(code) AS (SELECT code FROM units)"
    return subtree_cte("scope")


def scope_units(db, unit: str | None) -> list[str]:
    """Codes of the unit and every unit below it (the root: all units), sorted."""
    code, _, is_root = resolve_unit(db, unit)
    sql = f"WITH RECURSIVE {scope_cte(is_root)} SELECT code FROM scope ORDER BY code"
    params = {} if is_root else {"scope": code}
    return [r[0] for r in db.query_rows(sql, params)]


def unit_tree(db) -> pd.DataFrame:
    """The unit list as a tree: code, name, kind, parent_code, inactive_from, depth, path (root first)."""
    return db.query_df(
        f"""WITH RECURSIVE {UNITS_CTE}, t(code, name, kind, parent_code, inactive_from, depth, path) AS (
               SELECT code, name, kind, parent_code, inactive_from, 0, [code] FROM units_m WHERE kind = 'ROOT'
               UNION ALL
               SELECT u.code, u.name, u.kind, u.parent_code, u.inactive_from, t.depth + 1, list_append(t.path, u.code)
               FROM units_m u JOIN t ON u.parent_code = t.code
               WHERE u.kind <> 'ROOT' AND NOT list_contains(t.path, u.code))
           SELECT code, name, kind, parent_code, inactive_from, depth, array_to_string(path, '/') AS path
           FROM t
           UNION ALL  -- units whose parent is unknown still show, directly under the root
           SELECT code, name, kind, parent_code, inactive_from, 1, code FROM units u
           WHERE kind <> 'ROOT' AND (parent_code IS NULL OR parent_code NOT IN (SELECT code FROM units))
           ORDER BY path"""
    )
