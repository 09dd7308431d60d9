"""The files this session's download buttons produced, so that signing out takes them off the server.

Streamlit serves every download from its in-memory media store at /media/<id>.<ext>, to anyone who asks
for that URL (no session, no cookie is checked). Every button here is deferred (data=callable): the file
is generated on click and stored referenced by NO session, and Streamlit deletes such a file only when two
more script runs, of any session, have ended (MediaFileManager.remove_orphaned_files marks, then deletes).
So right after 'Đăng xuất' an export was still served to whoever had its URL. We remember the id of each
file our generators produce, per session, and delete those files at sign-out.

The id is the one Streamlit's memory store computes (a hash of the bytes, the mime type and the file name:
`_calculate_file_id`), and the deletion goes through the manager's own lock and delete; both are internals
of the pinned Streamlit 1.67, which tests/browser/test_security_browser.py exercises end to end.
"""
from __future__ import annotations

import threading
from typing import Callable

_LOCK = threading.Lock()
_PRODUCED: dict[str, set[str]] = {}  # session id -> media file ids its downloads produced


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def _manager():
    """Streamlit's media file manager, or None outside a running server (AppTest, bare scripts)."""
    from streamlit import runtime

    return runtime.get_instance().media_file_mgr if runtime.exists() else None


def media_file_id(data: bytes, mime: str, file_name: str | None) -> str:
    """The id under which Streamlit's memory media store keeps these bytes."""
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    return _calculate_file_id(data, mime, file_name)


def tracked(make: Callable[[], bytes], file_name: str, mime: str) -> Callable[[], bytes]:
    """`make` as a deferred download generator whose file is remembered for this session (and so deleted
    at its sign-out). The session is taken now: Streamlit runs the generator outside the script."""
    session = _session_id()

    def run() -> bytes:
        data = make()
        if session is not None:
            file_id = media_file_id(data, mime, file_name)
            with _LOCK:
                _prune()
                _PRODUCED.setdefault(session, set()).add(file_id)
        return data
    return run


def _prune() -> None:
    """Forget ids Streamlit has deleted meanwhile (sessions that closed without signing out leave some).

    Thread safety: callers hold _LOCK."""
    mgr = _manager()
    if mgr is None:
        return
    live = set(mgr._file_metadata)  # a copy: the manager may change it from another thread
    for session in list(_PRODUCED):
        _PRODUCED[session] &= live
        if not _PRODUCED[session]:
            del _PRODUCED[session]


def forget_session_files() -> int:
    """Delete from the media store every file this session's downloads produced (at sign-out); returns
    how many were still stored. A later request for their URLs gets 404."""
    with _LOCK:
        ids = _PRODUCED.pop(_session_id() or "", set())
    mgr = _manager()
    if not ids or mgr is None:
        return 0
    removed = 0
    with mgr._lock:  # the manager's own lock and delete: storage and metadata go together
        for file_id in ids:
            if file_id in mgr._file_metadata:
                mgr._delete_file(file_id)
                removed += 1
    return removed
