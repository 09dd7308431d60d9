"""A corpus of real workbooks, one defect each, asserting the exact issue (sheet, row, column, value, message)."""
from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Callable

import pytest
import xlsxwriter
from hypothesis import given, strategies as st
from openpyxl import load_workbook

from loaders import validate as VA
from loaders import values as V
from core.config import load_config
from core.errors import Issue
from loaders.reader import RawWorkbook, read_workbook
from loaders.schema import SHEETS
from loaders.validate import validate_workbook
from tests.builders import default_cells, info_values, write_workbook

NEW_UNIT = Issue("Thông tin", 2, "Mã đơn vị", "DB01", VA.MSG_NEW_UNIT, "warning")
LISTED = {"DB01": {"name": "Đảng bộ DB01", "kind": "DBCS", "parent_code": "ROOT"}}


def parse(path: Path, units: dict | None = None, allow_new: bool = False):
    return validate_workbook(read_workbook(path.read_bytes(), path.name), units=LISTED if units is None else units,
                             config=load_config(), allow_new_units=allow_new)


def edit(path: Path, fn: Callable) -> Path:
    """Change a written workbook with openpyxl (rename, move, merge, delete) and save it in place."""
    wb = load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


def build(tmp_path, **kw) -> Path:
    return write_workbook(tmp_path / "r.xlsx", **kw)


def meeting(**over):
    row = {"cell_code": "DB01-CB1", "meeting_date": dt.date(2024, 2, 1), "kind": "Định kỳ", "required": 10,
           "attended": 9}
    row.update(over)
    return row


def petition(**over):
    row = {"petition_no": "01/ĐT", "received_date": dt.date(2024, 1, 5), "kind": "Khiếu nại",
           "status": "Đang giải quyết"}
    row.update(over)
    return row


def annual_cell(**over):
    row = {"cell_code": "DB01-CB1", "cell_name": "Chi bộ 1", "cell_kind": "Chi bộ trực thuộc", "members": 12,
           "rating": "HTXSNV", "dv_xuat_sac": 3, "dv_tot": 6, "dv_hoan_thanh": 2, "dv_khong_hoan_thanh": 0,
           "dv_gop_y_6": 10, "mo_hinh_4_tot": "x"}
    row.update(over)
    return row


# ---------------------------------------------------------------- the valid baseline
def test_valid_workbook_has_no_issue_and_typed_rows(tmp_path):
    p = build(tmp_path, elements={"DOI_THOAI": 5, "QCDC": "Có", "AN_SINH": "1.250,5", "TIEP_DAN": None},
              meetings=[meeting()], trainees=[{"full_name": "Nguyễn Văn Á", "birth_date": "02/03/1980",
                                               "level": "Cao cấp", "year_sent": 2024}],
              petitions=[petition()])
    pw = parse(p)
    assert pw.issues == []
    assert pw.info["unit_code"] == "DB01" and pw.info["period"] == "Q1" and pw.info["year"] == 2024
    assert pw.info["unit_kind"] == "DBCS" and pw.info["member_total"] == 30
    values = {r["code"]: r["value"] for r in pw.tables["elements"]}
    assert values == {"DOI_THOAI": 5.0, "QCDC": 1.0, "AN_SINH": 1250.5, "TIEP_DAN": None}
    assert [r["excel_row"] for r in pw.tables["cells"]] == [3, 4]
    assert pw.tables["cells"][0]["mo_hinh_4_tot"] is True and pw.tables["cells"][1]["mo_hinh_4_tot"] is False
    t = pw.tables["trainees"][0]
    assert t["birth_date"] == dt.date(1980, 3, 2) and t["name_key"] == "nguyen van a" and t["level"] == "CAO_CAP"
    pet = pw.tables["petitions"][0]
    assert (pet["in_competence"], pet["over_level"], pet["deadline"]) == (True, False, dt.date(2024, 2, 4))
    assert pet["petition_key"] == "01/dt"


# ---------------------------------------------------------------- layout rules
def test_missing_required_sheet_is_an_error(tmp_path):
    pw = parse(build(tmp_path, omit_sheets=("cells",)))
    assert pw.errors == [Issue("Chi bộ", None, None, None, "Thiếu sheet bắt buộc 'Chi bộ'")]


def test_missing_optional_sheet_means_nothing_to_report(tmp_path):
    pw = parse(build(tmp_path, omit_sheets=("meetings", "trainees", "petitions")))
    assert pw.issues == []
    assert pw.tables["meetings"] == [] and pw.tables["petitions"] == []


def test_missing_required_column_names_it(tmp_path):
    p = edit(build(tmp_path), lambda wb: wb["Chi bộ"].delete_cols(4))  # D = Số đảng viên
    pw = parse(p)
    assert pw.errors == [Issue("Chi bộ", 2, "Số đảng viên", None, VA.MSG_MISSING_COLUMN.format(n=15))]


def test_missing_info_label_is_an_error(tmp_path):
    info = info_values()
    del info["year"]
    pw = parse(build(tmp_path, info=info))
    assert Issue("Thông tin", None, "Năm báo cáo", None, VA.MSG_MISSING_LABEL) in pw.errors


def test_nfd_uppercase_unaccented_names_match(tmp_path):
    def mangle(wb):
        nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
        wb["Chi bộ"].title = nfd("CHI BỘ")
        wb["Thông tin"].title = "thong tin"
        ws = wb[nfd("CHI BỘ")]
        for cell in ws[2]:
            if cell.value:
                cell.value = nfd(f"  {cell.value.upper()} ")
        ws2 = wb["Chỉ tiêu"]
        ws2["A2"], ws2["B2"] = "MA CHI TIEU", "gia  tri"
    p = edit(build(tmp_path, elements={"doi_thoai": 2}), mangle)
    pw = parse(p)
    assert pw.issues == []
    assert [r["cell_code"] for r in pw.tables["cells"]] == ["DB01-CB1", "DB01-CB2"]
    assert pw.tables["elements"][0]["code"] == "DOI_THOAI"


def test_headers_on_row_6_and_rows_numbered_as_excel(tmp_path):
    p = build(tmp_path, title_rows=5, cells=default_cells() + [{"cell_code": "DB01-CB3", "cell_name": "C3",
                                                                  "cell_kind": "Chi bộ trực thuộc", "members": 1.5}])
    pw = parse(p)
    assert pw.errors == [Issue("Chi bộ", 9, "Số đảng viên", 1.5, V.MSG_FRACTION)]


def test_header_below_row_15_is_not_found(tmp_path):
    pw = parse(build(tmp_path, title_rows=15, omit_sheets=()))
    missing = [i for i in pw.errors if i.sheet == "Chi bộ"]
    assert {i.column for i in missing} == {"Mã chi bộ", "Tên chi bộ", "Loại chi bộ", "Số đảng viên"}
    assert all(i.message == VA.MSG_MISSING_COLUMN.format(n=15) for i in missing)


def test_merged_title_cells_and_free_column_order(tmp_path):
    def merge_and_reorder(wb):
        for ws in wb.worksheets:
            ws.merge_cells("A1:F1")
        ws = wb["Chi bộ"]
        ws.move_range("A2:A4", cols=12)  # Mã chi bộ moves to column M
    pw = parse(edit(build(tmp_path), merge_and_reorder))
    assert pw.issues == []
    assert [r["cell_code"] for r in pw.tables["cells"]] == ["DB01-CB1", "DB01-CB2"]


def test_merged_data_cells_read_as_empty_except_top_left(tmp_path):
    cells = default_cells()
    p = edit(build(tmp_path, cells=cells), lambda wb: wb["Chi bộ"].merge_cells("B3:B4"))
    pw = parse(p)
    assert pw.errors == [Issue("Chi bộ", 4, "Tên chi bộ", None, VA.MSG_REQUIRED)]


def test_example_and_blank_rows_are_skipped(tmp_path):
    rows = [{"cell_code": "Ví dụ: DB01-CB9", "cell_name": "Chi bộ mẫu", "cell_kind": "??", "members": "abc"},
            {}] + default_cells()
    pw = parse(build(tmp_path, cells=rows))
    assert pw.issues == []
    assert [r["excel_row"] for r in pw.tables["cells"]] == [5, 6]


def test_unknown_column_and_unknown_sheet_are_warnings(tmp_path):
    cells = [dict(c, **{"Ghi chú riêng": "abc"}) for c in default_cells()]
    p = edit(build(tmp_path, cells=cells), lambda wb: wb.create_sheet("Bảng tính nháp"))
    pw = parse(p)
    assert pw.errors == []
    assert pw.warnings == [
        Issue("Chi bộ", 2, "Ghi chú riêng", "Ghi chú riêng", VA.MSG_UNKNOWN_COLUMN, "warning"),
        Issue("Bảng tính nháp", None, None, "Bảng tính nháp", VA.MSG_UNKNOWN_SHEET, "warning"),
    ]


def test_duplicate_sheet_is_an_error(tmp_path):
    p = edit(build(tmp_path), lambda wb: wb.copy_worksheet(wb["Chi bộ"]).__setattr__("title", "CHI BO"))
    pw = parse(p)
    assert pw.errors == [Issue("CHI BO", None, None, "CHI BO", VA.MSG_DUPLICATE_SHEET.format(name="Chi bộ"))]


def test_info_shifted_to_later_columns(tmp_path):
    p = edit(build(tmp_path), lambda wb: wb["Thông tin"].move_range("A1:B12", rows=2, cols=2))
    pw = parse(p)
    assert pw.issues == []
    assert pw.info["unit_code"] == "DB01" and pw.info["member_total"] == 30


# ---------------------------------------------------------------- value rules
@pytest.mark.parametrize("sheet_kw, sheet, row, column, value, message", [
    ({"petitions": [petition(received_date="31/02/2024")]}, "Đơn thư", 3, "Ngày nhận", "31/02/2024",
     "Ngày không hợp lệ"),
    ({"cells": [dict(default_cells()[0], members=12.5)]}, "Chi bộ", 3, "Số đảng viên", 12.5, V.MSG_FRACTION),
    ({"cells": [dict(default_cells()[0], members=-2)]}, "Chi bộ", 3, "Số đảng viên", -2, V.MSG_NEGATIVE),
    ({"cells": [dict(default_cells()[0], members="mười")]}, "Chi bộ", 3, "Số đảng viên", "mười", V.MSG_NOT_NUMBER),
    ({"cells": [dict(default_cells()[0], cell_kind="Chi đoàn")]}, "Chi bộ", 3, "Loại chi bộ", "Chi đoàn",
     "Giá trị không có trong danh sách: Chi bộ cơ sở, Chi bộ trực thuộc"),
    ({"cells": [dict(default_cells()[0], cell_name=None)]}, "Chi bộ", 3, "Tên chi bộ", None, VA.MSG_REQUIRED),
    ({"meetings": [meeting(ideological="hình như")]}, "Sinh hoạt", 3, "Có nội dung tư tưởng", "hình như",
     V.MSG_YESNO),
    ({"elements": {"DOI_THOAI": "3,5"}}, "Chỉ tiêu", 3, "Giá trị", "3,5", V.MSG_FRACTION),
    ({"elements": {"QCDC": "chắc có"}}, "Chỉ tiêu", 3, "Giá trị", "chắc có", V.MSG_YESNO),
    ({"elements": {"AN_SINH": -5}}, "Chỉ tiêu", 3, "Giá trị", -5, V.MSG_NEGATIVE),
    ({"info": info_values(year=1999)}, "Thông tin", 6, "Năm báo cáo", 1999,
     "Năm phải là số nguyên trong khoảng 2000–2100"),
    ({"info": info_values(unit="D")}, "Thông tin", 2, "Mã đơn vị", "D", V.MSG_CODE),
    ({"info": info_values(period="Quý 5")}, "Thông tin", 7, "Kỳ báo cáo", "Quý 5",
     "Giá trị không có trong danh sách: Quý I, Quý II, Quý III, Quý IV, Năm"),
])
def test_value_errors_are_exact(tmp_path, sheet_kw, sheet, row, column, value, message):
    pw = parse(build(tmp_path, **sheet_kw))
    assert Issue(sheet, row, column, value, message) in pw.errors
    assert len(pw.errors) == 1, pw.errors


def test_text_dates_and_serials_in_cells(tmp_path):
    pw = parse(build(tmp_path, meetings=[meeting(meeting_date="15/03/2024"), meeting(meeting_date=45352,
                                                                                     kind="Chuyên đề")]))
    assert [m["meeting_date"] for m in pw.tables["meetings"]] == [dt.date(2024, 3, 15), dt.date(2024, 3, 1)]
    assert [m["kind"] for m in pw.tables["meetings"]] == ["DINH_KY", "CHUYEN_DE"]


def test_formula_text_is_kept_as_text(tmp_path):
    pw = parse(build(tmp_path, petitions=[petition(summary="'=HYPERLINK(\"x\")")]))
    assert pw.tables["petitions"][0]["summary"] == "'=HYPERLINK(\"x\")"


def test_formula_without_cached_value_names_the_cell(tmp_path):
    p = build(tmp_path, elements=[{"code": "DOI_THOAI", "raw_value": "=1+2"}],
              info=info_values(member_total="=10+20"))
    pw = parse(p)
    assert pw.errors == [
        Issue("Thông tin", 10, "Tổng số đảng viên", "B10", VA.MSG_FORMULA.format(ref="B10")),
        Issue("Chỉ tiêu", 3, "Giá trị", "B3", VA.MSG_FORMULA.format(ref="B3")),
    ]


def test_formula_with_cached_value_is_read(tmp_path):
    p = tmp_path / "x.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    info = wb.add_worksheet("Thông tin")
    for i, (k, v) in enumerate(info_values().items()):
        if v is not None:
            info.write_string(i, 0, VA.INFO.column(k).header)
            info.write(i, 1, v)
    el = wb.add_worksheet("Chỉ tiêu")
    el.write_row(0, 0, ["Mã chỉ tiêu", "Giá trị"])
    el.write_row(1, 0, ["DOI_THOAI"])
    el.write_formula(1, 1, "=2+3", None, 5)
    cb = wb.add_worksheet("Chi bộ")
    cb.write_row(0, 0, ["Mã chi bộ", "Tên chi bộ", "Loại chi bộ", "Số đảng viên"])
    cb.write_row(1, 0, ["DB01-CB1", "Chi bộ 1", "Chi bộ trực thuộc", 12])
    wb.close()
    pw = parse(p)
    assert pw.errors == []
    assert pw.tables["elements"][0]["value"] == 5.0


# ---------------------------------------------------------------- row rules
def test_attendance_above_required(tmp_path):
    pw = parse(build(tmp_path, meetings=[meeting(required=10, attended=11)]))
    assert pw.errors == [Issue("Sinh hoạt", 3, "Số ĐV dự", 11, "Số ĐV dự lớn hơn Số ĐV phải dự (11 > 10)")]


def test_rating_counts_above_members(tmp_path):
    info = info_values(period="Y")
    pw = parse(build(tmp_path, info=info, cells=[annual_cell(dv_tot=8)]))
    assert pw.errors == [Issue("Chi bộ", 3, "Số đảng viên", 12, "Tổng số đảng viên được xếp loại lớn hơn Số "
                                                                "đảng viên của chi bộ (13 > 12)")]


def test_rating_counts_below_members_are_fine_and_stored_in_annual(tmp_path):
    pw = parse(build(tmp_path, info=info_values(period="Năm 2024"), cells=[annual_cell()]))
    assert pw.issues == []
    cell = pw.tables["cells"][0]
    assert (cell["rating"], cell["dv_xuat_sac"], cell["dv_gop_y_6"], cell["mo_hinh_4_tot"]) == ("HTXSNV", 3, 10, True)


def test_contributions_above_members(tmp_path):
    pw = parse(build(tmp_path, info=info_values(period="Y"), cells=[annual_cell(dv_gop_y_6=13)]))
    assert pw.errors == [Issue("Chi bộ", 3, "ĐV góp ý từ 6 kỳ trở lên", 13,
                               "Số ĐV góp ý từ 6 kỳ trở lên lớn hơn Số đảng viên (13 > 12)")]


def test_annual_only_columns_in_a_quarter_are_ignored_with_a_warning(tmp_path):
    pw = parse(build(tmp_path, cells=[annual_cell(dv_tot=50)]))
    assert pw.errors == []
    assert pw.warnings == [
        Issue("Chi bộ", 3, "Xếp loại chi bộ", "HTXSNV", VA.MSG_ANNUAL_ONLY, "warning"),
        Issue("Chi bộ", 3, "ĐV hoàn thành xuất sắc", 3, VA.MSG_ANNUAL_ONLY, "warning"),
        Issue("Chi bộ", 3, "ĐV hoàn thành tốt", 50, VA.MSG_ANNUAL_ONLY, "warning"),
        Issue("Chi bộ", 3, "ĐV hoàn thành nhiệm vụ", 2, VA.MSG_ANNUAL_ONLY, "warning"),
        Issue("Chi bộ", 3, "ĐV không hoàn thành", 0, VA.MSG_ANNUAL_ONLY, "warning"),
        Issue("Chi bộ", 3, "ĐV góp ý từ 6 kỳ trở lên", 10, VA.MSG_ANNUAL_ONLY, "warning"),
    ]
    assert pw.tables["cells"][0]["rating"] is None and pw.tables["cells"][0]["dv_tot"] is None


def test_duplicate_element_code_and_unknown_code(tmp_path):
    rows = [{"code": "DOI_THOAI", "raw_value": 1}, {"code": "doi_thoai", "raw_value": 2},
            {"code": "ABC", "raw_value": 3}]
    pw = parse(build(tmp_path, elements=rows))
    assert pw.errors == [Issue("Chỉ tiêu", 4, "Mã chỉ tiêu", "doi_thoai", "Mã chỉ tiêu bị trùng (đã có ở dòng 3)")]
    assert pw.warnings == [Issue("Chỉ tiêu", 5, "Mã chỉ tiêu", "ABC", VA.MSG_UNKNOWN_ELEMENT, "warning")]


def test_unknown_code_row_is_kept_unused(tmp_path):
    pw = parse(build(tmp_path, elements=[{"code": "Số cây xanh", "raw_value": "12"}]))
    row = pw.tables["elements"][0]
    assert (row["known"], row["value"], row["raw_value"], row["code"]) == (False, None, "12", "SỐ CÂY XANH")


def test_element_matched_by_label_and_empty_value_is_not_reported(tmp_path):
    rows = [{"code": "Số buổi đối thoại với cán bộ, người lao động", "raw_value": "1.234"},
            {"code": "HN_NLD", "raw_value": None, "content": "chưa tổ chức"}]
    pw = parse(build(tmp_path, elements=rows))
    assert pw.issues == []
    assert [(r["code"], r["value"]) for r in pw.tables["elements"]] == [("DOI_THOAI", 1234.0), ("HN_NLD", None)]


def test_duplicate_cell_code(tmp_path):
    cells = default_cells() + [dict(default_cells()[0], cell_name="Chi bộ khác")]
    pw = parse(build(tmp_path, cells=cells))
    assert pw.errors == [Issue("Chi bộ", 5, "Mã chi bộ", "DB01-CB1", "Mã chi bộ bị trùng trong sheet (đã có ở dòng 3)")]


def test_meeting_of_unknown_cell_and_meeting_outside_period(tmp_path):
    pw = parse(build(tmp_path, meetings=[meeting(cell_code="DB01-CB9"), meeting(meeting_date=dt.date(2024, 4, 2))]))
    assert pw.errors == [Issue("Sinh hoạt", 3, "Mã chi bộ", "DB01-CB9", "Mã chi bộ không có trong sheet Chi bộ")]
    assert pw.warnings == [Issue("Sinh hoạt", 4, "Ngày sinh hoạt", "02/04/2024",
                                 VA.MSG_MEETING_OUTSIDE, "warning")]


def test_petition_rules(tmp_path):
    rows = [petition(resolved_date=dt.date(2024, 1, 1), status="Đã giải quyết"),
            petition(petition_no="02", status="Đã giải quyết"),
            petition(petition_no="01/đt"),
            petition(petition_no="03", over_level="x", in_competence="Không", deadline="20/01/2024")]
    pw = parse(build(tmp_path, petitions=rows))
    assert pw.errors == [
        Issue("Đơn thư", 3, "Ngày giải quyết xong", "01/01/2024", "Ngày giải quyết xong trước Ngày nhận"),
        Issue("Đơn thư", 4, "Ngày giải quyết xong", None, "Đơn có Tình trạng “Đã giải quyết” phải có Ngày giải quyết xong"),
        Issue("Đơn thư", 5, "Số hiệu đơn", "01/đt", "Số hiệu đơn bị trùng trong đơn vị (đã có ở dòng 3)"),
    ]
    last = pw.tables["petitions"][3]
    assert (last["over_level"], last["in_competence"], last["deadline"]) == (True, False, dt.date(2024, 1, 20))


def test_lazy_validation_reports_every_error_at_once(tmp_path):
    p = build(tmp_path, elements={"DOI_THOAI": "nhiều"}, cells=[dict(default_cells()[0], members="?")],
              meetings=[meeting(attended=20), meeting(meeting_date="32/01/2024")],
              petitions=[petition(kind="Thư tay")])
    pw = parse(p)
    assert [(i.sheet, i.row, i.column) for i in pw.errors] == [
        ("Chỉ tiêu", 3, "Giá trị"), ("Chi bộ", 3, "Số đảng viên"), ("Sinh hoạt", 3, "Số ĐV dự"),
        ("Sinh hoạt", 4, "Ngày sinh hoạt"), ("Đơn thư", 3, "Loại đơn")]


# ---------------------------------------------------------------- the unit
def test_unknown_unit_is_rejected_naming_the_closest_known_unit(tmp_path):
    """A typo in Mã đơn vị (DB2 for DB02) must not create a unit: the file is rejected, and the message
    suggests the known unit whose code (else name) is closest (template-v1.md v1.1)."""
    units = {"DB02": {"name": "Đảng bộ Công ty Hai", "kind": "DBCS", "parent_code": "ROOT"},
             "CB09": {"name": "Chi bộ Công ty Chín", "kind": "CBCS", "parent_code": "ROOT"}}
    pw = parse(build(tmp_path, info=info_values(unit="DB2")), units=units)
    hint = "; có phải “DB02” (Đảng bộ Công ty Hai)?"
    assert pw.errors == [Issue("Thông tin", 2, "Mã đơn vị", "DB2", VA.MSG_UNKNOWN_UNIT.format(hint=hint))]
    assert pw.unit is None
    assert pw.proposed_unit == {"code": "DB2", "name": "Đảng bộ DB2", "kind": "DBCS", "parent_code": "ROOT"}
    # a code like none, but the name of a known unit: the name decides the suggestion
    by_name = parse(build(tmp_path, info=info_values(unit="XYZ123", unit_name="Chi bộ Công ty Chín")), units=units)
    assert "“CB09” (Chi bộ Công ty Chín)" in by_name.errors[0].message
    # nothing close: no suggestion, still rejected
    alone = parse(build(tmp_path, info=info_values(unit="QQQQ77", unit_name="Khác hẳn")), units=units)
    assert alone.errors[0].message == VA.MSG_UNKNOWN_UNIT.format(hint="")


def test_new_unit_accepted_by_an_administrator_is_a_warning_and_taken_from_the_workbook(tmp_path):
    pw = parse(build(tmp_path), units={}, allow_new=True)
    assert pw.issues == [NEW_UNIT]
    assert pw.unit == {"code": "DB01", "name": "Đảng bộ DB01", "kind": "DBCS", "parent_code": "ROOT", "is_new": True}


def test_report_of_a_merged_unit_is_rejected_naming_the_unit_it_became(tmp_path):
    units = {"DB01": dict(LISTED["DB01"], merged_into="DB02"), "DB02": LISTED["DB01"]}
    pw = parse(build(tmp_path), units=units)
    assert pw.errors == [Issue("Thông tin", 2, "Mã đơn vị", "DB01", VA.MSG_MERGED_UNIT.format(into="DB02"))]


def test_new_unit_with_unknown_parent_goes_under_root(tmp_path):
    pw = parse(build(tmp_path, info=info_values(parent_code="DBCT9")), units={}, allow_new=True)
    assert Issue("Thông tin", 5, "Mã đơn vị cấp trên", "DBCT9", VA.MSG_UNKNOWN_PARENT, "warning") in pw.warnings
    assert pw.unit["parent_code"] == "ROOT"


def test_unit_list_wins_and_mismatch_warns(tmp_path):
    units = {"DB01": {"name": "Đảng bộ Công ty Điện lực", "kind": "CBCS", "parent_code": "DBCT1"},
             "DBCT1": {"name": "Đảng bộ Tổng công ty", "kind": "DBCT", "parent_code": "ROOT"}}
    pw = parse(build(tmp_path, info=info_values(parent_code="ROOT"), cells=default_cells()[:1]), units=units)
    assert pw.warnings == [
        Issue("Thông tin", 3, "Tên đơn vị", "Đảng bộ DB01", VA.MSG_UNIT_MISMATCH.format(
            expected="Đảng bộ Công ty Điện lực"), "warning"),
        Issue("Thông tin", 4, "Loại hình", "Đảng bộ cơ sở", VA.MSG_UNIT_MISMATCH.format(expected="Chi bộ cơ sở"),
              "warning"),
        Issue("Thông tin", 5, "Mã đơn vị cấp trên", "ROOT", VA.MSG_UNIT_MISMATCH.format(expected="DBCT1"),
              "warning"),
    ]
    assert pw.unit == {"code": "DB01", "name": "Đảng bộ Công ty Điện lực", "kind": "CBCS", "parent_code": "DBCT1",
                       "is_new": False}


def test_report_of_an_inactive_unit_warns(tmp_path):
    units = {"DB01": dict(LISTED["DB01"], inactive_from=2024)}
    pw = parse(build(tmp_path), units=units)
    assert pw.issues == [Issue("Thông tin", 6, "Năm báo cáo", 2024, VA.MSG_INACTIVE_UNIT.format(year=2024),
                               "warning")]
    assert parse(build(tmp_path, info=info_values(year=2023)), units=units).issues == []


def test_grassroots_cell_must_have_exactly_one_row(tmp_path):
    info = info_values(unit="CB07", unit_kind="Chi bộ cơ sở")
    pw = parse(build(tmp_path, info=info), units={}, allow_new=True)
    assert pw.errors == [Issue("Chi bộ", None, None, 2, VA.MSG_CBCS_ONE_CELL.format(n=2))]
    one = [{"cell_code": "CB07", "cell_name": "Chi bộ CB07", "cell_kind": "Chi bộ cơ sở", "members": 9}]
    assert parse(build(tmp_path, info=info, cells=one), units={}, allow_new=True).errors == []


def test_root_code_cannot_report(tmp_path):
    pw = parse(build(tmp_path, info=info_values(unit="ROOT")), units={})
    assert pw.errors == [Issue("Thông tin", 2, "Mã đơn vị", "ROOT", VA.MSG_ROOT_UNIT)]
    assert pw.unit is None


def test_every_message_is_nfc_vietnamese(tmp_path):
    p = build(tmp_path, elements={"X": 1, "DOI_THOAI": "a"}, cells=[annual_cell()], omit_sheets=("petitions",))
    for issue in parse(p, units={}).issues:
        assert unicodedata.is_normalized("NFC", issue.message)


# ---------------------------------------------------------------- robustness

CELL = st.one_of(st.just(""), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                 st.booleans(), st.dates(), st.text(max_size=12),
                 st.sampled_from(["Ví dụ", "Mã chi bộ", "Số đảng viên", "Quý I", "Có", "31/02/2024", "=1+1"]))


@given(st.lists(st.lists(CELL, max_size=8), max_size=12), st.sampled_from([s.name for s in SHEETS]))
def test_any_grid_yields_issues_never_an_exception(grid, sheet_name):
    raw = RawWorkbook("f.xlsx", {"Thông tin": [["Mã đơn vị", "DB01"], ["Kỳ báo cáo", "Quý I"]], sheet_name: grid})
    pw = validate_workbook(raw, units={}, config=load_config())
    for issue in pw.issues:
        assert issue.severity in ("error", "warning") and issue.message
        assert issue.row is None or issue.row >= 1


def test_reader_refuses_corrupt_bytes_in_vietnamese():
    from core.errors import DashboardError

    with pytest.raises(DashboardError) as exc:
        read_workbook(b"PK\x03\x04 not really a zip", "hong.xlsx")
    assert exc.value.message.startswith("Không đọc được tệp hong.xlsx: không phải sổ tính Excel hợp lệ")


def test_reader_refuses_a_sheet_with_a_far_away_cell(tmp_path):
    from openpyxl import Workbook

    from core.errors import DashboardError

    wb = Workbook()
    wb.active.title = "Chi bộ"
    wb.active["A1"], wb.active["ZZ90000"] = "x", "y"
    wb.save(tmp_path / "far.xlsx")
    with pytest.raises(DashboardError) as exc:
        read_workbook((tmp_path / "far.xlsx").read_bytes(), "far.xlsx")
    assert "quá lớn (90000 dòng × 702 cột)" in exc.value.message


def test_reader_keeps_leading_empty_rows_so_rows_are_excel_rows(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["C4"] = "x"
    wb.save(tmp_path / "r.xlsx")
    grid = read_workbook((tmp_path / "r.xlsx").read_bytes(), "r.xlsx").sheets["Sheet"]
    assert grid[3][2] == "x" and len(grid) == 4


def test_figure_above_its_thong_tin_total_warns_but_is_accepted(tmp_path, db):
    """People reached (130) above the staff total (120) is a plausibility warning on that row, not an error;
    equal totals and the members' reflections within the member total give nothing."""
    from loaders.store import ingest_bytes
    from tests.builders import info_values, register_units, write_workbook

    register_units(db, "DB01")
    path = write_workbook(tmp_path / "DB01_2024_Q1.xlsx", info=info_values(member_total=30, staff_total=120),
                          elements={"NGUOI_QUAN_TRIET": 130, "DV_THU_HOACH": 30})
    result = ingest_bytes(db, path.read_bytes(), path.name)
    assert result.status == "accepted" and result.errors == []
    ceiling = [w for w in result.warnings if "ở sheet Thông tin" in w.message]
    assert [(w.sheet, w.row, w.column, w.value, w.message) for w in ceiling] == [
        ("Chỉ tiêu", 3, "Giá trị", 130,
         "NGUOI_QUAN_TRIET lớn hơn Tổng số cán bộ, người lao động ở sheet Thông tin (120); hãy kiểm tra lại số liệu")]


def test_issues_past_the_cap_are_counted_and_still_reject(tmp_path, db):
    """1,200 meetings each with attendance above required: 1,000 issues are listed, the other 200 are one
    summary error, and the file is rejected (bounded memory for a workbook wrong in every row)."""
    import datetime as dt

    from loaders.store import ingest_bytes
    from loaders.validate import MAX_LISTED_ISSUES
    from tests.builders import info_values, register_units, write_workbook

    register_units(db, "DB01")
    meetings = [{"cell_code": "DB01-CB1", "meeting_date": dt.date(2024, 1, 1) + dt.timedelta(days=i % 90),
                 "kind": "Định kỳ", "required": 10, "attended": 11} for i in range(1200)]
    path = write_workbook(tmp_path / "DB01_2024_Q1.xlsx", info=info_values(), meetings=meetings)
    result = ingest_bytes(db, path.read_bytes(), path.name)
    assert result.status == "rejected"
    listed = [e for e in result.errors if e.sheet == "Sinh hoạt"]
    assert len(listed) == MAX_LISTED_ISSUES == 1000
    summary = result.errors[-1]
    assert (summary.sheet, summary.row, summary.value) == (None, None, 200)
    assert summary.message == "Còn 200 lỗi khác không liệt kê; hãy sửa các lỗi trên rồi tải lên lại để xem tiếp"
    assert db.query_value("SELECT count(*) FROM submissions") == 0


# ---------------------------------------------------------------- issue 10: whole numbers beyond what can be stored
TOO_LARGE = "Số quá lớn (tối đa {}); hãy kiểm tra lại số liệu"


def out_of_range_workbook(tmp_path) -> Path:
    """A report whose counts no INTEGER column can hold (3,000,000,000 members, 10**20 in a cell, as text
    too) or that the domain rules out (a unit with 2 million members), and a count element of 10**20."""
    cells = [dict(annual_cell(), members=10**20), dict(annual_cell(cell_code="DB01-CB2"), dv_tot="3.000.000.000")]
    return build(tmp_path, info=info_values(period="Năm", member_total=3_000_000_000, staff_total=2 * 10**9),
                 cells=cells, meetings=[meeting(required=2_147_483_648, attended="2.000.000")],
                 elements={"DOI_THOAI": 10**20, "NGUOI_QUAN_TRIET": 999_999_999})


def test_integers_beyond_their_column_are_errors_naming_the_cell(tmp_path):
    """Every out-of-range whole number is an error in the lazy table (sheet, Excel row, column, value, a
    Vietnamese reason with the bound), never a value handed to the INSERT (issue 10: it failed there)."""
    pw = parse(out_of_range_workbook(tmp_path))
    got = [(i.sheet, i.row, i.column, i.value, i.message) for i in pw.errors]
    assert got == [
        ("Thông tin", 10, "Tổng số đảng viên", 3_000_000_000, TOO_LARGE.format("1.000.000")),
        ("Thông tin", 11, "Tổng số cán bộ, người lao động", 2_000_000_000, TOO_LARGE.format("10.000.000")),
        ("Chỉ tiêu", 3, "Giá trị", 10**20, TOO_LARGE.format("1.000.000.000")),
        ("Chi bộ", 3, "Số đảng viên", 10**20, TOO_LARGE.format("1.000.000")),
        ("Chi bộ", 4, "ĐV hoàn thành tốt", "3.000.000.000", TOO_LARGE.format("1.000.000")),
        ("Sinh hoạt", 3, "Số ĐV phải dự", 2_147_483_648, TOO_LARGE.format("1.000.000")),
        ("Sinh hoạt", 3, "Số ĐV dự", "2.000.000", TOO_LARGE.format("1.000.000")),
    ]
    assert pw.tables["elements"][1]["value"] == 999_999_999  # within the element bound: kept


def test_every_integer_column_is_bounded_within_its_storage_type():
    """The bound a column's parser applies never exceeds what its database column holds (INTEGER: 32 bits),
    for every integer column of every sheet (Thông tin goes to submissions, the tables to their own)."""
    from core.tables import TABLES
    from loaders.schema import INFO, UNIT_LIST

    ranges = {"INTEGER": 2**31 - 1, "BIGINT": 2**63 - 1, "DOUBLE": float("inf")}
    types = {t.name: {c.name: c.type.split()[0] for c in t.columns} for t in TABLES}
    checked = 0
    for sheet in (*SHEETS, UNIT_LIST):
        table = "submissions" if sheet is INFO else sheet.key
        for col in sheet.columns:
            if col.type != "integer":
                continue
            limit = ranges[types[table][col.key]]
            with pytest.raises(V.ValueProblem):
                V.parser_for(col)(limit + 1)
            bound = V.parser_for(col).keywords["hi"]
            assert bound <= limit and V.parser_for(col)(bound) == bound, (sheet.name, col.header)
            checked += 1
    assert checked == 10


def test_cli_batch_with_out_of_range_integers_exits_1_without_a_traceback(tmp_path):
    """Through `python -m loaders ingest --json` (issue 10: the batch ended in an English traceback from the
    INSERT): exit 1, the file rejected with the errors, nothing stored, a good file in the same batch stored."""
    import json
    import os
    import subprocess
    import sys

    folder = tmp_path / "lo"
    folder.mkdir()
    out_of_range_workbook(folder).rename(folder / "1_qua_lon.xlsx")
    write_workbook(folder / "2_DB02.xlsx", info=info_values(unit="DB02"))
    db = tmp_path / "cli.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    proc = subprocess.run([sys.executable, "-m", "loaders", "ingest", str(folder), "--db", str(db), "--json", "--add-units"],
                          cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=180)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 1, proc.stderr[-3000:]
    files = json.loads(proc.stdout)["files"]
    assert [(f["file"], f["status"]) for f in files] == [("1_qua_lon.xlsx", "rejected"), ("2_DB02.xlsx", "accepted")]
    assert {"sheet": "Thông tin", "row": 10, "column": "Tổng số đảng viên", "value": 3_000_000_000,
            "message": TOO_LARGE.format("1.000.000")} in files[0]["errors"]
    assert len(files[0]["errors"]) == 7
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT unit_code FROM submissions").fetchall() == [("DB02",)]
    finally:
        con.close()
