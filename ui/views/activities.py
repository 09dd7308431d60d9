"""The outreach page (Tuyên giáo – Dân vận): activity figures per quarter and per unit.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import pandas as pd

from core.text import PERIOD_LABELS, fmt_auto
from metrics.indicators import ACTIVITIES, ACTIVITIES_BY_CODE


PETITION_FIGURES = ("DON_THU_NHAN", "DON_THU_QUA_HAN", "DON_THU_SO_NGAY_TB")


def activity_labels() -> dict[str, str]:
    """Code → Vietnamese label of every reported activity (the `sum` data elements of seed 004)."""
    return {a.code: a.label for a in ACTIVITIES if a.code not in PETITION_FIGURES}


def activity_unit(code: str) -> str:
    """The unit an activity is counted in ('buổi', 'triệu đồng', …)."""
    return ACTIVITIES_BY_CODE[code].unit if code in ACTIVITIES_BY_CODE else ""


def activity_cards(activities: dict) -> list[tuple[str, str, str]]:
    """(card label, figure as shown, full label) of every activity in declaration order (the petition
    figures only when the report has them). The unit is left out where the label already names it
    ("Buổi tiếp dân"), follows a short figure ("12 buổi"), and goes in the label when long ("An sinh xã hội
    (triệu đồng)") so the figure stays whole on a card."""
    out = []
    for a in ACTIVITIES:
        if a.code in PETITION_FIGURES and a.code not in activities:
            continue
        value, label, shown = activities.get(a.code), a.short, fmt_auto(activities.get(a.code))
        if a.unit and a.unit.lower() not in a.short.lower():
            if len(a.unit) > 5:
                label = f"{a.short} ({a.unit})"
            elif value is not None:
                shown = f"{shown} {a.unit}"
        out.append((label, shown, a.label))
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
