"""Web security in a real browser (issue 10): exported files stop being served once their user signs out,
and hostile unit and file names are rendered as text (no <img>, no <a> made from them in the DOM)."""
from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PROJECT, _env, run_streamlit
from tests.browser.helpers import LONG, open_app, settle, shot, sidebar
from tests.test_literal import HOSTILE_CODE, HOSTILE_FILE, HOSTILE_UNIT
from ui.literal import WORD_JOINER

pytestmark = pytest.mark.browser


def status_of(url: str) -> int:
    """The HTTP status a plain client (no browser, no session) gets for `url`."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def sign_out(page) -> None:
    """Click 'Đăng xuất' and wait for the sign-in form."""
    sidebar(page).get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_label("Tên đăng nhập", exact=True)).to_be_visible(timeout=LONG)
    settle(page)


def test_downloads_are_not_served_after_sign_out(page, app):
    """Sign in, download the scorecard (Excel and CSV): their /media/ URLs answer while signed in; after
    'Đăng xuất' the same URLs answer 404 to anyone."""
    open_app(page, app.url, year=2025)
    urls = []
    for label in ("Bảng chỉ tiêu (Excel)", "Bảng chỉ tiêu (CSV)"):
        with page.expect_download(timeout=LONG) as got:
            page.get_by_role("button", name=label).click()
        urls.append(got.value.url)
    assert all("/media/" in u for u in urls), urls
    assert [status_of(u) for u in urls] == [200, 200]  # served while the user is signed in
    sign_out(page)
    assert [status_of(u) for u in urls] == [404, 404]
    shot(page, "20-dang-xuat-tep-tai-xuong-het-hieu-luc")


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    """The small organisation with unit DB66 named HOSTILE_UNIT (tests/test_literal.py), built through
    the loader in its own process (the app must own the DuckDB file), served by its own Streamlit."""
    work = tmp_path_factory.mktemp("hostile-app")
    db_path = work / "hostile.duckdb"
    build = ("import sys; from pathlib import Path; from core.auth import operating; "
             "from tests.test_literal import hostile_org; "
             "op = operating(); op.__enter__(); hostile_org(Path(sys.argv[1]), Path(sys.argv[2]))")
    made = subprocess.run([sys.executable, "-c", build, str(db_path), str(work)], cwd=PROJECT,
                          env=_env(db_path, work), capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stdout + made.stderr
    with run_streamlit(db_path, work, "hostile.log") as (url, _):
        yield url


LIVE_ELEMENTS = ('img[src*="evil"]', 'image[href*="evil"]', 'a[href*="evil"]', 'a[href^="javascript"]',
                 'img[src="x"]', '[onerror]')


def no_live_elements(page) -> None:
    """No image, link or event handler made from a hostile name anywhere in the page (SVG included)."""
    found = page.locator(", ".join(LIVE_ELEMENTS)).evaluate_all(
        "els => els.map(e => e.outerHTML.slice(0, 300) + ' IN ' + (e.parentElement ? e.parentElement.outerHTML.slice(0, 300) : ''))")
    assert not found, found


def test_hostile_unit_and_file_names_are_shown_as_text(browser, hostile_app, tmp_path):
    """The unit's page header, the organisation's charts (Plotly SVG) and the upload preview of a file
    with a hostile name: the names read as typed, and the DOM holds no image or link made from them."""
    from tests.test_app_smoke import workbook_bytes

    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    ctx.set_default_timeout(90_000)
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        open_app(page, hostile_app, unit=HOSTILE_CODE, year=2024)
        scope = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first
        expect(scope).to_contain_text("<img src=x onerror=alert(1)> **đậm** # Tiêu đề")
        assert HOSTILE_UNIT in scope.inner_text().replace(WORD_JOINER, "")  # as typed, to the reader
        no_live_elements(page)
        shot(page, "21-ten-don-vi-doc-hai-la-chu")

        open_app(page, hostile_app, year=2024, page="nop-bao-cao")
        heatmap = page.locator(".js-plotly-plot").first
        expect(heatmap).to_contain_text("<img src=x onerror=alert(1)>")  # the SVG text, literally
        no_live_elements(page)

        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            files=[{"name": HOSTILE_FILE, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "buffer": workbook_bytes(tmp_path, "DB02", 2024, "Q3")}])
        settle(page)
        preview = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Hợp lệ, sẵn sàng lưu")
        expect(preview).to_contain_text("<img src=x onerror=alert(1)> [bấm](javascript:alert(1)) **x**.xlsx")
        assert HOSTILE_FILE in preview.inner_text().replace(WORD_JOINER, "")
        no_live_elements(page)
        shot(page, "22-ten-tep-doc-hai-la-chu")
        assert not dialogs, dialogs
    finally:
        ctx.close()
