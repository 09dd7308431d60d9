"""The administration page (Quản trị): targets in force and their history, the unit list, the target form.

Pure functions over what metrics/ returned; nothing here queries the database."""
from __future__ import annotations

from typing import Any

import pandas as pd

from core.text import PERIOD_LABELS, fmt_datetime, fmt_target, is_missing as _missing
from loaders.elements import SOURCE_SHORT
from metrics.indicators import INDICATORS, INDICATORS_BY_ID, short_code
from ui.views.unit_tree import unit_options


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
    return pd.DataFrame({
        "Mã": [i.code for i in INDICATORS],
        "Chỉ tiêu": [i.name for i in INDICATORS],
        "Mục tiêu": [fmt_target(effective.get(i.id), i.unit) for i in INDICATORS],
        "Chỉ đánh giá toàn Đảng bộ": ["Có" if i.root_only else "" for i in INDICATORS],
        "Nguồn": ["; ".join(SOURCE_SHORT.get(s, s) for s in i.sources) or "Quy định báo cáo" for i in INDICATORS],
    })


def target_history_table(history: pd.DataFrame) -> pd.DataFrame:
    """metrics.targets.target_history for display: who changed which target, when, to what."""
    def target(r) -> dict | None:
        if r.op is None or _missing(r.op):
            return None
        return {"op": r.op, "min": r.min, "max": r.max} if r.op == "range" else {"op": r.op, "value": r.value}

    rows = list(history.itertuples(index=False))
    return pd.DataFrame({
        "Thời điểm": [fmt_datetime(r.changed_at) for r in rows],
        "Người thay đổi": [r.changed_by for r in rows],
        "Mã": [short_code(r.indicator_id) for r in rows],
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


def target_form_values(target: dict | None) -> dict[str, Any]:
    """The admin form's fields (op, value, min, max) for a target in force, to start editing from it."""
    if target is None:
        return {"op": "none", "value": 0.0, "min": 0.0, "max": 0.0}
    if target.get("op") == "range":
        return {"op": "range", "value": 0.0, "min": float(target["min"]), "max": float(target["max"])}
    return {"op": target["op"], "value": float(target["value"]), "min": 0.0, "max": 0.0}



CHANGE_KINDS = {"merge": "Hợp nhất đơn vị", "withdraw": "Rút báo cáo"}


def report_label(r) -> str:
    """'DB01 — Quý I/2024 — phiên bản 2 — DB01_Q1.xlsx' for one row of metrics.history.submission_history."""
    return f"{r.unit_code} — {PERIOD_LABELS.get(r.period, r.period)}/{r.year} — phiên bản {r.version} — {r.file_name}"


def changes_table(changes: pd.DataFrame) -> pd.DataFrame:
    """ops.corrections.list_changes for display: what was changed, why, by whom, and whether it was undone."""
    return pd.DataFrame({
        "Số": changes["id"].astype(int).tolist(),
        "Loại": [CHANGE_KINDS.get(k, k) for k in changes["kind"]],
        "Đối tượng": changes["object"].tolist(),
        "Lý do": changes["reason"].fillna("").tolist(),
        "Người thực hiện": changes["done_by"].tolist(),
        "Thời điểm": [fmt_datetime(t) for t in changes["done_at"]],
        "Hoàn tác": [("" if _missing(t) else f"{b}, {fmt_datetime(t)}")
                     for b, t in zip(changes["undone_by"], changes["undone_at"])],
    })
