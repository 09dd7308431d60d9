"""Load the sample organisation (sample_data/) into a database, once, through the real loaders.

The unit list first, then every workbook of sample_data/manifest.csv in its order, with the receipt time
and uploader the manifest records (so timeliness and re-submissions look as they would in real use).
The `meta` row 'sample_loaded' marks a database that already has it; a second call does nothing.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from core.auth import ensure_demo_accounts
from core.config import PROJECT_DIR
from core.errors import DashboardError
from core.clock import now_local
from loaders.store import ingest_bytes
from core.storage import Database, read_meta, stored_hashes, write_meta
from loaders.units import load_unit_list_bytes

SAMPLE_DIR = PROJECT_DIR / "sample_data"
META_KEY = "sample_loaded"

MSG_ALREADY = "Dữ liệu mẫu đã được nạp vào cơ sở dữ liệu này lúc {at}; không nạp lại."
MSG_LOADED = ("Đã nạp dữ liệu mẫu: {units} đơn vị trong danh sách, {accepted} báo cáo được nhận "
              "({replaced} bản nộp lại thay thế bản trước).")
MSG_SKIPPED = " {skipped} tệp đã có sẵn từ lần nạp trước, được bỏ qua."
MSG_MISSING = "Không tìm thấy dữ liệu mẫu: thiếu tệp {path}"
MSG_REJECTED = "Tệp mẫu {file} bị từ chối ({n} lỗi) — đây là lỗi của chương trình, dữ liệu mẫu phải hợp lệ"


def sample_status(db: Database) -> dict[str, Any] | None:
    """The record of an earlier sample load in this database, or None."""
    raw = read_meta(db, META_KEY)
    return json.loads(raw) if raw else None


def read_manifest(sample_dir: Path = SAMPLE_DIR) -> list[dict[str, Any]]:
    """The manifest rows in ingest order: path, received_at (naive local datetime), uploader."""
    path = sample_dir / "manifest.csv"
    if not path.is_file():
        raise DashboardError(MSG_MISSING.format(path=path))
    with open(path, newline="", encoding="utf-8") as fh:
        return [{"file": r["file"], "path": sample_dir / r["file"],
                 "received_at": dt.datetime.fromisoformat(r["received_at"]), "uploader": r["uploader"] or None}
                for r in csv.DictReader(fh)]


def load_sample(db: Database, sample_dir: str | Path | None = None, *, strict: bool = True) -> dict[str, Any]:
    """Load units.xlsx and every manifest workbook once; return summary counts (and a Vietnamese message).

    `strict` (the default) raises DashboardError with the file's errors when a sample file is rejected, since
    that is a bug; strict=False collects rejections in the summary instead (for the contract test) and
    then does not mark the sample as loaded.
    """
    previous = sample_status(db)
    if previous is not None:
        ensure_demo_accounts(db)  # a database loaded before accounts existed gets them too
        return {"status": "already_loaded", "message": MSG_ALREADY.format(at=_when(previous.get("loaded_at"))),
                "previous": previous, "accepted": 0, "files": 0, "results": []}
    base = Path(sample_dir) if sample_dir else SAMPLE_DIR
    units_path = base / "units.xlsx"
    if not units_path.is_file():
        raise DashboardError(MSG_MISSING.format(path=units_path))
    manifest = read_manifest(base)
    unit_result = load_unit_list_bytes(db, units_path.read_bytes(), units_path.name)
    demo_accounts = ensure_demo_accounts(db)  # documented in README; refused in production
    stored = stored_hashes(db)
    summary: dict[str, Any] = {
        "status": "loaded", "units_added": len(unit_result.added), "units_updated": len(unit_result.updated),
        "units": len(unit_result.added) + len(unit_result.updated) + len(unit_result.unchanged),
        "files": len(manifest), "accepted": 0, "replaced": 0, "duplicates": 0, "skipped": 0, "warnings": 0,
        "rejected": [], "results": [], "demo_accounts": demo_accounts,
    }
    for row in manifest:
        if not row["path"].is_file():
            raise DashboardError(MSG_MISSING.format(path=row["path"]))
        data = row["path"].read_bytes()
        if hashlib.sha256(data).hexdigest() in stored:
            # already stored by an interrupted earlier run: re-ingesting an old version would make it current
            summary["skipped"] += 1
            continue
        result = ingest_bytes(db, data, row["path"].name, received_at=row["received_at"], uploader=row["uploader"])
        summary["results"].append({**result.to_json(), "path": row["file"], "submission_id": result.submission_id})
        summary["warnings"] += len(result.warnings)
        if result.status == "rejected":
            if strict:
                raise DashboardError(MSG_REJECTED.format(file=row["file"], n=len(result.errors)),
                                     issues=result.errors)
            summary["rejected"].append(row["file"])
        elif result.status == "duplicate":
            summary["duplicates"] += 1
        else:
            summary["accepted"] += 1
            summary["replaced"] += bool(result.replaced_previous)
    summary["message"] = MSG_LOADED.format(**summary) + (MSG_SKIPPED.format(**summary) if summary["skipped"] else "")
    if not summary["rejected"]:
        record = {"loaded_at": now_local().isoformat(sep=" "), "files": summary["files"],
                  "accepted": summary["accepted"], "skipped": summary["skipped"]}
        with db.transaction() as cur:
            write_meta(cur, META_KEY, json.dumps(record))
    return summary


def _when(stamp: str | None) -> str:
    """An ISO timestamp as Vietnamese readers write it: 14:05 ngày 23/11/2026."""
    try:
        t = dt.datetime.fromisoformat(stamp or "")
    except ValueError:
        return "?"
    return f"{t:%H:%M} ngày {t:%d/%m/%Y}"
