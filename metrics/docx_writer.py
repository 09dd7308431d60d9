"""A Party document (the review report of metrics/review.py) as a model of blocks, laid out in Word with
python-docx.

A4 portrait, margins 20/20/30/15 mm, Times New Roman 14 pt (tables 11, the appendix 10.5); the issuing body
top left ("ĐẢNG BỘ …", "ĐẢNG ỦY …" in bold, "*", "Số …-BC/…"), "ĐẢNG CỘNG SẢN VIỆT NAM" underlined top right
over the place and date line in italics; "BÁO CÁO" and the subtitle centred; the body justified with a
first-line indent; page numbers at the top centre from page 2; "Nơi nhận" and the signature block side by
side; the appendix on landscape pages. Everything is text, paragraphs and Word tables (the office edits
the file before signing). Characters XML cannot hold are dropped (they would make the file unreadable).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from docx import Document as Docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from metrics.export import ILLEGAL_XML

# ------------------------------------------------------------------ the document model (what the writer lays out)
Run = tuple[str, str]  # (text, style): style "" | "b" | "i" | "bi"


@dataclass
class Block:
    """One piece of the body: kind h1 | h2 | h3 | p | dash | table | page (a landscape page break)."""

    kind: str
    runs: list[Run] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # table column widths, in cm
    bold_last: bool = False  # a table whose last row is its total


@dataclass
class Document:
    """The review report: the Party-document frame and the body, in reading order."""

    parent: str  # "ĐẢNG BỘ TỈNH …" (top left, first line)
    issuer: str  # "ĐẢNG ỦY KHỐI …" (top left, bold)
    symbol: str  # "Số    -BC/ĐU"
    place_date: str  # "Thái Bình, ngày 02 tháng 12 năm 2026"
    title: str  # "BÁO CÁO"
    subtitle: str  # "Sơ kết công tác … Quý I năm 2024, …"
    body: list[Block]
    closing: str  # "Trên đây là báo cáo …./."
    recipients: list[str]
    signer_on_behalf: str  # "T/M ĐẢNG ỦY"
    signer_title: str  # "BÍ THƯ"
    signer_name: str
    appendix: list[Block]


# ------------------------------------------------------------------ layout
FONT = "Times New Roman"
BODY_PT, TABLE_PT, APPENDIX_PT, HEAD_PT = 14, 11, 10.5, 13
INDENT = Cm(1.27)
SURROGATES = re.compile("[\ud800-\udfff]")  # a lone surrogate cannot be encoded at all


def _x(text: str) -> str:
    """Text a .docx can hold: no XML-illegal control characters, no lone surrogates."""
    return SURROGATES.sub("", ILLEGAL_XML.sub("", str(text)))


def _font(style_or_run, size: float | None = None) -> None:
    """Times New Roman for every script (Vietnamese letters must not fall back to another face)."""
    style_or_run.font.name = FONT
    if size is not None:
        style_or_run.font.size = Pt(size)
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _add_runs(par, runs, size: float | None = None) -> None:
    """Append (text, style) runs; a line break inside a text stays a line break."""
    for text, style in runs:
        for k, line in enumerate(_x(text).split("\n")):
            if k:
                par.add_run().add_break()
            if not line:
                continue
            run = par.add_run(line)
            run.bold = "b" in style or None
            run.italic = "i" in style or None
            if size is not None:
                run.font.size = Pt(size)


def _par(container, runs=(), *, size: float | None = None, align=None, indent=None, before: float = 0,
         after: float = 6, keep_next: bool = False):
    par = container.add_paragraph()
    fmt = par.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if align is not None:
        par.alignment = align
    if indent is not None:
        fmt.first_line_indent = indent
    fmt.keep_with_next = keep_next or None
    _add_runs(par, runs, size)
    return par


def _no_space(par) -> None:
    par.paragraph_format.space_before = par.paragraph_format.space_after = Pt(0)


def _setup(doc) -> None:
    """Page, margins, default font and language, page numbers from page 2."""
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(20), Mm(20), Mm(30), Mm(15)
    sec.header_distance = Mm(10)
    normal = doc.styles["Normal"]
    _font(normal, BODY_PT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    normal.element.get_or_add_rPr().append(lang)
    normal.paragraph_format.line_spacing = 1.15
    sec.different_first_page_header_footer = True  # a Party document numbers its pages from the second
    header = sec.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run, text = OxmlElement("w:r"), OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    header._p.append(field)


def _borderless(doc, widths_cm: list[float]):
    table = doc.add_table(rows=1, cols=len(widths_cm))
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, w in zip(table.columns, widths_cm):
        col.width = Cm(w)
        for cell in col.cells:
            cell.width = Cm(w)
    return table


def _cell_lines(cell, lines: list[tuple[list, dict]]) -> None:
    """Fill a cell with paragraphs: (runs, options for _par); the cell's first, empty paragraph is reused."""
    first = cell.paragraphs[0]
    for k, (runs, opts) in enumerate(lines):
        par = first if k == 0 else cell.add_paragraph()
        par.alignment = opts.get("align", WD_ALIGN_PARAGRAPH.CENTER)
        _no_space(par)
        _add_runs(par, runs, opts.get("size"))
        for run in par.runs:
            run.underline = opts.get("underline") or None


def balanced(text: str, longest: int = 24) -> str:
    """A heading line too long for the issuing-body column broken at the space that balances the two lines
    ('ĐẢNG ỦY KHỐI\nDOANH NGHIỆP TỈNH'), as Party documents set it, rather than wherever Word wraps."""
    words = text.split()
    if len(text) <= longest or len(words) < 2:
        return text
    cut = min(range(1, len(words)), key=lambda k: max(len(" ".join(words[:k])), len(" ".join(words[k:]))))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


def letterhead(doc, *, parent: str, issuer: str, number: str, place_date: str, subject: str = "") -> None:
    """The head of every Party document the committee issues (the review report here, the reminder notice
    in ops.reminders): top left the body above (when there is one), the issuing committee in bold, "*",
    the number and, for a công văn, its subject line "V/v …" in italics; top right "ĐẢNG CỘNG SẢN VIỆT NAM"
    bold and underlined over the place and date in italics. Long lines are broken where they balance."""
    table = _borderless(doc, [7.6, 8.9])
    left, right = table.rows[0].cells
    lines = [([(balanced(parent, 30), "")], {"size": HEAD_PT})] if parent else []
    lines += [([(balanced(issuer), "b")], {"size": HEAD_PT}), ([("*", "")], {"size": HEAD_PT}),
              ([(number, "")], {"size": HEAD_PT})]
    if subject:
        lines.append(([(subject, "i")], {"size": 12}))
    _cell_lines(left, lines)
    _cell_lines(right, [([("ĐẢNG CỘNG SẢN VIỆT NAM", "b")], {"size": BODY_PT, "underline": True}),
                        ([("", "")], {}), ([(place_date, "i")], {"size": BODY_PT})])


def _frame_top(doc, d: Document) -> None:
    letterhead(doc, parent=d.parent, issuer=d.issuer, number=d.symbol, place_date=d.place_date)
    _par(doc, [(d.title, "b")], size=16, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=0)
    _par(doc, [(d.subtitle, "b")], size=BODY_PT, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _par(doc, [("-----", "")], align=WD_ALIGN_PARAGRAPH.CENTER, after=12)


def _grid(doc, block: Block, size: float) -> None:
    """A bordered Word table with a bold header row repeated on every page."""
    table = doc.add_table(rows=1 + len(block.rows), cols=len(block.headers))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for j, w in enumerate(block.widths):
        table.columns[j].width = Cm(w)
    header = table.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    last = len(block.rows)
    for i, values in enumerate([block.headers, *block.rows]):
        for j, value in enumerate(values):
            cell = table.cell(i, j)
            if j < len(block.widths):
                cell.width = Cm(block.widths[j])
            par = cell.paragraphs[0]
            _no_space(par)
            text = str(value)
            numeric = i > 0 and bool(re.fullmatch(r"[\d.,%—–\- /]+|[\d.,]+ \w+", text)) and j > 1
            par.alignment = (WD_ALIGN_PARAGRAPH.CENTER if i == 0 or numeric or j == 0
                             else WD_ALIGN_PARAGRAPH.LEFT)
            bold = i == 0 or (block.bold_last and i == last)
            _add_runs(par, [(text, "b" if bold else "")], size)


def _blocks(doc, blocks: list[Block], *, appendix: bool = False) -> None:
    size = APPENDIX_PT if appendix else BODY_PT
    for b in blocks:
        if b.kind == "page":
            sec = doc.add_section(WD_SECTION.NEW_PAGE)
            sec.orientation = WD_ORIENT.LANDSCAPE
            sec.page_width, sec.page_height = Mm(297), Mm(210)
            sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(20), Mm(15), Mm(20), Mm(15)
        elif b.kind == "h1":
            _par(doc, b.runs, size=12 if appendix else None, before=12 if appendix else 6, keep_next=True,
                 align=WD_ALIGN_PARAGRAPH.CENTER if appendix else WD_ALIGN_PARAGRAPH.LEFT,
                 indent=None if appendix else INDENT)
        elif b.kind in ("h2", "h3"):
            _par(doc, b.runs, indent=INDENT, before=3, keep_next=True)
        elif b.kind == "table":
            _grid(doc, b, size if appendix else TABLE_PT)
        else:  # p, dash
            runs = ([("- ", "")] if b.kind == "dash" else []) + list(b.runs)
            _par(doc, runs, size=size if appendix else None, indent=None if appendix else INDENT,
                 align=WD_ALIGN_PARAGRAPH.CENTER if appendix else WD_ALIGN_PARAGRAPH.JUSTIFY)


def _frame_bottom(doc, d: Document) -> None:
    _par(doc, [(d.closing, "")], indent=INDENT, align=WD_ALIGN_PARAGRAPH.JUSTIFY, before=6)
    table = _borderless(doc, [8.0, 8.5])
    left, right = table.rows[0].cells
    items = [f"- {r}," for r in d.recipients]
    if items:
        items[-1] = items[-1].rstrip(",") + "."
    _cell_lines(left, [([("Nơi nhận:", "bi")], {"align": WD_ALIGN_PARAGRAPH.LEFT, "size": 12, "underline": True}),
                       *[([(t, "")], {"align": WD_ALIGN_PARAGRAPH.LEFT, "size": 12}) for t in items]])
    _cell_lines(right, [([(d.signer_on_behalf, "b")], {"size": BODY_PT}), ([(d.signer_title, "b")], {"size": BODY_PT}),
                        *[([("", "")], {}) for _ in range(4)], ([(d.signer_name, "b")], {"size": BODY_PT})])


def write_docx(d: Document) -> bytes:
    """The document as .docx bytes."""
    doc = Docx()
    _setup(doc)
    props = doc.core_properties
    props.title = _x(d.subtitle.replace("\n", " "))
    props.author = _x(d.issuer)
    props.language = "vi-VN"
    props.subject = "Báo cáo"
    _frame_top(doc, d)
    _blocks(doc, d.body)
    _frame_bottom(doc, d)
    _blocks(doc, d.appendix, appendix=True)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
