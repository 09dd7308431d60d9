"""`python -m metrics`: JSON shape of interfaces.md, the Vietnamese table, exit codes 0 / 2, no tracebacks."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.metrics_cmd import main
from core.text import fmt_auto
from metrics.indicators import INDICATORS
from tests.metric_fixtures import Org, cell, petition

PROJECT = Path(__file__).resolve().parent.parent
INDICATOR_KEYS = ["id", "name", "unit", "value", "numerator", "denominator", "target", "status", "behind"]


@pytest.fixture(scope="module")
def db_file(tmp_path_factory) -> Path:
    """A small database built through the real loader, closed so other processes can open it."""
    o = Org(tmp_path_factory.mktemp("org_cli"))
    o.units([("DB01", "Đảng bộ Một", "DBCS", None, None), ("CB01", "Chi bộ Hai", "CBCS", None, None)])
    o.report("DB01", 2024, "Q1", elements={"QUAN_TRIET_NQ": True, "VAN_BAN_CHI_DAO": 1234, "AN_SINH": "1.250,5"},
             petitions=[petition("S1", dt.date(2024, 2, 1), resolved=dt.date(2024, 2, 10))])
    o.report("CB01", 2024, "Q1", elements={"QUAN_TRIET_NQ": False, "VAN_BAN_CHI_DAO": 3},
             cells=[cell("CB01", "CBCS", 9)])
    target = o.db.dsn or o.db.path  # a file, or a PostgreSQL URL in a PostgreSQL run
    o.db.close()
    return target


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DB", "DASHBOARD_ARCHIVE")}
    return subprocess.run([sys.executable, "-m", "metrics", *args], cwd=PROJECT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def test_json_is_the_interfaces_object(db_file):
    r = run("--year", "2024", "--quarter", "1", "--as-of", "2024-06-30", "--db", str(db_file), "--json")
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    assert list(js) == ["scope", "window", "indicators", "activities"]
    assert js["scope"] == {"unit": "ROOT", "name": js["scope"]["name"], "is_root": True}
    assert js["window"] == {"year": 2024, "quarter": 1, "as_of": "2024-06-30"}
    assert [i["id"] for i in js["indicators"]] == [i.id for i in INDICATORS]
    for i in js["indicators"]:
        assert list(i) == INDICATOR_KEYS, i["id"]
        assert i["status"] in {"met", "not_met", "exceeded", "in_progress", "no_data", "no_target"}
        assert (i["value"] is None) == (i["status"] == "no_data") or i["status"] == "no_target"
        assert (i["target"] is None) == (i["status"] == "no_target")
    i01 = js["indicators"][0]
    assert (i01["value"], i01["numerator"], i01["denominator"], i01["behind"]) == (50.0, 1, 2, ["CB01"])
    assert i01["target"] == {"op": "=", "value": 100} and i01["status"] == "not_met"
    act = js["activities"]
    assert act["VAN_BAN_CHI_DAO"] == 1237 and act["AN_SINH"] == 1250.5 and act["DON_THU_NHAN"] == 1
    assert list(act)[-3:] == ["DON_THU_NHAN", "DON_THU_QUA_HAN", "DON_THU_SO_NGAY_TB"]


def test_unit_scope_in_json(db_file):
    r = run("--year", "2024", "--unit", "cb01", "--as-of", "2024-06-30", "--db", str(db_file), "--json")
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    assert js["scope"] == {"unit": "CB01", "name": "Chi bộ Hai", "is_root": False}
    assert js["indicators"][0]["behind"] == ["CB01"]


def test_table_is_vietnamese_with_vietnamese_numbers(db_file):
    r = run("--year", "2024", "--as-of", "2024-06-30", "--db", str(db_file))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "tính đến ngày 30/06/2024" in out and "Chưa đạt" in out and "Hoạt động" in out
    assert "1.237" in out  # VAN_BAN_CHI_DAO with the Vietnamese thousands separator
    assert "1.250,5" in out  # AN_SINH with a decimal comma
    for ind in INDICATORS:
        assert ind.id[:3] in out


@pytest.mark.parametrize("args, message", [
    ((), "--year"),
    (("--year", "x"), "không phải số nguyên"),
    (("--year", "2024", "--quarter", "5"), "--quarter"),
    (("--year", "2024", "--as-of", "31/12/2024"), "YYYY-MM-DD"),
    (("--year", "2024", "--bogus"), "tham số không nhận ra"),
    (("--year", "1999"), "Năm không hợp lệ"),
    (("--year", "2024", "--unit", "KHONG_CO"), "Không tìm thấy đơn vị"),
])
def test_usage_errors_exit_2_with_a_vietnamese_message(db_file, args, message):
    r = run(*args, "--db", str(db_file))
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""


def test_database_that_cannot_be_opened_exits_2(tmp_path):
    bad = tmp_path / "hong.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 100)
    # a corrupt file is reported as damaged, with how to recover; a directory as what it is
    for target, says in ((bad, "bị hỏng"), (tmp_path, "Không mở được cơ sở dữ liệu")):
        r = run("--year", "2024", "--db", str(target))
        assert r.returncode == 2
        assert says in r.stderr and "Traceback" not in r.stderr


def test_missing_database_is_created_empty(tmp_path, capsys):
    # in-process: a new file gets the schema and the root; every indicator is present, nothing reported
    path = tmp_path / "moi.duckdb"
    assert main(["--year", "2024", "--db", str(path), "--json", "--as-of", "2025-01-31"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert path.exists() and len(js["indicators"]) == len(INDICATORS)
    assert {i["status"] for i in js["indicators"]} <= {"no_data", "no_target"}
    from core.storage import _OPEN  # the CLI closed what it opened
    assert str(path.resolve()) not in _OPEN


@pytest.mark.parametrize("x, text", [(1234.5, "1.234,5"), (1234, "1.234"), (0.26, "0,3"), (100.0, "100"),
                                     (None, "—"), (1234567.891, "1.234.567,9")])
def test_vietnamese_number_format(x, text):
    assert fmt_auto(x) == text


def test_help_is_vietnamese_and_exits_0():
    r = run("--help")
    assert r.returncode == 0 and "Cách dùng:" in r.stdout and "năm báo cáo" in r.stdout
