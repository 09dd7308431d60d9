"""The one configuration file (dashboard.toml) and the database path rule of interfaces.md."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_ENV = "DASHBOARD_CONFIG"
DB_ENV = "DASHBOARD_DB"


@dataclass(frozen=True)
class Config:
    """Settings read from dashboard.toml; paths already resolved to absolute ones."""

    root_code: str
    root_name: str
    db_path: Path
    db_url: str | None  # [database] url = "postgresql://…": the PostgreSQL backend instead of db_path
    archive_dir: Path
    deadline_days: int
    petition_deadline_days: int
    timezone: str
    max_bytes: int
    max_zip_entries: int
    max_uncompressed_bytes: int
    max_compression_ratio: int
    # the review report as a Party document (issue 12): the body above the committee, the place of the date
    # line, the document symbol after "Số …-BC/", who signs, and who receives it
    report_parent: str = ""
    report_issuer: str = ""
    report_place: str = ""
    report_symbol: str = "ĐU"
    report_signer_title: str = "BÍ THƯ"
    report_signer_name: str = ""
    report_recipients: tuple[str, ...] = ()


@lru_cache(maxsize=8)
def load_config(path: str | None = None) -> Config:
    """Read the configuration file (DASHBOARD_CONFIG, else dashboard.toml beside the project)."""
    cfg_path = Path(path or os.environ.get(CONFIG_ENV) or PROJECT_DIR / "dashboard.toml")
    with open(cfg_path, "rb") as fh:
        raw = tomllib.load(fh)
    base = cfg_path.parent

    def _path(p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() else (base / q)

    up = raw.get("upload", {})
    rep = raw.get("reports", {})
    rp = raw.get("report", {})
    return Config(
        root_code=raw["root"]["code"],
        root_name=raw["root"]["name"],
        db_path=_path(raw.get("database", {}).get("path", "data/dashboard.duckdb")),
        db_url=raw.get("database", {}).get("url") or None,
        archive_dir=_path(raw.get("archive", {}).get("dir", "data/archive")),
        deadline_days=int(rep.get("deadline_days", 15)),
        petition_deadline_days=int(rep.get("petition_deadline_days", 30)),
        timezone=rep.get("timezone", "Asia/Ho_Chi_Minh"),
        max_bytes=int(up.get("max_bytes", 20 * 1024 * 1024)),
        max_zip_entries=int(up.get("max_zip_entries", 2000)),
        max_uncompressed_bytes=int(up.get("max_uncompressed_bytes", 200 * 1024 * 1024)),
        max_compression_ratio=int(up.get("max_compression_ratio", 200)),
        report_parent=str(rp.get("parent_body", "")),
        report_issuer=str(rp.get("issuer", "")) or committee_of(raw["root"]["name"]),
        report_place=str(rp.get("place", "")),
        report_symbol=str(rp.get("symbol", "ĐU")),
        report_signer_title=str(rp.get("signer_title", "BÍ THƯ")),
        report_signer_name=str(rp.get("signer_name", "")),
        report_recipients=tuple(str(r) for r in rp.get("recipients", DEFAULT_RECIPIENTS)),
    )


# who usually receives a committee's periodic report (the last line is the office's own copy)
DEFAULT_RECIPIENTS = ("Thường trực cấp ủy cấp trên (để báo cáo)", "Các đồng chí Ủy viên Ban Chấp hành Đảng bộ",
                      "Các tổ chức đảng trực thuộc", "Lưu Văn phòng Đảng ủy")


def committee_of(body: str) -> str:
    """The committee that speaks for a Party organisation: 'Đảng bộ Khối …' → 'Đảng ủy Khối …'; a cell
    ('Chi bộ …') speaks for itself."""
    text = " ".join(body.split())
    if text.lower().startswith("đảng bộ"):
        return "Đảng ủy" + text[len("Đảng bộ"):]
    return text


PG_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(target: object) -> bool:
    """True when a database target names a PostgreSQL server (a URL string) rather than a DuckDB file."""
    return isinstance(target, str) and target.startswith(PG_SCHEMES)


def resolve_db_path(cli_path: str | None = None) -> Path | str:
    """--db PATH, else $DASHBOARD_DB, else the configured default (interfaces.md). A `postgresql://…`
    URL in any of the three selects the PostgreSQL backend and is returned as the string it is."""
    chosen = cli_path or os.environ.get(DB_ENV)
    if chosen:
        return chosen if is_postgres(chosen) else Path(chosen)
    cfg = load_config()
    return cfg.db_url or cfg.db_path
