"""read → validate → store on real DuckDB files: accepted, duplicate, replacement, rejected, folders."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from loaders.store import ingest_bytes, ingest_paths, preview_bytes
from tests.builders import register_units, info_values, write_workbook


@pytest.fixture
def db(db):
    """The fresh database with the units these workbooks report for already in the unit list (a report of an
    unknown unit is rejected, template-v1.md v1.1)."""
    register_units(db, "DB01", "DB02", "DB03")
    return db

TABLES = ("units", "submissions", "archived_files", "elements", "cells", "meetings", "trainees", "petitions")


def dump(db) -> dict:
    """Every row of every table plus the archive folder listing (to prove nothing changed)."""
    out = {t: sorted(map(repr, db.query_rows(f"SELECT * FROM {t}"))) for t in TABLES}
    arch = Path(db.archive_dir)
    out["archive"] = sorted(str(p.relative_to(arch)) for p in arch.rglob("*")) if arch.exists() else []
    return out


def workbook(tmp_path, name="r.xlsx", **kw) -> bytes:
    kw.setdefault("elements", {"DOI_THOAI": 3, "QCDC": "Có", "AN_SINH": "12,5"})
    kw.setdefault("meetings", [{"cell_code": "DB01-CB1", "meeting_date": dt.date(2024, 2, 1), "kind": "Định kỳ",
                                "required": 10, "attended": 9}])
    kw.setdefault("trainees", [{"full_name": "Trần Thị Bình", "birth_date": dt.date(1985, 5, 6), "level": "Trung cấp",
                                "year_sent": 2024}])
    kw.setdefault("petitions", [{"petition_no": "5", "received_date": dt.date(2024, 2, 10), "kind": "Tố cáo",
                                 "status": "Đang giải quyết"}])
    return write_workbook(tmp_path / name, **kw).read_bytes()


def test_accepted_file_is_stored_whole(db, tmp_path):
    data = workbook(tmp_path)
    when = dt.datetime(2024, 4, 10, 9, 30)
    r = ingest_bytes(db, data, "DB01_2024_Q1.xlsx", received_at=when, uploader="vanphong")
    assert r.to_json() == {"file": "DB01_2024_Q1.xlsx", "status": "accepted", "unit": "DB01", "year": 2024,
                           "period": "Q1", "replaced_previous": False, "errors": [], "warnings": []}
    assert r.version == 1 and r.submission_id is not None
    sub = db.query_df("SELECT * FROM submissions").iloc[0]
    digest = hashlib.sha256(data).hexdigest()
    assert (sub["unit_code"], sub["year"], sub["period"], sub["version"], sub["status"]) == ("DB01", 2024, "Q1", 1,
                                                                                          "current")
    assert (sub["file_hash"], sub["uploader"], sub["received_at"].to_pydatetime()) == (digest, "vanphong", when)
    assert (sub["member_total"], sub["staff_total"], sub["unit_kind"]) == (30, 120, "DBCS")
    assert json.loads(sub["warnings_json"]) == []
    counts = {t: db.query_value(f"SELECT count(*) FROM {t} WHERE submission_id = ?", [r.submission_id])
              for t in ("elements", "cells", "meetings", "trainees", "petitions")}
    assert counts == {"elements": 3, "cells": 2, "meetings": 1, "trainees": 1, "petitions": 1}
    assert db.query_rows("SELECT code, value FROM elements ORDER BY excel_row") == [
        ("DOI_THOAI", 3.0), ("QCDC", 1.0), ("AN_SINH", 12.5)]
    assert db.query_rows("SELECT name_key, level FROM trainees") == [("tran thi binh", "TRUNG_CAP")]
    assert db.query_rows("SELECT deadline, in_competence FROM petitions") == [(dt.date(2024, 3, 11), True)]
    assert db.query_rows("SELECT code, name, kind, parent_code, source FROM units WHERE code = 'DB01'") == [
        ("DB01", "Đảng bộ DB01", "DBCS", "ROOT", "unit_list")]
    path = db.query_value("SELECT path FROM archived_files WHERE file_hash = ?", [digest])
    assert (Path(db.archive_dir) / path).read_bytes() == data
    assert path == f"{digest[:2]}/{digest}.xlsx"


def test_identical_file_is_a_duplicate_and_changes_nothing(db, tmp_path):
    data = workbook(tmp_path)
    assert ingest_bytes(db, data, "a.xlsx").status == "accepted"
    before = dump(db)
    r = ingest_bytes(db, data, "a-copy.xlsx")
    assert r.status == "duplicate" and r.to_json()["replaced_previous"] is False
    assert dump(db) == before


def test_resubmission_replaces_and_keeps_the_old_version(db, tmp_path):
    first = workbook(tmp_path, "a.xlsx")
    second = workbook(tmp_path, "b.xlsx", elements={"DOI_THOAI": 7})
    r1 = ingest_bytes(db, first, "a.xlsx", uploader="u1", received_at=dt.datetime(2024, 4, 1, 8))
    r2 = ingest_bytes(db, second, "b.xlsx", uploader="u2", received_at=dt.datetime(2024, 4, 2, 8))
    assert (r2.status, r2.version, r2.replaced_previous) == ("accepted", 2, True)
    rows = db.query_rows("SELECT id, version, status, replaced_by, uploader, received_at FROM submissions ORDER BY id")
    assert rows == [(r1.submission_id, 1, "replaced", r2.submission_id, "u1", dt.datetime(2024, 4, 1, 8)),
                    (r2.submission_id, 2, "current", None, "u2", dt.datetime(2024, 4, 2, 8))]
    # the old version's rows and bytes stay in the archive
    assert db.query_value("SELECT count(*) FROM elements WHERE submission_id = ?", [r1.submission_id]) == 3
    assert db.query_value("SELECT count(*) FROM archived_files") == 2
    # uploading the first file again is not a duplicate of the current one: it becomes version 3
    r3 = ingest_bytes(db, first, "a.xlsx")
    assert (r3.status, r3.version) == ("accepted", 3)
    assert db.query_value("SELECT count(*) FROM archived_files") == 2
    assert db.query_rows("SELECT version FROM submissions WHERE status = 'current'") == [(3,)]


def test_other_period_is_a_separate_report(db, tmp_path):
    ingest_bytes(db, workbook(tmp_path, "a.xlsx"), "a.xlsx")
    r = ingest_bytes(db, workbook(tmp_path, "b.xlsx", info=info_values(period="Q2"), meetings=[]), "b.xlsx")
    assert (r.status, r.version, r.replaced_previous, r.period) == ("accepted", 1, False, "Q2")
    assert r.warnings == []  # the unit is known now


@pytest.mark.parametrize("kind", ["bad value", "not a workbook", "missing sheet"])
def test_rejected_file_changes_nothing(db, tmp_path, kind):
    ingest_bytes(db, workbook(tmp_path, "ok.xlsx"), "ok.xlsx")
    before = dump(db)
    version = db.data_version
    if kind == "bad value":
        data = workbook(tmp_path, "bad.xlsx", info=info_values(unit="DB02"), elements={"DOI_THOAI": 1.5})
    elif kind == "not a workbook":
        data = b"Ma don vi;Ten don vi\nDB02;x\n"
    else:
        data = write_workbook(tmp_path / "m.xlsx", info=info_values(unit="DB02"), omit_sheets=("elements",)).read_bytes()
    audit_before = db.query_value("SELECT count(*) FROM audit_log")
    every_table = [t for (t,) in db.query_rows("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                                                       "AND schema_name = current_schema() ORDER BY 1")]
    before_all = {t: sorted(map(repr, db.query_rows(f"SELECT * FROM {t}"))) for t in every_table if t != "audit_log"}
    r = ingest_bytes(db, data, "bad.xlsx")
    assert r.status == "rejected" and r.errors
    assert "replaced_previous" not in r.to_json()
    assert dump(db) == before
    assert {t: sorted(map(repr, db.query_rows(f"SELECT * FROM {t}"))) for t in before_all} == before_all
    assert db.data_version == version
    rows = db.query_rows("SELECT action, object FROM audit_log ORDER BY id")
    assert len(rows) == audit_before + 1 and rows[-1] == ("upload_rejected", "bad.xlsx")


def test_rejected_json_names_the_cell(db, tmp_path):
    data = workbook(tmp_path, petitions=[{"petition_no": "1", "received_date": "31/02/2024", "kind": "Tố cáo",
                                          "status": "Đang giải quyết"}])
    r = ingest_bytes(db, data, "DB02_2024_Q1.xlsx")
    assert r.to_json() == {"file": "DB02_2024_Q1.xlsx", "status": "rejected", "unit": "DB01", "year": 2024,
                           "period": "Q1", "errors": [{"sheet": "Đơn thư", "row": 3, "column": "Ngày nhận",
                                                       "value": "31/02/2024", "message": "Ngày không hợp lệ"}],
                           "warnings": []}


def test_preview_never_writes(db, tmp_path):
    data = workbook(tmp_path)
    before = dump(db)
    assert preview_bytes(db, data, "a.xlsx").status == "valid"
    assert preview_bytes(db, b"junk", "a.xlsx").status == "rejected"
    assert dump(db) == before
    ingest_bytes(db, data, "a.xlsx")
    assert preview_bytes(db, data, "a.xlsx").status == "duplicate"
    other = preview_bytes(db, workbook(tmp_path, "b.xlsx", elements={"HN_NLD": 1}), "b.xlsx")
    assert (other.status, other.replaced_previous) == ("valid", True)
    assert other.parsed.tables["elements"][0]["code"] == "HN_NLD"


def test_received_at_is_local_time(db, tmp_path):
    aware = dt.datetime(2024, 4, 10, 2, 0, tzinfo=dt.timezone.utc)
    ingest_bytes(db, workbook(tmp_path), "a.xlsx", received_at=aware)
    assert db.query_value("SELECT received_at FROM submissions") == dt.datetime(2024, 4, 10, 9, 0)


def test_default_received_at_is_now_local(db, tmp_path):
    from zoneinfo import ZoneInfo

    ingest_bytes(db, workbook(tmp_path), "a.xlsx")
    got = db.query_value("SELECT received_at FROM submissions")
    now = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(tzinfo=None)
    assert abs((now - got).total_seconds()) < 120


def test_folder_ingest_recursive_and_one_bad_file_does_not_stop_others(db, tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    write_workbook(src / "a_DB01.xlsx")
    write_workbook(src / "sub" / "b_DB02.xlsx", info=info_values(unit="DB02"))
    (src / "c_broken.xlsx").write_bytes(b"PK\x03\x04broken")
    write_workbook(src / "sub" / "d_DB03.xlsx", info=info_values(unit="DB03"))
    (src / "notes.txt").write_text("không phải báo cáo")
    (src / "~$a_DB01.xlsx").write_bytes(b"lock")
    seen = []
    results = ingest_paths(db, [src], uploader="batch", progress=lambda n, total, p: seen.append((n, total, p.name)))
    assert [(r.file, r.status) for r in results] == [
        ("a_DB01.xlsx", "accepted"), ("c_broken.xlsx", "rejected"), ("b_DB02.xlsx", "accepted"),
        ("d_DB03.xlsx", "accepted")]
    assert seen[-1] == (4, 4, "d_DB03.xlsx")
    assert db.query_rows("SELECT unit_code FROM submissions ORDER BY unit_code") == [("DB01",), ("DB02",), ("DB03",)]


def test_missing_path_is_reported_not_raised(db, tmp_path):
    results = ingest_paths(db, [tmp_path / "nope.xlsx"])
    assert results[0].status == "rejected"
    assert results[0].errors[0].message == "Không tìm thấy tệp hoặc thư mục"


def _soffice(src: Path, fmt: str, outdir: Path) -> Path:
    import shutil
    import subprocess

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.skip("LibreOffice is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([exe, "--headless", f"-env:UserInstallation=file://{outdir}/profile", "--convert-to", fmt,
                    "--outdir", str(outdir), str(src)], check=True, capture_output=True, timeout=180)
    return outdir / f"{src.stem}.{fmt.split(':')[0]}"


@pytest.mark.slow
def test_libreoffice_saved_xlsx_ods_and_xls_are_read_alike(db, tmp_path):
    """A workbook saved by LibreOffice (cached formula values), and its .ods / .xls forms, load the same."""
    src = write_workbook(tmp_path / "DB01.xlsx", elements=[{"code": "DOI_THOAI", "raw_value": "=2+3"},
                                                            {"code": "AN_SINH", "raw_value": "1.250,5"}],
                         meetings=[{"cell_code": "DB01-CB1", "meeting_date": "15/02/2024", "kind": "Định kỳ",
                                    "required": 10, "attended": 9}])
    assert ingest_bytes(db, src.read_bytes(), "DB01.xlsx").status == "rejected"  # formula without cached value
    seen = []
    for fmt in ("xlsx", "ods", "xls"):
        out = _soffice(src, fmt, tmp_path / fmt)
        r = preview_bytes(db, out.read_bytes(), out.name)
        assert r.status == "valid", (fmt, r.errors)
        seen.append((r.parsed.tables["elements"], r.parsed.tables["meetings"], r.parsed.info))
    assert seen[0][0][0]["value"] == 5.0 and seen[0][0][1]["value"] == 1250.5
    assert seen[0][1][0]["meeting_date"] == dt.date(2024, 2, 15)
    assert seen[0] == seen[1] == seen[2]
    ods = tmp_path / "ods" / "DB01.ods"
    r = ingest_bytes(db, ods.read_bytes(), ods.name)
    assert r.status == "accepted"
    digest = hashlib.sha256(ods.read_bytes()).hexdigest()
    assert (Path(db.archive_dir) / digest[:2] / f"{digest}.xlsx").read_bytes() == ods.read_bytes()


def test_unwritable_archive_rolls_back_and_is_reported(db, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the archive folder should be")
    monkeypatch.setenv("DASHBOARD_ARCHIVE", str(blocker))
    write_workbook(tmp_path / "a.xlsx")
    before = dump(db)
    [r] = ingest_paths(db, [tmp_path / "a.xlsx"])
    assert r.status == "rejected"
    assert r.errors[0].message.startswith(f"Không ghi được bản gốc vào thư mục lưu trữ {blocker}")
    assert dump(db) == before


def test_unknown_unit_is_rejected_and_an_administrator_can_accept_it(db, tmp_path):
    """A typo in Mã đơn vị (DB2 for DB02) creates nothing; only manage_units may accept a new unit."""
    from core.auth import Principal
    from core.errors import DashboardError

    data = workbook(tmp_path, info=info_values(unit="DB2"), meetings=[])
    units_before = db.query_value("SELECT count(*) FROM units")
    r = ingest_bytes(db, data, "DB2_2024_Q1.xlsx")
    assert r.status == "rejected" and "“DB02”" in r.errors[0].message and r.errors[0].value == "DB2"
    assert r.proposed_unit == {"code": "DB2", "name": "Đảng bộ DB2", "kind": "DBCS", "parent_code": "ROOT"}
    assert db.query_value("SELECT count(*) FROM units") == units_before
    assert db.query_value("SELECT count(*) FROM submissions") == 0
    office = Principal("vanphong", "van_phong", "ROOT")
    with pytest.raises(DashboardError, match="quản lý danh sách đơn vị"):
        ingest_bytes(db, data, "DB2_2024_Q1.xlsx", principal=office, add_units=True)
    admin = Principal("admin", "admin", "ROOT")
    r = ingest_bytes(db, data, "DB2_2024_Q1.xlsx", principal=admin, add_units=True)
    assert r.status == "accepted", r.errors
    assert db.query_rows("SELECT name, source, active_from FROM units WHERE code = 'DB2'") == [
        ("Đảng bộ DB2", "workbook", 2024)]
