"""Meeting exports: the scorecard and any table as Excel/CSV, and a PowerPoint meeting pack.

Every function returns bytes, so a page hands them to a download button and a script writes them to a
file. Text that came from users (unit names, petition summaries, cell names) can start with "=", "+", "-"
or "@"; Excel and LibreOffice would evaluate it as a formula, so every text cell goes through
`neutralise` before it reaches a worksheet (including the worksheets embedded behind native pptx charts).
A CSV file has no cell types and two possible list separators: see `table_csv`. Numbers stay numbers
(also a negative number written as text, "-11"); percentages are rounded by the number format only.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from core.text import PERIOD_LABELS, QUARTER_LABELS, STATUS, fmt_date, fmt_target, fmt_value, status_label
from metrics.indicators import GROUPS, INDICATORS_BY_ID

# ---------------------------------------------------------------- declarations
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# a negative number written as text ("-11", "-1.234,5", "-12,5%"): digits and separators call nothing, and a
# ' in front would show in the cell and turn the number into text
NEGATIVE_NUMBER = re.compile(r"-\d+(?:[.,]\d+)*%?")
# inside a CSV text value: a place where a spreadsheet splitting the line on the OTHER list separator
# (',' or ';') or on tabs starts a new cell, followed (through spaces and quotes) by a trigger, or by a
# quote or the value's end (a cell that starts with a quote would run on into the next line)
CSV_CELL_START = re.compile(r"([,;\t])(?=[ \"]*[=+\-@\t]|\"|$)")
CSV_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# XML 1.0 forbids these; the loader may have kept them from a hand-typed cell
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# fill (background) and font colour per status, hex RGB without '#'
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "met": ("C6EFCE", "006100"),
    "exceeded": ("BDD7EE", "1F4E79"),
    "not_met": ("FFC7CE", "9C0006"),
    "in_progress": ("FFF2CC", "7F6000"),
    "no_data": ("EDEDED", "595959"),
    "no_target": ("FFFFFF", "595959"),
}

SCORECARD_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Mã chỉ tiêu", 26),
    ("Tên chỉ tiêu", 60),
    ("Đơn vị tính", 11),
    ("Giá trị", 12),
    ("Tử số", 11),
    ("Mẫu số", 11),
    ("Chỉ tiêu", 14),
    ("Trạng thái", 18),
    ("Đơn vị chưa đạt", 50),
)

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


# ---------------------------------------------------------------- neutralising user text
def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula gets a leading ' ; anything else (numbers, a
    negative number written as text) is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not NEGATIVE_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_csv(value: Any) -> Any:
    """A CSV text value that no reader can turn into a formula: `neutralise`, line breaks become spaces (a
    reader that lost track of the quotes would carry them over to the next line), and a ' after
    every ',', ';' or tab that a formula trigger follows (a spreadsheet reading the file with the other
    list separator splits the text there) or that a quote or the end of the text follows."""
    if not isinstance(value, str):
        return value
    value = CSV_LINE_BREAK.sub(" ", neutralise(value))
    return CSV_CELL_START.sub(r"\1'", value)


def _clean(value: Any) -> Any:
    """Drop control characters that xlsx/pptx XML cannot hold (they would crash the writer), then neutralise."""
    if isinstance(value, str):
        value = ILLEGAL_XML.sub("", value)
    return neutralise(value)


# ---------------------------------------------------------------- report access
@dataclass(frozen=True)
class _Ind:
    id: str
    name: str
    unit: str
    value: float | None
    numerator: float | None
    denominator: float | None
    target: dict | None
    status: str
    behind: tuple[str, ...]
    group: str


def _report_json(report: Any) -> dict:
    return report.to_json() if hasattr(report, "to_json") else dict(report)


def _indicators(report: Any) -> list[_Ind]:
    """The report's indicators as plain records, each with its page group (metrics.indicators)."""
    data = _report_json(report)
    groups = {getattr(i, "id", None): getattr(i, "group", None) for i in getattr(report, "indicators", None) or []
              if not isinstance(i, dict)}
    out = []
    for d in data.get("indicators", []):
        declared = INDICATORS_BY_ID.get(d["id"])
        out.append(_Ind(
            id=d["id"], name=d.get("name") or d["id"], unit=d.get("unit") or "",
            value=d.get("value"), numerator=d.get("numerator"), denominator=d.get("denominator"),
            target=d.get("target"), status=d.get("status") or "no_data",
            behind=tuple(d.get("behind") or ()),
            group=groups.get(d["id"]) or d.get("group") or (declared.group if declared else "Khác"),
        ))
    return out


def scope_text(report: Any) -> str:
    """'Đảng bộ … (DB01)' for the report's scope."""
    scope = _report_json(report).get("scope") or {}
    name, code = scope.get("name") or "", scope.get("unit") or ""
    if scope.get("is_root") or not code:
        return name or code
    return f"{name} ({code})" if name else code


def window_text(report: Any) -> str:
    """'Năm 2024' or 'Năm 2024, lũy kế đến hết Quý II', with the as-of date."""
    win = _report_json(report).get("window") or {}
    text = f"Năm {win.get('year')}"
    if win.get("quarter"):
        text += f", lũy kế đến hết {QUARTER_LABELS.get(int(win['quarter']), win['quarter'])}"
    if win.get("as_of"):
        text += f" — số liệu tính đến ngày {fmt_date(win['as_of'])}"
    return text


def _behind_label(code: str, names: dict[str, str]) -> str:
    """'Tên đơn vị (DB01)' for a unit; 'DB01-CB04 (Tên đơn vị)' for a cell written UNIT/CELL."""
    if code in names:
        return f"{names[code]} ({code})"
    unit, _, cell = code.partition("/")
    if cell and unit in names:
        return f"{cell} ({names[unit]})"
    return code


def _behind_text(codes: Iterable[str], names: dict[str, str] | None, limit: int | None = None) -> str:
    items = [_behind_label(c, names or {}) for c in codes]
    if limit is not None and len(items) > limit:
        items = items[:limit] + [f"… và {len(items) - limit} đơn vị khác"]
    return ", ".join(items)


# ---------------------------------------------------------------- Excel
def scorecard_xlsx(report: Any, *, title: str, names: dict[str, str] | None = None) -> bytes:
    """Every indicator of the report as a styled Excel sheet; `names` maps unit codes to names for 'behind'."""
    inds = _indicators(report)
    wb = Workbook()
    ws = wb.active
    ws.title = "Bảng chỉ tiêu"
    ncol = len(SCORECARD_COLUMNS)
    ws.append([_clean(title)])
    ws.append([_clean(f"Phạm vi: {scope_text(report)}. {window_text(report)}.")])
    ws.append([])
    ws["A1"].font = TITLE_FONT
    ws["A2"].font = Font(italic=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    header_row = 4
    _header(ws, header_row, [h for h, _ in SCORECARD_COLUMNS], [w for _, w in SCORECARD_COLUMNS])
    for i, ind in enumerate(inds, start=header_row + 1):
        row = [
            ind.id, ind.name, ind.unit, _number(ind.value), _number(ind.numerator),
            _number(ind.denominator), fmt_target(ind.target, ind.unit), status_label(ind.status),
            _behind_text(ind.behind, names) or None,
        ]
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=i, column=j, value=_clean(v))
            c.border = BORDER
            c.alignment = Alignment(vertical="top", wrap_text=j in (2, 9))
        ws.cell(row=i, column=4).number_format = '0.0"%"' if ind.unit == "%" else "#,##0.##"
        ws.cell(row=i, column=5).number_format = "#,##0.##"
        ws.cell(row=i, column=6).number_format = "#,##0.##"
        fill, font = STATUS_COLOURS.get(ind.status, ("FFFFFF", "000000"))
        status_cell = ws.cell(row=i, column=8)
        status_cell.fill = PatternFill("solid", fgColor=fill)
        status_cell.font = Font(bold=True, color=font)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(ncol)}{header_row + len(inds)}"
    _print_setup(ws)
    return _save(wb)


def table_xlsx(df: pd.DataFrame, *, title: str) -> bytes:
    """Any table (a page's DataFrame) as an Excel sheet with a title row, styled frozen header and widths."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Dữ liệu"
    columns = [str(c) for c in df.columns]
    ws.append([_clean(title)])
    ws["A1"].font = TITLE_FONT
    ws.append([])
    widths = [min(60, max(10, len(c) + 2)) for c in columns]
    for r, values in enumerate(df.itertuples(index=False, name=None), start=4):
        for j, v in enumerate(values, start=1):
            v = _cell_value(v)
            c = ws.cell(row=r, column=j, value=_clean(v))
            c.border = BORDER
            if isinstance(v, float):
                c.number_format = "#,##0.0" if not v.is_integer() else "#,##0"
            elif isinstance(v, int) and not isinstance(v, bool):
                c.number_format = "#,##0"
            elif isinstance(v, dt.datetime):
                c.number_format = "dd/mm/yyyy" if v.time() == dt.time() else "dd/mm/yyyy hh:mm"
            elif isinstance(v, dt.date):
                c.number_format = "dd/mm/yyyy"
            elif isinstance(v, str):
                widths[j - 1] = min(60, max(widths[j - 1], len(v) + 2))
                c.alignment = Alignment(vertical="top", wrap_text=len(v) > 60)
    _header(ws, 3, columns, widths)
    ws.freeze_panes = "A4"
    if columns:
        ws.auto_filter.ref = f"A3:{get_column_letter(len(columns))}{3 + len(df)}"
    _print_setup(ws)
    return _save(wb)


def table_csv(df: pd.DataFrame) -> bytes:
    """A table as CSV in UTF-8 with a BOM (so Excel shows Vietnamese), text cells neutralised.

    The separator is ',' (RFC 4180), but Vietnamese Excel splits on ';', its list separator. A reader
    splitting on the other separator honours the quotes of a line's first field only, then splits inside
    later text values: "1;=HYPERLINK(…)" became a cell starting with '='. So every text is quoted
    (QUOTE_NONNUMERIC) and kept on one line, every place inside a text where either separator could start
    a cell is neutralised (`neutralise_csv`), and numbers are written bare: a re-split field then starts
    with a ', a quote, a digit, or a negative number followed by quoted constants, none of which calls
    anything. (Line breaks inside a text become spaces here; the Excel export keeps them.)"""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([neutralise_csv(_clean(str(c))) for c in df.columns])
    for values in df.itertuples(index=False, name=None):
        writer.writerow([_csv_value(v) for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _header(ws, row: int, headers: list[str], widths: list[int]) -> None:
    for j, (h, w) in enumerate(zip(headers, widths), start=1):
        c = ws.cell(row=row, column=j, value=_clean(h))
        c.fill = HEADER_FILL
        c.font = HEADER_FONT
        c.border = BORDER
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[row].height = 32


def _print_setup(ws) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _number(v: Any) -> Any:
    if _is_missing(v):
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _cell_value(v: Any) -> Any:
    """A DataFrame value as something openpyxl writes natively (numbers as numbers, text as text)."""
    if _is_missing(v):
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
        if v.tzinfo is not None:
            v = v.replace(tzinfo=None)
        return v
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        v = v.item()
    if isinstance(v, bool):
        return "Có" if v else "Không"
    if isinstance(v, (int, float, str, dt.date, dt.datetime)):
        return v
    if isinstance(v, (list, tuple, set)):
        return ", ".join(str(x) for x in v)
    return str(v)


def _csv_value(v: Any) -> Any:
    v = _cell_value(v)
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ", timespec="minutes")
    if isinstance(v, dt.date):
        return v.isoformat()
    return neutralise_csv(_clean(v))


# ---------------------------------------------------------------- PowerPoint meeting pack
PPT_FONT = "Arial"  # has every Vietnamese glyph on Windows, macOS and LibreOffice
PPT_RED = "A50E1E"
PPT_DARK = "1F2D3D"
PPT_GREY = "595959"
# the missed-targets table: column widths (inches), characters per line at 14 pt, room left on a slide
SUMMARY_WIDTHS = (3.6, 1.5, 1.5, 5.7)
SUMMARY_CHARS = (34, 14, 14, 58)
SUMMARY_FIRST_HEIGHT = 3.2  # under the status tiles
SUMMARY_REST_HEIGHT = 5.0
LINE_HEIGHT = 0.27  # inches per 14 pt line, cell margins included once per row below


def short_name(ind_id: str, name: str = "") -> str:
    """The projector label of an indicator (its declared short name; the full name when unknown)."""
    ind = INDICATORS_BY_ID.get(ind_id)
    return ind.short if ind else (name or ind_id)


def meeting_pack_pptx(db, *, year: int, quarter: int | None = None, unit: str | None = None,
                      as_of: dt.date | None = None, principal=None) -> bytes:
    """The meeting pack: title, scorecard summary, one slide per indicator group (native charts), completeness.
    The unit is authorised for `principal` (None: trusted local operator), who needs the export permission."""
    from core.auth import EXPORT, require
    from metrics.engine import compute

    require(principal, EXPORT)
    report = compute(db, year=year, quarter=quarter, unit=unit, as_of=as_of, principal=principal)
    return pack_from_report(report, names=unit_names(db), completeness=completeness_rows(db, report, principal))


def unit_names(db) -> dict[str, str]:
    """Unit code -> name from the unit table."""
    from metrics.history import units_frame

    units = units_frame(db)
    return dict(zip(units["code"], units["name"]))


def completeness_rows(db, report: Any, principal=None) -> list[dict]:
    """Per period of the report's window that has ended: reports expected, received and on time in its scope
    (from metrics.history.completeness, the same table the 'Nộp báo cáo' page shows)."""
    from metrics.history import completeness

    data = _report_json(report)
    win, scope = data.get("window") or {}, data.get("scope") or {}
    as_of = dt.date.fromisoformat(str(win["as_of"])[:10]) if win.get("as_of") else None
    long = completeness(db, year=int(win["year"]), unit=None if scope.get("is_root") else scope.get("unit"),
                        as_of=as_of, principal=principal)
    periods = [f"Q{q}" for q in range(1, int(win["quarter"]) + 1)] if win.get("quarter") else [*PERIOD_LABELS]
    rows = []
    for period in periods:
        part = long[(long["period"] == period) & (long["status"] != "not_due")]
        if part.empty:
            continue
        status = part["status"].tolist()
        rows.append({
            "period": period, "label": PERIOD_LABELS[period], "expected": len(part),
            "received": sum(s in ("on_time", "late") for s in status),
            "on_time": status.count("on_time"),
            "missing": sorted(part.loc[part["status"].isin(["missing", "waiting"]), "unit_code"].astype(str)),
        })
    return rows


def pack_from_report(report: Any, *, names: dict[str, str] | None = None,
                     completeness: list[dict] | None = None, made_on: dt.date | None = None) -> bytes:
    """The meeting pack from an already computed report (a page passes the report it shows)."""
    from pptx import Presentation
    from pptx.util import Inches

    names = names or {}
    inds = _indicators(report)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    _title_slide(prs, report, made_on or dt.date.today())
    _summary_slides(prs, report, inds, names)
    for label in GROUPS + tuple(sorted({i.group for i in inds} - set(GROUPS))):
        members = [i for i in inds if i.group == label]
        if members:
            _group_slide(prs, report, label, members, names)
    _completeness_slide(prs, report, inds, completeness or [], names)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# ---- slide builders
def _blank(prs, title: str, report: Any | None = None):
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _rect(slide, 0, 0, 13.333, 0.12, PPT_RED)
    _text(slide, 0.5, 0.3, 12.3, 0.9, title, size=32, bold=True, color=PPT_RED)
    if report is not None:
        _text(slide, 0.5, 6.95, 12.3, 0.4, f"{scope_text(report)} · {window_text(report)}", size=12,
              color=PPT_GREY)
    return slide


def _title_slide(prs, report: Any, made_on: dt.date) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _rect(slide, 0, 0, 13.333, 7.5, PPT_RED)
    _rect(slide, 0.6, 3.55, 2.0, 0.06, "F2C811")
    _text(slide, 0.6, 1.4, 12.1, 2.0, "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", size=40, bold=True,
          color="FFFFFF")
    _text(slide, 0.6, 3.8, 12.1, 0.8, scope_text(report), size=28, bold=True, color="FFFFFF")
    _text(slide, 0.6, 4.6, 12.1, 1.2, window_text(report), size=22, color="FFFFFF")
    _text(slide, 0.6, 6.5, 12.1, 0.6, f"Ngày lập: {fmt_date(made_on)}", size=18, color="F2F2F2")


def _summary_slides(prs, report: Any, inds: list[_Ind], names: dict[str, str]) -> None:
    counts = {s: sum(1 for i in inds if i.status == s) for s in STATUS}
    missed = [i for i in inds if i.status == "not_met"]
    rows = [[short_name(i.id, i.name), fmt_value(i.value, i.unit), fmt_target(i.target, i.unit),
             _behind_text(i.behind, names, limit=3) or "—"] for i in missed]
    pages = _paginate(rows, first=SUMMARY_FIRST_HEIGHT, rest=SUMMARY_REST_HEIGHT) or [[]]
    for n, page in enumerate(pages):
        title = "Tổng hợp kết quả các chỉ tiêu" + (" (tiếp)" if n else "")
        slide = _blank(prs, title, report)
        top = 1.3
        if n == 0:
            tiles = [
                ("Đạt", counts["met"], "met"), ("Vượt", counts["exceeded"], "exceeded"),
                ("Chưa đạt", counts["not_met"], "not_met"), ("Đang thực hiện", counts["in_progress"], "in_progress"),
                ("Không có dữ liệu", counts["no_data"], "no_data"),
                ("Không đặt chỉ tiêu", counts["no_target"], "no_target"),
            ]
            w = 12.3 / len(tiles)
            for k, (label, count, status) in enumerate(tiles):
                fill, font = STATUS_COLOURS[status]
                x = 0.5 + k * w
                _rect(slide, x + 0.05, top, w - 0.1, 1.5, fill if status != "no_target" else "F2F2F2")
                _text(slide, x + 0.05, top + 0.05, w - 0.1, 0.85, str(count), size=40, bold=True, color=font,
                      align="center")
                _text(slide, x + 0.05, top + 0.9, w - 0.1, 0.5, label, size=16, color=font, align="center")
            top += 1.8
        if not missed:
            _text(slide, 0.5, top + 0.2, 12.3, 0.8, "Không có chỉ tiêu nào chưa đạt trong kỳ này.", size=22,
                  color=STATUS_COLOURS["met"][1])
            continue
        _text(slide, 0.5, top, 12.3, 0.5, f"Các chỉ tiêu chưa đạt ({len(missed)})", size=20, bold=True,
              color=PPT_DARK)
        _table(slide, 0.5, top + 0.55, 12.3, ["Chỉ tiêu", "Kết quả", "Mục tiêu", "Đơn vị chưa đạt"], page,
               list(SUMMARY_WIDTHS), size=14)


def _paginate(rows: list[list[str]], *, first: float, rest: float) -> list[list[list[str]]]:
    """Split table rows into slides by their estimated wrapped height, so no table runs off a slide."""
    pages: list[list[list[str]]] = []
    page: list[list[str]] = []
    room = first - 0.45  # the header row
    for row in rows:
        lines = max(math.ceil(max(len(v), 1) / chars) for v, chars in zip(row, SUMMARY_CHARS))
        height = lines * LINE_HEIGHT + 0.12
        if page and height > room:
            pages.append(page)
            page, room = [], rest - 0.45
        page.append(row)
        room -= height
    if page:
        pages.append(page)
    return pages


def _group_slide(prs, report: Any, label: str, members: list[_Ind], names: dict[str, str]) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
    from pptx.util import Inches, Pt

    slide = _blank(prs, label, report)
    pct = [i for i in members if i.unit == "%"]
    # a bar chart draws its first category at the bottom; reversed, the chart reads top-down like the table
    charted = list(reversed(pct or members))
    data = CategoryChartData(number_format='0.0' if pct else '#,##0')
    data.categories = [_clean(short_name(i.id, i.name)) for i in charted]
    data.add_series(_clean("Kết quả"), [_chart_value(i.value) for i in charted])
    data.add_series(_clean("Mục tiêu"), [_target_value(i.target) for i in charted])
    height = min(5.0, 0.9 + 0.55 * len(charted))
    gframe = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(0.3), Inches(1.3), Inches(6.9),
                                    Inches(max(3.0, height)), data)
    chart = gframe.chart
    chart.font.size = Pt(14)
    chart.font.name = PPT_FONT
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.category_axis.tick_labels.font.size = Pt(13)
    va = chart.value_axis
    va.has_major_gridlines = True
    va.minimum_scale = 0
    if pct:
        va.maximum_scale = 100
    va.tick_labels.font.size = Pt(12)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(12)
    plot.data_labels.number_format = '0.0' if pct else '#,##0'
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    for series, colour in zip(plot.series, (PPT_RED, "A6A6A6")):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = _rgb(colour)
    if pct and len(pct) < len(members):
        _text(slide, 0.3, 1.3 + max(3.0, height) + 0.1, 6.9, 0.5,
              "Biểu đồ: các chỉ tiêu tính theo tỷ lệ %; các chỉ tiêu đếm số lượng xem ở bảng bên phải.",
              size=12, color=PPT_GREY)
    rows = [[short_name(i.id, i.name), fmt_value(i.value, i.unit), fmt_target(i.target, i.unit),
             status_label(i.status)] for i in members]
    table = _table(slide, 7.35, 1.3, 5.7, ["Chỉ tiêu", "Kết quả", "Mục tiêu", "Đánh giá"], rows,
                   [2.4, 1.05, 1.05, 1.2], size=13 if len(members) > 6 else 15)
    for r, ind in enumerate(members, start=1):
        fill, font = STATUS_COLOURS.get(ind.status, ("FFFFFF", "000000"))
        cell = table.cell(r, 3)
        cell.fill.solid()
        cell.fill.fore_color.rgb = _rgb(fill)
        for p in cell.text_frame.paragraphs:
            for run in p.runs:
                run.font.color.rgb = _rgb(font)
                run.font.bold = True


def _completeness_slide(prs, report: Any, inds: list[_Ind], completeness: list[dict],
                        names: dict[str, str]) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
    from pptx.util import Inches, Pt

    slide = _blank(prs, "Tình hình nộp báo cáo", report)
    by_id = {i.id[:3]: i for i in inds}
    for k, key in enumerate(("I25", "I26")):
        ind = by_id.get(key)
        if ind is None:
            continue
        fill, font = STATUS_COLOURS.get(ind.status, ("FFFFFF", "000000"))
        x = 0.5 + k * 3.2
        _rect(slide, x, 1.3, 3.0, 1.6, fill)
        _text(slide, x, 1.35, 3.0, 0.9, fmt_value(ind.value, ind.unit), size=36, bold=True, color=font,
              align="center")
        _text(slide, x, 2.25, 3.0, 0.6, short_name(ind.id, ind.name), size=16, color=font, align="center")
    if not completeness:
        _text(slide, 0.5, 3.3, 12.3, 0.8, "Chưa có kỳ báo cáo nào kết thúc trong khoảng thời gian đã chọn.",
              size=20, color=PPT_GREY)
        return
    data = CategoryChartData(number_format="#,##0")
    data.categories = [_clean(r["label"]) for r in completeness]
    data.add_series(_clean("Phải nộp"), [r["expected"] for r in completeness])
    data.add_series(_clean("Đã nộp"), [r["received"] for r in completeness])
    data.add_series(_clean("Nộp đúng hạn"), [r["on_time"] for r in completeness])
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(0.4), Inches(3.1), Inches(6.6),
                                   Inches(3.75), data).chart
    chart.font.size = Pt(14)
    chart.font.name = PPT_FONT
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.value_axis.minimum_scale = 0
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.font.size = Pt(12)
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    for series, colour in zip(plot.series, ("A6A6A6", PPT_RED, "2E7D32")):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = _rgb(colour)
    missing = [(r["label"], c) for r in completeness for c in r["missing"]]
    _text(slide, 7.3, 1.3, 5.6, 0.5, f"Đơn vị chưa nộp báo cáo ({len(missing)})", size=20, bold=True,
          color=PPT_DARK)
    if not missing:
        _text(slide, 7.3, 1.9, 5.6, 0.6, "Tất cả đơn vị đã nộp đủ báo cáo.", size=18,
              color=STATUS_COLOURS["met"][1])
        return
    by_unit: dict[str, list[str]] = {}
    for label, code in missing:
        by_unit.setdefault(code, []).append(label)
    rows = [[f"{names.get(c, c)} ({c})" if c in names else c, ", ".join(periods)]
            for c, periods in sorted(by_unit.items())]
    shown = rows[:10]
    if len(rows) > len(shown):
        shown.append([f"… và {len(rows) - len(shown)} đơn vị khác", ""])
    _table(slide, 7.3, 1.9, 5.6, ["Đơn vị", "Kỳ chưa nộp"], shown, [3.6, 2.0], size=13)


# ---- drawing primitives
def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour)


def _rect(slide, x: float, y: float, w: float, h: float, fill: str):
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(w), Inches(h))
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(fill)
    shape.line.fill.background()
    shape.shadow.inherit = False
    return shape


def _text(slide, x: float, y: float, w: float, h: float, text: str, *, size: int, bold: bool = False,
          color: str = "000000", align: str = "left"):
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = True
    p = tf.paragraphs[0]
    p.alignment = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER}[align]
    run = p.add_run()
    run.text = ILLEGAL_XML.sub("", text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = PPT_FONT
    run.font.color.rgb = _rgb(color)
    return box


def _table(slide, x: float, y: float, w: float, headers: list[str], rows: list[list[str]],
           widths: list[float], *, size: int):
    from pptx.util import Inches, Pt

    row_h = 0.45 if size >= 14 else 0.4
    frame = slide.shapes.add_table(len(rows) + 1, len(headers), Inches(x), Inches(y), Inches(w),
                                   Inches(row_h * (len(rows) + 1)))
    table = frame.table
    for j, wid in enumerate(widths):
        table.columns[j].width = Inches(wid)
    for r, values in enumerate([headers, *rows]):
        for j, v in enumerate(values):
            cell = table.cell(r, j)
            cell.text = ILLEGAL_XML.sub("", str(v))
            cell.margin_left = cell.margin_right = Inches(0.06)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            if r == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(PPT_DARK)
            elif r % 2 == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb("F2F2F2")
            else:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb("FFFFFF")
            for p in cell.text_frame.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(size)
                    run.font.name = PPT_FONT
                    run.font.bold = r == 0
                    run.font.color.rgb = _rgb("FFFFFF" if r == 0 else "000000")
    return table


def _chart_value(value: float | None) -> float | None:
    return None if _is_missing(value) else float(value)


def _target_value(target: dict | None) -> float | None:
    """The bar drawn for a target: its value, or the lower end of a range (the level to reach)."""
    if not target or not target.get("op"):
        return None
    return float(target["min"]) if target["op"] == "range" else float(target.get("value") or 0)
