"""The dashboard in a real browser: filters, shareable links, upload with confirmation, error listing,
presentation mode, every page, and the downloads. One Streamlit process serves the whole session over a
database loaded with the sample organisation (see conftest.py)."""
from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import urllib.parse
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from core.config import load_config
from tests.browser.helpers import (
    LONG,
    caption,
    caption_text,
    grid_texts,
    metrics,
    open_app,
    select_option,
    selected_text,
    settle,
    shot,
    sidebar,
    status_counts,
)
from tests.builders import info_values, write_workbook

pytestmark = pytest.mark.browser

PAGES = {  # url path -> page title
    "": "Tổng quan",  # the default page lives at the root URL
    "sinh-hoat": "Sinh hoạt chi bộ",
    "dao-tao": "Đào tạo lý luận chính trị",
    "don-thu": "Đơn thư",
    "tuyen-giao": "Tuyên giáo",
    "so-sanh": "So sánh",
    "tinh-hinh": "Tình hình đơn vị",
    "nop-bao-cao": "Nộp báo cáo",
    "quan-tri": "Quản trị",
}
COMPLETENESS = ("Đúng hạn", "Nộp muộn", "Chưa nộp (quá hạn)", "Chưa nộp (còn hạn)")


def full(counts: dict) -> dict:
    """The engine's status counts as the overview's counts line shows them: statuses with at least one
    indicator, a figure without a target left out."""
    return {s: int(n) for s, n in counts.items() if n and s != "no_target"}


def no_error_on(page) -> None:
    """Nothing went wrong on the page: no traceback box, no red error alert."""
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)


def test_overview_sidebar_unit_and_year_change_the_scorecard(page, app):
    # first in the file, so in a full run this is also the first session of a freshly started process
    # (where Streamlit once dropped the first filter change)
    open_app(page, app.url)
    expect(page.get_by_role("heading", name="Tổng quan", exact=True)).to_be_visible()
    root = app.expect(2025)
    assert root["scope"]["is_root"]
    expect(caption(page)).to_contain_text(root["scope"]["name"])
    expect(caption(page)).to_contain_text("năm 2025")
    assert status_counts(page) == full(root["counts"])
    before = (caption_text(page), status_counts(page))
    no_error_on(page)
    shot(page, "01-tong-quan-toan-dang-bo-2025")

    db01 = app.expect(2024, unit="DB01")
    select_option(page, "Đơn vị", "DB01", scope=sidebar(page))
    expect(caption(page)).to_contain_text(f"{db01['scope']['name']} (DB01)")
    select_option(page, "Năm", "2024", scope=sidebar(page))
    expect(caption(page)).to_contain_text(f"{db01['scope']['name']} (DB01)")
    expect(caption(page)).to_contain_text("năm 2024")
    settle(page)
    assert status_counts(page) == full(db01["counts"])
    assert (caption_text(page), status_counts(page)) != before
    assert "DB01" in selected_text(page, "Đơn vị", scope=sidebar(page))
    # the choice is in the link, so it can be shared
    expect(page).to_have_url(re.compile(r"unit=DB01"))
    expect(page).to_have_url(re.compile(r"year=2024"))
    no_error_on(page)
    shot(page, "02-tong-quan-DB01-2024")


def test_link_with_query_parameters_opens_the_same_view(page, app, browser):
    open_app(page, app.url, unit="DB01", year=2024, quarter=2)
    want = app.expect(2024, quarter=2, unit="DB01")
    expect(caption(page)).to_contain_text(f"{want['scope']['name']} (DB01)")
    expect(caption(page)).to_contain_text("Quý II/2024")
    bar = sidebar(page)
    assert "DB01" in selected_text(page, "Đơn vị", scope=bar)
    assert selected_text(page, "Năm", scope=bar) == "2024"
    expect(bar.get_by_role("radio", name="Quý II", exact=True)).to_be_checked()
    assert status_counts(page) == full(want["counts"])
    seen = (caption_text(page), status_counts(page))

    # the link the app wrote, opened in a brand-new browser session, shows exactly the same figures
    other = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    try:
        p2 = other.new_page()
        p2.set_default_timeout(LONG)
        link = urllib.parse.urlparse(page.url)
        open_app(p2, app.url, **dict(urllib.parse.parse_qsl(link.query)))
        expect(caption(p2)).to_contain_text("Quý II/2024")
        assert (caption_text(p2), status_counts(p2)) == seen
    finally:
        other.close()

    # a link to another page keeps its filters too
    open_app(page, app.url, page="don-thu", unit="DB03", year=2024)
    expect(page.get_by_role("heading", name="Đơn thư", exact=True)).to_be_visible()
    expect(caption(page)).to_contain_text("(DB03)")
    expect(caption(page)).to_contain_text("năm 2024")
    no_error_on(page)

    # nonsense parameters fall back to the defaults instead of breaking the page
    open_app(page, app.url, unit="KHONG_CO", year="abc", quarter="9")
    expect(caption(page)).to_contain_text(app.expect(2025)["scope"]["name"])
    no_error_on(page)


def _upload(page, path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    settle(page)


def test_upload_a_new_quarter_and_see_it_without_restarting(page, app, tmp_path):
    today = dt.datetime.now(ZoneInfo(load_config().timezone)).date()
    year = today.year
    if year <= 2025:
        pytest.skip("dữ liệu mẫu đã có đến năm 2025; cần một năm chưa có báo cáo")
    name = f"DB01_{year}_Q1.xlsx"
    path = write_workbook(
        tmp_path / name,
        info=info_values("DB01", year, "Q1", unit_name="Đảng bộ Công ty Điện lực tỉnh"),
        elements={"QUAN_TRIET_NQ": "Có", "QCDC": "Có", "DOI_THOAI": 2, "VAN_BAN_CHI_DAO": 12,
                  "NGUOI_QUAN_TRIET": 110, "GOP_Y_XD_DANG": 1},
    )
    open_app(page, app.url, page="nop-bao-cao", year=year)
    expect(page.get_by_role("heading", name="Nộp báo cáo", exact=True)).to_be_visible()
    expect(caption(page)).to_contain_text(f"năm {year}")
    before = {k: int(metrics(page)[k]) for k in COMPLETENESS}

    _upload(page, path)
    expect(page.get_by_text("Hợp lệ, sẵn sàng lưu")).to_be_visible()
    shot(page, "05-nop-bao-cao-xem-truoc")
    page.get_by_role("button", name="Xác nhận lưu 1 báo cáo hợp lệ").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"Đã lưu"))).to_be_visible()
    expect(page.get_by_text(name).first).to_be_visible()
    settle(page)
    after = {k: int(metrics(page)[k]) for k in COMPLETENESS}
    if today > dt.date(year, 3, 31):  # Q1 has ended: the report now counts as received
        assert after["Đúng hạn"] + after["Nộp muộn"] == before["Đúng hạn"] + before["Nộp muộn"] + 1
        assert after["Chưa nộp (quá hạn)"] + after["Chưa nộp (còn hạn)"] == \
            before["Chưa nộp (quá hạn)"] + before["Chưa nộp (còn hạn)"] - 1
    expect(page.locator('[data-testid="stDataFrame"]').filter(has_text=name).first).to_be_attached()
    assert any(name in t for t in grid_texts(page)), "tệp vừa nộp không có trong lịch sử nộp báo cáo"
    no_error_on(page)
    shot(page, "06-nop-bao-cao-da-luu")

    # the overview of that year reflects it at once (same process, no restart)
    open_app(page, app.url, year=year, unit="DB01")
    expect(caption(page)).to_contain_text(f"năm {year}")
    no_error_on(page)


def _broken_workbook(tmp_path):
    """A DB02 report with one mistake on each table sheet."""
    return write_workbook(
        tmp_path / "DB02_loi.xlsx",
        info=info_values("DB02", 2024, "Q3", unit_name="Đảng bộ Công ty Cổ phần Cấp thoát nước"),
        elements={"DOI_THOAI": "mười hai", "QCDC": "Có"},
        cells=[
            {"cell_code": "DB02-CB1", "cell_name": "Chi bộ Phòng Kỹ thuật", "cell_kind": "Chi bộ trực thuộc",
             "members": 12, "mo_hinh_4_tot": "Có"},
            {"cell_code": "DB02-CB1", "cell_name": "Chi bộ Xí nghiệp 2", "cell_kind": "Chi bộ trực thuộc",
             "members": 9, "mo_hinh_4_tot": "Không"},
        ],
        meetings=[{"cell_code": "DB02-CB1", "meeting_date": dt.date(2024, 7, 5), "kind": "Định kỳ",
                   "required": 10, "attended": 15, "ideological": "Có"}],
        petitions=[{"petition_no": "07/2024", "received_date": "31/02/2024", "kind": "Khiếu nại",
                    "status": "Đang giải quyết"}],
    )


def test_broken_workbook_lists_every_error_in_vietnamese(page, app, tmp_path):
    from loaders.store import preview_bytes
    from core.storage import open_database

    path = _broken_workbook(tmp_path)
    scratch = open_database(tmp_path / "scratch.duckdb")  # what the loader says, outside the app
    try:
        from loaders.units import load_unit_list_path
        from ops.sample import SAMPLE_DIR

        load_unit_list_path(scratch, SAMPLE_DIR / "units.xlsx")  # the app's unit list
        errors = preview_bytes(scratch, path.read_bytes(), path.name).errors
    finally:
        scratch.close()
    assert len(errors) >= 4

    open_app(page, app.url, page="nop-bao-cao")
    _upload(page, path)
    expect(page.get_by_text("Bị từ chối")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"{len(errors)} lỗi"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Xác nhận lưu 0 báo cáo"))).to_be_disabled()
    # the file's issue table is the first grid on the page (section 2 comes before the matrix)
    issues = page.locator('[data-testid="stDataFrame"]').first
    expect(issues).to_be_visible()
    expect(issues.locator('[role="gridcell"]').first).to_be_attached()
    cells = [t.strip() for t in issues.locator('[role="gridcell"]').all_inner_texts()]
    for e in errors:
        assert e.message in cells, f"lỗi không hiện: {e.to_json()}"
        assert e.sheet in cells and str(e.row) in cells
    shot(page, "07-nop-bao-cao-tu-choi")


def test_presentation_mode_hides_the_sidebar_and_enlarges_figures(page, app):
    open_app(page, app.url)
    normal = caption(page).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    sidebar(page).get_by_text("Chế độ trình chiếu").click()
    settle(page)
    expect(sidebar(page)).to_be_hidden()
    expect(page).to_have_url(re.compile(r"present=1"))
    # the scope line becomes a large heading, the filters move above the page
    scope = page.locator('[data-testid="stMain"] h3').filter(has_text="số liệu tính đến").first
    expect(scope).to_be_visible()
    assert scope.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") > normal * 1.5
    expect(page.locator('[data-testid="stMain"]').get_by_role("combobox", name="Đơn vị", exact=True)).to_be_visible()
    no_error_on(page)
    shot(page, "03-trinh-chieu")

    page.get_by_role("button", name="Thoát trình chiếu").click()
    settle(page)
    expect(sidebar(page)).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"present=1"))

    # a presentation link opens straight into presentation mode
    open_app(page, app.url, present=1, unit="DB01", year=2024)
    expect(sidebar(page)).to_be_hidden()
    expect(page.get_by_role("button", name="Thoát trình chiếu")).to_be_visible()
    expect(page.locator('[data-testid="stMain"] h3').filter(has_text="(DB01)").first).to_be_visible()


@pytest.mark.parametrize("path,title", list(PAGES.items()), ids=[p or "tong-quan" for p in PAGES])
def test_every_page_renders_without_error(page, app, path, title):
    open_app(page, app.url, page=path or None, year=2025)
    expect(page.locator("h1").first).to_contain_text(title)
    no_error_on(page)
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("2025")
    shot(page, f"10-trang-{path or 'tong-quan'}")


def test_scorecard_and_meeting_pack_downloads(page, app, tmp_path):
    from pptx import Presentation

    open_app(page, app.url, year=2025)
    with page.expect_download(timeout=LONG) as got:
        page.get_by_role("button", name="Bảng chỉ tiêu (Excel)").click()
    xlsx = got.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    data = open(xlsx.path(), "rb").read()
    ws = load_workbook(io.BytesIO(data)).active
    ids = [r[0].value for r in ws.iter_rows(min_row=5) if r[0].value]
    assert len(ids) == 26 and ids[0] == "I01_QUAN_TRIET_TO_CHUC" and ids[-1] == "I26_NOP_DUNG_HAN"

    with page.expect_download(timeout=LONG) as got:
        page.get_by_role("button", name="Tài liệu họp (PowerPoint)").click()
    pack = Presentation(got.value.path())
    assert got.value.suggested_filename.endswith("-2025.pptx")
    assert len(pack.slides) >= 8
    assert sum(sh.has_chart for s in pack.slides for sh in s.shapes) >= 6

    with page.expect_download(timeout=LONG) as got:
        page.get_by_role("button", name="Tài liệu họp (PDF)").click()
    assert got.value.suggested_filename.endswith("-2025.pdf")
    assert open(got.value.path(), "rb").read(5) == b"%PDF-"
    info = subprocess.run(["pdfinfo", got.value.path()], capture_output=True, text=True, check=True).stdout
    assert f"Pages: {len(pack.slides)}" in " ".join(info.split())  # one page per slide
