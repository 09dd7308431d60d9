"""The background warm-up (ui/warm.py): it fills exactly the cache entries the overview uses, for every
account that sees the whole organisation, and follows the data version, uploads included."""
from __future__ import annotations

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.storage import open_database
from tests.builders import sign_in
from tests.test_cache import APP, compute_calls, org, shown_value, upload  # noqa: F401 — fixtures
from ui import warm
from core.text import fmt_value


def _signed_in(org_path: Path, username: str) -> AppTest:
    # before any warm-up: creating the demo accounts is a write, which raises data_version
    return sign_in(AppTest.from_file(str(APP), default_timeout=120), org_path, username)


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_after_the_warm_up_the_overview_computes_nothing(org, monkeypatch, compute_calls):
    monkeypatch.setenv("DASHBOARD_DB", str(org))
    db = open_database(org)
    apps = {user: _signed_in(org, user) for user in ("admin", "lanhdao")}
    warmed = warm.warm_once(db)
    views = warm.default_views(db)
    # the default period, the same period last year and the trend years; plus who reported, cell names
    assert warmed and len(compute_calls) == sum(fn.__name__ == "compute" for fn, _ in views)
    assert all(c.get("unit") is None for c in compute_calls)
    for user, at in apps.items():  # two roles that see the whole organisation share the entries
        compute_calls.clear()
        _run(at)
        assert compute_calls == [], f"{user}: the overview recomputed {compute_calls}"
        assert shown_value(at, "I03") == fmt_value(100.0, "%")


def test_the_warm_up_follows_uploads(org, tmp_path, monkeypatch, compute_calls):
    monkeypatch.setenv("DASHBOARD_DB", str(org))
    monkeypatch.setenv("DASHBOARD_WARM", "1")
    monkeypatch.setattr(warm, "POLL_S", 0.05)
    db = open_database(org)
    at = _signed_in(org, "admin")

    def wait_for(condition, what: str) -> None:
        deadline = time.monotonic() + 60
        while not condition():
            assert time.monotonic() < deadline, f"the warm-up thread did not {what}"
            time.sleep(0.02)  # polling the thread's visible effect, not a fixed wait

    assert warm.start(db) and not warm.start(db)  # one thread per database
    def computes() -> int:  # how many engine computations one round of the warm-up makes now
        return sum(fn.__name__ == "compute" for fn, _ in warm.default_views(db))

    try:
        first = computes()
        wait_for(lambda: len(compute_calls) >= first, "warm the first version")
        upload(db, tmp_path, "DB02", "Không")
        wait_for(lambda: len(compute_calls) > first, "notice the upload")
        rounds = len(compute_calls)
        wait_for(lambda: len(compute_calls) >= first + computes(), "finish the new round")
    finally:
        warm.stop(db)
    compute_calls.clear()
    _run(at)
    assert compute_calls == [] and rounds > first
    assert shown_value(at, "I03") == fmt_value(50.0, "%")  # the warmed figures are the new ones


def test_switched_off_it_does_not_start(org, monkeypatch):
    monkeypatch.setenv("DASHBOARD_WARM", "0")
    assert warm.start(open_database(org)) is False


def test_an_unreadable_database_backs_off_and_recovers(org, monkeypatch, caplog, compute_calls):
    """While the database cannot be read (here its real connection is closed under the thread) the thread
    logs once per back-off step, never crashing; with a working connection again it warms at once."""
    import threading

    import duckdb

    db = open_database(org)
    monkeypatch.setattr(warm, "POLL_S", 0.01)
    monkeypatch.setattr(warm, "MAX_PAUSE_S", 0.08)
    db._con.close()  # every read now fails as it does when the database is gone
    db._local = threading.local()
    stop = threading.Event()
    t = threading.Thread(target=warm._run, args=(db, stop), daemon=True)
    try:
        with caplog.at_level("ERROR", logger="ui.warm"):
            t.start()
            time.sleep(0.5)
            failures = len([r for r in caplog.records if "warm-up failed" in r.getMessage()])
            assert compute_calls == []
            db._con = duckdb.connect(str(org))  # the database answers again
            deadline = time.monotonic() + 60
            while not compute_calls:
                assert time.monotonic() < deadline, "the thread did not warm again once the database answered"
                time.sleep(0.02)
    finally:
        stop.set()
        t.join(30)
    # 0.5 s of failures with pauses 0.01, 0.02, 0.04, 0.08, 0.08…: a handful of lines, not one per poll
    assert 3 <= failures <= 12, failures
    assert not t.is_alive()
