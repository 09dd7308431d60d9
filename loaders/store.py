"""Read → coerce → validate → store: one workbook is one transaction, accepted or rejected as a whole.

The upload page (`preview_bytes`, `ingest_bytes`) and the CLI (`ingest_paths`) call these same functions.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from core import audit
from core.clock import PERIOD_RANK_SQL, to_local
from core.text import fmt_period
from core.auth import MANAGE_UNITS, UPLOAD, Principal, authorize_upload, recorded_uploader, require
from core.config import load_config
from core.errors import DashboardError, Issue, disk_full_error, is_disk_full
from loaders.reader import PendingRead
from loaders.schema import INFO, PERIOD_LABELS, PETITIONS
from core.storage import Database, next_id
from core.tables import DATA_COLUMNS
from loaders.validate import ParsedWorkbook, validate_workbook

MSG_NOT_FOUND = "Không tìm thấy tệp hoặc thư mục"
MSG_UNREADABLE = "Không đọc được tệp: {reason}"
MSG_ARCHIVE = "Không ghi được bản gốc vào thư mục lưu trữ {path} ({reason}); tệp chưa được lưu"
MSG_LOCKED = ("Kỳ báo cáo {label} đã khóa từ {at}: báo cáo của kỳ này đã được duyệt, không nộp mới hoặc "
              "nộp lại được. Nếu cần nộp lại, đề nghị quản trị hệ thống mở khóa kỳ báo cáo")
MSG_PETITION_DROPPED = ("Đơn thư số {no} đang giải quyết ở báo cáo {prev} nhưng không có trong báo cáo này; đơn chưa "
                        "giải quyết xong phải được ghi lại ở báo cáo kỳ sau với tình trạng mới")

@dataclass
class IngestResult:
    """The outcome for one file: status accepted | rejected | duplicate (preview: valid instead of accepted)."""

    file: str
    status: str
    unit: str | None = None
    year: int | None = None
    period: str | None = None
    replaced_previous: bool = False
    version: int | None = None
    submission_id: int | None = None
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    file_hash: str | None = None
    parsed: ParsedWorkbook | None = field(default=None, repr=False)
    # the unknown unit the workbook names (code, name, kind, parent_code): an administrator may accept it
    proposed_unit: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True unless the file was rejected."""
        return self.status != "rejected"

    def to_json(self) -> dict[str, Any]:
        """The per-file object of interfaces.md (`python -m loaders ingest --json`)."""
        d: dict[str, Any] = {"file": self.file, "status": self.status, "unit": self.unit, "year": self.year,
                             "period": self.period}
        if self.status != "rejected":
            d["replaced_previous"] = self.replaced_previous
        d["errors"] = [i.to_json() for i in self.errors]
        d["warnings"] = [i.to_json() for i in self.warnings]
        return d


# ---------------------------------------------------------------- analysis (no writes)
def load_units(db: Database) -> dict[str, dict[str, Any]]:
    """Every unit in the database keyed by code (name, kind, parent_code, inactive_from)."""
    rows = db.query_rows("SELECT code, name, kind, parent_code, inactive_from, active_from, merged_into FROM units")
    return {r[0]: {"name": r[1], "kind": r[2], "parent_code": r[3], "inactive_from": r[4], "active_from": r[5],
                   "merged_into": r[6]} for r in rows}


def _current(cur_or_db, unit: str, year: int, period: str) -> tuple[int, str] | None:
    sql = ("SELECT id, file_hash FROM submissions WHERE unit_code = ? AND year = ? AND period = ? "
           "AND status = 'current' ORDER BY version DESC LIMIT 1")
    params = [unit, year, period]
    if isinstance(cur_or_db, Database):
        rows = cur_or_db.query_rows(sql, params)
    else:
        rows = cur_or_db.execute(sql, params).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def _current_and_next_version(cur, unit: str, year: int, period: str) -> tuple[tuple[int, str] | None, int]:
    """(id, file hash) of the current submission of a report or None, and the next version number: one query."""
    row = cur.execute(
        "SELECT arg_max(id, version) FILTER (WHERE status = 'current'), "
        "arg_max(file_hash, version) FILTER (WHERE status = 'current'), coalesce(max(version), 0) + 1 "
        "FROM submissions WHERE unit_code = ? AND year = ? AND period = ?", [unit, year, period]).fetchone()
    return ((row[0], row[1]) if row[0] is not None else None), row[2]


def _rows(cur_or_db, sql: str, params: list) -> list[tuple]:
    if isinstance(cur_or_db, Database):
        return cur_or_db.query_rows(sql, params)
    return cur_or_db.execute(sql, params).fetchall()


def period_lock(cur_or_db, year: int, period: str) -> tuple[dt.datetime, str] | None:
    """(locked_at, locked_by) of the lock holding a reporting period (year, period), or None when it is
    open. A locked period refuses every upload, the operator's included, until an administrator unlocks it
    (ops.review)."""
    rows = _rows(cur_or_db, "SELECT locked_at, locked_by FROM period_locks WHERE year = ? AND period = ? "
                            "AND unlocked_at IS NULL ORDER BY id DESC LIMIT 1", [int(year), str(period)])
    return (rows[0][0], rows[0][1]) if rows else None


def _lock_issue(parsed: ParsedWorkbook, year: int, period: str, lock: tuple) -> Issue:
    """The validation error of an upload into a locked period, on the `Kỳ báo cáo` cell."""
    label = PERIOD_LABELS.get(period, period)
    return Issue(INFO.name, (parsed.info_rows or {}).get("period"), INFO.column("period").header, label,
                 MSG_LOCKED.format(label=fmt_period(period, year), at=lock[0].strftime("%d/%m/%Y")))


def _dropped_petitions(db: Database, parsed: ParsedWorkbook, unit: str, year: int, period: str) -> list[Issue]:
    """Warnings for petitions pending ("Đang giải quyết", no resolution date) in the unit's previous report
    (the latest current one of an earlier period: this year's earlier quarters, else last year) that this
    report leaves out: a petition is carried from report to report until it is resolved."""
    rank = PERIOD_RANK_SQL.format(c="period")
    here = int(year) * 10 + int(_rank(period))
    prev = db.query_rows(f"SELECT id, year, period FROM submissions WHERE unit_code = ? AND status = 'current' "
                         f"AND year * 10 + {rank} < ? ORDER BY year * 10 + {rank} DESC, received_at DESC LIMIT 1",
                         [unit, here])
    if not prev:
        return []
    sid, py, pp = prev[0]
    pending = db.query_rows("SELECT petition_no, petition_key FROM petitions WHERE submission_id = ? AND "
                            "status = 'DANG_GIAI_QUYET' AND resolved_date IS NULL ORDER BY excel_row", [sid])
    kept = {r.get("petition_key") for r in parsed.tables.get("petitions") or []}
    where = fmt_period(pp, py)
    return [Issue(PETITIONS.name, None, PETITIONS.column("petition_no").header, no,
                  MSG_PETITION_DROPPED.format(no=no, prev=where), "warning")
            for no, key in pending if key not in kept]


def _rank(period: str) -> int:
    return 5 if period == "Y" else int(period[1])


@dataclass
class _Prepared:
    """A file through the gate whose read has started in the reader's worker (loaders/sandbox.py)."""

    data: bytes
    file_name: str
    digest: str
    gate_issues: list[Issue]
    reading: PendingRead | None  # None when the gate refused the file

    def cancel(self) -> None:
        """Drop the read (the file will not be analysed)."""
        if self.reading is not None:
            self.reading.cancel()


def _prepare(data: bytes, file_name: str, config, *, wait: bool = True) -> _Prepared:
    """Hash and gate a file, and start its read when the gate lets it through. `wait=False` never waits for
    a busy worker (a batch's look-ahead): the read then starts when the file is analysed."""
    from loaders.gate import check_upload  # lazily: helper module, heavy checks only on upload

    gate_issues = check_upload(data, file_name, config)
    refused = any(i.severity == "error" for i in gate_issues)
    return _Prepared(data, file_name, hashlib.sha256(data).hexdigest(), gate_issues,
                     None if refused else PendingRead(data, file_name, wait=wait))


def _analyse(db: Database, data: bytes, file_name: str, principal: Principal | None = None, *,
             units: dict[str, dict[str, Any]] | None = None, check_current: bool = True,
             add_units: bool = False, prepared: _Prepared | None = None) -> IngestResult:
    """Gate, read and validate; status valid | rejected | duplicate; nothing is written. A principal without
    the upload permission is refused (DashboardError); a workbook of a unit outside its scope is rejected.
    `units` saves reading the unit table (a batch reads it once); without `check_current` a duplicate is
    left to the check under the write lock in `_store`. `add_units`: an unknown unit code is accepted as a
    new unit (needs manage_units: only an administrator decides that a unit exists). `prepared`: the gate
    and the read already started."""
    try:
        require(principal, UPLOAD)
        if add_units:
            require(principal, MANAGE_UNITS)
        config = load_config()
    except BaseException:
        if prepared is not None:  # a read started for nothing must give its worker back
            prepared.cancel()
        raise
    prepared = prepared or _prepare(data, file_name, config)
    result = IngestResult(file=file_name, status="rejected", file_hash=prepared.digest)
    gate_issues = prepared.gate_issues
    if prepared.reading is None:
        result.errors = [i for i in gate_issues if i.severity == "error"]
        result.warnings = [i for i in gate_issues if i.severity != "error"]
        return result
    try:
        raw = prepared.reading.result()
    except DashboardError as exc:
        result.errors = exc.issues or [Issue(None, None, None, file_name, exc.message)]
        return result
    parsed = validate_workbook(raw, units=load_units(db) if units is None else units, config=config,
                               allow_new_units=add_units)
    result.parsed = parsed
    result.proposed_unit = parsed.proposed_unit
    result.unit, result.year, result.period = (parsed.info.get(k) for k in ("unit_code", "year", "period"))
    result.errors = [i for i in gate_issues if i.severity == "error"] + parsed.errors
    result.warnings = [i for i in gate_issues if i.severity != "error"] + parsed.warnings
    if parsed.unit is not None:
        refused = authorize_upload(db, principal, parsed.unit["code"], parsed.unit.get("parent_code"))
        if refused:
            row = (parsed.info_rows or {}).get("unit_code")
            result.errors.insert(0, Issue(INFO.name, row, INFO.column("unit_code").header, parsed.unit["code"], refused))
        if result.year is not None and result.period:
            lock = period_lock(db, result.year, result.period)
            if lock:
                result.errors.append(_lock_issue(parsed, result.year, result.period, lock))
            result.warnings += _dropped_petitions(db, parsed, parsed.unit["code"], result.year, result.period)
    if result.errors or parsed.unit is None:
        result.status = "rejected"
        return result
    if not check_current:
        result.status = "valid"
        return result
    current = _current(db, result.unit, result.year, result.period)
    if current and current[1] == prepared.digest:
        result.status = "duplicate"
    else:
        result.status = "valid"
        result.replaced_previous = current is not None
    return result


def preview_bytes(db: Database, data: bytes, file_name: str, *, principal: Principal | None = None,
                  add_units: bool = False) -> IngestResult:
    """Everything ingest does except storing: status valid | rejected | duplicate (for the upload page)."""
    return _analyse(db, data, file_name, principal, add_units=add_units)


# ---------------------------------------------------------------- storing
def ingest_bytes(db: Database, data: bytes, file_name: str, *, received_at: dt.datetime | None = None,
                 uploader: str | None = None, principal: Principal | None = None,
                 units: dict[str, dict[str, Any]] | None = None, add_units: bool = False,
                 on_behalf_of: str | None = None, prepared: _Prepared | None = None) -> IngestResult:
    """Validate and, when there is no error, store one workbook in one transaction (or report a duplicate).
    With a principal: it needs the upload permission, the workbook's unit must be in its scope, and the
    account is recorded as the uploader (a typed name or `on_behalf_of` only as the audit's "nộp thay cho").
    `units`: the unit table as `load_units` returns it, for batches (kept current with the units stored).
    `add_units`: accept an unknown unit code as a new unit (administrators only); `prepared`: a batch's
    look-ahead (the file already gated, its read under way)."""
    # the duplicate check runs once, under the write lock in _store, not also before it
    result = _analyse(db, data, file_name, principal, units=units, check_current=False, add_units=add_units,
                      prepared=prepared)
    uploader, note = recorded_uploader(principal, uploader, on_behalf_of)
    actor = getattr(principal, "username", None) or uploader  # the audit names the account when there is one
    if result.status != "valid":
        audit.record_upload(db, result, actor=actor, note=note)  # its own small write: no data table changes
        return result
    when = to_local(received_at)
    _store(db, data, file_name, result, when, uploader, actor, note)
    unit = result.parsed.unit if result.parsed else None
    if units is not None and result.status == "accepted" and unit and unit["is_new"]:
        units.setdefault(unit["code"], {"name": unit["name"], "kind": unit["kind"], "parent_code": unit["parent_code"],
                                        "inactive_from": None, "active_from": result.year, "merged_into": None})
    return result


def _store(db: Database, data: bytes, file_name: str, result: IngestResult, when: dt.datetime,
           uploader: str | None, actor: str | None = None, note: str | None = None) -> None:
    actor = actor or uploader
    parsed = result.parsed
    assert parsed is not None and parsed.unit is not None
    info, unit = parsed.info, parsed.unit
    digest = result.file_hash or hashlib.sha256(data).hexdigest()
    with db.transaction() as cur:
        # checked again under the write lock: the office may have locked the period since the file was checked
        lock = period_lock(cur, info["year"], info["period"])
        if lock:
            result.status = "rejected"
            result.errors = [_lock_issue(parsed, info["year"], info["period"], lock)]
            audit.record_upload(cur, result, actor=actor, note=note)
            return
        # checked under the write lock: another thread or process may have stored the same report meanwhile
        current, version = _current_and_next_version(cur, unit["code"], info["year"], info["period"])
        if current and current[1] == digest:
            result.status, result.replaced_previous = "duplicate", False
            audit.record_upload(cur, result, actor=actor, note=note)
            return
        new_id = next_id(cur, "submissions")
        if unit["is_new"]:
            # under the write lock: a concurrent upload may have created the unit meanwhile; it then stays
            # as that one made it, and this report is still stored under its own code
            cur.execute(
                """INSERT INTO units (code, name, kind, parent_code, source, active_from, updated_at)
                   SELECT ?, ?, ?, ?, 'workbook', ?, ? WHERE NOT EXISTS (SELECT 1 FROM units WHERE code = ?)""",
                [unit["code"], unit["name"], unit["kind"], unit["parent_code"], info["year"], when, unit["code"]])
        if current:
            cur.execute("UPDATE submissions SET status = 'replaced', replaced_by = ? WHERE id = ?",
                        [new_id, current[0]])
        cur.execute(
            """INSERT INTO submissions (id, unit_code, year, period, version, file_name, file_hash, uploader,
                   received_at, status, replaced_by, unit_name, unit_kind, parent_code, report_date, preparer,
                   member_total, staff_total, warnings_json)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', NULL, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [new_id, unit["code"], info["year"], info["period"], version, file_name, digest, uploader, when,
             info.get("unit_name"), info.get("unit_kind"), info.get("parent_code"), info.get("report_date"),
             info.get("preparer"), info.get("member_total"), info.get("staff_total"),
             json.dumps([w.to_json() for w in result.warnings], ensure_ascii=False)])
        for table, cols in DATA_COLUMNS.items():
            rows = parsed.tables.get(table) or []
            if rows:
                _insert_parsed(cur, table, new_id, cols, rows)
        rel = f"{digest[:2]}/{digest}.xlsx"
        # NOT EXISTS rather than ON CONFLICT DO NOTHING: same result under the write lock, half the time
        cur.execute("INSERT INTO archived_files SELECT ?, ?, ?, ?, ? "
                    "WHERE NOT EXISTS (SELECT 1 FROM archived_files WHERE file_hash = ?)",
                    [digest, file_name, len(data), rel, when, digest])
        result.status = "accepted"
        result.version = version
        result.submission_id = new_id
        result.replaced_previous = current is not None
        result.unit = unit["code"]
        audit.record_upload(cur, result, actor=actor, note=note)  # commits (or rolls back) with the data
        try:  # written before COMMIT: content-addressed, so a file left by a failed commit is harmless
            archive_bytes(db.archive_dir, digest, data)
            # the journal line (what `rebuild` replays) is written just before COMMIT as *pending*; its
            # commit marker follows the COMMIT (core.audit.journal), so a cut-short commit is never replayed
            audit.journal(db, {"kind": "upload", "file_hash": digest, "file_name": file_name,
                               "uploader": uploader, "received_at": when.isoformat(sep=" ")})
        except OSError as exc:
            result.status = "rejected"
            if is_disk_full(exc):
                raise disk_full_error(f"bản gốc vào thư mục lưu trữ {db.archive_dir}", "tệp chưa được lưu") from None
            raise DashboardError(MSG_ARCHIVE.format(path=db.archive_dir, reason=exc.strerror or exc)) from None


def _insert_parsed(cur, table: str, submission_id: int, cols: tuple[str, ...],
                   rows: list[dict[str, Any]]) -> None:
    """Insert one submission's parsed rows (dicts keyed by column) into a data table, column by column."""
    names = ("submission_id", "excel_row") + cols
    columns = [[submission_id] * len(rows), [r["excel_row"] for r in rows],
               *([r.get(c) for r in rows] for c in cols)]
    _insert_columns(cur, table, names, columns)


def _insert_rows(cur, table: str, cols: tuple[str, ...], rows: list[list[Any]]) -> None:
    """Insert rows (lists in `cols` order) into a data table."""
    if rows:
        _insert_columns(cur, table, cols, [list(v) for v in zip(*rows)])


def _insert_columns(cur, table: str, cols: tuple[str, ...], columns: list[list[Any]]) -> None:
    """One INSERT … SELECT from an Arrow table built from Python columns; a column pyarrow cannot type
    (mixed kinds of values) goes in through bound parameters instead, which DuckDB casts."""
    frame = _arrow_frame(cols, columns)
    if frame is None:
        _insert_values(cur, table, cols, [list(r) for r in zip(*columns)])
        return
    # one statement per table: each scan of a registered frame costs ~1 ms, parameter binding ~40 µs a value
    name = f"_ingest_{table}"
    cur.register(name, frame)
    try:
        listed = ", ".join(cols)
        cur.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {name}")
    finally:
        cur.unregister(name)


def _arrow_frame(cols: tuple[str, ...], columns: list[list[Any]]):
    """The columns as a pyarrow Table (types inferred from the Python values), or None when a column
    mixes types pyarrow cannot unify."""
    import pyarrow as pa  # lazily: only storing needs it

    try:
        return pa.table({c: pa.array(v) for c, v in zip(cols, columns)})
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, UnicodeError):
        return None


def _insert_values(cur, table: str, cols: tuple[str, ...], rows: list[list[Any]], chunk: int = 200) -> None:
    # the slow, general path: DuckDB casts each bound value to the column type
    one = "(" + ", ".join("?" * len(cols)) + ")"
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES " + ", ".join([one] * len(part)),
                    [v for row in part for v in row])


def archive_bytes(archive_dir: Path, digest: str, data: bytes) -> Path:
    """Write the original bytes to archive_dir/hash[:2]/hash.xlsx atomically (tmp file + os.replace)."""
    target = Path(archive_dir) / digest[:2] / f"{digest}.xlsx"
    if target.exists() and target.stat().st_size == len(data):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".xlsx")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# ---------------------------------------------------------------- files and folders
def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and every .xlsx under each folder (recursively, sorted; Office lock files skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() == ".xlsx"
                              and not q.name.startswith("~$")))
        else:
            out.append(p)
    return out


def ingest_paths(db: Database, paths: Iterable[str | Path], *, received_at: dt.datetime | None = None,
                 uploader: str | None = None,
                 progress: Callable[[int, int, Path], None] | None = None,
                 principal: Principal | None = None, keep_parsed: bool = True,
                 add_units: bool = False) -> list[IngestResult]:
    """Ingest files and folders, one transaction per file; one bad file never stops the others.
    keep_parsed=False drops each result's parsed rows once the file is done (a long batch then holds only
    statuses and issues, and Python's garbage collector does not rescan every stored row).
    The next file is gated and its read started in the reader's worker before the current one is
    validated and stored, so the read runs on the other core."""
    require(principal, UPLOAD)
    files = expand_paths(paths)
    units = load_units(db)  # once per batch; ingest_bytes adds the units the batch creates
    config = load_config()
    results: list[IngestResult] = []
    ahead = _look_ahead(files, 0, config)
    try:
        for n, path in enumerate(files, 1):
            if progress:
                progress(n, len(files), path)
            current, ahead = ahead, None
            ahead = _look_ahead(files, n, config)
            if isinstance(current, IngestResult):  # the file could not be read from disk
                results.append(current)
                continue
            try:
                results.append(ingest_bytes(db, current.data, path.name, received_at=received_at,
                                            uploader=uploader, principal=principal, units=units,
                                            add_units=add_units, prepared=current))
                if not keep_parsed:
                    results[-1].parsed = None
            except DashboardError as exc:  # e.g. the archive folder is not writable: this file fails, not the batch
                results.append(IngestResult(file=path.name, status="rejected",
                                            errors=exc.issues or [Issue(None, None, None, path.name, exc.message)]))
    finally:
        if isinstance(ahead, _Prepared):  # interrupted: the look-ahead's read is not needed
            ahead.cancel()
    return results


def _look_ahead(files: list[Path], i: int, config) -> _Prepared | IngestResult | None:
    """File i's bytes gated and its read started without waiting for a worker, or the result that it could
    not be read from disk; None past the end."""
    if i >= len(files):
        return None
    path = files[i]
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return IngestResult(file=path.name, status="rejected", errors=[Issue(None, None, None, str(path), MSG_NOT_FOUND)])
    except OSError as exc:
        return IngestResult(file=path.name, status="rejected", errors=[
            Issue(None, None, None, str(path), MSG_UNREADABLE.format(reason=exc.strerror or exc))])
    return _prepare(data, path.name, config, wait=False)
