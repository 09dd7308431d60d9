"""The unit list (sheet `Đơn vị`, schema.UNIT_LIST): validate as a whole, then upsert by code.

Units are never deleted; `Ngừng hoạt động từ năm` marks them inactive from that year. Every parent must
exist (in the file, in the database, or be the root) and the tree must have no cycle.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from core import audit
from core.config import load_config
from core.errors import DashboardError, Issue, disk_full_error, is_disk_full
from core.clock import now_local
from loaders.store import MSG_ARCHIVE, archive_bytes, load_units
from loaders.reader import read_workbook
from loaders.schema import CONTACT_KEYS, UNIT_LIST
from core.storage import Database
from loaders.validate import apply_rules, find_header, match_sheets, read_table

MSG_REJECTED = "Danh sách đơn vị có lỗi; không có thay đổi nào được lưu"
MSG_EMPTY = "Sheet Đơn vị không có dòng dữ liệu nào"
MSG_ROOT_CODE = "Mã đơn vị trùng với mã Đảng ủy cấp trên"
MSG_NO_PARENT = "Mã đơn vị cấp trên không có trong danh sách đơn vị"
MSG_CYCLE = "Quan hệ cấp trên bị vòng lặp: {path}"
MSG_PARENT_IS_CELL = "Đơn vị cấp trên là Chi bộ cơ sở, không thể có đơn vị trực thuộc"
MSG_STOP_BEFORE_START = "Năm ngừng hoạt động phải sau năm bắt đầu hoạt động ({start})"
MSG_BAD_EMAIL = "Địa chỉ email không hợp lệ (dạng ten@donvi.vn)"
MSG_BAD_PHONE = "Số điện thoại không hợp lệ (8–15 chữ số; có thể có dấu cách, dấu chấm, gạch ngang, +, ngoặc)"
MSG_NO_UNIT = "Không có đơn vị “{code}” trong danh sách đơn vị."
CONTACT_HEADERS = {k: UNIT_LIST.column(k).header for k in CONTACT_KEYS}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9 +().\-]+$")


def clean_contact(key: str, value: Any) -> tuple[str | None, str | None]:
    """(the stored value, None) of one contact field, or (None, the Vietnamese reason it is refused).
    Empty is allowed (no contact). A phone typed as a number in Excel lost its leading 0: a 9-digit number
    gets it back (Vietnamese numbers have 10 digits and start with 0)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if key == "contact_phone" and isinstance(value, (int, float)) and not isinstance(value, bool):
        digits = str(int(value))
        return ("0" + digits if len(digits) == 9 else digits), None
    text = " ".join(str(value).split())
    if key == "contact_email":
        text = text.lower()
        return (text, None) if _EMAIL.match(text) and len(text) <= 254 else (None, MSG_BAD_EMAIL)
    if key == "contact_phone":
        n = sum(ch.isdigit() for ch in text)
        return (text, None) if _PHONE.match(text) and 8 <= n <= 15 else (None, MSG_BAD_PHONE)
    return text[:200], None


@dataclass
class UnitListResult:
    """What a unit-list load changed: codes added, updated, newly marked inactive; and its warnings."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


def parse_unit_list(db: Database, data: bytes, file_name: str) -> tuple[list[dict[str, Any]], list[Issue]]:
    """The validated rows of a unit-list workbook and every issue (nothing is written)."""
    config = load_config()
    from loaders.gate import check_upload  # lazily, as in ingest

    issues = list(check_upload(data, file_name, config))
    if any(i.severity == "error" for i in issues):
        return [], issues
    raw = read_workbook(data, file_name)
    found = match_sheets(raw, (UNIT_LIST,), issues)
    if "units" not in found:
        return [], issues
    grid = raw.sheets[found["units"]]
    rows = read_table(UNIT_LIST, grid, issues)
    if rows is None:
        return [], issues
    # only contact columns the file has are applied: an older list without them keeps the stored contacts
    present = set(find_header(UNIT_LIST, grid)[1].values()) & set(CONTACT_KEYS)
    for r in rows:
        for key in CONTACT_KEYS:
            if key not in present:
                r.pop(key, None)
                continue
            # a phone number Excel stored as a number is read from the raw cell (the text lost its leading 0)
            raw = r["_raw"].get(key)
            r[key], problem = clean_contact(key, raw if isinstance(raw, (int, float)) else r.get(key))
            if problem:
                issues.append(Issue(UNIT_LIST.name, r["excel_row"], CONTACT_HEADERS[key], r["_raw"].get(key), problem))
    apply_rules(UNIT_LIST, rows, issues, {"units": rows})
    if not rows:
        issues.append(Issue(UNIT_LIST.name, None, None, None, MSG_EMPTY))
        return [], issues
    _check_tree(rows, load_units(db), config.root_code, issues)
    for r in rows:
        start, stop = r.get("active_from"), r.get("inactive_from")
        if start is not None and stop is not None and stop <= start:
            issues.append(Issue(UNIT_LIST.name, r["excel_row"], "Ngừng hoạt động từ năm", stop,
                                MSG_STOP_BEFORE_START.format(start=start)))
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows], issues


def _check_tree(rows: list[dict[str, Any]], existing: dict[str, dict], root: str, issues: list[Issue]) -> None:
    name = UNIT_LIST.name
    parents = {c: u.get("parent_code") for c, u in existing.items()}
    kinds = {c: u.get("kind") for c, u in existing.items()}
    for r in rows:
        if r.get("code"):
            parents[r["code"]] = r.get("parent_code") or root
            kinds[r["code"]] = r.get("kind")
    for r in rows:
        code, parent = r.get("code"), r.get("parent_code")
        if code is None:
            continue
        if code == root:
            issues.append(Issue(name, r["excel_row"], "Mã đơn vị", code, MSG_ROOT_CODE))
            continue
        if parent is None or parent == root:
            continue
        if parent not in parents:
            issues.append(Issue(name, r["excel_row"], "Mã đơn vị cấp trên", parent, MSG_NO_PARENT))
            continue
        if kinds.get(parent) == "CBCS":
            issues.append(Issue(name, r["excel_row"], "Mã đơn vị cấp trên", parent, MSG_PARENT_IS_CELL))
        path, seen = [code], {code}
        node = parent
        while node and node != root and node in parents:
            path.append(node)
            if node in seen:
                issues.append(Issue(name, r["excel_row"], "Mã đơn vị cấp trên", parent,
                                    MSG_CYCLE.format(path=" → ".join(path))))
                break
            seen.add(node)
            node = parents[node]


def load_unit_list_bytes(db: Database, data: bytes, file_name: str, *, principal=None) -> UnitListResult:
    """Validate a unit-list workbook and upsert its units in one transaction; any error stores nothing.
    A principal without manage_units is refused (None: trusted local operator)."""
    from core.auth import MANAGE_UNITS, require

    require(principal, MANAGE_UNITS)
    rows, issues = parse_unit_list(db, data, file_name)
    errors = [i for i in issues if i.severity == "error"]
    actor = getattr(principal, "username", None)
    digest = hashlib.sha256(data).hexdigest()
    if errors:
        audit.record(db, actor=actor, action="unit_list_rejected", object=file_name,
                     detail={"file_hash": digest, "errors": len(errors),
                             "first_errors": [i.to_json() for i in errors[:5]]})
        raise DashboardError(MSG_REJECTED, issues=issues)
    result = UnitListResult(warnings=[i for i in issues if i.severity != "error"])
    root = load_config().root_code
    now = now_local()
    with db.transaction() as cur:
        existing = {r[0]: r[1:] for r in cur.execute(
            "SELECT code, name, kind, parent_code, inactive_from, active_from, contact_name, contact_email, "
            "contact_phone FROM units").fetchall()}
        for r in rows:
            new = (r["name"], r["kind"], r.get("parent_code") or root, r.get("inactive_from"), r.get("active_from"))
            old = existing.get(r["code"])
            contacts = {k: r[k] for k in CONTACT_KEYS if k in r}
            old_contacts = dict(zip(CONTACT_KEYS, old[5:])) if old is not None else {}
            same_contacts = all(old_contacts.get(k) == v for k, v in contacts.items())
            if old is None:
                result.added.append(r["code"])
            elif tuple(old[:5]) == new and same_contacts:
                result.unchanged.append(r["code"])
                continue
            else:
                result.updated.append(r["code"])
                if old[3] is None and new[3] is not None:
                    result.deactivated.append(r["code"])

            cur.execute(
                """INSERT INTO units (code, name, kind, parent_code, inactive_from, active_from, source, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, 'unit_list', ?)
                   ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                   parent_code = excluded.parent_code, inactive_from = excluded.inactive_from,
                   active_from = excluded.active_from, source = 'unit_list', updated_at = excluded.updated_at""",
                [r["code"], *new, now])
            if contacts:  # only the contact columns the list has (see parse_unit_list)
                cur.execute(f"UPDATE units SET {', '.join(f'{k} = ?' for k in contacts)} WHERE code = ?",
                            [*contacts.values(), r["code"]])
        audit.record(cur, actor=actor, action="unit_list_loaded", object=file_name,
                     detail={"file_hash": digest, "added": len(result.added), "updated": len(result.updated),
                             "deactivated": result.deactivated})
        # the list's bytes and journal line let `rebuild` replay this load in its place in history
        try:
            archive_bytes(db.archive_dir, digest, data)
            audit.journal(db, {"kind": "unit_list", "file_hash": digest, "file_name": file_name,
                               "actor": actor, "at": now.isoformat(sep=" ")})
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full_error(f"danh sách đơn vị vào thư mục lưu trữ {db.archive_dir}",
                                      "danh sách chưa được nạp") from None
            raise DashboardError(MSG_ARCHIVE.format(path=db.archive_dir, reason=exc.strerror or exc)) from None
    return result


def load_unit_list_path(db: Database, path, *, principal=None) -> UnitListResult:
    """Load a unit-list workbook from a file path."""
    from pathlib import Path

    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DashboardError(f"Không đọc được tệp {p}: {exc.strerror or exc}") from None
    return load_unit_list_bytes(db, data, p.name, principal=principal)


def set_contact(db: Database, code: str, *, name: str | None, email: str | None, phone: str | None,
                principal=None) -> dict[str, str | None]:
    """Set a unit's contact (Người liên hệ, Email, Điện thoại) for the office's reminders; an administrator's
    edit (manage_units). Empty clears a field. Audited (which fields changed, not their values: they are
    personal data) and journaled, so `rebuild` replays it. Returns the stored values."""
    from core.auth import MANAGE_UNITS, require

    require(principal, MANAGE_UNITS)
    code = str(code or "").strip().upper()
    values: dict[str, str | None] = {}
    problems = []
    for key, value in zip(CONTACT_KEYS, (name, email, phone)):
        values[key], problem = clean_contact(key, value)
        if problem:
            problems.append(Issue(UNIT_LIST.name, None, CONTACT_HEADERS[key], value, problem))
    if problems:
        raise DashboardError("; ".join(f"{i.column}: {i.message}" for i in problems), issues=problems)
    actor = getattr(principal, "username", None)
    with db.transaction(changes_figures=False) as cur:
        row = cur.execute("SELECT contact_name, contact_email, contact_phone FROM units WHERE code = ? "
                          "AND kind <> 'ROOT'", [code]).fetchone()
        if row is None:
            raise DashboardError(MSG_NO_UNIT.format(code=code))
        changed = [CONTACT_HEADERS[k] for k, old in zip(CONTACT_KEYS, row) if old != values[k]]
        cur.execute("UPDATE units SET contact_name = ?, contact_email = ?, contact_phone = ?, updated_at = ? "
                    "WHERE code = ?", [*values.values(), now_local(), code])
        audit.record(cur, actor=actor, action="unit_contact_changed", object=code, detail={"changed": changed})
        audit.journal(db, {"kind": "unit_contact", "code": code, **values, "actor": actor})
    return values
