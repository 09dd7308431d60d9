"""Đơn vị của tôi: one unit's side of the loop — its reports of the year with their review states and the
office's comments, the reminders it received, what it still owes, and its pre-filled workbook."""
import streamlit as st

from core.text import fmt_datetime, fmt_period
from metrics import history, office_loop
from ui import state as K
from ui.data import cached, get_db
from ui.filters import current
from ui.literal import literal
from ui.page import download, header, shown_errors, table
from ui.views import office as view

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

f = current()
db = get_db()
header("Đơn vị của tôi", f)
me = f.principal

with shown_errors():
    units = cached(office_loop.reporting_units, db, principal=me)
    if units.empty:
        st.info("Trong phạm vi của tài khoản không có đơn vị nào nộp báo cáo.")
        st.stop()
    codes = units["code"].tolist()
    names = dict(zip(units["code"], units["name"]))
    if st.session_state.get(K.DV_UNIT) not in codes:  # the account's own unit, else the unit in the filters
        st.session_state[K.DV_UNIT] = next((c for c in (me.scope_unit, f.unit) if c in codes), codes[0])
    unit = st.selectbox("Đơn vị", codes, format_func=lambda c: f"{c} — {names.get(c, c)}", key=K.DV_UNIT,
                        disabled=len(codes) == 1)
    st.markdown(f"**{literal(names.get(unit, unit))}** ({literal(unit)}) — năm {f.year}")

    reports = cached(history.submission_history, db, unit=unit, year=f.year, principal=me)
    for r in view.returned_reports(reports):
        st.warning(f"Báo cáo {r['period']} (phiên bản {r['version']}) đã bị Văn phòng Đảng ủy trả lại "
                   f"lúc {r['reviewed_at']}. Nhận xét: “{literal(r['comment'])}”. Hãy sửa và nộp lại "
                   "(trang Nộp báo cáo).", icon="↩")

    st.subheader("Việc cần làm")
    completeness = cached(history.completeness, db, year=f.year, unit=unit, as_of=f.as_of, principal=me)
    due = view.due_table(completeness[completeness["unit_code"] == unit], reports, office_loop.locked_periods(db, f.year))
    if due.empty:
        st.success(f"Đơn vị đã nộp đủ báo cáo năm {f.year}, không có báo cáo nào bị trả lại.")
    else:
        table(due, key="dv_due_table")

    st.subheader("Tải mẫu báo cáo đã điền sẵn")
    st.caption("Mẫu đã điền mã, tên, loại hình đơn vị, các chi bộ của báo cáo gần nhất và mọi đơn thư còn đang "
               "giải quyết (số hiệu, các ngày). Điền số liệu của kỳ rồi nộp tại trang Nộp báo cáo.")
    periods = ["Q1", "Q2", "Q3", "Q4", "Y"]
    if st.session_state.get(K.DV_PERIOD) not in periods:
        st.session_state[K.DV_PERIOD] = view.default_period(f.year, f.as_of)
    period = st.selectbox("Kỳ báo cáo", periods, format_func=view.period_label, key=K.DV_PERIOD)
    download(f"Tải mẫu điền sẵn {fmt_period(period, f.year)} (Excel)",
             lambda: office_loop.prefill_bytes(db, unit=unit, year=f.year, period=period, principal=me),
             f"{unit}_{f.year}_{period}_dien_san.xlsx", XLSX, "dv_prefill")

    st.subheader(f"Báo cáo đã nộp năm {f.year}")
    if reports.empty:
        st.info(f"Đơn vị chưa nộp báo cáo nào năm {f.year}.")
    else:
        table(view.unit_reports_table(reports), key="dv_reports_table")

    st.subheader("Công văn đôn đốc đã nhận")
    reminders = office_loop.reminder_list(db, unit=unit, year=f.year, principal=me)
    if reminders.empty:
        st.info(f"Đơn vị chưa nhận công văn đôn đốc nào năm {f.year}.")
    else:
        last = reminders.iloc[0]
        st.caption(f"Gần nhất: công văn số {int(last['notice_no'])}-CV lúc {fmt_datetime(last['sent_at'])}.")
        table(view.reminders_table(reminders), key="dv_reminders_table")
