"""A unit user (don_vi, scope DB01) cannot see or upload another unit's data by ANY path — one proof per path:
the page, the URL, crafted session state, the command line with their credentials, direct function calls;
leadership (lanh_dao) cannot upload or change targets and sees counts without personal data.

The organisation is tests.test_app_smoke's (DB01, DB02, CB03, DBCT01 > DB04) plus the demo accounts, and a
DB01 report with a petition summary naming a person.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from core import auth

from metrics import history
from core.errors import DashboardError
from loaders.store import ingest_bytes, ingest_paths, preview_bytes
from core.storage import open_database
from loaders.units import load_unit_list_bytes
from metrics import engine, export, pack, targets
from ui.views import detail, petitions
from ui.views import submissions as submission_views
from tests.builders import sign_in
from tests.test_app_smoke import overview_counts, APP, build_org, texts, unit_list_bytes, workbook_bytes
from ui import state as K

PROJECT = Path(__file__).resolve().parent.parent
SECRET_SUMMARY = "Ông Phạm Văn Khiếu phản ánh việc trả lương chậm"
REFUSED = "Bạn không có quyền xem đơn vị"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _not_production(monkeypatch):
    monkeypatch.delenv(auth.PRODUCTION_ENV, raising=False)
    monkeypatch.delenv("DASHBOARD_PASSWORD", raising=False)


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Path:
    """The small organisation with demo accounts and one petition whose summary names a person."""
    base = tmp_path_factory.mktemp("access")
    path = base / "org.duckdb"
    build_org(path, base)
    db = open_database(path)
    petitions = [{"petition_no": "DB01-2024-07", "received_date": dt.date(2024, 7, 5), "kind": "Tố cáo",
                  "over_level": "Không", "status": "Đang giải quyết", "summary": SECRET_SUMMARY}]
    r = ingest_bytes(db, workbook_bytes(base, "DB01", 2024, "Q3", petitions=petitions), "DB01_2024_Q3.xlsx",
                     received_at=dt.datetime(2024, 10, 3, 9, 0))
    assert r.status == "accepted", [i.message for i in r.errors]
    auth.ensure_demo_accounts(db)
    db.cursor().execute("CHECKPOINT")
    return path


@pytest.fixture(scope="module")
def db(org):
    """The organisation's database, opened in this process."""
    return open_database(org)


@pytest.fixture(scope="module")
def donvi(db):
    return auth.principal_for_user(db, "donvi_db01")


@pytest.fixture(scope="module")
def lanhdao(db):
    return auth.principal_for_user(db, "lanhdao")


@pytest.fixture
def own_db(org, tmp_path) -> Path:
    """A private copy (database and archive) for a test that writes or runs a separate process."""
    open_database(org).cursor().execute("CHECKPOINT")
    path = tmp_path / "org.duckdb"
    shutil.copy(org, path)
    shutil.copytree(org.parent / "org-archive", tmp_path / "org-archive")
    return path


def submissions(db) -> int:
    return int(db.query_value("SELECT count(*) FROM submissions"))


# ------------------------------------------------------------------ direct function calls with the principal
CALLS = {
    "compute": lambda db, p: engine.compute(db, year=2024, unit="DB02", principal=p),
    "compute_by_unit": lambda db, p: engine.compute_by_unit(db, year=2024, unit="DB02", principal=p),
    "drilldown": lambda db, p: engine.drilldown(db, "I26_NOP_DUNG_HAN", year=2024, unit="DB02", principal=p),
    "trend": lambda db, p: engine.trend(db, ["I26_NOP_DUNG_HAN"], years=[2024], unit="DB02", principal=p),
    "activities_by_period": lambda db, p: engine.activities_by_period(db, year=2024, unit="DB02", principal=p),
    "submission_history": lambda db, p: history.submission_history(db, unit="DB02", principal=p),
    "completeness": lambda db, p: history.completeness(db, year=2024, unit="DB02", principal=p),
    "petition_register": lambda db, p: history.petition_register(db, year=2024, unit="DB02", principal=p),
    "activities_by_unit": lambda db, p: history.activities_by_unit(db, year=2024, unit="DB02", principal=p),
    "meeting_pack": lambda db, p: pack.meeting_pack_pptx(db, year=2024, unit="DB02", principal=p),
    "parent_committee": lambda db, p: engine.compute(db, year=2024, unit="ROOT", principal=p),
    "sibling_lowercase": lambda db, p: engine.compute(db, year=2024, unit=" db02 ", principal=p),
}


@pytest.mark.parametrize("name", CALLS)
def test_direct_calls_for_another_unit_are_refused(db, donvi, name):
    """Every public read function refuses DB02 (or the whole organisation) for the DB01 user."""
    with pytest.raises(DashboardError, match=REFUSED):
        CALLS[name](db, donvi)
    assert CALLS[name](db, None) is not None  # the trusted local operator (no principal) may


def test_scope_defaults_to_the_users_own_unit(db, donvi):
    """No unit given: the DB01 user's figures are DB01's, never the organisation's."""
    mine = engine.compute(db, year=2024, principal=donvi)
    assert mine.scope["unit"] == "DB01" and not mine.scope["is_root"]
    assert mine.to_json()["indicators"] == engine.compute(db, year=2024, unit="DB01").to_json()["indicators"]
    by_unit = engine.compute_by_unit(db, year=2024, principal=donvi)
    assert set(by_unit["unit_code"]) == {"DB01"}
    assert set(history.submission_history(db, principal=donvi)["unit_code"]) == {"DB01"}
    assert set(history.completeness(db, year=2024, principal=donvi)["unit_code"]) == {"DB01"}
    assert set(history.petition_register(db, year=2024, principal=donvi)["unit_code"]) == {"DB01"}


def test_a_parent_committee_user_sees_its_subtree_only(db):
    """A don_vi user of the intermediate committee DBCT01 may see DB04 (below it) but not DB01."""
    name = "donvi_dbct01"
    if auth.get_user(db, name) is None:
        auth.add_user(db, name, role="don_vi", scope_unit="DBCT01", password="mat-khau-dai-1")
    p = auth.principal_for_user(db, name)
    assert engine.compute(db, year=2024, unit="DB04", principal=p).scope["unit"] == "DB04"
    assert set(engine.compute_by_unit(db, year=2024, principal=p)["unit_code"]) <= {"DBCT01", "DB04"}
    with pytest.raises(DashboardError, match=REFUSED):
        engine.compute(db, year=2024, unit="DB01", principal=p)


def test_filters_crafted_with_another_unit_are_refused_by_the_engine(db, donvi):
    """Even a Filters object carrying DB02 (forged page state) is refused where the data is read."""
    from ui.filters import Filters

    forged = Filters(unit="DB02", unit_name="x", is_root=False, year=2024, quarter=None, present=False,
                     as_of=dt.date(2025, 1, 1), unit_names={}, principal=donvi)
    with pytest.raises(DashboardError, match=REFUSED):
        engine.compute(db, **forged.engine_kwargs())
    with pytest.raises(DashboardError, match=REFUSED):
        history.petition_register(db, year=2024, unit=forged.scope_unit, principal=forged.principal)


# ------------------------------------------------------------------ uploads
def test_upload_for_another_unit_is_rejected_and_stores_nothing(own_db, tmp_path, donvi):
    """A DB02 workbook uploaded by the DB01 user: rejected with sheet, row, column and value; nothing stored."""
    db = open_database(own_db)
    before = submissions(db)
    data = workbook_bytes(tmp_path, "DB02", 2024, "Q2")
    preview = preview_bytes(db, data, "DB02_2024_Q2.xlsx", principal=donvi)
    result = ingest_bytes(db, data, "DB02_2024_Q2.xlsx", principal=donvi)
    for r in (preview, result):
        assert r.status == "rejected"
        issue = r.errors[0]
        assert (issue.sheet, issue.column, issue.value) == ("Thông tin", "Mã đơn vị", "DB02")
        assert isinstance(issue.row, int) and issue.row >= 1
        assert "không có quyền nộp báo cáo cho đơn vị “DB02”" in issue.message
    assert submissions(db) == before
    # the same user's own unit goes through, and the trusted operator may store DB02
    assert ingest_bytes(db, workbook_bytes(tmp_path, "DB01", 2024, "Q3"), "own.xlsx", principal=donvi).status == "accepted"
    assert ingest_bytes(db, data, "DB02_2024_Q2.xlsx").status == "accepted"


def test_upload_of_a_new_unit_is_judged_by_its_parent(own_db, tmp_path, donvi):
    """A unit not yet in the list: the DB01 user cannot create it at all (only an administrator accepts a new
    unit), and an administrator whose scope is DB01 cannot create it under DB02."""
    from core.auth import Principal
    from tests.builders import default_cells, info_values, write_workbook

    db = open_database(own_db)
    path = tmp_path / "new.xlsx"
    write_workbook(path, info=info_values("DB77", 2024, "Q1", parent_code="DB02"), cells=default_cells("DB77"))
    r = ingest_bytes(db, path.read_bytes(), "new.xlsx", principal=donvi)
    assert r.status == "rejected" and any("không có trong danh sách đơn vị" in i.message for i in r.errors)
    with pytest.raises(DashboardError, match="quản lý danh sách đơn vị"):
        ingest_bytes(db, path.read_bytes(), "new.xlsx", principal=donvi, add_units=True)
    scoped_admin = Principal("ad_db01", "admin", "DB01")
    r = ingest_bytes(db, path.read_bytes(), "new.xlsx", principal=scoped_admin, add_units=True)
    assert r.status == "rejected" and any("không có quyền nộp" in i.message for i in r.errors)
    assert db.query_value("SELECT count(*) FROM units WHERE code = 'DB77'") == 0


def test_leadership_cannot_upload_change_targets_or_units(own_db, tmp_path, lanhdao):
    """lanh_dao is read-only: upload, target override and unit list are refused by the functions."""
    db = open_database(own_db)
    before = submissions(db)
    data = workbook_bytes(tmp_path, "DB01", 2024, "Q3")
    for call in (lambda: ingest_bytes(db, data, "x.xlsx", principal=lanhdao),
                 lambda: preview_bytes(db, data, "x.xlsx", principal=lanhdao),
                 lambda: ingest_paths(db, [tmp_path / "DB01_2024_Q3.xlsx"], principal=lanhdao)):
        with pytest.raises(DashboardError, match="không có quyền nộp báo cáo"):
            call()
    assert submissions(db) == before
    with pytest.raises(DashboardError, match="không có quyền đặt chỉ tiêu"):
        targets.set_target(db, "I26_NOP_DUNG_HAN", 2024, {"op": ">=", "value": 50}, "Lãnh đạo",
                           principal=lanhdao)
    assert db.query_value("SELECT count(*) FROM target_overrides") == 0
    with pytest.raises(DashboardError, match="không có quyền quản lý danh sách đơn vị"):
        load_unit_list_bytes(db, unit_list_bytes(), "dv.xlsx", principal=lanhdao)
    with pytest.raises(DashboardError, match="không có quyền quản lý tài khoản"):
        auth.add_user(db, "moi", role="admin", scope_unit=None, password="mat-khau-dai-1", principal=lanhdao)


# ------------------------------------------------------------------ personal data
def _person_indicator() -> str:
    from metrics.indicators import INDICATORS

    return next(i.id for i in INDICATORS if i.kind == "person_count")


def test_leadership_sees_counts_without_names_in_drilldown_and_exports(db, lanhdao):
    """Names of trainees and petition numbers/summaries: blank for lanh_dao (same number of rows), shown
    for the administrator; the Excel export made from the leader's table holds no name either."""
    admin = auth.principal_for_user(db, "admin")
    iid = _person_indicator()
    full = engine.drilldown(db, iid, year=2024, principal=admin)
    hidden = engine.drilldown(db, iid, year=2024, principal=lanhdao)
    assert len(full) == len(hidden) > 0
    assert any(str(n).startswith("Nguyễn Văn") for n in full["full_name"])
    assert hidden["full_name"].isna().all() and hidden["birth_date"].isna().all()
    reg_full = history.petition_register(db, year=2024, principal=admin)
    reg_hidden = history.petition_register(db, year=2024, principal=lanhdao)
    assert len(reg_full) == len(reg_hidden) and SECRET_SUMMARY in set(reg_full["summary"])
    assert reg_hidden["summary"].isna().all() and reg_hidden["petition_no"].isna().all()
    assert petitions.petition_summary(reg_hidden) == petitions.petition_summary(reg_full)  # the counts are the same

    def xlsx_text(df) -> str:
        wb = load_workbook(io.BytesIO(export.table_xlsx(df, title="t")))
        return " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)

    assert "Nguyễn Văn" in xlsx_text(detail.drilldown_table(full))
    assert "Nguyễn Văn" not in xlsx_text(detail.drilldown_table(hidden))
    assert SECRET_SUMMARY in xlsx_text(petitions.petition_table(reg_full))
    assert SECRET_SUMMARY not in xlsx_text(petitions.petition_table(reg_hidden))
    assert "DB01-2024-07" not in xlsx_text(petitions.petition_table(reg_hidden))


UPLOADERS = {"Trần Thị Văn Phòng", "Lê Văn Sửa"}  # who uploaded the organisation's reports (build_org)


def test_leadership_sees_no_uploader_in_history_drilldown_or_exports(db, lanhdao):
    """Who uploaded a report is personal data: blank for lanh_dao in the submission history and in every
    drill-down (same rows), hence in the tables and files made from them; the administrator sees it."""
    admin = auth.principal_for_user(db, "admin")
    full = history.submission_history(db, principal=admin)
    hidden = history.submission_history(db, principal=lanhdao)
    assert len(full) == len(hidden) > 0 and UPLOADERS <= set(full["uploader"])
    assert hidden["uploader"].isna().all()
    assert list(hidden["file_name"]) == list(full["file_name"])  # the reports themselves stay listed
    drill_full = engine.drilldown(db, "I26_NOP_DUNG_HAN", year=2024, principal=admin)
    drill_hidden = engine.drilldown(db, "I26_NOP_DUNG_HAN", year=2024, principal=lanhdao)
    assert len(drill_full) == len(drill_hidden) > 0 and UPLOADERS & set(drill_full["uploader"])
    assert drill_hidden["uploader"].isna().all()
    shown = submission_views.history_table(hidden)
    files = [export.table_csv(shown).decode("utf-8-sig"), export.table_csv(detail.drilldown_table(drill_hidden)),
             export.table_xlsx(shown, title="Lịch sử nộp")]
    for name in UPLOADERS:
        assert name in export.table_csv(submission_views.history_table(full)).decode("utf-8-sig")
        assert not any(name.encode() in (f if isinstance(f, bytes) else f.encode()) for f in files)
    assert not any(name in str(v) for v in shown.to_numpy().ravel() for name in UPLOADERS)


def test_leadership_pages_show_no_uploader(org, monkeypatch):
    """Nộp báo cáo (history table) and Tổng quan (drill-down) signed in as lanh_dao: no uploader's name."""
    at = _app(org, monkeypatch, user="lanhdao").run()
    assert not at.exception
    seen = " ".join(d.value.to_csv() for d in at.dataframe) + texts(at)
    assert "Người nộp" in seen  # the drill-down is there, with its uploader column blank
    at.switch_page("pages/nop_bao_cao.py").run()
    if not at.title or at.title[0].value != "Nộp báo cáo":
        at.run()
    assert not at.exception
    seen += " ".join(d.value.to_csv() for d in at.dataframe) + texts(at)
    assert "Lịch sử nộp báo cáo" in seen and "DB01_2024_Q1_v2.xlsx" in seen
    assert not [name for name in UPLOADERS if name in seen]


def test_the_uploader_is_the_signed_in_account_whatever_is_typed(own_db, tmp_path, donvi):
    """A unit user passing someone else's name (or an administrator's) as uploader: the account is stored
    and journaled; the typed name is only the audit's "nộp thay cho" note. The trusted operator (no
    principal) still records the name it gives, as `python -m loaders ingest --uploader` does."""
    db = open_database(own_db)
    r = ingest_bytes(db, workbook_bytes(tmp_path, "DB01", 2024, "Q4"), "DB01_2024_Q4.xlsx", uploader="admin",
                     principal=donvi)
    assert r.status == "accepted"
    assert db.query_value("SELECT uploader FROM submissions WHERE id = ?", [r.submission_id]) == "donvi_db01"
    actor, detail = db.query_rows("SELECT actor, detail_json FROM audit_log WHERE action = 'upload_accepted' "
                                  "ORDER BY id DESC LIMIT 1")[0]
    assert actor == "donvi_db01" and json.loads(detail)["on_behalf_of"] == "admin"
    from core.audit import read_journal

    assert [e for e in read_journal(db.archive_dir) if e["kind"] == "upload"][-1]["uploader"] == "donvi_db01"
    trusted = ingest_bytes(db, workbook_bytes(tmp_path, "DB02", 2024, "Q4"), "DB02_2024_Q4.xlsx",
                           uploader="Trần Thị Văn Phòng")
    assert db.query_value("SELECT uploader FROM submissions WHERE id = ?",
                          [trusted.submission_id]) == "Trần Thị Văn Phòng"


def test_upload_page_records_the_account_and_the_on_behalf_note_apart(own_db, tmp_path, monkeypatch):
    """Nộp báo cáo as donvi_db01 with "Nộp thay cho" filled in: the submission's uploader is the account,
    the note is in the audit row beside it, and the history shows the account."""
    at = _app(own_db, monkeypatch).run()
    at.switch_page("pages/nop_bao_cao.py").run()
    if not at.title or at.title[0].value != "Nộp báo cáo":
        at.run()
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value(
        ("DB01_2024_Q4.xlsx", workbook_bytes(tmp_path, "DB01", 2024, "Q4"), XLSX)).run()
    at.text_input(key=K.UP_ON_BEHALF).set_value("Quản trị hệ thống").run()
    at.button(key=K.UP_CONFIRM).click().run()
    assert not at.exception and at.success
    db = open_database(own_db)
    assert db.query_rows("SELECT uploader FROM submissions WHERE file_name = 'DB01_2024_Q4.xlsx'") == [("donvi_db01",)]
    actor, detail = db.query_rows("SELECT actor, detail_json FROM audit_log WHERE action = 'upload_accepted' "
                                  "ORDER BY id DESC LIMIT 1")[0]
    assert actor == "donvi_db01" and json.loads(detail)["on_behalf_of"] == "Quản trị hệ thống"
    history_shown = [d.value for d in at.dataframe if "Người nộp" in d.value.columns]
    assert "donvi_db01" in set(history_shown[0]["Người nộp"])


def test_leadership_petition_page_shows_no_summary(org, monkeypatch):
    """The Đơn thư page signed in as lanh_dao: the register has no summary or petition number."""
    monkeypatch.setenv("DASHBOARD_DB", str(org))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=60), org, "lanhdao")
    at.query_params["year"] = "2024"
    at.run()
    at.switch_page("pages/don_thu.py").run()
    if not at.title or at.title[0].value != "Đơn thư":
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(d.value.to_csv() for d in at.dataframe) + texts(at)
    assert "Đơn thư" in shown and SECRET_SUMMARY not in shown and "DB01-2024-07" not in shown


# ------------------------------------------------------------------ the page, the URL, crafted state
def _app(org, monkeypatch, user="donvi_db01", **query) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB", str(org))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=60), org, user)
    at.query_params["year"] = "2024"
    for k, v in query.items():
        at.query_params[k] = v
    return at


def test_page_lists_only_the_users_units_and_shows_their_figures(org, db, monkeypatch):
    """Signed in as donvi_db01: the unit picker holds DB01 only, the counts equal compute(unit='DB01')."""
    at = _app(org, monkeypatch).run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key=K.UNIT)
    assert [o.rsplit("· ", 1)[-1] for o in picker.options] == ["DB01"] and picker.value == "DB01"
    statuses = [i.status for i in engine.compute(db, year=2024, unit="DB01").indicators]
    counts = overview_counts(at)
    assert counts["met"] == statuses.count("met") and counts["not_met"] == statuses.count("not_met")
    assert "Đảng bộ Công ty Cấp thoát nước" not in texts(at)  # DB02's name appears nowhere
    assert at.query_params["unit"] in ("DB01", ["DB01"])  # the shared link names the shown unit


def test_url_naming_another_unit_falls_back_with_a_warning(org, monkeypatch):
    """?unit=DB02 for the DB01 user: a Vietnamese warning, the page shows DB01 and nothing of DB02."""
    at = _app(org, monkeypatch, unit="DB02").run()
    assert not at.exception
    assert any("không có quyền xem đơn vị “DB02”" in w.value for w in at.warning)
    assert at.selectbox(key=K.UNIT).value == "DB01"
    assert "(DB01)" in at.caption[0].value and "Cấp thoát nước" not in texts(at)
    assert at.query_params["unit"] in ("DB01", ["DB01"])  # the shared link names the shown unit


def test_crafted_session_state_is_refused(org, monkeypatch):
    """The unit widget's state forged to DB02: refused (warning, back to DB01), no DB02 figure drawn."""
    at = _app(org, monkeypatch)
    at.session_state[K.UNIT] = "DB02"
    at.session_state[K.URL_LOADED] = True  # the forged value is not overwritten by the link
    at.run()
    assert not at.exception
    assert any("“DB02”" in w.value for w in at.warning)
    assert at.selectbox(key=K.UNIT).value == "DB01" and "Cấp thoát nước" not in texts(at)


def test_leadership_pages_hide_upload_and_administration(org, monkeypatch):
    """lanh_dao: no file uploader on Nộp báo cáo, no Quản trị page in the navigation."""
    at = _app(org, monkeypatch, user="lanhdao").run()
    at.switch_page("pages/nop_bao_cao.py").run()
    if not at.title or at.title[0].value != "Nộp báo cáo":
        at.run()
    assert at.title[0].value == "Nộp báo cáo" and not at.exception
    assert len(at.get("file_uploader")) == 0
    assert "Tình hình nộp báo cáo năm 2024" in texts(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in this user's navigation
        at.switch_page("pages/quan_tri.py")
    unit_user = _app(org, monkeypatch, user="donvi_db01").run()
    unit_user.switch_page("pages/nop_bao_cao.py").run()
    if not unit_user.title or unit_user.title[0].value != "Nộp báo cáo":
        unit_user.run()
    assert len(unit_user.get("file_uploader")) == 1  # a unit user may upload (for its own scope)


# ------------------------------------------------------------------ the command line with their credentials
def _run(args: list[str], password: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DB", auth.PRODUCTION_ENV)}
    if password is not None:
        env["DASHBOARD_PASSWORD"] = password
    return subprocess.run([sys.executable, *args], cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_cli_metrics_as_the_unit_user(own_db):
    """`python -m metrics --user donvi_db01 --unit DB02` → exit 2 with a Vietnamese message; own unit works."""
    out = _run(["-m", "metrics", "--db", str(own_db), "--year", "2024", "--unit", "DB02", "--user", "donvi_db01"],
               "donvi_db01")
    assert out.returncode == 2 and REFUSED in out.stderr and "Đạt" not in out.stdout
    ok = _run(["-m", "metrics", "--db", str(own_db), "--year", "2024", "--user", "donvi_db01", "--json"],
              "donvi_db01")
    assert ok.returncode == 0 and '"unit": "DB01"' in ok.stdout
    bad = _run(["-m", "metrics", "--db", str(own_db), "--year", "2024", "--user", "donvi_db01"], "sai-mat-khau")
    assert bad.returncode == 2 and "không đúng" in bad.stderr


def test_cli_ingest_as_the_unit_user(own_db, tmp_path, db):
    """`python -m loaders ingest --user donvi_db01 DB02.xlsx` → rejected, nothing stored."""
    wb = tmp_path / "DB02_2024_Q2.xlsx"
    wb.write_bytes(workbook_bytes(tmp_path, "DB02", 2024, "Q2"))
    before = submissions(db)  # own_db is a copy of it, not opened here: the command must own the file
    out = _run(["-m", "loaders", "ingest", str(wb), "--db", str(own_db), "--user", "donvi_db01", "--json"],
               "donvi_db01")
    assert out.returncode == 1, out.stderr
    assert "không có quyền nộp báo cáo cho đơn vị “DB02”" in out.stdout and '"status": "rejected"' in out.stdout
    lead = _run(["-m", "loaders", "ingest", str(wb), "--db", str(own_db), "--user", "lanhdao"], "lanhdao")
    assert lead.returncode == 2 and "không có quyền nộp báo cáo" in lead.stderr
    assert submissions(open_database(own_db)) == before


def test_a_call_without_a_principal_is_refused_outside_the_operators_context(own_db):
    """Authorisation fails closed: outside core.auth.operating() (a web request's thread, say) a call that
    forgets its principal is refused, in every public read and write; OPERATOR passed explicitly works."""
    import threading

    from core.auth import OPERATOR, MSG_NO_PRINCIPAL
    from metrics import history
    from metrics.targets import set_target

    db = open_database(own_db)
    calls = {
        "compute": lambda p: engine.compute(db, year=2024, principal=p),
        "compute_by_unit": lambda p: engine.compute_by_unit(db, year=2024, principal=p),
        "drilldown": lambda p: engine.drilldown(db, "I01_QUAN_TRIET_TO_CHUC", year=2024, principal=p),
        "petition_register": lambda p: history.petition_register(db, year=2024, principal=p),
        "submission_history": lambda p: history.submission_history(db, year=2024, principal=p),
        "set_target": lambda p: set_target(db, "I01_QUAN_TRIET_TO_CHUC", 2030, None, "x", principal=p),
        "ingest": lambda p: ingest_bytes(db, b"x", "x.xlsx", principal=p),
    }
    outcome: dict[str, str] = {}

    def web_thread():  # a fresh thread starts outside the test's operator context, like a page's
        for name, call in calls.items():
            try:
                call(None)
                outcome[name] = "ran"
            except DashboardError as exc:
                outcome[name] = exc.message

    t = threading.Thread(target=web_thread)
    t.start()
    t.join()
    assert outcome == {name: MSG_NO_PRINCIPAL for name in calls}
    assert engine.compute(db, year=2024, principal=OPERATOR).scope["is_root"]
