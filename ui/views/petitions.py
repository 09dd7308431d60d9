"""The petitions page (Đơn thư): the register's headline counts, states, overdue petitions.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

import pandas as pd

from core.text import fmt_auto, fmt_datetime
from ui.views.unit_tree import unique_labels


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
    if column == "kind":
        keys = [PETITION_KIND.get(v, v) for v in register[column]]
    else:  # by code, shown by a label no two units share
        names = unique_labels(register["unit_code"], register["unit_name"])
        keys = [names[c] for c in register["unit_code"]]
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
    names = unique_labels(register["unit_code"], register["unit_name"])
    return pd.DataFrame({
        "Đơn vị": [names[c] for c in register["unit_code"]],
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

