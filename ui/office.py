"""Callbacks of the page Đôn đốc & duyệt and of the contact box on Quản trị (they run before the page
script, so the page already shows their effect). The work is ops.review's, ops.reminders' and
loaders.units'; a DashboardError becomes the message the page shows."""
from __future__ import annotations

import streamlit as st

from core.errors import DashboardError
from core.storage import Database
from ui import state as K


def _run(fn, *args, **kwargs) -> None:
    """Call fn and keep (succeeded, message) for the page under DD_RESULT."""
    try:
        out = fn(*args, **kwargs)
        st.session_state[K.DD_RESULT] = (True, out)
    except DashboardError as exc:
        st.session_state[K.DD_RESULT] = (False, exc.message)


def approve(db: Database, me) -> None:
    """'Duyệt': approve the chosen report (with the comment, if any, as a note)."""
    from ops.review import approve_reports

    ss = st.session_state
    picked = ss.get(K.DD_REPORT)
    _run(lambda: approve_reports(db, [picked] if picked is not None else [], comment=ss.get(K.DD_COMMENT),
                                 principal=me).message("Đã duyệt"))
    if ss[K.DD_RESULT][0]:  # done: the picker and the comment start afresh (the report's state changed)
        ss[K.DD_COMMENT], ss[K.DD_REPORT] = "", None


def approve_all(db: Database, me, ids: list[int]) -> None:
    """'Duyệt tất cả báo cáo đã nhận': approve every report of the period still only received."""
    from ops.review import approve_reports

    _run(lambda: approve_reports(db, ids, principal=me).message("Đã duyệt"))


def send_back(db: Database, me) -> None:
    """'Trả lại': return the chosen report with the comment the unit will read."""
    from ops.review import return_report

    ss = st.session_state
    picked = ss.get(K.DD_REPORT)
    if picked is None:
        ss[K.DD_RESULT] = (False, "Chưa chọn báo cáo nào.")
        return
    _run(lambda: return_report(db, picked, comment=ss.get(K.DD_COMMENT) or "", principal=me).message("Đã trả lại"))
    if ss[K.DD_RESULT][0]:
        ss[K.DD_COMMENT], ss[K.DD_REPORT] = "", None


def lock(db: Database, me, year: int, period: str) -> None:
    """'Khóa kỳ'."""
    from ops.review import lock_period

    _run(lock_period, db, year, period, reason=st.session_state.get(K.DD_LOCK_REASON), principal=me)


def unlock(db: Database, me, year: int, period: str) -> None:
    """'Mở khóa kỳ' (administrators)."""
    from ops.review import unlock_period

    _run(unlock_period, db, year, period, reason=st.session_state.get(K.DD_UNLOCK_REASON) or "", principal=me)
    if st.session_state[K.DD_RESULT][0]:
        st.session_state[K.DD_UNLOCK_REASON] = ""


def remind(db: Database, me, year: int, period: str, as_of) -> None:
    """'Lập công văn đôn đốc': notices for the chosen units (and e-mails when ticked); the outcome, with its
    .docx, is kept for the download button."""
    from ops.reminders import send_reminders

    ss = st.session_state
    ss[K.DD_REMIND_RESULT] = None
    try:
        ss[K.DD_REMIND_RESULT] = send_reminders(db, ss.get(f"{K.DD_REMIND_UNITS}{period}") or [], year=year,
                                                period=period,
                                                email=bool(ss.get(K.DD_EMAIL)), as_of=as_of, principal=me)
        ss[K.DD_RESULT] = (True, ss[K.DD_REMIND_RESULT].message())
    except DashboardError as exc:
        ss[K.DD_RESULT] = (False, exc.message)


# ---------------------------------------------------------------- Quản trị: a unit's contact
def prefill_contact(db: Database) -> None:
    """When the unit changes: start the contact form from its stored contact."""
    from metrics.office_loop import unit_contact

    ss = st.session_state
    values = unit_contact(db, ss.get(K.AD_CT_UNIT))
    ss[K.AD_CT_NAME], ss[K.AD_CT_EMAIL], ss[K.AD_CT_PHONE] = (v or "" for v in values)


def save_contact(db: Database, me) -> None:
    """'Lưu thông tin liên hệ'."""
    from loaders.units import set_contact

    ss = st.session_state
    try:
        set_contact(db, ss.get(K.AD_CT_UNIT), name=ss.get(K.AD_CT_NAME), email=ss.get(K.AD_CT_EMAIL),
                    phone=ss.get(K.AD_CT_PHONE), principal=me)
        ss[K.AD_CT_RESULT] = (True, f"Đã lưu thông tin liên hệ của {ss.get(K.AD_CT_UNIT)}.")
    except DashboardError as exc:
        ss[K.AD_CT_RESULT] = (False, exc.message)


def contact_section(db: Database, me, unit_names: dict[str, str]) -> None:
    """Quản trị: an administrator edits a unit's contact (Người liên hệ, Email, Điện thoại), where reminder
    notices and e-mails go. The unit list can carry the same three columns."""
    from core.config import load_config
    from ui.literal import literal

    codes = sorted(c for c in unit_names if c != load_config().root_code)  # the root has no contact to chase
    with st.expander("Thông tin liên hệ của đơn vị (nhận công văn, e-mail đôn đốc)"):
        if st.session_state.get(K.AD_CT_UNIT) not in codes and codes:
            st.session_state[K.AD_CT_UNIT] = codes[0]
            prefill_contact(db)
        st.selectbox("Đơn vị", codes, key=K.AD_CT_UNIT, on_change=prefill_contact, args=(db,),
                     format_func=lambda c: f"{c} — {unit_names.get(c, c)}")
        c1, c2, c3 = st.columns(3)
        c1.text_input("Người liên hệ", key=K.AD_CT_NAME)
        c2.text_input("Email", key=K.AD_CT_EMAIL, placeholder="vanphong@donvi.vn")
        c3.text_input("Điện thoại", key=K.AD_CT_PHONE)
        st.button("Lưu thông tin liên hệ", key=K.AD_CT_SAVE, on_click=save_contact, args=(db, me))
        outcome = st.session_state.get(K.AD_CT_RESULT)
        if outcome:
            (st.success if outcome[0] else st.error)(literal(outcome[1]))
