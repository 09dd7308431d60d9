"""Load near a deadline: many threads of one process upload at once into one Database, while a second
process tries the same database file.

Checks what the leadership relies on after a deadline rush: every accepted file stored exactly once with
all its rows, one current version per (unit, year, period) with an unbroken replaced_by chain, identical
duplicates stored once, archived bytes matching their hashes, and a clear Vietnamese refusal (exit 2, no
traceback) for the second process. Figures (files, threads, wall time, peak RSS) are printed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from core.auth import OPERATOR
from core.tables import DATA_COLUMNS
from loaders.store import ingest_bytes
from tests.builders import default_cells, info_values, register_units, write_workbook

ROOT = Path(__file__).resolve().parents[1]
THREADS = 24
DEADLINE = dt.datetime(2024, 4, 15, 23, 59)  # Q1 2024 ends 31/03; 15 days later, the whole day counts
LOCKED_MSG = "tệp đang được một tiến trình khác sử dụng"


def _workbook(tmp: Path, name: str, unit: str, period: str, rng: random.Random, variant: int) -> bytes:
    """A valid report with a random number of cells, meetings and petitions (rows to count later)."""
    year = 2024 if period != "Q4" else 2023
    cells = default_cells(unit) + [
        {"cell_code": f"{unit}-X{k}", "cell_name": f"Chi bộ Tổ {k}", "cell_kind": "Chi bộ trực thuộc",
         "members": rng.randint(3, 40), "mo_hinh_4_tot": "Có"} for k in range(rng.randint(0, 6))]
    start = {"Q1": dt.date(2024, 1, 3), "Q4": dt.date(2023, 10, 3)}[period]
    meetings = [{"cell_code": c["cell_code"], "meeting_date": start + dt.timedelta(days=7 * k),
                 "kind": "Định kỳ", "required": 3, "attended": 3}
                for c in cells for k in range(rng.randint(0, 3))]
    petitions = [{"petition_no": f"{unit}/{k}", "received_date": start + dt.timedelta(days=k),
                  "kind": "Kiến nghị", "status": "Đang giải quyết", "summary": f"Nội dung {variant}-{k}"}
                 for k in range(rng.randint(0, 4))]
    path = write_workbook(tmp / name, info=info_values(unit, year, period), cells=cells, meetings=meetings,
                          petitions=petitions, elements={"DOI_THOAI": variant, "HN_NLD": rng.randint(0, 9)})
    return path.read_bytes()


def _corpus(tmp: Path) -> list[tuple[bytes, str, dt.datetime]]:
    """16 distinct reports, 3 reports re-submitted 3 times each with different content, and one report
    uploaded 4 times byte for byte; each with a receipt time in the last minutes before the deadline."""
    rng = random.Random(20240415)
    items: list[tuple[bytes, str]] = []
    for i in range(16):
        unit, period = f"LD{i:02d}", "Q1" if i % 4 else "Q4"
        items.append((_workbook(tmp, f"{unit}_{period}.xlsx", unit, period, rng, i), f"{unit}_{period}.xlsx"))
    for i in range(3):
        unit = f"RS{i}"
        for v in range(3):
            items.append((_workbook(tmp, f"{unit}_v{v}.xlsx", unit, "Q1", rng, 100 + v), f"{unit}_v{v}.xlsx"))
    same = _workbook(tmp, "DUP.xlsx", "DUP1", "Q1", rng, 7)
    items += [(same, "DUP.xlsx")] * 4
    rng.shuffle(items)
    return [(data, name, DEADLINE + dt.timedelta(seconds=rng.randint(0, 59))) for data, name in items]


class _Peak:
    """Peak RSS of this process while the block runs (sampled every 10 ms)."""

    def __enter__(self):
        self._proc = psutil.Process()
        self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False


def test_deadline_rush_many_threads_and_a_second_process(db, db_path, tmp_path):
    register_units(db, *[f"LD{i:02d}" for i in range(16)], *[f"RS{i}" for i in range(3)], "DUP1")
    corpus = _corpus(tmp_path)
    go = threading.Event()  # every worker starts at once (more files than threads: queued ones follow)

    def upload(item):
        data, name, when = item
        go.wait(timeout=30)
        return ingest_bytes(db, data, name, received_at=when, uploader="van_thu", principal=OPERATOR)

    # the second process: the CLI against the database this process holds, while the rush is on
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first_file = tmp_path / corpus[0][1]
    cli = subprocess.Popen([sys.executable, "-m", "loaders", "ingest", str(first_file), "--db", str(db_path)],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    start = time.perf_counter()
    with _Peak() as peak, ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(upload, item) for item in corpus]
        time.sleep(0.2)  # let the threads reach the start line
        go.set()
        results = [f.result() for f in futures]
    wall = time.perf_counter() - start
    out, err = cli.communicate(timeout=120)
    figures = (f"[load] {len(corpus)} files, {THREADS} threads, {wall:.2f} s wall, "
               f"peak RSS {peak.peak / 2**20:.0f} MB")
    print(figures)

    # the second process: a clear Vietnamese refusal, exit 2, never a traceback
    text = out.decode("utf-8") + err.decode("utf-8")
    assert cli.returncode == 2, (figures, text)
    assert LOCKED_MSG in text and "Traceback" not in text, text

    # every outcome is accepted or duplicate; identical bytes are stored once
    by_status = defaultdict(list)
    for r in results:
        by_status[r.status].append(r)
    assert set(by_status) <= {"accepted", "duplicate"}, [(r.file, r.status, r.errors) for r in results]
    assert len(by_status["duplicate"]) == 3 and {r.file for r in by_status["duplicate"]} == {"DUP.xlsx"}, figures
    accepted = by_status["accepted"]
    assert len(accepted) == len(corpus) - 3 == 26, figures
    assert db.query_value("SELECT count(*) FROM submissions") == len(accepted)
    assert sorted(db.query_rows("SELECT id FROM submissions")) == sorted((r.submission_id,) for r in accepted)

    # one current per key, consecutive versions, an unbroken replaced_by chain
    rows = db.query_rows("SELECT unit_code, year, period, version, id, status, replaced_by, received_at, uploader "
                         "FROM submissions ORDER BY unit_code, year, period, version")
    chains = defaultdict(list)
    for unit, year, period, version, sid, status, replaced_by, received, uploader in rows:
        chains[(unit, year, period)].append((version, sid, status, replaced_by))
        assert DEADLINE <= received < DEADLINE + dt.timedelta(minutes=1) and uploader == "van_thu"
    assert len(chains) == 16 + 3 + 1
    for key, chain in chains.items():
        assert [v for v, *_ in chain] == list(range(1, len(chain) + 1)), key
        assert [s for _, _, s, _ in chain] == ["replaced"] * (len(chain) - 1) + ["current"], key
        assert [rb for *_, rb in chain] == [sid for _, sid, _, _ in chain[1:]] + [None], key
    assert sorted(len(c) for c in chains.values()) == [1] * 17 + [3] * 3

    # every submission has all its rows
    for r in accepted:
        for table in DATA_COLUMNS:
            expected = len(r.parsed.tables.get(table) or [])
            got = db.query_value(f"SELECT count(*) FROM {table} WHERE submission_id = ?", [r.submission_id])
            assert got == expected, (r.file, table, got, expected)
    assert db.query_value("SELECT count(*) FROM elements") == 2 * len(accepted)

    # the archive holds each distinct accepted file once, byte for byte
    hashes = {r.file_hash for r in accepted}
    archived = db.query_rows("SELECT file_hash, size, path FROM archived_files")
    assert {h for h, *_ in archived} == hashes and len(archived) == len(hashes) == len(accepted)
    for digest, size, rel in archived:
        stored = (db.archive_dir / rel).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == digest
        assert size == len(stored)
    leftovers = [p for p in db.archive_dir.rglob(".tmp-*")]
    assert leftovers == [], leftovers
    assert wall < 60, figures

