"""Shared fixtures: a fresh DuckDB file per test, isolated from the user's configuration and data."""
from __future__ import annotations

import pytest
from hypothesis import settings

# Property tests stay fast and deterministic on a 2-core machine.
settings.register_profile("dashboard", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("dashboard")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """Never let a test reach the user's default database or archive through the environment."""
    monkeypatch.delenv("DASHBOARD_DB", raising=False)
    monkeypatch.delenv("DASHBOARD_ARCHIVE", raising=False)
    monkeypatch.delenv("DASHBOARD_ENV", raising=False)  # a production shell must not flip tests into production mode


@pytest.fixture
def db_path(tmp_path):
    """Path of a not-yet-created database file in the test's own folder."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def db(db_path):
    """A fresh, empty database (schema + root unit) in tmp_path, closed after the test."""
    from loaders.storage import open_database

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
