"""Entry point: page configuration, the shared sidebar filters and the navigation over the pages."""
import streamlit as st

st.set_page_config(page_title="Bảng điều khiển Đảng ủy", page_icon="🏛️", layout="wide",
                   initial_sidebar_state="expanded")

from loaders import auth  # noqa: E402
from loaders.errors import DashboardError  # noqa: E402
from ui import auth as ui_auth, filters, state as K  # noqa: E402
from ui.data import get_db, startup_problems  # noqa: E402
from ui.page import apply_style  # noqa: E402

PAGES = {
    "Theo dõi": [
        st.Page("pages/tong_quan.py", title="Tổng quan", icon=":material/dashboard:", url_path="tong-quan", default=True),
        st.Page("pages/sinh_hoat.py", title="Sinh hoạt chi bộ & xếp loại", icon=":material/groups:", url_path="sinh-hoat"),
        st.Page("pages/dao_tao.py", title="Đào tạo LLCT", icon=":material/school:", url_path="dao-tao"),
        st.Page("pages/don_thu.py", title="Đơn thư", icon=":material/mail:", url_path="don-thu"),
        st.Page("pages/tuyen_giao.py", title="Tuyên giáo – Dân vận", icon=":material/campaign:", url_path="tuyen-giao"),
        st.Page("pages/so_sanh.py", title="So sánh đơn vị", icon=":material/leaderboard:", url_path="so-sanh"),
    ],
    "Số liệu": [
        st.Page("pages/nop_bao_cao.py", title="Nộp báo cáo", icon=":material/upload_file:", url_path="nop-bao-cao"),
        st.Page("pages/quan_tri.py", title="Quản trị", icon=":material/settings:", url_path="quan-tri"),
    ],
}
ADMIN_PERMISSIONS = (auth.MANAGE_USERS, auth.MANAGE_UNITS, auth.MANAGE_TARGETS)  # any of them shows Quản trị

try:
    db = get_db()
    auth.check_production(db)  # a production start refuses documented default accounts
except DashboardError as exc:
    st.error(exc.message, icon="🚫")
    st.stop()

principal = ui_auth.signed_in(db)
if principal is None:  # nothing but the sign-in page until someone signs in
    st.navigation([st.Page(lambda: ui_auth.login_page(db), title="Đăng nhập", url_path="dang-nhap")],
                  position="hidden").run()
    st.stop()

for problem in startup_problems():
    st.error(f"Khai báo chỉ tiêu có lỗi: {problem}", icon="⚠️")

view = filters.render_filters(db, principal)
ui_auth.account_box(principal)
apply_style(view.present)
if st.session_state.get(K.SCOPE_WARNING):
    st.warning(st.session_state[K.SCOPE_WARNING], icon="⚠️")
pages = PAGES if any(principal.can(p) for p in ADMIN_PERMISSIONS) else {
    group: [p for p in items if p.url_path != "quan-tri"] for group, items in PAGES.items()}
page = st.navigation(pages, position="top" if view.present else "sidebar")
filters.follow_page_param(pages, page)
filters.sync_url(view, page.url_path)
page.run()
