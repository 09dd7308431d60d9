"""AppTest interaction with the office's pages (issue 13): Đôn đốc & duyệt (chase, remind, return with a
comment, approve, the automatic lock, unlock, approved-only figures), Đơn vị của tôi (the comment, what is
due, the pre-filled workbook), the contact box on Quản trị, and which roles see which page."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.storage import open_database
from metrics.office_loop import reminder_list, review_list
from tests.builders import sign_in
from tests.test_app_smoke import APP, build_org, texts
from ui import state as K


@pytest.fixture(scope="module")
def org_template(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("org_office")
    path = base / "org.duckdb"
    build_org(path, base)
    open_database(path).close()
    return path


@pytest.fixture
def org(org_template, tmp_path) -> Path:
    """A private copy of the small organisation (2024: every unit sent Q1; only DB01 sent Q2)."""
    path = tmp_path / "org.duckdb"
    shutil.copy(org_template, path)
    shutil.copytree(org_template.parent / "org-archive", tmp_path / "org-archive")
    return path


def app(org, monkeypatch, user: str, page: str) -> AppTest:
    """The app signed in as a demo account, year 2024, on `page` (run)."""
    monkeypatch.setenv("DASHBOARD_DB", str(org))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=90), org, user)
    at.query_params["year"] = "2024"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def frame_with(at: AppTest, *columns: str):
    for d in at.dataframe:
        if set(columns) <= set(d.value.columns):
            return d.value
    raise AssertionError(f"no table with {columns}")


def db_of(org):
    return open_database(org)


def test_the_office_chases_the_late_units_and_gets_the_notice(org, monkeypatch):
    at = app(org, monkeypatch, "vanphong", "pages/don_doc.py")
    ok(at)
    at.selectbox(key=K.DD_PERIOD).set_value("Q2").run()
    chase = frame_with(at, "Mã đơn vị", "Tình trạng", "Số ngày quá hạn")
    assert sorted(chase["Mã đơn vị"]) == ["CB03", "DB02", "DB04"]
    assert set(chase["Tình trạng"]) == {"✗ Chưa nộp (quá hạn)"}
    assert at.multiselect(key=K.DD_REMIND_UNITS + "Q2").value == ["CB03", "DB02", "DB04"]
    assert not [c for c in at.checkbox if c.key == K.DD_EMAIL]  # no SMTP configured: no e-mail option
    assert "Chưa cấu hình máy chủ gửi thư" in texts(at)
    at.multiselect(key=K.DD_REMIND_UNITS + "Q2").set_value(["DB02"]).run()
    at.button(key=K.DD_REMIND).click().run()
    ok(at)
    assert "Đã lập 1 công văn đôn đốc (số 1)" in texts(at)
    assert any("Tải công văn đôn đốc" in b.label for b in at.get("download_button"))
    chase = frame_with(at, "Mã đơn vị", "Số lần đôn đốc").set_index("Mã đơn vị")
    # as the reader sees it: ui.page.table writes numbers in Vietnamese format (issue 11)
    assert chase.loc["DB02", "Số lần đôn đốc"] == "1" and chase.loc["DB04", "Số lần đôn đốc"] == "0"
    assert frame_with(at, "Số công văn")["Mã đơn vị"].tolist() == ["DB02"]
    assert reminder_list(db_of(org), year=2024)["unit_code"].tolist() == ["DB02"]


def test_return_with_a_comment_the_unit_reads_then_approve_locks(org, monkeypatch):
    at = app(org, monkeypatch, "vanphong", "pages/don_doc.py")
    at.selectbox(key=K.DD_PERIOD).set_value("Q1").run()
    reviews = review_list(db_of(org), year=2024, period="Q1").set_index("unit_code")
    db01 = int(reviews.loc["DB01", "submission_id"])
    at.selectbox(key=K.DD_REPORT).set_value(db01).run()
    at.button(key=K.DD_RETURN).click().run()
    assert "Phải ghi nhận xét" in " ".join(e.value for e in at.error)  # a return needs its comment
    at.text_area(key=K.DD_COMMENT).input("Số văn bản chỉ đạo chưa khớp [xem lại]")
    at.button(key=K.DD_RETURN).click().run()
    ok(at)
    assert "Đã trả lại 1 báo cáo: DB01 Quý I/2024 (phiên bản 2)" in texts(at)
    table = frame_with(at, "Mã đơn vị", "Trạng thái duyệt", "Nhận xét").set_index("Mã đơn vị")
    assert table.loc["DB01", "Trạng thái duyệt"] == "↩ Trả lại"

    unit = app(org, monkeypatch, "donvi_db01", "pages/don_vi.py")
    ok(unit)
    assert unit.selectbox(key=K.DV_UNIT).value == "DB01"
    shown = texts(unit)
    assert "đã bị Văn phòng Đảng ủy trả lại" in shown and "“Số văn bản chỉ đạo chưa khớp [xem lại]”" in shown
    due = frame_with(unit, "Kỳ báo cáo", "Việc cần làm").set_index("Kỳ báo cáo")
    assert due.loc["Quý I", "Việc cần làm"] == "↩ Bị trả lại, cần nộp lại"
    assert due.loc["Quý III", "Việc cần làm"] == "✗ Quá hạn, chưa nộp"
    labels = [b.label for b in unit.get("download_button")]
    assert any(label.startswith("Tải mẫu điền sẵn") for label in labels)

    at.button(key=K.DD_APPROVE_ALL).click().run()  # the three reports still only received
    ok(at)
    assert "Đã duyệt 3 báo cáo" in texts(at) and "đã khóa kỳ" not in texts(at)
    at.selectbox(key=K.DD_REPORT).set_value(db01).run()
    at.button(key=K.DD_APPROVE).click().run()
    ok(at)
    assert "đã khóa kỳ Quý I/2024" in texts(at)
    assert any("đã khóa từ" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == K.DD_UNLOCK]  # the office cannot unlock
    assert at.button(key=K.DD_APPROVE).disabled and at.button(key=K.DD_RETURN).disabled

    admin = app(org, monkeypatch, "admin", "pages/don_doc.py")
    admin.selectbox(key=K.DD_PERIOD).set_value("Q1").run()
    admin.button(key=K.DD_UNLOCK).click().run()
    assert "Phải ghi lý do mở khóa" in " ".join(e.value for e in admin.error)
    admin.text_input(key=K.DD_UNLOCK_REASON).input("DB01 xin nộp lại").run()
    admin.button(key=K.DD_UNLOCK).click().run()
    assert "Đã mở khóa kỳ báo cáo Quý I/2024" in texts(admin)
    assert not any("đã khóa từ" in w.value for w in admin.warning)


def test_approved_only_figures_beside_every_report(org, monkeypatch):
    at = app(org, monkeypatch, "vanphong", "pages/don_doc.py")
    at.toggle(key=K.DD_APPROVED_ONLY).set_value(True).run()
    ok(at)
    table = frame_with(at, "Mã", "Mọi báo cáo đã nhận", "Chỉ báo cáo đã duyệt").set_index("Mã")
    assert table.loc["I25", "Mọi báo cáo đã nhận"] == table.loc["I25", "Chỉ báo cáo đã duyệt"]
    assert table.loc["I01", "Chỉ báo cáo đã duyệt"] == "—"  # nothing approved yet: no data
    assert table.loc["I01", "Khác nhau"] == "●"


def test_the_administrator_edits_a_units_contact(org, monkeypatch):
    at = app(org, monkeypatch, "admin", "pages/quan_tri.py")
    at.selectbox(key=K.AD_CT_UNIT).set_value("DB02").run()
    at.text_input(key=K.AD_CT_NAME).input("Trần Văn Bình")
    at.text_input(key=K.AD_CT_EMAIL).input("sai-email").run()
    at.button(key=K.AD_CT_SAVE).click().run()
    assert any("Email" in e.value for e in at.error)
    at.text_input(key=K.AD_CT_EMAIL).input("binh@db02.vn").run()
    at.button(key=K.AD_CT_SAVE).click().run()
    assert "Đã lưu thông tin liên hệ của DB02." in texts(at)
    assert db_of(org).query_rows("SELECT contact_name, contact_email FROM units WHERE code = 'DB02'") == [
        ("Trần Văn Bình", "binh@db02.vn")]


@pytest.mark.parametrize("user, office_page, unit_page", [
    ("lanhdao", False, False), ("donvi_db01", False, True), ("vanphong", True, True), ("admin", True, True)])
def test_each_role_sees_the_pages_it_can_use(org, monkeypatch, user, office_page, unit_page):
    monkeypatch.setenv("DASHBOARD_DB", str(org))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=90), org, user)
    at.query_params["year"] = "2024"
    at.run()
    for page, visible in (("pages/don_doc.py", office_page), ("pages/don_vi.py", unit_page)):
        if visible:
            at.switch_page(page).run()
            ok(at)
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)


def test_the_office_sees_any_units_page(org, monkeypatch):
    at = app(org, monkeypatch, "vanphong", "pages/don_vi.py")
    assert at.selectbox(key=K.DV_UNIT).options and len(at.selectbox(key=K.DV_UNIT).options) == 4
    at.selectbox(key=K.DV_UNIT).set_value("DB02").run()
    ok(at)
    assert "Đảng bộ Công ty Cấp thoát nước" in texts(at)
    assert "Báo cáo đã nộp năm 2024" in texts(at)
