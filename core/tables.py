"""Every table of the database, declared once as data: columns, their types, the schema version that added
them, and indexes. The schema DDL, its forward migrations and the loader's insert columns are all derived
from these declarations (core/storage.py, loaders/store.py), so a column is written down in one place.

Times (`received_at`, `changed_at`, `at_time`) are naive local times in the configured timezone.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Col:
    """One column: name, SQL type (with constraints), what it holds, and the schema version that added it."""

    name: str
    type: str
    note: str = ""
    since: int = 1


@dataclass(frozen=True)
class Table:
    """One table. `rows_of_submission`: a data table holding one stored workbook's rows of a sheet (its
    first columns are submission_id and excel_row; the loader inserts the rest)."""

    name: str
    columns: tuple[Col, ...]
    indexes: tuple[tuple[str, str, int], ...] = ()  # (index name, column list, since)
    since: int = 1
    rows_of_submission: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        """Every column name in table order."""
        return tuple(c.name for c in self.columns)

    @property
    def sheet_columns(self) -> tuple[str, ...]:
        """For a data table: the columns the loader fills from a sheet (all but submission_id, excel_row)."""
        return tuple(c.name for c in self.columns if c.name not in ("submission_id", "excel_row"))


def _rows(*cols: Col) -> tuple[Col, ...]:
    """The two columns every data table starts with, then its own."""
    return (Col("submission_id", "BIGINT NOT NULL"), Col("excel_row", "INTEGER NOT NULL")) + cols


TABLES: tuple[Table, ...] = (
    Table("units", (
        Col("code", "VARCHAR PRIMARY KEY"),
        Col("name", "VARCHAR NOT NULL"),
        Col("kind", "VARCHAR NOT NULL", "ROOT | DBCT | DBCS | CBCS"),
        Col("parent_code", "VARCHAR", "NULL only for the root"),
        Col("inactive_from", "INTEGER", "first year the unit no longer reports"),
        Col("source", "VARCHAR NOT NULL", "config | unit_list | workbook"),
        Col("updated_at", "TIMESTAMP NOT NULL"),
        Col("active_from", "INTEGER", "first year the unit reports (never expected before it)", since=3),
        Col("merged_into", "VARCHAR", "set when an administrator merged this unit into another", since=3),
        # the unit's contact for the office's reminders (personal data: core.auth.PERSONAL_COLUMNS)
        Col("contact_name", "VARCHAR", "Người liên hệ", since=5),
        Col("contact_email", "VARCHAR", "Email: where a reminder e-mail goes", since=5),
        Col("contact_phone", "VARCHAR", "Điện thoại", since=5),
    )),
    Table("archived_files", (
        Col("file_hash", "VARCHAR PRIMARY KEY", "sha256 of the original bytes"),
        Col("file_name", "VARCHAR NOT NULL"),
        Col("size", "BIGINT NOT NULL"),
        Col("path", "VARCHAR NOT NULL", "relative to the archive dir"),
        Col("stored_at", "TIMESTAMP NOT NULL"),
    )),
    Table("submissions", (
        Col("id", "BIGINT PRIMARY KEY"),
        Col("unit_code", "VARCHAR NOT NULL"),
        Col("year", "INTEGER NOT NULL"),
        Col("period", "VARCHAR NOT NULL", "Q1 | Q2 | Q3 | Q4 | Y"),
        Col("version", "INTEGER NOT NULL", "1, 2, ... per (unit, year, period)"),
        Col("file_name", "VARCHAR NOT NULL"),
        Col("file_hash", "VARCHAR NOT NULL"),
        Col("uploader", "VARCHAR"),
        Col("received_at", "TIMESTAMP NOT NULL"),
        Col("status", "VARCHAR NOT NULL", "current | replaced | withdrawn (by an administrator)"),
        Col("replaced_by", "BIGINT"),
        Col("unit_name", "VARCHAR", "as written in the workbook"),
        Col("unit_kind", "VARCHAR"),
        Col("parent_code", "VARCHAR"),
        Col("report_date", "DATE"),
        Col("preparer", "VARCHAR"),
        Col("member_total", "INTEGER"),
        Col("staff_total", "INTEGER"),
        Col("warnings_json", "VARCHAR"),
        # the office's review of this version (history: table `reviews`); NULL = Đã nhận (not reviewed yet)
        Col("review_state", "VARCHAR", "NULL (received) | approved | returned", since=5),
        Col("review_comment", "VARCHAR", "why a report was returned: the unit reads it on its page", since=5),
        Col("reviewed_by", "VARCHAR", since=5),
        Col("reviewed_at", "TIMESTAMP", since=5),
    ), indexes=(("submissions_key", "unit_code, year, period", 1),)),
    Table("elements", _rows(
        Col("code", "VARCHAR NOT NULL", "normalised (upper-case) code"),
        Col("known", "BOOLEAN NOT NULL", "false: not in the catalogue, kept but unused"),
        Col("value", "DOUBLE", "NULL = not reported; yes/no stored as 1/0"),
        Col("raw_value", "VARCHAR"),
        Col("content", "VARCHAR"),
        Col("note", "VARCHAR"),
    ), indexes=(("elements_sub", "submission_id", 1),), rows_of_submission=True),
    Table("cells", _rows(
        Col("cell_code", "VARCHAR NOT NULL"),
        Col("cell_name", "VARCHAR NOT NULL"),
        Col("cell_kind", "VARCHAR NOT NULL", "CBCS | CBTT"),
        Col("members", "INTEGER NOT NULL"),
        Col("rating", "VARCHAR", "HTXSNV | HTTNV | HTNV | KHTNV (annual only)"),
        Col("dv_xuat_sac", "INTEGER"),
        Col("dv_tot", "INTEGER"),
        Col("dv_hoan_thanh", "INTEGER"),
        Col("dv_khong_hoan_thanh", "INTEGER"),
        Col("dv_gop_y_6", "INTEGER"),
        Col("mo_hinh_4_tot", "BOOLEAN"),
    ), indexes=(("cells_sub", "submission_id", 1),), rows_of_submission=True),
    Table("meetings", _rows(
        Col("cell_code", "VARCHAR NOT NULL"),
        Col("meeting_date", "DATE NOT NULL"),
        Col("kind", "VARCHAR NOT NULL", "DINH_KY | CHUYEN_DE"),
        Col("required", "INTEGER NOT NULL"),
        Col("attended", "INTEGER NOT NULL"),
        Col("ideological", "BOOLEAN"),
        Col("topic", "VARCHAR"),
    ), indexes=(("meetings_sub", "submission_id", 1),), rows_of_submission=True),
    Table("trainees", _rows(
        Col("full_name", "VARCHAR NOT NULL"),
        Col("name_key", "VARCHAR NOT NULL", "normalised name for identity across reports"),
        Col("birth_date", "DATE NOT NULL"),
        Col("cell_code", "VARCHAR"),
        Col("level", "VARCHAR NOT NULL", "CAO_CAP | TRUNG_CAP | SO_CAP"),
        Col("year_sent", "INTEGER NOT NULL"),
        Col("mode", "VARCHAR"),
        Col("institution", "VARCHAR"),
    ), indexes=(("trainees_sub", "submission_id", 1),), rows_of_submission=True),
    Table("petitions", _rows(
        Col("petition_no", "VARCHAR NOT NULL"),
        Col("petition_key", "VARCHAR NOT NULL", "normalised number for identity across reports"),
        Col("received_date", "DATE NOT NULL"),
        Col("kind", "VARCHAR NOT NULL", "KHIEU_NAI | TO_CAO | KIEN_NGHI"),
        Col("over_level", "BOOLEAN NOT NULL"),
        Col("in_competence", "BOOLEAN NOT NULL"),
        Col("deadline", "DATE NOT NULL", "defaulted to received + petition_deadline_days"),
        Col("resolved_date", "DATE"),
        Col("status", "VARCHAR NOT NULL", "DA_GIAI_QUYET | DANG_GIAI_QUYET | CHUYEN_DON | LUU_DON"),
        Col("summary", "VARCHAR"),
    ), indexes=(("petitions_sub", "submission_id", 1),), rows_of_submission=True),
    # sheet `Tình hình` (schema 4): what a unit writes, by section, in the order of its rows (excel_row)
    Table("narratives", _rows(
        Col("section", "VARCHAR NOT NULL", "TU_TUONG | DU_LUAN | KET_QUA | HAN_CHE | BAI_HOC | KIEN_NGHI | NHIEM_VU"),
        Col("content", "VARCHAR NOT NULL", "at most loaders.schema.MAX_NARRATIVE_CELL characters, line breaks kept"),
        Col("level", "VARCHAR NOT NULL", "BINH_THUONG | CAN_QUAN_TAM | NOI_COM"),
    ), indexes=(("narratives_sub", "submission_id", 4),), since=4, rows_of_submission=True),
    Table("target_overrides", (
        Col("indicator_id", "VARCHAR NOT NULL"),
        Col("year", "INTEGER NOT NULL"),
        Col("op", "VARCHAR", "> >= = <= < range; NULL = no target"),
        Col("value", "DOUBLE"),
        Col("min", "DOUBLE"),
        Col("max", "DOUBLE"),
        Col("changed_by", "VARCHAR NOT NULL"),
        Col("changed_at", "TIMESTAMP NOT NULL", "the latest row per (indicator, year) is in force"),
    )),
    Table("users", (
        Col("username", "VARCHAR PRIMARY KEY", "folded login name"),
        Col("full_name", "VARCHAR NOT NULL"),
        Col("password_hash", "VARCHAR", "argon2id; NULL for accounts that sign in through OIDC only"),
        Col("role", "VARCHAR NOT NULL", "admin | lanh_dao | van_phong | don_vi"),
        Col("scope_unit", "VARCHAR NOT NULL", "the unit this user sees (and everything below it)"),
        Col("email", "VARCHAR", "matched against the OIDC identity when configured"),
        Col("active", "BOOLEAN NOT NULL"),
        Col("is_demo", "BOOLEAN NOT NULL", "demo accounts of the sample organisation"),
        Col("created_at", "TIMESTAMP NOT NULL"),
        Col("updated_at", "TIMESTAMP NOT NULL"),
    ), since=2),
    Table("audit_log", (
        Col("id", "BIGINT PRIMARY KEY"),
        Col("at_time", "TIMESTAMP NOT NULL", "local time, like received_at"),
        Col("actor", "VARCHAR NOT NULL", "username, or os:<user> for the command line"),
        Col("action", "VARCHAR NOT NULL", "upload_accepted | upload_rejected | ... (core.audit.ACTIONS)"),
        Col("object", "VARCHAR", "what it acted on: file name, unit code, indicator/year, username"),
        Col("detail_json", "VARCHAR", "what changed, as JSON"),
        Col("origin", "VARCHAR", "where from: cli@host, web@client address"),
    ), indexes=(("audit_at", "at_time", 2),), since=2),
    Table("login_sessions", (
        Col("id", "VARCHAR PRIMARY KEY", "random 128-bit id; the cookie carries it with its HMAC"),
        Col("username", "VARCHAR NOT NULL"),
        Col("created_at", "TIMESTAMP NOT NULL"),
        Col("expires_at", "TIMESTAMP NOT NULL"),
        Col("revoked_at", "TIMESTAMP", "set at sign-out (or when an administrator locks the account)"),
        Col("origin", "VARCHAR"),
    ), since=6),
    Table("unit_changes", (
        Col("id", "BIGINT PRIMARY KEY"),
        Col("kind", "VARCHAR NOT NULL", "merge | withdraw"),
        Col("object", "VARCHAR NOT NULL", "FROM->INTO for a merge, the submission id for a withdrawal"),
        Col("detail_json", "VARCHAR NOT NULL", "what the change touched, as it was before: enough to undo it"),
        Col("reason", "VARCHAR"),
        Col("done_by", "VARCHAR NOT NULL"),
        Col("done_at", "TIMESTAMP NOT NULL"),
        Col("undone_by", "VARCHAR"),
        Col("undone_at", "TIMESTAMP"),
    ), since=3),
    Table("reviews", (
        Col("id", "BIGINT PRIMARY KEY"),
        Col("submission_id", "BIGINT NOT NULL"),
        Col("state", "VARCHAR NOT NULL", "approved | returned"),
        Col("comment", "VARCHAR"),
        Col("done_by", "VARCHAR NOT NULL"),
        Col("done_at", "TIMESTAMP NOT NULL"),
    ), indexes=(("reviews_sub", "submission_id", 5),), since=5),
    Table("period_locks", (
        Col("id", "BIGINT PRIMARY KEY"),
        Col("year", "INTEGER NOT NULL"),
        Col("period", "VARCHAR NOT NULL", "Q1 | Q2 | Q3 | Q4 | Y: the whole organisation's reports of it"),
        Col("auto", "BOOLEAN NOT NULL", "locked by approving the period's last report, not by the button"),
        Col("reason", "VARCHAR"),
        Col("locked_by", "VARCHAR NOT NULL"),
        Col("locked_at", "TIMESTAMP NOT NULL"),
        Col("unlocked_by", "VARCHAR", "an administrator; NULL while the lock holds"),
        Col("unlocked_at", "TIMESTAMP"),
        Col("unlock_reason", "VARCHAR"),
    ), since=5),
    Table("reminders", (
        Col("id", "BIGINT PRIMARY KEY"),
        Col("unit_code", "VARCHAR NOT NULL"),
        Col("year", "INTEGER NOT NULL"),
        Col("period", "VARCHAR NOT NULL"),
        Col("notice_no", "INTEGER NOT NULL", "Số …-CV/ĐU, numbered per year of sending"),
        Col("days_late", "INTEGER", "days past the deadline when sent (0: not yet due)"),
        Col("sent_by", "VARCHAR NOT NULL"),
        Col("sent_at", "TIMESTAMP NOT NULL"),
        Col("emailed_to", "VARCHAR", "the address the reminder e-mail went to; NULL: notice only"),
        Col("emailed_at", "TIMESTAMP"),
    ), indexes=(("reminders_key", "unit_code, year, period", 5),), since=5),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
DATA_TABLES: tuple[str, ...] = tuple(t.name for t in TABLES if t.rows_of_submission)
# data table -> the columns the loader fills from a sheet, in stored order
DATA_COLUMNS: dict[str, tuple[str, ...]] = {t.name: t.sheet_columns for t in TABLES if t.rows_of_submission}
SCHEMA_VERSION = max([t.since for t in TABLES] + [c.since for t in TABLES for c in t.columns]
                     + [i[2] for t in TABLES for i in t.indexes])


def create_sql(table: Table, version: int) -> str:
    """CREATE TABLE for a table as it stood at schema `version` (columns added later come by ALTER)."""
    cols = ",\n    ".join(f"{c.name} {c.type}" for c in table.columns if c.since <= version)
    return f"CREATE TABLE {table.name} (\n    {cols}\n)"


def migration(version: int) -> list[str]:
    """The statements that bring a database from schema `version - 1` to `version`: new tables, new
    columns of older tables (ADD COLUMN cannot carry NOT NULL: a new column's type must allow NULL), new
    indexes."""
    out = [create_sql(t, version) for t in TABLES if t.since == version]
    out += [f"ALTER TABLE {t.name} ADD COLUMN {c.name} {c.type}" for t in TABLES if t.since < version
            for c in t.columns if c.since == version]
    out += [f"CREATE INDEX {name} ON {t.name} ({cols})" for t in TABLES for name, cols, since in t.indexes
            if since == version]
    return out
