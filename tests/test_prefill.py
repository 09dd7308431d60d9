"""A unit's pre-filled workbook (issue 13), on both backends: it carries the unit's code, name and type,
the cells of its latest report and every petition still pending (number and dates); loading it back
unchanged is a valid report, through the functions and through `python -m loaders prefill` / `ingest`."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.auth import Principal
from core.errors import DashboardError
from loaders.store import ingest_bytes, preview_bytes
from metrics.office_loop import prefill_bytes, prefill_data
from tests.builders import default_cells, info_values, register_units, write_workbook

PROJECT = Path(__file__).resolve().parent.parent
UNIT_USER = Principal("donvi_db01", "don_vi", "DB01")
LEADER = Principal("lanhdao", "lanh_dao", "ROOT")
PENDING = {"petition_no": "07/2025", "received_date": dt.date(2025, 2, 3), "kind": "Khiếu nại", "over_level": "Có",
           "deadline": dt.date(2025, 3, 20), "status": "Đang giải quyết", "summary": "Kiến nghị về chế độ làm thêm"}
DONE = {"petition_no": "08/2025", "received_date": dt.date(2025, 2, 4), "kind": "Kiến nghị", "over_level": "Không",
        "status": "Đã giải quyết", "resolved_date": dt.date(2025, 3, 1)}
OLD = {"petition_no": "15/2024", "received_date": dt.date(2024, 11, 2), "kind": "Tố cáo", "over_level": "Không",
       "status": "Đang giải quyết"}


def store(db, tmp_path, unit, year, period, *, cells=None, petitions=(), members=30, when=None):
    path = write_workbook(tmp_path / f"{unit}_{year}_{period}.xlsx",
                          info=info_values(unit, year, period, member_total=members, staff_total=140,
                                           unit_kind="Chi bộ cơ sở" if unit.startswith("CB") else "Đảng bộ cơ sở"),
                          cells=cells if cells is not None else default_cells(unit), petitions=list(petitions),
                          elements={"VAN_BAN_CHI_DAO": 4})
    r = ingest_bytes(db, path.read_bytes(), path.name, received_at=when or dt.datetime(year, 4, 5, 9, 0))
    assert r.status == "accepted", r.errors
    return r


@pytest.fixture
def org(db, tmp_path):
    register_units(db, "DB01")
    register_units(db, "CB03", kind="Chi bộ cơ sở")
    store(db, tmp_path, "DB01", 2024, "Y", petitions=[OLD], members=28, when=dt.datetime(2025, 1, 10))
    # the Q1 report resolves nothing of 2024's petition but leaves it out: it is still pending (latest row)
    store(db, tmp_path, "DB01", 2025, "Q1", petitions=[PENDING, DONE, {**OLD}], members=31)
    return db


def test_the_prefill_carries_the_unit_its_cells_and_pending_petitions(org):
    data = prefill_data(org, unit="DB01", year=2025, period="Q2", principal=UNIT_USER)
    assert data["info"] == {"unit_code": "DB01", "unit_name": "Đảng bộ DB01", "unit_kind": "DBCS",
                            "parent_code": None, "year": 2025, "period": "Q2", "member_total": 31,
                            "staff_total": 140}
    assert data["source"] == (2025, "Q1")
    assert [c["cell_code"] for c in data["tables"]["cells"]] == ["DB01-CB1", "DB01-CB2"]
    pets = {p["petition_no"]: p for p in data["tables"]["petitions"]}
    assert set(pets) == {"07/2025", "15/2024"}  # the resolved one is not carried
    assert pets["07/2025"]["received_date"] == dt.date(2025, 2, 3) and pets["07/2025"]["deadline"] == dt.date(2025, 3, 20)
    wb = load_workbook(__import__("io").BytesIO(prefill_bytes(org, unit="DB01", year=2025, period="Q2",
                                                              principal=UNIT_USER)))
    info = {r[0].value: r[1].value for r in wb["Thông tin"].iter_rows(min_row=1) if r[0].value}
    assert info["Mã đơn vị"] == "DB01" and info["Kỳ báo cáo"] == "Quý II" and info["Loại hình"] == "Đảng bộ cơ sở"
    petition_rows = [r for r in wb["Đơn thư"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert [r[0] for r in petition_rows] == ["15/2024", "07/2025"]
    assert petition_rows[1][1].date() == dt.date(2025, 2, 3)


def test_loading_the_prefill_back_unchanged_is_valid(org, tmp_path):
    for unit, period in (("DB01", "Q2"), ("DB01", "Q1"), ("CB03", "Q1")):
        if unit == "CB03":
            store(org, tmp_path, "CB03", 2024, "Q4", cells=[{"cell_code": "CB03", "cell_name": "Chi bộ CB03",
                                                             "cell_kind": "Chi bộ cơ sở", "members": 11}],
                  when=dt.datetime(2025, 1, 5))
        data = prefill_bytes(org, unit=unit, year=2025, period=period, principal=None if unit == "CB03" else UNIT_USER)
        r = preview_bytes(org, data, f"{unit}_{period}.xlsx")
        assert r.status == "valid", [(i.sheet, i.row, i.column, i.message) for i in r.errors]
        assert not [w for w in r.warnings if w.sheet == "Đơn thư"], r.warnings  # nothing pending dropped


def test_the_prefill_is_refused_outside_the_scope_or_without_upload(org):
    with pytest.raises(DashboardError, match="không có quyền"):
        prefill_data(org, unit="CB03", year=2025, period="Q2", principal=UNIT_USER)
    with pytest.raises(DashboardError, match="nộp báo cáo"):
        prefill_data(org, unit="DB01", year=2025, period="Q2", principal=LEADER)
    with pytest.raises(DashboardError, match="Kỳ báo cáo không hợp lệ"):
        prefill_data(org, unit="DB01", year=2025, period="Q5")
    with pytest.raises(DashboardError, match="không phải đơn vị nộp báo cáo"):
        prefill_data(org, unit="ROOT", year=2025, period="Q2")


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_DB"}
    return subprocess.run([sys.executable, "-m", "loaders", *args], cwd=PROJECT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def test_cli_prefill_then_ingest_unchanged_round_trip(org, tmp_path):
    target = org.dsn or str(org.path)
    org.close()  # the commands open the database themselves
    out = tmp_path / "DB01_2025_Q2_dien_san.xlsx"
    r = _cli("prefill", "--unit", "db01", "--year", "2025", "--period", "Q2", str(out), "--db", target)
    assert r.returncode == 0, r.stderr
    assert "Đã ghi mẫu báo cáo điền sẵn của DB01" in r.stdout and out.is_file()
    r = _cli("ingest", str(out), "--db", target, "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    got = json.loads(r.stdout)["files"][0]
    assert (got["status"], got["unit"], got["year"], got["period"], got["errors"]) == ("accepted", "DB01", 2025, "Q2", [])
    bad = _cli("prefill", "--unit", "DB01", "--year", "2025", "--period", "Q9", str(out), "--db", target)
    assert bad.returncode == 2 and "Kỳ báo cáo không hợp lệ" in bad.stderr and "Traceback" not in bad.stderr
    # a locked period: the prefill is written, loading it is refused on the period cell
    r = _cli("lock", "--year", "2025", "--period", "Q2", "--reason", "Họp sơ kết", "--db", target)
    assert r.returncode == 0 and "Đã khóa kỳ báo cáo Quý II/2025" in r.stdout, r.stderr
    r = _cli("ingest", str(out), "--db", target, "--json")
    assert r.returncode == 1
    err = json.loads(r.stdout)["files"][0]["errors"][0]
    assert (err["sheet"], err["column"], err["value"]) == ("Thông tin", "Kỳ báo cáo", "Quý II")
    r = _cli("unlock", "--year", "2025", "--period", "Q2", "--db", target)
    assert r.returncode == 2  # --reason is required to unlock
    r = _cli("unlock", "--year", "2025", "--period", "Q2", "--reason", "Nộp lại", "--db", target)
    assert r.returncode == 0 and "Đã mở khóa" in r.stdout, r.stderr


def test_cli_review_and_remind(org, tmp_path):
    """`approve`, `return` and `remind` do from the command line what the office's page does."""
    target = org.dsn or str(org.path)
    sid = org.query_value("SELECT id FROM submissions WHERE unit_code = 'DB01' AND year = 2025 AND period = 'Q1'")
    org.close()
    r = _cli("return", str(sid), "--db", target)
    assert r.returncode == 2 and "--comment" in r.stderr  # a return needs its comment
    r = _cli("return", str(sid), "--comment", "Thiếu sheet Sinh hoạt", "--db", target)
    assert r.returncode == 0 and "Đã trả lại 1 báo cáo: DB01 Quý I/2025" in r.stdout, r.stderr
    notices = tmp_path / "cong-van.docx"
    r = _cli("remind", "--year", "2025", "--period", "Q1", "--out", str(notices), "--db", target)
    assert r.returncode == 0 and "Đã lập 2 công văn đôn đốc (số 1, 2)" in r.stdout, r.stderr  # DB01 returned, CB03 missing
    assert notices.is_file() and notices.read_bytes()[:2] == b"PK"
    r = _cli("remind", "--year", "2025", "--period", "Q1", "CB03", "--email", "--db", target)
    assert r.returncode == 2 and "Chưa cấu hình máy chủ gửi thư" in r.stderr
    r = _cli("approve", str(sid), "--db", target)
    assert r.returncode == 0 and "Đã duyệt 1 báo cáo" in r.stdout, r.stderr
