"""The office's loop with the units (issue 13), on a real database (both backends): unit contacts, the
list of units to chase, review states (received → approved or returned with a comment), approved-only
figures, period locks (automatic and explicit; the upload refused on the `Kỳ báo cáo` cell; the unlock),
the warning for a pending petition left out, and every change audited and journaled for rebuild."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from core import audit
from core.auth import Principal
from core.errors import DashboardError
from loaders.schema import UNIT_LIST
from loaders.store import ingest_bytes, preview_bytes
from loaders.units import load_unit_list_bytes, set_contact
from metrics import history
from metrics.engine import compute
from metrics.office_loop import chase_list, lock_list, locked_periods, review_history, review_list
from ops.reminders import send_reminders
from ops.review import approve_reports, lock_period, return_report, unlock_period
from tests.builders import default_cells, info_values, register_units, write_workbook

AS_OF = dt.date(2025, 5, 10)  # Q1/2025 ended 31/03, its deadline 15/04: 25 days late
ADMIN = Principal("admin", "admin", "ROOT")
OFFICE = Principal("vanphong", "van_phong", "ROOT")
UNIT_USER = Principal("donvi_db01", "don_vi", "DB01")
LEADER = Principal("lanhdao", "lanh_dao", "ROOT")


def upload(db, tmp_path, unit: str, period: str = "Q1", *, docs: int = 5, petitions=None, year: int = 2025,
           when: dt.datetime | None = None, name: str | None = None):
    """Store a valid report of `unit` (VAN_BAN_CHI_DAO = docs) and return the ingest result."""
    path = write_workbook(tmp_path / (name or f"{unit}_{year}_{period}_{docs}.xlsx"),
                          info=info_values(unit, year, period), cells=default_cells(unit),
                          elements={"VAN_BAN_CHI_DAO": docs}, petitions=petitions or [])
    return ingest_bytes(db, path.read_bytes(), path.name, received_at=when or dt.datetime(year, 4, 5, 9, 0))


def units_with_contacts(rows) -> bytes:
    """A unit list with the optional contact columns."""
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_LIST.name
    ws.append(["Mã đơn vị", "Tên đơn vị", "Loại hình", "Mã đơn vị cấp trên", "Người liên hệ", "Email", "Điện thoại"])
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def contacts(db, code):
    return db.query_rows("SELECT contact_name, contact_email, contact_phone FROM units WHERE code = ?", [code])[0]


# ---------------------------------------------------------------- contacts
def test_contacts_come_from_the_unit_list_and_an_administrator_edits_them(db):
    load_unit_list_bytes(db, units_with_contacts([
        ("DB01", "Đảng bộ DB01", "Đảng bộ cơ sở", None, "Nguyễn Thị Liên", "Lien.VP@DB01.vn", 912345678),
        ("DB02", "Đảng bộ DB02", "Đảng bộ cơ sở", None, None, None, "024 3825 1234")]), "don_vi.xlsx")
    # a phone typed as a number lost its leading 0 in Excel: it comes back; e-mail addresses are folded
    assert contacts(db, "DB01") == ("Nguyễn Thị Liên", "lien.vp@db01.vn", "0912345678")
    assert contacts(db, "DB02") == (None, None, "024 3825 1234")
    # a list without the contact columns keeps the stored contacts
    register_units(db, "DB01", "DB02")
    assert contacts(db, "DB01") == ("Nguyễn Thị Liên", "lien.vp@db01.vn", "0912345678")
    with pytest.raises(DashboardError) as bad:
        load_unit_list_bytes(db, units_with_contacts([("DB01", "Đảng bộ DB01", "Đảng bộ cơ sở", None, "A",
                                                       "khong-phai-email", "12")]), "sai.xlsx")
    found = {(i.column, i.message) for i in bad.value.issues}
    assert ("Email", "Địa chỉ email không hợp lệ (dạng ten@donvi.vn)") in found
    assert any(col == "Điện thoại" for col, _ in found)
    set_contact(db, "DB02", name="Trần Văn Bình", email="binh@db02.vn", phone="", principal=ADMIN)
    assert contacts(db, "DB02") == ("Trần Văn Bình", "binh@db02.vn", None)
    with pytest.raises(DashboardError, match="quản lý danh sách đơn vị"):
        set_contact(db, "DB02", name="X", email=None, phone=None, principal=OFFICE)
    with pytest.raises(DashboardError, match="Email"):
        set_contact(db, "DB02", name="X", email="a@b", phone=None, principal=ADMIN)
    row = audit.list_events(db, action="unit_contact_changed").iloc[0]
    assert row["object"] == "DB02" and "binh" not in row["detail_json"]  # which fields changed, not their values


# ---------------------------------------------------------------- review states
def test_a_returned_report_stays_in_the_figures_flagged_until_replaced(db, tmp_path):
    register_units(db, "DB01", "DB02")
    first = upload(db, tmp_path, "DB01", docs=5)
    assert review_list(db, year=2025, period="Q1")["review_state"].tolist() == ["received"]
    with pytest.raises(DashboardError, match="Phải ghi nhận xét"):
        return_report(db, first.submission_id, comment="  ", principal=OFFICE)
    with pytest.raises(DashboardError, match="duyệt, trả lại"):
        return_report(db, first.submission_id, comment="Sai", principal=UNIT_USER)
    return_report(db, first.submission_id, comment="Số văn bản chỉ đạo chưa khớp với báo cáo quý", principal=OFFICE)
    # still counted, flagged, the comment readable by the unit through its own history
    assert compute(db, year=2025, quarter=1, as_of=AS_OF).activities["VAN_BAN_CHI_DAO"] == 5
    mine = history.submission_history(db, unit="DB01", year=2025, principal=UNIT_USER)
    assert mine["review_state"].tolist() == ["returned"]
    assert mine["review_comment"].iloc[0] == "Số văn bản chỉ đạo chưa khớp với báo cáo quý"
    second = upload(db, tmp_path, "DB01", docs=7, when=dt.datetime(2025, 4, 20, 8, 0))
    assert second.replaced_previous
    states = dict(zip(*[history.submission_history(db, unit="DB01", year=2025, principal=OFFICE)[c]
                        for c in ("version", "review_state")]))
    assert states == {1: "returned", 2: "received"}  # the new version clears the flag
    assert compute(db, year=2025, quarter=1, as_of=AS_OF).activities["VAN_BAN_CHI_DAO"] == 7
    # only the latest version can be reviewed
    with pytest.raises(DashboardError, match="không phải bản đang dùng"):
        approve_reports(db, [first.submission_id], principal=OFFICE)
    hist = review_history(db, [first.submission_id], principal=OFFICE)
    assert hist[["state", "reviewed_by"]].values.tolist() == [["returned", "vanphong"]]
    assert audit.list_events(db, action="report_returned").iloc[0]["object"] == "DB01/2025/Q1/v1"


def test_approved_only_figures_leave_out_what_is_not_approved(db, tmp_path):
    register_units(db, "DB01", "DB02")
    a = upload(db, tmp_path, "DB01", docs=5)
    upload(db, tmp_path, "DB02", docs=9)
    approve_reports(db, [a.submission_id], principal=OFFICE)
    every = compute(db, year=2025, quarter=1, as_of=AS_OF)
    approved = compute(db, year=2025, quarter=1, as_of=AS_OF, approved_only=True)
    assert every.activities["VAN_BAN_CHI_DAO"] == 14 and approved.activities["VAN_BAN_CHI_DAO"] == 5
    # sending the report (I25, I26) counts every report received, approved or not
    for iid in ("I25_NOP_BAO_CAO", "I26_NOP_DUNG_HAN"):
        assert every.by_id[iid].value == approved.by_id[iid].value == 100.0
    assert compute(db, year=2025, quarter=1, as_of=AS_OF, approved_only=True, unit="DB02").activities[
        "VAN_BAN_CHI_DAO"] is None


# ---------------------------------------------------------------- locks
def test_approving_every_expected_report_locks_the_period_until_an_administrator_unlocks(db, tmp_path):
    register_units(db, "DB01", "DB02")
    a = upload(db, tmp_path, "DB01")
    b = upload(db, tmp_path, "DB02")
    first = approve_reports(db, [a.submission_id], principal=OFFICE)
    assert first.locked == [] and locked_periods(db, 2025) == {}
    second = approve_reports(db, [b.submission_id], principal=OFFICE)
    assert second.locked == [(2025, "Q1")] and "đã khóa kỳ Quý I/2025" in second.message("Đã duyệt")
    assert set(locked_periods(db, 2025)) == {"Q1"}
    # an upload of the locked period is refused, on the Kỳ báo cáo cell of Thông tin, before and at storing
    path = write_workbook(tmp_path / "again.xlsx", info=info_values("DB01", 2025, "Q1"), cells=default_cells("DB01"),
                          elements={"VAN_BAN_CHI_DAO": 6})
    for result in (preview_bytes(db, path.read_bytes(), "again.xlsx"),
                   ingest_bytes(db, path.read_bytes(), "again.xlsx")):
        assert result.status == "rejected"
        issue = next(i for i in result.errors if i.column == "Kỳ báo cáo")
        assert issue.sheet == "Thông tin" and issue.value == "Quý I" and issue.row is not None
        assert "đã khóa" in issue.message and "quản trị hệ thống mở khóa" in issue.message
    assert db.query_value("SELECT count(*) FROM submissions") == 2
    # another period is open; the office cannot review or unlock a locked one
    assert upload(db, tmp_path, "DB01", "Q2", when=dt.datetime(2025, 7, 5)).status == "accepted"
    with pytest.raises(DashboardError, match="đã khóa"):
        return_report(db, a.submission_id, comment="Sửa lại", principal=OFFICE)
    with pytest.raises(DashboardError, match="mở khóa kỳ báo cáo"):
        unlock_period(db, 2025, "Q1", reason="Đơn vị xin nộp lại", principal=OFFICE)
    with pytest.raises(DashboardError, match="Phải ghi lý do"):
        unlock_period(db, 2025, "Q1", reason="", principal=ADMIN)
    unlock_period(db, 2025, "Q1", reason="DB01 xin nộp lại số liệu", principal=ADMIN)
    assert locked_periods(db, 2025) == {}
    again = ingest_bytes(db, path.read_bytes(), "again.xlsx")
    assert again.status == "accepted" and again.replaced_previous
    assert review_list(db, year=2025, period="Q1").set_index("unit_code")["review_state"].to_dict() == {
        "DB01": "received", "DB02": "approved"}
    locks = lock_list(db, year=2025)
    assert locks[["period", "auto", "unlocked_by"]].values.tolist() == [["Q1", True, "admin"]]
    actions = audit.list_events(db)["action"].tolist()
    assert {"period_locked", "period_unlocked", "report_approved"} <= set(actions)


def test_the_office_locks_a_period_itself(db, tmp_path):
    register_units(db, "DB01", "DB02")
    upload(db, tmp_path, "DB01")
    assert "Đã khóa kỳ báo cáo Quý I/2025" in lock_period(db, 2025, "Q1", reason="Họp sơ kết quý", principal=OFFICE)
    with pytest.raises(DashboardError, match="đã khóa từ"):
        lock_period(db, 2025, "Q1", principal=OFFICE)
    with pytest.raises(DashboardError, match="khóa kỳ báo cáo"):
        lock_period(db, 2025, "Q2", principal=UNIT_USER)
    late = upload(db, tmp_path, "DB02")  # DB02 never sent Q1: a locked period refuses new reports too
    assert late.status == "rejected" and late.errors[0].column == "Kỳ báo cáo"
    assert lock_list(db)[["auto", "reason", "locked_by"]].values.tolist() == [[False, "Họp sơ kết quý", "vanphong"]]


# ---------------------------------------------------------------- chasing
def test_the_units_to_chase_with_days_late_and_the_last_reminder(db, tmp_path):
    register_units(db, "DB01", "DB02", "DB03")
    set_contact(db, "DB02", name="Trần Văn Bình", email="binh@db02.vn", phone=None, principal=ADMIN)
    a = upload(db, tmp_path, "DB01")
    upload(db, tmp_path, "DB03")
    return_report(db, a.submission_id, comment="Thiếu sheet Sinh hoạt", principal=OFFICE)
    chase = chase_list(db, year=2025, period="Q1", as_of=AS_OF, principal=OFFICE)
    assert chase[["unit_code", "reason", "days_late", "reminders"]].values.tolist() == [
        ["DB02", "missing", 25, 0], ["DB01", "returned", 25, 0]]
    assert chase.set_index("unit_code").loc["DB01", "review_comment"] == "Thiếu sheet Sinh hoạt"
    assert chase.set_index("unit_code").loc["DB02", "contact_email"] == "binh@db02.vn"
    out = send_reminders(db, ["DB02", "DB01"], year=2025, period="Q1", as_of=AS_OF, principal=OFFICE)
    assert [n.notice_no for n in out.notices] == [1, 2] and out.notices[1].returned
    again = send_reminders(db, ["DB02"], year=2025, period="Q1", as_of=AS_OF, principal=OFFICE)
    assert again.notices[0].notice_no == 3  # numbered per year of sending
    chase = chase_list(db, year=2025, period="Q1", as_of=AS_OF, principal=OFFICE).set_index("unit_code")
    assert chase.loc["DB02", "reminders"] == 2 and chase.loc["DB01", "reminders"] == 1
    assert chase.loc["DB02", "last_reminder_at"] is not None
    # before the deadline a unit is waiting, not late
    early = chase_list(db, year=2025, period="Q1", as_of=dt.date(2025, 4, 10), principal=OFFICE)
    assert early.set_index("unit_code").loc["DB02", ["reason", "days_late"]].tolist() == ["waiting", 0]
    with pytest.raises(DashboardError, match="gửi công văn đôn đốc"):
        send_reminders(db, ["DB02"], year=2025, period="Q1", principal=UNIT_USER)
    with pytest.raises(DashboardError, match=r"Chưa cấu hình máy chủ gửi thư"):
        send_reminders(db, ["DB02"], year=2025, period="Q1", email=True, principal=OFFICE)
    # leadership sees no contact (personal data) where it may read the list at all
    assert chase_list(db, year=2025, period="Q1", as_of=AS_OF, principal=LEADER)["contact_name"].isna().all()
    assert [a for a in audit.list_events(db)["action"] if a == "reminder_sent"] == ["reminder_sent"] * 3


def test_a_pending_petition_left_out_of_the_next_report_is_warned(db, tmp_path):
    register_units(db, "DB01")
    pending = {"petition_no": "DB01-07", "received_date": dt.date(2025, 2, 3), "kind": "Khiếu nại",
               "over_level": "Không", "status": "Đang giải quyết"}
    done = {"petition_no": "DB01-08", "received_date": dt.date(2025, 2, 4), "kind": "Kiến nghị",
            "over_level": "Không", "status": "Đã giải quyết", "resolved_date": dt.date(2025, 3, 1)}
    assert upload(db, tmp_path, "DB01", "Q1", petitions=[pending, done]).status == "accepted"
    q2 = upload(db, tmp_path, "DB01", "Q2", when=dt.datetime(2025, 7, 3))
    assert q2.status == "accepted"
    warned = [w for w in q2.warnings if w.sheet == "Đơn thư"]
    assert [(w.value, w.column) for w in warned] == [("DB01-07", "Số hiệu đơn")]
    assert "đang giải quyết ở báo cáo Quý I/2025" in warned[0].message
    carried = upload(db, tmp_path, "DB01", "Q3", petitions=[{**pending, "status": "Đang giải quyết"}],
                     when=dt.datetime(2025, 10, 3))
    assert not [w for w in carried.warnings if w.sheet == "Đơn thư"]


# ---------------------------------------------------------------- rebuild
@pytest.mark.duckdb_only
def test_rebuild_replays_reviews_locks_reminders_and_contacts(db, tmp_path):
    from ops.maintenance import rebuild

    register_units(db, "DB01", "DB02")
    set_contact(db, "DB01", name="Nguyễn Thị Liên", email="lien@db01.vn", phone="0912345678", principal=ADMIN)
    a = upload(db, tmp_path, "DB01")
    b = upload(db, tmp_path, "DB02")
    return_report(db, a.submission_id, comment="Sửa số liệu", principal=OFFICE)
    send_reminders(db, ["DB01"], year=2025, period="Q1", as_of=AS_OF, principal=OFFICE)
    c = upload(db, tmp_path, "DB01", docs=8, when=dt.datetime(2025, 5, 12, 10, 0))
    approve_reports(db, [b.submission_id, c.submission_id], principal=OFFICE)  # locks Q1
    unlock_period(db, 2025, "Q1", reason="Mở lại để kiểm tra", principal=ADMIN)
    lock_period(db, 2025, "Q1", reason="Khóa lại", principal=OFFICE)
    result = rebuild(tmp_path / "rebuilt.duckdb", db.path)
    assert not result.problems and not result.mismatches, (result.problems, result.mismatches)
    from core.storage import open_database

    new = open_database(tmp_path / "rebuilt.duckdb")
    try:
        for sql in ("SELECT unit_code, version, review_state, review_comment, reviewed_by, reviewed_at FROM submissions "
                    "ORDER BY unit_code, version",
                    "SELECT year, period, auto, reason, locked_by, locked_at, unlocked_by, unlocked_at FROM period_locks "
                    "ORDER BY id",
                    "SELECT unit_code, year, period, notice_no, sent_by, sent_at FROM reminders ORDER BY id",
                    "SELECT code, contact_name, contact_email, contact_phone FROM units ORDER BY code",
                    "SELECT submission_id, state, comment, done_by, done_at FROM reviews ORDER BY id"):
            assert new.query_rows(sql) == db.query_rows(sql), sql
    finally:
        new.close()
