"""Sheet `Tình hình` (issue 12): sections and levels matched like every name, rows in order, a section
written once for several rows, the limits (cell size, total size, control characters), every failure
listed with sheet, Excel row, column, value and reason; a workbook without the sheet stays valid (v1)."""
from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from core.config import load_config
from core.errors import Issue
from loaders import values as V
from loaders.reader import read_workbook
from loaders.schema import MAX_NARRATIVE_CELL, MAX_NARRATIVE_TOTAL, NARRATIVES, SHEETS
from loaders.template import template_bytes
from loaders.validate import validate_workbook
from tests.builders import write_workbook

LISTED = {"DB01": {"name": "Đảng bộ DB01", "kind": "DBCS", "parent_code": "ROOT"}}
SHEET = "Tình hình"


def parse(path: Path):
    return validate_workbook(read_workbook(path.read_bytes(), path.name), units=LISTED, config=load_config())


def build(tmp_path, rows, **kw) -> Path:
    return write_workbook(tmp_path / "r.xlsx", narratives=rows, **kw)


def row(section, content, level=None):
    return {"section": section, "content": content, "level": level}


def stored(pw) -> list[tuple]:
    return [(r["excel_row"], r["section"], r["level"], r["content"]) for r in pw.tables["narratives"]]


def test_the_sheet_is_declared_optional_with_its_three_columns():
    assert NARRATIVES in SHEETS and not NARRATIVES.required and NARRATIVES.name == SHEET
    assert [c.header for c in NARRATIVES.columns] == ["Mục", "Nội dung", "Mức độ"]
    assert [c.required for c in NARRATIVES.columns] == [True, True, False]


def test_a_workbook_without_the_sheet_stays_valid(tmp_path):
    pw = parse(write_workbook(tmp_path / "v1.xlsx"))
    assert pw.errors == [] and pw.tables["narratives"] == []


def test_rows_are_kept_in_order_with_sections_and_levels_matched_like_names(tmp_path):
    pw = parse(build(tmp_path, [
        row("Tình hình tư tưởng", "Cán bộ, đảng viên yên tâm công tác."),
        row("TINH HINH TU TUONG", "Một bộ phận lo lắng về sắp xếp tổ chức.", "cần quan tâm"),
        row("dư luận xã hội", "Người lao động quan tâm chế độ tiền lương.", "NỔI CỘM"),
        row("Kết quả nổi bật, cách làm hay", "Mô hình “Ngày thứ Bảy văn minh”."),
        row("Hạn chế", "Một số chi bộ sinh hoạt còn hình thức."),  # an alias of the section
        row("Bài học kinh nghiệm", "Người đứng đầu gương mẫu."),
        row("Kiến nghị, đề xuất", "Đề nghị mở lớp bồi dưỡng cấp ủy viên.", "Bình thường"),
        row("Nhiệm vụ trọng tâm kỳ tới", "Tổ chức hội nghị người lao động."),
    ]))
    assert pw.errors == [] and pw.warnings == []
    assert stored(pw) == [
        (3, "TU_TUONG", "BINH_THUONG", "Cán bộ, đảng viên yên tâm công tác."),
        (4, "TU_TUONG", "CAN_QUAN_TAM", "Một bộ phận lo lắng về sắp xếp tổ chức."),
        (5, "DU_LUAN", "NOI_COM", "Người lao động quan tâm chế độ tiền lương."),
        (6, "KET_QUA", "BINH_THUONG", "Mô hình “Ngày thứ Bảy văn minh”."),
        (7, "HAN_CHE", "BINH_THUONG", "Một số chi bộ sinh hoạt còn hình thức."),
        (8, "BAI_HOC", "BINH_THUONG", "Người đứng đầu gương mẫu."),
        (9, "KIEN_NGHI", "BINH_THUONG", "Đề nghị mở lớp bồi dưỡng cấp ủy viên."),
        (10, "NHIEM_VU", "BINH_THUONG", "Tổ chức hội nghị người lao động."),
    ]


def test_a_section_written_once_or_merged_carries_to_the_rows_below(tmp_path):
    path = build(tmp_path, [
        row("1. Tình hình tư tưởng", "Ý thứ nhất."),
        row(None, "Ý thứ hai."),
        row("II. DƯ LUẬN XÃ HỘI", "Ý về dư luận."),
        row(None, "Ý thứ hai về dư luận."),
        row(None, "Ý thứ ba về dư luận."),
        row("- Kiến nghị", "Một kiến nghị."),
    ])

    def merge(wb):  # rows 5–7 of `Mục` merged, as people lay out a section heading
        ws = wb[SHEET]
        ws.merge_cells("A5:A7")
    wb = load_workbook(path)
    merge(wb)
    wb.save(path)
    pw = parse(path)
    assert pw.errors == []
    assert [(r, s) for r, s, _, _ in stored(pw)] == [(3, "TU_TUONG"), (4, "TU_TUONG"), (5, "DU_LUAN"),
                                                      (6, "DU_LUAN"), (7, "DU_LUAN"), (8, "KIEN_NGHI")]


def test_line_breaks_stay_paragraphs_and_spaces_fold(tmp_path):
    pw = parse(build(tmp_path, [row("Hạn chế", "  Thứ nhất,\tchưa  kịp thời.\r\n\r\n\nThứ hai, còn hình thức.  ")]))
    assert stored(pw)[0][3] == "Thứ nhất, chưa kịp thời.\nThứ hai, còn hình thức."


def _patched(path: Path, old: bytes, new: bytes) -> Path:
    """The workbook with `old` replaced by `new` in every XML part (openpyxl refuses C0 controls; Excel
    stores them as _xHHHH_ escapes, which the reader decodes)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data.replace(old, new) if item.filename.endswith(".xml") else data)
    path.write_bytes(out.getvalue())
    return path


def test_control_and_invisible_characters_are_removed_with_a_warning(tmp_path):
    path = build(tmp_path, [row("Kiến nghị", "Đề nghị@07 hỗ trợ\u202e kinh phí@00.")])
    pw = parse(_patched(_patched(path, b"@07", b"_x0007_"), b"@00", b"_x0000_"))
    assert pw.errors == []
    assert stored(pw)[0][3] == "Đề nghị hỗ trợ kinh phí."
    assert [(w.sheet, w.row, w.column) for w in pw.warnings] == [(SHEET, 3, "Nội dung")]
    assert "U+0007" in pw.warnings[0].message and "U+202E" in pw.warnings[0].message


def test_every_failure_is_listed_with_sheet_row_column_value_and_reason(tmp_path):
    long_text = "Nội dung rất dài. " * 200  # 3,600 characters
    pw = parse(build(tmp_path, [
        row("Tình hình tư tưởng", "Bình thường."),
        row("Linh tinh", "Một mục không có trong danh sách."),
        row("Dư luận xã hội", None),
        row("Kiến nghị", "Đề nghị.", "Rất nghiêm trọng"),
        row(None, long_text),
        row(None, "Dòng tiếp theo của mục Linh tinh: lỗi đã báo ở dòng trên."),
    ]))
    assert pw.tables["narratives"]  # the readable rows are still parsed (nothing is stored: errors reject)
    got = [(i.sheet, i.row, i.column, i.value, i.message) for i in pw.errors]
    choices = ("Tình hình tư tưởng; Dư luận xã hội; Kết quả nổi bật, cách làm hay; Hạn chế, khó khăn và "
               "nguyên nhân; Bài học kinh nghiệm; Kiến nghị, đề xuất; Nhiệm vụ trọng tâm kỳ tới")
    assert got[:3] == [
        (SHEET, 4, "Mục", "Linh tinh", f"Giá trị không có trong danh sách: {choices}"),
        (SHEET, 5, "Nội dung", None, "Thiếu giá trị bắt buộc"),
        (SHEET, 6, "Mức độ", "Rất nghiêm trọng",
         "Giá trị không có trong danh sách: Bình thường, Cần quan tâm, Nổi cộm"),
    ]
    sheet, r, column, value, message = got[3]
    assert (sheet, r, column) == (SHEET, 7, "Nội dung")
    assert message == (f"Nội dung quá dài (3.599 ký tự, tối đa {V.fmt_number(MAX_NARRATIVE_CELL)}); "
                       "hãy tách thành nhiều dòng hoặc viết ngắn gọn hơn")
    assert value.endswith("…") and len(value) <= 200  # the cell is named, not copied out in full
    assert len(got) == 4  # row 8 inherits Kiến nghị from row 7: nothing more to say


def test_the_whole_sheet_has_a_size_limit(tmp_path):
    chunk = "Ý kiến phản ánh của người lao động về điều kiện làm việc. " * 45  # 2,610 characters per cell
    rows = [row("Dư luận xã hội", chunk.strip()) for _ in range(12)]
    pw = parse(build(tmp_path, rows))
    per_cell = len(chunk.strip())
    crossing = MAX_NARRATIVE_TOTAL // per_cell + 1  # the row whose running total passes the bound
    assert [(i.sheet, i.row, i.column, i.value) for i in pw.errors] == [
        (SHEET, 2 + crossing, "Nội dung", per_cell * 12)]
    assert pw.errors[0].message == (
        f"Tổng nội dung sheet Tình hình vượt quá {V.fmt_number(MAX_NARRATIVE_TOTAL)} ký tự; hãy viết ngắn gọn "
        f"hơn (đang có {V.fmt_number(per_cell * 12)} ký tự)")
    assert parse(build(tmp_path, rows[:11])).errors == []  # 28,710 characters: within the bound


def test_a_missing_required_header_is_named(tmp_path):
    path = build(tmp_path, [row("Kiến nghị", "Đề nghị.")])
    wb = load_workbook(path)
    wb[SHEET]["B2"] = "Ý kiến"
    wb.save(path)
    pw = parse(path)
    assert [(i.sheet, i.row, i.column, i.message) for i in pw.errors] == [
        (SHEET, 2, "Nội dung", "Thiếu cột bắt buộc (không tìm thấy trong 15 dòng đầu của sheet)")]


def test_the_template_has_the_sheet_with_its_instructions():
    import io

    wb = load_workbook(io.BytesIO(template_bytes()))
    assert SHEET in wb.sheetnames
    ws = wb[SHEET]
    assert [c.value for c in ws[2]][:3] == ["Mục", "Nội dung", "Mức độ"]
    assert str(ws["A3"].value).startswith("Ví dụ")
    guide = "\n".join(str(c.value) for c in wb["Hướng dẫn"]["A"] if c.value)
    assert f'Sheet "{SHEET}" (không bắt buộc' in guide
    for label in ("Tình hình tư tưởng", "Nhiệm vụ trọng tâm kỳ tới", "Nổi cộm",
                  V.fmt_number(MAX_NARRATIVE_CELL), V.fmt_number(MAX_NARRATIVE_TOTAL)):
        assert label in guide, label
    # the blank template itself is accepted (its example row is skipped)
    blank = validate_workbook(read_workbook(template_bytes(), "mau.xlsx"), units=LISTED, config=load_config())
    assert not [i for i in blank.errors if i.sheet == SHEET]
    assert blank.tables["narratives"] == []


def test_issue_json_shape_is_the_contract():
    i = Issue(SHEET, 5, "Mục", "Linh tinh", "m")
    assert i.to_json() == {"sheet": SHEET, "row": 5, "column": "Mục", "value": "Linh tinh", "message": "m"}
