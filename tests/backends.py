"""Which database backend a test run uses, and fresh databases on it.

`DASHBOARD_TEST_BACKEND=postgres` runs the modules in BOTH_BACKENDS against a real PostgreSQL server
(started once per run by tests/pg_server.py); the default runs everything on DuckDB files.
scripts/test.sh runs the suite once per backend.
"""
from __future__ import annotations

import atexit
import os
from pathlib import Path

BACKEND = os.environ.get("DASHBOARD_TEST_BACKEND", "duckdb").strip().lower() or "duckdb"
if BACKEND not in ("duckdb", "postgres"):
    raise RuntimeError(f"DASHBOARD_TEST_BACKEND must be duckdb or postgres, not {BACKEND!r}")
POSTGRES = BACKEND == "postgres"
if POSTGRES:
    import tempfile

    # a server database has no folder to keep its archive beside; tests set their own, and this
    # run-wide one catches module-scoped fixtures, so nothing lands in the project's data/archive
    os.environ.setdefault("DASHBOARD_ARCHIVE", tempfile.mkdtemp(prefix="dashboard-test-archive-"))

# the ingestion and indicator tests (issue 6: "same loaders, same metrics, same figures") plus the
# modules that prove the shared-store guarantees; every other module is DuckDB-only (file backups,
# the app's pages) and is deselected in a PostgreSQL run.
BOTH_BACKENDS = (
    "test_ingest.py",
    "test_units.py",
    "test_audit.py",
    "test_sample_contract.py",
    "test_metrics_cases.py",
    "test_metrics_cases_cells.py",
    "test_metrics_cases_meetings.py",
    "test_metrics_cases_people.py",
    "test_metrics_cli.py",
    "test_backends.py",
    "test_two_instances.py",
    "test_concurrency.py",
    "test_corrections.py",
    "test_sessions.py",
    "test_narrative.py",
    "test_office.py",
    "test_prefill.py",
    "test_reminders.py",
    "test_two_instances_browser.py",
)

_server = None


def server():
    """The run's PostgreSQL server (started on first use, stopped at exit)."""
    global _server
    if _server is None:
        from tests.pg_server import PgServer

        _server = PgServer()
        atexit.register(_server.stop)
    return _server


def new_target(directory: Path, stem: str = "test") -> Path | str:
    """A not-yet-used database on this run's backend: a DuckDB file in `directory`, or a new
    PostgreSQL database."""
    if POSTGRES:
        return server().new_database()
    return Path(directory) / f"{stem}.duckdb"
