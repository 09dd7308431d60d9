"""One Streamlit process on a free localhost port over a sample-organisation database, and Debian's
chromium driven by Playwright. Browser tests are skipped only when chromium is missing outside CI."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = PROJECT / "test-artifacts" / "screenshots"
START_TIMEOUT_S = 240  # the first run imports pandas, duckdb, plotly on a slow 2-core machine


# Views whose engine results are computed before the app starts (the app then owns the DuckDB file,
# so the test process cannot open it): (year, quarter, unit).
EXPECTED_VIEWS = ((2025, None, None), (2024, None, "DB01"), (2024, 2, "DB01"), (2024, None, None), (2024, 2, None))

_EXPECT_SCRIPT = """
import json, sys
from core.storage import open_database
from core.clock import today as today_local
from core.auth import OPERATOR
from metrics.engine import compute
db = open_database(sys.argv[1])
out = {}
for year, quarter, unit in json.loads(sys.argv[2]):
    rep = compute(db, year=year, quarter=quarter, unit=unit, as_of=today_local(),
                  principal=OPERATOR).to_json()
    counts = {}
    for ind in rep["indicators"]:
        counts[ind["status"]] = counts.get(ind["status"], 0) + 1
    out[f"{year}|{quarter}|{unit}"] = {"counts": counts, "scope": rep["scope"], "activities": rep["activities"]}
print(json.dumps(out, ensure_ascii=False))
"""


@dataclass(frozen=True)
class App:
    """The running dashboard: its base URL, its database file, its log, and engine results per view."""

    url: str
    db_path: Path
    log_path: Path
    work_dir: Path
    expected: dict

    def expect(self, year: int, quarter: int | None = None, unit: str | None = None) -> dict:
        """The engine's status counts, scope and activities for a view of EXPECTED_VIEWS."""
        return self.expected[f"{year}|{quarter}|{unit}"]

    def log_tail(self, lines: int = 60) -> str:
        """The end of the server log (shown when a test fails)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def pytest_collection_modifyitems(config, items):
    """Skip browser tests only when chromium is absent and this is not CI (in CI they must run)."""
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} không có (chạy scripts/install_browser.sh)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def _env(db_path: Path, work: Path) -> dict:
    return {**os.environ, "DASHBOARD_DB": str(db_path), "DASHBOARD_ARCHIVE": str(work / "archive"),
            "PYTHONPATH": str(PROJECT), "PYTHONUNBUFFERED": "1"}


@contextmanager
def run_streamlit(db_path: Path, work: Path, log_name: str = "streamlit.log") -> Iterator[tuple[str, Path]]:
    """`streamlit run app.py` on a free localhost port over `db_path`; yields (url, log path) once
    /_stcore/health answers, and stops exactly the process group it started."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = work / log_name
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.port", str(port),  # as scripts/run.sh starts it
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
        cwd=PROJECT, env=_env(db_path, work), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"streamlit dừng với mã {proc.returncode}:\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit không sẵn sàng sau {START_TIMEOUT_S} giây:\n{_tail(log_path)}")
            time.sleep(0.5)  # polling a socket, not waiting on the page
        yield url, log_path
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
        log.close()


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> tuple[Path, dict]:
    """A database file loaded with the sample organisation (`python -m loaders sample`), and the engine's
    results for EXPECTED_VIEWS."""
    work = tmp_path_factory.mktemp("browser-app")
    db_path = work / "dashboard.duckdb"
    env = _env(db_path, work)
    loaded = subprocess.run([sys.executable, "-m", "loaders", "sample", "--db", str(db_path)], cwd=PROJECT,
                            env=env, capture_output=True, text=True, timeout=600)
    assert loaded.returncode == 0, f"python -m loaders sample thất bại:\n{loaded.stdout}\n{loaded.stderr}"
    # a pristine copy, taken while no process holds the file, for tests that start a server of their own
    shutil.copyfile(db_path, db_path.with_name("first-paint.duckdb"))
    computed = subprocess.run([sys.executable, "-c", _EXPECT_SCRIPT, str(db_path), json.dumps(EXPECTED_VIEWS)],
                              cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert computed.returncode == 0, computed.stderr
    return db_path, json.loads(computed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def app(sample_db) -> Iterator[App]:
    """The dashboard over the sample database, one process for the whole session."""
    db_path, expected = sample_db
    with run_streamlit(db_path, db_path.parent) as (url, log_path):
        yield App(url=url, db_path=db_path, log_path=log_path, work_dir=db_path.parent, expected=expected)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's chromium under Playwright (never a downloaded browser); a fresh temporary profile."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"CI đặt biến CI nhưng không có {CHROMIUM}: chạy scripts/install_browser.sh")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        # launch() gives every run a new empty profile directory (Playwright refuses --user-data-dir here)
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_context(browser, width: int = 1440, height: int = 900):
    """A fresh browser context (no cookies, no session): Vietnamese locale and time zone, downloads kept,
    90 s for any step (one rerun on a slow 2-core machine)."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True)
    context.set_default_timeout(90_000)
    return context


@pytest.fixture
def page(browser, app, request):
    """A fresh browser context (no cookies, no session) at a laptop-sized viewport, Vietnamese locale."""
    context = new_context(browser)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        try:
            pg.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
        except Exception:  # noqa: BLE001 - a failed screenshot must not hide the real failure
            pass
        print(f"--- streamlit log ---\n{app.log_tail()}")
    elif failed is not None:  # passed now: an earlier run's failure picture would only mislead
        (SCREENSHOTS / f"FAILED-{request.node.name}.png").unlink(missing_ok=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item, so fixtures can tell whether the test failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The project root (where app.py is)."""
    return PROJECT


