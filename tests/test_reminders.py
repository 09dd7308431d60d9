"""Reminders (issue 13): the notice in the Party document layout (.docx read back), and the e-mail through
a real SMTP server (aiosmtpd on localhost, started here) carrying no figure and no personal data; both
recorded, audited and numbered."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from docx import Document

from core import audit
from core.auth import Principal
from core.config import SMTP_PASSWORD_ENV, NoticeConfig, SmtpConfig
from loaders.units import set_contact
from metrics.office_loop import reminder_list
from ops.reminders import notice_docx, send_reminders
from ops.review import return_report
from tests.builders import default_cells, info_values, register_units, write_workbook
from tests.test_app_smoke import elements

AS_OF = dt.date(2025, 5, 10)
ADMIN = Principal("admin", "admin", "ROOT")
OFFICE = Principal("vanphong", "van_phong", "ROOT")
CONTACT = "Nguyễn Thị Liên"
PREPARER = "Phạm Văn Lập"


class Inbox:
    """The SMTP handler: keeps every message the server accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free localhost port for the test (aiosmtpd), and its inbox."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _port(controller) -> int:
    return controller.port


@pytest.fixture
def org(db, tmp_path):
    """DB01 reported Q1/2025 (returned by the office), DB02 never did; both have contacts."""
    register_units(db, "DB01", "DB02")
    set_contact(db, "DB01", name=CONTACT, email="lien@db01.vn", phone="0912345678", principal=ADMIN)
    set_contact(db, "DB02", name="Trần Văn Bình", email="binh@db02.vn", phone=None, principal=ADMIN)
    path = write_workbook(tmp_path / "DB01.xlsx", info=info_values("DB01", 2025, "Q1", preparer=PREPARER,
                                                                    member_total=4321),
                          cells=default_cells("DB01"), elements=elements(docs=987))
    from loaders.store import ingest_bytes

    r = ingest_bytes(db, path.read_bytes(), path.name, received_at=dt.datetime(2025, 4, 3, 8, 0),
                     uploader="Lê Thị Nộp")
    return_report(db, r.submission_id, comment="Số văn bản 987 không khớp với 4321 đảng viên", principal=OFFICE)
    return db


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_the_notice_follows_the_party_document_layout(org):
    out = send_reminders(org, ["DB02", "DB01"], year=2025, period="Q1", as_of=AS_OF, principal=OFFICE)
    doc = Document(io.BytesIO(out.docx))
    head = doc.tables[0].rows[0].cells
    left, right = head[0].text, head[1].text
    # the committee's letterhead, as on its review report ([report] of dashboard.toml; [notice] sets none),
    # the committee's name broken where the two lines balance
    assert left.split("\n") == ["ĐẢNG BỘ TỈNH THÁI BÌNH", "ĐẢNG ỦY KHỐI", "DOANH NGHIỆP TỈNH", "*", "Số 1-CV/ĐU",
                                "V/v đôn đốc nộp báo cáo Quý I năm 2025"]
    assert right.split("\n") == ["ĐẢNG CỘNG SẢN VIỆT NAM", "", "Thái Bình, ngày 10 tháng 05 năm 2025"]
    national = next(r for p in head[1].paragraphs for r in p.runs if r.text == "ĐẢNG CỘNG SẢN VIỆT NAM")
    assert national.bold and national.underline
    text = docx_text(out.docx)
    assert "Kính gửi: Đảng ủy DB02" in text
    assert "quá hạn 25 ngày" in text and "15/04/2025" in text  # the period's deadline
    assert "đã được Văn phòng Đảng ủy trả lại" in text  # DB01's notice: its report was returned
    assert "Nơi nhận:" in text and "T/L BAN THƯỜNG VỤ" in text and "CHÁNH VĂN PHÒNG" in text
    assert "Số 2-CV/ĐU" in text  # one page per unit, each numbered
    sizes = {r.font.size.pt for p in doc.paragraphs for r in p.runs if r.font.size}
    assert sizes <= {11, 12, 13, 14} and 14 in sizes
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert {r.font.name for p in doc.paragraphs for r in p.runs if r.text} == {"Times New Roman"}
    # the notice carries no figure of the report and no person
    for secret in ("987", "4321", CONTACT, PREPARER, "Lê Thị Nộp", "vanphong", "không khớp"):
        assert secret not in text
    assert doc.core_properties.author == "ĐẢNG ỦY KHỐI DOANH NGHIỆP TỈNH"


def test_the_notice_layout_follows_the_configuration():
    cfg = NoticeConfig(superior="ĐẢNG BỘ TỈNH BẾN TRE", issuer="ĐẢNG ỦY KHỐI CƠ QUAN - DOANH NGHIỆP TỈNH",
                       symbol="ĐUK", place="Bến Tre", sign_for="T/M ĐẢNG ỦY", signer_title="PHÓ BÍ THƯ",
                       signer_name="Võ Văn A")
    from ops.reminders import Notice

    n = Notice("DB01", "Chi bộ Trường học", 2025, "Y", dt.date(2026, 1, 15), 0, False, 12, dt.date(2026, 1, 5), 2026)
    text = docx_text(notice_docx([n], cfg, 15))
    for part in ("ĐẢNG BỘ TỈNH BẾN TRE", "Số 12-CV/ĐUK", "Bến Tre, ngày 05 tháng 01 năm 2026", "T/M ĐẢNG ỦY",
                 "PHÓ BÍ THƯ", "Võ Văn A", "Kính gửi: Chi bộ Trường học", "còn 10 ngày đến hạn nộp",
                 "V/v đôn đốc nộp báo cáo năm 2025"):
        assert part in text, part


def test_the_notice_is_issued_by_the_committee_of_the_review_report(tmp_path):
    """[notice] takes the body above, the committee, the symbol and the place from [report] (one committee,
    one place on all its documents) unless it names its own; the signature is its own."""
    from core.config import load_config

    base = 'root = {code = "ROOT", name = "Đảng bộ Khối Cơ quan - Doanh nghiệp tỉnh"}\n'
    report = '[report]\nparent_body = "Đảng bộ tỉnh Bến Tre"\nplace = "Bến Tre"\nsymbol = "ĐUK"\n'
    shared = tmp_path / "shared.toml"
    shared.write_text(base + report, encoding="utf-8")
    n = load_config(str(shared)).notice
    assert (n.superior, n.issuer, n.symbol, n.place) == ("ĐẢNG BỘ TỈNH BẾN TRE", "ĐẢNG ỦY KHỐI CƠ QUAN - DOANH NGHIỆP TỈNH",
                                                         "ĐUK", "Bến Tre")
    assert (n.sign_for, n.signer_title) == ("T/L BAN THƯỜNG VỤ", "CHÁNH VĂN PHÒNG")
    own = tmp_path / "own.toml"
    own.write_text(base + report + '[notice]\nplace = "Mỏ Cày"\nsuperior = ""\n', encoding="utf-8")
    n = load_config(str(own)).notice
    assert (n.superior, n.place, n.symbol) == ("", "Mỏ Cày", "ĐUK")
    bare = tmp_path / "bare.toml"  # nothing configured: the root as a committee, the date line alone
    bare.write_text(base, encoding="utf-8")
    n = load_config(str(bare)).notice
    assert (n.superior, n.issuer, n.symbol, n.place) == ("", "ĐẢNG ỦY KHỐI CƠ QUAN - DOANH NGHIỆP TỈNH", "ĐU", "")
    from ops.reminders import Notice

    notice = Notice("DB01", "Đảng bộ Công ty Điện lực", 2025, "Q1", dt.date(2025, 4, 15), 25, False, 1,
                    dt.date(2025, 5, 10), 2025)
    text = docx_text(notice_docx([notice], n, 15))
    assert "Ngày 10 tháng 05 năm 2025" in text and ", ngày" not in text
    assert "Kính gửi: Đảng ủy Công ty Điện lực" in text


def test_the_email_goes_through_a_real_smtp_server_without_figures_or_personal_data(org, smtp_server):
    controller, inbox = smtp_server
    server = SmtpConfig(host="127.0.0.1", port=_port(controller), sender="vanphong@dangbo.vn", starttls=False,
                        username=None)
    out = send_reminders(org, ["DB01", "DB02"], year=2025, period="Q1", email=True, as_of=AS_OF,
                         principal=OFFICE, smtp=server)
    assert out.emailed == {"DB01": "lien@db01.vn", "DB02": "binh@db02.vn"} and not out.not_emailed
    assert sorted(e.rcpt_tos[0] for e in inbox.messages) == ["binh@db02.vn", "lien@db01.vn"]
    import email
    from email import policy

    for envelope in inbox.messages:
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        assert msg["From"] == "vanphong@dangbo.vn"
        assert "Đôn đốc nộp báo cáo Quý I/2025" in msg["Subject"]
        body = msg.get_body(("plain",)).get_content()
        attached = [p for p in msg.iter_attachments()]
        assert len(attached) == 1 and attached[0].get_filename().endswith(".docx")
        notice = docx_text(attached[0].get_content())
        whole = body + "\n" + notice + "\n" + msg["Subject"]
        # no figure of any report, no person: the contact, the uploader, the preparer, the office's account
        for secret in ("987", "4321", "12,5", CONTACT, "Trần Văn Bình", PREPARER, "Lê Thị Nộp", "vanphong@", "0912345678",
                       "không khớp"):
            assert secret not in whole.replace("vanphong@dangbo.vn", ""), secret
        numbers = set(re.findall(r"\d+", whole))
        allowed = {"1", "2", "15", "25", "2025", "04", "05", "10", "01", "02"}  # numbers, dates, days, unit codes
        assert numbers <= allowed, numbers - allowed
    rows = reminder_list(org, year=2025, principal=OFFICE)
    assert rows["emailed_to"].notna().all() and rows["emailed_at"].notna().all()
    assert (audit.list_events(org, action="reminder_emailed")["object"].tolist()
            == ["DB02/2025/Q1", "DB01/2025/Q1"])
    assert "lien@db01.vn" not in " ".join(audit.list_events(org)["detail_json"].dropna())  # no address in the log


def test_smtp_login_uses_the_password_from_the_environment(org, monkeypatch):
    inbox = Inbox()
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"mat-khau-thu"
        seen.append((auth_data.login, ok))
        return AuthResult(success=ok)

    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        server = SmtpConfig(host="127.0.0.1", port=_port(controller), sender="vanphong@dangbo.vn", starttls=False,
                            username="vanphong")
        monkeypatch.setenv(SMTP_PASSWORD_ENV, "mat-khau-thu")
        out = send_reminders(org, ["DB02"], year=2025, period="Q1", email=True, principal=OFFICE, smtp=server)
        assert out.emailed == {"DB02": "binh@db02.vn"} and len(inbox.messages) == 1
        assert seen == [(b"vanphong", True)]
    finally:
        controller.stop()


def test_a_server_that_cannot_be_reached_leaves_the_notice_recorded(org):
    server = SmtpConfig("127.0.0.1", _free_port(), "vanphong@dangbo.vn", False, None)  # nobody listens there
    out = send_reminders(org, ["DB02"], year=2025, period="Q1", email=True, principal=OFFICE, smtp=server)
    assert not out.emailed and "không gửi được qua máy chủ thư 127.0.0.1" in out.not_emailed["DB02"]
    assert reminder_list(org, principal=OFFICE)[["unit_code", "emailed_to"]].values.tolist() == [["DB02", None]]


def test_a_unit_without_address_gets_the_notice_only(org, smtp_server):
    controller, inbox = smtp_server
    set_contact(org, "DB02", name=None, email=None, phone=None, principal=ADMIN)
    server = SmtpConfig("127.0.0.1", _port(controller), "vanphong@dangbo.vn", False, None)
    out = send_reminders(org, ["DB02"], year=2025, period="Q1", email=True, principal=OFFICE, smtp=server)
    assert out.not_emailed == {"DB02": "đơn vị chưa có địa chỉ email (Quản trị → thông tin liên hệ)"}
    assert not inbox.messages and "Chưa gửi e-mail: DB02" in out.message()
