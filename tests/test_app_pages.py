"""Interaction tests with AppTest: filters change the figures and the URL, crafted links fall back safely,
the upload page previews every error and stores only on confirmation, a target override changes a status."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.storage import open_database
from metrics.engine import compute
from tests.builders import info_values, write_workbook
from tests.test_app_smoke import (APP, checkpointed_org, overview_counts, readable, cells_for, elements, open_page, signed_in_app, texts,
                                  workbook_bytes)
from ui import state as K

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def org_template(tmp_path_factory) -> Path:
    """The small organisation built once; tests that write get their own copy."""
    return checkpointed_org(tmp_path_factory, "org_pages")


@pytest.fixture
def org_db(org_template, tmp_path) -> Path:
    """A private copy of the organisation's database for one test."""
    db = open_database(org_template)
    db.cursor().execute("CHECKPOINT")
    path = tmp_path / "org.duckdb"
    shutil.copy(org_template, path)
    shutil.copytree(db.archive_dir, tmp_path / "org-archive")  # the archive lives beside its database
    return path


@pytest.fixture
def app(org_db, monkeypatch):
    """AppTest of app.py on the test's own database, year 2024 in the link."""
    return signed_in_app(org_db, monkeypatch)


def cards(at: AppTest) -> dict[str, str]:
    """Metric cards by label."""
    return {m.label: m.value for m in at.metric}


def frame_with(at: AppTest, *columns: str):
    """The first table showing all these columns (AppTest does not expose a dataframe's key)."""
    for d in at.dataframe:
        if set(columns) <= set(d.value.columns):
            return d.value
    raise AssertionError(f"no table with columns {columns}")


def scorecard_status(at: AppTest, code: str) -> str:
    """The 'Trạng thái' cell of one indicator (e.g. 'I17') in the overview's scorecard table."""
    df = frame_with(at, "Mã", "Chỉ tiêu", "Nhóm", "Trạng thái")
    return df.loc[df["Mã"] == code, "Trạng thái"].iloc[0]


# ------------------------------------------------------------------ filters
def test_unit_filter_changes_scorecard_and_url(app, org_db):
    """Picking a unit scopes the scorecard to it (engine figures for that unit) and writes it to the URL."""
    at = app.run()
    root_headline = at.subheader[0].value
    at.selectbox(key=K.UNIT).set_value("DB04").run()
    assert not at.exception
    expected = compute(open_database(org_db), year=2024, unit="DB04")
    statuses = [i.status for i in expected.indicators]
    assert overview_counts(at)["not_met"] == statuses.count("not_met")
    assert at.subheader[0].value != root_headline
    assert "Đảng bộ Công ty Bia (DB04)" in texts(at)
    assert at.query_params["unit"] == "DB04"


def test_unit_under_intermediate_committee_is_in_its_scope(app):
    """Choosing the intermediate committee shows its subtree (DB04's data), not 'no data'."""
    at = app.run()
    at.selectbox(key=K.UNIT).set_value("DBCT01").run()
    assert not at.exception
    # I01 is computed over DB04 (the only reporting unit below DBCT01): 1 of 1 units
    assert scorecard_status(at, "I01") == "✓ Đạt"


def test_year_and_quarter_filters_change_the_window(app):
    """Year and quarter pickers change the window in the headline and the URL."""
    at = app.run()
    assert "năm 2024" in at.subheader[0].value
    at.selectbox(key=K.YEAR).set_value(2023).run()
    assert "năm 2023" in at.subheader[0].value and at.query_params["year"] == "2023"
    at.radio(key=K.QUARTER).set_value(1).run()
    assert "lũy kế đến Quý I/2023" in at.subheader[0].value
    assert at.query_params["quarter"] == "1"
    assert not at.exception


def test_filters_persist_across_pages(app):
    """A unit chosen on one page stays chosen on the next page."""
    at = app.run()
    at.selectbox(key=K.UNIT).set_value("DB01").run()
    at.switch_page("pages/don_thu.py").run()
    assert at.selectbox(key=K.UNIT).value == "DB01"
    assert "Đảng bộ Công ty Điện lực (DB01)" in texts(at)
    assert at.query_params["page"] == "don-thu" and at.query_params["unit"] == "DB01"


def test_link_opens_the_same_view(app):
    """unit/year/quarter/page in the URL open that view."""
    app.query_params.update({"unit": "db02", "year": "2024", "quarter": "II", "page": "don-thu"})
    at = app.run()
    if not at.title or at.title[0].value != "Đơn thư":  # switch_page reruns once more
        at.run()
    assert at.title[0].value == "Đơn thư"
    assert at.selectbox(key=K.UNIT).value == "DB02"
    assert at.radio(key=K.QUARTER).value == 2
    assert "lũy kế đến Quý II/2024" in texts(at)


@pytest.mark.parametrize("params", [
    {"unit": "KHONG_CO", "year": "abc", "quarter": "9"},
    {"unit": "'; DROP TABLE units; --", "year": "1999", "quarter": "-1", "present": "<script>"},
    {"unit": "", "year": "99999999999999999999", "quarter": "Q5", "page": "../../etc/passwd"},
    {"unit": "ROOT", "year": "2024.5", "quarter": "", "page": "quan-tri%00"},
])
def test_crafted_query_params_fall_back_without_errors(app, org_db, params):
    """Invalid values are ignored: root, and the period most units have reported (here 2024 Quý I: all four
    units sent it, while only one sent Quý II and two the annual report); no exception, no error box."""
    from core.clock import today
    from metrics.history import coverage
    from ui.views.unit_tree import default_period

    assert default_period(coverage(open_database(org_db)), today().year) == (2024, 1)
    app.query_params.update(params)
    at = app.run()
    assert not at.exception and not at.error
    assert at.selectbox(key=K.UNIT).value == "ROOT"
    assert at.selectbox(key=K.YEAR).value == 2024
    assert at.radio(key=K.QUARTER).value == 1
    assert at.title[0].value == "Tổng quan"
    assert at.query_params["unit"] == "ROOT" and at.query_params["quarter"] == "1"


def test_presentation_mode_from_link_and_exit(app):
    """?present=1 turns on presentation mode (projector CSS, exit button); the button turns it off."""
    app.query_params["present"] = "1"
    at = app.run()
    assert at.toggle(key=K.PRESENT).value is True
    assert any("stSidebar" in m.value for m in at.markdown)  # the CSS that hides the sidebar
    at.button(key=K.OV_EXIT_PRESENT).click().run()
    assert at.toggle(key=K.PRESENT).value is False
    assert not any("stSidebar" in m.value for m in at.markdown)
    assert "present" not in at.query_params


# ------------------------------------------------------------------ overview details
def test_overview_behind_expander_lists_units(app):
    """Each indicator not met has an expander naming the units behind it (I25: units missing reports)."""
    at = app.run()
    labels = [e.label for e in at.expander]
    i25 = next(lab for lab in labels if "I25" in lab)
    assert "4 đơn vị chưa đạt" in i25
    tables = [d.value for d in at.dataframe if "Đơn vị / chi bộ" in d.value.columns]
    names = {n for t in tables for n in t["Đơn vị / chi bộ"]}
    assert "Đảng bộ Công ty Bia" in names


def test_overview_drilldown_shows_the_submission(app):
    """The drill-down of I26 names the file, version, uploader and time of receipt of each report;
    DB02's Quý I report was received 25 days after the quarter ended: late."""
    at = app.run()
    at.selectbox(key=K.OV_DETAIL).set_value("I26_NOP_DUNG_HAN").run()
    df = frame_with(at, "Tệp báo cáo", "Phiên bản")
    assert {"Tệp báo cáo", "Phiên bản", "Người nộp", "Thời điểm nhận"} <= set(df.columns)
    row = df[df["Tệp báo cáo"] == "DB02_2024_Q1.xlsx"].iloc[0]
    assert row["Đạt"] == "✗ Chưa đạt" and row["Người nộp"] == "Trần Thị Văn Phòng"
    assert row["Thời điểm nhận"] == "25/04/2024 09:30" and row["Kỳ"] == "Quý I"


# ------------------------------------------------------------------ upload
def _good(tmp_path: Path) -> bytes:
    return workbook_bytes(tmp_path, "DB02", 2024, "Q2")


def _bad(tmp_path: Path) -> bytes:
    """Two defects: attendance above required, and an impossible date."""
    path = tmp_path / "bad.xlsx"
    cells = cells_for("CB03", "Chi bộ cơ sở", annual=False)
    write_workbook(path, info=info_values("CB03", 2024, "Q2", unit_name="Chi bộ Công ty Xổ số kiến thiết",
                                          unit_kind="Chi bộ cơ sở", member_total=15),
                   elements=elements(), cells=cells,
                   meetings=[{"cell_code": "CB03", "meeting_date": dt.date(2024, 4, 10), "kind": "Định kỳ",
                              "required": 10, "attended": 12, "ideological": "Có"}],
                   petitions=[{"petition_no": "X1", "received_date": "31/02/2024", "kind": "Khiếu nại",
                               "status": "Đang giải quyết"}])
    return path.read_bytes()


def _submissions(db_path: Path) -> int:
    return int(open_database(db_path).query_value("SELECT count(*) FROM submissions"))


def test_upload_previews_every_error_and_stores_only_on_confirm(app, org_db, tmp_path):
    """Good + bad file: nothing is stored at preview; the bad file's errors are all listed (sheet, row,
    column, value); confirming stores only the good one; the completeness matrix shows it."""
    before = _submissions(org_db)
    at = open_page(app, "pages/nop_bao_cao.py")
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value(
        [("DB02_2024_Q2.xlsx", _good(tmp_path), XLSX), ("CB03_2024_Q2.xlsx", _bad(tmp_path), XLSX)]).run()
    assert not at.exception
    assert _submissions(org_db) == before  # preview stores nothing
    shown = texts(at)
    assert "**DB02_2024_Q2.xlsx** — DB02, Quý II/2024: ✓ Hợp lệ, sẵn sàng lưu" in shown
    assert "**CB03_2024_Q2.xlsx**" in shown and "✗ Bị từ chối" in shown
    # every file has its own table (the good one warns that DB02's pending petition of Q1 is left out)
    import pandas as pd

    issues = pd.concat([d.value for d in at.dataframe
                        if {"Mức độ", "Trang tính", "Dòng", "Cột", "Giá trị", "Nội dung"} <= set(d.value.columns)])
    errors = issues[issues["Mức độ"] == "✗ Lỗi"]
    assert set(errors["Trang tính"]) >= {"Sinh hoạt", "Đơn thư"}
    assert "DB02-2024-01" in set(issues.loc[issues["Mức độ"] == "! Cảnh báo", "Giá trị"])
    attend = errors[errors["Trang tính"] == "Sinh hoạt"].iloc[0]
    assert attend["Cột"] == "Số ĐV dự" and attend["Giá trị"] == "12" and attend["Dòng"].isdigit()
    bad_date = errors[errors["Trang tính"] == "Đơn thư"].iloc[0]
    assert bad_date["Giá trị"] == "31/02/2024" and "Ngày không hợp lệ" in bad_date["Nội dung"]

    confirm = at.button(key=K.UP_CONFIRM)
    assert confirm.label == "Xác nhận lưu 1 báo cáo hợp lệ"
    confirm.click().run()
    assert not at.exception
    assert _submissions(org_db) == before + 1
    db = open_database(org_db)
    assert db.query_value("SELECT count(*) FROM submissions WHERE unit_code = 'CB03' AND period = 'Q2'") == 0
    assert db.query_value("SELECT count(*) FROM submissions WHERE unit_code = 'DB02' AND period = 'Q2'") == 1
    assert any(readable(s.value).startswith("**DB02_2024_Q2.xlsx** — DB02, Quý II/2024: ✓ Đã lưu") for s in at.success)
    assert any("**CB03_2024_Q2.xlsx**" in readable(e.value) and "Bị từ chối" in e.value for e in at.error)
    matrix = frame_with(at, "Mã đơn vị", "Quý II", "Năm")
    assert matrix.loc[matrix["Mã đơn vị"] == "DB02", "Quý II"].iloc[0] != "✗ Chưa nộp"


def test_unknown_unit_needs_an_administrator_to_accept_it(app, org_db, tmp_path):
    """A workbook of an unknown unit (DB2, a typo of DB02) is rejected with the closest unit named; the
    administrator sees a box to accept it as a new unit, and only then can store it; the office does not."""
    from tests.builders import default_cells, sign_in

    def unknown(code: str) -> bytes:
        path = tmp_path / f"{code}.xlsx"
        write_workbook(path, info=info_values(code, 2024, "Q2"), cells=default_cells(code))
        return path.read_bytes()

    typo = unknown("DB2")
    at = open_page(app, "pages/nop_bao_cao.py")
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value(("DB2_2024_Q2.xlsx", typo, XLSX)).run()
    assert not at.exception
    issues = frame_with(at, "Trang tính", "Dòng", "Cột", "Giá trị", "Nội dung")
    assert list(issues["Giá trị"]) == ["DB2"] and "“DB02”" in issues["Nội dung"].iloc[0]
    assert at.button(key=K.UP_CONFIRM).disabled
    box = next(c for c in at.checkbox if c.key.startswith(K.UP_NEW_UNIT))
    box.check().run()
    assert "✓ Hợp lệ, sẵn sàng lưu" in texts(at) and not at.button(key=K.UP_CONFIRM).disabled
    at.button(key=K.UP_CONFIRM).click().run()
    assert not at.exception
    db = open_database(org_db)
    assert db.query_rows("SELECT name, source FROM units WHERE code = 'DB2'") == [("Đảng bộ DB2", "workbook")]
    assert db.query_value("SELECT count(*) FROM submissions WHERE unit_code = 'DB2'") == 1
    # the office (upload, but no manage_units) is not offered the box
    office = sign_in(AppTest.from_file(str(APP), default_timeout=60), org_db, "vanphong")
    office.query_params["year"] = "2024"
    at = open_page(office, "pages/nop_bao_cao.py")
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value(("DB3_2024_Q2.xlsx", unknown("DB3"), XLSX)).run()
    assert "✗ Bị từ chối" in texts(at)
    assert not [c for c in at.checkbox if c.key.startswith(K.UP_NEW_UNIT)]


def test_upload_identical_file_is_a_duplicate(app, org_db):
    """Re-uploading the exact bytes of a stored report is reported as a duplicate; nothing to confirm."""
    db = open_database(org_db)
    digest = db.query_value("SELECT file_hash FROM submissions WHERE file_name = 'CB03_2024_Q1.xlsx'")
    original = (db.archive_dir / digest[:2] / f"{digest}.xlsx").read_bytes()
    before = _submissions(org_db)
    at = open_page(app, "pages/nop_bao_cao.py")
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value(("CB03_2024_Q1.xlsx", original, XLSX)).run()
    assert not at.exception
    assert "**CB03_2024_Q1.xlsx** — CB03, Quý I/2024: = Trùng với báo cáo đã lưu, không thay đổi gì" in texts(at)
    assert at.button(key=K.UP_CONFIRM).disabled
    assert _submissions(org_db) == before


def test_store_valid_skips_rejected_previews(org_db, tmp_path, monkeypatch):
    """The page's upload handler stores valid previews only, each through the real loader."""
    from ui.upload import preview_files, store_valid

    db = open_database(org_db)
    previews = preview_files(db, [("a.xlsx", _good(tmp_path)), ("b.xlsx", _bad(tmp_path)), ("c.txt", b"not excel")])
    assert [p.status for p in previews] == ["valid", "rejected", "rejected"]
    assert previews[2].errors and previews[2].errors[0].message
    results = store_valid(db, previews, "Phạm Văn Nộp")
    assert [(r.file, r.status) for r in results] == [("a.xlsx", "accepted")]
    assert db.query_value("SELECT uploader FROM submissions WHERE file_name = 'a.xlsx'") == "Phạm Văn Nộp"


# ------------------------------------------------------------------ administration
def test_target_override_changes_status(app, org_db):
    """Lowering I17's target from '> 90%' to '≥ 90%' for 2024 turns it from not met to met (value 90%),
    and the change is listed with who made it."""
    at = app.run()
    assert scorecard_status(at, "I17") == "✗ Chưa đạt"
    at.switch_page("pages/quan_tri.py").run()
    at.selectbox(key=K.AD_T_INDICATOR).set_value("I17_DU_SINH_HOAT").run()
    # the form starts from the target in force: > 90%
    assert at.selectbox(key=K.AD_T_OP).value == ">" and at.number_input(key=K.AD_T_VALUE).value == 90.0
    at.number_input(key=K.AD_T_YEAR).set_value(2024).run()
    at.selectbox(key=K.AD_T_OP).set_value(">=")
    at.number_input(key=K.AD_T_VALUE).set_value(90.0)
    at.text_input(key=K.AD_T_BY).set_value("Nguyễn Quản Trị")
    at.button(key=K.AD_T_SAVE).click().run()
    assert not at.exception and not at.error
    assert any("Đã lưu mục tiêu I17 từ năm 2024: ≥ 90%" in readable(s.value) for s in at.success)
    history = frame_with(at, "Người thay đổi", "Mục tiêu mới")
    assert history.iloc[0]["Người thay đổi"] == "Nguyễn Quản Trị" and history.iloc[0]["Mục tiêu mới"] == "≥ 90%"
    at.switch_page("pages/tong_quan.py").run()
    assert scorecard_status(at, "I17") == "✓ Đạt"


def test_target_override_without_name_is_refused(app, org_db):
    """Saving without 'Người thay đổi' shows the Vietnamese error and stores nothing."""
    at = open_page(app, "pages/quan_tri.py")
    at.button(key=K.AD_T_SAVE).click().run()
    assert not at.exception
    assert any("người thay đổi" in e.value for e in at.error)
    assert open_database(org_db).query_value("SELECT count(*) FROM target_overrides") == 0


def test_unit_list_upload_on_admin_page(app, org_db):
    """Loading a unit list adds the new unit (shown in the list and the sidebar picker); a list with an
    unknown parent is rejected with the row named, and stores nothing."""
    from tests.test_app_smoke import UNITS, unit_list_bytes

    at = open_page(app, "pages/quan_tri.py")
    rows = UNITS + [("CB09", "Chi bộ Công ty Cao su", "Chi bộ cơ sở", None)]
    at.file_uploader(key=K.AD_UNITS_FILE).set_value(("don_vi.xlsx", unit_list_bytes(rows), XLSX)).run()
    at.button(key=K.AD_UNITS_LOAD).click().run()
    assert not at.exception and not at.error
    assert any("1 đơn vị thêm mới" in s.value for s in at.success)
    assert "CB09" in list(frame_with(at, "Mã đơn vị", "Loại hình")["Mã đơn vị"])
    assert "└ Chi bộ Công ty Cao su · CB09" in at.selectbox(key=K.UNIT).options  # the sidebar knows it at once

    bad = rows + [("DB10", "Đảng bộ Công ty Mới", "Đảng bộ cơ sở", "KHONG_CO")]
    at.file_uploader(key=K.AD_UNITS_FILE).set_value(("don_vi_loi.xlsx", unit_list_bytes(bad), XLSX)).run()
    at.button(key=K.AD_UNITS_LOAD).click().run()
    assert not at.exception
    assert any("không có thay đổi nào được lưu" in e.value for e in at.error)
    issues = frame_with(at, "Trang tính", "Dòng", "Cột", "Giá trị", "Nội dung")
    assert "KHONG_CO" in list(issues["Giá trị"])
    assert open_database(org_db).query_value("SELECT count(*) FROM units WHERE code = 'DB10'") == 0


# ------------------------------------------------------------------ metrics.history (pure reads)
def test_completeness_statuses(org_db):
    """Each (unit, period) of 2024: on time, late (DB02 Q1, 25 days after), missing after the deadline,
    waiting between period end and deadline, not due before the period ends."""
    from metrics.history import completeness

    db = open_database(org_db)
    long = completeness(db, year=2024, as_of=dt.date(2024, 7, 10))
    get = {(r.unit_code, r.period): r.status for r in long.itertuples()}
    assert set(long["unit_code"]) == {"DB01", "DB02", "CB03", "DB04"}  # DBCT01 does not report
    assert get[("DB01", "Q1")] == "on_time" and get[("DB02", "Q1")] == "late"
    assert get[("CB03", "Q2")] == "waiting"  # Q2 ended 30/06, deadline 15/07 not passed on 10/07
    assert get[("DB01", "Q2")] == "on_time"
    assert get[("DB04", "Q3")] == "not_due"
    later = completeness(db, year=2024, as_of=dt.date(2024, 7, 16))
    assert dict(((r.unit_code, r.period), r.status) for r in later.itertuples())[("CB03", "Q2")] == "missing"
    scoped = completeness(db, year=2024, unit="DBCT01", as_of=dt.date(2024, 7, 16))
    assert set(scoped["unit_code"]) == {"DB04"}


def test_submission_history_keeps_every_version(org_db):
    """The replaced first version of DB01 2024 Q1 stays in the history next to the current one."""
    from metrics.history import submission_history

    hist = submission_history(open_database(org_db), unit="DB01", year=2024)
    q1 = hist[hist["period"] == "Q1"].sort_values("version")
    assert list(q1["version"]) == [1, 2] and list(q1["status"]) == ["replaced", "current"]
    assert list(q1["uploader"]) == ["Trần Thị Văn Phòng", "Lê Văn Sửa"]
    assert set(hist["unit_code"]) == {"DB01"}


def test_petition_register_overdue_and_age(org_db):
    """Petitions received 01/02/2024, still pending: overdue once the 30-day deadline passed, age in days."""
    from metrics.history import petition_register

    reg = petition_register(open_database(org_db), year=2024, as_of=dt.date(2024, 3, 10))
    assert len(reg) == 4 and reg["overdue"].all()
    assert set(reg["age_days"]) == {38}  # 01/02 → 10/03/2024
    early = petition_register(open_database(org_db), year=2024, as_of=dt.date(2024, 2, 15))
    assert not early["overdue"].any()


def test_activities_by_unit_annual_report_wins(org_db):
    """Full year: DB01's Năm report (5 documents) is its year, not Q1 v2 (9) + Q2 (5); a quarter alone: Q1."""
    from metrics.history import activities_by_unit

    db = open_database(org_db)
    year = activities_by_unit(db, year=2024)
    docs = {r.unit_code: r.value for r in year[year["element"] == "VAN_BAN_CHI_DAO"].itertuples()}
    assert docs == {"DB01": 5, "DB02": 5, "CB03": 5, "DB04": 5}
    q1 = activities_by_unit(db, year=2024, quarter=1)
    assert {r.unit_code: r.value for r in q1[q1["element"] == "VAN_BAN_CHI_DAO"].itertuples()}["DB01"] == 9


# ------------------------------------------------------------------ pure helpers behind the pages
def test_vietnamese_number_and_target_formats():
    """1.234,5 style numbers, percentages, targets and statuses as the pages print them."""
    from core.text import fmt_number, fmt_percent, fmt_status, fmt_target, fmt_value

    assert fmt_number(1234567.26, 1) == "1.234.567,3" and fmt_number(12000) == "12.000"
    assert fmt_number(1234.5, 1) == "1.234,5" and fmt_number(None) == "—"
    assert fmt_percent(79.996) == "80,0%"  # rounding is for display only
    assert fmt_value(6, "người") == "6 người" and fmt_value(87.5, "%") == "87,5%"
    assert fmt_target({"op": "range", "min": 5, "max": 10}, "người") == "5–10 người"
    assert fmt_target({"op": ">=", "value": 85}, "%") == "≥ 85%" and fmt_target(None) == "—"
    assert fmt_status("not_met") == "✗ Chưa đạt" and fmt_status("exceeded") == "▲ Vượt"


def test_unit_options_tree_order_cycles_and_orphans():
    """Tree labels indent by depth; a parent cycle or an unknown parent never hangs or drops a unit."""
    import pandas as pd

    from ui.views.unit_tree import scope_codes, unit_options

    units = pd.DataFrame([
        ("ROOT", "Đảng bộ Khối", "ROOT", None, None), ("A", "Đảng bộ A", "DBCT", "ROOT", None),
        ("A1", "Đảng bộ A1", "DBCS", "A", None), ("B", "Chi bộ B", "CBCS", "ROOT", 2025.0),
        ("X", "Đơn vị X", "DBCS", "Y", None), ("Y", "Đơn vị Y", "DBCS", "X", None),
        ("O", "Đơn vị mồ côi", "DBCS", "KHONG_CO", None),
    ], columns=["code", "name", "kind", "parent_code", "inactive_from"])
    options = unit_options(units)
    assert [c for c, _ in options][:4] == ["ROOT", "A", "A1", "B"]
    labels = dict(options)
    assert labels["ROOT"] == "Đảng bộ Khối" and labels["A"] == "└ Đảng bộ A · A"
    assert labels["A1"] == "\u2003└ Đảng bộ A1 · A1" and labels["B"].endswith("(ngừng từ 2025)")
    assert {c for c, _ in options} == set(units["code"])  # cycle X↔Y and orphan O still listed
    assert scope_codes(units, "A") == {"A", "A1"} and scope_codes(units, "X") == {"X", "Y"}


def test_drilldown_table_hides_personal_data_and_translates_codes():
    """Names and birth dates of trainees never reach the table; stored codes are shown in Vietnamese."""
    import pandas as pd

    from ui.views.detail import drilldown_table

    detail = pd.DataFrame({"unit_code": ["DB01"], "unit_name": ["Đảng bộ A"], "full_name": ["Nguyễn Văn A"],
                           "birth_date": [pd.Timestamp("1980-01-02")], "level": ["CAO_CAP"], "meets": [None],
                           "received_at": [pd.Timestamp("2024-04-05 09:30")], "over_level": [True]})
    shown = drilldown_table(detail, None, True)
    assert "Họ và tên" not in shown.columns and "Ngày sinh" not in shown.columns and "birth_date" not in shown.columns
    assert shown["Trình độ"].iloc[0] == "Cao cấp" and shown["Thời điểm nhận"].iloc[0] == "05/04/2024 09:30"
    assert shown["Vượt cấp"].iloc[0] == "Có" and shown["Đạt"].iloc[0] == "—"


def test_two_units_sharing_a_name_stay_two(app, org_db):
    """Units are keyed by code: when DB04 is renamed to DB02's name, Nộp báo cáo (which once crashed on a
    pivot by name) and the comparison heatmap (which merged them) show both, told apart by their codes."""
    import html
    import json

    from loaders.units import load_unit_list_bytes
    from tests.test_app_smoke import UNITS, unit_list_bytes

    same = [(c, "Đảng bộ Công ty Cấp thoát nước" if c == "DB04" else n, k, p) for c, n, k, p in UNITS]
    load_unit_list_bytes(open_database(org_db), unit_list_bytes(same), "don_vi.xlsx")
    for page in ("pages/nop_bao_cao.py", "pages/so_sanh.py"):
        at = open_page(app, page)
        assert not at.exception, page
        labels = set()
        for chart in at.get("plotly_chart"):
            for trace in json.loads(chart.proto.spec).get("data", []):
                for axis in ("x", "y"):
                    labels.update(html.unescape(str(v)).replace("\u2060", "").replace("<br>", " ")
                                  for v in trace.get(axis) or [])
        assert {"Đảng bộ Công ty Cấp thoát nước (DB02)", "Đảng bộ Công ty Cấp thoát nước (DB04)"} <= labels, page


def test_admin_withdraws_a_report_and_undoes_it_on_the_admin_page(app, org_db):
    """Quản trị → Rút báo cáo: the confirmation box unlocks the button; the report leaves the figures,
    the change is listed with its reason, and Hoàn tác brings it back."""
    db = open_database(org_db)
    sid, unit = db.query_rows("SELECT id, unit_code FROM submissions WHERE status = 'current' AND year = 2024 "
                              "AND period = 'Q1' ORDER BY id LIMIT 1")[0]
    at = open_page(app, "pages/quan_tri.py")
    assert not at.exception
    assert at.button(key=K.AD_W_GO).disabled
    at.selectbox(key=K.AD_W_REPORT).set_value(sid)
    at.text_input(key=K.AD_W_REASON).set_value("Đơn vị nộp nhầm tệp")
    at.checkbox(key=K.AD_W_SURE).check().run()
    at.button(key=K.AD_W_GO).click().run()
    assert not at.exception
    assert any("Đã rút báo cáo" in s.value for s in at.success)
    assert db.query_value("SELECT status FROM submissions WHERE id = ?", [sid]) == "withdrawn"
    changes = frame_with(at, "Loại", "Đối tượng", "Lý do")
    assert list(changes["Lý do"]) == ["Đơn vị nộp nhầm tệp"] and unit in changes["Đối tượng"].iloc[0]
    at.button(key=K.AD_C_UNDO).click().run()
    assert not at.exception
    assert db.query_value("SELECT status FROM submissions WHERE id = ?", [sid]) == "current"


def test_annual_targets_before_the_years_end_read_in_progress(app, org_db, tmp_path):
    """Year to date (Quý I): I20 short of 100 % is 'Đang thực hiện', and who is behind it is listed as
    'chưa thực hiện', never 'chưa đạt' (indicators v1.1). DB02 resubmits its Q1 without a dialogue."""
    from loaders.store import ingest_bytes

    data = workbook_bytes(tmp_path, "DB02", 2024, "Q1", elements=elements(dialogues=0))
    assert ingest_bytes(open_database(org_db), data, "DB02_2024_Q1.xlsx").status == "accepted"
    at = app
    at.query_params["quarter"] = "1"
    at = open_page(at, "pages/tong_quan.py")
    assert not at.exception
    rep = compute(open_database(org_db), year=2024, quarter=1)
    going = [i for i in rep.indicators if i.status == "in_progress" and i.behind]
    assert going, "the organisation should have an annual target still in progress in Q1"
    for ind in going:
        label = next(e.label for e in at.expander if e.key and e.key.endswith(ind.id))
        assert "chưa thực hiện" in label and "chưa đạt" not in label, label
    assert "Đang thực hiện" in texts(at)


def test_years_in_tables_read_as_years(app):
    """Tables write numbers in Vietnamese format (1.234), but a year is a name: 'Năm' shows 2024, not 2.024."""
    at = open_page(app, "pages/nop_bao_cao.py")
    assert not at.exception
    history = frame_with(at, "Mã đơn vị", "Năm", "Kỳ", "Phiên bản")
    assert set(history["Năm"]) == {"2024"}, set(history["Năm"])
