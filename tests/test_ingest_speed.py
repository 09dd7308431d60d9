"""The fast paths of issue 6 item 1 keep every rule: the gate's cheap extent bound never under-counts and
hands unusual sheets to the exact scan; the Arrow bulk insert stores exactly the parsed rows, and a column
pyarrow cannot type still goes in through bound parameters."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from hypothesis import given, settings, strategies as st

from loaders.extent import MAX_CELLS_PER_SHEET, ExtentBound as _ExtentBound, SheetExtent as _SheetExtent
from loaders.gate import check_upload
from core.tables import DATA_COLUMNS
from loaders.store import _insert_rows, ingest_bytes
from tests.builders import register_units, info_values, write_workbook
from tests.test_fuzz import FUZZ, sheet_xml


@pytest.fixture
def db(db):
    """The fresh database with the units these workbooks report for already in the unit list (a report of an
    unknown unit is rejected, template-v1.md v1.1)."""
    register_units(db, "DB01", "DB02")
    return db

SHEET_PART = "xl/worksheets/sheet4.xml"  # `Sinh hoạt` in the builder's workbook


def fed(scanner, xml: bytes, chunk: int):
    """A scanner (the exact `_SheetExtent` or the cheap `_ExtentBound`) fed an XML part in chunks."""
    for i in range(0, len(xml), chunk):
        scanner.feed(xml[i:i + chunk])
    scanner.feed(b"", final=True)
    return scanner


def exact(xml: bytes, chunk: int) -> _SheetExtent:
    """The exact streaming extent of an XML part fed in chunks."""
    return fed(_SheetExtent(), xml, chunk)


def bound(xml: bytes, chunk: int) -> _ExtentBound:
    """The cheap bound of an XML part fed in chunks."""
    return fed(_ExtentBound(), xml, chunk)


@settings(FUZZ, max_examples=150)
@given(xml=sheet_xml(), chunk=st.integers(5, 120))
def test_cheap_bound_never_under_counts_the_exact_extent(xml, chunk):
    """Whenever the bound clears a part, the exact scan (which covers what calamine places) is no larger."""
    b, e = bound(xml, chunk), exact(xml, chunk)
    if b.regular:
        assert b.max_row >= e.max_row and b.max_col >= e.max_col, (xml, b.max_row, b.max_col)


@pytest.mark.parametrize("xml", [
    b'<sheetData><row r="1"><c><v>1</v></c></row></sheetData>',  # r-less cell
    b"<sheetData><row r='1'><c r='A1'><v>1</v></c></row></sheetData>",  # single quotes
    b'<sheetData><row r="1"><c t="n" r="A1"><v>1</v></c></row></sheetData>',  # r not first
    b'<sheetData><row r="1"><c r="a1"><v>1</v></c></row></sheetData>',  # lower-case letters
    b'<sheetData><row r="1"><c r="A01"><v>1</v></c></row></sheetData>',  # leading zero
    b'<x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData>',  # prefixed tags
    b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"><v>1</v></c></row></sheetData>',  # too big
])
def test_unusual_or_large_parts_go_to_the_exact_scan(xml):
    assert not bound(xml, 1 << 16).small


def test_usual_part_is_cleared_with_its_largest_reference():
    xml = b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="AB7"/></row><row r="900"><c r="C900"/></row></sheetData>'
    b = bound(xml, 16)
    assert b.small and (b.max_row, b.max_col) == (900, 28)


def _with_far_cell(data: bytes, ref: str) -> bytes:
    """The workbook with one more value cell at `ref` in `Sinh hoạt`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info)
            if info.filename == SHEET_PART:
                row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                part = part.replace(b"</sheetData>",
                                    f'<row r="{row}"><c r="{ref}"><v>1</v></c></row></sheetData>'.encode())
            dst.writestr(info.filename, part)
    return out.getvalue()


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    """A valid workbook from the shared builder."""
    return write_workbook(tmp_path_factory.mktemp("speed") / "DB01.xlsx", elements={"DOI_THOAI": 3}).read_bytes()


def test_gate_limit_is_exact_at_the_boundary(good):
    """J200000 is exactly MAX_CELLS_PER_SHEET cells (10 columns × 200,000 rows): allowed; one row more is not."""
    assert 10 * 200_000 == MAX_CELLS_PER_SHEET
    assert check_upload(_with_far_cell(good, "J200000"), "ok.xlsx") == []
    issues = check_upload(_with_far_cell(good, "J200001"), "big.xlsx")
    assert [i.message for i in issues] == [
        "Sheet 'Sinh hoạt' của tệp big.xlsx quá lớn (ít nhất 200001 dòng × 10 cột, vượt giới hạn 2.000.000 ô); "
        "hãy xoá các dòng, cột thừa rồi tải lên lại."]


# ---------------------------------------------------------------- storing
def _rows(db, table: str, sid: int) -> list[tuple]:
    cols = ", ".join(("excel_row",) + DATA_COLUMNS[table])
    return db.query_rows(f"SELECT {cols} FROM {table} WHERE submission_id = ? ORDER BY excel_row", [sid])


def test_bulk_insert_stores_exactly_the_parsed_rows(db, tmp_path):
    meetings = [{"cell_code": "DB01-CB1", "meeting_date": dt.date(2024, 1, 5 + i), "kind": "Định kỳ",
                 "required": 10, "attended": 9 - i % 3, "topic": f"Chủ đề 'số' {i}" if i % 2 else None}
                for i in range(25)]
    data = write_workbook(tmp_path / "DB01.xlsx", meetings=meetings, elements={"DOI_THOAI": 3}).read_bytes()
    result = ingest_bytes(db, data, "DB01.xlsx")
    assert result.status == "accepted", [i.message for i in result.errors]
    for table, cols in DATA_COLUMNS.items():
        expected = [tuple([r["excel_row"], *(r.get(c) for c in cols)]) for r in result.parsed.tables[table]]
        assert _rows(db, table, result.submission_id) == expected, table
    assert len(_rows(db, "meetings", result.submission_id)) == 25


def test_column_pyarrow_cannot_type_goes_in_through_bound_parameters(db):
    """A text column holding a number and a string cannot become one Arrow array; DuckDB casts instead."""
    cols = ("submission_id", "excel_row") + DATA_COLUMNS["elements"]
    rows = [[900, 3, "A", True, 1.0, "1", "x", None], [900, 4, "B", False, None, 2, "y", "z"]]
    with db.transaction() as cur:
        _insert_rows(cur, "elements", cols, rows)
    assert db.query_rows("SELECT excel_row, code, raw_value, note FROM elements WHERE submission_id = 900 "
                         "ORDER BY excel_row") == [(3, "A", "1", None), (4, "B", "2", "z")]


# ---------------------------------------------------------------- batches
def test_batch_reads_units_once_and_knows_the_units_it_adds(db, tmp_path):
    """A unit created by the batch's first file is a known parent for the second file, and the same bytes
    again in the batch are a duplicate (decided once, under the write lock)."""
    from loaders.store import ingest_paths
    from loaders.validate import MSG_UNKNOWN_PARENT

    folder = tmp_path / "batch"
    (folder / "copy").mkdir(parents=True)
    first = write_workbook(folder / "1_DBA1.xlsx", info=info_values(unit="DBA1"))
    write_workbook(folder / "2_DBB2.xlsx", info=info_values(unit="DBB2", parent_code="DBA1"))
    (folder / "copy" / "3_DBA1.xlsx").write_bytes(first.read_bytes())
    results = ingest_paths(db, [folder], add_units=True)  # the operator accepts both as new units
    assert [(r.file, r.status) for r in results] == [
        ("1_DBA1.xlsx", "accepted"), ("2_DBB2.xlsx", "accepted"), ("3_DBA1.xlsx", "duplicate")]
    assert MSG_UNKNOWN_PARENT not in [w.message for w in results[1].warnings]
    assert db.query_rows("SELECT parent_code FROM units WHERE code = 'DBB2'") == [("DBA1",)]
    assert db.query_rows("SELECT count(*) FROM submissions") == [(2,)]


def test_batch_without_parsed_rows_keeps_statuses_and_issues(db, tmp_path):
    """keep_parsed=False (the CLI's batches): results carry no rows, but everything the report prints."""
    from loaders.store import ingest_paths

    (tmp_path / "a").mkdir()
    write_workbook(tmp_path / "a" / "DB01.xlsx", info=info_values(unit="DB01"))
    write_workbook(tmp_path / "a" / "DB02.xlsx", info=info_values(unit="DB02", year="hai nghìn"))
    results = ingest_paths(db, [tmp_path / "a"], keep_parsed=False)
    assert [(r.status, r.parsed) for r in results] == [("accepted", None), ("rejected", None)]
    assert results[0].submission_id is not None and results[0].to_json()["unit"] == "DB01"
    assert [(e.sheet, e.column) for e in results[1].errors] == [("Thông tin", "Năm báo cáo")]
    assert db.query_rows("SELECT unit_code FROM submissions") == [("DB01",)]
