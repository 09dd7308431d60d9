"""Shared fixtures: a fresh database per test (a DuckDB file, or a PostgreSQL database when
DASHBOARD_TEST_BACKEND=postgres), isolated from the user's configuration and data."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from tests import backends

# Property tests stay fast and deterministic on a 2-core machine.
settings.register_profile("dashboard", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("dashboard")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """Never let a test reach the user's default database or archive through the environment."""
    monkeypatch.delenv("DASHBOARD_DB", raising=False)
    monkeypatch.delenv("DASHBOARD_ARCHIVE", raising=False)
    monkeypatch.delenv("DASHBOARD_ENV", raising=False)  # a production shell must not flip tests into production mode
    # no background warm-up threads in in-process app tests (tests/test_warm.py drives it directly;
    # the browser tests' Streamlit processes run it as in production)
    monkeypatch.setenv("DASHBOARD_WARM", "0")
    if backends.POSTGRES:
        # a server database has no folder of its own to put the archive beside
        monkeypatch.setenv("DASHBOARD_ARCHIVE", str(tmp_path / "archive"))


@pytest.fixture(autouse=True, scope="session")
def _as_operator():
    """Test code acts as the trusted local operator, as the command line does (core.auth.operating): a call
    without a principal is refused everywhere else. Pages under AppTest run in their own thread, outside
    this context, with the signed-in principal; tests/test_access.py checks the refusal itself."""
    from core.auth import operating

    with operating():
        yield


@pytest.fixture
def db_path(tmp_path):
    """A not-yet-created database: a file in the test's own folder, or a new PostgreSQL database."""
    return backends.new_target(tmp_path)


def pytest_report_header(config):
    """Say which backend this run tests."""
    return f"database backend: {backends.BACKEND}"


def pytest_collection_modifyitems(config, items):
    """A PostgreSQL run keeps only the modules that must pass on both backends."""
    if not backends.POSTGRES:
        return
    keep, drop = [], []
    for item in items:
        both = Path(str(item.fspath)).name in backends.BOTH_BACKENDS and not item.get_closest_marker("duckdb_only")
        (keep if both else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture
def db(db_path):
    """A fresh, empty database (schema + root unit) in tmp_path, closed after the test."""
    from core.storage import open_database

    database = open_database(db_path)
    yield database
    database.close()


# Fault, load, hostile-file and fuzz tests print one line of figures each ("[faults] …", "[load] …");
# pytest hides the output of passing tests, so collect those lines and show them in the run's summary.
_FIGURE_TAGS = ("[faults]", "[load]", "[hostile]", "[fuzz]")
_figures: list[str] = []


def pytest_runtest_logreport(report):
    """Keep the figure lines a test printed (its own phase's captured stdout: set-up, call or tear-down)."""
    own = "".join(text for name, text in report.sections if name == f"Captured stdout {report.when}")
    for line in own.splitlines():
        if line.lstrip().startswith(_FIGURE_TAGS):
            _figures.append(line.rstrip())


def pytest_terminal_summary(terminalreporter):
    """Print every collected figure line in a section of its own."""
    if _figures:
        terminalreporter.section("figures: faults, load, hostile files, fuzzing")
        for line in _figures:
            terminalreporter.write_line(line)
