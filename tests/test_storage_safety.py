"""Storage safety on a DuckDB file (issue 10): what the command line leaves behind, backups while others
write, damaged files, and full disks — each on a real file, a real second process or a real full
filesystem (a small tmpfs mounted for the test; skipped, saying why, where the machine cannot mount one).

The kill-between-journal-and-COMMIT cases are in tests/test_faults.py; data_version at open, which
also concerns PostgreSQL, is in tests/test_backends.py.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from core import audit, storage
from core.auth import OPERATOR
from core.errors import DashboardError
from core.storage import open_database, wal_path
from loaders.store import archive_bytes, ingest_bytes, ingest_paths
from loaders.units import load_unit_list_path
from metrics.engine import compute
from ops import maintenance
from ops.maintenance import backup, committed_entries, restore

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "sample_data"
AS_OF = dt.date(2026, 3, 1)

pytestmark = pytest.mark.timeout(600)


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DB", "DASHBOARD_ARCHIVE")}
    env["PYTHONPATH"] = str(PROJECT)
    return env


def _cli(module: str, *args: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=PROJECT, env=_env(), stdout=stdout,
                          stderr=subprocess.PIPE, text=True, encoding="utf-8", timeout=300)


def _figures(js: dict) -> dict:
    return {i["id"]: (i["value"], i["numerator"], i["denominator"], i["status"]) for i in js["indicators"]}


def _submissions(db) -> list[tuple]:
    return db.query_rows("SELECT unit_code, year, period, version, file_hash, status FROM submissions ORDER BY ALL")


# ------------------------------------------------------------------ item 1: nothing left to a WAL replay
def test_cli_ingest_leaves_the_file_checkpointed_and_metrics_match_an_in_process_load(tmp_path):
    """After `python -m loaders ingest` exits, the next process reads the file, not a WAL replay (the
    path on which DuckDB 1.5.5 lost new rows to `WHERE submission_id = …`), and `python -m metrics`
    gives the figures of the same data loaded in-process."""
    base = tmp_path / "base.duckdb"
    db = open_database(base)
    load_unit_list_path(db, SAMPLE / "units.xlsx")
    ingest_paths(db, [SAMPLE / "workbooks" / "2024"])
    db.close()
    twin = tmp_path / "twin.duckdb"  # a copy taken before the CLI writes: the same data goes in in-process
    shutil.copyfile(base, twin)

    r = _cli("loaders", "ingest", str(SAMPLE / "workbooks" / "2025"), "--db", str(base), "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    assert not wal_path(base).exists(), "the ingest left its writes in the WAL for the next process to replay"

    in_process = open_database(twin)
    try:
        ingest_paths(in_process, [SAMPLE / "workbooks" / "2025"])
        for year, quarter, unit in ((2025, None, None), (2025, 1, None), (2025, None, "DB01"), (2024, None, None)):
            args = ["--year", str(year), "--as-of", AS_OF.isoformat(), "--db", str(base), "--json"]
            args += (["--quarter", str(quarter)] if quarter else []) + (["--unit", unit] if unit else [])
            m = _cli("metrics", *args)
            assert m.returncode == 0, m.stderr
            want = compute(in_process, year=year, quarter=quarter, unit=unit, as_of=AS_OF).to_json()
            got = json.loads(m.stdout)
            assert _figures(got) == _figures(want), (year, quarter, unit)
            assert got["activities"] == want["activities"]
        assert {"I04_MO_HINH_4_TOT", "I16_SH_DINH_KY", "I19_SH_CHUYEN_DE"} <= {
            k for k, v in _figures(json.loads(m.stdout)).items() if v[3] != "no_data"}
    finally:
        in_process.close()
    for command in (("users", "list"), ("audit",)):  # every command that opened the file closes it
        assert _cli("loaders", *command, "--db", str(base)).returncode == 0
        assert not wal_path(base).exists(), command


def test_a_wal_left_by_a_killed_process_is_checkpointed_when_the_file_is_opened(tmp_path):
    """A process that dies after its COMMIT leaves the change only in the WAL: the next open keeps it
    and writes it into the file at once, so that process reads checkpointed storage from then on."""
    path = tmp_path / "killed.duckdb"
    open_database(path).close()
    code = ("import os, sys\nsys.path.insert(0, %r)\nfrom core.storage import open_database\n"
            "db = open_database(%r)\n"
            "with db.transaction() as cur:\n"
            "    cur.execute(\"INSERT INTO units (code, name, kind, parent_code, inactive_from, source, updated_at) VALUES ('X1', 'Đảng bộ X', 'DBCS', 'ROOT', NULL, 'unit_list', now()::TIMESTAMP)\")\n"
            "os._exit(0)\n") % (str(PROJECT), str(path))
    subprocess.run([sys.executable, "-c", code], check=True, env=_env(), timeout=120)
    assert wal_path(path).exists()
    db = open_database(path)
    try:
        assert not wal_path(path).exists()
        assert db.query_value("SELECT name FROM units WHERE code = 'X1'") == "Đảng bộ X"
    finally:
        db.close()


# ------------------------------------------------------------------ item 4: damaged file vs file in use
def _damaged_copy(tmp_path: Path, offset: int) -> Path:
    """A real DuckDB database file (schema, root, some rows) with 512 bytes overwritten at `offset`."""
    path = tmp_path / f"hong-{offset}.duckdb"
    db = open_database(path)
    with db.transaction() as cur:
        cur.execute("INSERT INTO units (code, name, kind, parent_code, inactive_from, source, updated_at) "
                    "SELECT 'U' || i, 'Đơn vị ' || i, 'DBCS', 'ROOT', NULL, 'unit_list', "
                    "now()::TIMESTAMP FROM range(20000) t(i)")
    db.close()
    data = bytearray(path.read_bytes())
    data[offset:offset + 512] = hashlib.sha512(str(offset).encode()).digest() * 8
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("offset", [4096, 12288 + 100])
def test_a_damaged_file_is_reported_as_damaged_with_what_to_do(tmp_path, offset):
    path = _damaged_copy(tmp_path, offset)
    with pytest.raises(DashboardError) as err:
        open_database(path)
    text = err.value.message
    assert "bị hỏng" in text and "restore" in text and "rebuild" in text, text
    assert "tiến trình khác" not in text  # DuckDB says "… in block at location …": not a lock
    r = _cli("metrics", "--year", "2024", "--db", str(path))
    assert r.returncode == 2 and "bị hỏng" in r.stderr and "Traceback" not in r.stderr
    r = _cli("loaders", "audit", "--db", str(path))
    assert r.returncode == 2 and "bị hỏng" in r.stderr and "Traceback" not in r.stderr


def test_a_file_held_by_another_process_is_reported_as_in_use(tmp_path):
    path = tmp_path / "held.duckdb"
    open_database(path).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               f"con = duckdb.connect({str(path)!r})\nprint('held', flush=True)\ntime.sleep(120)"],
                              stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DashboardError) as err:
            storage.Database(path)
        assert "đang được một tiến trình khác sử dụng" in err.value.message
        assert "bị hỏng" not in err.value.message
    finally:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------ item 3: backup while others write
def test_backup_during_concurrent_uploads_and_reads_waits_instead_of_failing(tmp_path):
    """'Sao lưu ngay' while uploads and page loads run: every backup is written (it waits for the
    transactions in flight), none shows DuckDB's message, and the last one restores whole."""
    db = open_database(tmp_path / "busy.duckdb")
    load_unit_list_path(db, SAMPLE / "units.xlsx")
    ingest_paths(db, [SAMPLE / "workbooks" / "2023"])
    files = sorted((SAMPLE / "workbooks" / "2024").glob("*.xlsx"))
    errors: list[str] = []
    uploading = threading.Event()

    def upload(part: list[Path]) -> None:
        for f in part:
            try:
                ingest_bytes(db, f.read_bytes(), f.name, principal=OPERATOR)
            except Exception as exc:  # noqa: BLE001 — collected and asserted below
                errors.append(f"upload {f.name}: {exc!r}")

    def read() -> None:
        while uploading.is_set():
            try:
                compute(db, year=2023, principal=OPERATOR)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"read: {exc!r}")

    uploading.set()
    threads = [threading.Thread(target=upload, args=(files[i::3],)) for i in range(3)]
    reader = threading.Thread(target=read)
    for t in [*threads, reader]:
        t.start()
    backups = []
    try:
        while any(t.is_alive() for t in threads):
            try:
                backups.append(backup(db, tmp_path / f"sao-luu-{len(backups)}.tar.gz"))
            except DashboardError as exc:
                errors.append(f"backup: {exc.message}")
    finally:
        for t in threads:
            t.join()
        uploading.clear()
        reader.join()
    assert errors == [] and len(backups) >= 2, errors[:3]
    last = backup(db, tmp_path / "sao-luu-cuoi.tar.gz")
    restored = restore(last.path, tmp_path / "restored" / "db.duckdb")
    assert restored.counts == last.counts and last.counts["submissions"] == 75 + len(files)
    db.close()


def test_a_backup_that_cannot_get_a_consistent_copy_says_so_in_vietnamese(tmp_path, monkeypatch):
    """A reader that began before the last commit and does not finish keeps DuckDB from checkpointing:
    after its wait the backup gives up with a Vietnamese message, leaves no partial file, and works
    once the reader is done."""
    db = open_database(tmp_path / "held.duckdb")
    load_unit_list_path(db, SAMPLE / "units.xlsx")
    reader = db._con.cursor()  # a page's query that stays open (an explicit read transaction)
    reader.execute("BEGIN TRANSACTION")
    reader.execute("SELECT count(*) FROM units").fetchall()
    f = SAMPLE / "workbooks" / "2024" / "DB01_2024_Q1.xlsx"
    assert ingest_bytes(db, f.read_bytes(), f.name).status == "accepted"
    monkeypatch.setattr(maintenance, "BACKUP_WAIT_SECONDS", 0.5)
    out = tmp_path / "sao-luu.tar.gz"
    with pytest.raises(DashboardError) as err:
        backup(db, out)
    assert "đang bận" in err.value.message and "CHECKPOINT" not in err.value.message
    assert not out.exists() and not list(tmp_path.glob(".sao-luu*"))
    reader.execute("COMMIT")
    reader.close()
    assert backup(db, out).counts["submissions"] == 1
    db.close()


# ------------------------------------------------------------------ item 5: a really full disk
@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs mounted at tmp_path/disk for the test (root only; skipped, saying why, elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root or CAP_SYS_ADMIN): {r.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@contextmanager
def filled(disk: Path):
    """Fill the filesystem until the kernel says ENOSPC; free it again on leaving."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 20, 1 << 16, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == 28
    finally:
        os.close(fd)
    try:
        yield
    finally:
        filler.unlink()


def _state(db, archive: Path) -> tuple:
    """Everything an upload writes: rows of every table it touches, archived files, the journal's bytes."""
    files = sorted(p.name for p in archive.rglob("*.xlsx")) if archive.exists() else []
    journal = (archive / audit.JOURNAL_NAME).read_bytes() if (archive / audit.JOURNAL_NAME).exists() else b""
    return (_submissions(db), db.query_value("SELECT count(*) FROM meetings"),
            db.query_value("SELECT count(*) FROM archived_files"), db.data_version, files, journal)


WORKBOOK = SAMPLE / "workbooks" / "2024" / "DB01_2024_Q1.xlsx"


@pytest.mark.parametrize("stage", ["archive", "journal", "commit"])
def test_an_upload_on_a_full_disk_stores_nothing_and_says_so(small_disk, stage):
    """The disk fills up at the archive copy, at the journal line, or at DuckDB's COMMIT: the upload is
    refused with "Hết dung lượng đĩa …", nothing of it is stored, and once there is room again the same
    file goes in whole (and a rebuild does not bring back the cut-short attempt)."""
    db = open_database(small_disk / "db.duckdb")
    data = WORKBOOK.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if stage != "journal":  # a journal whose last page has room for one more line
        load_unit_list_path(db, SAMPLE / "units.xlsx")
    if stage != "archive":  # the original is already archived (content-addressed: the upload skips the copy)
        archive_bytes(db.archive_dir, digest, data)
    before = _state(db, db.archive_dir)
    with filled(small_disk):
        with pytest.raises(DashboardError) as err:
            ingest_bytes(db, data, WORKBOOK.name, add_units=stage == "journal")
        assert err.value.message.startswith("Hết dung lượng đĩa"), err.value.message
        after = _state(db, db.archive_dir)
    if stage == "commit":  # the pending journal line stays, without its commit marker
        assert after[:5] == before[:5] and after[5].startswith(before[5])
        pending = audit.read_journal(db.archive_dir)[-1]
        assert pending["kind"] == "upload" and pending["txn"]
    else:
        assert after == before
    r = ingest_bytes(db, data, WORKBOOK.name, add_units=stage == "journal")
    assert r.status == "accepted" and len(_submissions(db)) == 1
    entries, skipped, _ = committed_entries(audit.read_journal(db.archive_dir), None)
    assert [e["kind"] for e in entries if e["kind"] == "upload"] == ["upload"]
    assert len(skipped) == (stage == "commit")
    db.close()


def test_backup_to_a_full_disk_leaves_no_partial_file(small_disk, tmp_path):
    db = open_database(tmp_path / "db.duckdb")
    load_unit_list_path(db, SAMPLE / "units.xlsx")
    ingest_paths(db, [SAMPLE / "workbooks" / "2024"])
    with filled(small_disk):
        with pytest.raises(DashboardError) as err:
            backup(db, small_disk / "sao-luu.tar.gz")
        assert err.value.message.startswith("Hết dung lượng đĩa"), err.value.message
        assert [p.name for p in small_disk.iterdir()] == ["filler.bin"]
    assert db.query_value("SELECT count(*) FROM audit_log WHERE action = 'backup'") == 0
    db.close()


def test_the_command_line_on_a_full_disk_prints_a_message_not_a_traceback(small_disk, tmp_path):
    """template, ingest (database on the full disk) and metrics (output redirected onto it)."""
    db_path = small_disk / "db.duckdb"
    db = open_database(db_path)
    load_unit_list_path(db, SAMPLE / "units.xlsx")
    db.close()
    with filled(small_disk):
        r = _cli("loaders", "template", str(small_disk / "mau.xlsx"))
        assert r.returncode == 2 and "Hết dung lượng đĩa" in r.stderr and "Traceback" not in r.stderr
        assert sorted(p.name for p in small_disk.iterdir() if p.name.endswith("xlsx") or ".mau" in p.name) == []
        r = _cli("loaders", "ingest", str(WORKBOOK), "--db", str(db_path))
        assert r.returncode in (1, 2) and "Hết dung lượng đĩa" in r.stdout + r.stderr, r.stdout + r.stderr
        assert "Traceback" not in r.stderr
        with open(small_disk / "ket-qua.json", "w") as out:
            r = _cli("metrics", "--year", "2024", "--db", str(tmp_path / "empty.duckdb"), "--json", stdout=out)
        assert r.returncode == 2 and "Hết dung lượng đĩa" in r.stderr and "Traceback" not in r.stderr
    db = open_database(db_path)
    try:
        assert _submissions(db) == []
    finally:
        db.close()
