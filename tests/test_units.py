"""The unit list: validated whole, upserted by code, never deleted, parents checked, no cycles."""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from core.errors import DashboardError, Issue
from loaders.store import ingest_bytes
from loaders.units import MSG_CYCLE, MSG_NO_PARENT, MSG_REJECTED, MSG_ROOT_CODE, load_unit_list_bytes
from loaders.validate import MSG_MISSING_SHEET
from tests.builders import info_values, write_workbook

HEADERS = ["Mã đơn vị", "Tên đơn vị", "Loại hình", "Mã đơn vị cấp trên", "Ngừng hoạt động từ năm"]


def unit_list(path: Path, rows: list[list], headers=HEADERS, sheet="Đơn vị", title=True) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append(["DANH SÁCH ĐƠN VỊ"])
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path.read_bytes()


BASE = [
    ["DBCT1", "Đảng bộ Tổng công ty 1", "Đảng bộ cấp trên cơ sở", None, None],
    ["DB01", "Đảng bộ Công ty A", "Đảng bộ cơ sở", "DBCT1", None],
    ["CB02", "Chi bộ Công ty B", "Chi bộ cơ sở", None, None],
]


def units(db) -> list[tuple]:
    return db.query_rows("SELECT code, name, kind, parent_code, inactive_from, source FROM units "
                         "WHERE kind <> 'ROOT' ORDER BY code")


def rejected(db, data) -> list[Issue]:
    with pytest.raises(DashboardError) as exc:
        load_unit_list_bytes(db, data, "units.xlsx")
    assert exc.value.message == MSG_REJECTED
    return [i for i in exc.value.issues if i.severity == "error"]


def test_load_adds_units_with_parents(db, tmp_path):
    r = load_unit_list_bytes(db, unit_list(tmp_path / "u.xlsx", BASE), "u.xlsx")
    assert sorted(r.added) == ["CB02", "DB01", "DBCT1"] and r.updated == [] and r.warnings == []
    assert units(db) == [("CB02", "Chi bộ Công ty B", "CBCS", "ROOT", None, "unit_list"),
                         ("DB01", "Đảng bộ Công ty A", "DBCS", "DBCT1", None, "unit_list"),
                         ("DBCT1", "Đảng bộ Tổng công ty 1", "DBCT", "ROOT", None, "unit_list")]


def test_reload_updates_by_code_never_deletes_and_marks_inactive(db, tmp_path):
    load_unit_list_bytes(db, unit_list(tmp_path / "u.xlsx", BASE), "u.xlsx")
    again = [["DB01", "Đảng bộ Công ty A (mới)", "Đảng bộ cơ sở", "DBCT1", None],
             ["CB02", "Chi bộ Công ty B", "Chi bộ cơ sở", None, 2025]]
    r = load_unit_list_bytes(db, unit_list(tmp_path / "u2.xlsx", again), "u2.xlsx")
    assert sorted(r.updated) == ["CB02", "DB01"] and r.deactivated == ["CB02"] and r.added == []
    assert units(db) == [("CB02", "Chi bộ Công ty B", "CBCS", "ROOT", 2025, "unit_list"),
                         ("DB01", "Đảng bộ Công ty A (mới)", "DBCS", "DBCT1", None, "unit_list"),
                         ("DBCT1", "Đảng bộ Tổng công ty 1", "DBCT", "ROOT", None, "unit_list")]
    r3 = load_unit_list_bytes(db, unit_list(tmp_path / "u3.xlsx", again), "u3.xlsx")
    assert sorted(r3.unchanged) == ["CB02", "DB01"] and r3.updated == []


def test_unknown_parent_rejects_and_stores_nothing(db, tmp_path):
    rows = BASE + [["DB09", "Đảng bộ 9", "Đảng bộ cơ sở", "DBCT7", None]]
    before = units(db)
    assert rejected(db, unit_list(tmp_path / "u.xlsx", rows)) == [
        Issue("Đơn vị", 6, "Mã đơn vị cấp trên", "DBCT7", MSG_NO_PARENT)]
    assert units(db) == before


def test_parent_may_already_be_in_the_database(db, tmp_path):
    load_unit_list_bytes(db, unit_list(tmp_path / "u.xlsx", BASE), "u.xlsx")
    r = load_unit_list_bytes(db, unit_list(tmp_path / "u2.xlsx", [["DB05", "Đảng bộ 5", "Đảng bộ cơ sở", "DBCT1",
                                                                   None]]), "u2.xlsx")
    assert r.added == ["DB05"]


def test_cycle_rejects(db, tmp_path):
    rows = [["DBCT1", "A", "Đảng bộ cấp trên cơ sở", "DBCT2", None],
            ["DBCT2", "B", "Đảng bộ cấp trên cơ sở", "DBCT1", None]]
    errors = rejected(db, unit_list(tmp_path / "u.xlsx", rows))
    assert errors == [
        Issue("Đơn vị", 3, "Mã đơn vị cấp trên", "DBCT2", MSG_CYCLE.format(path="DBCT1 → DBCT2 → DBCT1")),
        Issue("Đơn vị", 4, "Mã đơn vị cấp trên", "DBCT1", MSG_CYCLE.format(path="DBCT2 → DBCT1 → DBCT2")),
    ]
    assert units(db) == []


def test_cycle_through_units_already_stored(db, tmp_path):
    load_unit_list_bytes(db, unit_list(tmp_path / "u.xlsx", BASE), "u.xlsx")
    rows = [["DBCT1", "Đảng bộ Tổng công ty 1", "Đảng bộ cấp trên cơ sở", "DB01", None]]
    errors = rejected(db, unit_list(tmp_path / "u2.xlsx", rows))
    assert [e.message for e in errors] == [MSG_CYCLE.format(path="DBCT1 → DB01 → DBCT1")]


def test_every_error_at_once(db, tmp_path):
    rows = [["ROOT", "Gốc", "Đảng bộ cơ sở", None, None],
            ["DB01", "A", "Đảng bộ", None, None],
            ["DB01", "A", "Đảng bộ cơ sở", None, 1990],
            ["X", None, "Chi bộ cơ sở", None, None]]
    errors = rejected(db, unit_list(tmp_path / "u.xlsx", rows))
    assert [(e.row, e.column, e.message) for e in errors] == [
        (4, "Loại hình", "Giá trị không có trong danh sách: Đảng bộ cơ sở, Chi bộ cơ sở, Đảng bộ cấp trên cơ sở"),
        (5, "Ngừng hoạt động từ năm", "Năm phải là số nguyên trong khoảng 2000–2100"),
        (6, "Mã đơn vị", "Mã chỉ gồm chữ in hoa không dấu, chữ số, dấu . _ - và dài 2–20 ký tự"),
        (6, "Tên đơn vị", "Thiếu giá trị bắt buộc"),
        (5, "Mã đơn vị", "Mã đơn vị bị trùng (đã có ở dòng 4)"),
        (3, "Mã đơn vị", MSG_ROOT_CODE),
    ]


def test_missing_sheet_and_headers_in_other_order(db, tmp_path):
    errors = rejected(db, unit_list(tmp_path / "u.xlsx", BASE, sheet="Danh sách đơn vị"))
    assert Issue("Đơn vị", None, None, None, MSG_MISSING_SHEET.format(name="Đơn vị")) in errors
    reordered = [HEADERS[1], HEADERS[0], HEADERS[3], HEADERS[2]]
    rows = [[r[1], r[0], r[3], r[2]] for r in BASE]
    r = load_unit_list_bytes(db, unit_list(tmp_path / "u2.xlsx", rows, headers=reordered, sheet="DON VI",
                                           title=False), "u2.xlsx")
    assert sorted(r.added) == ["CB02", "DB01", "DBCT1"]


def test_workbook_unit_is_then_adopted_by_the_list(db, tmp_path):
    data = write_workbook(tmp_path / "r.xlsx", info=info_values(unit="DB07")).read_bytes()
    assert ingest_bytes(db, data, "r.xlsx").status == "rejected"  # unknown: nothing created
    assert units(db) == []
    assert ingest_bytes(db, data, "r.xlsx", add_units=True).status == "accepted"  # the operator accepts it
    assert units(db) == [("DB07", "Đảng bộ DB07", "DBCS", "ROOT", None, "workbook")]
    r = load_unit_list_bytes(db, unit_list(tmp_path / "u.xlsx", [["DB07", "Đảng bộ Công ty G", "Đảng bộ cơ sở",
                                                                  None, None]]), "u.xlsx")
    assert r.updated == ["DB07"]
    assert units(db) == [("DB07", "Đảng bộ Công ty G", "DBCS", "ROOT", None, "unit_list")]
    # the next report of DB07 now warns that its name differs from the unit list
    again = ingest_bytes(db, write_workbook(tmp_path / "r2.xlsx", info=info_values(unit="DB07", period="Q2"))
                         .read_bytes(), "r2.xlsx")
    assert [w.column for w in again.warnings] == ["Tên đơn vị"]


def test_a_grassroots_cell_cannot_have_units_below_it(db, tmp_path):
    rows = BASE + [["DB09", "Đảng bộ 9", "Đảng bộ cơ sở", "CB02", None]]
    from loaders.units import MSG_PARENT_IS_CELL

    assert rejected(db, unit_list(tmp_path / "u.xlsx", rows)) == [
        Issue("Đơn vị", 6, "Mã đơn vị cấp trên", "CB02", MSG_PARENT_IS_CELL)]
