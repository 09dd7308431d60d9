"""Corrections an administrator makes to what was stored: merge two units, withdraw a report, undo either.

Every change is one transaction, recorded in `unit_changes` with what it touched as it was before (so it
can be undone exactly), in the audit log, and in the journal (so `rebuild` replays it in its place).
Journal lines name what they touched by stable keys (unit codes; unit, year, period and version), never by
row ids, which a rebuilt database numbers afresh.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from core import audit
from core.auth import MANAGE_REPORTS, MANAGE_UNITS, Principal, require
from core.clock import now_local
from core.errors import DashboardError
from core.storage import Database, next_id

MSG_NO_REPORT = "Không có báo cáo số {id}."
MSG_NOT_CURRENT = "Báo cáo số {id} không phải bản đang dùng (trạng thái: {status}); chỉ rút được bản đang dùng."
MSG_NO_UNIT = "Không có đơn vị “{code}” trong danh sách đơn vị."
MSG_SAME_UNIT = "Không thể hợp nhất một đơn vị vào chính nó."
MSG_ROOT = "Không thể hợp nhất Đảng ủy cấp trên."
MSG_MERGED = "Đơn vị “{code}” đã được hợp nhất vào “{into}”."
MSG_HAS_CHILDREN = "Đơn vị “{code}” còn đơn vị trực thuộc ({children}); hãy chuyển các đơn vị đó trước."
MSG_NO_CHANGE = "Không có thay đổi số {id}."
MSG_UNDONE = "Thay đổi số {id} đã được hoàn tác lúc {at}."
MSG_LATER = ("Không hoàn tác được thay đổi số {id}: sau đó đã có báo cáo mới của {what}. Hãy rút báo cáo mới "
             "trước nếu thật sự cần.")
MSG_REASON = "Phải ghi lý do."


@dataclass(frozen=True)
class Change:
    """One recorded correction: its id, kind (merge | withdraw), what it touched, and a Vietnamese summary."""

    id: int
    kind: str
    object: str
    summary: str


def _actor(principal: Principal | None) -> str | None:
    return getattr(principal, "username", None)


def _need_reason(reason: str | None) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise DashboardError(MSG_REASON)
    return reason.strip()


def _record_change(cur, kind: str, obj: str, detail: dict, reason: str, principal: Principal | None) -> int:
    change_id = next_id(cur, "unit_changes")
    cur.execute("INSERT INTO unit_changes (id, kind, object, detail_json, reason, done_by, done_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [change_id, kind, obj, json.dumps(detail, ensure_ascii=False, default=str), reason,
                 _actor(principal) or audit.default_actor(), now_local()])
    return change_id


# ---------------------------------------------------------------- withdrawing a report
def withdraw_report(db: Database, submission_id: int, *, reason: str,
                    principal: Principal | None = None) -> Change:
    """Take a current report out of every figure (status `withdrawn`); the version it replaced, if any,
    becomes current again. Needs manage_reports. Recorded, audited, journaled; `undo_change` reverses it."""
    require(principal, MANAGE_REPORTS)
    reason = _need_reason(reason)
    with db.transaction() as cur:
        row = cur.execute("SELECT unit_code, year, period, version, status FROM submissions WHERE id = ?",
                          [int(submission_id)]).fetchone()
        if row is None:
            raise DashboardError(MSG_NO_REPORT.format(id=submission_id))
        unit, year, period, version, status = row
        if status != "current":
            raise DashboardError(MSG_NOT_CURRENT.format(id=submission_id, status=status))
        prev = cur.execute("SELECT id FROM submissions WHERE replaced_by = ? AND status = 'replaced'",
                           [int(submission_id)]).fetchone()
        cur.execute("UPDATE submissions SET status = 'withdrawn' WHERE id = ?", [int(submission_id)])
        if prev:
            cur.execute("UPDATE submissions SET status = 'current', replaced_by = NULL WHERE id = ?", [prev[0]])
        key = f"{unit}/{year}/{period}/v{version}"
        detail = {"submission_id": int(submission_id), "restored_id": prev[0] if prev else None,
                  "unit": unit, "year": year, "period": period, "version": version}
        change_id = _record_change(cur, "withdraw", key, detail, reason, principal)
        audit.record(cur, actor=_actor(principal), action="report_withdrawn", object=key,
                     detail={**detail, "change_id": change_id, "reason": reason})
        audit.journal(db, {"kind": "withdraw", "unit": unit, "year": year, "period": period, "version": version,
                           "reason": reason, "actor": _actor(principal)})
    summary = f"Đã rút báo cáo {unit} {period}/{year} (phiên bản {version})" + (
        "; bản trước đó được dùng lại." if prev else ".")
    return Change(change_id, "withdraw", key, summary)


# ---------------------------------------------------------------- merging two units
def merge_units(db: Database, from_code: str, into_code: str, *, reason: str,
                principal: Principal | None = None) -> Change:
    """Merge unit `from_code` (e.g. a code typed wrong) into `into_code`: its reports move to `into_code`
    (for a period both reported, the later receipt is current, the other a replaced version), and the unit
    is marked merged (never expected again, its code refused in new reports). Needs manage_units."""
    require(principal, MANAGE_UNITS)
    reason = _need_reason(reason)
    src, dst = str(from_code).strip().upper(), str(into_code).strip().upper()
    if src == dst:
        raise DashboardError(MSG_SAME_UNIT)
    with db.transaction() as cur:
        units = {r[0]: r for r in cur.execute(
            "SELECT code, kind, merged_into FROM units WHERE code IN (?, ?)", [src, dst]).fetchall()}
        for code in (src, dst):
            if code not in units:
                raise DashboardError(MSG_NO_UNIT.format(code=code))
            if units[code][1] == "ROOT":
                raise DashboardError(MSG_ROOT)
            if units[code][2]:
                raise DashboardError(MSG_MERGED.format(code=code, into=units[code][2]))
        children = [r[0] for r in cur.execute("SELECT code FROM units WHERE parent_code = ? AND merged_into IS NULL",
                                              [src]).fetchall()]
        if children:
            raise DashboardError(MSG_HAS_CHILDREN.format(code=src, children=", ".join(sorted(children))))
        moved = cur.execute("SELECT id, year, period FROM submissions WHERE unit_code = ?", [src]).fetchall()
        keys = sorted({(y, p) for _, y, p in moved})
        touched = cur.execute(
            "SELECT id, unit_code, version, status, replaced_by FROM submissions WHERE unit_code IN (?, ?)",
            [src, dst]).fetchall()
        before = [list(r) for r in touched if (r[1] == src) or _in_keys(cur, r[0], keys)]
        cur.execute("UPDATE submissions SET unit_code = ? WHERE unit_code = ?", [dst, src])
        for year, period in keys:
            _renumber(cur, dst, year, period)
        cur.execute("UPDATE units SET merged_into = ?, updated_at = ? WHERE code = ?", [dst, now_local(), src])
        obj = f"{src}->{dst}"
        detail = {"from": src, "into": dst, "submissions": before, "max_id": _max_id(cur)}
        change_id = _record_change(cur, "merge", obj, detail, reason, principal)
        audit.record(cur, actor=_actor(principal), action="units_merged", object=obj,
                     detail={"from": src, "into": dst, "reports_moved": len(moved), "change_id": change_id,
                             "reason": reason})
        audit.journal(db, {"kind": "merge", "from": src, "into": dst, "reason": reason, "actor": _actor(principal)})
    return Change(change_id, "merge", obj, f"Đã hợp nhất {src} vào {dst}: chuyển {len(moved)} báo cáo.")


def _in_keys(cur, submission_id: int, keys: list[tuple[int, str]]) -> bool:
    y, p = cur.execute("SELECT year, period FROM submissions WHERE id = ?", [submission_id]).fetchone()
    return (y, p) in keys


def _max_id(cur) -> int:
    return int(cur.execute("SELECT coalesce(max(id), 0) FROM submissions").fetchone()[0])


def _renumber(cur, unit: str, year: int, period: str) -> None:
    """Versions 1..n of one report by time of receipt; the latest not withdrawn is current, the others
    replaced by it (the same state a sequence of uploads would have left)."""
    rows = cur.execute("SELECT id, status FROM submissions WHERE unit_code = ? AND year = ? AND period = ? "
                       "ORDER BY received_at, id", [unit, year, period]).fetchall()
    live = [i for i, s in rows if s != "withdrawn"]
    current = live[-1] if live else None
    for n, (sid, status) in enumerate(rows, 1):
        if status == "withdrawn":
            cur.execute("UPDATE submissions SET version = ? WHERE id = ?", [n, sid])
        elif sid == current:
            cur.execute("UPDATE submissions SET version = ?, status = 'current', replaced_by = NULL WHERE id = ?",
                        [n, sid])
        else:
            cur.execute("UPDATE submissions SET version = ?, status = 'replaced', replaced_by = ? WHERE id = ?",
                        [n, current, sid])


# ---------------------------------------------------------------- undo and listing
def undo_change(db: Database, change_id: int, *, principal: Principal | None = None) -> Change:
    """Reverse a merge or a withdrawal exactly as it was recorded; refused when a report of what it
    touched arrived since (undoing then would discard that report's place)."""
    with db.transaction() as cur:
        row = cur.execute("SELECT kind, object, detail_json, undone_at FROM unit_changes WHERE id = ?",
                          [int(change_id)]).fetchone()
        if row is None:
            raise DashboardError(MSG_NO_CHANGE.format(id=change_id))
        kind, obj, detail_json, undone_at = row
        require(principal, MANAGE_UNITS if kind == "merge" else MANAGE_REPORTS)
        if undone_at is not None:
            raise DashboardError(MSG_UNDONE.format(id=change_id, at=undone_at))
        detail = json.loads(detail_json)
        if kind == "withdraw":
            _undo_withdraw(cur, int(change_id), detail)
            summary = f"Đã hoàn tác việc rút báo cáo {obj}."
        else:
            _undo_merge(cur, int(change_id), detail)
            summary = f"Đã hoàn tác việc hợp nhất {obj}."
        cur.execute("UPDATE unit_changes SET undone_by = ?, undone_at = ? WHERE id = ?",
                    [_actor(principal) or audit.default_actor(), now_local(), int(change_id)])
        audit.record(cur, actor=_actor(principal), action="change_undone", object=obj,
                     detail={"change_id": int(change_id), "kind": kind})
        audit.journal(db, {"kind": "undo", "change": kind, "object": obj, "actor": _actor(principal)})
    return Change(int(change_id), kind, obj, summary)


def _undo_withdraw(cur, change_id: int, d: dict) -> None:
    sid, restored = d["submission_id"], d.get("restored_id")
    later = cur.execute("SELECT count(*) FROM submissions WHERE unit_code = ? AND year = ? AND period = ? "
                        "AND id > ?", [d["unit"], d["year"], d["period"], sid]).fetchone()[0]
    if later:
        raise DashboardError(MSG_LATER.format(id=change_id, what=f"{d['unit']} {d['period']}/{d['year']}"))
    cur.execute("UPDATE submissions SET status = 'current', replaced_by = NULL WHERE id = ?", [sid])
    if restored is not None:
        cur.execute("UPDATE submissions SET status = 'replaced', replaced_by = ? WHERE id = ?", [sid, restored])


def _undo_merge(cur, change_id: int, d: dict) -> None:
    ids = [r[0] for r in d["submissions"]]
    later = cur.execute("SELECT count(*) FROM submissions WHERE unit_code = ? AND id > ?",
                        [d["into"], d["max_id"]]).fetchone()[0]
    if later:
        raise DashboardError(MSG_LATER.format(id=change_id, what=d["into"]))
    for sid, unit, version, status, replaced_by in d["submissions"]:
        cur.execute("UPDATE submissions SET unit_code = ?, version = ?, status = ?, replaced_by = ? WHERE id = ?",
                    [unit, version, status, replaced_by, sid])
    del ids
    cur.execute("UPDATE units SET merged_into = NULL, updated_at = ? WHERE code = ?", [now_local(), d["from"]])


def list_changes(db: Database) -> pd.DataFrame:
    """Every recorded correction, newest first: id, kind, object, reason, done_by, done_at, undone_by,
    undone_at."""
    return db.query_df("SELECT id, kind, object, reason, done_by, done_at, undone_by, undone_at "
                       "FROM unit_changes ORDER BY id DESC")


def replay(db: Database, entry: dict) -> None:
    """Apply a journaled correction again (ops.maintenance.rebuild), finding what it touched by its keys."""
    kind = entry["kind"]
    if kind == "merge":
        merge_units(db, entry["from"], entry["into"], reason=entry.get("reason") or "dựng lại")
    elif kind == "withdraw":
        sid = db.query_value("SELECT id FROM submissions WHERE unit_code = ? AND year = ? AND period = ? "
                             "AND version = ?", [entry["unit"], entry["year"], entry["period"], entry["version"]])
        if sid is None:
            raise DashboardError(f"Không tìm thấy báo cáo {entry['unit']} {entry['period']}/{entry['year']} "
                                 f"phiên bản {entry['version']} để rút")
        withdraw_report(db, sid, reason=entry.get("reason") or "dựng lại")
    elif kind == "undo":
        cid = db.query_value("SELECT max(id) FROM unit_changes WHERE kind = ? AND object = ? AND undone_at IS NULL",
                             [entry["change"], entry["object"]])
        if cid is None:
            raise DashboardError(f"Không tìm thấy thay đổi {entry['object']} để hoàn tác")
        undo_change(db, cid)
