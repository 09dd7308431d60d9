"""Two dashboard instances on one PostgreSQL server, as docs/deployment-postgresql.md deploys them behind a
load balancer: a report uploaded through one instance's page is listed at once by the other, and the
other way round. Runs in the PostgreSQL pass of scripts/test.sh; the DuckDB pass skips it."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from core.config import load_config
from tests import backends
from tests.browser.conftest import PROJECT, _env, run_streamlit
from tests.browser.helpers import grid_texts, open_app, shot, upload_and_confirm
from tests.builders import info_values, write_workbook

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not backends.POSTGRES, reason="runs in the PostgreSQL pass (one server, two apps)")]


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory):
    """The sample organisation in a fresh PostgreSQL database, served by two Streamlit processes that
    share it and one archive folder."""
    work = tmp_path_factory.mktemp("two-apps")
    url = backends.server().new_database()
    loaded = subprocess.run([sys.executable, "-m", "loaders", "sample", "--db", url], cwd=PROJECT,
                            env=_env(url, work), capture_output=True, text=True, timeout=900)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    with run_streamlit(url, work, "instance-a.log") as (a, _), run_streamlit(url, work, "instance-b.log") as (b, _):
        yield a, b




def test_an_upload_through_one_instance_is_listed_by_the_other(browser, two_apps, tmp_path):
    a, b = two_apps
    year = dt.datetime.now(ZoneInfo(load_config().timezone)).year
    if year <= 2025:
        pytest.skip("dữ liệu mẫu đã có đến năm 2025; cần một năm chưa có báo cáo")
    files = {}
    for unit, name in (("DB01", "Đảng bộ Công ty Điện lực tỉnh"), ("DB02", "Đảng bộ Công ty Cổ phần Cấp thoát nước")):
        files[unit] = write_workbook(tmp_path / f"{unit}_{year}_Q1_hai_may.xlsx",
                                     info=info_values(unit, year, "Q1", unit_name=name),
                                     elements={"QUAN_TRIET_NQ": "Có", "DOI_THOAI": 3})
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    ctx.set_default_timeout(90_000)
    page_a, page_b = ctx.new_page(), ctx.new_page()
    try:
        open_app(page_a, a, page="nop-bao-cao", year=year)
        open_app(page_b, b, page="nop-bao-cao", year=year)
        assert not any(files["DB01"].name in t for t in grid_texts(page_b))

        upload_and_confirm(page_a, files["DB01"])  # through instance A …
        open_app(page_b, b, page="nop-bao-cao", year=year)  # … instance B lists it
        expect(page_b.locator('[data-testid="stDataFrame"]').filter(has_text=files["DB01"].name).first).to_be_attached()
        assert any(files["DB01"].name in t for t in grid_texts(page_b))
        shot(page_b, "20-hai-may-b-thay-bao-cao-nop-qua-a")

        upload_and_confirm(page_b, files["DB02"])  # and the other way round
        open_app(page_a, a, page="nop-bao-cao", year=year)
        texts = grid_texts(page_a)
        assert any(files["DB02"].name in t for t in texts) and any(files["DB01"].name in t for t in texts)
        expect(page_a.locator('[data-testid="stException"]')).to_have_count(0)
        shot(page_a, "21-hai-may-a-thay-ca-hai")
    finally:
        ctx.close()
