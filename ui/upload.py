"""The upload flow of 'Nộp báo cáo' as plain functions: preview every file, then store the valid ones.

Kept apart from the page so tests can drive it without a browser (the page only wires widgets to it).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from loaders.errors import DashboardError, Issue
from loaders.storage import Database
from ui.format import PERIOD_LABELS


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

    @property
    def digest(self) -> str:
        """sha256 of the bytes (identifies the file across reruns)."""
        return hashlib.sha256(self.data).hexdigest()


def preview_files(db: Database, files: list[tuple[str, bytes]], principal=None) -> list[Preview]:
    """Validate every file without storing anything; one unreadable file never stops the others."""
    from loaders.ingest import preview_bytes

    out = []
    for name, data in files:
        try:
            r = preview_bytes(db, data, name, principal=principal)
        except DashboardError as exc:
            out.append(Preview(name, data, "rejected", None, None, None,
                               exc.issues or [Issue(None, None, None, name, exc.message)], []))
            continue
        out.append(Preview(name, data, r.status, r.unit, r.year, r.period, list(r.errors), list(r.warnings)))
    return out


def store_valid(db: Database, previews: list[Preview], uploader: str | None, principal=None) -> list:
    """Store every previewed file that was valid (each in its own transaction); return IngestResults.

    Files that were rejected or duplicate at preview are not sent again."""
    from loaders.ingest import ingest_bytes

    results = []
    for p in previews:
        if p.status != "valid":
            continue
        try:
            results.append(ingest_bytes(db, p.data, p.name, uploader=uploader or None, principal=principal))
        except DashboardError as exc:
            results.append(_failed(p, exc))
    return results


def _failed(p: Preview, exc: DashboardError):
    from types import SimpleNamespace

    return SimpleNamespace(file=p.name, status="rejected", unit=p.unit, year=p.year, period=p.period,
                           replaced_previous=False, version=None,
                           errors=exc.issues or [Issue(None, None, None, p.name, exc.message)], warnings=[])


def describe(p) -> str:
    """One Vietnamese line about a file (a Preview or an IngestResult): its report and status."""
    what = ""
    if p.unit:
        what = f" — {p.unit}"
        if p.year:
            what += f", {PERIOD_LABELS.get(p.period, p.period or '?')}/{p.year}"
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
    return f"**{name}**{what}: {status}{extra}{counts}"


def confirm_upload(db: Database, principal=None) -> None:
    """Callback of 'Xác nhận lưu': re-validate the chosen files, store the valid ones, start a fresh
    uploader. Runs before the page script, so the page already shows the stored data."""
    import streamlit as st

    from ui import state as K

    round_no = st.session_state.get(K.UP_ROUND, 0)
    chosen = st.session_state.get(f"{K.UP_FILES}_{round_no}") or []
    previews = preview_files(db, [(u.name, u.getvalue()) for u in chosen], principal)
    stored = store_valid(db, previews, st.session_state.get(K.UP_UPLOADER), principal)
    from loaders.audit import record_upload

    for p in previews:  # the stored ones were logged by ingest; the refused ones are logged here
        if p.status in ("rejected", "duplicate"):
            record_upload(db, p, actor=getattr(principal, "username", None) or st.session_state.get(K.UP_UPLOADER))
    # the files left out (rejected, duplicate) are listed too, so the batch's outcome is complete
    st.session_state[K.UP_RESULTS] = stored + [p for p in previews if p.status != "valid"]
    st.session_state[K.UP_ROUND] = round_no + 1

