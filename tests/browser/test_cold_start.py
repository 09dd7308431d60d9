"""The first browser session of a freshly started app process.

Streamlit registers the st.navigation pages during the process's first script run. In that first session
the sidebar filters (drawn in app.py before st.navigation) lose their state on the first change
(probably because their widget identity changes once the pages are registered): the chosen
unit is dropped and unit and year jump back to their first options. Every later session is fine, which is
why the other browser tests share a warmed-up app. This test starts its own cold process.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_streamlit
from tests.browser.helpers import open_app, select_option, sidebar

pytestmark = pytest.mark.browser


@pytest.mark.xfail(reason="phiên đầu tiên sau khi khởi động: bộ lọc ở thanh bên mất lựa chọn đầu tiên "
                          "(có lẽ widget đổi danh tính sau lần chạy đầu của st.navigation) — cần sửa trong app.py/ui/filters.py",
                   strict=False)
def test_first_session_after_start_keeps_the_first_filter_change(browser, sample_db, tmp_path):
    pristine = sample_db[0].parent / "pristine.duckdb"
    with run_streamlit(pristine, tmp_path, "cold.log") as (url, _):
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
        try:
            page = context.new_page()
            page.set_default_timeout(120_000)
            open_app(page, url)
            select_option(page, "Đơn vị", "DB01", scope=sidebar(page), timeout=20_000)
            expect(page).to_have_url(re.compile(r"unit=DB01"), timeout=20_000)
        finally:
            context.close()
