"""The office's review of the reports and the locks of reporting periods (issue 13).

A stored report is `Đã nhận` (received: review_state NULL) until the office approves it (`Đã duyệt`) or
returns it (`Trả lại`, with a comment the unit reads on its page). A returned report stays in the figures,
flagged, until the unit replaces it: the new version starts again as received. Approving the last report
of a period that every expected unit has sent locks the period for the whole organisation; the office may
also lock a period itself ("Khóa kỳ"). A locked period refuses every upload (loaders.store.period_lock)
until an administrator unlocks it.

Each change is one transaction, written to `reviews` / `period_locks`, audited, and journaled by stable
keys (unit, year, period, version; year, period) so `rebuild` replays it in its place, as corrections are.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core import audit
from core.auth import REVIEW_REPORTS, UNLOCK_PERIODS, Principal, authorize_unit, require
from core.clock import now_local
from core.errors import DashboardError
from core.storage import Database, next_id
from core.text import fmt_period
from loaders.store import period_lock
from metrics.office_loop import APPROVED, RETURNED, check_period
from metrics.scope import must_report_sql

MSG_NO_REPORT = "Không có báo cáo số {id}."
MSG_NOT_CURRENT = ("Báo cáo số {id} ({what}) không phải bản đang dùng; chỉ duyệt hoặc trả lại được bản nộp "
                   "mới nhất.")
MSG_LOCKED = "Kỳ báo cáo {label} đã khóa; quản trị hệ thống phải mở khóa trước khi thay đổi."
MSG_COMMENT = "Phải ghi nhận xét khi trả lại báo cáo (đơn vị sẽ đọc nhận xét này để sửa)."
MSG_REASON = "Phải ghi lý do mở khóa kỳ báo cáo."
MSG_ALREADY_LOCKED = "Kỳ báo cáo {label} đã khóa từ {at}."
MSG_NOT_LOCKED = "Kỳ báo cáo {label} đang mở, không cần mở khóa."
MSG_NOTHING = "Chưa chọn báo cáo nào."
AUTO_REASON = "Tự động: mọi báo cáo của kỳ đã được duyệt"
MAX_COMMENT = 2000


@dataclass
class ReviewOutcome:
    """What a review did: the reports approved or returned, and the periods it locked (year, period)."""

    done: list[str] = field(default_factory=list)  # "DB01 Quý I/2025 (phiên bản 2)"
    unchanged: list[str] = field(default_factory=list)  # already in that state
    locked: list[tuple[int, str]] = field(default_factory=list)

    def message(self, verb: str) -> str:
        """A Vietnamese summary ("Đã duyệt 3 báo cáo …; khóa kỳ Quý I/2025")."""
        parts = [f"{verb} {len(self.done)} báo cáo" + (f": {', '.join(self.done)}" if self.done else "")]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} báo cáo đã ở trạng thái này từ trước")
        if self.locked:
            parts.append("đã khóa kỳ " + ", ".join(fmt_period(p, y) for y, p in self.locked)
                         + " (mọi báo cáo của kỳ đã được duyệt)")
        return "; ".join(parts) + "."


def _actor(principal: Principal | None) -> str:
    return getattr(principal, "username", None) or audit.default_actor()


def _label(unit: str, year: int, period: str, version: int) -> str:
    return f"{unit} {fmt_period(period, year)} (phiên bản {version})"


def _load(cur, submission_id: int) -> tuple:
    row = cur.execute("SELECT unit_code, year, period, version, status, review_state FROM submissions "
                      "WHERE id = ?", [int(submission_id)]).fetchone()
    if row is None:
        raise DashboardError(MSG_NO_REPORT.format(id=submission_id))
    unit, year, period, version, status, state = row
    if status != "current":
        raise DashboardError(MSG_NOT_CURRENT.format(id=submission_id, what=_label(unit, year, period, version)))
    if period_lock(cur, year, period):
        raise DashboardError(MSG_LOCKED.format(label=fmt_period(period, year)))
    return row


def _apply(cur, db: Database, submission_id: int, row: tuple, state: str, comment: str | None, actor: str,
           at: dt.datetime) -> None:
    """Set a report's review state, add it to its history, audit and journal it."""
    unit, year, period, version = row[:4]
    cur.execute("UPDATE submissions SET review_state = ?, review_comment = ?, reviewed_by = ?, reviewed_at = ? "
                "WHERE id = ?", [state, comment, actor, at, int(submission_id)])
    cur.execute("INSERT INTO reviews (id, submission_id, state, comment, done_by, done_at) VALUES (?, ?, ?, ?, ?, ?)",
                [next_id(cur, "reviews"), int(submission_id), state, comment, actor, at])
    key = f"{unit}/{year}/{period}/v{version}"
    audit.record(cur, actor=actor, action="report_approved" if state == APPROVED else "report_returned",
                 object=key, detail={"submission_id": int(submission_id), "comment": comment})
    audit.journal(db, {"kind": "review", "state": state, "unit": unit, "year": year, "period": period,
                       "version": version, "comment": comment, "actor": actor, "at": at.isoformat(sep=" ")})


def approve_reports(db: Database, submission_ids, *, comment: str | None = None,
                    principal: Principal | None = None) -> ReviewOutcome:
    """Approve current reports (review_reports): `Đã duyệt`. A period whose every expected unit has sent
    its report, all of them now approved, is locked. One transaction; a locked period or a replaced
    version refuses the whole approval."""
    require(principal, REVIEW_REPORTS)
    ids = [int(i) for i in (submission_ids or [])]
    if not ids:
        raise DashboardError(MSG_NOTHING)
    note = (comment or "").strip()[:MAX_COMMENT] or None
    out = ReviewOutcome()
    actor, now = _actor(principal), now_local()
    with db.transaction() as cur:
        periods = set()
        for sid in ids:
            row = _load(cur, sid)
            authorize_unit(db, principal, row[0])
            if row[5] == APPROVED:
                out.unchanged.append(_label(*row[:4]))
                continue
            _apply(cur, db, sid, row, APPROVED, note, actor, now)
            out.done.append(_label(*row[:4]))
            periods.add((row[1], row[2]))
        for year, period in sorted(periods):
            if _all_approved(cur, year, period):
                _lock(cur, db, year, period, auto=True, reason=AUTO_REASON, actor=actor, at=now)
                out.locked.append((year, period))
    return out


def return_report(db: Database, submission_id: int, *, comment: str,
                  principal: Principal | None = None) -> ReviewOutcome:
    """Return a current report to its unit (review_reports) with a comment the unit reads on its page:
    `Trả lại`. The report stays in the figures, flagged, until the unit sends a new version."""
    require(principal, REVIEW_REPORTS)
    text = (comment or "").strip()
    if not text:
        raise DashboardError(MSG_COMMENT)
    out = ReviewOutcome()
    with db.transaction() as cur:
        row = _load(cur, submission_id)
        authorize_unit(db, principal, row[0])
        _apply(cur, db, submission_id, row, RETURNED, text[:MAX_COMMENT], _actor(principal), now_local())
        out.done.append(_label(*row[:4]))
    return out


def _all_approved(cur, year: int, period: str) -> bool:
    """True when every unit that must report in the year has a current report of the period and every
    current report of the period is approved (the period's review is over)."""
    row = cur.execute(f"""
        WITH cur AS (SELECT unit_code, review_state FROM submissions
                     WHERE year = $year AND period = $period AND status = 'current')
        SELECT (SELECT count(*) FROM units u WHERE {must_report_sql('u')}
                  AND u.code NOT IN (SELECT unit_code FROM cur)),
               (SELECT count(*) FROM cur WHERE coalesce(review_state, '') <> '{APPROVED}'),
               (SELECT count(*) FROM cur)""", {"year": int(year), "period": period}).fetchone()
    missing, unapproved, n = row
    return n > 0 and missing == 0 and unapproved == 0


def _lock(cur, db: Database, year: int, period: str, *, auto: bool, reason: str | None, actor: str,
          at: dt.datetime) -> None:
    cur.execute("INSERT INTO period_locks (id, year, period, auto, reason, locked_by, locked_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", [next_id(cur, "period_locks"), int(year), period, auto, reason,
                                                 actor, at])
    audit.record(cur, actor=actor, action="period_locked", object=f"{year}/{period}",
                 detail={"auto": auto, "reason": reason})
    audit.journal(db, {"kind": "lock", "year": int(year), "period": period, "auto": auto, "reason": reason,
                       "actor": actor, "at": at.isoformat(sep=" ")})


def lock_period(db: Database, year: int, period: str, *, reason: str | None = None,
                principal: Principal | None = None) -> str:
    """Khóa kỳ: lock a reporting period for the whole organisation (review_reports), e.g. before the
    review meeting: every upload of it is then refused until an administrator unlocks it."""
    require(principal, REVIEW_REPORTS)
    period = check_period(period)
    with db.transaction() as cur:
        held = period_lock(cur, year, period)
        if held:
            raise DashboardError(MSG_ALREADY_LOCKED.format(label=fmt_period(period, year),
                                                           at=held[0].strftime("%d/%m/%Y %H:%M")))
        _lock(cur, db, int(year), period, auto=False, reason=(reason or "").strip() or None, actor=_actor(principal),
              at=now_local())
    return f"Đã khóa kỳ báo cáo {fmt_period(period, year)}: không nộp mới hoặc nộp lại được cho đến khi mở khóa."


def unlock_period(db: Database, year: int, period: str, *, reason: str,
                  principal: Principal | None = None) -> str:
    """Mở khóa kỳ: reopen a locked period (unlock_periods: administrators only), with a reason; a unit
    may then resubmit, and the new version is reviewed again."""
    require(principal, UNLOCK_PERIODS)
    period = check_period(period)
    text = (reason or "").strip()
    if not text:
        raise DashboardError(MSG_REASON)
    actor, now = _actor(principal), now_local()
    with db.transaction() as cur:
        if not period_lock(cur, year, period):
            raise DashboardError(MSG_NOT_LOCKED.format(label=fmt_period(period, year)))
        _unlock(cur, db, int(year), period, reason=text, actor=actor, at=now)
    return f"Đã mở khóa kỳ báo cáo {fmt_period(period, year)}."


def _unlock(cur, db: Database, year: int, period: str, *, reason: str, actor: str, at: dt.datetime) -> None:
    cur.execute("UPDATE period_locks SET unlocked_by = ?, unlocked_at = ?, unlock_reason = ? "
                "WHERE year = ? AND period = ? AND unlocked_at IS NULL", [actor, at, reason, year, period])
    audit.record(cur, actor=actor, action="period_unlocked", object=f"{year}/{period}", detail={"reason": reason})
    audit.journal(db, {"kind": "unlock", "year": year, "period": period, "reason": reason, "actor": actor,
                       "at": at.isoformat(sep=" ")})


def replay(db: Database, entry: dict) -> None:
    """Apply a journaled review, lock or unlock again (ops.maintenance.rebuild), by its keys, with its
    original actor and time; a review replays without locking (the lock has its own journal line)."""
    kind, at = entry["kind"], dt.datetime.fromisoformat(entry["at"])
    actor = entry.get("actor") or "?"
    with db.transaction() as cur:
        if kind == "review":
            row = cur.execute("SELECT id, unit_code, year, period, version FROM submissions WHERE unit_code = ? "
                              "AND year = ? AND period = ? AND version = ?",
                              [entry["unit"], entry["year"], entry["period"], entry["version"]]).fetchone()
            if row is None:
                raise DashboardError(f"Không tìm thấy báo cáo {entry['unit']} {entry['period']}/{entry['year']} "
                                     f"phiên bản {entry['version']} để duyệt lại")
            _apply(cur, db, row[0], row[1:], entry["state"], entry.get("comment"), actor, at)
        elif kind == "lock":
            _lock(cur, db, entry["year"], entry["period"], auto=bool(entry.get("auto")), reason=entry.get("reason"),
                  actor=actor, at=at)
        elif kind == "unlock":
            _unlock(cur, db, entry["year"], entry["period"], reason=entry.get("reason") or "", actor=actor, at=at)
