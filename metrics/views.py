"""Page-oriented pure functions: reshape engine and loader results into what a table or chart needs.

Nothing here queries the database; pages pass in what metrics.engine / metrics.history returned.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd

from ui.format import (
    PERIOD_LABELS,
    STATUS_ORDER,
    fmt_auto,
    fmt_number,
    fmt_datetime,
    fmt_status,
    fmt_target,
    fmt_value,
    status_label,
)

COMPLETENESS_LABELS = {
    "on_time": "✓ Đúng hạn",
    "late": "◔ Nộp muộn",
    "missing": "✗ Chưa nộp",
    "waiting": "… Chưa nộp (còn hạn)",
    "not_due": "· Chưa đến kỳ",
}


# ------------------------------------------------------------------ units and filters
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
    """Code → unit name."""
    return {str(c): str(n) for c, n in zip(units["code"], units["name"])}


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


def default_year(report_years: Iterable[int], current_year: int) -> int:
    """The newest year that has data (else the current year)."""
    years = [int(y) for y in report_years]
    return max(years) if years else current_year


# ------------------------------------------------------------------ scorecard
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


def scorecard_headline(rows: list[dict], window: str) -> str:
    """The message of the scorecard: '3/24 chỉ tiêu chưa đạt năm 2024'."""
    counts = status_counts(rows)
    judged = counts["met"] + counts["exceeded"] + counts["not_met"]
    if judged == 0:
        return f"Chưa có chỉ tiêu nào đủ dữ liệu để đánh giá {window}"
    if counts["not_met"] == 0:
        return f"Tất cả {judged} chỉ tiêu có dữ liệu đều đạt {window}"
    return f"{counts['not_met']}/{judged} chỉ tiêu chưa đạt {window}"


def counts_title(counts: dict[str, int]) -> str:
    """'Đạt 10 · Vượt 1 · Chưa đạt 14' (statuses with at least one indicator)."""
    parts = [f"{status_label(s)} {n}" for s, n in counts.items() if n and s in ("met", "exceeded", "not_met")]
    return " · ".join(parts) or "Chưa có chỉ tiêu nào được đánh giá"


def scorecard_table(rows: list[dict], unit_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The scorecard as a display table (Vietnamese headers, formatted values, status with icon)."""
    unit_names = unit_names or {}
    return pd.DataFrame(
        {
            "Mã": [r["id"].split("_", 1)[0] for r in rows],
            "Chỉ tiêu": [r["name"] for r in rows],
            "Nhóm": [r.get("group") or "" for r in rows],
            "Kết quả": [fmt_value(r["value"], r["unit"]) for r in rows],
            "Mục tiêu": [fmt_target(r["target"], r["unit"]) for r in rows],
            "Trạng thái": [fmt_status(r["status"]) for r in rows],
            "Chưa đạt": [behind_text(r.get("behind") or [], unit_names) for r in rows],
        }
    )


def behind_text(behind: list[str], unit_names: dict[str, str], limit: int = 4) -> str:
    """Short list of who is behind: 'Công ty A, Công ty B và 3 đơn vị khác'."""
    if not behind:
        return ""
    names = [behind_name(b, unit_names) for b in behind[:limit]]
    more = len(behind) - limit
    return ", ".join(names) + (f" và {more} đơn vị khác" if more > 0 else "")


def behind_name(code: str, unit_names: dict[str, str]) -> str:
    """A unit name for a 'behind' code; cells are 'UNIT/CELL' → 'Tên đơn vị / CELL'."""
    unit, _, cell = code.partition("/")
    name = unit_names.get(unit, unit)
    return f"{name} / {cell}" if cell else name


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
            "label": [f"{r['id'].split('_', 1)[0]} {short_name(r['name'])}" for r in rows],
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


# ------------------------------------------------------------------ completeness and history
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
    """The submission history for display: who uploaded which version of which report, when."""
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
            "Trạng thái": ["Đang dùng" if s == "current" else "Đã thay thế" for s in history["status"]],
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


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


# ------------------------------------------------------------------ drill-down
DRILL_COLUMNS = {
    "unit_code": "Mã đơn vị", "unit_name": "Đơn vị", "cell_code": "Mã chi bộ", "cell_name": "Chi bộ",
    "cell_kind": "Loại chi bộ", "rating": "Xếp loại", "full_name": "Họ và tên", "level": "Trình độ",
    "year_sent": "Năm cử đi học", "petition_no": "Số hiệu đơn", "kind": "Loại", "received_date": "Ngày nhận",
    "deadline": "Hạn giải quyết", "resolved_date": "Ngày giải quyết xong", "meeting_date": "Ngày sinh hoạt",
    "period": "Kỳ", "value": "Kết quả", "numerator": "Tử số", "denominator": "Mẫu số", "meets": "Đạt",
    "met": "Đạt", "status": "Trạng thái", "file_name": "Tệp báo cáo", "version": "Phiên bản",
    "uploader": "Người nộp", "received_at": "Thời điểm nhận", "item": "Mục", "label": "Nội dung",
    "figure": "Số liệu", "members": "Số đảng viên", "topic": "Chủ đề", "over_level": "Vượt cấp",
    "in_competence": "Thuộc thẩm quyền",
}
_ENUM_COLUMNS = {"kind", "status", "level", "cell_kind", "rating"}
_NUMBERS = {"figure", "numerator", "denominator", "value"}
_HIDDEN = {"submission_id", "name_key", "petition_key", "birth_date"}  # internal ids and personal data


def drilldown_table(detail: pd.DataFrame, unit_names: dict[str, str] | None = None,
                    personal: bool = False) -> pd.DataFrame:
    """metrics.engine.drilldown output for display: Vietnamese headers, numbers 1.234,5, dates and yes/no
    readable. `personal`: the items are persons — names and birth dates are left out (counts only)."""
    if detail is None or detail.empty:
        return pd.DataFrame()
    hidden = _HIDDEN | ({"item", "label", "full_name"} if personal else set())
    df = detail.drop(columns=[c for c in detail.columns if c in hidden])
    if "unit_name" not in df.columns and "unit_code" in df.columns and unit_names:
        df.insert(df.columns.get_loc("unit_code") + 1, "unit_name", [unit_names.get(c, c) for c in df["unit_code"]])
    out = pd.DataFrame(index=range(len(df)))
    for col in df.columns:
        values = df[col].tolist()
        if col in ("meets", "met"):
            values = ["✓ Đạt" if v is True else "✗ Chưa đạt" if v is False else "—" for v in values]
        elif col in _ENUM_COLUMNS:
            values = _map_distinct(values, _code_text)
        elif any(isinstance(v, bool) for v in values) and all(isinstance(v, bool) or _missing(v) for v in values):
            values = ["Có" if v is True else "Không" if v is False else "—" for v in values]
        elif col == "period":
            values = [PERIOD_LABELS.get(v, v) for v in values]
        elif col in _NUMBERS:
            values = _map_distinct(values, fmt_auto)
        elif col in ("received_at", "received_date", "deadline", "resolved_date", "meeting_date"):
            values = _map_distinct(values, fmt_datetime)
        out[DRILL_COLUMNS.get(col, col)] = values
    return out


def _map_distinct(values: list, fn: Callable[[Any], Any]) -> list:
    """[fn(v) for v in values], calling fn once per distinct value: a national drill-down has ~50 000 rows
    but few distinct figures, codes and dates, and formatting each one was most of the page's time."""
    done: dict = {}
    out = []
    for v in values:
        try:
            r = done[v]
        except KeyError:
            r = done[v] = fn(v)
        except TypeError:  # unhashable: format it directly
            r = fn(v)
        out.append(r)
    return out


def _code_text(v: Any) -> Any:
    """A stored code as its Vietnamese label: indicator statuses, then the workbook's enumerations."""
    from loaders.schema import ENUMS
    from ui.format import STATUS

    if _missing(v):
        return "—"
    if v in STATUS:
        return fmt_status(v)
    for members in ENUMS.values():
        if v in members:
            return members[v][0]
    return v


# ------------------------------------------------------------------ trends
def trend_years(report_years: Iterable[int], year: int, span: int = 3) -> list[int]:
    """Up to `span` years ending with the chosen one, not before the first year with data."""
    years = [int(y) for y in report_years]
    first = min(years) if years else year
    return [y for y in range(year - span + 1, year + 1) if y >= min(first, year)]


def status_by_year(rows_by_year: dict[int, list[dict]]) -> pd.DataFrame:
    """Long table year, status, count (every status of every year, zeros included)."""
    records = [
        {"year": y, "status": s, "count": n}
        for y, rows in sorted(rows_by_year.items())
        for s, n in status_counts(rows).items()
    ]
    return pd.DataFrame(records, columns=["year", "status", "count"])


def status_by_year_title(df: pd.DataFrame) -> str:
    """'Chỉ tiêu chưa đạt: 5 (2023) → 3 (2025)'."""
    nm = df[df["status"] == "not_met"].sort_values("year")
    if nm.empty:
        return "Số chỉ tiêu theo trạng thái qua các năm"
    if len(nm) == 1:
        return f"{int(nm['count'].iloc[0])} chỉ tiêu chưa đạt năm {int(nm['year'].iloc[0])}"
    a, b = nm.iloc[0], nm.iloc[-1]
    return f"Chỉ tiêu chưa đạt: {int(a['count'])} ({int(a['year'])}) → {int(b['count'])} ({int(b['year'])})"


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
    from metrics.indicators import INDICATORS_BY_ID

    ind = INDICATORS_BY_ID.get(indicator_id)
    return ind is not None and ind.kind == "person_count"


# ------------------------------------------------------------------ units × indicators
def unit_matrix(by_unit: pd.DataFrame, ids: list[str], unit_names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(status matrix, value-text matrix): rows are units (by name), columns indicator short codes."""
    df = by_unit[by_unit["indicator_id"].isin(ids)]
    if df.empty:
        return pd.DataFrame(), pd.DataFrame()
    from metrics.indicators import INDICATORS_BY_ID

    names = {c: f"{unit_names.get(c) or n or c}" for c, n in zip(df["unit_code"], df["unit_name"])}
    df = df.assign(row=[names[c] for c in df["unit_code"]], col=[i.split("_", 1)[0] for i in df["indicator_id"]],
                   text=[fmt_value(v, INDICATORS_BY_ID[i].unit) if i in INDICATORS_BY_ID else fmt_auto(v)
                         for v, i in zip(df["value"], df["indicator_id"])])
    cols = [i.split("_", 1)[0] for i in ids if i in set(df["indicator_id"])]
    status = df.pivot_table(index="row", columns="col", values="status", aggfunc="first").reindex(columns=cols)
    text = df.pivot_table(index="row", columns="col", values="text", aggfunc="first").reindex(columns=cols)
    return status.fillna("no_data"), text.fillna("—")


def heatmap_title(by_unit: pd.DataFrame, ids: list[str], window: str) -> str:
    """'DB02 có nhiều chỉ tiêu chưa đạt nhất (5) — năm 2024' style message for the heatmap."""
    df = by_unit[by_unit["indicator_id"].isin(ids) & (by_unit["status"] == "not_met")]
    if df.empty:
        return f"Không đơn vị nào có chỉ tiêu chưa đạt — {window}"
    counts = df.groupby("unit_name")["indicator_id"].count().sort_values(ascending=False)
    units = df["unit_code"].nunique()
    return f"{units} đơn vị có chỉ tiêu chưa đạt; nhiều nhất: {counts.index[0]} ({int(counts.iloc[0])}) — {window}"


def unit_ranking(by_unit: pd.DataFrame, ids: list[str], unit_names: dict[str, str]) -> pd.DataFrame:
    """Units ranked by the share of their judged indicators met (đạt or vượt): rank, unit, met, judged, pct."""
    df = by_unit[by_unit["indicator_id"].isin(ids)]
    judged = df[df["status"].isin(["met", "exceeded", "not_met"])]
    if judged.empty:
        return pd.DataFrame(columns=["Hạng", "Mã đơn vị", "Đơn vị", "Đạt", "Đánh giá", "Tỷ lệ đạt (%)"])
    g = judged.assign(ok=judged["status"].isin(["met", "exceeded"])).groupby("unit_code")
    out = pd.DataFrame({"met": g["ok"].sum(), "judged": g["ok"].count(), "name": g["unit_name"].first()}).reset_index()
    out["pct"] = 100.0 * out["met"] / out["judged"]
    out = out.sort_values(["pct", "met", "unit_code"], ascending=[False, False, True]).reset_index(drop=True)
    out["rank"] = out["pct"].rank(method="min", ascending=False).astype(int)
    return pd.DataFrame({
        "Hạng": out["rank"], "Mã đơn vị": out["unit_code"],
        "Đơn vị": [unit_names.get(c) or n or c for c, n in zip(out["unit_code"], out["name"])],
        "Đạt": out["met"].astype(int), "Đánh giá": out["judged"].astype(int), "Tỷ lệ đạt (%)": out["pct"].round(1),
    })


def indicator_by_unit(by_unit: pd.DataFrame, indicator_id: str, unit_names: dict[str, str]) -> pd.DataFrame:
    """One indicator across units, best first: unit (name), value, status, value_text."""
    from metrics.indicators import INDICATORS_BY_ID

    unit = INDICATORS_BY_ID[indicator_id].unit if indicator_id in INDICATORS_BY_ID else ""
    df = by_unit[(by_unit["indicator_id"] == indicator_id) & by_unit["value"].notna()]
    df = df.sort_values("value", ascending=False)
    return pd.DataFrame({
        "unit": [unit_names.get(c, n) for c, n in zip(df["unit_code"], df["unit_name"])],
        "value": df["value"].astype(float).tolist(),
        "status": df["status"].tolist(),
        "value_text": [fmt_value(v, unit) for v in df["value"]],
    })


def target_band(t: dict | None) -> tuple | None:
    """(min, max) of a range target, for a shaded band; None otherwise."""
    return (t["min"], t["max"]) if t and t.get("op") == "range" else None


def quota_by_unit(by_unit: pd.DataFrame, ids: list[str], unit_names: dict[str, str]) -> pd.DataFrame:
    """Persons sent per unit and level (units with at least one): Đơn vị, Trình độ, Số người."""
    from metrics.indicators import INDICATORS_BY_ID

    df = by_unit[by_unit["indicator_id"].isin(ids) & (by_unit["value"].fillna(0) > 0)]
    level = {i: ("Cao cấp" if "CAO_CAP" in i else "Trung cấp" if "TRUNG_CAP" in i else
                 short_name(INDICATORS_BY_ID[i].name)) for i in ids if i in INDICATORS_BY_ID}
    return pd.DataFrame({
        "Đơn vị": [unit_names.get(c, n) for c, n in zip(df["unit_code"], df["unit_name"])],
        "Trình độ": [level.get(i, i) for i in df["indicator_id"]],
        "Số người": df["value"].astype(int).tolist(),
    })


def quota_by_unit_title(per_unit: pd.DataFrame, year: int) -> str:
    """'Công ty A cử nhiều nhất: 3 người — năm 2024'."""
    tot = per_unit.groupby("Đơn vị")["Số người"].sum().sort_values(ascending=False)
    return f"{tot.index[0]} cử nhiều người đi học nhất ({int(tot.iloc[0])} người) — năm {year}"


# ------------------------------------------------------------------ petitions
PETITION_KIND = {"KHIEU_NAI": "Khiếu nại", "TO_CAO": "Tố cáo", "KIEN_NGHI": "Kiến nghị, phản ánh"}
PETITION_STATUS = {"DA_GIAI_QUYET": "Đã giải quyết", "DANG_GIAI_QUYET": "Đang giải quyết",
                   "CHUYEN_DON": "Chuyển cơ quan có thẩm quyền", "LUU_DON": "Lưu đơn"}


def _petition_state(r) -> str:
    if r.overdue:
        return "Quá hạn chưa giải quyết"
    if r.status == "DA_GIAI_QUYET":
        return "Giải quyết muộn" if r.late else "Giải quyết đúng hạn"
    if r.status == "DANG_GIAI_QUYET":
        return "Đang giải quyết (trong hạn)"
    return PETITION_STATUS.get(r.status, r.status)


def petition_summary(register: pd.DataFrame) -> dict[str, int]:
    """Headline counts: received, resolved on time, resolved late, overdue, over-level."""
    if register.empty:
        return {"Đơn nhận": 0, "Giải quyết đúng hạn": 0, "Giải quyết muộn": 0, "Quá hạn chưa giải quyết": 0,
                "Vượt cấp": 0}
    done = register["status"] == "DA_GIAI_QUYET"
    return {
        "Đơn nhận": len(register),
        "Giải quyết đúng hạn": int((done & ~register["late"].fillna(False).astype(bool)).sum()),
        "Giải quyết muộn": int((done & register["late"].fillna(False).astype(bool)).sum()),
        "Quá hạn chưa giải quyết": int(register["overdue"].fillna(False).astype(bool).sum()),
        "Vượt cấp": int(register["over_level"].fillna(False).astype(bool).sum()),
    }


def petitions_by(register: pd.DataFrame, column: str) -> pd.DataFrame:
    """Counts by `kind` or `unit_name` and state (đúng hạn / muộn / quá hạn / đang giải quyết …)."""
    label = {"kind": "Loại đơn", "unit_name": "Đơn vị"}[column]
    keys = [PETITION_KIND.get(v, v) for v in register[column]] if column == "kind" else register[column].tolist()
    df = pd.DataFrame({label: keys, "Tình trạng": [_petition_state(r) for r in register.itertuples(index=False)]})
    out = df.groupby([label, "Tình trạng"], sort=False).size().reset_index(name="Số đơn")
    return out.sort_values([label, "Tình trạng"]).reset_index(drop=True)


def petitions_by_title(df: pd.DataFrame, label: str) -> str:
    """'Khiếu nại nhiều nhất: 12/35 đơn' for the chart title."""
    tot = df.groupby(label)["Số đơn"].sum().sort_values(ascending=False)
    return f"{tot.index[0]} nhiều nhất: {int(tot.iloc[0])}/{int(tot.sum())} đơn"


def overdue_petitions(register: pd.DataFrame) -> pd.DataFrame:
    """Pending petitions past their deadline, oldest first, with their age in days."""
    df = register[register["overdue"].fillna(False).astype(bool)].sort_values("age_days", ascending=False)
    return petition_table(df)


def petition_table(register: pd.DataFrame) -> pd.DataFrame:
    """The petition register for display (Vietnamese headers, dates dd/mm/yyyy)."""
    return pd.DataFrame({
        "Đơn vị": register["unit_name"].tolist(),
        "Số hiệu đơn": register["petition_no"].tolist(),
        "Loại đơn": [PETITION_KIND.get(k, k) for k in register["kind"]],
        "Ngày nhận": [fmt_datetime(d) for d in register["received_date"]],
        "Hạn giải quyết": [fmt_datetime(d) for d in register["deadline"]],
        "Ngày giải quyết xong": [fmt_datetime(d) for d in register["resolved_date"]],
        "Tình trạng": [_petition_state(r) for r in register.itertuples(index=False)],
        "Số ngày": register["age_days"].astype("Int64").tolist(),
        "Vượt cấp": ["Có" if v else "Không" for v in register["over_level"]],
        "Nội dung tóm tắt": register["summary"].fillna("").tolist(),
    })


def over_level_title(series: pd.DataFrame) -> str:
    """'Đơn vượt cấp: 3 (2024); mục tiêu 0 từ 2026'."""
    s = series.dropna(subset=["value"])
    if s.empty:
        return "Đơn thư vượt cấp: chưa có dữ liệu; mục tiêu 0 đơn từ năm 2026"
    last = s.iloc[-1]
    return f"Đơn thư vượt cấp: {fmt_auto(last['value'])} đơn năm {int(last['year'])}; mục tiêu 0 đơn từ năm 2026"


# ------------------------------------------------------------------ activities
_ACTIVITY_EXTRA = {"DON_THU_NHAN": ("Số đơn thư nhận", "đơn"),
                   "DON_THU_QUA_HAN": ("Số đơn thư quá hạn chưa giải quyết", "đơn"),
                   "DON_THU_SO_NGAY_TB": ("Số ngày giải quyết trung bình", "ngày")}


def activity_labels() -> dict[str, str]:
    """Code → Vietnamese label of every `sum` data element (the activities of seed 004)."""
    from loaders.elements import DATA_ELEMENTS

    return {e.code: e.label for e in DATA_ELEMENTS if e.aggregation == "sum"}


def activity_unit(code: str) -> str:
    """The unit an activity is counted in."""
    return "triệu đồng" if code == "AN_SINH" else _ACTIVITY_EXTRA.get(code, ("", ""))[1]


def activity_cards(activities: dict) -> list[tuple[str, float | None, str, str]]:
    """(short label, value, unit, full label) of every activity in the report, in declaration order."""
    labels = activity_labels()
    out = [(SHORT_ACTIVITY.get(c, labels[c]), activities.get(c), activity_unit(c), labels[c]) for c in labels]
    out += [(SHORT_ACTIVITY.get(c, lab), activities.get(c), unit, lab)
            for c, (lab, unit) in _ACTIVITY_EXTRA.items() if c in activities]
    return out


def activity_by_quarter(by_period: pd.DataFrame, element: str) -> pd.DataFrame:
    """One activity per quarter (Quý, Giá trị) from metrics.engine.activities_by_period."""
    df = by_period[by_period["element"] == element]
    return pd.DataFrame({"Quý": [PERIOD_LABELS.get(p, p) for p in df["period"]],
                         "Giá trị": df["value"].fillna(0).astype(float).tolist()})


def activity_title(series: pd.DataFrame, label: str, year: int) -> str:
    """'Số buổi đối thoại …: 567 cả năm 2024, cao nhất Quý II'."""
    total = series["Giá trị"].sum()
    if total == 0:
        return f"{label}: chưa có số liệu năm {year}"
    top = series.loc[series["Giá trị"].idxmax(), "Quý"]
    return f"{label}: {fmt_auto(total)} trong năm {year}, cao nhất {top}"


def activities_matrix(by_period: pd.DataFrame) -> pd.DataFrame:
    """Activities × quarters table with Vietnamese labels and numbers."""
    if by_period.empty:
        return pd.DataFrame()
    wide = by_period.pivot_table(index="label", columns="period", values="value", aggfunc="first", sort=False)
    out = pd.DataFrame({"Hoạt động": wide.index.tolist()})
    for p in ("Q1", "Q2", "Q3", "Q4"):
        out[PERIOD_LABELS[p]] = [fmt_auto(v) for v in wide.get(p, pd.Series(index=wide.index, dtype=float))]
    return out


def activity_by_unit(per_unit: pd.DataFrame, element: str, unit_names: dict[str, str]) -> pd.DataFrame:
    """One activity per unit, largest first (Đơn vị, Giá trị)."""
    df = per_unit[(per_unit["element"] == element) & per_unit["value"].notna()].sort_values("value", ascending=False)
    return pd.DataFrame({"Đơn vị": [unit_names.get(c, n) for c, n in zip(df["unit_code"], df["unit_name"])],
                         "Giá trị": df["value"].astype(float).tolist()})


def activity_unit_title(series: pd.DataFrame, label: str, period: str) -> str:
    """'Số buổi tiếp dân: Công ty A nhiều nhất (12/40) — năm 2024'."""
    total = series["Giá trị"].sum()
    return (f"{label}: {series['Đơn vị'].iloc[0]} nhiều nhất "
            f"({fmt_auto(series['Giá trị'].iloc[0])}/{fmt_auto(total)}) — {period}")


def activities_by_unit_table(per_unit: pd.DataFrame, unit_names: dict[str, str]) -> pd.DataFrame:
    """Units × activities table (Vietnamese labels, numbers formatted)."""
    labels = activity_labels()
    if per_unit.empty:
        return pd.DataFrame(columns=["Đơn vị", *labels.values()])
    wide = per_unit.pivot_table(index="unit_code", columns="element", values="value", aggfunc="first")
    names = dict(zip(per_unit["unit_code"], per_unit["unit_name"]))
    out = pd.DataFrame({"Đơn vị": [unit_names.get(c) or names.get(c) or c for c in wide.index]})
    for code, label in labels.items():
        out[label] = [fmt_auto(v) for v in wide[code]] if code in wide.columns else "—"
    return out


def ranking_title(ranking: pd.DataFrame, window: str) -> str:
    """'Dẫn đầu: Công ty A (92,3% chỉ tiêu đạt) — năm 2024'."""
    top = ranking.iloc[0]
    return f"Dẫn đầu: {top['Đơn vị']} ({fmt_number(top['Tỷ lệ đạt (%)'], 1)}% chỉ tiêu đạt) — {window}"


def indicator_unit(indicator_id: str) -> str:
    """The unit of an indicator ('%', 'người', …)."""
    from metrics.indicators import INDICATORS_BY_ID

    return INDICATORS_BY_ID[indicator_id].unit


def units_vs_target(one: pd.DataFrame, target: dict | None) -> pd.DataFrame:
    """indicator_by_unit rows in the shape of value_vs_target (one bar per unit, same target)."""
    return pd.DataFrame({
        "id": one["unit"], "label": one["unit"], "name": one["unit"], "unit": "", "value": one["value"],
        "status": one["status"], "target_low": _target_low(target), "target_high": _target_high(target),
        "target_text": fmt_target(target), "value_text": one["value_text"],
        "status_text": [status_label(s) for s in one["status"]],
    })


def indicator_units_title(one: pd.DataFrame, name: str) -> str:
    """'I03 — …: 2/5 đơn vị chưa đạt'."""
    judged = one[one["status"].isin(["met", "exceeded", "not_met"])]
    short = short_name(name.split(" — ", 1)[-1], 60)
    if judged.empty:
        return f"{short}: {len(one)} đơn vị có số liệu"
    return f"{short}: {int((judged['status'] == 'not_met').sum())}/{len(judged)} đơn vị chưa đạt"


# ------------------------------------------------------------------ administration
TARGET_OPS = {"=": "Bằng (=)", ">=": "Từ … trở lên (≥)", ">": "Lớn hơn (>)", "<=": "Không quá (≤)",
              "<": "Nhỏ hơn (<)", "range": "Trong khoảng (từ … đến …)", "none": "Không đặt chỉ tiêu"}
UNIT_KINDS = {"ROOT": "Đảng ủy cấp trên", "DBCT": "Đảng bộ cấp trên cơ sở", "DBCS": "Đảng bộ cơ sở",
              "CBCS": "Chi bộ cơ sở"}


def target_from_form(op: str, value: float | None, low: float | None, high: float | None) -> dict | None:
    """The target dict metrics.targets.set_target expects, from the admin form's fields."""
    if op == "none":
        return None
    if op == "range":
        return {"op": "range", "min": low, "max": high}
    return {"op": op, "value": value}


def targets_table(effective: dict) -> pd.DataFrame:
    """Every indicator with the target in force for the year."""
    from metrics.indicators import INDICATORS

    return pd.DataFrame({
        "Mã": [i.id.split("_", 1)[0] for i in INDICATORS],
        "Chỉ tiêu": [i.name for i in INDICATORS],
        "Mục tiêu": [fmt_target(effective.get(i.id), i.unit) for i in INDICATORS],
        "Chỉ đánh giá toàn Đảng bộ": ["Có" if i.root_only else "" for i in INDICATORS],
        "Nguồn": [", ".join(i.sources) for i in INDICATORS],
    })


def target_history_table(history: pd.DataFrame) -> pd.DataFrame:
    """metrics.targets.target_history for display: who changed which target, when, to what."""
    from metrics.indicators import INDICATORS_BY_ID

    def target(r) -> dict | None:
        if r.op is None or _missing(r.op):
            return None
        return {"op": r.op, "min": r.min, "max": r.max} if r.op == "range" else {"op": r.op, "value": r.value}

    rows = list(history.itertuples(index=False))
    return pd.DataFrame({
        "Thời điểm": [fmt_datetime(r.changed_at) for r in rows],
        "Người thay đổi": [r.changed_by for r in rows],
        "Mã": [r.indicator_id.split("_", 1)[0] for r in rows],
        "Chỉ tiêu": [INDICATORS_BY_ID[r.indicator_id].name if r.indicator_id in INDICATORS_BY_ID else r.indicator_id
                     for r in rows],
        "Từ năm": [int(r.year) for r in rows],
        "Mục tiêu mới": [fmt_target(target(r), INDICATORS_BY_ID.get(r.indicator_id).unit
                                    if r.indicator_id in INDICATORS_BY_ID else None) for r in rows],
    })


def units_table(units: pd.DataFrame) -> pd.DataFrame:
    """The unit list for display, in tree order with indented names."""
    order = unit_options(units)
    by_code = {r.code: r for r in units.itertuples(index=False)}
    return pd.DataFrame({
        "Mã đơn vị": [c for c, _ in order],
        "Tên đơn vị": [label for _, label in order],
        "Loại hình": [UNIT_KINDS.get(by_code[c].kind, by_code[c].kind) for c, _ in order],
        "Mã đơn vị cấp trên": ["" if _missing(by_code[c].parent_code) else by_code[c].parent_code for c, _ in order],
        "Ngừng hoạt động từ năm": ["" if _missing(by_code[c].inactive_from) else str(int(by_code[c].inactive_from))
                                   for c, _ in order],
    })


def unit_list_summary(result) -> str:
    """'Đã nạp danh sách đơn vị: 3 thêm mới, 2 cập nhật, 1 ngừng hoạt động.'"""
    return (f"Đã nạp danh sách đơn vị: {len(result.added)} đơn vị thêm mới, {len(result.updated)} cập nhật, "
            f"{len(result.deactivated)} chuyển sang ngừng hoạt động.")


SHORT_ACTIVITY = {
    "HN_NLD": "Hội nghị người lao động", "DOI_THOAI": "Buổi đối thoại", "GOP_Y_XD_DANG": "Đợt góp ý xây dựng Đảng",
    "VAN_BAN_CHI_DAO": "Văn bản chỉ đạo", "HN_TUYEN_TRUYEN": "Hội nghị tuyên truyền",
    "NGUOI_THAM_DU": "Lượt người dự", "TIEP_DAN": "Buổi tiếp dân", "GIAM_SAT": "Lượt giám sát",
    "PHAN_BIEN": "Góp ý, phản biện", "AN_SINH": "An sinh xã hội", "DON_THU_NHAN": "Đơn thư nhận",
    "DON_THU_QUA_HAN": "Đơn quá hạn", "DON_THU_SO_NGAY_TB": "Ngày giải quyết TB",
}


# ------------------------------------------------------------------ large organisations
MAX_CHART_ROWS = 40  # beyond this a per-unit chart is unreadable on a projector


def worst_completeness(long: pd.DataFrame, limit: int = MAX_CHART_ROWS) -> tuple[pd.DataFrame, int]:
    """The `limit` units with the most missing/late reports (all of them when fewer), and how many units
    were left out of the chart (the table still lists everyone)."""
    units = long["unit_code"].drop_duplicates()
    if len(units) <= limit:
        return long, 0
    bad = long.assign(score=long["status"].map({"missing": 2, "late": 1}).fillna(0))
    keep = bad.groupby("unit_code")["score"].sum().sort_values(ascending=False, kind="stable").index[:limit]
    return long[long["unit_code"].isin(keep)], len(units) - limit


def worst_units(by_unit: pd.DataFrame, ids: list[str], limit: int = MAX_CHART_ROWS) -> tuple[pd.DataFrame, int]:
    """compute_by_unit rows of the `limit` units with the most indicators not met, and how many were left out."""
    units = by_unit["unit_code"].drop_duplicates()
    if len(units) <= limit:
        return by_unit, 0
    nm = by_unit[by_unit["indicator_id"].isin(ids)].assign(bad=lambda d: d["status"] == "not_met")
    keep = nm.groupby("unit_code")["bad"].sum().sort_values(ascending=False, kind="stable").index[:limit]
    return by_unit[by_unit["unit_code"].isin(keep)], len(units) - limit


def top_bottom(df: pd.DataFrame, limit: int = MAX_CHART_ROWS) -> pd.DataFrame:
    """The first and last limit/2 rows of a ranked table (all rows when it is short)."""
    if len(df) <= limit:
        return df
    half = limit // 2
    return pd.concat([df.head(half), df.tail(half)])


def top_units(df: pd.DataFrame, unit_col: str, value_col: str, limit: int = MAX_CHART_ROWS) -> pd.DataFrame:
    """Rows of the `limit` units with the largest total of value_col (a long table with one row per part)."""
    totals = df.groupby(unit_col)[value_col].sum()
    if len(totals) <= limit:
        return df
    keep = totals.sort_values(ascending=False, kind="stable").index[:limit]
    return df[df[unit_col].isin(keep)]


def target_form_values(target: dict | None) -> dict[str, Any]:
    """The admin form's fields (op, value, min, max) for a target in force, to start editing from it."""
    if target is None:
        return {"op": "none", "value": 0.0, "min": 0.0, "max": 0.0}
    if target.get("op") == "range":
        return {"op": "range", "value": 0.0, "min": float(target["min"]), "max": float(target["max"])}
    return {"op": target["op"], "value": float(target["value"]), "min": 0.0, "max": 0.0}


# ------------------------------------------------------------------ ratings
RATING_ORDER = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")


def rating_distribution(rated_cells: pd.DataFrame) -> pd.DataFrame:
    """Rated cells (the I13 drill-down: one row per rated cell) counted by cell type and rating:
    Loại chi bộ, Xếp loại, Số chi bộ — ratings in order from excellent to not completed."""
    from loaders.schema import ENUMS

    if rated_cells is None or rated_cells.empty or "rating" not in rated_cells.columns:
        return pd.DataFrame(columns=["Loại chi bộ", "Xếp loại", "Số chi bộ"])
    df = rated_cells[rated_cells["rating"].isin(RATING_ORDER)]
    out = df.groupby(["cell_kind", "rating"]).size().reset_index(name="Số chi bộ")
    out["order"] = out["rating"].map({r: i for i, r in enumerate(RATING_ORDER)})
    out = out.sort_values(["order", "cell_kind"])
    return pd.DataFrame({
        "Loại chi bộ": [ENUMS["cell_kind"].get(k, [k])[0] for k in out["cell_kind"]],
        "Xếp loại": [ENUMS["rating"][r][0] for r in out["rating"]],
        "Số chi bộ": out["Số chi bộ"].astype(int).tolist(),
    })


def rating_title(dist: pd.DataFrame, window: str) -> str:
    """'48 chi bộ được xếp loại, 45 (93,8%) hoàn thành tốt nhiệm vụ trở lên — năm 2025'."""
    total = int(dist["Số chi bộ"].sum())
    if total == 0:
        return f"Chưa có chi bộ nào được xếp loại — {window}"
    good = int(dist[dist["Xếp loại"].isin(["Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ"])]["Số chi bộ"].sum())
    return (f"{total} chi bộ được xếp loại, {good} ({fmt_number(100 * good / total, 1)}%) hoàn thành tốt "
            f"nhiệm vụ trở lên — {window}")
