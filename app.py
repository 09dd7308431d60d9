"""Entry point: page configuration and the navigation over the pages (the frame around them: ui/shell.py)."""
import streamlit as st

st.set_page_config(page_title="Bảng điều khiển Đảng ủy", page_icon="🏛️", layout="wide",
                   initial_sidebar_state="expanded")

from ui import shell  # noqa: E402

PAGES = {
    "Theo dõi": [
        st.Page("pages/tong_quan.py", title="Tổng quan", icon=":material/dashboard:", url_path="tong-quan", default=True),
        st.Page("pages/sinh_hoat.py", title="Sinh hoạt chi bộ & xếp loại", icon=":material/groups:", url_path="sinh-hoat"),
        st.Page("pages/dao_tao.py", title="Đào tạo LLCT", icon=":material/school:", url_path="dao-tao"),
        st.Page("pages/don_thu.py", title="Đơn thư", icon=":material/mail:", url_path="don-thu"),
        st.Page("pages/tuyen_giao.py", title="Tuyên giáo – Dân vận", icon=":material/campaign:", url_path="tuyen-giao"),
        st.Page("pages/so_sanh.py", title="So sánh đơn vị", icon=":material/leaderboard:", url_path="so-sanh"),
        st.Page("pages/tinh_hinh.py", title="Tình hình đơn vị", icon=":material/article:", url_path="tinh-hinh"),
    ],
    "Số liệu": [
        st.Page("pages/nop_bao_cao.py", title="Nộp báo cáo", icon=":material/upload_file:", url_path="nop-bao-cao"),
        st.Page("pages/don_vi.py", title="Đơn vị của tôi", icon=":material/apartment:", url_path="don-vi"),
        st.Page("pages/don_doc.py", title="Đôn đốc & duyệt", icon=":material/fact_check:", url_path="don-doc"),
        st.Page("pages/quan_tri.py", title="Quản trị", icon=":material/settings:", url_path="quan-tri"),
    ],
}

pages, view = shell.frame(PAGES)
page = st.navigation(pages, position="top" if view.present else "sidebar")
shell.follow(pages, page, view)
page.run()
