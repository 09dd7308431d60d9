"""Indicator results as the pages show them: rows, status counts, who is behind, value against target, trends.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

from core.text import STATUS_ORDER, fmt_target, fmt_value, status_label
from metrics.indicators import INDICATORS_BY_ID, short_code


def indicator_rows(report: Any) -> list[dict]:
    """The report's indicators as dicts (the interfaces.md shape) plus 'group'."""
    data = report.to_json()["indicators"]
    groups = {getattr(i, "id", None): getattr(i, "group", None) for i in getattr(report, "indicators", [])}
    return [{**d, "group": groups.get(d["id"])} for d in data]


def status_counts(rows: list[dict]) -> dict[str, int]:
    """How many indicators have each status (every status present, zero included)."""
    counts = {s: 0 for s in STATUS_ORDER}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def behind_text(behind: list[str], unit_names: dict[str, str], limit: int = 4) -> str:
    """Short list of who is behind: 'Công ty A, Công ty B và 3 đơn vị khác' (chi bộ for cells)."""
    if not behind:
        return ""
    names = [behind_name(b, unit_names) for b in behind[:limit]]
    more = len(behind) - limit
    what = "chi bộ" if "/" in behind[0] else "đơn vị"
    return ", ".join(names) + (f" và {more} {what} khác" if more > 0 else "")


def behind_name(code: str, unit_names: dict[str, str]) -> str:
    """The name a 'behind' code is shown by: a unit's name; a cell ('UNIT/CELL') by its own name with its
    unit's ('Chi bộ Phân xưởng 1 (Đảng bộ Công ty Điện lực)') when `unit_names` knows it (with_cells)."""
    if code in unit_names:
        return unit_names[code]
    unit, _, cell = code.partition("/")
    name = unit_names.get(unit, unit)
    return f"{cell} ({name})" if cell else name


def with_cells(unit_names: dict[str, str], cells: dict[str, str]) -> dict[str, str]:
    """The unit names plus 'UNIT/CELL' → 'cell name (unit name)' (metrics.history.cell_names)."""
    out = dict(unit_names)
    for key, name in cells.items():
        unit = key.partition("/")[0]
        out[key] = f"{name} ({unit_names.get(unit, unit)})" if name else key
    return out


def behind_table(behind: list[str], unit_names: dict[str, str]) -> pd.DataFrame:
    """Who does not meet an indicator, one row each (code, name)."""
    return pd.DataFrame(
        {"Mã": behind, "Đơn vị / chi bộ": [behind_name(b, unit_names) for b in behind]}
    )


def group_rows(rows: list[dict], group: str) -> list[dict]:
    """The indicators of one page group."""
    return [r for r in rows if (r.get("group") or "") == group]


def value_vs_target(rows: list[dict]) -> pd.DataFrame:
    """One row per indicator for a value-vs-target bar chart (percent and count indicators apart)."""
    return pd.DataFrame(
        {
            "id": [r["id"] for r in rows],
            "label": [f"{short_code(r['id'])} {_short(r)}" for r in rows],
            "name": [r["name"] for r in rows],
            "unit": [r["unit"] for r in rows],
            "value": [r["value"] for r in rows],
            "status": [r["status"] for r in rows],
            "target_low": [_target_low(r["target"]) for r in rows],
            "target_high": [_target_high(r["target"]) for r in rows],
            "target_text": [fmt_target(r["target"], r["unit"]) for r in rows],
            "value_text": [fmt_value(r["value"], r["unit"]) for r in rows],
            "status_text": [status_label(r["status"]) for r in rows],
        }
    )


def _short(row: dict) -> str:
    """The declared short name of an indicator row (a cut full name for an undeclared one)."""
    ind = INDICATORS_BY_ID.get(row["id"])
    return ind.short if ind else short_name(row["name"])


def short_name(name: str, width: int = 48) -> str:
    """A name cut to fit an axis label."""
    for prefix in ("Tỷ lệ ", "Số "):
        if name.startswith(prefix):
            name = name[len(prefix):]
            name = name[0].upper() + name[1:]
            break
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"


def _target_low(t: dict | None) -> float | None:
    if not t:
        return None
    return t.get("min") if t.get("op") == "range" else t.get("value")


def _target_high(t: dict | None) -> float | None:
    if not t:
        return None
    return t.get("max") if t.get("op") == "range" else t.get("value")


def trend_years(report_years: Iterable[int], year: int, span: int = 3) -> list[int]:
    """Up to `span` years ending with the chosen one, not before the first year with data."""
    years = [int(y) for y in report_years]
    first = min(years) if years else year
    return [y for y in range(year - span + 1, year + 1) if y >= min(first, year)]


def trend_series(rows_by_year: dict[int, list[dict]], indicator_id: str,
                 rows: list[dict]) -> tuple[pd.DataFrame, dict | None, str]:
    """(year, value, value_text) of one indicator over the years, its current target and unit."""
    row = next((r for r in rows if r["id"] == indicator_id), {"target": None, "unit": ""})
    years = sorted(rows_by_year)
    values = [next((r["value"] for r in rows_by_year[y] if r["id"] == indicator_id), None) for y in years]
    out = pd.DataFrame({"year": years, "value": [float("nan") if v is None else float(v) for v in values]})
    out["value_text"] = [fmt_value(v, row["unit"]) for v in out["value"]]
    return out, row["target"], row["unit"]


def trend_title(series: pd.DataFrame, name: str, unit: str) -> str:
    """'Tỷ lệ …: 87,5% (2023) → 95,0% (2025)'."""
    s = series.dropna(subset=["value"])
    short = short_name(name.split(" — ", 1)[-1], 60)
    if s.empty:
        return f"{short}: chưa có dữ liệu"
    if len(s) == 1:
        return f"{short}: {fmt_value(s['value'].iloc[0], unit)} năm {int(s['year'].iloc[0])}"
    return (f"{short}: {fmt_value(s['value'].iloc[0], unit)} ({int(s['year'].iloc[0])}) → "
            f"{fmt_value(s['value'].iloc[-1], unit)} ({int(s['year'].iloc[-1])})")


def target_low(t: dict | None) -> float | None:
    """Lower edge of a target (its value, or a range's min)."""
    return _target_low(t)


def target_high(t: dict | None) -> float | None:
    """Upper edge of a target (its value, or a range's max)."""
    return _target_high(t)


def is_personal(indicator_id: str) -> bool:
    """True when an indicator's drill-down items are persons (names are personal data)."""
    ind = INDICATORS_BY_ID.get(indicator_id)
    return ind is not None and ind.kind == "person_count"


def target_band(t: dict | None) -> tuple | None:
    """(min, max) of a range target, for a shaded band; None otherwise."""
    return (t["min"], t["max"]) if t and t.get("op") == "range" else None


def indicator_unit(indicator_id: str) -> str:
    """The unit of an indicator ('%', 'người', …)."""
    return INDICATORS_BY_ID[indicator_id].unit

