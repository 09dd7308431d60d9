"""The unit picker and the year picker: the unit list as an indented tree, scopes, default years.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

from typing import Iterable

import pandas as pd

from core.text import is_missing as _missing


def unit_options(units: pd.DataFrame) -> list[tuple[str, str]]:
    """(code, indented label) for every unit in tree order: root first, children by code below parents."""
    if units.empty:
        return []
    rows = {r.code: r for r in units.itertuples(index=False)}
    children: dict[str | None, list[str]] = {}
    roots = [c for c, r in rows.items() if r.kind == "ROOT"]
    for code, r in rows.items():
        if r.kind == "ROOT":
            continue
        parent = r.parent_code if r.parent_code in rows and r.parent_code != code else None
        children.setdefault(parent, []).append(code)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def walk(code: str, depth: int) -> None:
        if code in seen:  # a cycle in hand-made data must not hang the page
            return
        seen.add(code)
        r = rows[code]
        if depth == 0:
            label = str(r.name)
        else:
            label = "\u2003" * (depth - 1) + f"└ {r.name} · {code}"
            if not _missing(r.inactive_from):
                label += f" (ngừng từ {int(r.inactive_from)})"
        out.append((code, label))
        for child in sorted(children.get(code, [])):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    # units whose parent is unknown hang under the (first) root
    for orphan in sorted(children.get(None, [])):
        walk(orphan, 1)
    for code in sorted(set(rows) - seen):
        walk(code, 1)
    return out


def option_labels(units: pd.DataFrame) -> dict[str, str]:
    """Code → indented label of the unit picker."""
    return dict(unit_options(units))


def option_codes(units: pd.DataFrame) -> list[str]:
    """Unit codes in picker (tree) order."""
    return [c for c, _ in unit_options(units)]


def unit_name_map(units: pd.DataFrame) -> dict[str, str]:
    """Code → the label a unit is shown by: its name, or "name (code)" where two units share a name (units
    are keyed by code everywhere; a label must never merge two of them)."""
    return unique_labels(units["code"], units["name"])


def unique_labels(codes: Iterable, names: Iterable) -> dict[str, str]:
    """Code → name, with the code added to every name that more than one code carries."""
    pairs = {str(c): str(n) if not _missing(n) and str(n).strip() else str(c) for c, n in zip(codes, names)}
    counts: dict[str, int] = {}
    for name in pairs.values():
        counts[name] = counts.get(name, 0) + 1
    return {c: f"{n} ({c})" if counts[n] > 1 else n for c, n in pairs.items()}


def scope_codes(units: pd.DataFrame, unit: str) -> set[str]:
    """The unit and every unit below it."""
    kids: dict[str, list[str]] = {}
    for r in units.itertuples(index=False):
        if r.parent_code is not None and not _missing(r.parent_code):
            kids.setdefault(r.parent_code, []).append(r.code)
    out, todo = set(), [unit]
    while todo:
        c = todo.pop()
        if c not in out:
            out.add(c)
            todo.extend(kids.get(c, []))
    return out


def year_options(report_years: Iterable[int], current_year: int) -> list[int]:
    """Years offered in the picker, newest first: every year with data, plus the current year."""
    return sorted({int(y) for y in report_years} | {current_year}, reverse=True)


def default_period(coverage: pd.DataFrame, current_year: int) -> tuple[int, int | None]:
    """(year, quarter or None for the full year) a meeting looks at first: the last period that most units
    that must report have reported (metrics.history.coverage), not merely the latest year with any file.
    When no period has a majority, the best-covered one (the latest of equals); with no report at all,
    the current year."""
    order = {"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4, "Y": 5}
    rows = [r for r in coverage.itertuples(index=False) if r.received > 0] if not coverage.empty else []
    if not rows:
        return current_year, None
    majority = [r for r in rows if r.received * 2 > r.expected]
    if majority:
        best = max(majority, key=lambda r: (int(r.year), order[r.period]))
    else:
        best = max(rows, key=lambda r: (r.received / max(r.expected, 1), int(r.year), order[r.period]))
    return int(best.year), None if best.period == "Y" else int(best.period[1])
