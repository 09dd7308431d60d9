"""Formula cells without cached values, found in real .xlsx files written by openpyxl and xlsxwriter."""
from __future__ import annotations

import io
import zipfile

import xlsxwriter
from openpyxl import Workbook

from loaders.xlsx_scan import sheet_parts, uncached_formula_cells
from tests.builders import write_workbook


def test_openpyxl_formulas_have_no_cached_value(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu"
    ws["A1"], ws["A2"] = 1, 2
    ws["C7"] = "=SUM(A1:A2)"
    other = wb.create_sheet("Đơn thư")
    other["AB120"] = "=TODAY()"
    other["B2"] = "plain text with <f> inside"
    wb.create_sheet("Chi bộ")["D4"] = 5
    path = tmp_path / "f.xlsx"
    wb.save(path)
    assert uncached_formula_cells(path.read_bytes()) == [("Chỉ tiêu", 7, 3), ("Đơn thư", 120, 28)]


def test_xlsxwriter_formulas_with_cached_values_give_nothing(tmp_path):
    path = tmp_path / "cached.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Chỉ tiêu")
    ws.write_number("A1", 3)
    ws.write_formula("B1", "=A1*2", None, 6)
    ws.write_formula("C1", '=IF(A1>1,"Có","Không")', None, "Có")
    ws.write_array_formula("D1:D1", "{=SUM(A1:A1)}", None, 3)
    wb.close()
    data = path.read_bytes()
    assert b"<f>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert uncached_formula_cells(data) == []


def _xlsx_with_sheet_xml(tmp_path, sheet_xml: bytes) -> bytes:
    """A real xlsxwriter workbook whose only sheet part is replaced by hand-written XML."""
    path = tmp_path / "base.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("Sinh hoạt")
    wb.close()
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info.filename, payload)
    return out.getvalue()


NS = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def test_hand_written_cells_cached_uncached_and_shared(tmp_path):
    xml = NS + (
        b"<sheetData>"
        b'<row r="3"><c r="A3"><f>1+1</f><v>2</v></c>'          # cached
        b'<c r="B3"><f>1+2</f></c>'                            # no <v>
        b'<c r="C3"><f>1+3</f><v/></c>'                        # empty <v/>
        b'<c r="D3" t="str"><f>""</f><v></v></c>'              # cached empty string result
        b'<c r="E3" t="str"><f>"x"</f><v>x</v></c></row>'      # cached text
        b'<row r="9"><c r="F9"><f t="shared" ref="F9:F10" si="0">A1</f><v>1</v></c></row>'
        b'<row r="10"><c r="F10"><f t="shared" si="0"/></c></row>'  # shared formula, no value
        b"</sheetData></worksheet>")
    data = _xlsx_with_sheet_xml(tmp_path, xml)
    assert uncached_formula_cells(data) == [("Sinh hoạt", 3, 2), ("Sinh hoạt", 3, 3), ("Sinh hoạt", 10, 6)]


def test_cells_without_r_attributes_and_prefixed_namespace(tmp_path):
    xml = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
           b'<x:row><x:c><x:v>1</x:v></x:c><x:c><x:f>A1</x:f></x:c></x:row>'
           b'<x:row r="5"><x:c r="C5"><x:v>1</x:v></x:c><x:c><x:f>C5</x:f></x:c></x:row>'
           b"</x:sheetData></x:worksheet>")
    data = _xlsx_with_sheet_xml(tmp_path, xml)
    assert uncached_formula_cells(data) == [("Sinh hoạt", 1, 2), ("Sinh hoạt", 5, 4)]


def test_sheet_names_follow_workbook_rels_not_part_names(tmp_path):
    # openpyxl writes absolute rel targets ("/xl/worksheets/sheet2.xml"); sheet order is workbook order
    wb = Workbook()
    wb.active.title = "Thông tin"
    wb.create_sheet("Đào tạo LLCT")["B2"] = "=1/0"
    wb.move_sheet("Đào tạo LLCT", offset=-1)
    path = tmp_path / "order.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        names = [name for name, _ in sheet_parts(zf)]
    assert names == ["Đào tạo LLCT", "Thông tin"]
    assert uncached_formula_cells(path.read_bytes()) == [("Đào tạo LLCT", 2, 2)]


def test_builder_workbook_and_non_ooxml_give_nothing(tmp_path):
    path = write_workbook(tmp_path / "ok.xlsx", elements={"DOI_THOAI": 2})
    assert uncached_formula_cells(path.read_bytes()) == []
    assert uncached_formula_cells(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)) == []
    assert uncached_formula_cells(b"a,b\n1,2\n") == []
    assert uncached_formula_cells(b"PK\x03\x04 broken") == []


def test_malformed_sheet_tail_keeps_cells_found_before_it(tmp_path):
    xml = NS + b'<sheetData><row r="2"><c r="B2"><f>1+1</f></c></row><row r="3"><c r="C3"><f>2</f></c'
    data = _xlsx_with_sheet_xml(tmp_path, xml)
    assert uncached_formula_cells(data) == [("Sinh hoạt", 2, 2)]


from hypothesis import given, strategies as st  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

# one cell: (kind, with r attribute); kinds: plain value, cached formula, uncached formula, empty-<v/> formula
_CELL = st.tuples(st.sampled_from(["value", "cached", "uncached", "empty_v", "gap"]), st.booleans())


@given(st.lists(st.lists(_CELL, min_size=1, max_size=6), min_size=1, max_size=8))
def test_scan_matches_a_hand_built_sheet(rows):
    """Random sheets with and without r attributes: exactly the uncached formula cells come back, in order."""
    expected, xml_rows = [], []
    for i, cells in enumerate(rows, start=1):
        written, parts = 0, []
        for col, (kind, with_ref) in enumerate(cells, start=1):
            if kind == "gap":  # a skipped column: the next cell must carry its reference
                continue
            # a cell may omit r only when it directly follows the previous written cell
            ref = f' r="{get_column_letter(col)}{i}"' if with_ref or col != written + 1 else ""
            body = {"value": "<v>1</v>", "cached": "<f>A1</f><v>3</v>", "uncached": "<f>A1</f>",
                    "empty_v": "<f>A1</f><v/>"}[kind]
            parts.append(f"<c{ref}>{body}</c>")
            written = col
            if kind in ("uncached", "empty_v"):
                expected.append(("Sinh hoạt", i, col))
        xml_rows.append(f'<row r="{i}">{"".join(parts)}</row>')
    xml = NS + f"<sheetData>{''.join(xml_rows)}</sheetData></worksheet>".encode()
    assert uncached_formula_cells(_in_memory_with_sheet_xml(xml)) == expected


_BASE: list[bytes] = []


def _in_memory_with_sheet_xml(sheet_xml: bytes) -> bytes:
    """Like _xlsx_with_sheet_xml, without touching the disk (one xlsxwriter base, rezipped per example)."""
    if not _BASE:
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True})
        wb.add_worksheet("Sinh hoạt")
        wb.close()
        _BASE.append(buf.getvalue())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_BASE[0])) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
    return out.getvalue()
