"""Tổng quan: what is missed, by whom, and compared with last year — on one screen; then every indicator."""
import streamlit as st

from core.clock import same_day_last_year
from core.text import JUDGED, window_label
from metrics import engine, export, history, pack
from metrics.indicators import short_code
from ui import charts, state as K
from ui.data import cached, get_db
from ui.filters import current
from ui.literal import literal
from ui.page import chart, download, header, shown_errors, slug, table
from ui.sections import behind_expanders, drilldown, missed_columns, scorecard_columns, yearly_rows
from ui.views import overview, scorecard

MISSED_ROW = 28  # px: Streamlit's default is 35

f = current()
db = get_db()
header("Tổng quan", f)

with shown_errors():
    if not cached(history.report_years, db):
        st.info("Chưa có báo cáo nào trong cơ sở dữ liệu. Hãy tải mẫu báo cáo và nộp báo cáo của các đơn vị.")
        st.page_link("pages/nop_bao_cao.py", label="Đến trang Nộp báo cáo", icon=":material/upload_file:")
    kw = f.engine_kwargs()
    report = cached(engine.compute, db, **kw)
    rows = scorecard.indicator_rows(report)
    last_rows = scorecard.indicator_rows(cached(engine.compute, db, **{
        **kw, "year": f.year - 1, "as_of": same_day_last_year(f.as_of)})) if f.year > 2000 else []
    names = scorecard.with_cells(f.unit_names, cached(history.cell_names, db, year=f.year, unit=f.scope_unit,
                                                      principal=f.principal))
    long = cached(history.completeness, db, year=f.year, unit=f.scope_unit, as_of=f.as_of, principal=f.principal)
    received, expected, banner = overview.coverage(long, f.year, f.quarter, names)
    thin = overview.is_thin(received, expected)
    window = window_label(f.year, f.quarter)
    (st.warning if thin else st.info)(literal(banner), icon=":material/assignment_turned_in:")
    counts = scorecard.status_counts(rows)
    headline = overview.thin_headline(received, expected, window) if thin else overview.scorecard_headline(rows, window)
    st.subheader(headline)
    st.caption(overview.counts_title(counts))
    missed = overview.missed_table(rows, last_rows, names)
    if missed.empty:
        st.success("Không có chỉ tiêu nào chưa đạt hoặc đang thực hiện.")
    else:
        # every row shown without the grid's own scrolling: 14 missed targets still fit a 1366×768 screen
        table(missed, key="ov_missed", present=f.present, height=MISSED_ROW * (len(missed) + 1) + 3,
              row_height=MISSED_ROW, column_config=missed_columns())

    with st.container(horizontal=True):
        quarter = f"-quy-{f.quarter}" if f.quarter else ""
        pack_name = f"{slug('tai-lieu-hop ' + f.unit)}-{f.year}{quarter}"
        download("Tài liệu họp (PowerPoint)", lambda: pack.meeting_pack_pptx(db, **kw), f"{pack_name}.pptx",
                 "application/vnd.openxmlformats-officedocument.presentationml.presentation", "ov_pack")
        download("Tài liệu họp (PDF)", lambda: pack.meeting_pack_pdf(db, **kw), f"{pack_name}.pdf",
                 "application/pdf", "ov_pack_pdf")

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
    score = overview.scorecard_table(rows, names)
    name = slug(f"chi-tieu {f.unit} {window}")
    with st.container(horizontal=True):
        download("Bảng chỉ tiêu (Excel)", lambda: export.scorecard_xlsx(report, title=headline, names=names),
                 f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ov_scorecard")
        download("Bảng chỉ tiêu (CSV)", lambda: export.table_csv(score), f"{name}.csv", "text/csv", "ov_score_csv")
    table(score, key="ov_scorecard_table", height=min(36 * (len(score) + 1) + 4, 980), present=f.present,
          column_config=scorecard_columns())
    behind_expanders(rows, f, "ov", names)

    st.subheader("So với các năm trước")
    years = scorecard.trend_years(cached(history.report_years, db), f.year)
    rows_by_year = yearly_rows(db, f, years)
    by_year = overview.status_by_year(rows_by_year)
    t1, t2 = st.columns(2)
    with t1:
        chart(charts.status_by_year(by_year, overview.status_by_year_title(by_year), big=f.present), key="ov_years_chart")
    with t2:
        ids = [r["id"] for r in rows]
        labels = {r["id"]: f"{short_code(r['id'])} — {r['name']}" for r in rows}
        if st.session_state.get(K.OV_TREND) not in ids:
            st.session_state[K.OV_TREND] = ids[0]
        picked = st.selectbox("Chỉ tiêu xem xu hướng", ids, format_func=labels.get, key=K.OV_TREND)
        series, target, unit = scorecard.trend_series(rows_by_year, picked, rows)
        chart(charts.trend(series, scorecard.trend_title(series, labels[picked], unit), unit=unit,
                           target_low=scorecard.target_low(target), target_high=scorecard.target_high(target),
                           big=f.present), key="ov_trend_chart")

    st.subheader("Chi tiết một chỉ tiêu")
    drilldown(db, rows, f, "ov", K.OV_DETAIL)
