"""Quản trị: accounts, the unit list, target overrides per year (who/when recorded), target history.
Each section shows only for a role holding its permission; the functions behind them refuse the others too."""
import streamlit as st

from metrics import history
from ui.views import administration, submissions
from metrics.indicators import INDICATORS
from ui import state as K
from ui.data import cached, get_db
from ui.filters import current
from ui.literal import literal
from ui.page import download, header, shown_errors, table, table_downloads
from core import auth
from ui.admin import add_user, load_units, prefill_target, prefill_user, reset_password, save_target, save_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

f = current()
db = get_db()
header("Quản trị", f)
me = f.principal
if not any(auth.can(me, p) for p in (auth.MANAGE_USERS, auth.MANAGE_UNITS, auth.MANAGE_TARGETS)):
    st.error("Tài khoản của bạn không có quyền quản trị.", icon="🚫")
    st.stop()

if auth.can(me, auth.MANAGE_USERS):
    st.subheader("Tài khoản người dùng")
    with shown_errors():
        users = auth.list_users(db, principal=me)
        roles = list(auth.ROLES)
        unit_codes = list(f.unit_names)
        shown_users = users.assign(role=[auth.ROLE_LABELS.get(r, r) for r in users["role"]])
        table(shown_users.rename(columns={"username": "Tên đăng nhập", "full_name": "Họ và tên", "role": "Vai trò",
                                          "scope_unit": "Phạm vi", "email": "Email", "active": "Hoạt động",
                                          "is_demo": "Tài khoản thử", "created_at": "Tạo lúc",
                                          "updated_at": "Sửa lúc"}), key="ad_users_table")
        with st.expander("Tạo tài khoản mới"):
            c1, c2 = st.columns(2)
            c1.text_input("Tên đăng nhập", key=K.AD_U_NAME, placeholder="vd. nguyenvana")
            c2.text_input("Họ và tên", key=K.AD_U_FULL)
            c3, c4 = st.columns(2)
            c3.selectbox("Vai trò", roles, format_func=auth.ROLE_LABELS.get, key=K.AD_U_ROLE)
            c4.selectbox("Phạm vi (đơn vị)", unit_codes, format_func=lambda c: f"{c} — {f.unit_names.get(c, c)}",
                         key=K.AD_U_UNIT)
            c5, c6 = st.columns(2)
            c5.text_input("Email (đăng nhập qua OIDC, nếu có)", key=K.AD_U_EMAIL)
            c6.text_input(f"Mật khẩu (ít nhất {auth.MIN_PASSWORD} ký tự)", type="password", key=K.AD_U_PASSWORD)
            st.button("Tạo tài khoản", key=K.AD_U_ADD, type="primary", on_click=add_user, args=(db, me))
        names = users["username"].tolist()
        if names:
            with st.expander("Sửa vai trò, phạm vi, khóa hoặc đặt lại mật khẩu"):
                if st.session_state.get(K.AD_U_PICK) not in names:
                    st.session_state[K.AD_U_PICK] = names[0]
                    prefill_user(db, me)
                st.selectbox("Tài khoản", names, key=K.AD_U_PICK, on_change=prefill_user, args=(db, me))
                e1, e2, e3 = st.columns([2, 2, 1])
                e1.selectbox("Vai trò", roles, format_func=auth.ROLE_LABELS.get, key=K.AD_U_EDIT_ROLE)
                e2.selectbox("Phạm vi (đơn vị)", unit_codes, format_func=lambda c: f"{c} — {f.unit_names.get(c, c)}",
                             key=K.AD_U_EDIT_UNIT)
                e3.checkbox("Đang hoạt động", key=K.AD_U_EDIT_ACTIVE)
                st.button("Lưu thay đổi", key=K.AD_U_SAVE, on_click=save_user, args=(db, me))
                st.text_input("Mật khẩu mới", type="password", key=K.AD_U_NEW_PASSWORD)
                st.button("Đặt lại mật khẩu", key=K.AD_U_RESET, on_click=reset_password, args=(db, me))
        if st.session_state.get(K.AD_U_ERROR):
            st.error(literal(st.session_state[K.AD_U_ERROR]), icon="🚫")
        elif st.session_state.get(K.AD_U_MESSAGE):
            st.success(literal(st.session_state[K.AD_U_MESSAGE]))

if auth.can(me, auth.MANAGE_UNITS):
    st.subheader("Danh sách đơn vị")
    with shown_errors():
        from loaders.template import unit_list_template_bytes

        download("Tải mẫu danh sách đơn vị (Excel)", unit_list_template_bytes, "mau-danh-sach-don-vi.xlsx", XLSX,
                 "ad_units_template")
        units_file = st.file_uploader("Tệp danh sách đơn vị (sheet “Đơn vị”)", key=K.AD_UNITS_FILE)
        st.button("Nạp danh sách đơn vị", key=K.AD_UNITS_LOAD, disabled=units_file is None, type="primary",
                  on_click=load_units, args=(db, me))
        error = st.session_state.get(K.AD_UNITS_ERROR)
        if error is not None:
            st.error(literal(error.message), icon="🚫")
            if error.issues:
                table(submissions.issues_table(error.issues), key="ad_units_issues")
        result = st.session_state.get(K.AD_UNITS_RESULT)
        if result is not None:
            st.success(literal(administration.unit_list_summary(result)))
            if result.warnings:
                table(submissions.issues_table(result.warnings), key="ad_units_warnings")
    units = administration.units_table(cached(history.units_frame, db))
    table(units, key="ad_units_table")
    table_downloads(units, "Danh sách đơn vị", "ad_units")
    with shown_errors():
        from ui.office import contact_section

        contact_section(db, me, f.unit_names)

if auth.can(me, auth.MANAGE_UNITS) or auth.can(me, auth.MANAGE_REPORTS):
    with shown_errors():
        from ui.corrections import corrections_section

        corrections_section(db, me, f.year, f.unit_names)

if auth.can(me, auth.MANAGE_TARGETS):
    st.subheader(f"Mục tiêu năm {f.year}")
    with shown_errors():
        from metrics import targets

        effective = cached(targets.effective_targets, db, year=f.year)
        table(administration.targets_table(effective), key="ad_targets_table")

        st.markdown("**Điều chỉnh mục tiêu** (áp dụng từ năm đã chọn trở đi; ghi lại người và thời điểm thay đổi)")
        ids = [i.id for i in INDICATORS]
        labels = {i.id: f"{i.code} — {i.name} ({i.unit})" for i in INDICATORS}
        if st.session_state.get(K.AD_T_YEAR) is None:
            st.session_state[K.AD_T_YEAR] = f.year
            st.session_state[K.AD_T_INDICATOR] = ids[0]
            prefill_target(db)
        c1, c2 = st.columns([3, 1])
        c1.selectbox("Chỉ tiêu", ids, format_func=labels.get, key=K.AD_T_INDICATOR, on_change=prefill_target, args=(db,))
        c2.number_input("Áp dụng từ năm", min_value=2000, max_value=2100, step=1, key=K.AD_T_YEAR,
                        on_change=prefill_target, args=(db,))
        ops = list(administration.TARGET_OPS)
        c3, c4, c5, c6 = st.columns(4)
        op = c3.selectbox("Loại mục tiêu", ops, format_func=administration.TARGET_OPS.get, key=K.AD_T_OP)
        c4.number_input("Giá trị", min_value=0.0, step=1.0, key=K.AD_T_VALUE, disabled=op in ("range", "none"))
        c5.number_input("Từ", min_value=0.0, step=1.0, key=K.AD_T_MIN, disabled=op != "range")
        c6.number_input("Đến", min_value=0.0, step=1.0, key=K.AD_T_MAX, disabled=op != "range")
        st.text_input("Người thay đổi", key=K.AD_T_BY, placeholder="Họ và tên, chức vụ")
        st.button("Lưu mục tiêu", key=K.AD_T_SAVE, type="primary", on_click=save_target, args=(db, me))
        if st.session_state.get(K.AD_T_ERROR):
            st.error(literal(st.session_state[K.AD_T_ERROR]), icon="🚫")
        elif st.session_state.get(K.AD_T_MESSAGE):
            st.success(literal(st.session_state[K.AD_T_MESSAGE]))

    st.subheader("Lịch sử thay đổi mục tiêu")
    with shown_errors():
        from metrics import targets

        hist = administration.target_history_table(cached(targets.target_history, db))
        if hist.empty:
            st.info("Chưa có mục tiêu nào được điều chỉnh; đang dùng mục tiêu mặc định theo văn bản gốc.")
        else:
            table(hist, key="ad_target_history")
            table_downloads(hist, "Lịch sử thay đổi mục tiêu", "ad_hist")

if auth.can(me, auth.MANAGE_USERS):  # the activity log: administrators only
    with shown_errors():
        from ui.admin import audit_section, backup_section

        audit_section(db)
        backup_section(db, me.username if me else None)
