"""The meeting screen (issue 11) in a real browser at the laptop (1366×768) and projector (1920×1080) sizes:
the scorecard's content above the fold, one colour per meaning on every page, a reload that keeps the
reader signed in and a sign-out that revokes the session, and the first paint of a freshly started server
(a deep link never shows 'Page not found' nor file-name navigation). Screenshots go to test-artifacts/."""
from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from core.auth import SESSION_COOKIE
from tests.browser.conftest import new_context, run_streamlit
from tests.browser.helpers import LONG, LOGIN_TITLE, open_app, page_title, settle, shot, sidebar, sign_in, status_counts
from ui.theme import BAD, GOOD

pytestmark = pytest.mark.browser

SIZES = {"laptop": (1366, 768), "projector": (1920, 1080)}


def _rgb(hex_colour: str) -> str:
    """'#0072B2' -> 'rgb(0, 114, 178)', as the browser reports an SVG fill."""
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, "phần tử không được vẽ"
    return box


def _main_at_top(page) -> None:
    """Scroll the app's own scrolling pane (and the window) back to the top."""
    page.evaluate("""() => { window.scrollTo(0, 0);
        for (const sel of ['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]']) {
            const el = document.querySelector(sel); if (el) el.scrollTop = 0; } }""")


@pytest.mark.parametrize("size", list(SIZES))
def test_scorecard_content_is_above_the_fold(browser, app, size):
    """Banner, headline, status counts and every row of the missed-targets table (indicator, value, target,
    gap, last year, change, who is behind) inside the first screen, without scrolling."""
    ctx = new_context(browser, *SIZES[size])
    page = ctx.new_page()
    try:
        open_app(page, app.url, year=2024)
        _main_at_top(page)
        height = SIZES[size][1]
        main = page.locator('[data-testid="stMain"]')
        banner = main.locator('[data-testid="stAlert"]').filter(has_text="đơn vị đã nộp báo cáo").first
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(re.compile(r"\d+/\d+ đơn vị đã nộp báo cáo năm 2024"))
        headline = main.locator("h3").filter(has_text=re.compile(r"chỉ tiêu chưa đạt năm 2024")).first
        expect(headline).to_be_visible()
        missed = main.locator('[data-testid="stDataFrame"]').first
        expect(missed).to_be_visible()
        headers = [t.strip() for t in missed.locator('[role="columnheader"]').all_inner_texts()]
        for column in ("Chỉ tiêu", "Kết quả", "Mục tiêu", "Chênh lệch", "Cùng kỳ", "Thay đổi",
                       "Chưa đạt / chưa thực hiện"):
            assert column in headers, headers
        texts = [t.strip() for t in missed.locator('[role="gridcell"]').all_inner_texts()]
        assert any(t.startswith("thiếu ") for t in texts), texts[:20]  # a gap in the indicator's unit
        assert any(t[:1] in "▲▼=" and t for t in texts), texts[:20]  # a change against last year
        assert any("Đảng bộ" in t or "Chi bộ" in t for t in texts), texts[:20]  # who is behind, by name
        shot(page, f"30-man-hinh-dau-{size}", full=False)
        # the whole table, including its last row, ends inside the first screen
        for what, locator in (("banner", banner), ("headline", headline), ("missed table", missed)):
            box = _box(locator)
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"{what} ở ngoài màn hình đầu: {box}"
        # the grid's accessible table holds only the rows the grid draws: all of them (and the header), so
        # no row waits behind the grid's own scroll bar
        counts = status_counts(page)
        shown = counts.get("not_met", 0) + counts.get("in_progress", 0)
        assert shown >= 10  # the sample's 2024 has many: the case that must still fit
        assert missed.locator('[role="row"]').count() == shown + 1
        shot(page, f"31-tong-quan-ca-trang-{size}")
    finally:
        ctx.close()


def test_presentation_mode_at_the_projector_size(browser, app):
    """Presentation mode at 1920×1080: filters on top of the page, a large scope line, previous/next page."""
    ctx = new_context(browser, *SIZES["projector"])
    page = ctx.new_page()
    try:
        open_app(page, app.url, year=2024, present=1)
        expect(sidebar(page)).to_be_hidden()
        main = page.locator('[data-testid="stMain"]')
        expect(main.get_by_role("combobox", name="Đơn vị", exact=True)).to_be_visible()
        scope = main.locator("h3").filter(has_text="năm 2024").first
        expect(scope).to_be_visible()
        assert float(scope.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 28
        nxt = main.get_by_role("button", name=re.compile(r"▶$"))
        expect(nxt.first).to_be_visible()
        shot(page, "32-trinh-chieu-1920")
        nxt.first.click()
        settle(page)
        expect(page_title(page)).not_to_have_text("Tổng quan")
        expect(page).to_have_url(re.compile(r"present=1"))
        expect(main.get_by_role("button", name="◀ Tổng quan")).to_be_visible()
    finally:
        ctx.close()


def _fills(page) -> set[str]:
    """Every fill colour of the bars and heatmap cells of the Plotly charts on the page."""
    return set(page.locator(".js-plotly-plot").evaluate_all(
        """plots => plots.flatMap(p => Array.from(p.querySelectorAll('path.point, .bars path, rect'))
              .map(e => getComputedStyle(e).fill).filter(f => f && f.startsWith('rgb')))"""))


def _legend(page, text: str) -> set[str]:
    """The colours of the legend entries whose text is `text`, on every chart of the page."""
    # an entry may start with its status symbol (✓ Đúng hạn, ◔ Nộp muộn): the meaning is not carried by colour alone
    return set(page.locator(".js-plotly-plot .legend .traces").filter(
        has_text=re.compile(rf"^\s*(\S\s)?{re.escape(text)}\s*$"))
               .evaluate_all("""ts => ts.map(t => { const s = t.querySelector('.legendpoints path');
                                                     return s ? getComputedStyle(s).fill : null; })
                                .filter(Boolean)"""))


def test_one_colour_one_meaning_on_every_page(page, app):
    """'Đạt' is blue and 'Chưa đạt' orange wherever a legend names them; a report on time shares the met
    colour and a petition resolved late the not-met colour (the Okabe–Ito pair of ui/theme.py)."""
    met, not_met = _rgb(GOOD), _rgb(BAD)
    open_app(page, app.url, year=2024)
    fills = _fills(page)
    assert met in fills and not_met in fills, fills
    assert _legend(page, "Đạt") == {met} and _legend(page, "Chưa đạt") == {not_met}
    open_app(page, app.url, year=2024, page="don-thu")
    assert _legend(page, "Giải quyết đúng hạn") == {met}
    assert _legend(page, "Giải quyết muộn") == {not_met}
    open_app(page, app.url, year=2024, page="nop-bao-cao")  # the report grid is a heatmap: its legend says it
    assert _legend(page, "Đúng hạn") == {met} and _legend(page, "Nộp muộn") == {not_met}
    open_app(page, app.url, year=2024, unit="DB01")  # a unit's view keeps the same colours
    assert _legend(page, "Đạt") == {met} and _legend(page, "Chưa đạt") == {not_met}
    shot(page, "33-mau-thong-nhat-DB01")


def _session_cookie(ctx) -> dict | None:
    return next((c for c in ctx.cookies() if c["name"] == SESSION_COOKIE), None)


def test_a_reload_keeps_the_reader_signed_in_and_sign_out_revokes_it(browser, app):
    ctx = new_context(browser, *SIZES["laptop"])
    page = ctx.new_page()
    try:
        open_app(page, app.url, page="don-thu", year=2024)
        page.wait_for_function(f"() => document.cookie.includes('{SESSION_COOKIE}=')", timeout=LONG)
        cookie = _session_cookie(ctx)
        assert cookie is not None and cookie["value"], ctx.cookies()
        assert cookie["sameSite"] == "Strict"
        page.reload(wait_until="domcontentloaded")
        expect(page_title(page)).to_have_text("Đơn thư", timeout=LONG)
        expect(page.get_by_label("Tên đăng nhập", exact=True)).to_have_count(0)
        expect(page).to_have_url(re.compile(r"year=2024"))
        settle(page)
        shot(page, "34-tai-lai-van-dang-nhap")

        sidebar(page).get_by_role("button", name="Đăng xuất").click()
        expect(page.get_by_label("Tên đăng nhập", exact=True)).to_be_visible(timeout=LONG)
        page.wait_for_function(f"() => !document.cookie.includes('{SESSION_COOKIE}=')", timeout=LONG)
        assert _session_cookie(ctx) is None
        page.reload(wait_until="domcontentloaded")
        expect(page.get_by_label("Tên đăng nhập", exact=True)).to_be_visible(timeout=LONG)
    finally:
        ctx.close()

    # the revoked token, replayed by another browser, opens nothing
    other = new_context(browser, *SIZES["laptop"])
    try:
        other.add_cookies([cookie])
        p2 = other.new_page()
        p2.goto(app.url.rstrip("/") + "/don-thu?year=2024", wait_until="domcontentloaded")
        expect(p2.get_by_label("Tên đăng nhập", exact=True)).to_be_visible(timeout=LONG)
        expect(p2.get_by_role("heading", name=LOGIN_TITLE)).to_be_visible()
        expect(p2.get_by_role("heading", name="Đơn thư", exact=True)).to_have_count(0)
    finally:
        other.close()


# what the first paint must never show, watched from the first byte of the document on
WATCH = """() => {
  window.__seen = [];
  const look = () => {
    const body = document.body ? document.body.innerText : '';
    if (/Page not found|You have requested page/i.test(body)) window.__seen.push('page-not-found');
    document.querySelectorAll('[data-testid="stSidebarNav"] a, [data-testid="stSidebarNavLink"]').forEach(a => {
      const t = (a.innerText || '').trim().toLowerCase();
      if (/^(app|dao tao|nop bao cao|tong quan|don thu|quan tri|sinh hoat|so sanh|tuyen giao)$/.test(t))
        window.__seen.push('file-name-nav:' + t);
    });
  };
  new MutationObserver(look).observe(document, {subtree: true, childList: true, characterData: true});
  document.addEventListener('DOMContentLoaded', look);
}"""


@pytest.fixture(scope="module")
def fresh_server(sample_db, tmp_path_factory):
    """A second Streamlit process, started for this test alone, over a copy of the sample database made
    before the session's app opened it."""
    db_path, _ = sample_db
    copy = db_path.with_name("first-paint.duckdb")
    assert copy.exists(), "the sample database's pristine copy (conftest.sample_db) is missing"
    work = tmp_path_factory.mktemp("first-paint")
    target = work / "dashboard.duckdb"
    shutil.copyfile(copy, target)
    with run_streamlit(target, work, "first-paint.log") as (url, _):
        yield url


@pytest.mark.parametrize("path,title", [("dao-tao", "Đào tạo lý luận chính trị")])
def test_first_paint_after_a_restart(browser, fresh_server, path, title):
    """The first page a freshly started server serves is a deep link: sign-in form, then that page, and no
    'Page not found' or file-name navigation at any moment in between."""
    ctx = new_context(browser, *SIZES["laptop"])
    ctx.add_init_script(f"({WATCH})()")
    page = ctx.new_page()
    try:
        page.goto(f"{fresh_server}/{path}?year=2024", wait_until="commit")
        expect(page.get_by_label("Tên đăng nhập", exact=True)).to_be_visible(timeout=LONG)
        shot(page, "35-lan-dau-dang-nhap")
        sign_in(page)
        expect(page_title(page)).to_contain_text(title)
        expect(page).to_have_url(re.compile(rf"/{path}\b"))
        nav = [t.strip() for t in sidebar(page).locator('[data-testid="stSidebarNav"]').all_inner_texts()]
        assert nav and "Tổng quan" in nav[0], nav
        seen = page.evaluate("() => window.__seen")
        assert seen == [], seen
        shot(page, "36-lan-dau-trang-sau-dang-nhap")
    finally:
        ctx.close()
