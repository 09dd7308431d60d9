"""Several threads ingesting at once into one Database: nothing lost, versions consistent."""
from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

from core.auth import OPERATOR
from loaders.store import ingest_bytes
from tests.builders import default_cells, info_values, register_units, write_workbook


def _run_all(db, payloads: list[tuple[bytes, str]], workers: int = 4, add_units: bool = False):
    barrier = threading.Barrier(workers)

    def go(item):
        data, name = item
        try:
            barrier.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass
        return ingest_bytes(db, data, name, add_units=add_units, principal=OPERATOR)  # a thread of its own

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(go, payloads))


def test_different_new_units_at_once_lose_nothing(db, tmp_path):
    """Eight new units accepted at once (the operator's --add-units): each report lands under its own code,
    each unit keeps its own workbook's name (issue 10: a race once stored DB01's report under DB02)."""
    rng = random.Random(7)
    payloads = []
    for i in range(8):
        code = f"DB{i:02d}"
        n = rng.randint(1, 50)
        data = write_workbook(tmp_path / f"{code}.xlsx", info=info_values(unit=code, unit_name=f"Công ty số {i}"),
                              cells=default_cells(code), elements={"DOI_THOAI": n}).read_bytes()
        payloads.append((data, f"{code}.xlsx"))
    results = _run_all(db, payloads, workers=8, add_units=True)
    assert [r.status for r in results] == ["accepted"] * 8
    assert db.query_value("SELECT count(*) FROM submissions") == 8
    assert db.query_value("SELECT count(DISTINCT id) FROM submissions") == 8
    assert db.query_value("SELECT count(*) FROM units WHERE source = 'workbook'") == 8
    assert db.query_value("SELECT count(*) FROM cells") == 16
    stored = dict(db.query_rows("SELECT s.unit_code, e.value FROM elements e JOIN submissions s ON s.id = e.submission_id"))
    assert {r.unit: stored[r.unit] for r in results} == {
        r.unit: float(r.parsed.tables["elements"][0]["value"]) for r in results}
    # every submission under the code its file names, every unit with the name its own workbook gave
    assert sorted(db.query_rows("SELECT unit_code, file_name FROM submissions")) == [
        (f"DB{i:02d}", f"DB{i:02d}.xlsx") for i in range(8)]
    assert sorted(db.query_rows("SELECT code, name FROM units WHERE source = 'workbook'")) == [
        (f"DB{i:02d}", f"Công ty số {i}") for i in range(8)]
    cells = db.query_rows("SELECT DISTINCT s.unit_code, split_part(c.cell_code, '-', 1) FROM cells c "
                          "JOIN submissions s ON s.id = c.submission_id")
    assert all(unit == prefix for unit, prefix in cells)


def test_the_same_new_unit_from_two_uploads_at_once_is_created_once(db, tmp_path):
    """Two reports (Q1 and Q2) of one new unit accepted at once: one unit row, both reports under it."""
    payloads = [(write_workbook(tmp_path / f"{p}.xlsx", info=info_values(unit="DB77", period=p),
                                cells=default_cells("DB77")).read_bytes(), f"{p}.xlsx") for p in ("Q1", "Q2")]
    results = _run_all(db, payloads, workers=2, add_units=True)
    assert [r.status for r in results] == ["accepted", "accepted"]
    assert db.query_value("SELECT count(*) FROM units WHERE code = 'DB77'") == 1
    assert sorted(db.query_rows("SELECT unit_code, period FROM submissions")) == [("DB77", "Q1"), ("DB77", "Q2")]


def test_same_report_from_several_threads_gets_consecutive_versions(db, tmp_path):
    register_units(db, "DB01")
    payloads = [(write_workbook(tmp_path / f"v{i}.xlsx", elements={"HN_NLD": i}).read_bytes(), f"v{i}.xlsx")
                for i in range(6)]
    results = _run_all(db, payloads, workers=3)
    assert all(r.status == "accepted" for r in results)
    assert sorted(r.version for r in results) == [1, 2, 3, 4, 5, 6]
    rows = db.query_rows("SELECT id, version, status, replaced_by FROM submissions ORDER BY version")
    assert [s for _, _, s, _ in rows] == ["replaced"] * 5 + ["current"]
    # each replaced version points at the next one: a single chain, no gap, no fork
    ids = [i for i, *_ in rows]
    assert [rb for *_, rb in rows] == ids[1:] + [None]
    assert sum(r.replaced_previous for r in results) == 5


def test_identical_file_from_several_threads_is_stored_once(db, tmp_path):
    register_units(db, "DB01")
    data = write_workbook(tmp_path / "a.xlsx").read_bytes()
    results = _run_all(db, [(data, "a.xlsx")] * 4)
    assert sorted(r.status for r in results) == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert db.query_value("SELECT count(*) FROM submissions") == 1
    assert db.query_value("SELECT count(*) FROM archived_files") == 1
