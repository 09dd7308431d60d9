"""Page sections shared by several pages: an indicator group (chart, table, who is behind, drill-down)."""
from __future__ import annotations

import streamlit as st

from metrics import engine
from metrics.indicators import short_code
from ui.views import detail, overview, scorecard
from ui import charts
from ui.data import cached, cached_view
from ui.filters import Filters
from ui.literal import literal
from core.text import fmt_status, window_label
from ui.page import chart, table, table_downloads


def scorecard_columns() -> dict:
    """Column widths of the scorecard table (overview.scorecard_table) that fit a 1600 px screen with the sidebar:
    the long texts get the room, 'Chưa đạt' is not pushed off the right edge."""
    text = st.column_config.TextColumn
    return {
        "Mã": text(width=45),
        "Chỉ tiêu": text(width=340),
        "Nhóm": text(width=140),
        "Kết quả": text(width=75),
        "Mục tiêu": text(width=85),
        "Trạng thái": text(width=150),
        "Chưa đạt": text(width=260, help="Đơn vị chưa đạt; danh sách đầy đủ ở mục «Đơn vị chưa đạt» bên dưới"),
    }


def indicator_charts(rows: list[dict], f: Filters, title: str, key: str) -> None:
    """Value-vs-target bars: percentages in one chart, counts (người, đơn, chi bộ) one chart per unit."""
    pct = [r for r in rows if r["unit"] == "%"]
    if pct:
        df = scorecard.value_vs_target(pct)
        not_met = sum(1 for r in pct if r["status"] == "not_met")
        chart(charts.value_vs_target(df, f"{title}: {not_met}/{len(pct)} tỷ lệ chưa đạt {window_label(f.year, f.quarter)}",
                                     unit="%", big=f.present), key=f"{key}_pct")
    for unit in sorted({r["unit"] for r in rows if r["unit"] != "%"}):
        part = [r for r in rows if r["unit"] == unit]
        df = scorecard.value_vs_target(part)
        chart(charts.value_vs_target(df, f"{title}: kết quả so với mục tiêu ({unit})", unit=unit, big=f.present),
              key=f"{key}_{scorecard.short_name(unit)}")


def missed_columns() -> dict:
    """Column widths of the one-page scorecard (overview.missed_table) that fit the 906 px main area of a
    1366 px screen with the sidebar open (the names of who is behind take the rest at wider screens)."""
    text = st.column_config.TextColumn
    # in the order of overview.MISSED_COLUMNS, whose headers the table carries
    widths = (text(width=205), text(width=62), text(width=72), text(width=112),
              text(width=64, help="Cùng kỳ năm trước, tính đến cùng ngày của năm trước"),
              text(width=92, help="So với cùng kỳ năm trước"),
              text(width=290, help="◐: chỉ tiêu năm, còn thời gian thực hiện"))
    return dict(zip(overview.MISSED_COLUMNS, widths, strict=True))


def behind_expanders(rows: list[dict], f: Filters, key: str, names: dict[str, str] | None = None) -> None:
    """One expander per indicator not met, listing the units or cells behind it (one click)."""
    shown = [r for r in rows if r.get("behind")]
    if not shown:
        return
    st.markdown("**Đơn vị chưa đạt** — bấm vào từng chỉ tiêu để xem:")
    for r in shown:
        n = len(r["behind"])
        what = "chi bộ" if "/" in r["behind"][0] else "đơn vị"
        # an annual target before the year's end: they have not done it yet, not failed it (indicators v1.1)
        verdict = "chưa thực hiện" if r["status"] == "in_progress" else "chưa đạt"
        label = literal(f"{short_code(r['id'])} {scorecard.short_name(r['name'], 70)}")
        with st.expander(f"{fmt_status(r['status'])} · {label} — {n} {what} {verdict}", key=f"{key}_behind_{r['id']}"):
            table(scorecard.behind_table(r["behind"], names or f.unit_names), key=f"{key}_behind_tbl_{r['id']}")


def drilldown(db, rows: list[dict], f: Filters, key: str, state_key: str) -> None:
    """Pick an indicator and see the units/cells behind its figure, down to the submitted file."""
    ids = [r["id"] for r in rows]
    names = {r["id"]: f"{short_code(r['id'])} — {r['name']}" for r in rows}
    if st.session_state.get(state_key) not in ids:
        st.session_state[state_key] = ids[0]
    picked = st.selectbox("Xem chi tiết chỉ tiêu", ids, format_func=names.get, key=state_key)
    from core.auth import VIEW_PERSONAL, can

    # names of persons only for roles allowed personal data (the engine blanks them for the others anyway)
    hide_names = scorecard.is_personal(picked) and not can(f.principal, VIEW_PERSONAL)
    shown = cached_view(detail.drilldown_table, engine.drilldown, db, None, hide_names, picked,
                        indicator_id=picked, **f.engine_kwargs())
    if shown.empty:
        st.info("Không có số liệu chi tiết cho chỉ tiêu này trong kỳ đã chọn.")
        return
    table(shown, key=f"{key}_drill_tbl")
    table_downloads(shown, f"Chi tiết {picked} {f.year}", f"{key}_drill", what="chi tiết")


def indicator_group(db, report_rows: list[dict], groups: list[str], f: Filters, key: str, title: str) -> None:
    """Everything for a page's indicator groups: charts, table, who is behind, drill-down."""
    rows = [r for r in report_rows if (r.get("group") or "") in groups]
    if not rows:
        st.info("Không có chỉ tiêu nào thuộc nhóm này.")
        return
    indicator_charts(rows, f, title, key)
    table(overview.scorecard_table(rows, f.unit_names), key=f"{key}_score", column_config=scorecard_columns())
    behind_expanders(rows, f, key)
    st.subheader("Chi tiết theo đơn vị và báo cáo")
    drilldown(db, rows, f, key, f"{key}_detail")


def yearly_rows(db, f: Filters, years: list[int]) -> dict[int, list[dict]]:
    """Indicator rows of each full year for the current unit (cached per year, shared by every page)."""
    unit = f.engine_kwargs()["unit"]
    return {y: scorecard.indicator_rows(cached(engine.compute, db, year=y, quarter=None, unit=unit, as_of=f.as_of,
                                           principal=f.principal))
            for y in years}
