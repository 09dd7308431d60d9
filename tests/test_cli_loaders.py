"""`python -m loaders` through a real subprocess: exit codes 0/1/2, JSON shape, messages, a locked database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.builders import default_cells, register_units, info_values, write_workbook

PROJECT = Path(__file__).resolve().parent.parent


def run(*args, env_extra: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "loaders", *map(str, args)], cwd=PROJECT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def query(db_path: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def listed(db_path: Path, *codes: str) -> Path:
    """A database file whose unit list has these units (loaded in-process, then closed for the command)."""
    from core.storage import open_database

    db = open_database(db_path)
    register_units(db, *codes)
    db.close()
    return db_path


@pytest.fixture
def files(tmp_path):
    good = write_workbook(tmp_path / "DB01_2024_Q1.xlsx", elements={"DOI_THOAI": 5, "ABC": 1})
    bad = write_workbook(tmp_path / "DB02_2024_Q1.xlsx", info=info_values(unit="DB02"),
                         petitions=[{"petition_no": "1", "received_date": "31/02/2024", "kind": "Tố cáo",
                                     "status": "Đang giải quyết"}])
    return good, bad


def test_ingest_json_accepted_and_rejected_exit_1(tmp_path, files):
    good, bad = files
    db = listed(tmp_path / "cli.duckdb", "DB01", "DB02")
    p = run("ingest", good, bad, "--db", db, "--json", "--received-at", "2024-04-10T09:30:00", "--uploader", "vp")
    assert p.returncode == 1, p.stderr
    out = json.loads(p.stdout)
    assert [f["status"] for f in out["files"]] == ["accepted", "rejected"]
    accepted, rejected = out["files"]
    assert list(accepted) == ["file", "status", "unit", "year", "period", "replaced_previous", "errors", "warnings"]
    assert (accepted["file"], accepted["unit"], accepted["year"], accepted["period"]) == (
        "DB01_2024_Q1.xlsx", "DB01", 2024, "Q1")
    assert {"sheet": "Chỉ tiêu", "row": 4, "column": "Mã chỉ tiêu", "value": "ABC",
            "message": "Mã chỉ tiêu không có trong danh mục, dòng bị bỏ qua"} in accepted["warnings"]
    assert list(rejected) == ["file", "status", "unit", "year", "period", "errors", "warnings"]
    assert rejected["errors"] == [{"sheet": "Đơn thư", "row": 3, "column": "Ngày nhận", "value": "31/02/2024",
                                   "message": "Ngày không hợp lệ"}]
    assert query(db, "SELECT unit_code, uploader, received_at::VARCHAR FROM submissions") == [
        ("DB01", "vp", "2024-04-10 09:30:00")]


def test_duplicate_exits_0_and_text_summary_is_vietnamese(tmp_path, files):
    good, _ = files
    db = listed(tmp_path / "cli.duckdb", "DB01")
    first = run("ingest", good, "--db", db)
    assert first.returncode == 0, first.stderr
    assert "DB01_2024_Q1.xlsx: ĐÃ NHẬN — đơn vị DB01, năm 2024, kỳ Q1, phiên bản 1" in first.stdout
    assert "Cảnh báo: sheet 'Chỉ tiêu', dòng 4, cột 'Mã chỉ tiêu', giá trị 'ABC'" in first.stdout
    again = run("ingest", good, "--db", db, "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["files"][0]["status"] == "duplicate"
    assert query(db, "SELECT count(*) FROM submissions") == [(1,)]


def test_rejected_text_output_names_sheet_row_column_value(tmp_path, files):
    _, bad = files
    p = run("ingest", bad, "--db", tmp_path / "cli.duckdb")
    assert p.returncode == 1
    assert "DB02_2024_Q1.xlsx: BỊ TỪ CHỐI" in p.stdout
    assert "Lỗi: sheet 'Đơn thư', dòng 3, cột 'Ngày nhận', giá trị '31/02/2024': Ngày không hợp lệ" in p.stdout


def test_folder_with_progress_on_stderr(tmp_path):
    """--progress: one line on stderr rewritten per file; --json stdout stays pure JSON."""
    folder = tmp_path / "in" / "q1"
    folder.mkdir(parents=True)
    for code in ("DB01", "DB02", "DB03"):
        write_workbook(folder / f"{code}.xlsx", info=info_values(unit=code))
    p = run("ingest", tmp_path / "in", "--db", listed(tmp_path / "cli.duckdb", "DB01", "DB02", "DB03"), "--json",
            "--progress")
    assert p.returncode == 0, p.stderr
    assert [f["unit"] for f in json.loads(p.stdout)["files"]] == ["DB01", "DB02", "DB03"]
    steps = [s.strip() for s in p.stderr.splitlines() if s.strip()]  # text mode reads each \r as a newline
    assert steps == ["Đang nhận 1/3 tệp… DB01.xlsx", "Đang nhận 2/3 tệp… DB02.xlsx",
                     "Đang nhận 3/3 tệp… DB03.xlsx", "Đã xử lý 3/3 tệp."]
    assert "Đang nhận" not in p.stdout


def test_no_progress_line_when_stderr_is_not_a_terminal(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for code in ("DB01", "DB02"):
        write_workbook(folder / f"{code}.xlsx", info=info_values(unit=code))
    p = run("ingest", folder, "--db", listed(tmp_path / "cli.duckdb", "DB01", "DB02"))
    assert p.returncode == 0, p.stderr
    assert "Đang nhận" not in p.stderr and "Đang nhận" not in p.stdout
    assert "Tổng cộng 2 tệp: 2 đã nhận, 0 trùng, 0 bị từ chối." in p.stdout


def test_database_from_environment(tmp_path, files):
    good, _ = files
    db = listed(tmp_path / "env.duckdb", "DB01")
    p = run("ingest", good, env_extra={"DASHBOARD_DB": str(db)})
    assert p.returncode == 0, p.stderr
    assert query(db, "SELECT count(*) FROM submissions") == [(1,)]


def test_unknown_unit_exits_1_with_a_suggestion_and_add_units_accepts_it(tmp_path):
    """A DB2 typo in a 2026 file must not create a unit (it once lowered 2025's I25 and named an innocent
    unit as behind): exit 1 naming the closest code; the operator's --add-units accepts it as new."""
    db = listed(tmp_path / "cli.duckdb", "DB02")
    typo = write_workbook(tmp_path / "DB2_2026_Q1.xlsx", info=info_values(unit="DB2", year=2026),
                          cells=default_cells("DB2"))
    p = run("ingest", typo, "--db", db, "--json")
    assert p.returncode == 1, p.stderr
    (f,) = json.loads(p.stdout)["files"]
    assert f["status"] == "rejected" and f["errors"][0]["value"] == "DB2" and "“DB02”" in f["errors"][0]["message"]
    assert query(db, "SELECT count(*) FROM units WHERE code = 'DB2'") == [(0,)]
    ok = run("ingest", typo, "--db", db, "--json", "--add-units")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert query(db, "SELECT name, active_from FROM units WHERE code = 'DB2'") == [("Đảng bộ DB2", 2026)]


@pytest.mark.parametrize("args, fragment", [
    ((), "thiếu lệnh"),
    (("frobnicate",), "lựa chọn không hợp lệ"),
    (("ingest",), "thiếu tham số bắt buộc"),
    (("ingest", "x.xlsx", "--received-at", "hôm qua"), "--received-at không hợp lệ"),
    (("ingest", "x.xlsx", "--bogus"), "tham số không nhận ra"),
])
def test_usage_errors_exit_2(tmp_path, args, fragment):
    p = run(*args)
    assert p.returncode == 2
    assert "Lỗi cách dùng" in p.stderr and fragment in p.stderr
    assert "Traceback" not in p.stderr


def test_locked_database_exits_2_with_vietnamese_message(tmp_path, files):
    good, _ = files
    db = tmp_path / "locked.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r})
        print("ready", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        p = run("ingest", good, "--db", db)
        assert p.returncode == 2
        assert "đang được một tiến trình khác sử dụng" in p.stderr
        assert "Traceback" not in p.stderr
        u = run("units", good, "--db", db)
        assert u.returncode == 2 and "Traceback" not in u.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def _unit_list(path: Path, rows) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Đơn vị"
    ws.append(["Mã đơn vị", "Tên đơn vị", "Loại hình", "Mã đơn vị cấp trên"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_units_command(tmp_path):
    db = tmp_path / "u.duckdb"
    ok = _unit_list(tmp_path / "u.xlsx", [["DB01", "Đảng bộ A", "Đảng bộ cơ sở", None]])
    p = run("units", ok, "--db", db)
    assert p.returncode == 0, p.stderr
    assert "thêm 1, cập nhật 0" in p.stdout
    bad = _unit_list(tmp_path / "bad.xlsx", [["DB02", "Đảng bộ B", "Đảng bộ cơ sở", "KHONGCO"]])
    q = run("units", bad, "--db", db)
    assert q.returncode == 1
    assert "Danh sách đơn vị có lỗi" in q.stderr and "giá trị 'KHONGCO'" in q.stderr
    assert query(db, "SELECT code FROM units WHERE kind <> 'ROOT'") == [("DB01",)]


def test_template_command_writes_a_workbook_the_loader_recognises(tmp_path):
    pytest.importorskip("loaders.template")
    out = tmp_path / "mau.xlsx"
    p = run("template", out)
    assert p.returncode == 0, p.stderr
    names = load_workbook(out, read_only=True).sheetnames
    assert {"Thông tin", "Chỉ tiêu", "Chi bộ", "Sinh hoạt", "Đào tạo LLCT", "Đơn thư"} <= set(names)
