"""The audit trail: who did what, when, from where — recorded with the change it describes, never editable."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from core import audit
from cli.loaders_cmd import main
from core.errors import DashboardError
from loaders.store import ingest_bytes
from loaders.units import load_unit_list_bytes
from metrics import targets
from tests.builders import register_units, info_values, write_workbook
from tests.test_units import BASE, unit_list


def events(db) -> list[tuple]:
    return db.query_rows("SELECT actor, action, object, origin FROM audit_log ORDER BY id")


def test_record_on_database_and_inside_a_transaction(db):
    audit.record(db, actor="an", action="login", origin="web@10.0.0.1")
    with pytest.raises(RuntimeError):
        with db.transaction() as cur:
            audit.record(cur, actor="an", action="export", object="x.xlsx")
            raise RuntimeError("the change fails")
    with db.transaction() as cur:
        audit.record(cur, actor="", action="export", object="y.xlsx", detail={"rows": 3})
    rows = events(db)
    # the rolled-back row is gone with its change; an empty actor is the OS user; origin detected as CLI
    assert rows == [("an", "login", None, "web@10.0.0.1"),
                    (audit.default_actor(), "export", "y.xlsx", audit.cli_origin())]
    assert json.loads(db.query_value("SELECT detail_json FROM audit_log WHERE object = 'y.xlsx'")) == {"rows": 3}
    assert audit.default_actor().startswith("os:") and audit.cli_origin().startswith("cli@")


def test_unknown_action_is_a_programming_error(db):
    with pytest.raises(ValueError):
        audit.record(db, actor="an", action="delete_everything")
    assert events(db) == []


def test_every_action_has_a_vietnamese_label_and_no_editing_api():
    assert len(audit.ACTIONS) == 27 and all(label.strip() for label in audit.ACTIONS.values())
    public = [n for n in dir(audit) if not n.startswith("_")]
    assert not [n for n in public if any(w in n.lower() for w in ("update", "delete", "edit", "remove", "purge"))]


def test_audit_rows_do_not_invalidate_cached_figures(db):
    version = db.data_version
    audit.record(db, actor="an", action="login_failed")
    assert db.data_version == version


def test_uploads_accepted_replaced_duplicate_rejected(db, tmp_path):
    register_units(db, "DB01")
    first = write_workbook(tmp_path / "a.xlsx", info=info_values()).read_bytes()
    second = write_workbook(tmp_path / "b.xlsx", info=info_values(), elements={"DOI_THOAI": 2}).read_bytes()
    assert ingest_bytes(db, first, "a.xlsx", uploader="Lan").status == "accepted"
    assert ingest_bytes(db, second, "b.xlsx", uploader="Minh").status == "accepted"
    assert ingest_bytes(db, second, "b.xlsx", uploader="Minh").status == "duplicate"
    assert ingest_bytes(db, b"junk", "c.xlsx", uploader="Hoa").status == "rejected"
    assert [r[:3] for r in events(db) if r[1] != "unit_list_loaded"] == [
        ("Lan", "upload_accepted", "a.xlsx"), ("Minh", "upload_accepted", "b.xlsx"),
        ("Minh", "submission_replaced", "DB01/2024/Q1"), ("Minh", "upload_duplicate", "b.xlsx"),
        ("Hoa", "upload_rejected", "c.xlsx")]
    detail = json.loads(db.query_value("SELECT detail_json FROM audit_log WHERE action = 'upload_accepted' "
                                       "AND object = 'b.xlsx'"))
    assert detail["version"] == 2 and detail["unit"] == "DB01" and len(detail["file_hash"]) == 64
    rejected = json.loads(db.query_value("SELECT detail_json FROM audit_log WHERE action = 'upload_rejected'"))
    assert rejected["errors"] >= 1 and rejected["first_errors"][0]["message"]


def test_failed_store_leaves_no_audit_row(db, tmp_path, monkeypatch):
    import loaders.store as ingest

    def broken(*a, **k):
        raise OSError(28, "No space left on device")

    register_units(db, "DB01")
    monkeypatch.setattr(ingest, "archive_bytes", broken)
    data = write_workbook(tmp_path / "a.xlsx", info=info_values()).read_bytes()
    with pytest.raises(DashboardError):
        ingest_bytes(db, data, "a.xlsx", uploader="Lan")
    assert [e for e in events(db) if e[1] != "unit_list_loaded"] == [] and db.query_value("SELECT count(*) FROM submissions") == 0


def test_unit_list_loaded_and_rejected(db, tmp_path):
    load_unit_list_bytes(db, unit_list(tmp_path / "u.xlsx", BASE), "u.xlsx")
    with pytest.raises(DashboardError):
        load_unit_list_bytes(db, unit_list(tmp_path / "bad.xlsx", [["X1", "", "Đảng bộ cơ sở", "NOPE", None]]),
                             "bad.xlsx")
    assert [r[1:3] for r in events(db)] == [("unit_list_loaded", "u.xlsx"), ("unit_list_rejected", "bad.xlsx")]
    loaded = json.loads(db.query_value("SELECT detail_json FROM audit_log WHERE action = 'unit_list_loaded'"))
    assert loaded["added"] == 3
    # the list's bytes are archived and journaled so that a rebuild can replay it
    journal = audit.read_journal(db.archive_dir)
    # written inside the transaction as pending, then marked committed after the COMMIT
    assert [e["kind"] for e in journal] == ["unit_list", "committed"] and journal[1]["txn"] == journal[0]["txn"]
    assert (db.archive_dir / journal[0]["file_hash"][:2] / f"{journal[0]['file_hash']}.xlsx").is_file()


def test_target_change_records_before_and_after(db):
    iid = targets.INDICATORS[0].id
    before = targets.effective_targets(db, 2025)[iid]
    targets.set_target(db, iid, 2025, None, "Bí thư Nguyễn An")
    (actor, action, obj, _), = events(db)
    assert (actor, action, obj) == ("Bí thư Nguyễn An", "target_changed", f"{iid}/2025")
    detail = json.loads(db.query_value("SELECT detail_json FROM audit_log"))
    assert detail == {"before": before, "after": None, "changed_by": "Bí thư Nguyễn An"}
    entry, mark = audit.read_journal(db.archive_dir)
    assert entry["kind"] == "target" and entry["row"][:3] == [iid, 2025, None]
    assert mark == {"kind": "committed", "txn": entry["txn"]}


def test_list_events_filters(db):
    audit.record(db, actor="an", action="login")
    audit.record(db, actor="binh", action="export", object="t.csv")
    db.cursor().execute("UPDATE audit_log SET at_time = TIMESTAMP '2024-01-05 23:30:00' WHERE actor = 'an'")
    assert list(audit.list_events(db)["actor"]) == ["binh", "an"]  # newest first
    assert list(audit.list_events(db, until="2024-01-05")["actor"]) == ["an"]  # a date includes its whole day
    assert list(audit.list_events(db, since=dt.date(2024, 1, 6))["actor"]) == ["binh"]
    assert list(audit.list_events(db, action="export")["action_label"]) == ["Xuất dữ liệu"]
    assert list(audit.list_events(db, actor="an", limit=1)["action"]) == ["login"]
    with pytest.raises(DashboardError, match="Hành động"):
        audit.list_events(db, action="nope")
    with pytest.raises(DashboardError, match="Ngày không hợp lệ"):
        audit.list_events(db, since="05/01/2024")


def test_audited_export_records_when_produced(db):
    make = audit.audited(lambda: b"abc", db, object="bao-cao.xlsx", actor="an")
    assert events(db) == []  # a button that is never clicked exports nothing
    assert make() == b"abc"
    assert events(db) == [("an", "export", "bao-cao.xlsx", audit.cli_origin())]


def test_suppressed_records_and_journals_nothing(db, tmp_path):
    with audit.suppressed():
        audit.record(db, actor="an", action="login")
        audit.journal(tmp_path, {"kind": "x"})
    assert events(db) == [] and not (tmp_path / audit.JOURNAL_NAME).exists()


def test_journal_skips_a_torn_last_line(tmp_path):
    audit.journal(tmp_path, {"kind": "upload", "n": 1})
    with open(tmp_path / audit.JOURNAL_NAME, "ab") as fh:
        fh.write(b'{"kind": "upl')  # what a crash in the middle of a write leaves
    assert audit.read_journal(tmp_path) == [{"kind": "upload", "n": 1}]


def test_cli_audit_table_and_json(db_path, tmp_path, capsys):
    data = write_workbook(tmp_path / "a.xlsx", info=info_values()).read_bytes()
    (tmp_path / "a.xlsx").write_bytes(data)
    # an empty database: the operator accepts the report's unit as a new unit
    assert main(["ingest", str(tmp_path / "a.xlsx"), "--db", str(db_path), "--uploader", "Lan", "--add-units"]) == 0
    capsys.readouterr()
    assert main(["audit", "--db", str(db_path), "--json", "--action", "upload_accepted",
                 "--since", "2000-01-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    (event,) = out["events"]
    assert (event["actor"], event["object"], event["origin"]) == ("Lan", "a.xlsx", audit.cli_origin())
    assert event["detail"]["unit"] == "DB01"
    assert main(["audit", "--db", str(db_path)]) == 0
    text = capsys.readouterr().out
    assert "Nhận báo cáo" in text and "1 sự kiện." in text
    assert main(["audit", "--db", str(db_path), "--since", "hôm qua"]) == 2
    assert "Ngày không hợp lệ" in capsys.readouterr().err


# ------------------------------------------------------------------ the web pages (AppTest)
from tests.test_app_pages import XLSX, _bad, _good, app, frame_with, org_db, org_template  # noqa: E402,F401
from tests.test_app_smoke import open_page  # noqa: E402
from ui import state as K  # noqa: E402


@pytest.mark.duckdb_only  # the admin page's file backup
def test_web_upload_is_logged_with_the_account_and_shown_on_the_admin_page(app, org_db, tmp_path):
    """Confirming an upload logs the stored file and the refused one under the signed-in account, from the
    web; the administrator sees both in 'Nhật ký hoạt động'."""
    from core.storage import open_database

    at = open_page(app, "pages/nop_bao_cao.py")
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value(
        [("DB02_2024_Q2.xlsx", _good(tmp_path), XLSX), ("CB03_2024_Q2.xlsx", _bad(tmp_path), XLSX)]).run()
    at.button(key=K.UP_CONFIRM).click().run()
    assert not at.exception
    rows = open_database(org_db).query_rows(
        "SELECT actor, action, object, origin FROM audit_log WHERE action LIKE 'upload_%' ORDER BY id")
    assert [r[:3] for r in rows[-2:]] == [("admin", "upload_accepted", "DB02_2024_Q2.xlsx"),
                                           ("admin", "upload_rejected", "CB03_2024_Q2.xlsx")]
    assert all(r[3].startswith("web") for r in rows[-2:])
    at.switch_page("pages/quan_tri.py").run()
    assert not at.exception
    log = frame_with(at, "Thời gian", "Người thực hiện", "Hành động", "Đối tượng", "Nơi thực hiện")
    assert {"Nhận báo cáo", "Từ chối báo cáo"} <= set(log["Hành động"])
    assert "CB03_2024_Q2.xlsx" in set(log["Đối tượng"])
    at.selectbox(key="ad_audit_action").set_value("upload_rejected").run()
    log = frame_with(at, "Thời gian", "Người thực hiện", "Hành động", "Đối tượng", "Nơi thực hiện")
    assert set(log["Hành động"]) == {"Từ chối báo cáo"}


@pytest.mark.duckdb_only  # backups of a PostgreSQL store are pg_dump's job
def test_backup_button_on_the_admin_page(app, org_db):
    """'Sao lưu ngay' writes a backup of the running database beside it and logs who did it."""
    from core.storage import open_database

    at = open_page(app, "pages/quan_tri.py")
    at.button(key="ad_backup").click().run()
    assert not at.exception and not at.error
    assert any("Đã sao lưu" in s.value for s in at.success)
    (made,) = list((org_db.parent / "backups").glob("sao-luu-*.tar.gz"))
    assert made.stat().st_size > 0
    row = open_database(org_db).query_rows("SELECT actor, action, object FROM audit_log ORDER BY id DESC LIMIT 1")
    assert row == [("admin", "backup", str(made))]
