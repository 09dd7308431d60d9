"""Keep the first view people open already computed: a background thread per app process recomputes the
whole organisation's overview (the default year and the years of its trend) as soon as the data changes.

Why: at national scale one root computation takes seconds, and the overview needs three of them. The
figures are never stale — every cache key holds `data_version`, so a page asked before the warm-up has
finished computes (or waits for) the new figures itself; the warm-up only means that usually nobody waits.
The thread polls `data_version` (one small query), so uploads through another app instance on a shared
PostgreSQL server, or the command line, are picked up as well as this process's own.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import Any, Callable

from core import auth, clock, storage
from core.errors import DashboardError
from metrics import engine, history
from ui.views import scorecard, unit_tree
from ui.data import cached, cached_view
from ui.filters import unit_options

POLL_S = 2.0
MAX_PAUSE_S = 120.0  # back-off ceiling while the database cannot be read
ENV_OFF = "DASHBOARD_WARM"  # "0" turns the thread off (the unit tests, which call warm_once directly)
_log = logging.getLogger(__name__)
_started: dict[str, tuple[threading.Event, threading.Thread]] = {}
_lock = threading.Lock()


def default_views(db) -> list[tuple[Callable, dict[str, Any]]]:
    """The calls the overview makes for the whole organisation with its default filters (the period most
    units have reported, as of today), with the exact keyword arguments the page passes (so they land on
    the same cache keys): the window, the same window last year, who has reported, cell names, the trend."""
    data_years = cached(history.report_years, db)
    today = clock.today()
    year, quarter = cached_view(unit_tree.default_period, history.coverage, db, today.year)
    views: list[tuple[Callable, dict[str, Any]]] = [
        (engine.compute, {"year": year, "quarter": quarter, "unit": None, "as_of": today}),
        (history.completeness, {"year": year, "unit": None, "as_of": today}),
        (history.cell_names, {"year": year, "unit": None}),
    ]
    if year > 2000:
        views.append((engine.compute, {"year": year - 1, "quarter": quarter, "unit": None,
                                       "as_of": clock.same_day_last_year(today)}))
    views += [(engine.compute, {"year": int(y), "quarter": None, "unit": None, "as_of": today})
              for y in sorted(scorecard.trend_years(data_years, year), reverse=True)]
    return views


def warm_once(db) -> list[Any]:
    """Compute the default views through ui.data.cached; returns their results (already cached ones are
    returned from the cache without recomputing)."""
    unit_options(db)  # the sidebar's unit picker, the same call as every page's
    return [cached(fn, db, **kwargs) for fn, kwargs in default_views(db)]


class _QuietWarmThreads(logging.Filter):
    """Streamlit warns once per cached call made outside a page run ("missing ScriptRunContext"); from
    the warm-up thread that is expected and would flood the server log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName or "").startswith("warm-")


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_QuietWarmThreads())


def start(db) -> bool:
    """Start this database's warm-up thread unless it runs already or is switched off; True if started."""
    if os.environ.get(ENV_OFF, "1").strip() in ("0", "false", "no", "off"):
        return False
    with _lock:
        if db.key in _started:
            return False
        event = threading.Event()
        thread = threading.Thread(target=_run, args=(db, event), name=f"warm-{db.name}", daemon=True)
        _started[db.key] = (event, thread)
    thread.start()
    return True


def _end(key: str, timeout: float) -> None:
    # waiting matters: a thread left inside a DuckDB query at interpreter exit aborts the process
    with _lock:
        entry = _started.pop(key, None)
    if entry is not None:
        entry[0].set()
        entry[1].join(timeout=timeout)


def stop(db) -> None:
    """End this database's warm-up thread and wait for it (tests; the app keeps it for the process lifetime)."""
    _end(db.key, 120)


# a server shutting down mid warm-up must not abort inside DuckDB
atexit.register(lambda: [_end(key, 30) for key in list(_started)])


def _run(db, stop_event: threading.Event) -> None:
    with auth.operating():  # the whole organisation, shared only through scope-keyed cache entries
        _poll(db, stop_event)


def _poll(db, stop_event: threading.Event) -> None:
    last = None
    pause = POLL_S
    while not stop_event.is_set():
        if not storage.is_open(db):  # the database was closed: nothing left to warm
            return
        try:
            version = db.data_version  # read before computing: a write meanwhile triggers another round
            if version != last:
                warm_once(db)
                last = version
            pause = POLL_S
        except Exception as exc:  # noqa: BLE001 — logged, never taking a page down
            if not storage.is_open(db):
                return
            # a server that went away fails every poll: log once per back-off step, not every 2 s
            if isinstance(exc, DashboardError):
                _log.warning("warm-up skipped, next try in %.0f s: %s", pause, exc)
            else:
                _log.exception("warm-up failed, next try in %.0f s", pause)
            pause = min(pause * 2, MAX_PAUSE_S)
        stop_event.wait(pause)
