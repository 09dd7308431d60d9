"""Tình hình đơn vị in a real browser (issue 12): the units' words of Q2/2024 with the pressing ones first,
search, and the review report downloaded from the page as Word (read back with python-docx, figures as the
engine's) and as PDF; the compiled table as Excel."""
from __future__ import annotations

import io
import re

import pytest
from docx import Document as Docx
from openpyxl import load_workbook
from playwright.sync_api import expect

from core.text import fmt_auto
from tests.browser.helpers import LONG, open_app, settle, shot

pytestmark = pytest.mark.browser


def main(page):
    return page.locator('[data-testid="stMain"]')


def test_the_units_words_and_the_review_report_from_the_page(page, app):
    open_app(page, app.url, page="tinh-hinh", year=2024, quarter=2)
    expect(page.get_by_role("heading", name="Tình hình đơn vị", exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    opinion = page.get_by_role("heading", name=re.compile(r"^Dư luận xã hội \(\d+\)"))
    expect(opinion).to_be_visible()
    # the section's first point is the planted Nổi cộm one (DB05: dust and noise from the cement plant)
    first = opinion.locator("xpath=following::li[1]")
    expect(first).to_contain_text("Nổi cộm")
    expect(first).to_contain_text("nghiền clinker")
    shot(page, "20-tinh-hinh-quy-2-2024")

    box = page.get_by_label("Tìm trong nội dung", exact=True)
    box.fill("clinker")
    box.press("Enter")
    settle(page)
    expect(main(page)).to_contain_text("Đảng bộ Công ty Cổ phần Xi măng")
    expect(page.get_by_role("heading", name=re.compile(r"^Tình hình tư tưởng"))).to_have_count(0)
    with page.expect_download(timeout=LONG) as got:
        page.get_by_role("button", name="Tải tình hình (Excel)").click()
    ws = load_workbook(io.BytesIO(open(got.value.path(), "rb").read())).active
    contents = [r[4].value for r in ws.iter_rows(min_row=4) if r[4].value]
    assert contents and all("clinker" in c for c in contents)
    box.fill("")
    box.press("Enter")
    settle(page)

    with page.expect_download(timeout=LONG) as got:
        page.get_by_role("button", name="Báo cáo sơ kết Quý II/2024 (Word)").click()
    assert got.value.suggested_filename.endswith(".docx")
    doc = Docx(got.value.path())
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Sơ kết công tác xây dựng Đảng Quý II năm 2024" in text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in doc.tables[0].rows[0].cells[1].text
    acts = app.expect(2024, 2)["activities"]  # the engine's, computed before the app started
    assert f"ban hành {fmt_auto(acts['VAN_BAN_CHI_DAO'])} văn bản lãnh đạo" in text
    assert f"với {fmt_auto(acts['NGUOI_THAM_DU'])} lượt người tham dự" in text
    assert "- [Nổi cộm] Người dân khu dân cư giáp nhà máy phản ánh bụi" in text

    with page.expect_download(timeout=LONG) as got:
        page.get_by_role("button", name="Báo cáo sơ kết Quý II/2024 (PDF)").click()
    assert open(got.value.path(), "rb").read(5) == b"%PDF-"
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
