"""Rebuild from the archive, backup and restore: the same figures afterwards, refusals where data could be lost."""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tarfile

import pytest

from core import audit
from cli.loaders_cmd import main
from core.errors import DashboardError
from ops.maintenance import archive_dir_for, backup, committed_entries, rebuild, restore
from ops.sample import load_sample
from core.storage import open_database
from metrics import targets
from metrics.engine import compute

AS_OF = dt.date(2026, 1, 31)
WINDOWS = [(2023, None), (2024, None), (2024, 2), (2025, None), (2025, 3)]
KEY = "unit_code, year, period, version, file_hash, uploader, received_at, file_name, status"


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """The sample organisation plus two target overrides, in its own database and archive."""
    path = tmp_path_factory.mktemp("orig") / "orig.duckdb"
    db = open_database(path)
    load_sample(db)
    first = targets.INDICATORS[0].id
    targets.set_target(db, first, 2024, {"op": ">=", "value": 1}, "Văn phòng")
    targets.set_target(db, first, 2025, None, "Văn phòng")
    yield db
    db.close()


def units_to_check(db) -> list[str | None]:
    codes = [c for (c,) in db.query_rows("SELECT code FROM units WHERE kind <> 'ROOT' ORDER BY code")]
    return [None, *codes[:: max(1, len(codes) // 4)]]


def figures(db, units) -> dict:
    """compute(...).to_json() for several windows and units, plus the tables a rebuild must reproduce."""
    out = {f"{y}/{q}/{u}": compute(db, year=y, quarter=q, unit=u, as_of=AS_OF).to_json()
           for y, q in WINDOWS for u in units}
    out["submissions"] = db.query_rows(f"SELECT {KEY} FROM submissions ORDER BY {KEY}")
    out["targets"] = db.query_rows("SELECT * FROM target_overrides ORDER BY changed_at, indicator_id, year")
    out["units"] = db.query_rows("SELECT code, name, kind, parent_code, inactive_from FROM units ORDER BY code")
    out["rows"] = {t: db.query_value(f"SELECT count(*) FROM {t}") for t in
                   ("elements", "cells", "meetings", "trainees", "petitions", "archived_files")}
    return out


@pytest.fixture(scope="module")
def expected(original):
    return figures(original, units_to_check(original))


def test_rebuild_from_the_old_database_gives_the_same_figures(original, expected, tmp_path):
    before_audit = original.query_rows("SELECT * FROM audit_log ORDER BY id")
    target = tmp_path / "new.duckdb"
    result = rebuild(target, original.path)
    assert result.problems == [] and result.mismatches == []
    assert (result.uploads, result.unit_lists, result.targets) == (220, 1, 2)
    new = open_database(target)
    try:
        assert figures(new, units_to_check(original)) == expected
        # users and the audit log come across; the log goes on numbering after them with one 'rebuild' row
        assert new.query_rows("SELECT * FROM users ORDER BY username") == \
            original.query_rows("SELECT * FROM users ORDER BY username")
        rows = new.query_rows("SELECT * FROM audit_log ORDER BY id")
        assert rows[:-1] == before_audit and rows[-1][3] == "rebuild" and rows[-1][0] == before_audit[-1][0] + 1
        assert new.query_value("SELECT value FROM meta WHERE key = 'sample_loaded'") is not None
        # the new archive is complete: every original file (hash checked) and the same journal
        for (digest,) in new.query_rows("SELECT file_hash FROM archived_files"):
            assert (new.archive_dir / digest[:2] / f"{digest}.xlsx").is_file()
        # the new archive's journal holds the same committed history (the commit markers resolved)
        assert audit.read_journal(new.archive_dir) == committed_entries(audit.read_journal(original.archive_dir), None)[0]
    finally:
        new.close()


def test_rebuild_from_the_archive_alone(original, expected, tmp_path):
    archive = tmp_path / "kept-archive"
    shutil.copytree(original.archive_dir, archive)  # the database file is lost; the archive survived
    target = tmp_path / "again.duckdb"
    result = rebuild(target, archive)
    assert result.problems == [] and result.mismatches is None
    new = open_database(target)
    try:
        assert figures(new, units_to_check(original)) == expected
        assert new.query_value("SELECT count(*) FROM users") == 0  # accounts live only in the database
    finally:
        new.close()


def test_rebuild_names_a_missing_original_and_exits_1(original, tmp_path, capsys):
    archive = tmp_path / "damaged"
    shutil.copytree(original.archive_dir, archive)
    entry = next(e for e in audit.read_journal(archive) if e["kind"] == "upload")
    (archive / entry["file_hash"][:2] / f"{entry['file_hash']}.xlsx").write_bytes(b"corrupted")
    code = main(["rebuild", "--db", str(tmp_path / "r.duckdb"), "--from", str(archive)])
    out = capsys.readouterr().out
    assert code == 1 and entry["file_name"] in out and "hỏng bản gốc" in out


def test_rebuild_refusals(original, tmp_path):
    with pytest.raises(DashboardError, match="khác cơ sở dữ liệu nguồn"):
        rebuild(original.path, original.path)
    existing = tmp_path / "x.duckdb"
    existing.write_bytes(b"")
    with pytest.raises(DashboardError, match="--force"):
        rebuild(existing, original.archive_dir)
    with pytest.raises(DashboardError, match="journal.jsonl"):
        rebuild(tmp_path / "y.duckdb", tmp_path)  # a folder without a journal
    assert not (tmp_path / "y.duckdb").exists()


def test_backup_and_restore_round_trip(original, expected, tmp_path, capsys):
    out = tmp_path / "sao-luu.tar.gz"
    result = backup(original, out)
    assert result.archive_files == 221 and result.counts["submissions"] == 220
    assert original.query_rows("SELECT action, object FROM audit_log ORDER BY id DESC LIMIT 1") == \
        [("backup", str(out))]
    target = tmp_path / "restored" / "db.duckdb"
    restored = restore(out, target)
    assert restored.counts["submissions"] == 220
    db = open_database(target)
    try:
        assert figures(db, units_to_check(original)) == expected
        assert db.query_value("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1") == "restore"
        assert audit.read_journal(archive_dir_for(target)) == audit.read_journal(original.archive_dir)
    finally:
        db.close()
    # a second restore onto the same file is refused (exit 2, Vietnamese message) unless --force
    assert main(["restore", str(out), "--db", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(out), "--db", str(target), "--force"]) == 0
    assert "220 báo cáo" in capsys.readouterr().out
    open_database(target).close()


def test_restore_refuses_a_hostile_or_foreign_archive(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(DashboardError, match="mục lạ"):
        restore(evil, tmp_path / "d.duckdb")
    assert not (tmp_path.parent / "escape.txt").exists() and not (tmp_path / "d.duckdb").exists()
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    with pytest.raises(DashboardError, match="không phải bản sao lưu"):
        restore(junk, tmp_path / "d.duckdb")


def test_cli_backup_json(original, tmp_path, capsys):
    out = tmp_path / "b.tar.gz"
    assert main(["backup", str(out), "--db", str(original.path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["path"] == str(out) and got["counts"]["submissions"] == 220
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "db/dashboard.duckdb" in names and "archive/journal.jsonl" in names


def test_a_journal_started_late_is_seeded_from_the_database(tmp_path):
    """A database filled before journals existed: the first journaled change writes everything already
    there as seed lines first, so a rebuild from the archive alone still gives the same figures."""
    from loaders.store import ingest_bytes
    from loaders.units import load_unit_list_bytes
    from tests.builders import info_values, write_workbook
    from tests.test_units import BASE, unit_list

    db = open_database(tmp_path / "old.duckdb")
    load_unit_list_bytes(db, unit_list(tmp_path / "u.xlsx", BASE), "u.xlsx")
    for n, (unit, period) in enumerate([("DB01", "Q1"), ("DB01", "Q2"), ("DB01", "Q3"), ("DB01", "Q1")]):
        data = write_workbook(tmp_path / f"{n}.xlsx", info=info_values(unit=unit, period=period),
                              elements={"DOI_THOAI": n + 1}).read_bytes()
        r = ingest_bytes(db, data, f"{unit}_{period}_{n}.xlsx", received_at=dt.datetime(2024, 4, 1 + n, 8),
                         uploader=f"người {n}")
        assert r.status == "accepted", r.errors
    targets.set_target(db, targets.INDICATORS[0].id, 2024, None, "Văn phòng")
    (db.archive_dir / audit.JOURNAL_NAME).unlink()  # as if all that happened before journals existed
    late = write_workbook(tmp_path / "late.xlsx", info=info_values(unit="DB01", period="Q4")).read_bytes()
    assert ingest_bytes(db, late, "DB01_Q4.xlsx", received_at=dt.datetime(2025, 1, 2, 8),
                        uploader="muộn").status == "accepted"
    kinds = [e["kind"] for e in audit.read_journal(db.archive_dir) if e["kind"] != "committed"]
    assert kinds == ["units_snapshot", "upload", "upload", "upload", "upload", "target", "upload"]
    units = units_to_check(db)
    want = {f"{y}/{u}": compute(db, year=y, unit=u, as_of=AS_OF).to_json() for y in (2024,) for u in units}
    want_subs = db.query_rows(f"SELECT {KEY} FROM submissions ORDER BY {KEY}")
    archive = tmp_path / "kept"
    shutil.copytree(db.archive_dir, archive)
    db.close()
    result = rebuild(tmp_path / "new.duckdb", archive)
    assert result.problems == [] and result.uploads == 5 and result.targets == 1
    new = open_database(tmp_path / "new.duckdb")
    try:
        assert {f"{y}/{u}": compute(new, year=y, unit=u, as_of=AS_OF).to_json() for y in (2024,) for u in units} == want
        assert new.query_rows(f"SELECT {KEY} FROM submissions ORDER BY {KEY}") == want_subs
    finally:
        new.close()


def test_rebuild_of_a_database_without_journal_uses_its_rows(original, expected, tmp_path):
    """An old database whose archive has no journal (filled before journals existed) still rebuilds."""
    old = tmp_path / "legacy.duckdb"
    original.cursor().execute("CHECKPOINT")
    shutil.copyfile(original.path, old)
    archive = archive_dir_for(old)
    shutil.copytree(original.archive_dir, archive)
    (archive / audit.JOURNAL_NAME).unlink()
    result = rebuild(tmp_path / "fresh.duckdb", old)
    assert result.problems == [] and result.mismatches == [] and result.uploads == 220 and result.targets == 2
    new = open_database(tmp_path / "fresh.duckdb")
    try:
        got = figures(new, units_to_check(original))
        assert got == expected
        assert [e["kind"] for e in audit.read_journal(new.archive_dir)][:2] == ["units_snapshot", "upload"]
    finally:
        new.close()


def test_a_cut_short_attempt_retried_at_the_same_moment_is_not_replayed_twice(tmp_path):
    """An upload whose COMMIT was cut short, retried and stored with the same received_at: the old database
    holds those bytes at that moment, yet the first line is the attempt cut short (had it committed, the
    retry would have been a duplicate, which is never journaled) — rebuild replays the upload once."""
    from loaders.store import ingest_bytes
    from loaders.units import load_unit_list_path
    from ops.sample import SAMPLE_DIR

    old = tmp_path / "old.duckdb"
    db = open_database(old)
    load_unit_list_path(db, SAMPLE_DIR / "units.xlsx")
    workbook = sorted((SAMPLE_DIR / "workbooks" / "2024").glob("*.xlsx"))[0]
    when = dt.datetime(2025, 1, 10, 9, 30)
    assert ingest_bytes(db, workbook.read_bytes(), workbook.name, received_at=when).status == "accepted"
    db.close()
    journal = audit.read_journal(archive_dir_for(old))
    upload = next(e for e in journal if e["kind"] == "upload")
    # the same line once more, before it, pending and without its marker: the cut-short attempt
    cut_short = {**upload, "txn": "0" * 32}
    i = journal.index(upload)
    entries = journal[:i] + [cut_short] + journal[i:]
    kept, skipped, confirmed = committed_entries(entries, old)
    assert [e["kind"] for e in kept].count("upload") == 1 and skipped == [cut_short] and confirmed
    # a withdrawal between the two attempts: the first one may have committed; the old database decides
    withdrawal = {"kind": "withdraw", "unit": "X", "year": 2024, "period": "Y", "version": 1}
    entries = journal[:i] + [cut_short, withdrawal] + journal[i:]
    kept, skipped, _ = committed_entries(entries, old)
    assert [e["kind"] for e in kept].count("upload") == 2 and skipped == []
