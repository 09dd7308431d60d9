"""The cell meetings and ratings page (Sinh hoạt chi bộ & xếp loại): the distribution of cell ratings.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import pandas as pd

from core.text import fmt_number
from loaders.schema import ENUMS


RATING_ORDER = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")


def rating_distribution(rated_cells: pd.DataFrame) -> pd.DataFrame:
    """Rated cells (the I13 drill-down: one row per rated cell) counted by cell type and rating:
    Loại chi bộ, Xếp loại, Số chi bộ — ratings in order from excellent to not completed."""
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

