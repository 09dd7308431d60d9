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
SMTP_PASSWORD_ENV = "DASHBOARD_SMTP_PASSWORD"  # the SMTP password never sits in dashboard.toml


@dataclass(frozen=True)
class SmtpConfig:
    """[smtp]: the server reminder e-mails go through (absent: the e-mail option is hidden and refused)."""

    host: str
    port: int
    sender: str  # `from`
    starttls: bool
    username: str | None

    @property
    def password(self) -> str | None:
        """The password, read from $DASHBOARD_SMTP_PASSWORD when it is needed (never from the file)."""
        return os.environ.get(SMTP_PASSWORD_ENV) or None


@dataclass(frozen=True)
class NoticeConfig:
    """[notice]: the issuing body and signature of the reminder notice (công văn đôn đốc). The body above,
    the committee, its symbol and place are the committee's, as on its review report: [report]'s unless
    [notice] names others."""

    superior: str  # the level above the issuing committee, printed above it ("" = none)
    issuer: str  # "ĐẢNG ỦY KHỐI DOANH NGHIỆP TỈNH"
    symbol: str  # "ĐU" in "Số 12-CV/ĐU"
    place: str  # "Thái Bình" in "Thái Bình, ngày … tháng … năm …" ("" = the date line alone)
    sign_for: str  # "T/L BAN THƯỜNG VỤ" or "T/M ĐẢNG ỦY"
    signer_title: str  # "CHÁNH VĂN PHÒNG"
    signer_name: str  # printed under the signature ("" = left for the signer to write)


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
    smtp: SmtpConfig | None = None
    notice: NoticeConfig | None = None


def _smtp(raw: dict) -> SmtpConfig | None:
    host = str(raw.get("host") or "").strip()
    if not host:
        return None
    return SmtpConfig(host=host, port=int(raw.get("port", 587)), sender=str(raw.get("from") or "").strip(),
                      starttls=bool(raw.get("starttls", True)), username=str(raw.get("username") or "").strip() or None)


def _notice(raw: dict, report: dict) -> NoticeConfig:
    """[notice], its committee's lines defaulting to the review report's ([report], `report`)."""
    return NoticeConfig(superior=str(raw.get("superior", report["parent"])).strip().upper(),
                        issuer=str(raw.get("issuer") or report["issuer"]).strip().upper(),
                        symbol=str(raw.get("symbol") or report["symbol"]).strip() or "ĐU",
                        place=str(raw.get("place", report["place"])).strip(),
                        sign_for=str(raw.get("sign_for", "T/L BAN THƯỜNG VỤ")).strip().upper(),
                        signer_title=str(raw.get("signer_title", "CHÁNH VĂN PHÒNG")).strip().upper(),
                        signer_name=str(raw.get("signer_name", "")).strip())


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
    # the committee that issues the review report and the reminder notice alike
    committee = {"parent": str(rp.get("parent_body", "")),
                 "issuer": str(rp.get("issuer", "")) or committee_of(raw["root"]["name"]),
                 "place": str(rp.get("place", "")), "symbol": str(rp.get("symbol", "ĐU"))}
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
        report_parent=committee["parent"],
        report_issuer=committee["issuer"],
        report_place=committee["place"],
        report_symbol=committee["symbol"],
        report_signer_title=str(rp.get("signer_title", "BÍ THƯ")),
        report_signer_name=str(rp.get("signer_name", "")),
        report_recipients=tuple(str(r) for r in rp.get("recipients", DEFAULT_RECIPIENTS)),
        smtp=_smtp(raw.get("smtp", {})),
        notice=_notice(raw.get("notice", {}), committee),
    )


# who usually receives a committee's periodic report (the last line is the office's own copy)
DEFAULT_RECIPIENTS = ("Thường trực cấp ủy cấp trên (để báo cáo)", "Các đồng chí Ủy viên Ban Chấp hành Đảng bộ",
                      "Các tổ chức đảng trực thuộc", "Lưu Văn phòng Đảng ủy")


def committee_of(body: str) -> str:
    """The committee that speaks for a Party organisation: 'Đảng bộ Khối …' → 'Đảng ủy Khối …'; a cell
    ('Chi bộ …') speaks for itself. The issuer of the committee's documents and the addressee of a
    reminder notice."""
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
