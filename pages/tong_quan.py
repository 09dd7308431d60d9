"""Tổng quan: the scorecard of every indicator against its target, who is behind, trends, drill-down."""
import streamlit as st

from metrics import export, history

from metrics.indicators import short_code
from ui.views import overview, scorecard
from ui import charts, state as K
from ui.data import cached, get_db
from ui.filters import current
from core.text import JUDGED, fmt_status, window_label
from ui.page import chart, download, header, shown_errors, slug, table
from ui.sections import behind_expanders, drilldown, scorecard_columns, yearly_rows

f = current()
db = get_db()
header("Tổng quan", f)

with shown_errors():
    from metrics import engine

    if not cached(history.report_years, db):
        st.info("Chưa có báo cáo nào trong cơ sở dữ liệu. Hãy tải mẫu báo cáo và nộp báo cáo của các đơn vị.")
        st.page_link("pages/nop_bao_cao.py", label="Đến trang Nộp báo cáo", icon=":material/upload_file:")
    report = cached(engine.compute, db, **f.engine_kwargs())
    rows = scorecard.indicator_rows(report)
    counts = scorecard.status_counts(rows)
    headline = overview.scorecard_headline(rows, window_label(f.year, f.quarter))
    st.subheader(headline)
    shown = [s for s in ("met", "exceeded", "not_met", "in_progress", "no_data", "no_target")
             if counts[s] or s != "in_progress"]
    for col, code in zip(st.columns(len(shown)), shown):
        col.metric(fmt_status(code), counts[code], border=True)

    # the meeting pack covers the whole page; each table's exports sit by the table
    download("Tài liệu họp (PowerPoint)", lambda: export.meeting_pack_pptx(db, **f.engine_kwargs()),
             f"{slug('tai-lieu-hop ' + f.unit)}-{f.year}.pptx",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation", "ov_pack")

    left, right = st.columns([1, 2])
    with left:
        chart(charts.status_counts_bar(counts, overview.counts_title(counts), big=f.present), key="ov_status_chart")
    with right:
        pct = [r for r in rows if r["unit"] == "%" and r["status"] in JUDGED]
        if pct:
            worst = sorted(pct, key=lambda r: (r["status"] != "not_met", r["value"] if r["value"] is not None else 0))[:8]
            chart(charts.value_vs_target(scorecard.value_vs_target(worst), "Các tỷ lệ thấp nhất so với mục tiêu",
                                         unit="%", big=f.present), key="ov_worst_chart")

    st.subheader("Bảng chỉ tiêu")
    score = overview.scorecard_table(rows, f.unit_names)
    name = slug(f"chi-tieu {f.unit} {window_label(f.year, f.quarter)}")
    with st.container(horizontal=True):
        download("Bảng chỉ tiêu (Excel)", lambda: export.scorecard_xlsx(report, title=headline, names=f.unit_names),
                 f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ov_scorecard")
        download("Bảng chỉ tiêu (CSV)", lambda: export.table_csv(score), f"{name}.csv", "text/csv", "ov_score_csv")
    table(score, key="ov_scorecard_table", height=min(36 * (len(score) + 1) + 4, 980), present=f.present,
          column_config=scorecard_columns())
    behind_expanders(rows, f, "ov")

    st.subheader("So với các năm trước")
    years = scorecard.trend_years(cached(history.report_years, db), f.year)
    rows_by_year = yearly_rows(db, f, years)
    by_year = overview.status_by_year(rows_by_year)
    t1, t2 = st.columns(2)
    with t1:
        chart(charts.status_by_year(by_year, overview.status_by_year_title(by_year), big=f.present), key="ov_years_chart")
    with t2:
        ids = [r["id"] for r in rows]
        names = {r["id"]: f"{short_code(r['id'])} — {r['name']}" for r in rows}
        if st.session_state.get(K.OV_TREND) not in ids:
            st.session_state[K.OV_TREND] = ids[0]
        picked = st.selectbox("Chỉ tiêu xem xu hướng", ids, format_func=names.get, key=K.OV_TREND)
        series, target, unit = scorecard.trend_series(rows_by_year, picked, rows)
        chart(charts.trend(series, scorecard.trend_title(series, names[picked], unit), unit=unit,
                           target_low=scorecard.target_low(target), target_high=scorecard.target_high(target),
                           big=f.present), key="ov_trend_chart")

    st.subheader("Chi tiết một chỉ tiêu")
    drilldown(db, rows, f, "ov", K.OV_DETAIL)
