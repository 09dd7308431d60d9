"""An administrator merges two units and withdraws a report; both are audited, journaled and reversible.

The figures are the engine's, before and after, on a real database (both backends); the permissions are
the roles' own; a rebuild from the journal replays the corrections in their place.
"""
from __future__ import annotations

import datetime as dt

import pytest

from core import audit
from core.auth import Principal
from core.errors import DashboardError
from loaders.store import ingest_bytes
from metrics.engine import compute
from ops.corrections import list_changes, merge_units, undo_change, withdraw_report
from tests.builders import default_cells, info_values, register_units, write_workbook

AS_OF = dt.date(2025, 6, 30)
ADMIN = Principal("admin", "admin", "ROOT")
OFFICE = Principal("vanphong", "van_phong", "ROOT")


def upload(db, tmp_path, unit: str, period: str, dialogues: int, *, add_units: bool = False,
           when: dt.datetime | None = None):
    path = write_workbook(tmp_path / f"{unit}_{period}_{dialogues}.xlsx", info=info_values(unit, 2024, period),
                          cells=default_cells(unit), elements={"DOI_THOAI": dialogues})
    r = ingest_bytes(db, path.read_bytes(), path.name, add_units=add_units,
                     received_at=when or dt.datetime(2024, 4, 5, 9, 0))
    assert r.status == "accepted", r.errors
    return r


def i25(db, unit=None) -> tuple:
    got = compute(db, year=2024, quarter=1, unit=unit, as_of=AS_OF).by_id["I25_NOP_BAO_CAO"]
    return got.numerator, got.denominator, got.behind


def dialogues(db, unit=None):
    return compute(db, year=2024, quarter=1, unit=unit, as_of=AS_OF).activities["DOI_THOAI"]


def test_a_typo_unit_merged_into_the_real_one_fixes_the_figures_and_can_be_undone(db, tmp_path):
    """DB02's Q1 report arrived as "DB2" (accepted as new by mistake): DB02 looks missing (I25 2/3, DB02
    behind, DB2 a third unit). Merging DB2 into DB02 moves the report: 2/2, nobody behind; undo puts
    everything back."""
    register_units(db, "DB01", "DB02")
    upload(db, tmp_path, "DB01", "Q1", 1)
    upload(db, tmp_path, "DB2", "Q1", 7, add_units=True)
    assert i25(db) == (2, 3, ["DB02"])
    change = merge_units(db, "DB2", "DB02", reason="Gõ nhầm mã đơn vị", principal=ADMIN)
    assert i25(db) == (2, 2, [])
    assert dialogues(db, "DB02") == 7
    assert db.query_rows("SELECT merged_into FROM units WHERE code = 'DB2'") == [("DB02",)]
    # the merged code is refused in new reports, naming the unit it became
    again = write_workbook(tmp_path / "again.xlsx", info=info_values("DB2", 2024, "Q2"), cells=default_cells("DB2"))
    r = ingest_bytes(db, again.read_bytes(), "again.xlsx")
    assert r.status == "rejected" and "DB02" in r.errors[0].message
    undo_change(db, change.id, principal=ADMIN)
    assert i25(db) == (2, 3, ["DB02"])
    assert db.query_rows("SELECT merged_into FROM units WHERE code = 'DB2'") == [(None,)]
    actions = [r[0] for r in db.query_rows("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-3:] == ["units_merged", "upload_rejected", "change_undone"]
    changes = list_changes(db)
    assert changes.iloc[0]["undone_by"] == "admin" and changes.iloc[0]["reason"] == "Gõ nhầm mã đơn vị"


def test_merging_where_both_reported_keeps_the_later_receipt_current(db, tmp_path):
    register_units(db, "DB02")
    upload(db, tmp_path, "DB02", "Q1", 3, when=dt.datetime(2024, 4, 3, 9, 0))
    upload(db, tmp_path, "DB2", "Q1", 9, add_units=True, when=dt.datetime(2024, 4, 8, 9, 0))
    merge_units(db, "DB2", "DB02", reason="trùng", principal=ADMIN)
    rows = db.query_rows("SELECT version, status FROM submissions WHERE unit_code = 'DB02' ORDER BY version")
    assert rows == [(1, "replaced"), (2, "current")]
    assert dialogues(db, "DB02") == 9


def test_withdrawing_a_report_brings_back_the_version_it_replaced(db, tmp_path):
    register_units(db, "DB01")
    first = upload(db, tmp_path, "DB01", "Q1", 2)
    second = upload(db, tmp_path, "DB01", "Q1", 40)  # a wrong resubmission
    assert dialogues(db) == 40
    change = withdraw_report(db, second.submission_id, reason="Nộp nhầm tệp", principal=ADMIN)
    assert dialogues(db) == 2
    assert dict(db.query_rows("SELECT id, status FROM submissions")) == {
        first.submission_id: "current", second.submission_id: "withdrawn"}
    undo_change(db, change.id, principal=ADMIN)
    assert dialogues(db) == 40


def test_a_withdrawn_only_report_counts_as_not_received(db, tmp_path):
    register_units(db, "DB01")
    r = upload(db, tmp_path, "DB01", "Q1", 2)
    assert i25(db)[:2] == (1, 1)
    withdraw_report(db, r.submission_id, reason="Báo cáo của đơn vị khác", principal=ADMIN)
    assert i25(db) == (0, 1, ["DB01"])


def test_corrections_need_the_right_role_and_a_reason(db, tmp_path):
    register_units(db, "DB01", "DB02")
    r = upload(db, tmp_path, "DB01", "Q1", 2)
    with pytest.raises(DashboardError, match="rút báo cáo"):
        withdraw_report(db, r.submission_id, reason="x", principal=OFFICE)
    with pytest.raises(DashboardError, match="quản lý danh sách đơn vị"):
        merge_units(db, "DB01", "DB02", reason="x", principal=OFFICE)
    with pytest.raises(DashboardError, match="lý do"):
        withdraw_report(db, r.submission_id, reason="  ", principal=ADMIN)
    with pytest.raises(DashboardError, match="chính nó"):
        merge_units(db, "DB01", "db01", reason="x", principal=ADMIN)
    with pytest.raises(DashboardError, match="Không có đơn vị"):
        merge_units(db, "DB01", "ZZ", reason="x", principal=ADMIN)


def test_undo_is_refused_once_a_newer_report_arrived(db, tmp_path):
    register_units(db, "DB01")
    upload(db, tmp_path, "DB01", "Q1", 2)
    second = upload(db, tmp_path, "DB01", "Q1", 3)
    change = withdraw_report(db, second.submission_id, reason="nhầm", principal=ADMIN)
    upload(db, tmp_path, "DB01", "Q1", 5)
    with pytest.raises(DashboardError, match="báo cáo mới"):
        undo_change(db, change.id, principal=ADMIN)


@pytest.mark.duckdb_only  # rebuild is a DuckDB-file operation
def test_a_rebuild_replays_the_corrections(db, tmp_path):
    from ops.maintenance import rebuild

    register_units(db, "DB01", "DB02")
    upload(db, tmp_path, "DB01", "Q1", 1)
    upload(db, tmp_path, "DB2", "Q1", 7, add_units=True)
    merge_units(db, "DB2", "DB02", reason="gõ nhầm", principal=ADMIN)
    wrong = upload(db, tmp_path, "DB01", "Q1", 99)
    change = withdraw_report(db, wrong.submission_id, reason="nhầm", principal=ADMIN)
    undo_change(db, change.id, principal=ADMIN)
    withdraw_report(db, wrong.submission_id, reason="nhầm thật", principal=ADMIN)
    kinds = [e["kind"] for e in audit.read_journal(db.archive_dir)]
    assert {"merge", "withdraw", "undo"} <= set(kinds)
    want = compute(db, year=2024, quarter=1, as_of=AS_OF).to_json()
    result = rebuild(tmp_path / "rebuilt.duckdb", source=db.path)
    assert result.problems == [] and result.corrections == 4 and not result.mismatches
    from core.storage import open_database

    rebuilt = open_database(tmp_path / "rebuilt.duckdb")
    assert compute(rebuilt, year=2024, quarter=1, as_of=AS_OF).to_json() == want


@pytest.mark.duckdb_only  # the commands run on a file here
def test_the_command_line_merges_withdraws_lists_and_undoes(db, tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    register_units(db, "DB01", "DB02")
    r = upload(db, tmp_path, "DB01", "Q1", 1)
    upload(db, tmp_path, "DB2", "Q1", 7, add_units=True)
    path = db.path
    db.close()

    def run(*args):
        return subprocess.run([sys.executable, "-m", "loaders", *args, "--db", str(path)], capture_output=True,
                              text=True, cwd=Path(__file__).resolve().parent.parent, timeout=120)

    merged = run("merge-units", "DB2", "DB02", "--reason", "gõ nhầm")
    assert merged.returncode == 0 and "Đã hợp nhất DB2 vào DB02" in merged.stdout, merged.stderr
    gone = run("withdraw", str(r.submission_id), "--reason", "nộp nhầm")
    assert gone.returncode == 0 and "Đã rút báo cáo DB01" in gone.stdout
    listed = json.loads(run("changes", "--json").stdout)["changes"]
    assert [(c["kind"], c["object"]) for c in listed] == [("withdraw", "DB01/2024/Q1/v1"), ("merge", "DB2->DB02")]
    back = run("undo", str(listed[0]["id"]))
    assert back.returncode == 0 and "hoàn tác" in back.stdout
    again = run("undo", str(listed[0]["id"]))
    assert again.returncode == 2 and "đã được hoàn tác" in again.stderr and "Traceback" not in again.stderr
