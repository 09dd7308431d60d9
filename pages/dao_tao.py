"""Đào tạo LLCT: members sent to advanced / intermediate political-theory courses vs their yearly ranges."""
import streamlit as st

from metrics import history
from ui.views import scorecard, training
from metrics.indicators import G_LLCT
from ui import charts
from ui.data import cached, get_db
from ui.filters import current
from ui.page import chart, header, shown_errors, table, table_downloads
from ui.sections import indicator_group, yearly_rows

f = current()
db = get_db()
header("Đào tạo lý luận chính trị", f)

with shown_errors():
    from metrics import engine

    rows = scorecard.indicator_rows(cached(engine.compute, db, **f.engine_kwargs()))
    quotas = scorecard.group_rows(rows, G_LLCT)
    ids = [r["id"] for r in quotas]
    if not f.is_root:
        st.info("Chỉ tiêu số lượng cử đi học được giao cho toàn Đảng bộ; ở phạm vi một đơn vị chỉ hiển thị số liệu, "
                "không đánh giá đạt/chưa đạt.")
    indicator_group(db, rows, [G_LLCT], f, "dt", "Đào tạo LLCT")

    st.subheader("Qua các năm")
    years = scorecard.trend_years(cached(history.report_years, db), f.year, span=5)
    rows_by_year = yearly_rows(db, f, years)
    cols = st.columns(len(quotas) or 1)
    for col, r in zip(cols, quotas):
        series, target, unit = scorecard.trend_series(rows_by_year, r["id"], rows)
        with col:
            chart(charts.bars(series.rename(columns={"value": "Số người"}), "year", "Số người",
                              scorecard.trend_title(series, r["name"], unit), unit=unit, x_title="Năm",
                              band=scorecard.target_band(target), big=f.present), key=f"dt_trend_{r['id']}")

    st.subheader("Theo đơn vị")
    by_unit = cached(engine.compute_by_unit, db, **f.engine_kwargs())
    per_unit = training.quota_by_unit(by_unit, ids, f.unit_names)
    if per_unit.empty:
        st.info("Chưa có đơn vị nào cử đảng viên đi học trong năm đã chọn.")
    else:
        chart(charts.bars(per_unit, "Đơn vị", "Số người", training.quota_by_unit_title(per_unit, f.year),
                          color="Trình độ", unit="người", horizontal=True, big=f.present,
                          height=140 + 30 * per_unit["Đơn vị"].nunique()), key="dt_units")
        table(per_unit, key="dt_units_table")
        table_downloads(per_unit, f"Đào tạo LLCT theo đơn vị {f.year}", "dt_units")
