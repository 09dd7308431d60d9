"""The corrections section of Quản trị: merge a unit into another, withdraw a report, undo either.

The work is ops.corrections'; here are the widgets and their callbacks (run before the page script, so the
figures shown after a click already follow the change)."""
from __future__ import annotations

import streamlit as st

from core import auth
from core.errors import DashboardError
from core.storage import Database
from metrics import history
from ops import corrections
from ui import state as K
from ui.data import cached
from ui.literal import literal
from ui.page import table
from ui.views import administration


def _run(fn, *args, **kwargs) -> None:
    """Call a correction and keep (succeeded, message) for the page; the confirmation box is cleared."""
    try:
        change = fn(*args, **kwargs)
        st.session_state[K.AD_C_RESULT] = (True, change.summary + f" (thay đổi số {change.id})")
    except DashboardError as exc:
        st.session_state[K.AD_C_RESULT] = (False, exc.message)
    for key in (K.AD_M_SURE, K.AD_W_SURE):
        st.session_state[key] = False


def _merge(db: Database, me) -> None:
    ss = st.session_state
    _run(corrections.merge_units, db, ss.get(K.AD_M_FROM), ss.get(K.AD_M_INTO), reason=ss.get(K.AD_M_REASON),
         principal=me)


def _withdraw(db: Database, me) -> None:
    ss = st.session_state
    _run(corrections.withdraw_report, db, ss.get(K.AD_W_REPORT), reason=ss.get(K.AD_W_REASON), principal=me)


def _undo(db: Database, me) -> None:
    _run(corrections.undo_change, db, st.session_state.get(K.AD_C_PICK), principal=me)


def corrections_section(db: Database, me, year: int, unit_names: dict[str, str]) -> None:
    """Merge units (manage_units), withdraw a report of `year` (manage_reports), and the changes made."""
    st.subheader("Sửa sai: hợp nhất đơn vị, rút báo cáo")
    st.caption("Mỗi thay đổi được ghi lại (người, thời điểm, lý do) và có thể hoàn tác.")
    codes = sorted(c for c in unit_names)
    if auth.can(me, auth.MANAGE_UNITS):
        st.markdown("**Hợp nhất đơn vị** (ví dụ một mã đơn vị gõ nhầm vào đơn vị đúng)")
        c1, c2 = st.columns(2)
        c1.selectbox("Đơn vị bị hợp nhất", codes, key=K.AD_M_FROM,
                     format_func=lambda c: f"{c} — {unit_names.get(c, c)}")
        c2.selectbox("Hợp nhất vào đơn vị", codes, key=K.AD_M_INTO,
                     format_func=lambda c: f"{c} — {unit_names.get(c, c)}")
        st.text_input("Lý do", key=K.AD_M_REASON, placeholder="Ví dụ: mã đơn vị gõ nhầm trong báo cáo Quý I")
        sure = st.checkbox("Tôi đã kiểm tra: các báo cáo của đơn vị thứ nhất chuyển sang đơn vị thứ hai",
                           key=K.AD_M_SURE)
        st.button("Hợp nhất", key=K.AD_M_GO, disabled=not sure, on_click=_merge, args=(db, me))
    if auth.can(me, auth.MANAGE_REPORTS):
        st.markdown(f"**Rút báo cáo** năm {year} (bản trước đó, nếu có, được dùng lại)")
        reports = cached(history.submission_history, db, year=year, principal=me)
        current = reports[reports["status"] == "current"]
        options = {int(r.submission_id): administration.report_label(r) for r in current.itertuples(index=False)}
        st.selectbox("Báo cáo", list(options), key=K.AD_W_REPORT, format_func=options.get,
                     placeholder="Chọn báo cáo", index=None)
        st.text_input("Lý do", key=K.AD_W_REASON, placeholder="Ví dụ: đơn vị nộp nhầm tệp")
        sure = st.checkbox("Tôi đã kiểm tra: báo cáo này không còn được tính vào số liệu", key=K.AD_W_SURE)
        st.button("Rút báo cáo", key=K.AD_W_GO, disabled=not sure, on_click=_withdraw, args=(db, me))
    outcome = st.session_state.get(K.AD_C_RESULT)
    if outcome:
        (st.success if outcome[0] else st.error)(literal(outcome[1]))
    changes = cached(corrections.list_changes, db)
    if not changes.empty:
        table(administration.changes_table(changes), key="ad_changes")
        open_ones = {int(r.id): f"{int(r.id)} — {r.object}" for r in changes.itertuples(index=False)
                     if r.undone_at is None or r.undone_at != r.undone_at}
        if open_ones:
            c1, c2 = st.columns([3, 1])
            c1.selectbox("Hoàn tác thay đổi", list(open_ones), key=K.AD_C_PICK, format_func=open_ones.get)
            c2.button("Hoàn tác", key=K.AD_C_UNDO, on_click=_undo, args=(db, me))
