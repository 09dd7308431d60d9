"""The blank standard workbook (template-v1.md), generated from the declarations in loaders/schema.py.

One generic writer: every table sheet gets a title row, a styled header row, an example row that the
loader skips ("Ví dụ…"), frozen panes, widths, and a data validation per column type; enumerations come
from a hidden `Danh mục` sheet (labels such as "Kiến nghị, phản ánh" contain commas, which an inline list
cannot hold). Output is deterministic: fixed document properties and no clock-dependent content.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from loaders.schema import ENUMS, INFO, SHEETS, TABLE_SHEETS, UNIT_LIST, Column, Sheet
from loaders.elements import DATA_ELEMENTS

GUIDE_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"  # the loader ignores it quietly (validate.QUIET_SHEETS)
TITLE = "BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH HÀNH ĐỘNG - MẪU BÁO CÁO V1"
UNIT_LIST_TITLE = "DANH SÁCH TỔ CHỨC ĐẢNG TRỰC THUỘC"
EXAMPLE = "Ví dụ: "
DATA_ROWS = 1000  # rows below the example row that carry validations
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
YES_NO = ["Có", "Không"]
DATE_FORMAT = "dd/mm/yyyy"
EXAMPLE_DATE = dt.date(2024, 3, 15)

# what each declared type means to the person filling in the sheet
TYPE_HELP: dict[str, str] = {
    "code": "mã: chữ cái không dấu, chữ số, dấu . _ -; từ 2 đến 20 ký tự",
    "text": "chữ",
    "longtext": "chữ, một hoặc vài đoạn",
    "integer": "số nguyên không âm (ví dụ 12 hoặc 1.234)",
    "money": "số tiền, triệu đồng (ví dụ 1.250,5)",
    "yesno": "Có hoặc Không (chọn trong danh sách)",
    "date": "ngày dd/mm/yyyy (ví dụ 15/03/2024), ngày đứng trước tháng",
    "enum": "chọn một giá trị trong danh sách",
    "year": "năm, 4 chữ số",
    "period": "chọn trong danh sách: Quý I, Quý II, Quý III, Quý IV hoặc Năm",
    "element_value": "số nguyên, số tiền hoặc Có/Không tùy chỉ tiêu; để trống nếu không báo cáo",
}

# example-row values for the columns whose type alone does not give a telling example
EXAMPLES: dict[str, dict[str, Any]] = {
    "elements": {"code": "DOI_THOAI", "raw_value": 3, "content": "Số buổi đối thoại với cán bộ, người lao động",
                 "note": "Dòng ví dụ, chương trình tự bỏ qua"},
    "cells": {"cell_code": "DB01-CB1", "cell_name": "Chi bộ Phòng Kế toán", "cell_kind": "Chi bộ trực thuộc",
              "members": 12, "dv_xuat_sac": 2,
              "dv_tot": 8, "dv_hoan_thanh": 2, "dv_khong_hoan_thanh": 0, "dv_gop_y_6": 12},
    "meetings": {"cell_code": "DB01-CB1", "required": 12, "attended": 11,
                 "topic": "Học tập, làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"},
    "trainees": {"full_name": "Nguyễn Văn An", "birth_date": dt.date(1985, 6, 20), "cell_code": "DB01-CB1",
                 "year_sent": 2024, "institution": "Trường Chính trị tỉnh"},
    "petitions": {"petition_no": "01/2024", "deadline": dt.date(2024, 4, 14),
                  "resolved_date": dt.date(2024, 4, 2), "summary": "Kiến nghị về chế độ làm thêm giờ"},
    "narratives": {"section": "Tình hình tư tưởng",
                   "content": "Cán bộ, đảng viên, người lao động tin tưởng vào sự lãnh đạo của cấp ủy, yên tâm công tác",
                   "level": "Bình thường"},
    "units": {"code": "DB01", "name": "Đảng bộ Công ty Cổ phần A", "parent_code": "", "inactive_from": ""},
}
TYPE_EXAMPLES: dict[str, Any] = {"integer": 1, "money": 0, "yesno": "Có", "date": EXAMPLE_DATE, "year": 2024,
                                 "code": "DB01", "text": ""}


class _Writer:
    """One xlsxwriter workbook plus the shared formats and the hidden list sheet."""

    def __init__(self, target: str | Path | IO[bytes]):
        self.wb = xlsxwriter.Workbook(target if not isinstance(target, Path) else str(target),
                                      {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        self.wb.set_properties({
            "title": "Mẫu báo cáo v1", "subject": "Báo cáo kết quả thực hiện chương trình hành động",
            "author": "Bảng điều khiển Đảng ủy", "company": "", "created": FIXED_TIME,
        })
        f = self.wb.add_format
        self.title = f({"bold": True, "font_size": 13, "font_color": "#9C0006"})
        self.header = f({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                         "valign": "vcenter", "align": "center"})
        self.example = f({"italic": True, "font_color": "#7F7F7F", "text_wrap": False})
        self.example_date = f({"italic": True, "font_color": "#7F7F7F", "num_format": DATE_FORMAT})
        self.date = f({"num_format": DATE_FORMAT})
        self.label = f({"bold": True, "border": 1, "bg_color": "#DDEBF7"})
        self.value = f({"border": 1})
        self.value_date = f({"border": 1, "num_format": DATE_FORMAT})
        self.wrap = f({"text_wrap": True, "valign": "top"})
        self.h2 = f({"bold": True, "font_size": 12})
        self.used_lists: set[str] = set()

    def list_source(self, enum: str) -> str:
        """The `Danh mục` range holding the canonical labels of an enumeration."""
        col = list(ENUMS).index(enum)
        letter = xl_col_to_name(col)
        self.used_lists.add(enum)
        return f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(ENUMS[enum]) + 1}"

    def close(self) -> None:
        """Write the hidden list sheet last (so the visible sheets keep their order) and save."""
        if self.used_lists:
            ws = self.wb.add_worksheet(LISTS_SHEET)
            for col, (enum, members) in enumerate(ENUMS.items()):
                if enum in self.used_lists:
                    ws.write_string(0, col, enum)
                    for i, labels in enumerate(members.values(), start=1):
                        ws.write_string(i, col, labels[0])
            ws.hide()
        self.wb.worksheets()[0].activate()
        self.wb.close()

    def validation(self, col: Column, title: str | None = None) -> dict[str, Any] | None:
        """The data-validation options for a declared column type, or None when nothing cheap applies."""
        # "warning", never "stop": the loader accepts aliases and spellings a strict list would block
        msg = {"input_title": (title or col.header)[:32], "input_message": _input_message(col)[:255],
               "error_title": "Giá trị chưa đúng", "error_type": "warning"}
        if col.type in ("enum", "period") and col.enum:
            return {**msg, "validate": "list", "source": self.list_source(col.enum),
                    "error_message": "Hãy chọn một giá trị trong danh sách"}
        if col.type == "yesno":
            return {**msg, "validate": "list", "source": YES_NO, "error_message": "Hãy chọn Có hoặc Không"}
        if col.type == "integer":
            return {**msg, "validate": "integer", "criteria": ">=", "value": 0,
                    "error_message": "Giá trị phải là số nguyên không âm"}
        if col.type == "money":
            return {**msg, "validate": "decimal", "criteria": ">=", "value": 0,
                    "error_message": "Giá trị phải là số không âm (triệu đồng)"}
        if col.type == "year":
            return {**msg, "validate": "integer", "criteria": "between", "minimum": col.min or 2000,
                    "maximum": col.max or 2100,
                    "error_message": f"Năm phải từ {col.min or 2000} đến {col.max or 2100}"}
        if col.type == "date":
            return {**msg, "validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                    "maximum": dt.date(2100, 12, 31),
                    "error_message": "Hãy nhập ngày dạng dd/mm/yyyy"}
        if col.type == "code":
            return {**msg, "validate": "length", "criteria": "between", "minimum": 2, "maximum": 20,
                    "error_message": "Mã dài từ 2 đến 20 ký tự"}
        return None


def _input_message(col: Column) -> str:
    parts = [TYPE_HELP.get(col.type, "")]
    if col.required and col.type != "element_value":  # an empty Giá trị is allowed: "not reported"
        parts.append("bắt buộc")
    if col.annual_only:
        parts.append("chỉ điền trong báo cáo Năm")
    if col.note:
        parts.append(col.note)
    text = "; ".join(p for p in parts if p)
    return text[:1].upper() + text[1:]


def _width(col: Column) -> int:
    # wrapped headers: wide enough for the longest word and about half the header on one line
    longest_word = max(len(w) for w in col.header.split())
    return max(col.width, longest_word + 3, min(len(col.header) // 2 + 3, 30))


def _example_value(sheet: Sheet, col: Column) -> Any:
    given = EXAMPLES.get(sheet.key, {})
    if col.key in given:
        return given[col.key]
    if col.type in ("enum", "period") and col.enum:
        return ENUMS[col.enum][next(iter(ENUMS[col.enum]))][0]
    return TYPE_EXAMPLES.get(col.type, "")


def _cell_value(col: Column, value: Any) -> Any:
    """A stored value as a person types it in the workbook: enumeration codes as their labels, yes/no as
    Có/Không (dates stay dates; the writer gives them the date format)."""
    if value is None:
        return None
    if col.type in ("enum", "period") and col.enum and value in ENUMS[col.enum]:
        return ENUMS[col.enum][value][0]
    if col.type == "yesno":
        return "Có" if value else "Không"
    return value


def _write_value(w: _Writer, ws, row: int, j: int, col: Column, value: Any, fmt=None, date_fmt=None) -> None:
    value = _cell_value(col, value)
    if value is None or value == "":
        return
    if isinstance(value, dt.datetime):
        ws.write_datetime(row, j, value, date_fmt or w.date)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, j, dt.datetime(value.year, value.month, value.day), date_fmt or w.date)
    elif isinstance(value, str):
        ws.write_string(row, j, value, fmt)  # never a formula or a link, whatever the text
    else:
        ws.write_number(row, j, value, fmt)


def _write_table(w: _Writer, sheet: Sheet, title: str, rows: list[dict[str, Any]] | None = None) -> Any:
    """Title row, header row, example row, validations, widths, frozen panes, then `rows` (a pre-filled
    workbook's values, keyed by column key) under the example row; returns the worksheet."""
    ws = w.wb.add_worksheet(sheet.name)
    ws.write_string(0, 0, f"{title} - {sheet.description}" if sheet.description else title, w.title)
    header_row, example_row = 1, 2
    ws.set_row(header_row, 48)
    for j, col in enumerate(sheet.columns):
        ws.set_column(j, j, _width(col), w.date if col.type == "date" else None)
        ws.write_string(header_row, j, col.header, w.header)
        value = _example_value(sheet, col)
        if j == 0:
            value = f"{EXAMPLE}{value}"
        if isinstance(value, dt.date):
            ws.write_datetime(example_row, j, dt.datetime(value.year, value.month, value.day), w.example_date)
        elif value not in ("", None):
            ws.write(example_row, j, value, w.example)
        options = w.validation(col)
        if options:
            ws.data_validation(example_row + 1, j, example_row + DATA_ROWS, j, options)
    for i, row in enumerate(rows or [], start=example_row + 1):
        for j, col in enumerate(sheet.columns):
            _write_value(w, ws, i, j, col, row.get(col.key))
    ws.freeze_panes(header_row + 1, 0)
    return ws


def _write_elements(w: _Writer) -> None:
    """`Chỉ tiêu`: the generic table plus one row per data element, validated by the element's type."""
    from loaders.schema import ELEMENTS

    ws = _write_table(w, ELEMENTS, "CÁC CHỈ TIÊU TRONG KỲ")
    keys = [c.key for c in ELEMENTS.columns]
    code_col, value_col, content_col = keys.index("code"), keys.index("raw_value"), keys.index("content")
    # Giá trị has no column-wide validation (its type depends on the row): one per element row
    by_type = {"integer": Column("v", "Giá trị", "integer"), "money": Column("v", "Giá trị", "money"),
               "yesno": Column("v", "Giá trị", "yesno")}
    for i, element in enumerate(DATA_ELEMENTS, start=3):
        ws.write_string(i, code_col, element.code)
        ws.write_string(i, content_col, element.label)
        options = w.validation(by_type[element.type], title=element.code)
        if options:
            options["input_message"] = f"{element.label}: {TYPE_HELP[element.type]}"[:255]
            ws.data_validation(i, value_col, i, value_col, options)


def _write_info(w: _Writer, values: dict[str, Any] | None = None) -> None:
    """`Thông tin`: labels in column A, values in column B (blank, or a pre-filled workbook's `values`);
    hints as input messages (never in column C, which the loader would read as the value of an empty
    field)."""
    ws = w.wb.add_worksheet(INFO.name)
    ws.write_string(0, 0, TITLE, w.title)
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 40)
    for i, col in enumerate(INFO.columns, start=2):
        ws.write_string(i, 0, col.header, w.label)
        ws.write_blank(i, 1, None, w.value_date if col.type == "date" else w.value)
        if values and values.get(col.key) is not None:
            _write_value(w, ws, i, 1, col, values[col.key], w.value, w.value_date)
        options = w.validation(col)
        if options:
            ws.data_validation(i, 1, i, 1, options)
        elif col.note:
            ws.data_validation(i, 1, i, 1, {"validate": "any", "input_title": col.header[:32],
                                            "input_message": _input_message(col)[:255]})
    ws.freeze_panes(1, 0)


def _deadline_days() -> int:
    try:
        from core.config import load_config

        return load_config().deadline_days
    except Exception:  # the template must be writable even without a configuration file
        return 15


def _rule_sentence(rule) -> str:
    """A rule as a sentence of the guide: a requirement says itself ('… phải có …'); a condition found in
    a row is an error ('Ngày giải quyết xong trước Ngày nhận: báo lỗi')."""
    if rule.kind == "required_if":
        return f"{rule.message}, nếu thiếu sẽ báo lỗi."
    return f"{rule.message}: báo lỗi."


def _guide_lines() -> list[tuple[str, str]]:
    """(style, text) lines of the `Hướng dẫn` sheet, generated from the declarations."""
    days = _deadline_days()
    lines: list[tuple[str, str]] = [
        ("title", TITLE),
        ("", "Mỗi đơn vị điền một tệp cho mỗi kỳ báo cáo (Quý I, Quý II, Quý III, Quý IV, Năm)."),
        ("h2", "Cách điền"),
        ("", "1. Không đổi tên sheet, không đổi tên cột; có thể thêm cột ghi chú riêng (chương trình bỏ qua)."),
        ("", "2. Dòng bắt đầu bằng \"Ví dụ\" là dòng mẫu, chương trình tự bỏ qua; điền dữ liệu từ dòng ngay dưới."),
        ("", "3. Cột có danh sách chọn: bấm vào ô và chọn trong danh sách."),
        ("", "4. Số nguyên: 12 hoặc 1.234 (dấu chấm ngăn cách hàng nghìn). Số tiền (triệu đồng): 1.250,5."),
        ("", "5. Ngày: dd/mm/yyyy, ngày đứng trước tháng (03/04/2024 là ngày 3 tháng 4)."),
        ("", "6. Có/Không: chọn Có hoặc Không. Ô Giá trị để trống nghĩa là không báo cáo (khác với số 0)."),
        ("", "7. Công thức được chấp nhận nếu đã tính ra giá trị (mở và lưu bằng Excel hoặc LibreOffice)."),
        ("", "8. Các cột chỉ điền trong báo cáo Năm (xếp loại) được bỏ qua trong báo cáo quý."),
        ("h2", "Thời hạn và cách nộp"),
        ("", f"Nộp chậm nhất {days} ngày sau khi kết thúc kỳ báo cáo."),
        ("", "Lưu tệp dạng .xlsx (không có macro, không đặt mật khẩu), tên tệp gợi ý: MÃĐƠNVỊ_NĂM_KỲ.xlsx, "
             "ví dụ DB01_2024_Q1.xlsx."),
        ("", "Tải tệp lên tại trang \"Nộp báo cáo\" của bảng điều khiển, hoặc gửi Văn phòng Đảng ủy để tải lên. "
             "Tệp có lỗi sẽ bị từ chối toàn bộ, kèm danh sách lỗi (sheet, dòng, cột); sửa và nộp lại."),
        ("", "Nộp lại báo cáo của cùng một kỳ sẽ thay thế báo cáo trước đó."),
    ]
    for sheet in SHEETS:
        need = "bắt buộc" if sheet.required else "không bắt buộc; không có gì để báo cáo thì để trống"
        lines.append(("h2", f"Sheet \"{sheet.name}\" ({need})"))
        if sheet.description:
            lines.append(("", sheet.description + "."))
        if sheet.layout == "keyvalue":
            lines.append(("", "Tên mục ở cột A, giá trị ở cột B."))
        for col in sheet.columns:
            lines.append(("", f"• {col.header}: {_column_help(col)}"))
        for rule in sheet.rules:
            if rule.severity == "error" and rule.kind != "unique":
                lines.append(("", f"• Kiểm tra: {_rule_sentence(rule)}"))
    lines += _narrative_lines()
    lines.append(("h2", "Mã chỉ tiêu (sheet \"Chỉ tiêu\")"))
    for e in DATA_ELEMENTS:
        lines.append(("", f"• {e.code}: {e.label} ({TYPE_HELP[e.type].split(' (')[0]})"))
    return lines


def _narrative_lines() -> list[tuple[str, str]]:
    """How to write sheet `Tình hình`: the sections, the levels and the limits (loaders/schema.py)."""
    from core.text import fmt_number
    from loaders.schema import MAX_NARRATIVE_CELL, MAX_NARRATIVE_TOTAL, NARRATIVES

    sections = [labels[0] for labels in ENUMS["narrative_section"].values()]
    return [
        ("h2", f"Cách viết sheet \"{NARRATIVES.name}\""),
        ("", "Báo cáo bằng lời những điều số liệu không nói hết; Văn phòng tổng hợp vào báo cáo sơ kết, tổng kết "
             "của Đảng ủy và ghi rõ tên đơn vị. Không ghi họ tên, thông tin cá nhân: nội dung này lãnh đạo đều đọc."),
        ("", "Các mục, theo thứ tự: " + "; ".join(sections) + "."),
        ("", "Mỗi ý một dòng; một mục có thể có nhiều dòng, giữ đúng thứ tự. Ô Mục để trống (hoặc gộp ô) thì "
             "dòng đó thuộc mục của dòng trên. Xuống dòng trong ô (Alt+Enter) được giữ thành đoạn."),
        ("", "Mức độ: để trống là Bình thường; ghi Cần quan tâm hoặc Nổi cộm cho vấn đề cấp ủy cấp trên cần biết "
             "sớm: các dòng này được đưa lên đầu khi tổng hợp."),
        ("", f"Giới hạn: mỗi ô Nội dung tối đa {fmt_number(MAX_NARRATIVE_CELL)} ký tự, cả sheet tối đa "
             f"{fmt_number(MAX_NARRATIVE_TOTAL)} ký tự; vượt quá thì tệp bị từ chối kèm tên ô. Ký tự điều khiển, "
             "ký tự ẩn được tự động bỏ đi (có cảnh báo)."),
    ]


def _column_help(col: Column) -> str:
    text = _input_message(col)
    if col.type in ("enum", "period") and col.enum:
        text += ". Giá trị: " + "; ".join(labels[0] for labels in ENUMS[col.enum].values())
    if col.aliases:
        text += ". Tên khác được chấp nhận: " + ", ".join(col.aliases)
    return text


def _write_guide(w: _Writer, lines: list[tuple[str, str]]) -> None:
    ws = w.wb.add_worksheet(GUIDE_SHEET)
    ws.set_column(0, 0, 120, w.wrap)
    styles = {"title": w.title, "h2": w.h2, "": w.wrap}
    for i, (style, text) in enumerate(lines):
        ws.write_string(i, 0, text, styles[style])


def write_template(path_or_file: str | Path | IO[bytes], prefill: dict[str, Any] | None = None) -> None:
    """Write the standard workbook (Hướng dẫn + the six sheets of template-v1.md): blank, or pre-filled
    with `prefill` = {"info": {Thông tin key: value}, "tables": {sheet key: [row dicts]}} (the unit's
    pre-filled workbook of a period, metrics.office_loop.prefill_bytes). Values are stored values (codes,
    dates, numbers); they are written as a person would type them."""
    prefill = prefill or {}
    tables = prefill.get("tables") or {}
    w = _Writer(path_or_file)
    _write_guide(w, _guide_lines())
    _write_info(w, prefill.get("info"))
    _write_elements(w)
    for sheet in TABLE_SHEETS:
        if sheet.key != "elements":
            _write_table(w, sheet, sheet.name.upper(), tables.get(sheet.key))
    w.close()


def template_bytes(prefill: dict[str, Any] | None = None) -> bytes:
    """The standard workbook as bytes (for the download button): blank, or pre-filled (write_template)."""
    buf = io.BytesIO()
    write_template(buf, prefill)
    return buf.getvalue()


def write_unit_list_template(path_or_file: str | Path | IO[bytes]) -> None:
    """Write the blank unit-list workbook (sheet `Đơn vị`, interfaces.md `python -m loaders units`)."""
    w = _Writer(path_or_file)
    guide = [("title", UNIT_LIST_TITLE),
             ("", "Mỗi tổ chức đảng một dòng trong sheet \"Đơn vị\"; nạp lại danh sách sẽ cập nhật theo Mã đơn vị."),
             ("", "Đơn vị không bao giờ bị xóa; điền \"Ngừng hoạt động từ năm\" để đánh dấu ngừng hoạt động."),
             ("h2", "Sheet \"Đơn vị\"")]
    guide += [("", f"• {c.header}: {_column_help(c)}") for c in UNIT_LIST.columns]
    guide.append(("", "• Mã đơn vị cấp trên để trống: trực thuộc Đảng ủy cấp trên trực tiếp."))
    _write_guide(w, guide)
    _write_table(w, UNIT_LIST, UNIT_LIST_TITLE)
    w.close()


def unit_list_template_bytes() -> bytes:
    """The blank unit-list workbook as bytes."""
    buf = io.BytesIO()
    write_unit_list_template(buf)
    return buf.getvalue()
