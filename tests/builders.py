"""Write real v1 workbooks (openpyxl) for tests: valid by default, every part overridable.

Headers come from the schema declarations, so a test states only the values it cares about.
`rows` dicts are keyed by stored column key (e.g. "cell_code") or by a literal header text.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from loaders.schema import ENUMS, INFO, SHEETS_BY_KEY, UNIT_LIST

# The indicator ids of indicators-v1.md, in id order, typed from the spec (not read from the declarations).
SPEC_INDICATOR_IDS = [
    "I01_QUAN_TRIET_TO_CHUC", "I02_QUAN_TRIET_NGUOI", "I03_QCDC", "I04_MO_HINH_4_TOT", "I05_QD_TIEP_DAN",
    "I06_HN_NGUOI_LAO_DONG", "I07_CAO_CAP_LLCT", "I08_TRUNG_CAP_LLCT", "I09_DON_THU_DUNG_HAN",
    "I10_DON_VUOT_CAP", "I11_CB_CO_SO_TOT", "I12_CB_TRUC_THUOC_TOT", "I13_CB_KHONG_HOAN_THANH",
    "I14_DV_HTTNV", "I15_DV_HTXSNV", "I16_SH_DINH_KY", "I17_DU_SINH_HOAT", "I18_GOP_Y_6_KY",
    "I19_SH_CHUYEN_DE", "I20_DOI_THOAI", "I21_GOP_Y_HANG_QUY", "I22_THU_HOACH", "I23_KH_TU_TUONG",
    "I24_NOI_DUNG_TU_TUONG", "I25_NOP_BAO_CAO", "I26_NOP_DUNG_HAN",
]

PERIOD_TEXT = {code: labels[0] for code, labels in ENUMS["period"].items()}


def info_values(unit: str = "DB01", year: int = 2024, period: str = "Q1", **over: Any) -> dict[str, Any]:
    """The `Thông tin` values of a valid report (keyed by column key); `over` replaces any of them."""
    values: dict[str, Any] = {
        "unit_code": unit,
        "unit_name": f"Đảng bộ {unit}",
        "unit_kind": "Đảng bộ cơ sở",
        "parent_code": None,
        "year": year,
        "period": PERIOD_TEXT.get(period, period),
        "report_date": None,
        "preparer": "Nguyễn Văn An",
        "member_total": 30,
        "staff_total": 120,
    }
    values.update(over)
    return values


def default_cells(unit: str = "DB01") -> list[dict[str, Any]]:
    """Two subordinate cells with no ratings (a quarterly report)."""
    return [
        {"cell_code": f"{unit}-CB1", "cell_name": "Chi bộ Phòng Kế toán", "cell_kind": "Chi bộ trực thuộc",
         "members": 12, "mo_hinh_4_tot": "Có"},
        {"cell_code": f"{unit}-CB2", "cell_name": "Chi bộ Phân xưởng 1", "cell_kind": "Chi bộ trực thuộc",
         "members": 18, "mo_hinh_4_tot": "Không"},
    ]


def write_workbook(
    path: str | Path,
    *,
    info: dict[str, Any] | None = None,
    elements: dict[str, Any] | list[dict[str, Any]] | None = None,
    cells: list[dict[str, Any]] | None = None,
    meetings: list[dict[str, Any]] | None = None,
    trainees: list[dict[str, Any]] | None = None,
    petitions: list[dict[str, Any]] | None = None,
    narratives: list[dict[str, Any]] | None = None,
    omit_sheets: tuple[str, ...] = (),
    title_rows: int = 1,
) -> Path:
    """Write a workbook and return its path. Sheets given as None are written empty (headers only)
    for optional sheets, except `Tình hình` (narratives), which a v1 workbook need not have and is left
    out unless given; `omit_sheets` leaves sheets out entirely (by key)."""
    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    info = info if info is not None else info_values()
    if "info" not in omit_sheets:
        ws = wb.create_sheet(INFO.name)
        ws.append(["BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH HÀNH ĐỘNG"])
        for col in INFO.columns:
            if col.key in info:
                ws.append([col.header, info[col.key]])
    if isinstance(elements, dict):
        elements = [{"code": k, "raw_value": v} for k, v in elements.items()]
    tables = {
        "elements": elements if elements is not None else [],
        "cells": cells if cells is not None else default_cells(str(info.get("unit_code", "DB01"))),
        "meetings": meetings or [],
        "trainees": trainees or [],
        "petitions": petitions or [],
        "narratives": narratives,
    }
    for key, rows in tables.items():
        if key in omit_sheets or rows is None:
            continue
        sheet = SHEETS_BY_KEY[key]
        ws = wb.create_sheet(sheet.name)
        for i in range(title_rows):
            ws.append([f"{sheet.name.upper()} - {sheet.description}" if i == 0 else None])
        headers = [c.header for c in sheet.columns]
        extra = sorted({k for r in rows for k in r if k not in {c.key for c in sheet.columns}})
        ws.append(headers + extra)
        for r in rows:
            ws.append([_cell(r.get(c.key)) for c in sheet.columns] + [_cell(r.get(h)) for h in extra])
    wb.save(path)
    return path


def _cell(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def sign_in(at, db_path=None, username: str = "admin"):
    """Sign an AppTest in as a documented demo account, as the login form would: the demo accounts are
    created in the database at `db_path` first when it is given. Returns the AppTest."""
    from core.auth import ensure_demo_accounts, principal_for_user
    from core.storage import open_database
    from ui import state as K

    db = open_database(db_path) if db_path is not None else None
    if db is not None:
        ensure_demo_accounts(db)
        at.session_state[K.PRINCIPAL] = principal_for_user(db, username)
    else:
        from core.auth import DEMO_ACCOUNTS, Principal
        from core.config import load_config

        acc = next(a for a in DEMO_ACCOUNTS if a["username"] == username)
        at.session_state[K.PRINCIPAL] = Principal(username, acc["role"], acc["scope_unit"] or load_config().root_code)
    return at


def unit_list_bytes(units: list[tuple[str, str]] | tuple = (), **kinds: Any) -> bytes:
    """A unit-list workbook (sheet `Đơn vị`) written by openpyxl: (code, kind label) pairs, each named
    "Đảng bộ <code>" like info_values' default and placed directly under the root."""
    import io

    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_LIST.name
    ws.append([c.header for c in UNIT_LIST.columns[:4]])
    for code, kind in units:
        ws.append([code, f"Đảng bộ {code}", kind, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_units(db, *codes: str, kind: str = "Đảng bộ cơ sở") -> None:
    """Put units in the unit list through the real loader: a report of a unit not in the list is rejected
    (template-v1.md v1.1), so tests name the units their workbooks report for."""
    from loaders.units import load_unit_list_bytes

    load_unit_list_bytes(db, unit_list_bytes([(c, kind) for c in codes]), "don_vi.xlsx")
