"""Targets: defaults from the declarations, per-year overrides (recorded with who/when), and judging.

An override set for year Y applies to Y and every later year until another override (for a later year,
or a newer one for the same year) replaces it. A `None` override means "no target" (status no_target).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core import audit
from core.errors import DashboardError
from metrics.indicators import INDICATORS, INDICATORS_BY_ID

TARGET_OPS = (">", ">=", "=", "<=", "<", "range")


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def target_problems(target) -> list[str]:
    """Why a target dict is malformed (Vietnamese messages); [] when it is well-formed or None."""
    if target is None:
        return []
    if not isinstance(target, dict):
        return ["Chỉ tiêu mục tiêu phải là một đối tượng {op, value} hoặc {op: range, min, max}"]
    op = target.get("op")
    if op not in TARGET_OPS:
        return [f"Phép so sánh “{op}” không hợp lệ (chỉ dùng {', '.join(TARGET_OPS)})"]
    if op == "range":
        if set(target) != {"op", "min", "max"}:
            return ["Mục tiêu khoảng phải có đúng các khóa op, min, max"]
        lo, hi = target["min"], target["max"]
        if not (_is_number(lo) and _is_number(hi)):
            return [f"min/max phải là số: {lo!r}, {hi!r}"]
        if lo > hi:
            return [f"min ({lo}) lớn hơn max ({hi})"]
        return []
    if set(target) != {"op", "value"}:
        return ["Mục tiêu phải có đúng các khóa op, value"]
    if not _is_number(target["value"]):
        return [f"Giá trị mục tiêu phải là số: {target['value']!r}"]
    return []


def _clean(target: dict | None) -> dict | None:
    """The canonical JSON form: ints where integral, keys in contract order."""
    if target is None:
        return None

    def n(x):
        x = float(x)
        return int(x) if x.is_integer() else x

    if target["op"] == "range":
        return {"op": "range", "min": n(target["min"]), "max": n(target["max"])}
    return {"op": target["op"], "value": n(target["value"])}


def default_target(indicator_id: str, year: int) -> dict | None:
    """The declared default target of an indicator in a year (None before its `target_from`)."""
    return declared_target(INDICATORS_BY_ID[indicator_id], year)


def declared_target(ind, year: int) -> dict | None:
    """The default target of a declaration in a year (None before its `target_from`)."""
    if ind.target_from is not None and year < ind.target_from:
        return None
    return _clean(ind.target)


def effective_targets(db, year: int) -> dict[str, dict | None]:
    """{indicator id: target or None} in force for a year: the latest override for a year ≤ `year`,
    else the default. Root-only rules are applied by the engine, not here."""
    out = {i.id: default_target(i.id, year) for i in INDICATORS}
    rows = db.query_rows(
        """SELECT indicator_id, op, value, min, max FROM (
               SELECT *, row_number() OVER (PARTITION BY indicator_id ORDER BY year DESC, changed_at DESC) AS rn
               FROM target_overrides WHERE year <= ?) WHERE rn = 1""", [year])
    for iid, op, value, lo, hi in rows:
        if iid not in out:
            continue
        if op is None:
            out[iid] = None
        elif op == "range":
            out[iid] = _clean({"op": op, "min": lo, "max": hi})
        else:
            out[iid] = _clean({"op": op, "value": value})
    return out


def set_target(db, indicator_id: str, year: int, target: dict | None, changed_by: str, *,
               principal=None) -> None:
    """Record an override of an indicator's target from `year` on (None = no target), with who and when.
    Raises DashboardError (Vietnamese) for an unknown indicator, bad year, malformed target, no user, or a
    principal without manage_targets (None: trusted local operator)."""
    from core.auth import MANAGE_TARGETS, require

    require(principal, MANAGE_TARGETS)
    ind = INDICATORS_BY_ID.get(indicator_id)
    if ind is None:
        raise DashboardError(f"Không có chỉ tiêu “{indicator_id}”.")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise DashboardError(f"Năm áp dụng không hợp lệ: {year!r} (phải từ 2000 đến 2100).")
    if not isinstance(changed_by, str) or not changed_by.strip():
        raise DashboardError("Phải ghi rõ người thay đổi mục tiêu.")
    problems = target_problems(target)
    if problems:
        raise DashboardError(f"Mục tiêu của {indicator_id} không hợp lệ: " + "; ".join(problems))
    if target is not None:
        nums = [target["min"], target["max"]] if target["op"] == "range" else [target["value"]]
        if any(x < 0 for x in nums) or (ind.is_percent and any(x > 100 for x in nums)):
            limit = "từ 0 đến 100 (%)" if ind.is_percent else "không âm"
            raise DashboardError(f"Mục tiêu của {indicator_id} phải {limit}: {nums}")
    t = _clean(target)
    before = effective_targets(db, year).get(indicator_id)
    row = [indicator_id, year, None if t is None else t["op"],
           None if t is None or t["op"] == "range" else t["value"],
           t["min"] if t and t["op"] == "range" else None, t["max"] if t and t["op"] == "range" else None,
           changed_by.strip()]
    with db.transaction() as cur:
        # no RETURNING: the postgres extension does not support it
        changed_at = cur.execute("SELECT now()::TIMESTAMP").fetchone()[0]
        cur.execute("INSERT INTO target_overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row + [changed_at])
        audit.record(cur, actor=getattr(principal, "username", None) or changed_by.strip(),
                     action="target_changed", object=f"{indicator_id}/{year}",
                     detail={"before": before, "after": t, "changed_by": changed_by.strip()})
        # the journal line lets `rebuild` restore the override with its original who and when
        audit.journal(db, {"kind": "target", "row": row[:7] + [changed_at.isoformat(sep=" ")]})


def target_history(db) -> pd.DataFrame:
    """Every recorded override, newest first: indicator_id, year, op, value, min, max, changed_by, changed_at."""
    return db.query_df("SELECT * FROM target_overrides ORDER BY changed_at DESC, indicator_id")


def judge(value, target: dict | None, *, provisional: bool = False) -> str:
    """met / not_met / exceeded (only above the top of a range) / in_progress / no_data / no_target, on the
    unrounded value. A missing target wins over missing data (the indicator is not judged in this view).
    `provisional`: an annual target in a window before the year's end, where a value short of the target is
    in_progress rather than not_met (indicators v1.1)."""
    return str(judge_array(np.array([np.nan if value is None else value], dtype=float), target,
                           provisional=provisional)[0])


def judge_array(values: np.ndarray, target: dict | None, *, provisional: bool = False) -> np.ndarray:
    """`judge` for a float array (NaN = no data), vectorised for the units × indicators table: the one
    place a figure is judged against its target."""
    values = np.asarray(values, dtype=float)
    if target is None:
        return np.full(len(values), "no_target", dtype=object)
    nan = np.isnan(values)
    short = "in_progress" if provisional else "not_met"
    op = target["op"]
    with np.errstate(invalid="ignore"):
        if op == "range":
            out = np.where(values < target["min"], short,
                           np.where(values > target["max"], "exceeded", "met"))
        else:
            t = target["value"]
            ok = {">": values > t, ">=": values >= t, "=": values == t, "<=": values <= t, "<": values < t}[op]
            out = np.where(ok, "met", short)
    return np.where(nan, "no_data", out).astype(object)
