"""The audit trail: who did what, to what, when and from where (table `audit_log`, append-only).

Rows are only ever inserted: this module has no update or delete, and no page or command offers one.
The trust boundary is the DuckDB file itself: whoever can write the file (the server account, a backup
operator) can alter anything in it, the log included; the log protects against mistakes and disputes
inside the application, not against someone holding the file. Keep the file and its backups on storage
that only the server account and administrators can write.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import errno
import getpass
import json
import os
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pandas as pd

from core.clock import now_local
from core.errors import DashboardError

# action code -> Vietnamese label (the codes are stored; labels are shown)
ACTIONS: dict[str, str] = {
    "upload_accepted": "Nhận báo cáo",
    "upload_rejected": "Từ chối báo cáo",
    "upload_duplicate": "Báo cáo trùng (không thay đổi)",
    "submission_replaced": "Thay thế báo cáo kỳ trước",
    "unit_list_loaded": "Nạp danh sách đơn vị",
    "unit_list_rejected": "Từ chối danh sách đơn vị",
    "target_changed": "Thay đổi mục tiêu chỉ tiêu",
    "user_created": "Tạo người dùng",
    "user_changed": "Sửa người dùng",
    "user_deactivated": "Khóa người dùng",
    "login": "Đăng nhập",
    "login_failed": "Đăng nhập không thành công",
    "login_throttled": "Đăng nhập bị tạm chặn (sai quá nhiều lần)",
    "export": "Xuất dữ liệu",
    "rebuild": "Dựng lại cơ sở dữ liệu từ lưu trữ",
    "backup": "Sao lưu",
    "restore": "Phục hồi từ bản sao lưu",
    "report_withdrawn": "Rút báo cáo đã nộp",
    "units_merged": "Hợp nhất đơn vị",
    "change_undone": "Hoàn tác thay đổi",
    "report_approved": "Duyệt báo cáo",
    "report_returned": "Trả lại báo cáo",
    "period_locked": "Khóa kỳ báo cáo",
    "period_unlocked": "Mở khóa kỳ báo cáo",
    "reminder_sent": "Lập công văn đôn đốc",
    "reminder_emailed": "Gửi e-mail đôn đốc",
    "unit_contact_changed": "Sửa thông tin liên hệ của đơn vị",
}

COLUMN_LABELS = {"id": "STT", "at_time": "Thời gian", "actor": "Người thực hiện", "action": "Mã hành động",
                 "action_label": "Hành động", "object": "Đối tượng", "detail_json": "Chi tiết",
                 "origin": "Nơi thực hiện"}

_INSERT = ("INSERT INTO audit_log (id, at_time, actor, action, object, detail_json, origin) "
           "VALUES ((SELECT coalesce(max(id), 0) + 1 FROM audit_log), ?, ?, ?, ?, ?, ?)")  # writers are serialised


JOURNAL_NAME = "journal.jsonl"

# set while `rebuild` replays the journal: the replay must not log or journal its own steps again
_QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_quiet", default=False)


@contextmanager
def suppressed() -> Iterator[None]:
    """Inside this block record() and journal() do nothing (the rebuild replays history, it makes none)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def record(target, *, actor: str | None, action: str, object: str | None = None, detail: dict | None = None,
           origin: str | None = None) -> None:
    """Append one audit row: `target` is a Database (own small write) or a cursor inside an open
    transaction (the row then commits, or rolls back, with the change it describes). origin None = detected
    (web@client address inside Streamlit, else cli@host); an empty actor = default_actor() / "web:?"."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")  # a programming error, not a user one
    if _QUIET.get():
        return
    origin = origin or current_origin()
    actor = (actor or "").strip() or ("web:?" if origin.startswith("web") else default_actor())
    params = [now_local(), actor, action, object,
              None if detail is None else json.dumps(detail, ensure_ascii=False, default=str), origin]
    if hasattr(target, "transaction"):
        # one autocommitted INSERT under the write lock, without bumping data_version: an audit row
        # changes no figure, so it must not throw away every cached chart (a login, a rejected file)
        with target.transaction(changes_figures=False) as cur:
            cur.execute(_INSERT, params)
    else:
        target.execute(_INSERT, params)


def record_upload(target, result, *, actor: str | None, origin: str | None = None, note: str | None = None) -> None:
    """The audit row of one upload outcome (an IngestResult or the upload page's Preview): accepted,
    rejected, duplicate; a replacement also gets its submission_replaced row. `note`: who the account
    submitted for ("nộp thay cho"), kept beside the account, never instead of it."""
    action = {"accepted": "upload_accepted", "rejected": "upload_rejected",
              "duplicate": "upload_duplicate"}.get(result.status)
    if action is None:
        return
    name = getattr(result, "file", None) or getattr(result, "name", None)
    digest = getattr(result, "file_hash", None) or getattr(result, "digest", None)
    detail: dict[str, Any] = {"file_hash": digest, "unit": result.unit, "year": result.year,
                              "period": result.period}
    if note:
        detail["on_behalf_of"] = note
    if result.status == "accepted":
        detail.update(version=result.version, submission_id=result.submission_id,
                      warnings=len(result.warnings))
    if result.status == "rejected":
        detail.update(errors=len(result.errors), first_errors=[i.to_json() for i in result.errors[:5]])
    record(target, actor=actor, action=action, object=name, detail=detail, origin=origin)
    if result.status == "accepted" and result.replaced_previous:
        record(target, actor=actor, action="submission_replaced",
               object=f"{result.unit}/{result.year}/{result.period}",
               detail={"file_hash": digest, "version": result.version}, origin=origin)


def audited(make: Callable[[], bytes], db, *, object: str, actor: str | None = None,
            detail: dict | None = None) -> Callable[[], bytes]:
    """Wrap an export's byte generator so that producing the file records an `export` audit row
    (download buttons call it only when clicked)."""
    origin = current_origin()  # now: Streamlit runs a deferred download outside the script's context

    def run() -> bytes:
        data = make()
        record(db, actor=actor, action="export", object=object, detail={**(detail or {}), "bytes": len(data)},
               origin=origin)
        return data
    return run


def journal(target, entry: dict) -> None:
    """Append one line to the archive's journal.jsonl (fsynced): the history rebuild replays. `target` is
    the Database (its archive folder; a journal started on a database that already holds data first gets
    that data as seed lines, so the journal always covers everything) or an archive folder.

    Written inside an open write transaction of the Database, the line is *pending* (it carries a `txn`
    id) and a `{"kind": "committed", "txn": …}` line follows only once that transaction has committed:
    a process killed, or a disk found full, between the line and the COMMIT leaves a pending line that
    `rebuild` does not replay (ops.maintenance.committed_entries)."""
    if _QUIET.get():
        return
    path = Path(getattr(target, "archive_dir", target)) / JOURNAL_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    if hasattr(target, "on_commit"):
        txn = uuid.uuid4().hex
        if target.on_commit(lambda: _mark_committed(path, txn)):
            entry = {**entry, "txn": txn}
    entries = [entry]
    if hasattr(target, "archive_dir") and not path.exists():
        entries = _seed_entries(target) + entries
    # markers an earlier full disk kept from being written go first: their transactions committed before
    late = _UNMARKED.get(str(path), [])
    _append(path, [{"kind": "committed", "txn": t} for t in late] + entries)
    if late:
        del _UNMARKED[str(path)][:len(late)]


# commit markers that could not be written (no room on the disk right after the COMMIT), per journal
# file: the next journal line written by this process carries them first
_UNMARKED: dict[str, list[str]] = {}


def _mark_committed(path: Path, txn: str) -> None:
    """Write the commit marker of a pending line (run by the Database right after the COMMIT)."""
    try:
        _append(path, [{"kind": "committed", "txn": txn}])
    except OSError:  # the change is stored; its marker waits for the next line (or rebuild asks the old database)
        _UNMARKED.setdefault(str(path), []).append(txn)


def _append(path: Path, entries: list[dict]) -> None:
    """Append whole lines or nothing: one write() on an O_APPEND descriptor, fsynced; a short or failed
    write (a full disk) is cut back to the previous end, so no torn line is left for the next line to be
    glued to (a crash mid-write can still leave a torn last line, which read_journal skips)."""
    data = b"".join((json.dumps(e, ensure_ascii=False, default=str, sort_keys=True) + "\n").encode("utf-8")
                    for e in entries)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        end = os.fstat(fd).st_size  # writers are serialised, so nothing else appends meanwhile
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            os.fsync(fd)
        except OSError:
            try:
                os.ftruncate(fd, end)
            except OSError:  # noqa: S110 — nothing more can be done; read_journal skips a torn line
                pass
            raise
    finally:
        os.close(fd)


def _seed_entries(db) -> list[dict]:
    """Journal lines for what a database held before its journal began (committed state: the caller's own
    open transaction is not seen, its entry follows): the units, every submission in order, overrides."""
    subs = db.query_rows("SELECT file_hash, file_name, uploader, received_at FROM submissions ORDER BY id")
    overrides = db.query_rows("SELECT * FROM target_overrides ORDER BY changed_at")
    base = "code, name, kind, parent_code, inactive_from, source, active_from, merged_into"
    try:
        units = db.query_rows(f"SELECT {base}, contact_name, contact_email, contact_phone FROM units "
                              "WHERE source <> 'config' ORDER BY code")
    except duckdb.Error:  # an old database (before schema 5) read by rebuild: no contact columns yet
        units = db.query_rows(f"SELECT {base} FROM units WHERE source <> 'config' ORDER BY code")
    if not (subs or overrides or units):
        return []
    out: list[dict] = [{"kind": "units_snapshot", "rows": [list(u) for u in units]}] if units else []
    out += [{"kind": "upload", "file_hash": h, "file_name": n, "uploader": u, "received_at": r.isoformat(sep=" ")}
            for h, n, u, r in subs]
    out += [{"kind": "target", "row": list(o[:7]) + [o[7].isoformat(sep=" ")]} for o in overrides]
    return out


def read_journal(archive_dir: str | Path) -> list[dict]:
    """Every complete journal line in order ([] when there is no journal); a torn last line is skipped."""
    path = Path(archive_dir) / JOURNAL_NAME
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:  # only a crash mid-write produces one; nothing after it was committed
            continue
    return out


def recent_login_failures(db, *, since: dt.datetime, name: str | None = None,
                          origin: str | None = None) -> tuple[int, dt.datetime | None]:
    """(how many failed sign-ins, the latest one's time) since `since`: of one login name (only those after
    its last successful sign-in), or from one origin (all names). Read from the database, so every app
    instance on a shared store sees the same count."""
    if name is not None:
        rows = db.query_rows(
            """SELECT count(*), max(at_time) FROM audit_log
               WHERE action = 'login_failed' AND object = $name AND at_time >= $since
                 AND at_time > coalesce((SELECT max(at_time) FROM audit_log
                                         WHERE action = 'login' AND object = $name), $since)""",
            {"name": name, "since": since})
    else:
        rows = db.query_rows("SELECT count(*), max(at_time) FROM audit_log "
                             "WHERE action = 'login_failed' AND origin = $origin AND at_time >= $since",
                             {"origin": origin, "since": since})
    count, last = rows[0]
    return int(count or 0), last


def list_events(db, *, since: dt.date | dt.datetime | str | None = None,
                until: dt.date | dt.datetime | str | None = None, actor: str | None = None,
                action: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Audit rows newest first, filtered by time (since inclusive; a date `until` includes that whole day),
    actor and action; columns id, at_time, actor, action, action_label, object, detail_json, origin."""
    where, params = [], []
    if since is not None:
        where.append("at_time >= ?")
        params.append(_as_datetime(since, end=False))
    if until is not None:
        where.append("at_time < ?")
        params.append(_as_datetime(until, end=True))
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        if action not in ACTIONS:
            raise DashboardError(f"Hành động “{action}” không có; chọn một trong: {', '.join(ACTIONS)}")
        where.append("action = ?")
        params.append(action)
    sql = "SELECT id, at_time, actor, action, object, detail_json, origin FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY at_time DESC, id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    df = db.query_df(sql, params)
    df.insert(4, "action_label", df["action"].map(lambda a: ACTIONS.get(a, a)).astype(object))
    return df


def _as_datetime(value, *, end: bool) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip()) if "T" in value or " " in value.strip() \
                else dt.date.fromisoformat(value.strip())
        except ValueError:
            raise DashboardError(f"Ngày không hợp lệ: “{value}” (dùng dạng 2024-04-10)") from None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    start = dt.datetime.combine(value, dt.time())
    return start + dt.timedelta(days=1) if end else start


def default_actor() -> str:
    """The command-line actor: "os:<login name>" ("os:?" when the system has none)."""
    try:
        return "os:" + getpass.getuser()
    except Exception:  # no login name in some containers
        return "os:?"


def cli_origin() -> str:
    """Where a command-line action comes from: "cli@<hostname>"."""
    return "cli@" + (socket.gethostname() or "?")


# Where an action comes from is known to the interface that runs it, not to this module: the web interface
# registers a function answering "web@<client address>" while one of its script runs is active (and None
# elsewhere); with none registered, or none answering, the action comes from the command line.
_ORIGIN_PROVIDERS: list[Callable[[], str | None]] = []


def register_origin(provider: Callable[[], str | None]) -> None:
    """Let an interface say where the current action comes from (None: not one of its actions)."""
    if provider not in _ORIGIN_PROVIDERS:
        _ORIGIN_PROVIDERS.append(provider)


def current_origin() -> str:
    """The first registered interface's answer, else cli@host."""
    for provider in _ORIGIN_PROVIDERS:
        origin = provider()
        if origin:
            return origin
    return cli_origin()
