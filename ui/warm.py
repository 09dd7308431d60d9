"""Keep the first view people open already computed: a background thread per app process recomputes the
whole organisation's overview (the default year and the years of its trend) as soon as the data changes.

Why: at national scale one root computation takes seconds, and the overview needs three of them. The
figures are never stale — every cache key holds `data_version`, so a page asked before the warm-up has
finished computes (or waits for) the new figures itself; the warm-up only means that usually nobody waits.
The thread polls `data_version` (one small query), so uploads through another app instance on a shared
PostgreSQL server, or the command line, are picked up as well as this process's own.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable

from loaders import storage
from loaders.errors import DashboardError

POLL_S = 2.0
ENV_OFF = "DASHBOARD_WARM"  # "0" turns the thread off (the unit tests, which call warm_once directly)
_log = logging.getLogger(__name__)
_started: dict[str, threading.Event] = {}
_lock = threading.Lock()


def default_views(db) -> list[tuple[Callable, dict[str, Any]]]:
    """The engine calls the overview makes for the whole organisation with its default filters, with the
    exact keyword arguments the page passes (so they land on the same cache keys)."""
    from loaders import history
    from metrics import engine, views
    from ui.data import cached

    data_years = cached(history.report_years, db)
    today = history.today_local()
    year = views.default_year(data_years, today.year)
    return [(engine.compute, {"year": int(y), "quarter": None, "unit": None, "as_of": today})
            for y in sorted(views.trend_years(data_years, year), reverse=True)]


def warm_once(db) -> list[Any]:
    """Compute the default views through ui.data.cached; returns their results (already cached ones are
    returned from the cache without recomputing)."""
    from loaders import history
    from metrics import views
    from ui.data import cached, cached_view

    # the sidebar's unit picker: a tree walk over every unit, redone per data version (as ui/filters.py asks)
    for view in (views.option_labels, views.option_codes, views.unit_name_map):
        cached_view(view, history.units_frame, db)
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
        stop = _started[db.key] = threading.Event()
    threading.Thread(target=_run, args=(db, stop), name=f"warm-{db.name}", daemon=True).start()
    return True


def stop(db) -> None:
    """Ask this database's warm-up thread to end (tests; the app keeps it for the process lifetime)."""
    with _lock:
        event = _started.pop(db.key, None)
    if event is not None:
        event.set()


def _run(db, stop_event: threading.Event) -> None:
    last = None
    while not stop_event.is_set():
        if storage._OPEN.get(db.key) is not db:  # the database was closed: nothing left to warm
            return
        try:
            version = db.data_version  # read before computing: a write meanwhile triggers another round
            if version != last:
                warm_once(db)
                last = version
        except DashboardError as exc:  # e.g. the server is unreachable for a moment: try again later
            _log.warning("warm-up skipped: %s", exc.message if hasattr(exc, "message") else exc)
        except Exception:  # noqa: BLE001 — a bug here must be logged, but never take a page down
            _log.exception("warm-up failed")
            if storage._OPEN.get(db.key) is not db:
                return
        stop_event.wait(POLL_S)
