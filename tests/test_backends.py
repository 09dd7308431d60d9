"""Choosing the backend, and the guarantees a shared PostgreSQL store adds (issue 6, item 3)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import storage
from core.config import load_config, resolve_db_path
from core.errors import DashboardError
from loaders.store import ingest_bytes
from core.storage import Database, is_postgres, open_database
from metrics.engine import compute
from tests import backends
from tests.builders import info_values, write_workbook

PROJECT = Path(__file__).resolve().parent.parent
pg_only = pytest.mark.skipif(not backends.POSTGRES, reason="needs the PostgreSQL pass's server")
DEAD_URL = "postgresql://dashboard:bi-mat-123@127.0.0.1:1/khong_co"  # port 1: nothing listens


# ------------------------------------------------------------------ choosing the backend
def test_a_postgresql_url_selects_the_server_and_anything_else_a_file(monkeypatch, tmp_path):
    assert resolve_db_path("postgresql://u@h:5432/d") == "postgresql://u@h:5432/d"
    assert resolve_db_path("postgres://u@h/d") == "postgres://u@h/d"
    assert resolve_db_path(str(tmp_path / "x.duckdb")) == tmp_path / "x.duckdb"
    monkeypatch.setenv("DASHBOARD_DB", "postgresql://env@h/d")
    assert resolve_db_path() == "postgresql://env@h/d"
    monkeypatch.delenv("DASHBOARD_DB")
    cfg = tmp_path / "dashboard.toml"
    cfg.write_text('[root]\ncode = "ROOT"\nname = "Gốc"\n[database]\npath = "x.duckdb"\n'
                   'url = "postgresql://cfg@h/d"\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(cfg))
    load_config.cache_clear()
    try:
        assert resolve_db_path() == "postgresql://cfg@h/d"
        assert resolve_db_path(str(tmp_path / "y.duckdb")) == tmp_path / "y.duckdb"  # --db still wins
    finally:
        load_config.cache_clear()
    assert is_postgres("postgresql://x") and not is_postgres(tmp_path / "postgresql:")


def test_passwords_never_appear_in_what_people_see():
    assert storage.display_target(DEAD_URL) == "postgresql://dashboard@127.0.0.1:1/khong_co"
    assert storage.display_target("/data/x.duckdb") == "/data/x.duckdb"


def test_an_unreachable_server_is_a_vietnamese_message_without_the_password():
    with pytest.raises(DashboardError) as err:
        Database(DEAD_URL)
    text = err.value.message if hasattr(err.value, "message") else str(err.value)
    assert "Không kết nối được tới máy chủ PostgreSQL" in text and "127.0.0.1:1" in text
    assert "bi-mat-123" not in text


def test_the_cli_says_so_in_vietnamese_and_exits_2(tmp_path):
    wb = write_workbook(tmp_path / "a.xlsx")
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DB",)}
    r = subprocess.run([sys.executable, "-m", "loaders", "ingest", str(wb), "--db", DEAD_URL], cwd=PROJECT,
                       env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert r.returncode == 2
    assert "Không kết nối được tới máy chủ PostgreSQL" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout and "bi-mat-123" not in r.stderr + r.stdout


def test_file_backups_refuse_a_postgresql_store_with_a_pointer_to_pg_dump(tmp_path):
    from ops.maintenance import rebuild, restore

    for call in (lambda: restore(tmp_path / "b.tar.gz", DEAD_URL, force=True),
                 lambda: rebuild(DEAD_URL, tmp_path)):
        with pytest.raises(DashboardError) as err:
            call()
        assert "pg_dump" in str(err.value) and "bi-mat-123" not in str(err.value)


# ------------------------------------------------------------------ one server, two instances
@pg_only
def test_a_second_instance_sees_an_upload_at_once_through_data_version(tmp_path):
    url = backends.server().new_database()
    one = open_database(url)
    other = Database(url)  # a second instance: its own connections, nothing shared in memory
    try:
        before_version = other.data_version
        before = compute(other, year=2024).to_json()
        wb = write_workbook(tmp_path / "a.xlsx", info=info_values(unit="DB07"), elements={"DOI_THOAI": 42})
        assert ingest_bytes(one, wb.read_bytes(), "a.xlsx", add_units=True).status == "accepted"
        assert other.data_version > before_version  # its caches key on this: none can stay stale
        after = compute(other, year=2024).to_json()
        assert before != after
        assert after["activities"]["DOI_THOAI"] == (before["activities"]["DOI_THOAI"] or 0) + 42
    finally:
        other.close()
        one.close()


@pg_only
def test_writers_of_two_instances_take_turns_and_the_later_one_sees_the_earlier(tmp_path):
    url = backends.server().new_database()
    first, second = open_database(url), Database(url)
    seen: dict[str, int] = {}
    holding = threading.Event()

    def slow_writer():
        with first.transaction() as cur:
            seen["first"] = storage.next_id(cur, "audit_log")
            cur.execute("INSERT INTO audit_log VALUES (?, now()::TIMESTAMP, 'a', 'login', NULL, NULL, 't')",
                        [seen["first"]])
            holding.set()
            time.sleep(1.0)  # the other instance must wait here, not read a stale max(id)

    try:
        t = threading.Thread(target=slow_writer)
        t.start()
        assert holding.wait(30)
        started = time.monotonic()
        with second.transaction() as cur:
            waited = time.monotonic() - started
            seen["second"] = storage.next_id(cur, "audit_log")
            cur.execute("INSERT INTO audit_log VALUES (?, now()::TIMESTAMP, 'b', 'login', NULL, NULL, 't')",
                        [seen["second"]])
        t.join(30)
        assert waited > 0.5  # it queued behind the first writer's advisory lock
        assert seen["second"] == seen["first"] + 1  # and its snapshot began after the first commit
        assert first.query_value("SELECT count(DISTINCT id) FROM audit_log WHERE origin = 't'") == 2
    finally:
        second.close()
        first.close()


@pg_only
def test_a_dropped_lock_connection_is_reopened_and_the_upload_still_lands(tmp_path):
    import psycopg

    url = backends.server().new_database()
    db = open_database(url)
    try:
        lock_pid = db._pg_lock_con.info.backend_pid
        with psycopg.connect(backends.server().base_url, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", [lock_pid]).fetchone()[0]
        wb = write_workbook(tmp_path / "a.xlsx", info=info_values(unit="DB05"))
        assert ingest_bytes(db, wb.read_bytes(), "a.xlsx", add_units=True).status == "accepted"
        assert db._pg_lock_con.info.backend_pid != lock_pid
        assert db.query_value("SELECT count(*) FROM submissions WHERE unit_code = 'DB05'") == 1
    finally:
        db.close()


def test_every_walk_of_the_unit_tree_reaches_the_bottom(tmp_path):
    """Four levels (root → committee → committee → two units): scope resolution, the unit tree, history's
    scope filter and the access check all reach the grandchildren — on PostgreSQL too, where a recursive
    step over the `units` table itself used to stop after two levels (storage.UNITS_CTE)."""
    from metrics import history
    from core.auth import in_scope
    from metrics import scope
    from tests.metric_fixtures import Org

    org = Org(tmp_path)
    org.units([("TT1", "Đảng ủy cấp trên 1", "DBCT", None, None), ("TT2", "Đảng ủy cấp trên 2", "DBCT", "TT1", None),
               ("DB01", "Đảng bộ Một", "DBCS", "TT2", None), ("CB01", "Chi bộ Hai", "CBCS", "TT2", None)])
    org.report("DB01", 2024, "Q1", elements={"DOI_THOAI": 2})
    org.report("CB01", 2024, "Q1", elements={"DOI_THOAI": 3})
    db = org.db
    assert scope.resolve_scope(db, "TT1").codes == ("CB01", "DB01", "TT1", "TT2")
    assert scope.scope_units(db, "TT1") == ["CB01", "DB01", "TT1", "TT2"]
    assert set(history.submission_history(db, unit="TT1")["unit_code"]) == {"DB01", "CB01"}
    assert in_scope(db, "TT1", "CB01") and in_scope(db, "TT1", "DB01") and not in_scope(db, "TT2", "TT1")
    tree = scope.unit_tree(db).set_index("code")
    assert tree.loc["DB01", "depth"] == 3 and tree.loc["DB01", "path"].endswith("TT1/TT2/DB01")
    assert compute(db, year=2024, unit="TT1").activities["DOI_THOAI"] == 5


# ------------------------------------------------------------------ opening is not a figure-changing write
def test_opening_the_database_leaves_data_version_alone(db_path, tmp_path, monkeypatch):
    """Issue 10, item 6: every instance keys its caches on data_version, so merely opening the database
    (another instance starting, a command-line run, a reopen) must not raise it; a real change at open
    (the root unit renamed in the configuration) still does, once."""
    first = Database(db_path)  # a new database: the migration created the schema and the root
    created = first.data_version
    first.close()
    again = Database(db_path)  # another process/instance opening the same database
    other = Database(db_path)
    try:
        assert again.data_version == other.data_version == created
        cfg = tmp_path / "dashboard.toml"
        cfg.write_text('[root]\ncode = "ROOT"\nname = "Đảng bộ đổi tên"\n', encoding="utf-8")
        monkeypatch.setenv("DASHBOARD_CONFIG", str(cfg))
        load_config.cache_clear()
        renamed = Database(db_path)
        try:
            assert renamed.data_version == created + 1
            assert renamed.query_value("SELECT name FROM units WHERE code = 'ROOT'") == "Đảng bộ đổi tên"
            once_more = Database(db_path)  # and opening once more changes nothing
            assert once_more.data_version == created + 1
            once_more.close()
        finally:
            renamed.close()
    finally:
        load_config.cache_clear()
        again.close()
        other.close()


def test_a_migration_at_open_raises_data_version(tmp_path):
    """The one other change opening makes: an older schema brought forward (the figures' source may
    differ), so the caches of a version-1 file are not kept."""
    import duckdb

    if backends.POSTGRES:
        pytest.skip("a schema-1 database is built here as a DuckDB file")
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for stmt in storage.MIGRATIONS[1]:
        con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('data_version', '7')")
    con.close()
    db = Database(path)
    try:
        assert db.schema_version() == storage.SCHEMA_VERSION and db.data_version == 8 + 1  # migration, new root
    finally:
        db.close()
    reopened = Database(path)
    assert reopened.data_version == 9
    reopened.close()
