"""The political-theory training page (Đào tạo LLCT): persons sent per unit and level.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import pandas as pd

from metrics.indicators import INDICATORS_BY_ID
from ui.views.scorecard import short_name


def quota_by_unit(by_unit: pd.DataFrame, ids: list[str], unit_names: dict[str, str]) -> pd.DataFrame:
    """Persons sent per unit and level (units with at least one): Đơn vị, Trình độ, Số người."""
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

