"""The upload flow of 'Nộp báo cáo' as plain functions: preview every file, then store the valid ones.

Kept apart from the page so tests can drive it without a browser (the page only wires widgets to it).
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from core.errors import DashboardError, Issue
from core.storage import Database
from core.text import PERIOD_LABELS
from ui.literal import literal


@dataclass
class Preview:
    """One chosen file and what validation said about it (status valid | rejected | duplicate)."""

    name: str
    data: bytes = field(repr=False)
    status: str
    unit: str | None
    year: int | None
    period: str | None
    errors: list[Issue]
    warnings: list[Issue]
    proposed_unit: dict | None = None  # the unknown unit the file names (an administrator may accept it)
    add_units: bool = False  # checked with its unknown unit accepted as a new unit

    @property
    def only_unknown_unit(self) -> bool:
        """True when the one thing wrong is a unit not yet in the list (accepting it would make it valid)."""
        return (self.status == "rejected" and self.proposed_unit is not None and len(self.errors) == 1
                and self.errors[0].column == "Mã đơn vị")

    @property
    def digest(self) -> str:
        """sha256 of the bytes (identifies the file across reruns)."""
        return hashlib.sha256(self.data).hexdigest()


def preview_files(db: Database, files: list[tuple[str, bytes]], principal=None,
                  progress: Callable[[int, int, str], None] | None = None,
                  new_units: frozenset[str] = frozenset()) -> list[Preview]:
    """Validate every file without storing anything; one unreadable file never stops the others.
    `progress(n, total, name)` is called before file n is checked. `new_units`: digests of the files whose
    unknown unit the (administrator) principal accepted as a new unit."""
    from loaders.store import preview_bytes

    out = []
    for n, (name, data) in enumerate(files, 1):
        if progress:
            progress(n, len(files), name)
        add = hashlib.sha256(data).hexdigest() in new_units
        try:
            r = preview_bytes(db, data, name, principal=principal, add_units=add)
        except DashboardError as exc:
            out.append(Preview(name, data, "rejected", None, None, None,
                               exc.issues or [Issue(None, None, None, name, exc.message)], []))
            continue
        out.append(Preview(name, data, r.status, r.unit, r.year, r.period, list(r.errors), list(r.warnings),
                           r.proposed_unit, add))
    return out


def store_valid(db: Database, previews: list[Preview], uploader: str | None, principal=None,
                progress: Callable[[int, int, str], None] | None = None, on_behalf_of: str | None = None) -> list:
    """Store every previewed file that was valid (each in its own transaction); return IngestResults.

    Files that were rejected or duplicate at preview are not sent again. `progress(n, total, name)` is
    called before valid file n is stored. With a principal the account is the uploader; `on_behalf_of`
    ("nộp thay cho") is recorded beside it in the audit log."""
    from loaders.store import ingest_bytes

    results = []
    valid = [p for p in previews if p.status == "valid"]
    for n, p in enumerate(valid, 1):
        if progress:
            progress(n, len(valid), p.name)
        try:
            results.append(ingest_bytes(db, p.data, p.name, uploader=uploader or None, principal=principal,
                                        on_behalf_of=on_behalf_of, add_units=p.add_units))
        except DashboardError as exc:
            results.append(_failed(p, exc))
    return results


def _failed(p: Preview, exc: DashboardError):
    from types import SimpleNamespace

    return SimpleNamespace(file=p.name, status="rejected", unit=p.unit, year=p.year, period=p.period,
                           replaced_previous=False, version=None,
                           errors=exc.issues or [Issue(None, None, None, p.name, exc.message)], warnings=[])


def describe(p) -> str:
    """One Vietnamese line of Markdown about a file (a Preview or an IngestResult): its report and status;
    the file name and what the workbook says are shown literally."""
    what = ""
    if p.unit:
        what = f" — {literal(p.unit)}"
        if p.year:
            what += f", {literal(PERIOD_LABELS.get(p.period, p.period or '?'))}/{literal(p.year)}"
    status = {
        "valid": "✓ Hợp lệ, sẵn sàng lưu",
        "accepted": "✓ Đã lưu",
        "rejected": "✗ Bị từ chối",
        "duplicate": "= Trùng với báo cáo đã lưu, không thay đổi gì",
    }.get(p.status, p.status)
    extra = ""
    if p.status == "accepted" and getattr(p, "replaced_previous", False):
        extra = f" (thay thế bản trước, phiên bản {p.version})"
    counts = f" · {len(p.errors)} lỗi, {len(p.warnings)} cảnh báo" if (p.errors or p.warnings) else ""
    name = p.name if isinstance(p, Preview) else p.file
    return f"**{literal(name)}**{what}: {status}{extra}{counts}"


# session key of the previews kept across reruns (the page reruns on every widget change)
PREVIEW_CACHE = "up_preview_cache"


def page_previews(db: Database, files: list[tuple[str, bytes]], principal=None, *,
                  keep_bar: bool = True, new_units: frozenset[str] = frozenset()) -> list[Preview]:
    """preview_files for the page: a progress bar while several files are checked, and each file checked
    once per database state (previews are reused across reruns until data_version or the account changes,
    so a rerun never shows a status older than the last upload). keep_bar: leave the finished bar shown."""
    import streamlit as st

    stamp = (db.data_version, getattr(principal, "username", None))
    cache = st.session_state.get(PREVIEW_CACHE)
    if not cache or cache["stamp"] != stamp:
        cache = {"stamp": stamp, "items": {}}
    items = cache["items"]
    keyed = []
    for name, data in files:
        digest = hashlib.sha256(data).hexdigest()
        keyed.append(((name, digest, digest in new_units), name, data))
    todo = [(name, data) for key, name, data in keyed if key not in items]
    with _progress_bar(len(todo), "Đang kiểm tra", "Đã kiểm tra", keep=keep_bar) as step:
        for p in preview_files(db, todo, principal, progress=step, new_units=new_units):
            items[(p.name, p.digest, p.add_units)] = p
    cache["items"] = {key: items[key] for key, _, _ in keyed}  # files no longer chosen are dropped
    st.session_state[PREVIEW_CACHE] = cache
    return [items[key] for key, _, _ in keyed]


@contextmanager
def _progress_bar(total: int, doing: str, done: str, *, keep: bool) -> Iterator[Callable | None]:
    """An st.progress bar for a batch of several files ("Đang kiểm tra 3/12 tệp… TÊN"); None for one file.
    keep: leave the bar at 100 % with the final count, else remove it."""
    if total < 2:
        yield None
        return
    import streamlit as st

    bar = st.progress(0.0, text=f"{doing} 0/{total} tệp…")

    def step(n: int, of: int, name: str) -> None:
        bar.progress((n - 1) / of, text=f"{doing} {n}/{of} tệp… {literal(name)}")  # the text is Markdown

    yield step
    if keep:
        bar.progress(1.0, text=f"{done} {total}/{total} tệp.")
    else:
        bar.empty()


def confirm_upload(db: Database, principal=None) -> None:
    """Callback of 'Xác nhận lưu': store the chosen files that were valid (ingest_bytes checks each again
    under the write lock), start a fresh uploader. Runs before the page script, so the page already shows
    the stored data."""
    import streamlit as st

    from ui import state as K

    round_no = st.session_state.get(K.UP_ROUND, 0)
    chosen = st.session_state.get(f"{K.UP_FILES}_{round_no}") or []
    previews = page_previews(db, [(u.name, u.getvalue()) for u in chosen], principal, keep_bar=False,
                             new_units=accepted_new_units())
    valid = sum(p.status == "valid" for p in previews)
    # a callback's elements go above the page, so this bar is removed once the files are stored
    # the signed-in account is the uploader; the typed text is only the "nộp thay cho" note beside it
    from core.auth import recorded_uploader

    uploader, note = recorded_uploader(principal, None, st.session_state.get(K.UP_ON_BEHALF))
    with _progress_bar(valid, "Đang lưu", "Đã lưu", keep=False) as step:
        stored = store_valid(db, previews, uploader, principal, progress=step, on_behalf_of=note)
    st.session_state.pop(PREVIEW_CACHE, None)
    from core.audit import record_upload

    for p in previews:  # the stored ones were logged by ingest; the refused ones are logged here
        if p.status in ("rejected", "duplicate"):
            record_upload(db, p, actor=uploader, note=note)
    # the files left out (rejected, duplicate) are listed too, so the batch's outcome is complete
    st.session_state[K.UP_RESULTS] = stored + [p for p in previews if p.status != "valid"]
    st.session_state[K.UP_ROUND] = round_no + 1



def accepted_new_units() -> frozenset[str]:
    """Digests of the chosen files whose unknown unit an administrator ticked "accept as a new unit"."""
    import streamlit as st

    from ui import state as K

    return frozenset(k[len(K.UP_NEW_UNIT):] for k, v in st.session_state.items()
                     if isinstance(k, str) and k.startswith(K.UP_NEW_UNIT) and v)


def new_batch() -> None:
    """Callback of the file chooser: a new choice of files starts a new batch, so the last batch's outcome
    ("✓ Đã lưu …") is no longer shown beside files it does not describe."""
    import streamlit as st

    from ui import state as K

    st.session_state.pop(K.UP_RESULTS, None)


def upload_limit_text() -> str:
    """The upload size limit in Vietnamese ('20 MB')."""
    from core.config import load_config
    from core.text import fmt_auto

    return f"{fmt_auto(load_config().max_bytes / 1_048_576)} MB"
