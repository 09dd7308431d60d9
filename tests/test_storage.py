"""Storage contract: schema versioning and forward migration, whole-or-nothing writes, one owner process."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from core import storage
from core.errors import DashboardError
from core.storage import MIGRATIONS, SCHEMA_VERSION, Database, open_database

PROJECT = storage.Path(storage.__file__).resolve().parent.parent


def _tables(path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()


def test_new_file_gets_latest_schema_and_root(tmp_path):
    db = open_database(tmp_path / "new.duckdb")
    assert db.schema_version() == SCHEMA_VERSION
    assert db.query_rows("SELECT kind, parent_code FROM units") == [("ROOT", None)]
    assert db.query_value("SELECT count(*) FROM submissions") == 0
    db.close()


def test_version_1_file_migrates_forward_keeping_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    # Build a file exactly as schema version 1 left it, with one row in it.
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for stmt in MIGRATIONS[1]:
        con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO units VALUES ('DB01', 'Đảng bộ A', 'DBCS', 'ROOT', NULL, 'unit_list', now()::TIMESTAMP)")
    con.close()
    assert "users" not in _tables(path)

    db = open_database(path)
    assert db.schema_version() == SCHEMA_VERSION
    assert db.query_value("SELECT name FROM units WHERE code = 'DB01'") == "Đảng bộ A"
    db.close()
    assert {"users", "audit_log"} <= _tables(path)


def test_newer_schema_than_the_program_is_refused_in_vietnamese(tmp_path):
    path = tmp_path / "future.duckdb"
    open_database(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(DashboardError, match="mới hơn phiên bản"):
        Database(path)


def test_a_failed_transaction_leaves_nothing(tmp_path):
    db = open_database(tmp_path / "tx.duckdb")
    version = db.data_version
    with pytest.raises(RuntimeError):
        with db.transaction() as cur:
            cur.execute("INSERT INTO units (code, name, kind, parent_code, inactive_from, source, updated_at) VALUES ('X1', 'X', 'DBCS', 'ROOT', NULL, 'unit_list', now()::TIMESTAMP)")
            raise RuntimeError("fault in the middle of a write")
    assert db.query_value("SELECT count(*) FROM units WHERE code = 'X1'") == 0
    assert db.data_version == version
    db.close()


def test_second_process_gets_a_clear_message(tmp_path):
    path = tmp_path / "owned.duckdb"
    db = open_database(path)
    code = (
        "from core.storage import open_database\n"
        "from core.errors import DashboardError\n"
        f"try:\n    open_database({str(path)!r})\nexcept DashboardError as e:\n    print(e.message)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert "tệp đang được một tiến trình khác sử dụng" in out.stdout
    assert "Traceback" not in out.stderr
    db.close()


def test_the_declared_tables_make_the_schema_and_the_loader_columns(tmp_path):
    """core/tables.py is the one place a column is written: a fresh database has exactly the declared
    columns, in order, and every sheet the loader stores maps onto a data table's declared columns."""
    from core.tables import DATA_COLUMNS, TABLES
    from loaders.schema import CELLS, MEETINGS

    db = open_database(tmp_path / "fresh.duckdb")
    for table in TABLES:
        got = [r[0] for r in db.query_rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table.name])]
        assert got == list(table.column_names), table.name
    db.close()
    assert DATA_COLUMNS["cells"] == tuple(c.key for c in CELLS.columns)
    assert DATA_COLUMNS["meetings"] == tuple(c.key for c in MEETINGS.columns)


def test_a_column_added_later_must_allow_null():
    """ALTER TABLE … ADD COLUMN cannot fill NOT NULL into old rows: such a declaration is refused."""
    from core.tables import TABLES

    for table in TABLES:
        for col in table.columns:
            if col.since > table.since:
                assert "NOT NULL" not in col.type and "PRIMARY KEY" not in col.type, (table.name, col.name)


def test_a_version_3_file_migrates_through_every_later_version(tmp_path):
    """A database of schema 3 (before the office's loop) opens at the latest version: every version's
    statements run in order, a version with none included (issue 13 adds version 5 while version 4 may be
    empty on this branch), and its rows read as received reports of units without contacts."""
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for version in (1, 2, 3):
        for stmt in MIGRATIONS[version]:
            con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    con.execute("INSERT INTO units (code, name, kind, parent_code, source, updated_at) "
                "VALUES ('DB01', 'Đảng bộ A', 'DBCS', 'ROOT', 'unit_list', now()::TIMESTAMP)")
    con.close()
    assert set(MIGRATIONS) == set(range(1, SCHEMA_VERSION + 1))
    db = open_database(path)
    assert db.schema_version() == SCHEMA_VERSION >= 5
    assert db.query_rows("SELECT contact_name, contact_email, contact_phone FROM units WHERE code = 'DB01'") == [
        (None, None, None)]
    assert db.query_value("SELECT count(*) FROM period_locks") == 0
    db.close()
    assert {"reviews", "period_locks", "reminders"} <= _tables(path)
