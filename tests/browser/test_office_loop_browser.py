"""The office's loop with a unit in a real browser (issue 13), two people in two browser sessions over one
dashboard: the office reminds the late unit, the unit uploads, the office returns the report with a
comment, the unit sees the comment and resubmits, the office approves, and the period locks (the unit's
next upload is refused on the `Kỳ báo cáo` cell)."""
from __future__ import annotations

import datetime as dt
import io
import re
import urllib.parse
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from playwright.sync_api import expect

from core.config import load_config
from core.text import fmt_period
from tests.browser.conftest import new_context, run_streamlit
from tests.browser.helpers import (LONG, page_title, select_option, settle, shot, sign_in,
                                   upload_and_confirm)
from tests.builders import default_cells, info_values, write_workbook

pytestmark = pytest.mark.browser
COMMENT = "Số văn bản chỉ đạo chưa khớp với báo cáo quý trước, đề nghị kiểm tra lại"


def _last_ended_quarter(today: dt.date) -> tuple[int, str]:
    q = (today.month - 1) // 3  # quarters of this year already over
    return (today.year, f"Q{q}") if q else (today.year - 1, "Q4")


@pytest.fixture(scope="module")
def loop_app(tmp_path_factory):
    """DB01 and DB02 must report; DB02 already sent the last ended quarter's report and the office approved
    it, DB01 has not sent it. Served by its own Streamlit process."""
    from core.auth import Principal, ensure_demo_accounts, operating
    from core.storage import open_database
    from loaders.store import ingest_bytes
    from ops.review import approve_reports
    from tests.builders import register_units

    work = tmp_path_factory.mktemp("office-loop")
    today = dt.datetime.now(ZoneInfo(load_config().timezone)).date()
    year, period = _last_ended_quarter(today)
    path = work / "loop.duckdb"
    with operating():
        db = open_database(path)
        register_units(db, "DB01", "DB02")
        ensure_demo_accounts(db)
        wb = write_workbook(work / "DB02.xlsx", info=info_values("DB02", year, period), cells=default_cells("DB02"),
                            elements={"VAN_BAN_CHI_DAO": 3})
        r = ingest_bytes(db, wb.read_bytes(), wb.name)
        assert r.status == "accepted", r.errors
        approve_reports(db, [r.submission_id], principal=Principal("vanphong", "van_phong", "ROOT"))
        db.close()
    with run_streamlit(path, work, "office-loop.log") as (url, log):
        yield url, year, period, work


def open_as(browser, url: str, user: str, page_path: str, year: int):
    """A new browser session signed in as `user` on a page of the dashboard (the year in the link)."""
    ctx = new_context(browser, 1440, 1000)
    page = ctx.new_page()
    page.goto(f"{url}/?{urllib.parse.urlencode({'year': year, 'page': page_path})}", wait_until="domcontentloaded")
    page.get_by_label("Tên đăng nhập", exact=True).wait_for(timeout=LONG)
    sign_in(page, user, user)
    return ctx, page


def goto(page, title: str) -> None:
    """Open a page of the navigation by its title and wait for it (through another page when it is the one
    shown, so the page runs again and shows what the other session changed)."""
    if page_title(page).inner_text().strip() == title:
        goto(page, "Tổng quan")
    page.get_by_role("link", name=title).first.click()
    settle(page)
    expect(page_title(page)).to_have_text(title, timeout=LONG)


def no_error(page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_remind_upload_return_see_resubmit_approve_lock(browser, loop_app):
    url, year, period, work = loop_app
    label = fmt_period(period, year)
    office_ctx, office = open_as(browser, url, "vanphong", "don-doc", year)
    unit_ctx, unit = open_as(browser, url, "donvi_db01", "nop-bao-cao", year)
    try:
        # 1. remind: DB01 is on the list of units to chase; the notice is generated and downloaded
        expect(page_title(office)).to_have_text("Đôn đốc & duyệt")
        expect(office.get_by_text(f"1. Cần đôn đốc — {label}")).to_be_visible()
        office.get_by_role("button", name="Lập công văn đôn đốc").click()
        settle(office)
        expect(office.get_by_text(re.compile(r"Đã lập 1 công văn đôn đốc \(số 1\)"))).to_be_visible()
        with office.expect_download() as got:
            office.get_by_role("button", name=re.compile("Tải công văn đôn đốc")).click()
        notice = Document(io.BytesIO(open(got.value.path(), "rb").read()))
        text = "\n".join(c.text for t in notice.tables for row in t.rows for c in row.cells)
        assert "Số 1-CV/ĐU" in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text
        no_error(office)
        shot(office, "office-loop-1-remind")

        # 2. the unit uploads its report
        first = write_workbook(work / f"DB01_{year}_{period}.xlsx", info=info_values("DB01", year, period),
                               cells=default_cells("DB01"), elements={"VAN_BAN_CHI_DAO": 4})
        upload_and_confirm(unit, first)

        # 3. the office returns it with a comment
        goto(office, "Đôn đốc & duyệt")
        select_option(office, "Báo cáo", "phiên bản 1 (Đã nhận)")
        office.get_by_role("textbox", name=re.compile("Nhận xét")).fill(COMMENT)
        office.get_by_role("button", name="Trả lại", exact=True).click()
        settle(office)
        expect(office.get_by_text(re.compile(r"Đã trả lại 1 báo cáo: DB01"))).to_be_visible()
        no_error(office)
        shot(office, "office-loop-2-returned")

        # 4. the unit sees the comment on its page
        goto(unit, "Đơn vị của tôi")
        expect(unit.get_by_text(re.compile("đã bị Văn phòng Đảng ủy trả lại"))).to_be_visible()
        expect(unit.get_by_text(re.compile(re.escape(COMMENT))).first).to_be_visible()
        no_error(unit)
        shot(unit, "office-loop-3-unit-sees-comment")

        # 5. the unit resubmits
        goto(unit, "Nộp báo cáo")
        second = write_workbook(work / f"DB01_{year}_{period}_v2.xlsx", info=info_values("DB01", year, period),
                                cells=default_cells("DB01"), elements={"VAN_BAN_CHI_DAO": 6})
        upload_and_confirm(unit, second)
        expect(unit.get_by_text(re.compile(r"thay thế bản trước, phiên bản 2"))).to_be_visible()

        # 6. the office approves; DB02 was approved already, so the period locks
        goto(office, "Đôn đốc & duyệt")
        select_option(office, "Báo cáo", "phiên bản 2 (Đã nhận)")
        office.get_by_role("button", name="Duyệt", exact=True).click()
        settle(office)
        expect(office.get_by_text(re.compile(rf"đã khóa kỳ {re.escape(label)}"))).to_be_visible()
        expect(office.get_by_text(re.compile(rf"Kỳ báo cáo {re.escape(label)} đã khóa từ"))).to_be_visible()
        no_error(office)
        shot(office, "office-loop-4-approved-locked")

        # 7. locked: the unit's next upload is refused on the period cell
        goto(unit, "Nộp báo cáo")
        third = write_workbook(work / f"DB01_{year}_{period}_v3.xlsx", info=info_values("DB01", year, period),
                               cells=default_cells("DB01"), elements={"VAN_BAN_CHI_DAO": 7})
        unit.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(third))
        settle(unit)
        expect(unit.get_by_text(re.compile("Bị từ chối"))).to_be_visible()
        expect(unit.get_by_text(re.compile("Bị từ chối"))).to_contain_text("1 lỗi")
        issues = unit.locator('[data-testid="stDataFrame"]').filter(has_text=f"Kỳ báo cáo {label} đã khóa").first
        expect(issues).to_be_attached()
        for part in ("Thông tin", "Kỳ báo cáo", "quản trị hệ thống mở khóa"):  # the cell the error names
            expect(issues).to_contain_text(part)
        no_error(unit)
        shot(unit, "office-loop-5-locked-upload-refused")
    finally:
        office_ctx.close()
        unit_ctx.close()
