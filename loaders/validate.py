"""The backend that applies loaders/schema.py to a read workbook: layout, value and row rules, lazily.

Every problem becomes an Issue (sheet, Excel row, column header, raw value, Vietnamese message); nothing
stops at the first bad cell. A file with any error-severity issue is rejected by the caller as a whole.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable

from core.text import fmt_number
from loaders import values as V
from core.errors import Issue
from loaders.normalize import Matcher, keys
from loaders.reader import RawWorkbook
from loaders.schema import (
    CELLS, ELEMENTS, EXAMPLE_PREFIX, HEADER_SEARCH_ROWS, INFO, MEETINGS, NARRATIVES, PETITIONS, SHEETS, TRAINEES,
    ELEMENT_CEILINGS, Column, Sheet, enum_label,
)
from loaders.elements import DATA_ELEMENTS, ELEMENTS_BY_CODE

# Messages (Vietnamese, shown to users); tests assert them exactly.
MSG_UNKNOWN_SHEET = "Sheet không có trong mẫu báo cáo, bị bỏ qua"
MSG_CEILING = "{code} lớn hơn {label} ở sheet Thông tin ({total}); hãy kiểm tra lại số liệu"
MSG_DUPLICATE_SHEET = "Có nhiều sheet cùng là sheet '{name}'; hãy giữ lại một"
MSG_MISSING_SHEET = "Thiếu sheet bắt buộc '{name}'"
MSG_MISSING_COLUMN = "Thiếu cột bắt buộc (không tìm thấy trong {n} dòng đầu của sheet)"
MSG_UNKNOWN_COLUMN = "Cột không có trong mẫu, bị bỏ qua"
MSG_DUPLICATE_COLUMN = "Cột bị lặp lại; chỉ dùng cột đầu tiên"
MSG_MISSING_LABEL = "Thiếu mục bắt buộc"
MSG_DUPLICATE_LABEL = "Mục bị lặp lại; chỉ dùng dòng đầu tiên"
MSG_REQUIRED = "Thiếu giá trị bắt buộc"
MSG_ANNUAL_ONLY = "Cột chỉ dùng trong báo cáo năm; bị bỏ qua trong báo cáo quý"
MSG_UNKNOWN_ELEMENT = "Mã chỉ tiêu không có trong danh mục, dòng bị bỏ qua"
MSG_FORMULA = ("Ô {ref} có công thức nhưng không có giá trị đã tính; hãy mở tệp bằng Excel hoặc "
               "LibreOffice, lưu lại rồi tải lên")
MSG_MEETING_OUTSIDE = "Ngày sinh hoạt nằm ngoài kỳ báo cáo; buổi sinh hoạt được tính vào kỳ của ngày đó"
MSG_CBCS_ONE_CELL = "Chi bộ cơ sở phải có đúng một dòng trong sheet Chi bộ (chính chi bộ đó); đang có {n} dòng"
MSG_NEW_UNIT = ("Mã đơn vị chưa có trong danh sách đơn vị: quản trị hệ thống đã chấp nhận đây là đơn vị mới, "
                "được thêm từ báo cáo này")
MSG_UNKNOWN_UNIT = ("Mã đơn vị không có trong danh sách đơn vị{hint}. Hãy sửa Mã đơn vị rồi nộp lại; nếu đây "
                    "thật là đơn vị mới, quản trị hệ thống thêm vào danh sách đơn vị hoặc chấp nhận đơn vị mới "
                    "khi nộp báo cáo này")
MSG_MERGED_UNIT = "Đơn vị này đã được hợp nhất vào đơn vị {into}; hãy dùng Mã đơn vị {into}"
MSG_NOT_YET_ACTIVE = "Đơn vị chỉ hoạt động từ năm {year} theo danh sách đơn vị"
MSG_UNIT_MISMATCH = "Khác với danh sách đơn vị ('{expected}'); dùng thông tin trong danh sách đơn vị"
MSG_UNKNOWN_PARENT = ("Mã đơn vị cấp trên không có trong danh sách đơn vị; đơn vị được đặt trực thuộc "
                      "Đảng ủy cấp trên")
MSG_ROOT_UNIT = "Đây là mã của Đảng ủy cấp trên, không phải đơn vị báo cáo"
MSG_INACTIVE_UNIT = "Đơn vị đã ngừng hoạt động từ năm {year} theo danh sách đơn vị"

# Helper sheets a template may carry (instructions, drop-down lists): ignored without a warning.
QUIET_SHEETS = ("Hướng dẫn", "Danh mục", "Danh sách")


@dataclass
class ParsedWorkbook:
    """The validated content of one workbook: info values, typed rows per sheet key, and every issue."""

    info: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]
    issues: list[Issue]
    unit: dict[str, Any] | None = None  # effective unit: code, name, kind, parent_code, is_new
    # an unknown unit the workbook describes (code, name, kind, parent_code): what an administrator may accept
    proposed_unit: dict[str, Any] | None = None
    info_rows: dict[str, int] | None = None  # Excel row of each `Thông tin` label (later checks cite it)

    @property
    def errors(self) -> list[Issue]:
        """Issues that reject the file."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Issues that never reject."""
        return [i for i in self.issues if i.severity != "error"]


# ---------------------------------------------------------------- helpers
def excel_ref(row: int, col: int) -> str:
    """The A1-style reference of a 1-based (row, col)."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


# an issue names the cell; a page of text in the error list would bury the others (the message says the length)
MAX_ISSUE_VALUE = 200


def _issue(sheet: str | None, row: int | None, column: str | None, value: Any, message: str,
           severity: str = "error") -> Issue:
    if isinstance(value, str):
        value = value.strip()
        if len(value) > MAX_ISSUE_VALUE:
            value = value[:MAX_ISSUE_VALUE - 1].rstrip() + "…"
    if value == "":
        value = None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.date):  # shown as people write dates (dd/mm/yyyy), not ISO
        value = V.parse_text(value)
    return Issue(sheet, row, column, value, message, severity)


def _visible(sheet: str, excel_row: int, header: str, raw: Any, issues: list[Issue]) -> Any:
    """The cell's text without control/bidi/zero-width characters; a warning names the cell when any went."""
    if not isinstance(raw, str):
        return raw
    clean, removed = V.strip_invisible(raw)
    if removed:
        issues.append(_issue(sheet, excel_row, header, clean, V.MSG_INVISIBLE.format(chars=", ".join(removed)),
                             "warning"))
    return clean


def _is_example(row: list[Any]) -> bool:
    for cell in row:
        if not V.is_empty(cell):
            if not isinstance(cell, str):
                return False
            exact, bare = keys(cell)
            return exact.startswith(EXAMPLE_PREFIX) or bare.startswith(keys(EXAMPLE_PREFIX)[1])
    return False


@lru_cache(maxsize=None)
def _column_matcher(sheet: Sheet) -> Matcher:
    return Matcher({c.key: c.names for c in sheet.columns})


@lru_cache(maxsize=None)
def _element_matcher() -> Matcher:
    return Matcher({e.code: [e.code, e.label] for e in DATA_ELEMENTS})


def _identity(value: Any) -> Any:
    return keys(value)[1] if isinstance(value, str) else value


# ---------------------------------------------------------------- tables (generic engine)
def find_header(sheet: Sheet, grid: list[list[Any]]) -> tuple[int | None, dict[int, str], int | None]:
    """(header row index, {col index: column key}, best partial row index) for a table sheet."""
    matcher = _column_matcher(sheet)
    required = {c.key for c in sheet.columns if c.required}
    best, best_count = None, 0
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found: dict[int, str] = {}
        for j, cell in enumerate(row):
            if isinstance(cell, str) and cell.strip():
                key = matcher.match(cell)
                if key:
                    found[j] = key
        hits = len(required & set(found.values()))
        if hits == len(required):
            return i, found, i
        if hits > best_count:
            best, best_count = i, hits
    return None, {}, best


def read_table(
    sheet: Sheet,
    grid: list[list[Any]],
    issues: list[Issue],
    *,
    annual: bool | None = True,
    uncached: Iterable[tuple[int, int]] = (),
    parsers: dict[str, Callable[[Any], Any]] | None = None,
) -> list[dict[str, Any]] | None:
    """Coerce the data rows of one table sheet; append issues; None when the header row is missing.

    `annual` False drops annual-only columns (with one warning each); `parsers` overrides the
    declared type of some columns; each row dict carries `excel_row` and `_raw` (the cells as read).
    """
    name = sheet.name
    h, found, best = find_header(sheet, grid)
    if h is None:
        present = set(find_header_row_keys(sheet, grid[best])) if best is not None else set()
        for c in sheet.columns:
            if c.required and c.key not in present:
                issues.append(_issue(name, best + 1 if best is not None else None, c.header, None,
                                     MSG_MISSING_COLUMN.format(n=HEADER_SEARCH_ROWS)))
        return None
    columns: dict[str, int] = {}
    for j, key in sorted(found.items()):
        if key in columns:
            issues.append(_issue(name, h + 1, str(grid[h][j]), grid[h][j], MSG_DUPLICATE_COLUMN, "warning"))
        else:
            columns[key] = j
    for j, cell in enumerate(grid[h]):
        if j not in found and not V.is_empty(cell):
            issues.append(_issue(name, h + 1, V.parse_text(cell), cell, MSG_UNKNOWN_COLUMN, "warning"))
    formula_cells = set(uncached)
    parsers = parsers or {}
    annual_warned: set[str] = set()
    # resolved once per sheet, not per cell: (key, grid index, header) of the columns present, and each
    # declared column with its parser and whether a quarterly report drops it
    present = [(k, j, sheet.column(k).header) for k, j in columns.items()]
    plan = [(col, col.key, parsers.get(col.key) or V.parser_for(col), col.annual_only and annual is False)
            for col in sheet.columns]
    invisible = V.has_invisible
    rows: list[dict[str, Any]] = []
    for i in range(h + 1, len(grid)):
        raw_row = grid[i]
        excel_row = i + 1
        width = len(raw_row)
        cells: dict[str, Any] = {}
        blank = True
        for k, j, header in present:
            v = raw_row[j] if j < width else ""
            if isinstance(v, str):
                if invisible(v):
                    v, removed = V.strip_invisible(v)
                    issues.append(_issue(name, excel_row, header, v,
                                         V.MSG_INVISIBLE.format(chars=", ".join(removed)), "warning"))
                if blank and v.strip():
                    blank = False
            elif v is not None:
                blank = False
            cells[k] = v
        formulas = ({k for k, j in columns.items() if (excel_row, j + 1) in formula_cells}
                    if formula_cells else ())
        if blank and not formulas:
            continue
        if _is_example(raw_row):
            continue
        bad: set[str] = set()
        row: dict[str, Any] = {"excel_row": excel_row, "_raw": cells, "_bad": bad}
        for col, key, parse, dropped in plan:
            raw = cells.get(key, "")
            if key in formulas:
                ref = excel_ref(excel_row, columns[key] + 1)
                issues.append(_issue(name, excel_row, col.header, ref, MSG_FORMULA.format(ref=ref)))
                row[key] = None
                bad.add(key)
                continue
            if dropped:
                if not V.is_empty(raw) and key not in annual_warned:
                    annual_warned.add(key)
                    issues.append(_issue(name, excel_row, col.header, raw, MSG_ANNUAL_ONLY, "warning"))
                row[key] = None
                continue
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if col.carry and rows:  # the value of the row above (a section written once, merged cells)
                    above = rows[-1]
                    row[key] = above.get(key)
                    if key in above["_bad"]:  # its error is listed on the row above, not again here
                        bad.add(key)
                    if row[key] is not None or key in bad:
                        continue
                row[key] = _empty_cell(name, excel_row, col, issues, bad)
                continue
            try:
                row[key] = parse(raw)
            except V.ValueProblem as exc:
                issues.append(_issue(name, excel_row, col.header, raw, exc.message))
                bad.add(key)
                row[key] = None
        rows.append(row)
    return rows


def find_header_row_keys(sheet: Sheet, row: list[Any]) -> list[str | None]:
    """The column keys a row's cells name (None for cells that name no column)."""
    matcher = _column_matcher(sheet)
    return [matcher.match(c) if isinstance(c, str) else None for c in row]


def _empty_cell(sheet_name: str, excel_row: int, col: Column, issues: list[Issue], bad: set[str]) -> Any:
    """The value of an empty cell: an error when the column is required, else its default."""
    if col.required and col.type != "element_value":
        issues.append(_issue(sheet_name, excel_row, col.header, None, MSG_REQUIRED))
        bad.add(col.key)
        return None
    if col.default is not None:
        return col.default
    return False if col.type == "yesno" else None


def _coerce_cell(sheet_name: str, excel_row: int, col: Column, raw: Any, issues: list[Issue],
                 parser: Callable[[Any], Any] | None, bad: set[str]) -> Any:
    if V.is_empty(raw):
        return _empty_cell(sheet_name, excel_row, col, issues, bad)
    try:
        return parser(raw) if parser else V.coerce(col, raw)
    except V.ValueProblem as exc:
        issues.append(_issue(sheet_name, excel_row, col.header, raw, exc.message))
        bad.add(col.key)
        return None


def apply_rules(sheet: Sheet, rows: list[dict[str, Any]], issues: list[Issue],
                tables: dict[str, list[dict[str, Any]] | None]) -> None:
    """Apply the sheet's declared row rules (unique, sum_le, le, not_before, required_if, exists_in)."""
    for rule in sheet.rules:
        CHECKS[rule.kind](sheet, rule, rows, issues, tables)


def _header(sheet: Sheet, key: str) -> str:
    return sheet.column(key).header


def _raw(row: dict[str, Any], key: str) -> Any:
    return row.get("_raw", {}).get(key, row.get(key))


def _check_unique(sheet, rule, rows, issues, tables):
    seen: dict[tuple, int] = {}
    for row in rows:
        vals = tuple(row.get(k) for k in rule.columns)
        if any(v is None for v in vals):
            continue
        ident = tuple(_identity(v) for v in vals)
        if ident in seen:
            issues.append(_issue(sheet.name, row["excel_row"], _header(sheet, rule.columns[0]),
                                 _raw(row, rule.columns[0]), f"{rule.message} (đã có ở dòng {seen[ident]})",
                                 rule.severity))
        else:
            seen[ident] = row["excel_row"]


def _check_sum_le(sheet, rule, rows, issues, tables):
    for row in rows:
        parts = [row.get(k) for k in rule.columns]
        limit = row.get(rule.other)
        if limit is None or all(p is None for p in parts):
            continue
        total = sum(p for p in parts if p is not None)
        if total > limit:
            issues.append(_issue(sheet.name, row["excel_row"], _header(sheet, rule.other), _raw(row, rule.other),
                                 f"{rule.message} ({total} > {limit})", rule.severity))


def _check_le(sheet, rule, rows, issues, tables):
    key = rule.columns[0]
    for row in rows:
        a, b = row.get(key), row.get(rule.other)
        if a is not None and b is not None and a > b:
            issues.append(_issue(sheet.name, row["excel_row"], _header(sheet, key), _raw(row, key),
                                 f"{rule.message} ({a} > {b})", rule.severity))


def _check_not_before(sheet, rule, rows, issues, tables):
    key = rule.columns[0]
    for row in rows:
        a, b = row.get(key), row.get(rule.other)
        if a is not None and b is not None and a < b:
            issues.append(_issue(sheet.name, row["excel_row"], _header(sheet, key), _raw(row, key),
                                 rule.message, rule.severity))


def _check_required_if(sheet, rule, rows, issues, tables):
    key = rule.columns[0]
    for row in rows:
        if row.get(rule.other) == rule.value and row.get(key) is None and key not in row["_bad"]:
            issues.append(_issue(sheet.name, row["excel_row"], _header(sheet, key), None, rule.message,
                                 rule.severity))


def _check_exists_in(sheet, rule, rows, issues, tables):
    other_rows = tables.get(rule.sheet or "")
    if other_rows is None:  # the other sheet could not be read; its own errors say why
        return
    known = {_identity(r.get(rule.other)) for r in other_rows if r.get(rule.other) is not None}
    key = rule.columns[0]
    for row in rows:
        v = row.get(key)
        if v is not None and _identity(v) not in known:
            issues.append(_issue(sheet.name, row["excel_row"], _header(sheet, key), _raw(row, key),
                                 rule.message, rule.severity))


def _check_total_length_le(sheet, rule, rows, issues, tables):
    """One error, on the row where a text column's running total passes the bound, with the sheet's whole
    total as its value (the rows after it are not named again: shortening any row helps as much)."""
    key = rule.columns[0]
    lengths = [len(r.get(key) or "") for r in rows]
    total, running = sum(lengths), 0
    for row, n in zip(rows, lengths):
        running += n
        if running > rule.value:
            issues.append(_issue(sheet.name, row["excel_row"], _header(sheet, key), total,
                                 f"{rule.message} (đang có {fmt_number(total)} ký tự)", rule.severity))
            return


CHECKS: dict[str, Callable] = {
    "unique": _check_unique,
    "sum_le": _check_sum_le,
    "le": _check_le,
    "not_before": _check_not_before,
    "required_if": _check_required_if,
    "exists_in": _check_exists_in,
    "total_length_le": _check_total_length_le,
}


# ---------------------------------------------------------------- key/value sheet
def read_info(grid: list[list[Any]], issues: list[Issue], uncached: Iterable[tuple[int, int]] = ()
              ) -> tuple[dict[str, Any], dict[str, int]]:
    """The `Thông tin` values keyed by column key, and the Excel row of each label found."""
    matcher = _column_matcher(INFO)
    formula_cells = set(uncached)
    info: dict[str, Any] = {}
    rows: dict[str, int] = {}
    raws: dict[str, Any] = {}
    for i, row in enumerate(grid):
        excel_row = i + 1
        first = next((j for j, c in enumerate(row) if not V.is_empty(c)), None)
        if first is None or not isinstance(row[first], str):
            continue
        key = matcher.match(row[first])
        if key is None:
            continue
        col = INFO.column(key)
        if key in rows:
            issues.append(_issue(INFO.name, excel_row, col.header, row[first], MSG_DUPLICATE_LABEL, "warning"))
            continue
        rows[key] = excel_row
        vj, formula = None, False
        for j in range(first + 1, len(row)):
            if (excel_row, j + 1) in formula_cells:
                formula = True
                ref = excel_ref(excel_row, j + 1)
                issues.append(_issue(INFO.name, excel_row, col.header, ref, MSG_FORMULA.format(ref=ref)))
                break
            if not V.is_empty(row[j]):
                vj = j
                break
        if formula:
            info[key] = None
            continue
        raw = _visible(INFO.name, excel_row, col.header, row[vj], issues) if vj is not None else ""
        raws[key] = raw
        info[key] = _coerce_cell(INFO.name, excel_row, col, raw, issues, None, set())
    for col in INFO.columns:
        if col.required and col.key not in rows:
            issues.append(_issue(INFO.name, None, col.header, None, MSG_MISSING_LABEL))
        info.setdefault(col.key, None)
    info["_raw"] = raws
    return info, rows


# ---------------------------------------------------------------- sheet-specific parts
def _element_code(value: Any) -> str:
    text = V.parse_text(value)
    return _element_matcher().match(text) or keys(text)[0].upper()


def _finish_elements(rows: list[dict[str, Any]], issues: list[Issue]) -> None:
    value_header = ELEMENTS.column("raw_value").header
    for row in rows:
        raw_code = row["_raw"].get("code")
        raw = row["_raw"].get("raw_value", "")
        row["raw_value"] = None if V.is_empty(raw) else V.parse_text(raw)
        element = ELEMENTS_BY_CODE.get(row["code"] or "")
        row["known"] = element is not None
        row["value"] = None
        if element is None:
            if row["code"] is not None:
                issues.append(_issue(ELEMENTS.name, row["excel_row"], ELEMENTS.column("code").header, raw_code,
                                     MSG_UNKNOWN_ELEMENT, "warning"))
            continue
        if V.is_empty(raw) or "raw_value" in row["_bad"]:
            continue
        try:
            value = V.ELEMENT_PARSERS[element.type](raw)
        except V.ValueProblem as exc:
            issues.append(_issue(ELEMENTS.name, row["excel_row"], value_header, raw, exc.message))
            continue
        row["value"] = float(value)


def period_bounds(year: int, period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a report period (Q1..Q4 or Y)."""
    if period == "Y":
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    q = int(period[1])
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def _finish_meetings(rows, issues, info):
    if info.get("year") is None or info.get("period") is None:
        return
    start, end = period_bounds(info["year"], info["period"])
    header = MEETINGS.column("meeting_date").header
    for row in rows:
        d = row.get("meeting_date")
        if d is not None and not start <= d <= end:
            issues.append(_issue(MEETINGS.name, row["excel_row"], header, _raw(row, "meeting_date"),
                                 MSG_MEETING_OUTSIDE, "warning"))


def _finish_trainees(rows, issues, info):
    for row in rows:
        row["name_key"] = keys(row["full_name"])[1] if row.get("full_name") else None


def _finish_petitions(rows, issues, info, config):
    days = dt.timedelta(days=int(config.petition_deadline_days))
    for row in rows:
        row["petition_key"] = keys(row["petition_no"])[1] if row.get("petition_no") else None
        if row.get("deadline") is None and row.get("received_date") is not None and "deadline" not in row["_bad"]:
            row["deadline"] = row["received_date"] + days


# ---------------------------------------------------------------- unit reconciliation
def _reconcile_unit(info: dict[str, Any], label_rows: dict[str, int], units: dict[str, dict], config,
                    issues: list[Issue], allow_new: bool = False,
                    proposed: dict[str, Any] | None = None) -> dict[str, Any] | None:
    code = info.get("unit_code")
    if code is None:
        return None
    row = label_rows.get("unit_code")
    listed = units.get(code)
    if code == config.root_code or (listed and listed.get("kind") == "ROOT"):
        issues.append(_issue(INFO.name, row, INFO.column("unit_code").header, code, MSG_ROOT_UNIT))
        return None
    if listed is not None and listed.get("merged_into"):
        issues.append(_issue(INFO.name, row, INFO.column("unit_code").header, code,
                             MSG_MERGED_UNIT.format(into=listed["merged_into"])))
        return None
    if listed is not None:
        checks = (
            ("unit_name", listed.get("name"), lambda a, b: keys(a)[0] == keys(b)[0], lambda v: v),
            ("unit_kind", listed.get("kind"), lambda a, b: a == b, _kind_label),
            ("parent_code", listed.get("parent_code") or config.root_code, lambda a, b: a == b, lambda v: v),
        )
        for key, expected, same, show in checks:
            got = info.get(key)
            if got is not None and expected is not None and not same(got, expected):
                col = INFO.column(key)
                issues.append(_issue(INFO.name, label_rows.get(key), col.header, info.get("_raw", {}).get(key, got),
                                     MSG_UNIT_MISMATCH.format(expected=show(expected)), "warning"))
        stop, start, year = listed.get("inactive_from"), listed.get("active_from"), info.get("year")
        if stop is not None and year is not None and year >= stop:
            issues.append(_issue(INFO.name, label_rows.get("year"), INFO.column("year").header, year,
                                 MSG_INACTIVE_UNIT.format(year=stop), "warning"))
        if start is not None and year is not None and year < start:
            issues.append(_issue(INFO.name, label_rows.get("year"), INFO.column("year").header, year,
                                 MSG_NOT_YET_ACTIVE.format(year=start), "warning"))
        return {"code": code, "name": listed.get("name"), "kind": listed.get("kind"),
                "parent_code": listed.get("parent_code") or config.root_code, "is_new": False}
    if not allow_new:
        hint = _closest_unit(code, info.get("unit_name"), units, config.root_code)
        issues.append(_issue(INFO.name, row, INFO.column("unit_code").header, code,
                             MSG_UNKNOWN_UNIT.format(hint=f"; có phải {hint}?" if hint else "")))
    else:
        issues.append(_issue(INFO.name, row, INFO.column("unit_code").header, code, MSG_NEW_UNIT, "warning"))
    parent = info.get("parent_code") or config.root_code
    if parent != config.root_code and parent not in units:
        issues.append(_issue(INFO.name, label_rows.get("parent_code"), INFO.column("parent_code").header,
                             info.get("parent_code"), MSG_UNKNOWN_PARENT, "warning"))
        parent = config.root_code
    if info.get("unit_name") is None or info.get("unit_kind") is None:
        return None
    new = {"code": code, "name": info["unit_name"], "kind": info["unit_kind"], "parent_code": parent,
           "is_new": True}
    if proposed is not None:
        proposed.update({k: new[k] for k in ("code", "name", "kind", "parent_code")})
    return new if allow_new else None


def _closest_unit(code: str, name: str | None, units: dict[str, dict], root: str) -> str | None:
    """'“DB02” (Đảng bộ Công ty Hai)': the known unit whose code, else whose name, is closest to what the
    workbook says (a typo in the code is the usual cause); None when nothing is close."""
    import difflib

    known = {c: u for c, u in units.items() if c != root and u.get("kind") != "ROOT" and not u.get("merged_into")}
    if not known:
        return None
    by_code = difflib.get_close_matches(code.upper(), list(known), n=1, cutoff=0.6)
    pick = by_code[0] if by_code else None
    if pick is None and name:
        folded = {keys(u.get("name") or "")[0]: c for c, u in known.items()}
        by_name = difflib.get_close_matches(keys(name)[0], list(folded), n=1, cutoff=0.6)
        pick = folded[by_name[0]] if by_name else None
    return f"“{pick}” ({known[pick].get('name')})" if pick else None


def _kind_label(kind: str) -> str:
    for enum in ("unit_list_kind",):
        try:
            return enum_label(enum, kind) or kind
        except KeyError:
            pass
    return kind


# ---------------------------------------------------------------- the whole workbook
def _uncached_formulas(raw: RawWorkbook) -> dict[str, set[tuple[int, int]]]:
    if not raw.data.startswith(b"PK"):
        return {}
    try:
        from loaders.xlsx_scan import uncached_formula_cells
    except ImportError:  # helper module not present in this checkout: cached values are all we can read
        return {}
    out: dict[str, set[tuple[int, int]]] = {}
    for sheet_name, r, c in uncached_formula_cells(raw.data):
        out.setdefault(sheet_name, set()).add((int(r), int(c)))
    return out


def match_sheets(raw: RawWorkbook, sheets: tuple[Sheet, ...], issues: list[Issue]) -> dict[str, str]:
    """{sheet key: original sheet name}; unknown sheets warn, duplicates and missing required sheets error."""
    matcher = Matcher({s.key: s.names for s in sheets})
    quiet = Matcher({"quiet": list(QUIET_SHEETS)})
    by_key = {s.key: s for s in sheets}
    found: dict[str, str] = {}
    for name in raw.sheets:
        key = matcher.match(name)
        if key is None:
            if quiet.match(name) is None:
                issues.append(_issue(name, None, None, name, MSG_UNKNOWN_SHEET, "warning"))
        elif key in found:
            issues.append(_issue(name, None, None, name, MSG_DUPLICATE_SHEET.format(name=by_key[key].name)))
        else:
            found[key] = name
    for s in sheets:
        if s.required and s.key not in found:
            issues.append(_issue(s.name, None, None, None, MSG_MISSING_SHEET.format(name=s.name)))
    return found


MAX_LISTED_ISSUES = 1000
MSG_MORE_ERRORS = "Còn {n} lỗi khác không liệt kê; hãy sửa các lỗi trên rồi tải lên lại để xem tiếp"
MSG_MORE_WARNINGS = "Còn {n} cảnh báo khác không liệt kê"


class IssueList(list):
    """The issues of one file, listing at most MAX_LISTED_ISSUES: a workbook wrong in every cell would
    otherwise hold millions of issues (gigabytes) that nobody reads. Issues past the cap are counted by
    severity; `close()` appends one summary line per severity, so a dropped error still rejects the file."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = {"error": 0, "warning": 0}

    def append(self, issue: Issue) -> None:  # noqa: D401 - list protocol
        """Keep the issue while under the cap, else count it."""
        if len(self) < MAX_LISTED_ISSUES:
            super().append(issue)
        else:
            self.dropped[issue.severity] = self.dropped.get(issue.severity, 0) + 1

    def extend(self, issues) -> None:  # noqa: D401 - list protocol
        """Append each issue under the same cap."""
        for issue in issues:
            self.append(issue)

    def close(self) -> None:
        """Add the summary lines for what was counted but not listed."""
        if self.dropped.get("error"):
            super().append(Issue(None, None, None, self.dropped["error"],
                                 MSG_MORE_ERRORS.format(n=self.dropped["error"]), "error"))
        if self.dropped.get("warning"):
            super().append(Issue(None, None, None, self.dropped["warning"],
                                 MSG_MORE_WARNINGS.format(n=self.dropped["warning"]), "warning"))


def _section(value: Any) -> str:
    """A `Tình hình` section named as in the list, also behind a list number or bullet people type in
    front of it ("1. Tình hình tư tưởng", "II. Dư luận xã hội", "- Kiến nghị")."""
    try:
        return V.parse_enum(value, "narrative_section")
    except V.ValueProblem:
        bare = _LIST_MARKER.sub("", V.parse_text(value), count=1)
        if bare and bare != V.parse_text(value):
            return V.parse_enum(bare, "narrative_section")
        raise


_LIST_MARKER = re.compile(r"^\s*(?:(?:[IVXivx]{1,4}|\d{1,2}|[a-zđ])\s*[.):/-]|[-+•*–])\s*")
# the table sheets in the order they are read; sheets whose columns need more than their declared type
TABLES_READ: tuple[Sheet, ...] = (ELEMENTS, CELLS, MEETINGS, TRAINEES, PETITIONS, NARRATIVES)
SHEET_PARSERS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "elements": {"code": _element_code, "raw_value": V.parse_text},
    "narratives": {"section": _section},
}


def validate_workbook(raw: RawWorkbook, *, units: dict[str, dict], config,
                      allow_new_units: bool = False) -> ParsedWorkbook:
    """Apply every rule of template-v1.md to a read workbook and collect every issue (lazy validation).
    An unknown `Mã đơn vị` is an error naming the closest known unit, unless `allow_new_units` (an
    administrator accepted it as a new unit)."""
    issues = IssueList()
    found = match_sheets(raw, SHEETS, issues)
    formulas = _uncached_formulas(raw)
    info: dict[str, Any] = {c.key: None for c in INFO.columns}
    label_rows: dict[str, int] = {}
    if "info" in found:
        info, label_rows = read_info(raw.sheets[found["info"]], issues, formulas.get(found["info"], ()))
    period = info.get("period")
    annual = None if period is None else period == "Y"
    tables: dict[str, list[dict[str, Any]] | None] = {}
    for sheet in TABLES_READ:
        if sheet.key not in found:
            tables[sheet.key] = [] if not sheet.required else None
            continue
        parsers = SHEET_PARSERS.get(sheet.key)
        tables[sheet.key] = read_table(sheet, raw.sheets[found[sheet.key]], issues,
                                       annual=False if annual is False else True,
                                       uncached=formulas.get(found[sheet.key], ()), parsers=parsers)
    for sheet in TABLES_READ:
        rows = tables[sheet.key]
        if rows is None:
            continue
        if sheet is ELEMENTS:
            _finish_elements(rows, issues)
        elif sheet is MEETINGS:
            _finish_meetings(rows, issues, info)
        elif sheet is TRAINEES:
            _finish_trainees(rows, issues, info)
        elif sheet is PETITIONS:
            _finish_petitions(rows, issues, info, config)
        apply_rules(sheet, rows, issues, tables)
    _check_ceilings(tables.get("elements") or [], info, issues)
    proposed: dict[str, Any] = {}
    unit = _reconcile_unit(info, label_rows, units, config, issues, allow_new_units, proposed) \
        if "info" in found else None
    cells = tables.get("cells")
    if unit and unit["kind"] == "CBCS" and cells is not None and len(cells) != 1:
        issues.append(_issue(CELLS.name, None, None, len(cells), MSG_CBCS_ONE_CELL.format(n=len(cells))))
    order = {s.name: i for i, s in enumerate(SHEETS)}
    issues.sort(key=lambda i: (order.get(i.sheet or "", len(order)), i.row or 0))
    issues.close()
    clean = {k: _public_rows(rows or []) for k, rows in tables.items()}
    info = {k: v for k, v in info.items() if not k.startswith("_")}
    return ParsedWorkbook(info=info, tables=clean, issues=issues, unit=unit, info_rows=label_rows,
                          proposed_unit=proposed or None)


def _check_ceilings(rows: list[dict[str, Any]], info: dict[str, Any], issues: list[Issue]) -> None:
    """Warn where a figure exceeds the Thông tin total it is bounded by (schema.ELEMENT_CEILINGS)."""
    by_code = {r["code"]: r for r in rows if r.get("known") and r.get("value") is not None}
    for code, total_key in ELEMENT_CEILINGS:
        row, total = by_code.get(code), info.get(total_key)
        if row is None or total is None or row["value"] <= total:
            continue
        label = INFO.column(total_key).header
        issues.append(_issue(ELEMENTS.name, row["excel_row"], ELEMENTS.column("raw_value").header,
                             row["_raw"].get("raw_value"),
                             MSG_CEILING.format(code=code, label=label, total=f"{int(total):,}".replace(",", ".")), "warning"))


def _public_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without their working keys (`_raw`, `_bad`), in place: nothing reads them afterwards."""
    for row in rows:
        row.pop("_raw", None)
        row.pop("_bad", None)
    return rows
