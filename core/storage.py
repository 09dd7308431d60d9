"""All database access: the schema, its forward migrations, one owner connection per database.

Two backends behind one class, chosen by the database target (docs/decisions.md, "PostgreSQL backend"):
- a DuckDB file (the default): one process owns it; a cursor per thread for reads, one write lock and
  one transaction per stored file, so a file is stored whole or not at all;
- a PostgreSQL server (`postgresql://…`): DuckDB's postgres extension attaches it as catalog `pg` and
  every query, in the same DuckDB SQL, runs over it; several processes share it, and a PostgreSQL
  advisory lock (held on a psycopg connection) serialises their write transactions.
Callers never see which one they have.

Times (`received_at`, `changed_at`) are naive local times in the configured timezone (dashboard.toml);
timeliness compares their date with the deadline day.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import duckdb
import pandas as pd

from core.config import is_postgres, load_config
from core.errors import DashboardError, disk_full_error, is_disk_full
from core.tables import SCHEMA_VERSION, migration

# version -> statements that bring the schema from version-1 to version, derived from core/tables.py
MIGRATIONS: dict[int, list[str]] = {v: migration(v) for v in range(1, SCHEMA_VERSION + 1)}


@dataclass(frozen=True)
class Backend:
    """What a kind of database can do; code asks these questions instead of comparing backend names."""

    name: str  # "duckdb" | "postgres"
    shared: bool  # several processes write to it at once (writers take a cross-process lock)
    file_backup: bool  # `backup`, `restore` and `rebuild` work on it (a DuckDB file; PostgreSQL: pg_dump)
    list_submission_ids: bool  # queries list a scope's submission ids: the extension pushes a literal list
    # to the server, never a join; on a file the list only costs (measured: metrics/scope.py)


DUCKDB = Backend("duckdb", shared=False, file_backup=True, list_submission_ids=False)
POSTGRES = Backend("postgres", shared=True, file_backup=False, list_submission_ids=True)


def backend_of(target: object) -> Backend:
    """The backend a database target selects: a postgresql:// URL, else a DuckDB file."""
    return POSTGRES if is_postgres(target) else DUCKDB


# Every recursive walk of the unit tree reads this materialised copy, never `units` itself: with DuckDB's
# postgres extension a table scanned inside a recursive step yields rows on the first iteration only, so
# on PostgreSQL a walk over `units` silently stopped two levels down (found by comparing figures of a
# committee with committees below it on both backends; tests/test_backends.py keeps it from returning).
UNITS_CTE = "units_m AS MATERIALIZED (SELECT * FROM units)"


def subtree_cte(param: str) -> str:
    """CTEs (after WITH RECURSIVE) ending in `scope(code)`: the unit `$param` and every unit below it.
    UNION (not ALL) stops on a cycle in parent codes."""
    return (f"{UNITS_CTE}, scope(code) AS (SELECT code FROM units_m WHERE code = ${param} "
            "UNION SELECT u.code FROM units_m u JOIN scope s ON u.parent_code = s.code)")

PG_CATALOG = "pg"
# any fixed 64-bit key: the one PostgreSQL advisory lock every writing process takes (psql: pg_locks)
PG_WRITE_LOCK_KEY = 0x44414E475559  # "DANGUY"


def display_target(target: str | Path) -> str:
    """The target as shown to people: a file path, or a PostgreSQL URL without its password."""
    text = str(target)
    if is_postgres(text) and "@" in text:
        scheme, rest = text.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        return f"{scheme}://{cred.split(':', 1)[0]}@{host}"
    return text


class Database:
    """One open database (DuckDB file or PostgreSQL): thread-local cursors for reads, a lock and a
    transaction for writes."""

    def __init__(self, target: str | Path):
        self.backend = backend_of(target)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._pg_lock_con = None
        replayed = False
        if self.backend.shared:
            self.dsn = str(target)
            self.path = None
            self.name = display_target(self.dsn)
            self._con = _connect_postgres(self.dsn)
            self._pg_lock_con = _connect_lock(self.dsn)
        else:
            self.dsn = None
            self.path = Path(target)
            self.name = str(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # a WAL left beside the file means the last process did not close it (a crash, a kill, or an
            # older program): DuckDB replays it into memory on connect and keeps serving the replayed state
            replayed = wal_path(self.path).is_file()
            try:
                self._con = duckdb.connect(str(self.path))
            except duckdb.Error as exc:
                raise DashboardError(_open_message(self.path, self.archive_dir, exc)) from None
        try:
            self._migrate()
            self._ensure_root()
            if replayed:  # write the replayed changes into the file now, so queries read checkpointed storage
                try:
                    self._con.execute("CHECKPOINT")
                except duckdb.Error as exc:
                    if is_corruption(exc):
                        raise
                    # busy (another connection of this process) or no room: it stays in the WAL, as before
        except duckdb.Error as exc:  # a damaged block is often found only when the first table is read
            self._con.close()
            if self._pg_lock_con is not None:
                self._pg_lock_con.close()
            if self.backend.shared:
                raise _server_error("Lỗi khi đọc", self.dsn, exc) from None
            raise DashboardError(_open_message(self.path, self.archive_dir, exc)) from None

    @property
    def key(self) -> str:
        """What identifies this database among the open ones (the resolved file path, or the URL)."""
        return self.dsn if self.dsn else str(self.path.resolve())

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        if self.backend is POSTGRES:
            cur.execute(f"USE {PG_CATALOG}")  # USE is per connection; every cursor starts on the memory catalog
        return cur

    # ------------------------------------------------------------ reads
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared connection."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._new_cursor()
            self._local.cur = cur
        return cur

    def query_df(self, sql: str, params: list | dict | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame."""
        return self.cursor().execute(sql, params or []).df()

    def query_rows(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        """Run a read query and return its rows as tuples."""
        return self.cursor().execute(sql, params or []).fetchall()

    def query_value(self, sql: str, params: list | dict | None = None) -> Any:
        """Run a read query and return the first column of the first row (or None)."""
        row = self.cursor().execute(sql, params or []).fetchone()
        return None if row is None else row[0]

    @property
    def archive_dir(self) -> Path:
        """Where original bytes of accepted files go: $DASHBOARD_ARCHIVE, the configured dir for the
        configured database, else a folder beside this database file (so test databases stay apart)."""
        if os.environ.get("DASHBOARD_ARCHIVE"):
            return Path(os.environ["DASHBOARD_ARCHIVE"])
        cfg = load_config()
        if self.path is None or self.path.resolve() == cfg.db_path.resolve():
            return cfg.archive_dir
        return self.path.parent / f"{self.path.stem}-archive"

    @property
    def data_version(self) -> int:
        """A counter kept in the database that every committed write transaction raises, whichever
        process wrote: caches key on it, so no instance shows figures older than the last upload."""
        return int(self.query_value("SELECT value FROM meta WHERE key = 'data_version'") or 0)

    # ------------------------------------------------------------ writes
    @contextmanager
    def transaction(self, *, changes_figures: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """One serialised write transaction: everything inside commits together or not at all. Pass
        changes_figures=False for writes no figure depends on (an audit row), so caches stay valid."""
        with self._write_lock, self._cross_process_lock():
            cur = self._new_cursor()
            outer = getattr(self._local, "after_commit", None)
            self._local.after_commit = after = []
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                    if changes_figures:
                        cur.execute(_BUMP_VERSION)
                except BaseException:
                    try:
                        cur.execute("ROLLBACK")
                    finally:
                        cur.close()
                    raise
                try:
                    cur.execute("COMMIT")
                except duckdb.Error as exc:
                    # DuckDB has already rolled back a failed COMMIT (e.g. no room for its WAL): nothing of
                    # the transaction is stored, and the database stays usable once there is room again
                    try:
                        cur.execute("ROLLBACK")
                    except duckdb.Error:
                        pass
                    if is_disk_full(exc):
                        raise disk_full_error(f"cơ sở dữ liệu {self.name}", "không có thay đổi nào được lưu") from None
                    raise
                finally:
                    cur.close()
            finally:
                self._local.after_commit = outer
            for action in after:  # only after a successful COMMIT (see on_commit)
                action()

    def on_commit(self, action) -> bool:
        """Run `action` right after this thread's open write transaction commits (never if it rolls back);
        False when no write transaction is open in this thread (the caller's change is then already final).
        The journal uses it to mark a change committed only once it really is."""
        after = getattr(self._local, "after_commit", None)
        if after is None:
            return False
        after.append(action)
        return True

    def checkpoint(self) -> None:
        """Write every committed change into the DuckDB file itself and empty its WAL (nothing on
        PostgreSQL). Raises DashboardError when DuckDB cannot do it (see `_checkpoint_error`)."""
        if self.backend.shared:
            return
        try:
            self.cursor().execute("CHECKPOINT")
        except duckdb.Error as exc:
            raise _checkpoint_error(self.name, exc) from None

    @contextmanager
    def _cross_process_lock(self) -> Iterator[None]:
        """On PostgreSQL, the advisory lock that serialises writers of all processes. It is taken before
        the transaction's first statement, so the transaction's snapshot already sees every earlier
        writer's commit (the extension runs REPEATABLE READ; a lock taken inside it would come too late)."""
        if self._pg_lock_con is None:
            yield
            return
        try:
            self._pg_lock_con.execute("SELECT pg_advisory_lock(%s)", [PG_WRITE_LOCK_KEY])
        except Exception:  # psycopg.Error: the server restarted or dropped the idle connection; once more
            try:
                self._pg_lock_con.close()
            except Exception:  # noqa: BLE001 — it is already broken
                pass
            self._pg_lock_con = _connect_lock(self.dsn)
            try:
                self._pg_lock_con.execute("SELECT pg_advisory_lock(%s)", [PG_WRITE_LOCK_KEY])
            except Exception as exc:
                raise _server_error("Mất kết nối tới", self.dsn, exc) from None
        try:
            yield
        finally:
            try:
                self._pg_lock_con.execute("SELECT pg_advisory_unlock(%s)", [PG_WRITE_LOCK_KEY])
            except Exception:  # noqa: BLE001 — a dead connection has released its locks already
                pass

    def close(self) -> None:
        """Checkpoint and close the connection (tests and the CLI; the app keeps it for the process
        lifetime). The checkpoint leaves the next process a file without a WAL to replay: rows of a new
        report were reported invisible to `WHERE submission_id = …` after a replay under DuckDB 1.5.5
        (docs/decisions.md, Storage), and a process that never closed (the CLI's frozen garbage collector
        kept the connection alive past exit) left every write to the next one's replay."""
        _OPEN.pop(self.key, None)
        if not self.backend.shared:
            try:
                self._con.execute("CHECKPOINT")
            except duckdb.Error:  # e.g. no room on the disk: the WAL stays and is replayed, as after a crash
                pass
        self._con.close()
        if self._pg_lock_con is not None:
            self._pg_lock_con.close()

    # ------------------------------------------------------------ schema
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        return int(self.query_value("SELECT value FROM meta WHERE key = 'schema_version'") or 0)

    # Opening raises data_version only when it changed something a figure can depend on (a migration
    # ran, the root unit was created or renamed): on PostgreSQL every instance keys its caches on that
    # counter, so an instance merely starting must not empty all of them.
    def _migrate(self) -> None:
        with self.transaction(changes_figures=False) as cur:
            if self.backend is POSTGRES:
                cur.execute("CALL pg_clear_cache()")  # another instance may have migrated since we attached
            cur.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            cur.execute("INSERT INTO meta VALUES ('data_version', '0') ON CONFLICT (key) DO NOTHING")
            row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise DashboardError(
                    f"Cơ sở dữ liệu {self.name} có phiên bản lược đồ {current}, mới hơn phiên bản "
                    f"{SCHEMA_VERSION} của chương trình. Hãy cập nhật chương trình."
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS[version]:
                    cur.execute(stmt)
                cur.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
                )
            if current < SCHEMA_VERSION:
                cur.execute(_BUMP_VERSION)

    def _ensure_root(self) -> None:
        cfg = load_config()
        wanted = (cfg.root_name, "ROOT", None)
        # read first: an unchanged root needs no write transaction at all
        rows = self.query_rows("SELECT name, kind, parent_code FROM units WHERE code = ?", [cfg.root_code])
        if rows and tuple(rows[0]) == wanted:
            return
        with self.transaction(changes_figures=False) as cur:
            row = cur.execute("SELECT name, kind, parent_code FROM units WHERE code = ?", [cfg.root_code]).fetchone()
            if row is not None and tuple(row) == wanted:  # another instance set it meanwhile
                return
            cur.execute(
                """INSERT INTO units (code, name, kind, parent_code, inactive_from, source, updated_at)
                   VALUES (?, ?, 'ROOT', NULL, NULL, 'config', now()::TIMESTAMP)
                   ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = 'ROOT', parent_code = NULL""",
                [cfg.root_code, cfg.root_name],
            )
            cur.execute(_BUMP_VERSION)


_OPEN: dict[str, Database] = {}
_OPEN_LOCK = threading.Lock()


def read_meta(db: "Database", key: str) -> str | None:
    """A value of the `meta` table (None when unset)."""
    return db.query_value("SELECT value FROM meta WHERE key = ?", [key])


def write_meta(cur, key: str, value: str) -> None:
    """Set a value of the `meta` table inside an open write transaction."""
    cur.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def stored_hashes(db: "Database") -> set[str]:
    """The SHA-256 of every stored submission's original file."""
    return {h for (h,) in db.query_rows("SELECT file_hash FROM submissions")}


def is_open(db: "Database") -> bool:
    """True while `db` is the process's open Database for its target (not closed meanwhile)."""
    return _OPEN.get(db.key) is db


def open_database(path: str | Path | None = None) -> Database:
    """The process-wide Database for a file (created with the schema, empty, if missing)."""
    from core.config import resolve_db_path

    target = path if path else resolve_db_path()
    if is_postgres(str(target)):
        target, key = str(target), str(target)
    else:
        target = Path(target)
        key = str(target.resolve())
    with _OPEN_LOCK:
        db = _OPEN.get(key)
        if db is None:
            db = Database(target)
            _OPEN[key] = db
        return db


def next_id(cur: duckdb.DuckDBPyConnection, table: str) -> int:
    """The next id of `table` inside a write transaction (writers are serialised, so max + 1 is safe on
    both backends; PostgreSQL sequences are not reachable through the DuckDB extension)."""
    return int(cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])


_BUMP_VERSION = (
    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'"
)


def _extension_file() -> str:
    """The postgres extension of the pinned PyPI package, under the file name DuckDB's loader expects.

    The wheel ships `postgres.duckdb_extension`, but the extension's entry point is named after
    `postgres_scanner`, and LOAD derives the entry point from the file name; so a copy is kept under
    that name in a per-version folder of the temp dir (atomic rename: concurrent starts are safe)."""
    try:
        import duckdb_extension_postgres
    except ImportError:
        raise DashboardError(
            "Thiếu gói duckdb-extension-postgres để dùng PostgreSQL. Hãy chạy lại bash scripts/setup.sh."
        ) from None
    src = Path(duckdb_extension_postgres.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "postgres.duckdb_extension"
    if not src.is_file():
        raise DashboardError(
            f"Gói duckdb-extension-postgres không có bản cho DuckDB {duckdb.__version__}. "
            "Hãy chạy lại bash scripts/setup.sh để cài đúng phiên bản đã ghim."
        )
    dest = Path(tempfile.gettempdir()) / f"dashboard-duckdb-{duckdb.__version__}" / "postgres_scanner.duckdb_extension"
    if not dest.is_file() or dest.stat().st_size != src.stat().st_size:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent)
        os.close(fd)
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    return str(dest)


def _connect_postgres(dsn: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the PostgreSQL database attached as catalog `pg`."""
    con = duckdb.connect()
    try:
        con.execute(f"LOAD '{_extension_file()}'")
        con.execute(f"ATTACH '{dsn.replace(chr(39), chr(39) * 2)}' AS {PG_CATALOG} (TYPE postgres)")
    except duckdb.Error as exc:
        con.close()
        raise _server_error("Không kết nối được tới", dsn, exc) from None
    return con


def _connect_lock(dsn: str):
    """A psycopg connection of its own for the advisory write lock (autocommit: it holds no snapshot)."""
    import psycopg

    try:
        return psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as exc:
        raise _server_error("Không kết nối được tới", dsn, exc) from None


def _server_error(what: str, dsn: str, exc: Exception) -> DashboardError:
    """'<what> máy chủ PostgreSQL <url without password>: <the driver's first line, password scrubbed>'."""
    return DashboardError(f"{what} máy chủ PostgreSQL {display_target(dsn)}: {_scrub(_first_line(exc), dsn)}")


def _scrub(text: str, dsn: str) -> str:
    """A driver's message without the URL's password (drivers quote the whole connection string)."""
    from urllib.parse import unquote, urlsplit

    text = text.replace(dsn, display_target(dsn))
    try:
        password = urlsplit(dsn).password
    except ValueError:
        password = None
    for secret in {password, unquote(password or "")} - {None, ""}:
        text = text.replace(secret, "***")
    return text


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# DuckDB's words for another process holding the file (its advisory lock), matched as phrases: a bare
# "lock" also matched "block" in "checksum … in block at location 4096", so a damaged file was reported
# as one in use
_LOCK_TEXTS = ("could not set lock", "conflicting lock")
# DuckDB's words for a file (or its WAL) that is damaged or not a database at all
_CORRUPT_TEXTS = ("not a valid duckdb database", "corrupt", "checksum", "could not read enough bytes",
                  "failure while replaying wal", "serialization error")

MSG_IN_USE = ("Không mở được cơ sở dữ liệu {path}: tệp đang được một tiến trình khác sử dụng "
              "(ví dụ ứng dụng bảng điều khiển đang chạy). Hãy dừng tiến trình đó hoặc dùng --db với tệp khác.")
MSG_CORRUPT = ("Tệp cơ sở dữ liệu {path} bị hỏng (dữ liệu trong tệp không khớp mã kiểm tra hoặc không phải tệp "
               "cơ sở dữ liệu), không dùng được nữa. Hãy phục hồi từ bản sao lưu gần nhất "
               "(python -m loaders restore SAO_LUU.tar.gz --db {path} --force) hoặc dựng lại từ các tệp gốc "
               "(python -m loaders rebuild --db TỆP_MỚI.duckdb --from {archive}). Giữ lại tệp hỏng cho đến khi "
               "đã phục hồi xong.")
MSG_OPEN_OTHER = "Không mở được cơ sở dữ liệu {path}: {reason}"
MSG_BUSY_CHECKPOINT = ("Cơ sở dữ liệu {name} đang bận (các thao tác đọc và ghi khác chưa xong), chưa ghi được "
                       "bản chụp nhất quán. Hãy thử lại sau ít phút.")


def is_corruption(exc: BaseException) -> bool:
    """True when a DuckDB error says the file or its WAL is damaged (checksums, truncation, not a database)."""
    text = str(exc).lower()
    return any(t in text for t in _CORRUPT_TEXTS)


def describe_error(path: str | Path, exc: BaseException) -> str:
    """A Vietnamese message for a DuckDB error met while opening or reading a database file: in use by
    another process, damaged (with how to recover), no room on the disk, or the first line otherwise."""
    if is_postgres(str(path)):
        return _server_error("Lỗi khi đọc", str(path), exc).message
    return _open_message(Path(path), _archive_of(Path(path)), exc)


def _archive_of(path: Path) -> Path:
    return Database.archive_dir.fget(SimpleNamespace(path=path))


def _open_message(path: Path, archive: Path, exc: BaseException) -> str:
    text = str(exc).lower()
    if any(t in text for t in _LOCK_TEXTS):
        return MSG_IN_USE.format(path=path)
    if is_corruption(exc):
        return MSG_CORRUPT.format(path=path, archive=archive)
    if is_disk_full(exc):
        return disk_full_error(f"cơ sở dữ liệu {path}", "chưa mở được tệp").message
    reason = _first_line(exc)
    for prefix in ("IO Error: ", "Invalid Input Error: ", "Permission Error: "):
        reason = reason.removeprefix(prefix)
    return MSG_OPEN_OTHER.format(path=path, reason=reason)


class BusyCheckpoint(DashboardError):
    """CHECKPOINT refused because other transactions are still in flight: worth waiting for."""


def is_busy_checkpoint(exc: BaseException) -> bool:
    """True for the refusal a short wait can cure (see ops.maintenance._checkpoint_waiting)."""
    return isinstance(exc, BusyCheckpoint)


def _checkpoint_error(name: str, exc: BaseException) -> DashboardError:
    """A failed CHECKPOINT in Vietnamese: no room, damaged file, or still busy (see Database.checkpoint)."""
    if is_disk_full(exc):
        return disk_full_error(f"cơ sở dữ liệu {name}", "dữ liệu đã lưu vẫn an toàn trong nhật ký ghi của tệp")
    if is_corruption(exc):
        return DashboardError(MSG_CORRUPT.format(path=name, archive=_archive_of(Path(name))))
    if "cannot checkpoint" in str(exc).lower():
        return BusyCheckpoint(MSG_BUSY_CHECKPOINT.format(name=name))
    return DashboardError(f"Không ghi được dữ liệu vào tệp cơ sở dữ liệu {name}: {_first_line(exc)}")


@contextmanager
def closing_new_databases() -> Iterator[None]:
    """Close (and so checkpoint), on leaving the block, every database opened inside it that was not open
    before: a command-line run leaves no write only in the WAL for the next process to replay."""
    before = set(_OPEN)
    try:
        yield
    finally:
        for key in [k for k in list(_OPEN) if k not in before]:
            db = _OPEN.get(key)
            if db is not None:
                db.close()


def wal_path(path: str | Path) -> Path:
    """The write-ahead log DuckDB keeps beside a database file."""
    path = Path(path)
    return path.with_name(path.name + ".wal")
