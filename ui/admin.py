"""Callbacks of the Quản trị page (run before the page script, so the page shows their effect at once)."""
from __future__ import annotations

import streamlit as st

from core import auth
from core.audit import ACTIONS, COLUMN_LABELS, list_events
from core.clock import now_local
from core.errors import DashboardError
from core.storage import Database
from core.text import fmt_number, fmt_target
from loaders.units import load_unit_list_bytes
from metrics import targets
from metrics.indicators import short_code
from ops.maintenance import backup
from ui import state as K
from ui.literal import literal
from ui.page import table, table_downloads
from ui.views.administration import target_form_values, target_from_form
from ui.views.scorecard import indicator_unit


def save_target(db: Database, principal=None) -> None:
    """Callback of 'Lưu mục tiêu' on Quản trị: record the override (who/when), or keep the error to show."""
    ss = st.session_state
    picked, year = ss[K.AD_T_INDICATOR], int(ss[K.AD_T_YEAR])
    target = target_from_form(ss[K.AD_T_OP], ss.get(K.AD_T_VALUE), ss.get(K.AD_T_MIN), ss.get(K.AD_T_MAX))
    ss[K.AD_T_ERROR] = ss[K.AD_T_MESSAGE] = None
    try:
        targets.set_target(db, picked, year, target, ss.get(K.AD_T_BY) or "", principal=principal)
    except DashboardError as exc:
        ss[K.AD_T_ERROR] = exc.message
        return
    ss[K.AD_T_MESSAGE] = (f"Đã lưu mục tiêu {short_code(picked)} từ năm {year}: "
                          f"{fmt_target(target, indicator_unit(picked))}")


def load_units(db: Database, principal=None) -> None:
    """Callback of 'Nạp danh sách đơn vị': load the chosen unit-list file; keep the result or the error
    (with every issue) for the page to show. Running first lets the sidebar list the new units at once."""
    ss = st.session_state
    chosen = ss.get(K.AD_UNITS_FILE)
    ss[K.AD_UNITS_RESULT] = ss[K.AD_UNITS_ERROR] = None
    if chosen is None:
        return
    try:
        ss[K.AD_UNITS_RESULT] = load_unit_list_bytes(db, chosen.getvalue(), chosen.name, principal=principal)
    except DashboardError as exc:
        ss[K.AD_UNITS_ERROR] = exc


def prefill_target(db: Database) -> None:
    """Callback when the indicator or year changes: start the form from the target in force that year."""
    ss = st.session_state
    year = int(ss.get(K.AD_T_YEAR) or 0)
    if not 2000 <= year <= 2100 or ss.get(K.AD_T_INDICATOR) is None:
        return
    values = target_form_values(targets.effective_targets(db, year).get(ss[K.AD_T_INDICATOR]))
    ss[K.AD_T_OP], ss[K.AD_T_VALUE], ss[K.AD_T_MIN], ss[K.AD_T_MAX] = (
        values["op"], values["value"], values["min"], values["max"])


def audit_section(db: Database) -> None:
    """'Nhật ký hoạt động': the audit log, newest first, filtered by time, action and person (read only:
    the application offers no way to change or delete an entry)."""
    import datetime as dt

    st.subheader("Nhật ký hoạt động")
    st.caption("Ai đã làm gì, lúc nào, từ đâu: nộp báo cáo, nạp danh sách đơn vị, đổi mục tiêu, tài khoản, "
               "đăng nhập, xuất dữ liệu, sao lưu. Nhật ký chỉ được ghi thêm, không sửa hay xóa được từ ứng dụng.")
    c1, c2, c3, c4 = st.columns([1, 1, 2, 2])
    today = now_local().date()  # the log's times are local to the committee, not the server
    since = c1.date_input("Từ ngày", value=today - dt.timedelta(days=30), format="DD/MM/YYYY", key="ad_audit_since")
    until = c2.date_input("Đến ngày", value=today, format="DD/MM/YYYY", key="ad_audit_until")
    action = c3.selectbox("Hành động", [None, *ACTIONS], format_func=lambda a: "Tất cả" if a is None else ACTIONS[a],
                          key="ad_audit_action")
    actor = c4.text_input("Người thực hiện", key="ad_audit_actor", placeholder="tên đăng nhập, đúng như trong nhật ký")
    events = list_events(db, since=since, until=until, action=action, actor=actor.strip() or None, limit=1000)
    if events.empty:
        st.info("Không có hoạt động nào khớp với bộ lọc.")
        return
    shown = events.drop(columns=["id", "action"]).rename(columns=COLUMN_LABELS)
    if len(events) == 1000:
        st.caption("Hiện 1.000 hoạt động gần nhất; thu hẹp khoảng ngày để xem các hoạt động cũ hơn.")
    table(shown, key="ad_audit_table")
    table_downloads(shown, "Nhật ký hoạt động", "ad_audit")


# ---------------------------------------------------------------- accounts (admin)
def _user_result(fn, message: str) -> None:
    """Run an account change; keep its message or its error for the page."""
    ss = st.session_state
    ss[K.AD_U_ERROR] = ss[K.AD_U_MESSAGE] = None
    try:
        fn()
    except DashboardError as exc:
        ss[K.AD_U_ERROR] = exc.message
        return
    ss[K.AD_U_MESSAGE] = message


def add_user(db: Database, principal=None) -> None:
    """Callback of 'Tạo tài khoản': create the account from the form (the password is cleared after)."""
    ss = st.session_state
    name = (ss.get(K.AD_U_NAME) or "").strip().lower()
    _user_result(lambda: auth.add_user(db, name, role=ss.get(K.AD_U_ROLE), scope_unit=ss.get(K.AD_U_UNIT),
                                       password=ss.get(K.AD_U_PASSWORD) or "", full_name=ss.get(K.AD_U_FULL) or None,
                                       email=ss.get(K.AD_U_EMAIL) or None, principal=principal),
                 f"Đã tạo tài khoản {name}.")
    ss[K.AD_U_PASSWORD] = ""


def save_user(db: Database, principal=None) -> None:
    """Callback of 'Lưu thay đổi': role, scope and active flag of the picked account."""
    ss = st.session_state
    name = ss.get(K.AD_U_PICK)
    _user_result(lambda: auth.update_user(db, name, role=ss.get(K.AD_U_EDIT_ROLE), scope_unit=ss.get(K.AD_U_EDIT_UNIT),
                                          active=bool(ss.get(K.AD_U_EDIT_ACTIVE)), principal=principal),
                 f"Đã lưu tài khoản {name}.")


def reset_password(db: Database, principal=None) -> None:
    """Callback of 'Đặt lại mật khẩu' for the picked account (the typed password is cleared after)."""
    ss = st.session_state
    name = ss.get(K.AD_U_PICK)
    _user_result(lambda: auth.set_password(db, name, ss.get(K.AD_U_NEW_PASSWORD) or "", principal=principal),
                 f"Đã đặt lại mật khẩu của {name}.")
    ss[K.AD_U_NEW_PASSWORD] = ""


def prefill_user(db: Database, principal=None) -> None:
    """Callback when another account is picked: start the edit form from its current role, scope, state."""
    ss = st.session_state
    row = auth.get_user(db, ss.get(K.AD_U_PICK) or "")
    if row is not None:
        ss[K.AD_U_EDIT_ROLE], ss[K.AD_U_EDIT_UNIT], ss[K.AD_U_EDIT_ACTIVE] = (
            row["role"], row["scope_unit"], bool(row["active"]))


def backup_section(db: Database, actor: str | None = None) -> None:
    """'Sao lưu': a consistent backup of the running database and its archive, written on the server
    (the command line cannot back up a database the dashboard holds open)."""
    st.subheader("Sao lưu")
    if not db.backend.file_backup:  # a PostgreSQL store: the server's own tools back it up
        st.info(f"Dữ liệu nằm trên máy chủ PostgreSQL {literal(db.name)}. Sao lưu bằng pg_dump cùng thư mục lưu "
                f"trữ tệp gốc {literal(db.archive_dir)}; xem docs/deployment-postgresql.md.")
        return
    folder = db.path.parent / "backups"
    # paths hold '_' and '.', which Markdown would read as emphasis and links
    st.caption(f"Sao lưu cơ sở dữ liệu và toàn bộ tệp gốc vào thư mục {literal(folder)} trên máy chủ. Phục hồi "
               "bằng lệnh `python -m loaders restore TỆP.tar.gz --db ĐƯỜNG_DẪN` (khi ứng dụng đã dừng).")
    st.button("Sao lưu ngay", key=K.AD_BACKUP, on_click=_backup_now, args=(db, folder, actor))
    outcome = st.session_state.get(K.AD_BACKUP_RESULT)
    if outcome:  # (succeeded, message): the callback says which, the text does not decide
        (st.success if outcome[0] else st.error)(literal(outcome[1]))
    done = sorted(folder.glob("*.tar.gz"), reverse=True)[:10] if folder.is_dir() else []
    if done:
        sizes = [fmt_number(p.stat().st_size / 1_048_576, 1) for p in done]
        st.caption("Các bản sao lưu gần nhất: " + "; ".join(f"{literal(p.name)} ({mb} MB)"
                                                            for p, mb in zip(done, sizes)))


def _backup_now(db: Database, folder, actor: str | None) -> None:
    """Callback of 'Sao lưu ngay': write the backup, keep a message for the page."""
    out = folder / f"sao-luu-{now_local():%Y%m%d-%H%M%S}.tar.gz"
    try:
        r = backup(db, out, actor=actor)
    except DashboardError as exc:
        st.session_state[K.AD_BACKUP_RESULT] = (False, exc.message)
        return
    st.session_state[K.AD_BACKUP_RESULT] = (True, f"Đã sao lưu {r.counts['submissions']} báo cáo và "
                                                  f"{r.archive_files} tệp gốc vào {out.name}.")
