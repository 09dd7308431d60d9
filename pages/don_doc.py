"""Đôn đốc & duyệt: the office's loop with the units for one period — the units to chase and the reminder
notices, the review of the reports (approve, return with a comment), the period's lock, and the figures
of approved reports only beside those of every report received."""
import streamlit as st

from core import auth
from core.text import fmt_datetime, fmt_period
from metrics import engine, office_loop
from ops.reminders import DOCX_MIME, smtp_settings
from ui import office as act, state as K
from ui.data import cached, get_db
from ui.filters import current
from ui.literal import literal
from ui.page import header, shown_errors, table, table_downloads
from ui.views import office as view

f = current()
db = get_db()
header("Đôn đốc & duyệt", f)
me = f.principal
if not (auth.can(me, auth.REVIEW_REPORTS) or auth.can(me, auth.REMIND_UNITS)):
    st.error("Tài khoản của bạn không có quyền đôn đốc và duyệt báo cáo.", icon="🚫")
    st.stop()

with shown_errors():
    periods = ["Q1", "Q2", "Q3", "Q4", "Y"]
    if st.session_state.get(K.DD_PERIOD) not in periods:
        st.session_state[K.DD_PERIOD] = view.default_period(f.year, f.as_of)
    period = st.selectbox("Kỳ báo cáo", periods, format_func=view.period_label, key=K.DD_PERIOD)
    label = fmt_period(period, f.year)
    outcome = st.session_state.get(K.DD_RESULT)
    if outcome:
        (st.success if outcome[0] else st.error)(literal(outcome[1]))

    locked = office_loop.locked_periods(db, f.year)
    if period in locked:
        st.warning(f"Kỳ báo cáo {label} đã khóa từ {fmt_datetime(locked[period])}: không nộp mới hoặc nộp lại "
                   "được cho đến khi quản trị hệ thống mở khóa.", icon="🔒")
        if auth.can(me, auth.UNLOCK_PERIODS):
            c1, c2 = st.columns([3, 1])
            c1.text_input("Lý do mở khóa", key=K.DD_UNLOCK_REASON, placeholder="Ví dụ: đơn vị xin nộp lại số liệu")
            c2.button("Mở khóa kỳ", key=K.DD_UNLOCK, on_click=act.unlock, args=(db, me, f.year, period))

    if auth.can(me, auth.REMIND_UNITS):
        st.subheader(f"1. Cần đôn đốc — {label}")
        chase = office_loop.chase_list(db, year=f.year, period=period, unit=f.scope_unit, as_of=f.as_of, principal=me)
        counts = view.chase_counts(chase)
        for col, (code, text) in zip(st.columns(3), view.CHASE_LABELS.items()):
            col.metric(text, counts[code])
        if chase.empty:
            st.info(f"Không có đơn vị nào cần đôn đốc về báo cáo {label}.")
        else:
            shown = view.chase_table(chase)
            table(shown, key="dd_chase_table")
            table_downloads(shown, f"Can don doc {label}", "dd_chase")
            codes = chase["unit_code"].tolist()
            names = dict(zip(chase["unit_code"], chase["unit_name"]))
            # one picker per period (its units differ), every unit on the list chosen at first
            st.multiselect("Đơn vị nhận công văn đôn đốc", codes, default=codes, key=f"{K.DD_REMIND_UNITS}{period}",
                           format_func=lambda c: f"{c} — {names.get(c, c)}")
            if smtp_settings() is not None:
                st.checkbox("Gửi kèm e-mail tới địa chỉ liên hệ của đơn vị (không kèm số liệu, không kèm dữ liệu "
                            "cá nhân)", key=K.DD_EMAIL)
            else:
                st.caption("Chưa cấu hình máy chủ gửi thư ([smtp] trong dashboard.toml): chỉ lập công văn để in "
                           "hoặc gửi theo cách khác.")
            st.button("Lập công văn đôn đốc", key=K.DD_REMIND, type="primary",
                      on_click=act.remind, args=(db, me, f.year, period, f.as_of))
        sent = st.session_state.get(K.DD_REMIND_RESULT)
        if sent is not None:
            st.download_button(f"Tải công văn đôn đốc ({len(sent.notices)} đơn vị, .docx)", data=sent.docx,
                               file_name=sent.file_name, mime=DOCX_MIME, key=K.download_key("dd_notice"),
                               icon=":material/download:", on_click="ignore")

    if auth.can(me, auth.REVIEW_REPORTS):
        st.subheader(f"2. Duyệt báo cáo — {label}")
        reviews = cached(office_loop.review_list, db, year=f.year, period=period, unit=f.scope_unit, principal=me)
        if reviews.empty:
            st.info(f"Chưa có báo cáo {label} nào.")
        else:
            table(view.review_table(reviews), key="dd_review_table")
            options = view.report_options(reviews)
            if st.session_state.get(K.DD_REPORT) not in options:
                st.session_state[K.DD_REPORT] = None
            st.selectbox("Báo cáo", list(options), format_func=options.get, key=K.DD_REPORT, index=None,
                         placeholder="Chọn báo cáo để duyệt hoặc trả lại")
            st.text_area("Nhận xét (bắt buộc khi trả lại; đơn vị đọc nhận xét này trên trang của mình)",
                         key=K.DD_COMMENT, height=90)
            row = st.container(horizontal=True)
            row.button("Duyệt", key=K.DD_APPROVE, type="primary", on_click=act.approve, args=(db, me),
                       disabled=period in locked)
            row.button("Trả lại", key=K.DD_RETURN, on_click=act.send_back, args=(db, me), disabled=period in locked)
            waiting = [int(i) for i, s in zip(reviews["submission_id"], reviews["review_state"]) if s == "received"]
            row.button(f"Duyệt tất cả báo cáo đã nhận ({len(waiting)})", key=K.DD_APPROVE_ALL,
                       on_click=act.approve_all, args=(db, me, waiting), disabled=not waiting or period in locked)
        if period not in locked:
            c1, c2 = st.columns([3, 1])
            c1.text_input("Lý do khóa kỳ", key=K.DD_LOCK_REASON, placeholder="Ví dụ: chốt số liệu họp sơ kết quý")
            c2.button("Khóa kỳ", key=K.DD_LOCK, on_click=act.lock, args=(db, me, f.year, period),
                      help="Duyệt hết báo cáo của mọi đơn vị phải nộp thì kỳ tự khóa.")

        st.subheader("3. Số liệu chỉ tính báo cáo đã duyệt")
        if st.toggle("So sánh với số liệu chỉ gồm báo cáo đã duyệt", key=K.DD_APPROVED_ONLY):
            every = cached(engine.compute, db, **f.engine_kwargs())
            approved = cached(engine.compute, db, **f.engine_kwargs(), approved_only=True)
            table(view.approved_comparison(every, approved), key="dd_approved_table")
            st.caption("Việc nộp báo cáo và nộp đúng hạn (I25, I26) tính mọi báo cáo đã nhận, đã duyệt hay chưa.")

    st.subheader(f"Công văn đôn đốc đã lập năm {f.year}")
    sent_list = office_loop.reminder_list(db, year=f.year, unit=f.scope_unit, principal=me)
    if sent_list.empty:
        st.info("Chưa lập công văn đôn đốc nào.")
    else:
        table(view.reminders_table(sent_list), key="dd_reminders_table")
    locks = cached(office_loop.lock_list, db, year=f.year)
    if not locks.empty:
        with st.expander(f"Lịch sử khóa kỳ năm {f.year}"):
            table(view.locks_table(locks), key="dd_locks_table")
