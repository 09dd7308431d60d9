"""Page caches never show figures older than the last upload (issue 6, item 2).

Pages cache engine results through ui.data (`cached`, `cached_view`), keyed on `db.data_version`, a
counter in the database that every committed write raises. These tests show a figure, change the data
the way users do (a real workbook ingested, or another connection committing), and check the next
render shows the new figure — with the caches left alone — while a rerun without a change is served
from the cache (the engine is not called again), so the check is not passing merely for lack of caching.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from loaders.store import ingest_bytes
from loaders.schema import UNIT_LIST
from core.storage import open_database
from loaders.units import load_unit_list_bytes
from metrics import engine
from tests.builders import info_values, sign_in, write_workbook
from core.text import fmt_value

APP = Path(__file__).resolve().parent.parent / "app.py"
AS_OF = dt.date(2025, 3, 1)
QCDC = "I03_QCDC"  # % of units that issued their grassroots-democracy rules: one answer per unit


def unit_list(codes: tuple[str, ...]) -> bytes:
    """A unit-list workbook (sheet `Đơn vị`) of Đảng bộ cơ sở directly under the root."""
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_LIST.name
    ws.append(["Mã đơn vị", "Tên đơn vị", "Loại hình", "Mã đơn vị cấp trên", "Ngừng hoạt động từ năm"])
    for code in codes:
        ws.append([code, f"Đảng bộ {code}", "Đảng bộ cơ sở", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report(tmp: Path, unit: str, qcdc: str) -> bytes:
    """A real 2024 Q1 workbook of `unit` answering QCDC (`Có`/`Không`), written with openpyxl."""
    path = write_workbook(tmp / f"{unit}_2024_Q1.xlsx", info=info_values(unit, 2024, "Q1"),
                          elements={"QCDC": qcdc, "VAN_BAN_CHI_DAO": 3})
    return path.read_bytes()


def upload(db, tmp: Path, unit: str, qcdc: str) -> None:
    """Ingest one workbook through the real loader, as the upload page does."""
    r = ingest_bytes(db, report(tmp, unit, qcdc), f"{unit}_2024_Q1.xlsx",
                     received_at=dt.datetime(2024, 4, 5, 9, 0), uploader="Kiểm thử bộ nhớ đệm")
    assert r.status == "accepted", [i.message for i in r.errors]


@pytest.fixture
def org(tmp_path):
    """Two Đảng bộ cơ sở; only DB01 has reported (QCDC: Có), so I03 is 100 %."""
    path = tmp_path / "cache.duckdb"
    db = open_database(path)
    load_unit_list_bytes(db, unit_list(("DB01", "DB02")), "don_vi.xlsx")
    upload(db, tmp_path, "DB01", "Có")
    return path


@pytest.fixture
def compute_calls(monkeypatch):
    """Count calls of metrics.engine.compute (the real function runs; the wrapper keeps its name, so
    cache keys are unchanged)."""
    calls = []
    real = engine.compute

    @functools.wraps(real)
    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "compute", counting)
    return calls


def shown_value(at: AppTest, code: str) -> str:
    """The 'Kết quả' cell of one indicator (e.g. 'I03') in the overview's scorecard table."""
    for d in at.dataframe:
        df = d.value
        if {"Mã", "Kết quả", "Trạng thái"} <= set(df.columns):
            return df.loc[df["Mã"] == code, "Kết quả"].iloc[0]
    raise AssertionError("the overview shows no scorecard table")


def test_overview_shows_an_upload_at_once_without_clearing_caches(org, tmp_path, monkeypatch, compute_calls):
    """Overview shows I03 = 100 %; a rerun is served from the cache; a real workbook saying 'Không' is
    ingested; the next rerun of the same app (same caches) shows 50 %."""
    monkeypatch.setenv("DASHBOARD_DB", str(org))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=120), org)
    at.query_params["year"] = "2024"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert shown_value(at, "I03") == fmt_value(100.0, "%")
    assert compute_calls, "the overview computes its figures through metrics.engine.compute"

    compute_calls.clear()
    at.run()
    assert compute_calls == [], "an unchanged database is served from the cache"
    assert shown_value(at, "I03") == fmt_value(100.0, "%")

    upload(open_database(org), tmp_path, "DB02", "Không")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert compute_calls, "the upload raised data_version, so the figures were computed again"
    assert shown_value(at, "I03") == fmt_value(50.0, "%")


def test_cached_results_follow_the_data_version(org, tmp_path):
    """ui.data.cached returns the same result object until a write commits, then the new figure."""
    from ui.data import cached

    db = open_database(org)
    first = cached(engine.compute, db, year=2024, as_of=AS_OF)
    assert first.by_id[QCDC].value == 100.0
    assert cached(engine.compute, db, year=2024, as_of=AS_OF) is first  # served from the cache
    version = db.data_version
    upload(db, tmp_path, "DB02", "Không")
    assert db.data_version > version
    second = cached(engine.compute, db, year=2024, as_of=AS_OF)
    assert second is not first
    assert second.by_id[QCDC].value == 50.0
    assert second.activities["VAN_BAN_CHI_DAO"] == 6  # both reports' documents: 3 + 3


def test_a_write_by_another_connection_is_seen(org, tmp_path):
    """Another writer (here a second connection committing SQL, as another app instance would) changes a
    figure and raises the counter in the database: the cached figure is not served any more."""
    from ui.data import cached

    db = open_database(org)
    assert cached(engine.compute, db, year=2024, as_of=AS_OF).by_id[QCDC].value == 100.0
    other = duckdb.connect(str(org))  # same file, its own connection: nothing goes through `db`
    try:
        other.execute("BEGIN TRANSACTION")
        other.execute("UPDATE elements SET value = 0, raw_value = 'Không' WHERE code = 'QCDC'")
        other.execute("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'")
        other.execute("COMMIT")
    finally:
        other.close()
    assert cached(engine.compute, db, year=2024, as_of=AS_OF).by_id[QCDC].value == 0.0
