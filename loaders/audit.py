"""The audit trail: who did what, to what, when and from where (table `audit_log`, append-only).

Rows are only ever inserted: this module has no update or delete, and no page or command offers one.
The trust boundary is the DuckDB file itself: whoever can write the file (the server account, a backup
operator) can alter anything in it, the log included; the log protects against mistakes and disputes
inside the application, not against someone holding the file. Keep the file and its backups on storage
that only the server account and administrators can write.
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from typing import Any

import pandas as pd

from loaders.errors import DashboardError

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
    "export": "Xuất dữ liệu",
    "rebuild": "Dựng lại cơ sở dữ liệu từ lưu trữ",
    "backup": "Sao lưu",
    "restore": "Phục hồi từ bản sao lưu",
}

COLUMN_LABELS = {"id": "STT", "at_time": "Thời gian", "actor": "Người thực hiện", "action": "Mã hành động",
                 "action_label": "Hành động", "object": "Đối tượng", "detail_json": "Chi tiết",
                 "origin": "Nơi thực hiện"}

_INSERT = ("INSERT INTO audit_log (id, at_time, actor, action, object, detail_json, origin) "
           "VALUES (nextval('audit_id_seq'), ?, ?, ?, ?, ?, ?)")


def _now() -> dt.datetime:
    from loaders.ingest import local_received_at  # lazily: ingest imports this module

    return local_received_at(None)


def record(target, *, actor: str, action: str, object: str | None = None, detail: dict | None = None,
           origin: str | None = None) -> None:
    """Append one audit row: `target` is a Database (own small transaction) or a cursor inside an open
    transaction (the row then commits, or rolls back, with the change it describes)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")  # a programming error, not a user one
    actor = (actor or "").strip() or default_actor()
    params = [_now(), actor, action, object,
              None if detail is None else json.dumps(detail, ensure_ascii=False, default=str), origin]
    if hasattr(target, "transaction"):
        with target.transaction() as cur:
            cur.execute(_INSERT, params)
    else:
        target.execute(_INSERT, params)


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


def web_origin() -> str:
    """Where a web action comes from: "web@<client address>" when Streamlit exposes it, else "web"."""
    try:
        import streamlit as st

        ip = st.context.ip_address
    except Exception:  # outside a script run, or an older Streamlit: the address is simply unknown
        ip = None
    return f"web@{ip}" if ip else "web"


def detail_of(row: dict[str, Any]) -> dict:
    """The parsed detail JSON of one listed event ({} when there is none)."""
    text = row.get("detail_json")
    return json.loads(text) if isinstance(text, str) and text else {}
