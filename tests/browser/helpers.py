"""Playwright steps for a Streamlit page: wait for a rerun to finish, pick sidebar values, read metrics,
take full-page screenshots. Waits are on the app's own state and on visible text, never fixed sleeps."""
from __future__ import annotations

import re
import urllib.parse

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS

LONG = 120_000  # ms; one rerun of a page with several engine calls on a slow 2-core machine
expect.set_options(timeout=LONG)
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
APP_RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'


def settle(page: Page, *, started_within_ms: int = 5_000) -> None:
    """Wait until the script rerun triggered by the last action has finished."""
    try:
        page.wait_for_selector(APP_RUNNING, state="attached", timeout=started_within_ms)
    except PlaywrightError:
        pass  # the rerun was already over (or none was triggered): fall through to the idle check
    page.wait_for_selector(APP_IDLE, state="attached", timeout=LONG)
    # Plotly and the data grid draw after the script ends; wait for the spinner-free main area too
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=LONG)


USER, PASSWORD = "admin", "admin"  # the documented demo administrator that `loaders sample` creates
LOGIN_TITLE = "Bảng điều khiển Đảng ủy"  # the sign-in page's h1


def open_app(pg: Page, base_url: str, **params: object) -> None:
    """Open the dashboard with query parameters (page=<url path> opens that page), sign in as the demo
    administrator (every new browser session starts at the sign-in page; the link's parameters survive
    it), and wait for the page's first run to finish."""
    page = pg
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    page.goto(base_url.rstrip("/") + "/" + (f"?{query}" if query else ""), wait_until="domcontentloaded")
    user = page.get_by_label("Tên đăng nhập", exact=True)
    user.or_(page_title(page)).first.wait_for(timeout=LONG)
    if user.count():
        sign_in(page)
    # the app reports "not running" before its first run has even started, so wait for the page title;
    # touching a widget during that first run can lose the widget's state
    expect(page_title(page)).to_be_visible(timeout=LONG)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=LONG)
    settle(page)


def page_title(page: Page):
    """The h1 of a dashboard page (not the sign-in page's)."""
    return page.locator('[data-testid="stMain"] h1').filter(has_not_text=LOGIN_TITLE).first


def sign_in(page: Page, user: str = USER, password: str = PASSWORD) -> None:
    """Fill the sign-in form and submit it."""
    page.get_by_label("Tên đăng nhập", exact=True).fill(user)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(page_title(page)).to_be_visible(timeout=LONG)
    settle(page)


def sidebar(page: Page):
    """The sidebar container."""
    return page.locator('[data-testid="stSidebar"]')


def select_option(page: Page, label: str, option: str, *, scope=None, timeout: int = LONG) -> None:
    """Choose `option` (visible text, matched as a substring) in the selectbox labelled `label`
    (Streamlit 1.67 draws it as an ARIA combobox: type to filter, then pick from the listbox)."""
    root = scope if scope is not None else page
    box = root.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=option).first.click()
    settle(page)
    expect(box).to_have_count(1, timeout=timeout)  # a rerun briefly shows the old widget beside the new one
    expect(box).to_have_value(re.compile(re.escape(option)), timeout=timeout)


def selected_text(page: Page, label: str, *, scope=None) -> str:
    """The text the selectbox labelled `label` currently shows."""
    root = scope if scope is not None else page
    return root.get_by_role("combobox", name=label, exact=True).input_value().strip()


def metrics(page: Page) -> dict[str, str]:
    """Every st.metric on the page: label (leading icon stripped) -> displayed value."""
    out = {}
    for m in page.locator('[data-testid="stMetric"]').all():
        label = m.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        label = re.sub(r"^[^\wÀ-ỹ]+", "", label).strip()
        out[label] = m.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def status_counts(page: Page) -> dict[str, int]:
    """The overview's status counts line under its headline ('Đạt 10 · Vượt 1 · Chưa đạt 14 …') as
    {status code: count}; statuses the line leaves out (none of them, or no target) are absent."""
    from core.text import STATUS

    codes = {label: code for code, (label, _icon) in STATUS.items()}
    line = page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').filter(
        has_text=re.compile(r"^(Đạt|Vượt|Chưa đạt|Đang thực hiện|Không có dữ liệu) \d")).first
    out = {}
    for part in line.inner_text().split("·"):
        label, _, n = part.strip().rpartition(" ")
        out[codes[label]] = int(n)
    return out


def caption(page: Page):
    """The page's scope line (unit and window) under the title (the sidebar has its own captions)."""
    return page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first


def caption_text(page: Page) -> str:
    """The text of the page's scope line."""
    return caption(page).inner_text().strip()


def grid_texts(page: Page, scope=None) -> list[str]:
    """Texts of the visible cells of every st.dataframe (the grid's accessible table) in `scope`."""
    root = scope if scope is not None else page
    return [t.strip() for t in root.locator('[data-testid="stDataFrame"] [role="gridcell"]').all_inner_texts()]


def shot(page: Page, name: str, *, full: bool = True) -> str:
    """A full-page screenshot in test-artifacts/screenshots (the app scrolls inside its main pane, so
    the viewport is stretched to the content height first); `full=False`: what the screen shows."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if not full:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        return str(SCREENSHOTS / f"{name}.png")
    size = page.viewport_size or {"width": 1440, "height": 900}
    height = page.evaluate(
        """() => { const m = document.querySelector('[data-testid="stMain"]') ||
                              document.querySelector('[data-testid="stAppViewContainer"]');
                   return Math.max(document.body.scrollHeight, m ? m.scrollHeight : 0); }""")
    path = SCREENSHOTS / f"{name}.png"
    try:
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 7000))})
        settle(page, started_within_ms=500)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return str(path)


def upload_and_confirm(page: Page, path) -> None:
    """Choose one workbook on Nộp báo cáo, wait for it to be found valid, confirm it and wait for 'Đã lưu'."""
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    settle(page)
    expect(page.get_by_text("Hợp lệ, sẵn sàng lưu")).to_be_visible()
    page.get_by_role("button", name="Xác nhận lưu 1 báo cáo hợp lệ").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"Đã lưu"))).to_be_visible()
