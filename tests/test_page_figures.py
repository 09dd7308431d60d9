"""One engine for every figure: the headline numbers each page shows equal `python -m metrics --json` for
the same scope, window and as-of date (indicators v1.1: "a figure on a page never disagrees with the CLI").

The command runs as a real subprocess on a copy of the organisation's database (one process owns a DuckDB
file); the pages run in AppTest on the original.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.clock import today
from core.text import fmt_auto
from metrics.indicators import ACTIVITIES
from tests.test_app_smoke import checkpointed_org, open_page, overview_counts, signed_in_app
from ui import state as K

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Path:
    """The small organisation of the smoke tests, in its own file."""
    return checkpointed_org(tmp_path_factory, "page_figures")


def cli(org: Path, tmp_path: Path, *args: str) -> dict:
    """`python -m metrics --json …` on a copy of the database (the test process holds the original)."""
    copy = tmp_path / "cli.duckdb"
    shutil.copy(org, copy)
    r = subprocess.run([sys.executable, "-m", "metrics", "--db", str(copy), "--json",
                        "--as-of", today().isoformat(), *args],
                       cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def cards(at) -> dict[str, str]:
    """Metric cards by label."""
    return {m.label: m.value for m in at.metric}


def by_id(js: dict) -> dict[str, dict]:
    return {i["id"]: i for i in js["indicators"]}


@pytest.mark.parametrize("quarter", [None, 2])
def test_overview_tiles_are_the_cli_statuses(org, tmp_path, monkeypatch, quarter):
    js = cli(org, tmp_path, "--year", "2024", *(["--quarter", str(quarter)] if quarter else []))
    at = signed_in_app(org, monkeypatch)
    if quarter:
        at.query_params["quarter"] = str(quarter)
    at = open_page(at, "pages/tong_quan.py")
    assert not at.exception
    shown = overview_counts(at)
    for status in ("met", "exceeded", "not_met", "in_progress", "no_data"):
        expected = sum(1 for i in js["indicators"] if i["status"] == status)
        assert shown[status] == expected, status


def test_petition_headline_is_the_cli_activities(org, tmp_path, monkeypatch):
    js = cli(org, tmp_path, "--year", "2024")
    at = open_page(signed_in_app(org, monkeypatch), "pages/don_thu.py")
    assert not at.exception
    shown = cards(at)
    assert shown["Đơn nhận"] == fmt_auto(js["activities"]["DON_THU_NHAN"])
    assert shown["Quá hạn chưa giải quyết"] == fmt_auto(js["activities"]["DON_THU_QUA_HAN"])
    assert shown["Vượt cấp"] == fmt_auto(by_id(js)["I10_DON_VUOT_CAP"]["value"])


def test_outreach_cards_are_the_cli_activities(org, tmp_path, monkeypatch):
    js = cli(org, tmp_path, "--year", "2024")
    at = open_page(signed_in_app(org, monkeypatch), "pages/tuyen_giao.py")
    shown = {m.help: m.value for m in at.metric}  # each card's help is the activity's full label
    for a in ACTIVITIES:
        if a.label in shown:
            assert shown[a.label].split(" ")[0] == fmt_auto(js["activities"][a.code]), a.code


def test_submission_counts_are_the_cli_report_indicators(org, tmp_path, monkeypatch):
    """Nộp báo cáo: received (on time + late) = I25's numerator, on time = I26's, every due cell = I25's
    denominator (the organisation's reporting units are all expected to report)."""
    js = cli(org, tmp_path, "--year", "2024")
    at = open_page(signed_in_app(org, monkeypatch), "pages/nop_bao_cao.py")
    assert not at.exception
    shown = {k: int(v) for k, v in cards(at).items()}
    i25, i26 = by_id(js)["I25_NOP_BAO_CAO"], by_id(js)["I26_NOP_DUNG_HAN"]
    assert shown["Đúng hạn"] + shown["Nộp muộn"] == i25["numerator"]
    assert shown["Đúng hạn"] == i26["numerator"]
    due = shown["Đúng hạn"] + shown["Nộp muộn"] + shown["Chưa nộp (quá hạn)"] + shown["Chưa nộp (còn hạn)"]
    assert due == i25["denominator"]


def test_a_unit_scope_agrees_too(org, tmp_path, monkeypatch):
    js = cli(org, tmp_path, "--year", "2024", "--unit", "DB01")
    at = signed_in_app(org, monkeypatch)
    at.run()
    at.selectbox(key=K.UNIT).set_value("DB01").run()
    at.switch_page("pages/don_thu.py")
    at.run()
    shown = cards(at)
    assert shown["Đơn nhận"] == fmt_auto(js["activities"]["DON_THU_NHAN"])
    assert shown["Quá hạn chưa giải quyết"] == fmt_auto(js["activities"]["DON_THU_QUA_HAN"])


def test_a_petition_resolved_next_year_is_overdue_on_the_page_and_in_the_cli(tmp_path, monkeypatch):
    """The defect of issue 10: received 10/11/2024 (deadline 10/12), pending in the Năm 2024 report,
    resolved in the 2025 Q1 report. In 2024 it is overdue; the page said 1 while the command line, which
    read the 2025 report too, said 0. Now both read only 2024's reports."""
    import datetime as dt

    from tests.metric_fixtures import Org, petition

    org = Org(tmp_path / "org")
    org.units([("P1", "Đảng bộ Công ty Đơn", "DBCS", None, None)])
    late = petition("X1", dt.date(2024, 11, 10), "pending", deadline=dt.date(2024, 12, 10))
    org.report("P1", 2024, "Y", petitions=[late])
    org.report("P1", 2025, "Q1", petitions=[petition("X1", dt.date(2024, 11, 10), deadline=dt.date(2024, 12, 10),
                                                     resolved=dt.date(2025, 1, 20))])
    org.db.cursor().execute("CHECKPOINT")
    path = org.db.path
    js = cli(path, tmp_path, "--year", "2024")
    assert js["activities"]["DON_THU_QUA_HAN"] == 1
    at = open_page(signed_in_app(path, monkeypatch), "pages/don_thu.py")
    assert not at.exception
    assert cards(at)["Quá hạn chưa giải quyết"] == "1"
