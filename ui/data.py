"""Cached access to the database for pages: one Database per file, results keyed on its data_version."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from core.config import resolve_db_path
from core.storage import Database, open_database


@st.cache_resource(show_spinner=False)
def _database(target: str) -> Database:
    return open_database(target)


def get_db() -> Database:
    """The database the app works on ($DASHBOARD_DB, else the configured default: a file or a server)."""
    target = resolve_db_path()
    return _database(target if isinstance(target, str) else str(target.resolve()))


@st.cache_resource(max_entries=128, ttl=3600, show_spinner=False)
def _call(_fn: Callable, _db: Database, name: str, path: str, version: int, items: tuple) -> Any:
    return _fn(_db, **dict(items))


# engine calls whose result depends on the scope alone: the principal only authorises it, so the check runs
# first and the cached result is shared by every account that may see that scope (and by the warm-up)
SCOPE_ONLY = frozenset({"metrics.engine.compute", "metrics.engine.compute_by_unit",
                        "metrics.engine.activities_by_period", "metrics.history.completeness",
                        "metrics.history.coverage", "metrics.history.cell_names"})


def shareable(fn: Callable, db: Database, kwargs: dict) -> dict:
    """kwargs with the principal replaced by the unit it authorises, for SCOPE_ONLY functions (the same
    DashboardError as the function itself for a unit outside the principal's scope): the call then runs as
    the operator on that unit alone, so every account (and the warm-up) that may see the scope shares it."""
    if f"{fn.__module__}.{fn.__qualname__}" not in SCOPE_ONLY:
        return kwargs
    from core.auth import OPERATOR, authorize_unit

    out = dict(kwargs)
    out["unit"] = authorize_unit(db, out.pop("principal", None), out.get("unit"))
    out["principal"] = OPERATOR
    return out


def cached(fn: Callable, db: Database, **kwargs: Any) -> Any:
    """fn(db, **kwargs), cached until the database changes (keyed on path and data_version; entries of old
    versions age out: at most 128, one hour).

    Results are shared between sessions: callers must not modify them in place."""
    kwargs = shareable(fn, db, kwargs)
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))
    return _call(fn, db, f"{fn.__module__}.{fn.__qualname__}", db.key, db.data_version, items)


@st.cache_resource(max_entries=128, ttl=3600, show_spinner=False)
def _view(_view_fn: Callable, _fn: Callable, _db: Database, names: str, path: str, version: int, items: tuple,
          extra: tuple) -> Any:
    return _view_fn(cached(_fn, _db, **dict(items)), *extra)


def cached_view(view: Callable, fn: Callable, db: Database, *extra: Any, **kwargs: Any) -> Any:
    """view(fn(db, **kwargs), *extra), cached like `cached`: reshaping a large result runs once per data
    version, not on every rerun. `extra` must be hashable (e.g. a unit code, not a dict)."""
    kwargs = shareable(fn, db, kwargs)
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))
    names = f"{view.__module__}.{view.__qualname__}<{fn.__module__}.{fn.__qualname__}"
    return _view(view, fn, db, names, db.key, db.data_version, items, extra)


@st.cache_resource(show_spinner=False)
def startup_problems() -> list[str]:
    """Problems found by the declaration checks (run once per process)."""
    try:
        from metrics.checks import run_checks
    except ImportError:  # the checks module is optional at start-up; the engine itself still runs
        return []
    return list(run_checks())
