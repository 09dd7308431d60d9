"""The engine's fast paths (issue 6, item 2) give the figures of the plain definitions.

- meetings: one pass per cell, with only cells that have a day reported twice deduplicated meeting by
  meeting — checked on real workbooks with duplicates at the edges of the day masks;
- scope: a committee's figures are the sums over the units below it (found here by walking the unit list
  in Python), the root's the sums over every unit;
- activities of all quarters in one query: the same as a brute-force count from the stored rows.

The organisation of the last three tests is the benchmark's generator (benchmarks/metrics_bench.py) at a
small size, written into a real DuckDB file.
"""
from __future__ import annotations

import dataclasses

import datetime as dt
import importlib.util
import io
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from core.config import load_config
from loaders.store import ingest_bytes
from loaders.schema import UNIT_LIST
from core.storage import open_database
from loaders.units import load_unit_list_bytes
from metrics import engine
from loaders.elements import DATA_ELEMENTS
from metrics.indicators import INDICATORS
from tests.builders import default_cells, info_values, write_workbook

ROOT_DIR = Path(__file__).resolve().parent.parent
YEAR, AS_OF = 2025, dt.date(2026, 6, 30)
# kinds whose numerator and denominator add up over units (persons are counted once per group: not additive)
ADDITIVE = {"unit_ratio", "unit_sum_ratio", "cell_ratio", "cell_count", "cell_sum_ratio", "meeting_cell_ratio",
            "meeting_ratio", "petition_ratio", "petition_count", "report_ratio"}


def _bench():
    spec = importlib.util.spec_from_file_location("metrics_bench", ROOT_DIR / "benchmarks" / "metrics_bench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory):
    """The benchmark's synthetic organisation with 120 grassroots units (five years, every table)."""
    path = tmp_path_factory.mktemp("scale") / "bench.duckdb"
    db = open_database(path)
    with db.transaction() as cur:
        _bench().build(cur, 120, load_config().root_code)
    return db


def by_unit_sums(df, codes: set[str] | None = None) -> dict[str, tuple[float, float]]:
    """Σ numerator and Σ denominator per indicator over the rows of compute_by_unit (optionally some units)."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in df.itertuples(index=False):
        if codes is not None and r.unit_code not in codes:
            continue
        if r.numerator == r.numerator:  # not NaN
            out[r.indicator_id][0] += r.numerator
        if r.denominator == r.denominator:
            out[r.indicator_id][1] += r.denominator
    return {k: (v[0], v[1]) for k, v in out.items()}


def assert_additive(report, sums) -> int:
    """Every additive indicator's numerator/denominator equals the sums; returns how many were compared."""
    checked = 0
    for ind in INDICATORS:
        if ind.kind not in ADDITIVE:
            continue
        got = report.by_id[ind.id]
        num, den = sums.get(ind.id, (0.0, 0.0))
        assert (got.numerator or 0) == pytest.approx(num), (ind.id, got.numerator, num)
        if ind.kind not in engine.COUNT_KINDS:
            assert (got.denominator or 0) == pytest.approx(den), (ind.id, got.denominator, den)
        checked += 1
    return checked


def test_generator_covers_every_table(bench_db):
    """The small benchmark organisation has rows in every table and resubmissions (replaced versions)."""
    counts = {t: bench_db.query_value(f"SELECT count(*) FROM {t}")
              for t in ("submissions", "elements", "cells", "meetings", "petitions", "trainees")}
    assert all(n > 0 for n in counts.values()), counts
    assert bench_db.query_value("SELECT count(*) FROM submissions WHERE status = 'replaced'") > 0
    # ids follow upload order, as the loader's sequence gives them
    assert bench_db.query_value("SELECT count(*) FROM (SELECT id, received_at, lag(received_at) OVER (ORDER BY id) "
                                "AS prev FROM submissions) WHERE received_at < prev") == 0


def test_root_figures_are_the_sums_over_units(bench_db):
    """compute for the root (one group) and compute_by_unit (a group per unit) agree on every additive
    indicator: the scope, the single-pass meetings and the per-unit grouping give the same items."""
    report = engine.compute(bench_db, year=YEAR, as_of=AS_OF)
    sums = by_unit_sums(engine.compute_by_unit(bench_db, year=YEAR, as_of=AS_OF))
    assert assert_additive(report, sums) >= 20
    assert report.by_id["I16_SH_DINH_KY"].denominator > 100  # cells were counted, not an empty comparison


def test_committee_figures_are_the_sums_over_its_units(bench_db):
    """A committee with committees below it: its figures equal the sums over the units found below it by
    walking parent codes in Python (the engine resolves that set once and filters by a literal list)."""
    units = bench_db.query_rows("SELECT code, parent_code FROM units")
    kids: dict[str, list[str]] = defaultdict(list)
    for code, parent in units:
        kids[parent].append(code)
    committee = next(c for c, _ in units if c.startswith("TT") and any(k.startswith("TT") for k in kids[c]))
    below, todo = set(), [committee]
    while todo:
        c = todo.pop()
        if c not in below:
            below.add(c)
            todo += kids[c]
    report = engine.compute(bench_db, year=YEAR, unit=committee, as_of=AS_OF)
    assert report.scope["unit"] == committee and not report.scope["is_root"]
    sums = by_unit_sums(engine.compute_by_unit(bench_db, year=YEAR, as_of=AS_OF), below)
    assert assert_additive(report, sums) >= 20
    assert report.by_id["I25_NOP_BAO_CAO"].denominator == 5 * sum(
        1 for c in below if bench_db.query_value("SELECT kind FROM units WHERE code = ?", [c]) in ("DBCS", "CBCS")
        and (bench_db.query_value("SELECT inactive_from FROM units WHERE code = ?", [c]) or 9999) > YEAR)


def test_activities_by_period_match_a_brute_force_count(bench_db):
    """Each quarter's element totals are the sums over that quarter's current reports, and its petitions
    received are the petitions whose latest row (latest year, period, upload) dates them in it."""
    got = engine.activities_by_period(bench_db, year=YEAR, as_of=AS_OF)
    value = {(r.element, r.period): r.value for r in got.itertuples(index=False)}
    sums = [e.code for e in DATA_ELEMENTS if e.aggregation == "sum"]
    for q in range(1, 5):
        for code in sums:
            expected = bench_db.query_value(
                "SELECT sum(e.value) FROM submissions s JOIN elements e ON e.submission_id = s.id "
                "WHERE s.status = 'current' AND s.year = ? AND s.period = ? AND e.code = ? AND e.known",
                [YEAR, f"Q{q}", code])
            assert value[(code, f"Q{q}")] == pytest.approx(expected), (code, q)
    rank = {"Q1": 1, "Q2": 2, "Q3": 3, "Q4": 4, "Y": 5}
    latest: dict[tuple, tuple] = {}
    for unit, year, period, received_at, sid, key, received in bench_db.query_rows(
            "SELECT s.unit_code, s.year, s.period, s.received_at, s.id, p.petition_key, p.received_date "
            "FROM submissions s JOIN petitions p ON p.submission_id = s.id WHERE s.status = 'current'"):
        order = (year, rank[period], received_at, sid)
        if (unit, key) not in latest or order > latest[(unit, key)][0]:
            latest[(unit, key)] = (order, received)
    for q in range(1, 5):
        start, end = dt.date(YEAR, 3 * q - 2, 1), (dt.date(YEAR, 3 * q + 1, 1) if q < 4 else dt.date(YEAR + 1, 1, 1))
        expected = sum(1 for _, d in latest.values() if start <= d < end and d <= AS_OF)
        assert value[("DON_THU_NHAN", f"Q{q}")] == expected > 0


# ------------------------------------------------------------------ meetings reported twice
def unit_list_bytes() -> bytes:
    """One Đảng bộ cơ sở, DB01, under the root."""
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_LIST.name
    ws.append(["Mã đơn vị", "Tên đơn vị", "Loại hình", "Mã đơn vị cấp trên", "Ngừng hoạt động từ năm"])
    ws.append(["DB01", "Đảng bộ Công ty Điện lực", "Đảng bộ cơ sở", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def meeting(cell: str, day: dt.date, required: int, attended: int) -> dict:
    return {"cell_code": cell, "meeting_date": day, "kind": "Định kỳ", "required": required, "attended": attended,
            "ideological": "Có"}


# 2024 is a leap year: 1 Jan is day 0 of the window, 2 May day 122 (the second 122-day mask), 31 Dec day 365
# (the last bit of the third). CB1's meetings are each reported twice; CB2's once.
REPORTS = {
    "Q1": [meeting("DB01-CB1", dt.date(2024, 1, 1), 10, 5), meeting("DB01-CB2", dt.date(2024, 3, 5), 10, 10)],
    "Q2": [meeting("DB01-CB1", dt.date(2024, 1, 1), 10, 9), meeting("DB01-CB1", dt.date(2024, 5, 2), 10, 4)],
    "Q3": [meeting("DB01-CB1", dt.date(2024, 5, 2), 10, 8)],
    "Q4": [meeting("DB01-CB1", dt.date(2024, 12, 31), 10, 6), meeting("DB01-CB1", dt.date(2024, 12, 31), 10, 7)],
}


def test_meetings_reported_twice_count_once_later_row_wins(tmp_path):
    """Three meetings of CB1 each reported twice (in two reports, or twice in one sheet) count once with the
    later report's (or lower row's) attendance: 9 + 8 + 7 of 30; CB2's single meeting adds 10 of 10."""
    db = open_database(tmp_path / "dups.duckdb")
    load_unit_list_bytes(db, unit_list_bytes(), "don_vi.xlsx")
    for i, (period, rows) in enumerate(REPORTS.items()):
        path = write_workbook(tmp_path / f"DB01_2024_{period}.xlsx", info=info_values("DB01", 2024, period),
                              cells=default_cells("DB01"), meetings=rows)
        r = ingest_bytes(db, path.read_bytes(), path.name, received_at=dt.datetime(2024, 4, 5, 9) + dt.timedelta(days=91 * i))
        assert r.status == "accepted", [e.message for e in r.errors]
    i17 = engine.compute(db, year=2024, as_of=dt.date(2025, 3, 1)).by_id["I17_DU_SINH_HOAT"]
    assert (i17.numerator, i17.denominator) == (34, 40)
    detail = engine.drilldown(db, "I17_DU_SINH_HOAT", year=2024, as_of=dt.date(2025, 3, 1))
    cb1 = detail[detail["cell_code"] == "DB01-CB1"].iloc[0]
    assert (int(cb1["meetings"]), pd.Timestamp(cb1["first_meeting"]).date(), pd.Timestamp(cb1["last_meeting"]).date()) \
        == (3, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert detail.loc[detail["cell_code"] == "DB01-CB2", "meetings"].iloc[0] == 1


@pytest.mark.parametrize("unit_kind", ["TT", "U"])
def test_listing_the_scopes_submissions_changes_no_figure(bench_db, monkeypatch, unit_kind):
    """Below the root the engine lists the scope's current submission ids in each data-table scan (so
    PostgreSQL can filter at the server); with the list switched off the figures, activities, behind lists
    and drill-down rows must be the same."""
    from metrics import scope as scope_mod

    # on PostgreSQL by default; here on the DuckDB file
    monkeypatch.setattr(bench_db, "backend", dataclasses.replace(bench_db.backend, list_submission_ids=True))
    unit = bench_db.query_value(f"SELECT min(code) FROM units WHERE code LIKE '{unit_kind}%' AND kind <> 'ROOT'")
    listed = scope_mod.resolve_scope(bench_db, unit)
    assert listed.sub_ids and len(listed.sub_ids) > 3  # the list is really in use for this scope
    calls = lambda: (engine.compute(bench_db, year=YEAR, unit=unit, as_of=AS_OF).to_json(),  # noqa: E731
                     engine.compute(bench_db, year=YEAR, quarter=2, unit=unit, as_of=AS_OF).to_json(),
                     engine.activities_by_period(bench_db, year=YEAR, unit=unit, as_of=AS_OF).to_dict("records"),
                     [engine.drilldown(bench_db, i.id, year=YEAR, unit=unit, as_of=AS_OF).to_dict("records")
                      for i in INDICATORS])
    with_list = calls()
    monkeypatch.setattr(scope_mod, "MAX_LISTED_SUBMISSIONS", 0)
    assert scope_mod.resolve_scope(bench_db, unit).sub_ids is None
    assert calls() == with_list
