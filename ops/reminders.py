"""Chasing the units (issue 13): the reminder notice (công văn đôn đốc, .docx in the Party document layout)
and, when an SMTP server is configured, a reminder e-mail to the unit's contact address.

A reminder carries no figure of any report and no personal data: it names the unit, the period, the
deadline and how late the report is, and points to the dashboard. Every reminder is a row of `reminders`
(numbered "Số N-CV/ĐU" per year), audited and journaled, so the office sees when each unit was last
chased and `rebuild` keeps it.
"""
from __future__ import annotations

import datetime as dt
import io
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from core import audit
from core.auth import REMIND_UNITS, Principal, authorize_unit, require
from core.clock import now_local, report_deadline
from core.config import NoticeConfig, SmtpConfig, committee_of, load_config
from core.errors import DashboardError
from core.storage import Database, next_id
from core.text import PERIOD_LABELS, date_line, fmt_date, fmt_period
from metrics.office_loop import RETURNED, check_period
from metrics.scope import EXPECTED_KINDS

MSG_NO_SMTP = ("Chưa cấu hình máy chủ gửi thư (mục [smtp] trong dashboard.toml): chỉ lập được công văn để in "
               "hoặc gửi theo cách khác.")
MSG_NO_UNITS = "Chưa chọn đơn vị nào để đôn đốc."
MSG_NOT_REPORTING = "Đơn vị “{code}” không có trong danh sách đơn vị nộp báo cáo."
MSG_NO_EMAIL = "đơn vị chưa có địa chỉ email (Quản trị → thông tin liên hệ)"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FONT = "Times New Roman"


@dataclass(frozen=True)
class Notice:
    """One reminder notice: to whom, about which report, its number and date."""

    unit_code: str
    unit_name: str
    year: int
    period: str
    deadline: dt.date
    days_late: int  # days past the deadline on the day of issue (0: not yet due)
    returned: bool  # the unit's report was returned and not sent again
    notice_no: int
    issued_on: dt.date
    sent_year: int = 0  # the calendar year whose numbering the notice took (the year it was recorded)

    @property
    def addressee(self) -> str:
        """The body the notice is addressed to: a Party organisation's committee ("Đảng bộ X" → "Đảng ủy X")."""
        return committee_of(self.unit_name)

    @property
    def subject(self) -> str:
        """'V/v đôn đốc nộp báo cáo Quý I năm 2025'."""
        return f"V/v đôn đốc nộp báo cáo {self.spoken}"

    @property
    def spoken(self) -> str:
        """'Quý I năm 2025', or 'năm 2025' for the annual report."""
        return f"năm {self.year}" if self.period == "Y" else f"{PERIOD_LABELS[self.period]} năm {self.year}"

    def body(self, deadline_days: int) -> list[str]:
        """The notice's paragraphs (the same text goes into the e-mail): no figure, no person."""
        label = self.spoken
        first = (f"Theo quy định về chế độ báo cáo, các tổ chức đảng trực thuộc gửi báo cáo kết quả thực hiện "
                 f"chương trình hành động {label} theo mẫu thống nhất chậm nhất ngày {fmt_date(self.deadline)} "
                 f"({deadline_days} ngày sau khi kết thúc kỳ báo cáo).")
        if self.returned:
            second = (f"Báo cáo {label} của {self.unit_name} đã được Văn phòng Đảng ủy trả lại để hoàn thiện "
                      f"(nhận xét xem tại trang “Đơn vị của tôi” trên Bảng điều khiển), nhưng đến ngày "
                      f"{fmt_date(self.issued_on)} chưa được nộp lại.")
        elif self.days_late > 0:
            second = (f"Đến ngày {fmt_date(self.issued_on)}, Văn phòng Đảng ủy chưa nhận được báo cáo {label} của "
                      f"{self.unit_name}, đã quá hạn {self.days_late} ngày.")
        else:
            left = (self.deadline - self.issued_on).days
            second = (f"Đến ngày {fmt_date(self.issued_on)}, Văn phòng Đảng ủy chưa nhận được báo cáo {label} của "
                      f"{self.unit_name}; còn {left} ngày đến hạn nộp.")
        third = ("Thừa lệnh Ban Thường vụ, Văn phòng Đảng ủy đề nghị đơn vị khẩn trương hoàn thành và nộp báo cáo "
                 "trên Bảng điều khiển (trang “Nộp báo cáo”; có thể tải mẫu đã điền sẵn tại trang “Đơn vị của "
                 "tôi”) hoặc gửi về Văn phòng Đảng ủy trong thời gian sớm nhất.")
        return [first, second, third, "Đề nghị đơn vị quan tâm thực hiện./."]


@dataclass
class ReminderOutcome:
    """What a round of reminders did: its notices (one .docx holding them all), and the e-mails."""

    notices: list[Notice]
    docx: bytes = field(repr=False)
    emailed: dict[str, str] = field(default_factory=dict)  # unit -> address
    not_emailed: dict[str, str] = field(default_factory=dict)  # unit -> why not

    @property
    def file_name(self) -> str:
        """'cong-van-don-doc-Q1-2025.docx'."""
        n = self.notices[0]
        return f"cong-van-don-doc-{n.period}-{n.year}.docx"

    def message(self) -> str:
        """A Vietnamese summary for the page and the command line."""
        nos = ", ".join(f"{n.notice_no}" for n in self.notices)
        text = f"Đã lập {len(self.notices)} công văn đôn đốc (số {nos})."
        if self.emailed:
            text += f" Đã gửi e-mail tới {len(self.emailed)} đơn vị: {', '.join(sorted(self.emailed))}."
        if self.not_emailed:
            text += " Chưa gửi e-mail: " + "; ".join(f"{u} ({why})" for u, why in sorted(self.not_emailed.items())) + "."
        return text


def smtp_settings() -> SmtpConfig | None:
    """The configured SMTP server, or None (then the e-mail option is hidden and refused)."""
    return load_config().smtp


def send_reminders(db: Database, units, *, year: int, period: str, email: bool = False,
                   as_of: dt.date | None = None, principal: Principal | None = None,
                   smtp: SmtpConfig | None = None) -> ReminderOutcome:
    """Issue a reminder notice to each unit (remind_units) about its report of (year, period), and with
    `email` also send it to the unit's contact address through the configured SMTP server (`smtp`
    overrides the configuration). The notices are numbered and recorded (audited, journaled) before any
    e-mail goes; an e-mail that fails is named in the outcome, the notice stays recorded."""
    require(principal, REMIND_UNITS)
    period = check_period(period)
    codes = [str(u).strip().upper() for u in (units or []) if str(u).strip()]
    if not codes:
        raise DashboardError(MSG_NO_UNITS)
    server = smtp or smtp_settings()
    if email and server is None:
        raise DashboardError(MSG_NO_SMTP)
    cfg = load_config()
    now = now_local()
    issued = as_of or now.date()
    deadline = report_deadline(int(year), period)
    days_late = max(0, (issued - deadline).days)
    actor = getattr(principal, "username", None) or audit.default_actor()
    notices: list[Notice] = []
    addresses: dict[str, str | None] = {}
    with db.transaction(changes_figures=False) as cur:
        for code in codes:
            authorize_unit(db, principal, code)
            row = cur.execute("SELECT name, kind, contact_email FROM units WHERE code = ? AND merged_into IS NULL",
                              [code]).fetchone()
            if row is None or row[1] not in EXPECTED_KINDS:
                raise DashboardError(MSG_NOT_REPORTING.format(code=code))
            returned = bool(cur.execute("SELECT count(*) FROM submissions WHERE unit_code = ? AND year = ? AND "
                                        "period = ? AND status = 'current' AND review_state = ?",
                                        [code, int(year), period, RETURNED]).fetchone()[0])
            number = _next_number(cur, now.year)
            notice = Notice(code, row[0], int(year), period, deadline, days_late, returned, number, issued, now.year)
            _record(cur, db, notice, actor, now)
            notices.append(notice)
            addresses[code] = row[2]
    out = ReminderOutcome(notices, notice_docx(notices, cfg.notice, cfg.deadline_days))
    if email:
        _email_all(db, out, addresses, server, cfg, actor)
    return out


def _next_number(cur, year: int) -> int:
    """The next notice number of the calendar year (Số N-CV/ĐU restarts every year)."""
    return int(cur.execute("SELECT coalesce(max(notice_no), 0) + 1 FROM reminders WHERE year(sent_at) = ?",
                           [year]).fetchone()[0])


def _record(cur, db: Database, n: Notice, actor: str, at: dt.datetime) -> None:
    cur.execute("INSERT INTO reminders (id, unit_code, year, period, notice_no, days_late, sent_by, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [next_id(cur, "reminders"), n.unit_code, n.year, n.period, n.notice_no, n.days_late, actor, at])
    audit.record(cur, actor=actor, action="reminder_sent", object=f"{n.unit_code}/{n.year}/{n.period}",
                 detail={"notice_no": n.notice_no, "days_late": n.days_late, "returned": n.returned})
    audit.journal(db, {"kind": "reminder", "unit": n.unit_code, "year": n.year, "period": n.period,
                       "notice_no": n.notice_no, "days_late": n.days_late, "actor": actor,
                       "at": at.isoformat(sep=" ")})


def _email_all(db: Database, out: ReminderOutcome, addresses: dict, server: SmtpConfig, cfg, actor: str) -> None:
    """Send each notice with an address over one SMTP session; record each e-mail that went."""
    todo = []
    for n in out.notices:
        if addresses.get(n.unit_code):
            todo.append(n)
        else:
            out.not_emailed[n.unit_code] = MSG_NO_EMAIL
    if not todo:
        return
    try:
        with _connect(server) as smtp:
            for n in todo:
                try:
                    smtp.send_message(reminder_email(n, addresses[n.unit_code], server.sender, cfg))
                except smtplib.SMTPException as exc:
                    out.not_emailed[n.unit_code] = f"máy chủ thư từ chối: {_first_line(exc)}"
                    continue
                out.emailed[n.unit_code] = addresses[n.unit_code]
                _record_email(db, n, addresses[n.unit_code], actor)
    except (OSError, smtplib.SMTPException) as exc:
        for n in todo:
            if n.unit_code not in out.emailed:
                out.not_emailed[n.unit_code] = f"không gửi được qua máy chủ thư {server.host}: {_first_line(exc)}"


def _connect(server: SmtpConfig) -> smtplib.SMTP:
    smtp = smtplib.SMTP(server.host, server.port, timeout=20)
    try:
        smtp.ehlo()
        if server.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _record_email(db: Database, n: Notice, address: str, actor: str) -> None:
    at = now_local()
    with db.transaction(changes_figures=False) as cur:
        cur.execute("UPDATE reminders SET emailed_to = ?, emailed_at = ? WHERE unit_code = ? AND notice_no = ? "
                    "AND year(sent_at) = ?", [address, at, n.unit_code, n.notice_no, n.sent_year])
        audit.record(cur, actor=actor, action="reminder_emailed", object=f"{n.unit_code}/{n.year}/{n.period}",
                     detail={"notice_no": n.notice_no})
        audit.journal(db, {"kind": "reminder_email", "unit": n.unit_code, "notice_no": n.notice_no,
                           "notice_year": n.sent_year, "emailed_to": address, "at": at.isoformat(sep=" ")})


def reminder_email(n: Notice, to: str, sender: str, cfg) -> EmailMessage:
    """The reminder e-mail of one notice: the notice's text (no figure, no person) and the notice itself
    attached as .docx."""
    issuer = cfg.notice.issuer
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = f"Đôn đốc nộp báo cáo {fmt_period(n.period, n.year)} — {issuer.title()}"
    lines = [f"Kính gửi: {n.addressee}", "", f"Công văn số {n.notice_no}-CV/{cfg.notice.symbol} của "
             f"{issuer.title()}, {n.subject[0].lower()}{n.subject[1:]}.", ""]
    lines += [p + "\n" for p in n.body(cfg.deadline_days)]
    lines += ["Công văn đính kèm thư này.", "",
              "Thư được gửi từ Bảng điều khiển chỉ tiêu Đảng ủy; vui lòng không trả lời thư này."]
    msg.set_content("\n".join(lines))
    msg.add_attachment(notice_docx([n], cfg.notice, cfg.deadline_days), maintype="application",
                       subtype=DOCX_MIME.split("/", 1)[1], filename=f"cong-van-{n.notice_no}-CV.docx")
    return msg


# ---------------------------------------------------------------- the notice (.docx)
def notice_docx(notices: list[Notice], cfg: NoticeConfig, deadline_days: int) -> bytes:
    """The notices in the Party document layout (Hướng dẫn 36-HD/VPTW), one per A4 page: the committee's
    letterhead (metrics.docx_writer.letterhead, as on its review report: issuing body and number top left
    with the subject line "V/v …" under them, "ĐẢNG CỘNG SẢN VIỆT NAM" underlined top right with place and
    date), "Kính gửi", the body, "Nơi nhận" and the signature block; Times New Roman 13–14 pt (11–12 pt for
    the subject and "Nơi nhận", as the guide has them)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    from metrics.docx_writer import letterhead

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)  # Word picks this font for Vietnamese text too
    style.paragraph_format.space_after = Pt(0)
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(2), Cm(2), Cm(3), Cm(1.5)

    def para(cell_or_doc, text="", *, bold=False, italic=False, underline=False, size=14,
             align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, before=0, after=0):
        # a table cell starts with one empty paragraph: its first line goes there, not below it
        fresh = getattr(cell_or_doc, "_tc", None) is not None and len(cell_or_doc.paragraphs) == 1 \
            and not cell_or_doc.paragraphs[0].runs
        p = cell_or_doc.paragraphs[0] if fresh else cell_or_doc.add_paragraph()
        p.alignment = align
        p.paragraph_format.space_before, p.paragraph_format.space_after = Pt(before), Pt(after)
        if indent:
            p.paragraph_format.first_line_indent = Cm(1.27)
            p.paragraph_format.line_spacing = 1.2
        if text:
            r = p.add_run(text)
            r.bold, r.italic, r.underline = bold, italic, underline
            r.font.size = Pt(size)
            r.font.name = FONT
        return p

    for k, n in enumerate(notices):
        # the committee's letterhead, as on its review report; a công văn has no title line: its subject
        # ("V/v …") stands under the number
        letterhead(doc, parent=cfg.superior, issuer=cfg.issuer, number=f"Số {n.notice_no}-CV/{cfg.symbol}",
                   place_date=date_line(cfg.place, n.issued_on), subject=n.subject)
        para(doc, f"Kính gửi: {n.addressee}", size=14, before=24, after=12)
        for text in n.body(deadline_days):
            para(doc, text, size=14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6)
        foot = doc.add_table(rows=1, cols=2)
        foot.autofit = False
        to, sign = foot.rows[0].cells
        to.width, sign.width = Cm(8), Cm(8.5)
        para(to, "Nơi nhận:", bold=True, italic=True, size=12, align=WD_ALIGN_PARAGRAPH.LEFT, before=12)
        para(to, "- Như trên,", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
        para(to, "- Lưu Văn phòng Đảng ủy.", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
        para(sign, cfg.sign_for, bold=True, size=14, before=12)
        para(sign, cfg.signer_title, bold=True, size=14)
        for _ in range(4):
            para(sign, "")
        if cfg.signer_name:
            para(sign, cfg.signer_name, bold=True, size=14)
        if k < len(notices) - 1:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buf = io.BytesIO()
    doc.core_properties.title = "Công văn đôn đốc nộp báo cáo"
    doc.core_properties.author = cfg.issuer  # the issuing body, never the person who clicked
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- rebuild
def replay(db: Database, entry: dict) -> None:
    """Apply a journaled reminder (or its e-mail) again, with its original number, sender and time."""
    at = dt.datetime.fromisoformat(entry["at"])
    with db.transaction(changes_figures=False) as cur:
        if entry["kind"] == "reminder":
            cur.execute("INSERT INTO reminders (id, unit_code, year, period, notice_no, days_late, sent_by, sent_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [next_id(cur, "reminders"), entry["unit"], entry["year"], entry["period"], entry["notice_no"],
                         entry.get("days_late"), entry.get("actor") or "?", at])
        else:
            cur.execute("UPDATE reminders SET emailed_to = ?, emailed_at = ? WHERE unit_code = ? AND notice_no = ? "
                        "AND year(sent_at) = ?", [entry["emailed_to"], at, entry["unit"], entry["notice_no"],
                                                  entry["notice_year"]])
