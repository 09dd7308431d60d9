"""The meeting pack: a PowerPoint with native charts (and its PDF, rendered by LibreOffice) for a Ban Thường
vụ meeting: the scorecard, one slide per indicator group, the activities against the same period last
year, how the targets moved since last year, and who has reported.

Every text that came from users goes through metrics.export's neutralising (the charts' embedded worksheets
are spreadsheets too); numbers stay numbers.
"""
from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

from core.text import PERIOD_LABELS, STATUS, fmt_date, fmt_number, fmt_target, fmt_value, status_label
from metrics.export import (ILLEGAL_XML, STATUS_COLOURS, _behind_text, _clean, _indicators, _Ind, _is_missing,
                            _report_json, scope_text, window_text)
from metrics.indicators import ACTIVITIES, GROUPS, INDICATORS_BY_ID, short_code
from metrics.pdf import to_pdf


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
    """The meeting pack: title, scorecard summary, one slide per indicator group (native charts), the
    activities and the targets against the same period last year, completeness. The unit is authorised for
    `principal`, who needs the export permission."""
    from core.auth import EXPORT, require
    from core.clock import same_day_last_year, today
    from metrics.engine import compute
    from metrics.history import cell_names

    require(principal, EXPORT)
    report = compute(db, year=year, quarter=quarter, unit=unit, as_of=as_of, principal=principal)
    last = None
    if int(year) > 2000:
        last = compute(db, year=int(year) - 1, quarter=quarter, unit=unit,
                       as_of=same_day_last_year(as_of or today()), principal=principal)
    names = unit_names(db)
    for key, name in cell_names(db, year=int(year), unit=unit, principal=principal).items():
        names[key] = f"{name} ({names.get(key.partition('/')[0], key.partition('/')[0])})"
    return pack_from_report(report, names=names, completeness=completeness_rows(db, report, principal), last=last)


def meeting_pack_pdf(db, **kwargs: Any) -> bytes:
    """The meeting pack as PDF: the PowerPoint rendered by LibreOffice (headless), for projectors and
    printers without PowerPoint (metrics.pdf). DashboardError when the server has no LibreOffice or it fails."""
    return to_pdf(meeting_pack_pptx(db, **kwargs), ".pptx")


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
                     completeness: list[dict] | None = None, made_on: dt.date | None = None,
                     last: Any | None = None) -> bytes:
    """The meeting pack from an already computed report (a page passes the report it shows); `last`, the
    same window of the year before, adds the comparison slides."""
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
    _activities_slide(prs, report, last)
    if last is not None:
        _year_on_year_slide(prs, report, inds, _indicators(last))
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
    by_id = {short_code(i.id): i for i in inds}
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


def _activities_slide(prs, report: Any, last: Any | None) -> None:
    """The activity figures of seed 004 ("ban hành … văn bản, tổ chức … hội nghị …") for the period, with the
    same period last year and the change, as a table the room can read."""
    acts = _report_json(report).get("activities") or {}
    before = (_report_json(last).get("activities") or {}) if last is not None else {}
    win = _report_json(report).get("window") or {}
    period = "quý " + str(win["quarter"]) if win.get("quarter") else "cả năm"
    slide = _blank(prs, f"Kết quả hoạt động ({period}) so với cùng kỳ năm trước", report)
    rows = []
    for a in ACTIVITIES:
        now, then = acts.get(a.code), before.get(a.code)
        if now is None and then is None:
            continue
        change = "—"
        if now is not None and then is not None:
            diff = float(now) - float(then)
            change = "=" if abs(diff) < 1e-9 else ("▲ " if diff > 0 else "▼ ") + fmt_value(abs(diff), a.unit)
        rows.append([a.label, fmt_value(now, a.unit), fmt_value(then, a.unit), change])
    if not rows:
        _text(slide, 0.5, 1.4, 12.3, 0.8, "Chưa có số liệu hoạt động trong kỳ đã chọn.", size=20, color=PPT_GREY)
        return
    _table(slide, 0.4, 1.25, 12.5, ["Hoạt động", "Kỳ này", "Cùng kỳ năm trước", "Thay đổi"], rows,
           [6.3, 2.0, 2.2, 2.0], size=13 if len(rows) > 10 else 14)


def _year_on_year_slide(prs, report: Any, inds: list[_Ind], before: list[_Ind]) -> None:
    """The indicators that moved most since the same period last year: value then and now, the change,
    the status now (at most a slide's worth, the largest changes first)."""
    then = {i.id: i for i in before}
    pairs = [(i, then[i.id]) for i in inds if i.id in then and i.value is not None and then[i.id].value is not None]
    pairs.sort(key=lambda p: -abs(float(p[0].value) - float(p[1].value)) / (100.0 if p[0].unit == "%" else 1.0))
    slide = _blank(prs, "Chỉ tiêu so với cùng kỳ năm trước", report)
    if not pairs:
        _text(slide, 0.5, 1.4, 12.3, 0.8, "Chưa có số liệu cùng kỳ năm trước để so sánh.", size=20, color=PPT_GREY)
        return
    rows = []
    for now, old in pairs[:11]:
        diff = float(now.value) - float(old.value)
        amount = f"{fmt_number(abs(diff), 1)} điểm %" if now.unit == "%" else fmt_value(abs(diff), now.unit)
        rows.append([short_name(now.id, now.name), fmt_value(old.value, old.unit), fmt_value(now.value, now.unit),
                     "=" if abs(diff) < 1e-9 else ("▲ " if diff > 0 else "▼ ") + amount, status_label(now.status)])
    _table(slide, 0.4, 1.25, 12.5, ["Chỉ tiêu", "Cùng kỳ năm trước", "Kỳ này", "Thay đổi", "Đánh giá"], rows,
           [4.6, 2.1, 1.7, 2.1, 2.0], size=14)


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
