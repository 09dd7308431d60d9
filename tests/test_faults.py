"""Kill -9 in the middle of `python -m loaders ingest FOLDER`: the database stays consistent, and a re-run
completes the batch with every file stored exactly once.

A real subprocess ingests the sample organisation's workbooks; the test watches the archive's journal
(one line per file, written just before its COMMIT) and kills the process at several moments: while it
starts (imports, schema creation), right after a journal line (between the line and the COMMIT), and a
little later (mid-validation or mid-insert of the next file). After each kill the database is reopened and
checked against the archived originals read through the loader's own validate step.

The older version DB02_2025_Q2.xlsx is left out of the batch: re-sending a replaced version after its
successor is, by decision (docs/decisions.md), a new version, so a re-run over a folder holding both
versions would revive the old one. That is the re-run semantics of folders, not a crash effect.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import PROJECT_DIR, load_config
from core.tables import DATA_COLUMNS
from loaders.store import load_units
from loaders.reader import read_workbook
from core.storage import open_database
from core.tables import DATA_TABLES
from loaders.validate import validate_workbook

SAMPLE = PROJECT_DIR / "sample_data"
LEFT_OUT = {"DB02_2025_Q2.xlsx"}
RNG = random.Random(20240501)
# (what to wait for, how much, extra delay in seconds before SIGKILL)
MOMENTS = [("seconds", 0.4, 0.0), ("journal", 3, 0.0), ("journal", 45, RNG.uniform(0.0, 0.15)),
           ("journal", 110, 0.0), ("journal", 170, RNG.uniform(0.0, 0.15))]

pytestmark = pytest.mark.timeout(600)


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DB", "DASHBOARD_ARCHIVE")}
    env["PYTHONPATH"] = str(PROJECT_DIR)
    return env


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loaders", *args], cwd=PROJECT_DIR, env=_env(),
                          capture_output=True, text=True, timeout=300)


def _journal_lines(archive: Path) -> int:
    try:
        return (archive / "journal.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _ingest_and_kill(folder: Path, db_path: Path, archive: Path, moment: tuple) -> dict:
    """Start an ingest, SIGKILL it at the moment; what happened (killed or finished, journal lines, time)."""
    kind, amount, delay = moment
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "loaders", "ingest", str(folder), "--db", str(db_path)],
                            cwd=PROJECT_DIR, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - started
            if (kind == "seconds" and elapsed >= amount) or (kind == "journal" and _journal_lines(archive) >= amount):
                if delay:
                    time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                break
            if elapsed > 240:
                raise AssertionError("ingest made no progress in 240 s")
            time.sleep(0.002)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return {"moment": f"{kind} {amount} +{delay:.3f}s", "killed": code == -signal.SIGKILL,
            "journal": _journal_lines(archive), "seconds": round(time.monotonic() - started, 2)}


_PARSED: dict[str, dict] = {}


def _expected_rows(digest: str, data: bytes, name: str, units: dict) -> dict[str, list[int]]:
    """Excel rows per data table of an original, as the loader's validate step reads it (cached by hash)."""
    if digest not in _PARSED:
        parsed = validate_workbook(read_workbook(data, name), units=units, config=load_config())
        assert not parsed.errors, f"{name}: an archived original must be valid"
        _PARSED[digest] = {t: sorted(r["excel_row"] for r in parsed.tables.get(t) or []) for t in DATA_COLUMNS}
    return _PARSED[digest]


def _check_consistent(db_path: Path, archive: Path) -> int:
    """Every invariant a crash must not break; returns the number of submissions."""
    db = open_database(db_path)
    try:
        units = load_units(db)
        subs = db.query_rows("SELECT id, file_hash, file_name FROM submissions ORDER BY id")
        # every archived_files row: the file exists and its bytes have that hash
        files = db.query_rows("SELECT file_hash, path FROM archived_files")
        for digest, rel in files:
            data = (archive / rel).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest, rel
        assert {d for d, _ in files} == {d for _, d, _ in subs}
        # no data row without its submission
        for table in DATA_TABLES:
            orphans = db.query_value(f"SELECT count(*) FROM {table} WHERE submission_id NOT IN "
                                     "(SELECT id FROM submissions)")
            assert orphans == 0, table
        # every submission has all its sheet rows, exactly those of the archived original
        stored: dict[tuple[str, int], list[int]] = {}
        for table in DATA_COLUMNS:
            for sid, rows in db.query_rows(f"SELECT submission_id, list(excel_row ORDER BY excel_row) FROM {table} "
                                           "GROUP BY submission_id"):
                stored[(table, sid)] = list(rows)
        for sid, digest, name in subs:
            data = (archive / digest[:2] / f"{digest}.xlsx").read_bytes()
            for table, rows in _expected_rows(digest, data, name, units).items():
                assert stored.get((table, sid), []) == rows, (name, table)
        # one current report per (unit, year, period); every committed file has its journal line
        assert db.query_value("SELECT count(*) FROM (SELECT unit_code, year, period FROM submissions "
                              "WHERE status = 'current' GROUP BY ALL HAVING count(*) > 1)") == 0
        journal = (archive / "journal.jsonl").read_text(encoding="utf-8") if subs else ""
        assert all(digest in journal for _, digest, _ in subs)
        return len(subs)
    finally:
        db.close()


def test_kill_mid_ingest_keeps_the_database_consistent(tmp_path, capsys):
    folder = tmp_path / "batch"
    shutil.copytree(SAMPLE / "workbooks", folder)
    for name in LEFT_OUT:
        next(folder.rglob(name)).unlink()
    batch = sorted(folder.rglob("*.xlsx"))
    db_path = tmp_path / "faults.duckdb"
    archive = tmp_path / "faults-archive"
    started = time.monotonic()
    units = _run("units", str(SAMPLE / "units.xlsx"), "--db", str(db_path))
    assert units.returncode == 0, units.stderr

    log = []
    for moment in MOMENTS:
        outcome = _ingest_and_kill(folder, db_path, archive, moment)
        outcome["submissions"] = _check_consistent(db_path, archive)
        log.append(outcome)
    killed = [o for o in log if o["killed"]]
    assert len(killed) >= 4, log
    assert any(0 < o["submissions"] < len(batch) for o in killed), log  # really in the middle of the batch

    final = _run("ingest", str(folder), "--db", str(db_path), "--json")
    assert final.returncode == 0, final.stderr[-2000:]
    assert _check_consistent(db_path, archive) == len(batch)
    db = open_database(db_path)
    try:
        names = [n for (n,) in db.query_rows("SELECT file_name FROM submissions ORDER BY file_name")]
        hashes = db.query_rows("SELECT file_hash, count(*) FROM submissions GROUP BY 1 HAVING count(*) > 1")
    finally:
        db.close()
    assert names == sorted(p.name for p in batch) and hashes == []  # every file exactly once
    # the journal, with the lines of commits cut short, still rebuilds exactly this database
    rebuilt = _run("rebuild", "--db", str(tmp_path / "rebuilt.duckdb"), "--from", str(db_path), "--json")
    assert rebuilt.returncode == 0, rebuilt.stdout[-2000:] + rebuilt.stderr[-2000:]
    figures = json.loads(rebuilt.stdout)
    cut_short = _journal_lines(archive) - 1 - len(batch)  # lines beyond the unit list and one per file
    assert figures["mismatches"] == [] and figures["uploads"] == len(batch) and figures["duplicates"] == cut_short
    with capsys.disabled():
        print(f"\n[faults] {len(batch)} workbooks, {len(killed)} kills, {cut_short} journal lines of commits cut "
              f"short, rebuilt in {figures['seconds']} s; {time.monotonic() - started:.1f} s in all:")
        for o in log:
            print(f"[faults]   {o['moment']:<22} killed={o['killed']!s:<5} after {o['seconds']:>5.2f} s, "
                  f"journal {o['journal']:>3}, consistent with {o['submissions']:>3} submissions")
