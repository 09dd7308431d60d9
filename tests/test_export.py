"""Exports: formula injection is neutralised in every Excel/CSV cell, numbers stay numbers, the scorecard
lists every indicator, and the meeting pack is a real PowerPoint with native charts in Vietnamese."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pptx import Presentation

from metrics.indicators import GROUPS
from metrics.pack import pack_from_report
from metrics.export import (
    FORMULA_TRIGGERS,
    neutralise,
    scorecard_xlsx,
    table_csv,
    table_xlsx,
)
from core.text import STATUS, fmt_target, fmt_value
from tests.builders import SPEC_INDICATOR_IDS as INDICATOR_IDS

INJECTIONS = ['=HYPERLINK("http://evil.example","Bấm vào đây")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]

COUNT_IDS = {"I07", "I08", "I10", "I13"}


def report_json(statuses: dict[str, str] | None = None, behind: list[str] | None = None) -> dict:
    """A report in the JSON shape of interfaces.md, every indicator present."""
    statuses = statuses or {}
    inds = []
    for k, ind_id in enumerate(INDICATOR_IDS):
        count = ind_id[:3] in COUNT_IDS
        status = statuses.get(ind_id[:3], "met")
        inds.append({
            "id": ind_id, "name": f"Chỉ tiêu số {k + 1}", "unit": "người" if count else "%",
            "value": None if status == "no_data" else (7 if count else 87.5),
            "numerator": 7, "denominator": None if count else 8,
            "target": None if status == "no_target" else (
                {"op": "range", "min": 5, "max": 10} if count else {"op": "=", "value": 100}),
            "status": status, "behind": list(behind or []) if status == "not_met" else [],
        })
    return {
        "scope": {"unit": "ROOT", "name": "Đảng bộ Khối Doanh nghiệp tỉnh", "is_root": True},
        "window": {"year": 2024, "quarter": None, "as_of": "2025-03-01"},
        "indicators": inds,
        "activities": {},
    }


def xlsx_cells(data: bytes):
    """Every non-empty cell of every sheet of an xlsx, as openpyxl reads it back."""
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


# ---------------------------------------------------------------- neutralise
@pytest.mark.parametrize("text", INJECTIONS)
def test_neutralise_prefixes_formula_triggers(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [12, 12.5, -3, 0, None, True, dt.date(2024, 1, 2), "Đảng bộ Công ty", "", "1+1"])
def test_neutralise_leaves_numbers_and_plain_text_alone(value):
    assert neutralise(value) is value


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_no_text_ever_becomes_a_formula(text):
    df = pd.DataFrame({"Tên đơn vị": [text]})
    cells = [c for c in xlsx_cells(table_xlsx(df, title="Danh sách")) if c.row == 4]
    for cell in cells:  # none when the text was only control characters XML cannot hold
        assert cell.data_type == "s"
        assert not cell.value.startswith(FORMULA_TRIGGERS)
    row = list(csv.reader(io.StringIO(table_csv(df).decode("utf-8-sig"))))[1]
    assert not row[0].startswith(FORMULA_TRIGGERS)


# ---------------------------------------------------------------- CSV read with either list separator
# Vietnamese Excel splits a CSV on ';' (its list separator), other locales on ','. A reader whose separator
# is not the file's loses track of the quoting after the first field and splits INSIDE text values, so a
# value like "1;=HYPERLINK(…)" became a cell of its own that starts with '=' (the bypass of issue 10).
SEPARATOR_BYPASSES = ['1;=HYPERLINK("http://evil.example","Bấm")', "a;=cmd|' /C calc'!A0", 'a;"=1+1', "a; -2+3",
                      "x,=1+1", "a\n=1", "a\r@SUM(A1)", "a;\t=1", "Đơn thư;+1"]
# a field may start with "-" only as a negative number (a number, or a number written as text): alone (the file's own separator) or, split with the
# other one, followed by the quoted constants of the next fields (a formula of constants calls nothing)
NUMBER_FIELD = re.compile(r"-((\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?|\d+([.,]\d+)*%?)(,|$)")


def csv_fields(data: bytes, delimiter: str) -> list[str]:
    """Every field of a CSV export as a reader splitting on `delimiter` sees it."""
    text = data.decode("utf-8-sig")
    return [f for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for f in row]


def assert_no_formula_cell(data: bytes) -> None:
    for delimiter in (",", ";"):
        for field in csv_fields(data, delimiter):
            assert not field.startswith(FORMULA_TRIGGERS) or NUMBER_FIELD.match(field), (delimiter, field)


def test_csv_values_split_on_either_separator_never_start_a_formula():
    df = pd.DataFrame({"Số": [-11] * len(SEPARATOR_BYPASSES), "Nội dung": SEPARATOR_BYPASSES,
                       "Tỷ lệ": [-2.5] * len(SEPARATOR_BYPASSES)})
    data = table_csv(df)
    assert_no_formula_cell(data)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r[1] for r in rows[1:]] == [  # the text itself, with a ' where a cell could start a formula
        '1;\'=HYPERLINK("http://evil.example",\'"Bấm")', "a;'=cmd|' /C calc'!A0", 'a;\'"=1+1', "a;' -2+3",
        "x,'=1+1", "a =1", "a @SUM(A1)", "a;'\t'=1", "Đơn thư;'+1"]  # a CSV row is one line
    assert [r[0] for r in rows[1:]] == ["-11"] * len(SEPARATOR_BYPASSES)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=list("=+-@\t\r\n;,\"' a1.%"), max_size=10), min_size=1, max_size=4),
       st.lists(st.integers(-99, 99) | st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=3))
def test_no_csv_cell_starts_a_formula_whatever_the_separator(texts, numbers):
    df = pd.DataFrame([[*numbers, *texts, *numbers]], columns=[f"c{i}" for i in range(2 * len(numbers) + len(texts))])
    assert_no_formula_cell(table_csv(df))


def test_numbers_stay_numbers_in_exports():
    """Real negative numbers (numbers, or display text of a number) are written as numbers: no ' mark."""
    df = pd.DataFrame({"Số": [-11, 3], "Tỷ lệ": [-2.5, 87.5], "Hiển thị": ["-11", "-1.234,5"],
                       "Phần trăm": ["-12,5%", "-2+3"]})
    rows = list(csv.reader(io.StringIO(table_csv(df).decode("utf-8-sig"), newline="")))
    assert rows[1:] == [["-11", "-2.5", "-11", "-12,5%"], ["3", "87.5", "-1.234,5", "'-2+3"]]
    raw = table_csv(df).decode("utf-8-sig").splitlines()
    assert raw[1].startswith("-11,-2.5,")  # numbers unquoted: a spreadsheet reads them as numbers
    ws = load_workbook(io.BytesIO(table_xlsx(df, title="Số âm"))).active
    assert (ws["A4"].value, ws["A4"].data_type) == (-11, "n") and (ws["B4"].value, ws["B4"].data_type) == (-2.5, "n")
    assert ws["C4"].value == "-11" and ws["D4"].value == "-12,5%" and ws["D5"].value == "'-2+3"
    assert neutralise("-11") == "-11" and neutralise("-2+3") == "'-2+3" and neutralise(-11) == -11


# ---------------------------------------------------------------- tables
def injection_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "Tên đơn vị": INJECTIONS,
        "Nội dung tóm tắt": [f"Đơn thư {t}" if i % 2 else t for i, t in enumerate(INJECTIONS)],
        "Số đảng viên": [12, 30, 0, 5, 7, 9],
        "Tỷ lệ": [87.5, 100.0, 0.0, 33.3, 50.0, 66.7],
        "Ngày nhận": [pd.Timestamp(2024, 3, d) for d in range(1, 7)],
    })


def test_table_xlsx_keeps_injected_text_literal_and_numbers_numeric():
    df = injection_frame()
    ws = load_workbook(io.BytesIO(table_xlsx(df, title="=Đơn thư quý I"))).active
    assert ws["A1"].value == "'=Đơn thư quý I" and ws["A1"].data_type == "s"
    headers = [c.value for c in ws[3]]
    assert headers == list(df.columns)
    for i, text in enumerate(INJECTIONS, start=4):
        name = ws.cell(row=i, column=1)
        assert name.data_type == "s" and name.value == "'" + text
        summary = ws.cell(row=i, column=2)
        assert summary.data_type == "s"
        assert summary.value.startswith("'") == summary.value[1:].startswith(FORMULA_TRIGGERS) or \
            summary.value.startswith("Đơn thư")
    members = [ws.cell(row=i, column=3) for i in range(4, 10)]
    assert [c.value for c in members] == [12, 30, 0, 5, 7, 9]
    assert all(c.data_type == "n" for c in members)
    assert ws.cell(row=4, column=4).value == 87.5 and ws.cell(row=4, column=4).data_type == "n"
    assert ws.cell(row=4, column=5).value == dt.datetime(2024, 3, 1)
    assert ws.cell(row=4, column=5).is_date
    assert ws.freeze_panes == "A4"
    assert not any(c.data_type == "f" for c in xlsx_cells(table_xlsx(df, title="x")))


def test_table_csv_has_bom_and_neutralised_text():
    data = table_csv(injection_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Tên đơn vị", "Nội dung tóm tắt", "Số đảng viên", "Tỷ lệ", "Ngày nhận"]
    for row, text in zip(rows[1:], INJECTIONS):
        # "\t=1" also gets one after the tab; "\r=1" keeps its text on one line
        assert row[0][0] == "'" and row[0].replace("'", "") == text.replace("\r", " ")
    assert [r[2] for r in rows[1:]] == ["12", "30", "0", "5", "7", "9"]
    assert rows[1][3] == "87.5"
    assert rows[1][4] == "2024-03-01"
    # Vietnamese survives the round trip in NFC
    assert "Đơn thư" in rows[2][1]


def test_table_exports_handle_missing_values_and_empty_frames():
    df = pd.DataFrame({"Mã": ["DB01", None], "Giá trị": [1.5, None]}).astype({"Mã": "string"})
    ws = load_workbook(io.BytesIO(table_xlsx(df, title="Bảng"))).active
    assert ws.cell(row=5, column=1).value is None and ws.cell(row=5, column=2).value is None
    rows = list(csv.reader(io.StringIO(table_csv(df).decode("utf-8-sig"))))
    assert rows[2] == ["", ""]
    empty = pd.DataFrame(columns=["Mã", "Tên"])
    assert load_workbook(io.BytesIO(table_xlsx(empty, title="Trống"))).active["A3"].value == "Mã"
    assert table_csv(empty).decode("utf-8-sig").strip() == '"Mã","Tên"'  # every text quoted


# ---------------------------------------------------------------- scorecard
def test_scorecard_lists_every_indicator_with_vietnamese_status_and_neutralised_units():
    rep = report_json({"I01": "not_met", "I07": "exceeded", "I03": "no_data", "I10": "no_target"},
                      behind=["=HYPERLINK(\"x\")", "DB03"])
    ws = load_workbook(io.BytesIO(scorecard_xlsx(rep, title="Bảng chỉ tiêu năm 2024",
                                                 names={"DB03": "@Đảng bộ Điện lực"}))).active
    assert ws["A1"].value == "Bảng chỉ tiêu năm 2024"
    assert "Đảng bộ Khối Doanh nghiệp tỉnh" in ws["A2"].value and "Năm 2024" in ws["A2"].value
    assert [c.value for c in ws[4]] == ["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Giá trị", "Tử số",
                                        "Mẫu số", "Chỉ tiêu", "Trạng thái", "Đơn vị chưa đạt"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=5) if r[0].value}
    assert list(rows) == INDICATOR_IDS
    assert rows["I01_QUAN_TRIET_TO_CHUC"][7].value == "Chưa đạt"
    assert rows["I07_CAO_CAP_LLCT"][7].value == "Vượt"
    assert rows["I03_QCDC"][7].value == "Không có dữ liệu"
    assert rows["I10_DON_VUOT_CAP"][7].value == "Không đặt chỉ tiêu"
    assert rows["I02_QUAN_TRIET_NGUOI"][7].value == "Đạt"
    behind = rows["I01_QUAN_TRIET_TO_CHUC"][8]
    assert behind.data_type == "s" and behind.value.startswith("'=HYPERLINK")
    assert "@Đảng bộ Điện lực (DB03)" in behind.value
    value = rows["I02_QUAN_TRIET_NGUOI"][3]
    assert value.value == 87.5 and value.data_type == "n" and "0.0" in value.number_format
    assert rows["I03_QCDC"][3].value is None
    assert rows["I07_CAO_CAP_LLCT"][6].value == "5–10 người"
    assert rows["I02_QUAN_TRIET_NGUOI"][6].value == "100%"
    # status colours differ between met and not met
    assert rows["I01_QUAN_TRIET_TO_CHUC"][7].fill.fgColor.rgb != rows["I02_QUAN_TRIET_NGUOI"][7].fill.fgColor.rgb
    assert ws.freeze_panes == "C5"
    assert not any(c.data_type == "f" for c in xlsx_cells(scorecard_xlsx(rep, title="=1+1")))


def test_display_texts_are_vietnamese():
    assert fmt_value(87.456, "%") == "87,5%"
    assert fmt_value(1234, "người") == "1.234 người"
    assert fmt_value(None, "%") == "—"
    assert fmt_target({"op": ">=", "value": 85}, "%") == "≥ 85%"
    assert fmt_target(None, "%") == "—"
    assert {label for label, _ in STATUS.values()} == {"Đạt", "Vượt", "Chưa đạt", "Đang thực hiện", "Không có dữ liệu",
                                                     "Không đặt chỉ tiêu"}


# ---------------------------------------------------------------- meeting pack from a report
def slide_texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame and shape.text_frame.text:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts.extend(c.text for row in shape.table.rows for c in row.cells)
    return "\n".join(parts)


def chart_workbooks(prs):
    """Each native chart's embedded workbook, read back with openpyxl."""
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_chart:
                blob = shape.chart.part.chart_workbook.xlsx_part.blob
                yield shape.chart, load_workbook(io.BytesIO(blob))


def test_pack_from_report_has_title_summary_groups_and_completeness():
    rep = report_json({"I01": "not_met", "I16": "not_met", "I09": "no_data"}, behind=["DB03", "DB04"])
    completeness = [
        {"period": "Q1", "label": "Quý I", "expected": 4, "received": 3, "on_time": 2, "missing": ["DB04"]},
        {"period": "Q2", "label": "Quý II", "expected": 4, "received": 4, "on_time": 4, "missing": []},
    ]
    data = pack_from_report(rep, names={"DB03": "Đảng bộ Công ty Điện lực", "DB04": "+Chi bộ Cảng"},
                            completeness=completeness, made_on=dt.date(2025, 3, 5))
    prs = Presentation(io.BytesIO(data))
    slides = list(prs.slides)
    texts = [slide_texts(s) for s in slides]
    assert len(slides) == 2 + len(GROUPS) + 2  # + activities, completeness (no last year given: no comparison)
    assert "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU" in texts[0]
    assert "Đảng bộ Khối Doanh nghiệp tỉnh" in texts[0] and "Năm 2024" in texts[0]
    assert "05/03/2025" in texts[0]
    assert "Tổng hợp kết quả các chỉ tiêu" in texts[1]
    assert "Chưa đạt" in texts[1] and "Đảng bộ Công ty Điện lực (DB03)" in texts[1]
    for label, text in zip(GROUPS, texts[2:]):
        assert text.startswith(label)
    assert "Tình hình nộp báo cáo" in texts[-1] and "+Chi bộ Cảng (DB04)" in texts[-1]
    charted = [s for s in slides if any(sh.has_chart for sh in s.shapes)]
    assert len(charted) == len(GROUPS) + 1
    # native charts: a chart part with data, not a picture
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert sum(n.startswith("ppt/charts/chart") for n in names) == len(GROUPS) + 1
    assert not any(n.startswith("ppt/media/") for n in names)
    meetings = slides[2 + GROUPS.index("Sinh hoạt chi bộ")]
    sh_chart = next(sh.chart for sh in meetings.shapes if sh.has_chart)
    assert [s.name for s in sh_chart.plots[0].series] == ["Kết quả", "Mục tiêu"]
    assert "Sinh hoạt định kỳ hằng tháng" in list(sh_chart.plots[0].categories)
    i16 = list(sh_chart.plots[0].categories).index("Sinh hoạt định kỳ hằng tháng")
    assert sh_chart.plots[0].series[0].values[i16] == 87.5
    assert sh_chart.plots[0].series[1].values[i16] == 100
    # large fonts for projection: every title is at least 28 pt
    title = next(sh for sh in meetings.shapes if sh.has_text_frame and sh.text_frame.text == "Sinh hoạt chi bộ")
    assert title.text_frame.paragraphs[0].runs[0].font.size.pt >= 28


def test_pack_chart_workbooks_never_contain_formulas():
    rep = report_json()
    for ind in rep["indicators"]:
        ind["name"] = "=cmd|' /C calc'!A0"
    rep["indicators"] = rep["indicators"]
    completeness = [{"period": "Q1", "label": "=Quý I", "expected": 1, "received": 0, "on_time": 0,
                     "missing": ["DB01"]}]
    prs = Presentation(io.BytesIO(pack_from_report(rep, completeness=completeness)))
    seen = 0
    for _, wb in chart_workbooks(prs):
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (c.coordinate, c.value)
                    seen += 1
    assert seen > 0


def test_pack_summary_says_so_when_nothing_is_missed_and_paginates_long_lists():
    prs = Presentation(io.BytesIO(pack_from_report(report_json())))
    assert "Không có chỉ tiêu nào chưa đạt" in slide_texts(list(prs.slides)[1])
    all_missed = {i[:3]: "not_met" for i in INDICATOR_IDS}
    prs = Presentation(io.BytesIO(pack_from_report(report_json(all_missed, behind=["DB01"]))))
    texts = [slide_texts(s) for s in prs.slides]
    summaries = [t for t in texts if t.startswith("Tổng hợp kết quả các chỉ tiêu")]
    assert len(summaries) >= 2  # 26 missed targets do not fit one projected slide
    tables = [sh.table for sl in prs.slides for sh in sl.shapes
              if sh.has_table and slide_texts(sl).startswith("Tổng hợp")]
    assert all(len(t.rows) - 1 <= 12 for t in tables)
    assert len(tables[0].rows) - 1 <= 7  # the first slide also carries the status tiles
    assert sum(t.count("DB01") for t in summaries) == len(INDICATOR_IDS)


# ---------------------------------------------------------------- through the real loader and engine
AS_OF = dt.date(2025, 6, 30)
EVIL_UNIT = '=HYPERLINK("http://evil.example","Bấm vào đây")'


def _as_literal_text(path):
    """openpyxl writes a str starting with '=' as a formula; a person typing it in Excel as text (or a
    ' prefix) gets a text cell, which is what the loader receives. Re-save those cells as text."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.data_type = "s"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory):
    """Two units whose names, cell names and petition texts are formula-injection strings, ingested for real
    (the operator accepts them as new units, names taken from the workbooks)."""
    from loaders.store import ingest_bytes
    from core.storage import open_database
    from tests.builders import info_values, write_workbook

    tmp = tmp_path_factory.mktemp("export-db")
    db = open_database(tmp / "export.duckdb")
    units = {"DB01": EVIL_UNIT, "DB02": "Đảng bộ Công ty Điện lực"}
    for k, (code, name) in enumerate(units.items()):
        for period, month in (("Q1", 4), ("Q2", 7)):
            path = write_workbook(
                tmp / f"{code}_{period}.xlsx",
                info=info_values(code, 2024, period, unit_name=name),
                elements={"QUAN_TRIET_NQ": "Có" if k else "Không", "QCDC": "Có", "DOI_THOAI": 2,
                          "NGUOI_QUAN_TRIET": 90, "AN_SINH": "1.250,5"},
                cells=[{"cell_code": f"{code}-CB1", "cell_name": INJECTIONS[1 + k], "cell_kind": "Chi bộ trực thuộc",
                        "members": 12, "mo_hinh_4_tot": "Có"},
                       {"cell_code": f"{code}-CB2", "cell_name": "-2+3", "cell_kind": "Chi bộ trực thuộc",
                        "members": 18, "mo_hinh_4_tot": "Không"}],
                petitions=[{"petition_no": f"=1+{k}", "received_date": dt.date(2024, month - 2, 10),
                            "kind": "Kiến nghị", "status": "Đang giải quyết", "summary": INJECTIONS[3 + k]}],
            )
            result = ingest_bytes(db, _as_literal_text(path).read_bytes(), path.name,
                                  received_at=dt.datetime(2024, month, 5, 9, 0), add_units=True)
            assert result.status == "accepted", [e.to_json() for e in result.errors]
    yield db
    db.close()


def test_real_scorecard_has_every_indicator_and_neutralised_unit_names(loaded_db):
    from metrics.engine import compute
    from metrics.pack import unit_names

    report = compute(loaded_db, year=2024, as_of=AS_OF)
    names = unit_names(loaded_db)
    assert names["DB01"] == EVIL_UNIT  # the loader kept the text as typed
    ws = load_workbook(io.BytesIO(scorecard_xlsx(report, title="Bảng chỉ tiêu 2024", names=names))).active
    rows = {r[0].value: r for r in ws.iter_rows(min_row=5) if r[0].value}
    assert list(rows) == INDICATOR_IDS
    i01 = rows["I01_QUAN_TRIET_TO_CHUC"]
    assert i01[7].value == "Chưa đạt" and i01[3].value == 50 and i01[3].data_type == "n"
    assert i01[8].data_type == "s" and i01[8].value == f"'{EVIL_UNIT} (DB01)"
    assert not any(c.data_type == "f" for c in xlsx_cells(scorecard_xlsx(report, title="x", names=names)))


def test_real_tables_from_the_database_keep_user_text_literal(loaded_db):
    petitions = loaded_db.query_df(
        "SELECT petition_no AS \"Số hiệu đơn\", summary AS \"Nội dung tóm tắt\", received_date AS \"Ngày nhận\" "
        "FROM petitions ORDER BY petition_no, received_date")
    cells = loaded_db.query_df(
        "SELECT DISTINCT cell_code AS \"Mã chi bộ\", cell_name AS \"Tên chi bộ\", members AS \"Số đảng viên\" "
        "FROM cells ORDER BY 1")
    ws = load_workbook(io.BytesIO(table_xlsx(petitions, title="Sổ đơn thư"))).active
    body = [[c for c in r] for r in ws.iter_rows(min_row=4)]
    # the loader trims text, so "\t=1" arrives as "=1": still a formula to Excel, still neutralised
    assert {r[1].value for r in body} == {"'@SUM(A1)", "'=1"}
    assert all(r[0].data_type == "s" and r[0].value.startswith("'=1+") for r in body)
    assert all(r[2].is_date for r in body)
    text = table_csv(cells).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Mã chi bộ", "Tên chi bộ", "Số đảng viên"]
    assert {r[1] for r in rows[1:]} == {"'+1", "'-2+3"}
    assert {r[2] for r in rows[1:]} == {"12", "18"}


def test_real_meeting_pack_opens_with_native_charts(loaded_db):
    from metrics.pack import meeting_pack_pptx

    data = meeting_pack_pptx(loaded_db, year=2024, quarter=2, as_of=AS_OF)
    prs = Presentation(io.BytesIO(data))
    texts = [slide_texts(s) for s in prs.slides]
    assert "Năm 2024, lũy kế đến hết Quý II" in texts[0]
    assert any(t.startswith("Tổng hợp kết quả các chỉ tiêu") and "Chưa đạt" in t for t in texts)
    # the group slides, then activities and the year-on-year comparison, then completeness
    assert [t.split("\n", 1)[0] for t in texts[-3 - len(GROUPS):-3]] == list(GROUPS)
    completeness = texts[-1]
    assert completeness.startswith("Tình hình nộp báo cáo") and "Tất cả đơn vị đã nộp đủ báo cáo" in completeness
    charts = [sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart]
    assert len(charts) == len(GROUPS) + 1
    done = charts[-1].plots[0]
    assert list(done.categories) == ["Quý I", "Quý II"]
    assert [list(s.values) for s in done.series] == [[2, 2], [2, 2], [2, 2]]
    for _, wb in chart_workbooks(prs):
        assert not any(c.data_type == "f" for ws in wb.worksheets for r in ws.iter_rows() for c in r)



def test_pack_compares_with_the_same_period_last_year_and_renders_as_pdf(loaded_db, tmp_path):
    """The pack of 2024 Q2 has the activities slide (this period, the same period of 2023, the change) and
    the year-on-year slide; its PDF, rendered by LibreOffice, has one page per slide with the titles."""
    import shutil
    import subprocess

    from metrics.pack import meeting_pack_pdf, meeting_pack_pptx

    data = meeting_pack_pptx(loaded_db, year=2024, quarter=2, as_of=AS_OF)
    texts = [slide_texts(s) for s in Presentation(io.BytesIO(data)).slides]
    acts = next(t for t in texts if t.startswith("Kết quả hoạt động"))
    assert "Cùng kỳ năm trước" in acts and "Kinh phí hỗ trợ an sinh xã hội" in acts
    assert any(t.startswith("Chỉ tiêu so với cùng kỳ năm trước") for t in texts)
    pdf = meeting_pack_pdf(loaded_db, year=2024, quarter=2, as_of=AS_OF)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    # poppler-utils come with the test setup (scripts/install_office.sh)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())  # the title wraps on the slide
    assert "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU" in flat and "Tình hình nộp báo cáo" in flat
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert f"Pages: {len(texts)}" in " ".join(pages.split())
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True)
    first = next(tmp_path.glob("p-*.png"))
    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(first, artifacts / "tai-lieu-hop-trang-1.png")
    assert first.stat().st_size > 5_000  # a rendered page, not an empty one
