"""The unit comparison page (So sánh đơn vị): units × indicators, rankings, one indicator across units.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import pandas as pd

from core.text import JUDGED, REACHED, fmt_auto, fmt_number, fmt_target, fmt_value, status_label
from metrics.indicators import INDICATORS_BY_ID, short_code
from ui.views.detail import MAX_CHART_ROWS
from ui.views.unit_tree import unique_labels
from ui.views.scorecard import short_name, target_high, target_low


def unit_matrix(by_unit: pd.DataFrame, ids: list[str], unit_names: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(status matrix, value-text matrix): rows are indicators by their short names, columns units by name
    (keyed by code: two units sharing a name stay two); both sorted worst first — the indicator, then the
    unit, with the most "chưa đạt"."""
    df = by_unit[by_unit["indicator_id"].isin(ids)]
    if df.empty:
        return pd.DataFrame(), pd.DataFrame()
    names = {**unique_labels(df["unit_code"], df["unit_name"]), **unit_names}
    rows = {i: f"{short_code(i)} {INDICATORS_BY_ID[i].short}" if i in INDICATORS_BY_ID else i for i in ids}
    df = df.assign(row=[rows[i] for i in df["indicator_id"]], col=[names.get(c, c) for c in df["unit_code"]],
                   text=[fmt_value(v, INDICATORS_BY_ID[i].unit) if i in INDICATORS_BY_ID else fmt_auto(v)
                         for v, i in zip(df["value"], df["indicator_id"])], bad=df["status"] == "not_met")
    row_order = df.groupby("row", sort=False)["bad"].sum().sort_values(ascending=False, kind="stable").index
    col_order = df.groupby("col", sort=False)["bad"].sum().sort_values(ascending=False, kind="stable").index
    status = df.pivot_table(index="row", columns="col", values="status", aggfunc="first")
    text = df.pivot_table(index="row", columns="col", values="text", aggfunc="first")
    status, text = (m.reindex(index=row_order, columns=col_order) for m in (status, text))
    return status.fillna("no_data"), text.fillna("—")


def heatmap_title(by_unit: pd.DataFrame, ids: list[str], window: str) -> str:
    """'DB02 có nhiều chỉ tiêu chưa đạt nhất (5) — năm 2024' style message for the heatmap."""
    df = by_unit[by_unit["indicator_id"].isin(ids) & (by_unit["status"] == "not_met")]
    if df.empty:
        return f"Không đơn vị nào có chỉ tiêu chưa đạt — {window}"
    counts = df.groupby("unit_code")["indicator_id"].count().sort_values(ascending=False, kind="stable")
    names = unique_labels(df["unit_code"], df["unit_name"])
    units = df["unit_code"].nunique()
    return (f"{units} đơn vị có chỉ tiêu chưa đạt; nhiều nhất: {names[counts.index[0]]} ({int(counts.iloc[0])})"
            f" — {window}")


def unit_ranking(by_unit: pd.DataFrame, ids: list[str], unit_names: dict[str, str]) -> pd.DataFrame:
    """Units ranked by the share of their judged indicators met (đạt or vượt): rank, unit, met, judged, pct."""
    df = by_unit[by_unit["indicator_id"].isin(ids)]
    judged = df[df["status"].isin(JUDGED)]
    if judged.empty:
        return pd.DataFrame(columns=["Hạng", "Mã đơn vị", "Đơn vị", "Đạt", "Đánh giá", "Tỷ lệ đạt (%)"])
    g = judged.assign(ok=judged["status"].isin(REACHED)).groupby("unit_code")
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
    unit = INDICATORS_BY_ID[indicator_id].unit if indicator_id in INDICATORS_BY_ID else ""
    df = by_unit[(by_unit["indicator_id"] == indicator_id) & by_unit["value"].notna()]
    df = df.sort_values("value", ascending=False)
    return pd.DataFrame({
        "unit": [unit_names.get(c, n) for c, n in zip(df["unit_code"], df["unit_name"])],
        "value": df["value"].astype(float).tolist(),
        "status": df["status"].tolist(),
        "value_text": [fmt_value(v, unit) for v in df["value"]],
    })


def ranking_title(ranking: pd.DataFrame, window: str) -> str:
    """'Dẫn đầu: Công ty A (92,3% chỉ tiêu đạt) — năm 2024'."""
    top = ranking.iloc[0]
    return f"Dẫn đầu: {top['Đơn vị']} ({fmt_number(top['Tỷ lệ đạt (%)'], 1)}% chỉ tiêu đạt) — {window}"


def units_vs_target(one: pd.DataFrame, target: dict | None) -> pd.DataFrame:
    """indicator_by_unit rows in the shape of value_vs_target (one bar per unit, same target)."""
    return pd.DataFrame({
        "id": one["unit"], "label": one["unit"], "name": one["unit"], "unit": "", "value": one["value"],
        "status": one["status"], "target_low": target_low(target), "target_high": target_high(target),
        "target_text": fmt_target(target), "value_text": one["value_text"],
        "status_text": [status_label(s) for s in one["status"]],
    })


def indicator_units_title(one: pd.DataFrame, name: str) -> str:
    """'I03 — …: 2/5 đơn vị chưa đạt'."""
    judged = one[one["status"].isin(JUDGED)]
    short = short_name(name.split(" — ", 1)[-1], 60)
    if judged.empty:
        return f"{short}: {len(one)} đơn vị có số liệu"
    return f"{short}: {int((judged['status'] == 'not_met').sum())}/{len(judged)} đơn vị chưa đạt"


def worst_units(by_unit: pd.DataFrame, ids: list[str], limit: int = MAX_CHART_ROWS) -> tuple[pd.DataFrame, int]:
    """compute_by_unit rows of the `limit` units with the most indicators not met, and how many were left out."""
    units = by_unit["unit_code"].drop_duplicates()
    if len(units) <= limit:
        return by_unit, 0
    nm = by_unit[by_unit["indicator_id"].isin(ids)].assign(bad=lambda d: d["status"] == "not_met")
    keep = nm.groupby("unit_code")["bad"].sum().sort_values(ascending=False, kind="stable").index[:limit]
    return by_unit[by_unit["unit_code"].isin(keep)], len(units) - limit

