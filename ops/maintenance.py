"""Rebuild a database from the archive's original files and journal; back up and restore database + archive.

The archive (`<archive dir>/<hash[:2]>/<hash>.xlsx` plus `journal.jsonl`) is the durable record: every
accepted report, every unit list and every target override, in the order they happened. `rebuild` replays
it through the same loaders into a new file, so a lost or damaged database, or one built by an older
program, can be recreated. A backup is one .tar.gz holding a checkpointed copy of the database file and
the whole archive; `restore` puts both back and refuses to overwrite an existing database unless forced.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb

from core import audit, storage
from core.errors import DashboardError, disk_full_error, is_disk_full
from core.storage import SCHEMA_VERSION, Database, open_database

MSG_NO_JOURNAL = ("Không có nhật ký lưu trữ {path}: chỉ dựng lại được từ thư mục lưu trữ có tệp journal.jsonl "
                  "(các báo cáo nộp trước khi có nhật ký không được ghi vào đó)")
MSG_TARGET_EXISTS = "Cơ sở dữ liệu {path} đã có; hãy chọn tệp khác hoặc dùng --force để ghi đè"
MSG_SAME_FILE = "Cơ sở dữ liệu mới phải khác cơ sở dữ liệu nguồn {path}"
MSG_NOT_FOUND = "Không tìm thấy {path}"
MSG_BAD_BACKUP = "Tệp {path} không phải bản sao lưu của bảng điều khiển ({reason})"
MSG_ARCHIVE_CONFLICT = ("Thư mục lưu trữ {path} đã có nhật ký khác với bản sao lưu; dùng --force để thay bằng "
                        "nhật ký của bản sao lưu")

BACKUP_MANIFEST = "manifest.json"
BACKUP_DB = "db/dashboard.duckdb"
BACKUP_ARCHIVE = "archive"
SUBMISSION_KEY = ("unit_code", "year", "period", "version", "file_hash", "uploader", "received_at")


def archive_dir_for(db_path: str | Path) -> Path:
    """The archive folder that belongs to a database file (the rule of Database.archive_dir, unopened)."""
    return Database.archive_dir.fget(SimpleNamespace(path=Path(db_path)))


def _hash_path(archive_dir: Path, digest: str) -> Path:
    return archive_dir / digest[:2] / f"{digest}.xlsx"


def _original(archive_dir: Path, digest: str) -> bytes | None:
    """The archived bytes of a hash, or None when missing or not matching their hash."""
    path = _hash_path(archive_dir, digest)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


# ---------------------------------------------------------------- rebuild
@dataclass
class RebuildResult:
    """What a rebuild replayed, what it could not, and how the result compares with the old database."""

    target: str
    source_archive: str
    uploads: int = 0
    duplicates: int = 0
    unit_lists: int = 0
    targets: int = 0
    corrections: int = 0  # merges, withdrawals and their undoing
    problems: list[str] = field(default_factory=list)
    copied_users: int = 0
    copied_audit: int = 0
    mismatches: list[str] | None = None  # None: no old database to compare with
    # journal lines of changes whose COMMIT was cut short (a kill, a full disk), not replayed: file names
    # (or what the line was) — confirmed absent from the old database, or unconfirmable without one
    uncommitted: list[str] = field(default_factory=list)
    uncommitted_confirmed: bool = True  # False: no readable old database said whether they committed
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """A plain dict (the CLI's --json and the audit detail)."""
        return dict(self.__dict__)

    def message(self) -> str:
        """A Vietnamese summary of the rebuild."""
        text = (f"Đã dựng lại {self.target} từ {self.source_archive}: {self.uploads} báo cáo, "
                f"{self.unit_lists} lần nạp danh sách đơn vị, {self.targets} lần điều chỉnh mục tiêu "
                f"({self.seconds:.1f} giây).")
        if self.copied_users or self.copied_audit:
            text += f" Chép từ cơ sở dữ liệu cũ: {self.copied_users} người dùng, {self.copied_audit} dòng nhật ký."
        if self.mismatches is not None:
            text += (" Khớp hoàn toàn với cơ sở dữ liệu cũ." if not self.mismatches else
                     f" Khác cơ sở dữ liệu cũ ở {len(self.mismatches)} điểm.")
        if self.uncommitted:
            names = ", ".join(self.uncommitted[:10]) + (" …" if len(self.uncommitted) > 10 else "")
            text += (f" Bỏ qua {len(self.uncommitted)} lần ghi bị ngắt trước khi lưu xong (không có trong cơ sở "
                     f"dữ liệu cũ): {names}." if self.uncommitted_confirmed else
                     f" Bỏ qua {len(self.uncommitted)} lần ghi không có dấu xác nhận đã lưu (bị ngắt khi đang lưu; "
                     f"không có cơ sở dữ liệu cũ để đối chiếu): {names}. Nếu tệp nào trong số đó thực sự đã được "
                     "nhận, hãy nộp lại tệp đó.")
        return text


def rebuild(target: str | Path, source: str | Path | None = None, *, force: bool = False) -> RebuildResult:
    """Recreate a database at `target` by replaying the journal of `source` (an old database file, whose
    archive is used, or an archive folder; None = the default database's archive). Users and the audit
    log are copied from an old database that can still be read; the rebuilt file is compared with it."""
    from core.config import resolve_db_path

    started = time.monotonic()
    _refuse_postgres("rebuild", target)
    _refuse_postgres("rebuild", source or resolve_db_path())
    target = Path(target)
    src = Path(source) if source else resolve_db_path()
    old_db: Path | None = None
    if src.is_dir():
        src_archive = src
    else:
        old_db = src if src.exists() else None
        src_archive = archive_dir_for(src)
    if old_db is not None and old_db.resolve() == target.resolve():
        raise DashboardError(MSG_SAME_FILE.format(path=old_db))
    entries = audit.read_journal(src_archive)
    if not entries and old_db is not None:  # a database from before journals: its own rows are the history
        entries = _seed_from_old(old_db)
    if not entries:
        raise DashboardError(MSG_NO_JOURNAL.format(path=src_archive / audit.JOURNAL_NAME))
    result = RebuildResult(target=str(target), source_archive=str(src_archive))
    entries, skipped, confirmed = committed_entries(entries, old_db)
    result.uncommitted = [_entry_label(e) for e in skipped]
    result.uncommitted_confirmed = confirmed
    if target.exists():
        if not force:
            raise DashboardError(MSG_TARGET_EXISTS.format(path=target))
        _remove_db(target)
    db = open_database(target)
    with audit.suppressed():  # replaying history: no new audit rows or journal lines per step
        for entry in entries:
            _replay(db, src_archive, entry, result)
    new_archive = db.archive_dir
    if new_archive.resolve() != src_archive.resolve() or not (src_archive / audit.JOURNAL_NAME).exists():
        new_archive.mkdir(parents=True, exist_ok=True)
        with open(new_archive / audit.JOURNAL_NAME, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(e, ensure_ascii=False, default=str, sort_keys=True) + "\n" for e in entries)
    if old_db is not None:
        _copy_from_old(db, old_db, result)
    result.seconds = round(time.monotonic() - started, 2)
    audit.record(db, actor=None, action="rebuild", object=str(target),
                 detail={k: v for k, v in result.to_json().items() if k != "mismatches"}
                 | {"mismatches": len(result.mismatches or [])})
    return result


def committed_entries(entries: list[dict], old_db: Path | None) -> tuple[list[dict], list[dict], bool]:
    """(the journal entries to replay, in order and without their commit bookkeeping; the pending ones
    left out; whether an old database confirmed those were never committed).

    A line written inside a transaction carries a `txn` id and counts once its `committed` marker follows
    (core.audit.journal). A pending line without a marker is a change whose COMMIT was cut short — or,
    in the instant between the COMMIT and the marker, one that did commit: a readable old database
    decides (the upload, override or unit list is in it, or not); without one the line is left out and
    named, since replaying it could bring back an upload the database never had. Lines without a `txn`
    (journals of older versions, seed lines) are replayed as before."""
    marked = {e.get("txn") for e in entries if e.get("kind") == "committed"}
    pending = [e for e in entries if e.get("kind") != "committed" and e.get("txn") and e["txn"] not in marked]
    stored: set[str] = set()
    confirmed = False
    if pending and old_db is not None:
        try:
            con, owned = _old_connection(old_db)
        except duckdb.Error:
            con = None
        if con is not None:
            try:
                stored = {e["txn"] for e in pending if _in_old(con, e)}
                confirmed = True
            except duckdb.Error:  # a damaged old database cannot confirm anything
                stored, confirmed = set(), False
            finally:
                if owned:
                    con.close()
    stored -= _retried(entries, marked)
    keep, skipped = [], []
    for e in entries:
        if e.get("kind") == "committed":
            continue
        if e.get("txn") and e["txn"] not in marked and e["txn"] not in stored:
            skipped.append(e)
            continue
        keep.append({k: v for k, v in e.items() if k != "txn"})
    return keep, skipped, confirmed


def _retried(entries: list[dict], marked: set) -> set[str]:
    """The txn ids of pending upload lines whose bytes a later line stored for certain (marked, or from an
    older journal) with no withdrawal between: had the earlier attempt committed, the later one would have
    been a duplicate, which is never journaled — so the earlier one is an attempt cut short, whatever the
    old database seems to say (two attempts can carry the same received_at)."""
    out: set[str] = set()
    pending: dict[str, list[str]] = {}  # file_hash -> pending txn ids since the last withdrawal
    for e in entries:
        kind = e.get("kind")
        if kind == "withdraw":
            pending.clear()
        elif kind == "upload":
            digest, txn = e.get("file_hash"), e.get("txn")
            if txn and txn not in marked:
                pending.setdefault(digest, []).append(txn)
            else:
                out.update(pending.pop(digest, []))
    return out


def _in_old(con, entry: dict) -> bool:
    """Whether the old database holds the change of a pending journal line (see committed_entries)."""
    kind = entry.get("kind")
    if kind == "upload":
        return bool(con.execute("SELECT count(*) FROM submissions WHERE file_hash = ? AND received_at = ?",
                                [entry.get("file_hash"), dt.datetime.fromisoformat(entry["received_at"])]).fetchone()[0])
    if kind == "target":
        row = entry["row"]
        return bool(con.execute("SELECT count(*) FROM target_overrides WHERE indicator_id = ? AND year = ? "
                                "AND changed_at = ?", [row[0], row[1], dt.datetime.fromisoformat(row[7])]).fetchone()[0])
    if kind == "unit_list":  # the load's audit row names the list's hash (loading the same list twice is idempotent)
        return bool(con.execute("SELECT count(*) FROM audit_log WHERE action = 'unit_list_loaded' "
                                "AND contains(detail_json, ?)", [str(entry.get("file_hash"))]).fetchone()[0])
    return False


def _entry_label(entry: dict) -> str:
    """What a journal line is about, for a person: the file name, or indicator/year of a target."""
    if entry.get("kind") == "target":
        return f"mục tiêu {entry['row'][0]}/{entry['row'][1]}"
    return str(entry.get("file_name") or entry.get("file_hash") or "?")


def _replay(db: Database, archive_dir: Path, entry: dict, result: RebuildResult) -> None:
    from loaders.store import ingest_bytes
    from loaders.units import load_unit_list_bytes

    kind = entry.get("kind")
    if kind == "units_snapshot":  # the units a database held when its journal began
        with db.transaction() as cur:
            for row in entry["rows"]:  # 6 fields before schema 3, then active_from and merged_into, then contacts (5)
                row = (list(row) + [None] * 5)[:11]
                cur.execute("""INSERT INTO units (code, name, kind, parent_code, inactive_from, source, active_from,
                                                  merged_into, contact_name, contact_email, contact_phone, updated_at)
                               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)
                               ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                               parent_code = excluded.parent_code, inactive_from = excluded.inactive_from,
                               source = excluded.source, active_from = excluded.active_from,
                               merged_into = excluded.merged_into, contact_name = excluded.contact_name,
                               contact_email = excluded.contact_email, contact_phone = excluded.contact_phone""", row)
        return
    if kind in OFFICE_KINDS:  # corrections, reviews, locks, reminders, contacts: found again by their keys
        try:
            OFFICE_KINDS[kind](db, entry)
            result.corrections += 1
        except DashboardError as exc:
            result.problems.append(exc.message)
        return
    if kind == "target":
        with db.transaction() as cur:
            row = entry["row"]
            cur.execute("INSERT INTO target_overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        row[:7] + [dt.datetime.fromisoformat(row[7])])
        result.targets += 1
        return
    digest, name = entry.get("file_hash", ""), entry.get("file_name", "?")
    data = _original(archive_dir, digest)
    if data is None:
        result.problems.append(f"Thiếu hoặc hỏng bản gốc {name} ({digest[:12]}…) trong lưu trữ")
        return
    try:
        if kind == "unit_list":
            load_unit_list_bytes(db, data, name)
            result.unit_lists += 1
            return
        # every journaled upload was accepted once, a new unit included (an administrator had accepted it)
        r = ingest_bytes(db, data, name, received_at=dt.datetime.fromisoformat(entry["received_at"]),
                         uploader=entry.get("uploader"), add_units=True)
    except DashboardError as exc:
        result.problems.append(f"{name}: {exc.message}")
        return
    if r.status == "accepted":
        result.uploads += 1
    elif r.status == "duplicate":
        # A duplicate is never journaled, so an earlier line of these bytes is one whose COMMIT was cut
        # short (a crash); the report was really stored by this later attempt: take its who and when.
        when = dt.datetime.fromisoformat(entry["received_at"])
        with db.transaction() as cur:
            cur.execute("UPDATE submissions SET received_at = ?, uploader = ? WHERE file_hash = ? "
                        "AND status = 'current'", [when, entry.get("uploader"), digest])
            cur.execute("UPDATE archived_files SET stored_at = ? WHERE file_hash = ?", [when, digest])
        result.duplicates += 1
    else:
        result.problems.append(f"{name}: bị từ chối khi dựng lại ({len(r.errors)} lỗi)")


def _replay_correction(db: Database, entry: dict) -> None:
    from ops.corrections import replay

    replay(db, entry)


def _replay_review(db: Database, entry: dict) -> None:
    from ops.review import replay

    replay(db, entry)


def _replay_reminder(db: Database, entry: dict) -> None:
    from ops.reminders import replay

    replay(db, entry)


def _replay_contact(db: Database, entry: dict) -> None:
    from loaders.units import set_contact

    set_contact(db, entry["code"], name=entry.get("contact_name"), email=entry.get("contact_email"),
                phone=entry.get("contact_phone"))


# journal kinds of the changes people make after an upload, each replayed in its place by its stable keys
OFFICE_KINDS = {"merge": _replay_correction, "withdraw": _replay_correction, "undo": _replay_correction,
                "review": _replay_review, "lock": _replay_review, "unlock": _replay_review,
                "reminder": _replay_reminder, "reminder_email": _replay_reminder, "unit_contact": _replay_contact}


def _seed_from_old(path: Path) -> list[dict]:
    """Journal entries made from an old database's own rows (see audit._seed_entries); [] if unreadable."""
    try:
        con, owned = _old_connection(path)
    except duckdb.Error:
        return []
    try:
        return audit._seed_entries(SimpleNamespace(query_rows=lambda sql, params=None: con.execute(
            sql, params or []).fetchall()))
    finally:
        if owned:
            con.close()


def _old_connection(path: Path):
    """A read-only view of the old database: this process's own connection if it has the file open."""
    from core import storage

    opened = storage._OPEN.get(str(path.resolve()))
    if opened is not None:
        return opened.cursor(), False
    return duckdb.connect(str(path), read_only=True), True


def _copy_from_old(db: Database, old_path: Path, result: RebuildResult) -> None:
    """Users, audit log and meta flags from the old file, then compare the replayed submissions with it."""
    try:
        con, owned = _old_connection(old_path)
    except duckdb.Error as exc:
        result.problems.append(f"Không đọc được cơ sở dữ liệu cũ {old_path} để chép người dùng, nhật ký "
                               f"và đối chiếu: {exc}")
        return
    try:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        with db.transaction() as cur:
            for table, counter in (("users", "copied_users"), ("audit_log", "copied_audit")):
                if table not in tables:
                    continue
                df = con.execute(f"SELECT * FROM {table}").df()
                if df.empty:
                    continue
                cur.register("old_rows", df)
                cur.execute(f"DELETE FROM {table}")
                cur.execute(f"INSERT INTO {table} SELECT * FROM old_rows")
                cur.unregister("old_rows")
                setattr(result, counter, len(df))
            for key, value in con.execute("SELECT key, value FROM meta WHERE key <> 'schema_version'").fetchall():
                cur.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
        cols = ", ".join(SUBMISSION_KEY)
        sql = f"SELECT {cols} FROM submissions ORDER BY {cols}"
        old_rows = con.execute(sql).fetchall()
        new_rows = db.query_rows(sql)
        result.mismatches = [f"chỉ có ở cơ sở dữ liệu cũ: {r}" for r in sorted(set(old_rows) - set(new_rows), key=str)]
        result.mismatches += [f"chỉ có ở bản dựng lại: {r}" for r in sorted(set(new_rows) - set(old_rows), key=str)]
    finally:
        if owned:
            con.close()


# ---------------------------------------------------------------- backup and restore
@dataclass
class BackupResult:
    """One backup or restore: where, how many archived files, the database's counts, and time taken."""

    path: str
    db_path: str
    archive_files: int
    counts: dict[str, int]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        """A plain dict (CLI --json)."""
        return dict(self.__dict__)


COUNTED = ("units", "submissions", "archived_files", "target_overrides", "users", "audit_log")


def _counts(db: Database) -> dict[str, int]:
    return {t: int(db.query_value(f"SELECT count(*) FROM {t}")) for t in COUNTED}


MSG_POSTGRES = (
    "Lệnh {command} chỉ dùng cho cơ sở dữ liệu DuckDB dạng tệp. Cơ sở dữ liệu PostgreSQL ({target}) được sao "
    "lưu và phục hồi bằng công cụ của máy chủ (pg_dump / pg_restore), cùng với thư mục lưu trữ tệp gốc; "
    "xem docs/deployment-postgresql.md."
)


def _refuse_postgres(command: str, target) -> None:
    if not storage.backend_of(str(target)).file_backup:
        raise DashboardError(MSG_POSTGRES.format(command=command, target=storage.display_target(str(target))))


def backup(db: Database, out: str | Path, *, actor: str | None = None) -> BackupResult:
    """Write OUT.tar.gz: a consistent copy of the database (CHECKPOINT, then the file copied while the
    write lock is held, so no write can interleave) and the whole archive folder with its journal."""
    _refuse_postgres("backup", db.dsn or "")
    started = time.monotonic()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    archive = db.archive_dir
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        with db._write_lock:  # the app's writers wait; readers go on
            _checkpoint_waiting(db)
            counts = _counts(db)
            n_files = 0
            with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
                tar.add(str(db.path), arcname=BACKUP_DB)
                wal = db.path.with_name(db.path.name + ".wal")
                if wal.is_file():  # CHECKPOINT defers while another thread reads: the WAL then completes the copy
                    tar.add(str(wal), arcname=BACKUP_DB + ".wal")
                if archive.is_dir():
                    for p in sorted(archive.rglob("*")):
                        if p.is_file() and not p.name.startswith(".tmp-"):
                            tar.add(str(p), arcname=f"{BACKUP_ARCHIVE}/{p.relative_to(archive).as_posix()}")
                            n_files += p.suffix == ".xlsx"
                manifest = {"format": 1, "schema_version": db.schema_version(), "created_at":
                            dt.datetime.now().isoformat(timespec="seconds"), "db_name": db.path.name,
                            "counts": counts, "archive_files": n_files}
                blob = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                info = tarfile.TarInfo(BACKUP_MANIFEST)
                info.size, info.mtime = len(blob), int(time.time())
                tar.addfile(info, io.BytesIO(blob))
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if is_disk_full(exc):
            raise disk_full_error(f"bản sao lưu {out}", "chưa ghi được bản sao lưu, tệp dở dang đã được xóa") from None
        raise DashboardError(f"Không ghi được bản sao lưu {out}: {exc.strerror or exc}") from None
    result = BackupResult(str(out), str(db.path), n_files, counts, round(time.monotonic() - started, 2))
    try:
        audit.record(db, actor=actor, action="backup", object=str(out),
                     detail={"archive_files": n_files, "counts": counts, "bytes": out.stat().st_size})
    except DashboardError as exc:  # e.g. the backup itself took the last free space: it is whole, say so
        raise DashboardError(f"Đã ghi bản sao lưu {out}, nhưng chưa ghi được vào nhật ký hoạt động: "
                             f"{exc.message}") from None
    return result


# how long `backup` waits for the transactions in flight to finish before it gives up (seconds)
BACKUP_WAIT_SECONDS = 60.0


def _checkpoint_waiting(db: Database, wait: float | None = None) -> None:
    """CHECKPOINT, retried until it succeeds or `wait` seconds have passed (the caller holds the write lock,
    so no new write starts meanwhile). DuckDB refuses a CHECKPOINT ("other write transactions active")
    while a reader that began before the last commit still runs — those commits cannot be cleaned up
    yet — so "Sao lưu ngay" during uploads and page loads failed with DuckDB's raw message; readers
    finish in well under a second, so a short wait serialises the backup behind them."""
    deadline = time.monotonic() + (BACKUP_WAIT_SECONDS if wait is None else wait)
    pause = 0.02
    while True:
        try:
            db.checkpoint()
            return
        except DashboardError as exc:
            if not storage.is_busy_checkpoint(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _read_backup(path: Path, into: Path) -> dict:
    """Unpack a backup into `into` (members checked: only the expected names, no links or escapes)."""
    if not path.is_file():
        raise DashboardError(MSG_NOT_FOUND.format(path=path))
    try:
        with tarfile.open(path, "r:gz") as tar:
            for m in tar.getmembers():
                ok_name = m.name in (BACKUP_MANIFEST, BACKUP_DB, BACKUP_DB + ".wal") or \
                    m.name.startswith(BACKUP_ARCHIVE + "/")
                if not ok_name or not (m.isfile() or m.isdir()) or ".." in Path(m.name).parts:
                    raise DashboardError(MSG_BAD_BACKUP.format(path=path, reason=f"mục lạ “{m.name}”"))
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DashboardError(MSG_BAD_BACKUP.format(path=path, reason=exc)) from None
    try:
        manifest = json.loads((into / BACKUP_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DashboardError(MSG_BAD_BACKUP.format(path=path, reason="thiếu manifest.json")) from None
    if not (into / BACKUP_DB).is_file():
        raise DashboardError(MSG_BAD_BACKUP.format(path=path, reason="thiếu tệp cơ sở dữ liệu"))
    if int(manifest.get("schema_version", 0)) > SCHEMA_VERSION:
        raise DashboardError(f"Bản sao lưu {path} có phiên bản lược đồ {manifest['schema_version']}, mới hơn "
                             f"phiên bản {SCHEMA_VERSION} của chương trình. Hãy cập nhật chương trình.")
    return manifest


def restore(backup_path: str | Path, db_path: str | Path, *, force: bool = False,
            actor: str | None = None) -> BackupResult:
    """Put a backup's database at `db_path` and its files in that database's archive folder; refuses an
    existing database (or a different journal in the archive) unless `force`. Verifies counts and hashes."""
    started = time.monotonic()
    _refuse_postgres("restore", db_path)
    backup_path, db_path = Path(backup_path), Path(db_path)
    if db_path.exists() and not force:
        raise DashboardError(MSG_TARGET_EXISTS.format(path=db_path))
    archive = archive_dir_for(db_path)
    with tempfile.TemporaryDirectory(prefix="restore-", dir=db_path.parent if db_path.parent.exists() else None) as t:
        tmp = Path(t)
        manifest = _read_backup(backup_path, tmp)
        src_archive = tmp / BACKUP_ARCHIVE
        journal = src_archive / audit.JOURNAL_NAME
        here = archive / audit.JOURNAL_NAME
        if here.is_file() and journal.is_file() and here.read_bytes() != journal.read_bytes() and not force:
            raise DashboardError(MSG_ARCHIVE_CONFLICT.format(path=archive))
        n_files = 0
        if src_archive.is_dir():
            for p in sorted(src_archive.rglob("*")):
                if not p.is_file():
                    continue
                dest = archive / p.relative_to(src_archive)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, dest)
                n_files += p.suffix == ".xlsx"
        from core import storage

        opened = storage._OPEN.get(str(db_path.resolve()))
        if opened is not None:  # forced over a file this process has open: close it first
            opened.close()
        _remove_db(db_path)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp / BACKUP_DB, db_path)
        if (tmp / (BACKUP_DB + ".wal")).is_file():
            shutil.copyfile(tmp / (BACKUP_DB + ".wal"), db_path.with_name(db_path.name + ".wal"))
    db = open_database(db_path)
    counts = _counts(db)
    expected = manifest.get("counts", {})
    wrong = {k: (expected[k], counts[k]) for k in expected if k in counts and counts[k] != expected[k]}
    missing = [h for (h,) in db.query_rows("SELECT file_hash FROM archived_files") if _original(archive, h) is None]
    if wrong or missing:
        raise DashboardError(f"Bản phục hồi không khớp bản sao lưu: số dòng khác {wrong}, "
                             f"{len(missing)} bản gốc thiếu hoặc hỏng")
    result = BackupResult(str(backup_path), str(db_path), n_files, counts, round(time.monotonic() - started, 2))
    audit.record(db, actor=actor, action="restore", object=str(backup_path),
                 detail={"archive_files": n_files, "counts": counts, "backup_created_at": manifest.get("created_at")})
    return result
