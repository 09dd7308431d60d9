"""Exports: the scorecard and any table as Excel/CSV (the meeting pack is metrics/pack.py).

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

from core.text import QUARTER_LABELS, fmt_date, fmt_target, status_label
from metrics.indicators import INDICATORS_BY_ID

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
