"""Nộp báo cáo: upload workbooks (preview every error first, then confirm), template, completeness, history."""
import streamlit as st

from metrics import history
from core.auth import MANAGE_UNITS, UPLOAD, can
from ui.views import detail, submissions
from ui import charts, state as K
from ui.data import cached, cached_view, get_db
from ui.filters import current
from ui.literal import literal
from ui.page import chart, download, header, shown_errors, table, table_downloads
from ui.upload import accepted_new_units, confirm_upload, describe, new_batch, page_previews, upload_limit_text

f = current()
db = get_db()
header("Nộp báo cáo", f)

with shown_errors():
    step = iter(range(1, 5))  # sections are numbered in order; a role without upload has one fewer
    st.subheader(f"{next(step)}. Tải mẫu báo cáo")
    from loaders.template import template_bytes

    download("Tải mẫu báo cáo trống (Excel)", template_bytes, "mau-bao-cao-v1.xlsx",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "template")

    if can(f.principal, UPLOAD):  # the role may upload (the loader refuses it anyway otherwise)
        st.subheader(f"{next(step)}. Nộp báo cáo")
        st.caption("Chọn một hoặc nhiều tệp. Chương trình kiểm tra từng tệp và liệt kê mọi lỗi trước khi lưu; "
                   "chỉ tệp hợp lệ được lưu khi bấm xác nhận.")
        round_no = st.session_state.setdefault(K.UP_ROUND, 0)
        uploaded = st.file_uploader("Tệp báo cáo (.xlsx)", accept_multiple_files=True, key=f"{K.UP_FILES}_{round_no}",
                                    on_change=new_batch)
        st.caption(f"Kéo thả tệp vào khung trên hoặc bấm “Chọn tệp”; tối đa {upload_limit_text()} mỗi tệp.")
        st.text_input("Nộp thay cho (nếu có)", key=K.UP_ON_BEHALF, placeholder="Họ và tên, đơn vị",
                      help="Người nộp được ghi là tài khoản đang đăng nhập; ô này chỉ ghi chú thêm khi nộp hộ.")
        files = [(u.name, u.getvalue()) for u in uploaded or []]
        previews = page_previews(db, files, f.principal, new_units=accepted_new_units()) if files else []
        for p in previews:
            box = st.container(border=True)
            box.markdown(describe(p))
            if (p.only_unknown_unit or p.add_units) and can(f.principal, MANAGE_UNITS):
                u = p.proposed_unit or {}
                box.checkbox(f"Chấp nhận “{literal(u.get('code'))} — {literal(u.get('name'))}” là đơn vị mới (thêm "
                             "vào danh sách "
                             "đơn vị khi lưu)", key=f"{K.UP_NEW_UNIT}{p.digest}",
                             help="Chỉ chọn khi đây thật là một đơn vị mới, không phải mã gõ nhầm.")
            if p.errors or p.warnings:
                box.dataframe(submissions.issues_table(p.errors + p.warnings), hide_index=True,
                              key=f"up_issues_{round_no}_{p.digest[:12]}",
                              column_config={"Nội dung": st.column_config.TextColumn(width="large")})
        valid = [p for p in previews if p.status == "valid"]
        if previews:
            st.button(f"Xác nhận lưu {len(valid)} báo cáo hợp lệ", key=K.UP_CONFIRM, type="primary",
                      disabled=not valid, on_click=confirm_upload, args=(db, f.principal))
        for r in st.session_state.get(K.UP_RESULTS, []):
            show = {"accepted": st.success, "duplicate": st.info}.get(r.status, st.error)
            show(describe(r))

    st.subheader(f"{next(step)}. Tình hình nộp báo cáo năm {f.year}")
    window = dict(year=f.year, unit=f.scope_unit, as_of=f.as_of, principal=f.principal)
    long = cached(history.completeness, db, **window)
    counts = cached_view(submissions.completeness_counts, history.completeness, db, **window)
    cols = st.columns(4)
    for col, (code, label) in zip(cols, [("on_time", "Đúng hạn"), ("late", "Nộp muộn"),
                                         ("missing", "Chưa nộp (quá hạn)"), ("waiting", "Chưa nộp (còn hạn)")]):
        col.metric(label, counts[code])
    if long.empty:
        st.info("Chưa có đơn vị nào trong danh sách phải nộp báo cáo.")
    else:
        shown, left_out = cached_view(submissions.worst_completeness, history.completeness, db, **window)
        chart(charts.completeness_heatmap(shown, f"{counts['late']} báo cáo nộp muộn, {counts['missing']} "
                                          f"báo cáo chưa nộp năm {f.year}", big=f.present), key="up_matrix_chart")
        if left_out:
            st.caption(f"Biểu đồ chỉ hiện {detail.MAX_CHART_ROWS} đơn vị thiếu báo cáo nhiều nhất; "
                       f"{left_out} đơn vị khác có trong bảng dưới đây.")
        matrix = cached_view(submissions.completeness_matrix, history.completeness, db, **window)
        table(matrix, key="up_matrix_table")
        table_downloads(matrix, f"Tình hình nộp báo cáo {f.year}", "matrix", what="tình hình nộp")

    st.subheader(f"{next(step)}. Lịch sử nộp báo cáo")
    hist = cached_view(submissions.history_table, history.submission_history, db, unit=f.scope_unit, year=f.year,
                       principal=f.principal)
    if hist.empty:
        st.info(f"Chưa có báo cáo nào được nộp cho năm {f.year}.")
    else:
        table(hist, key="up_history_table")
        table_downloads(hist, f"Lịch sử nộp báo cáo {f.year}", "history", what="lịch sử nộp")
