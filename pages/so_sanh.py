"""So sánh đơn vị: units × indicators heatmap, ranking by share of targets met, one indicator across units."""
import streamlit as st

from ui.views import comparison, detail, scorecard
from metrics.indicators import GROUPS, INDICATORS
from ui import charts, state as K
from ui.data import cached, cached_view, get_db
from ui.filters import current
from core.text import window_label
from ui.page import chart, header, shown_errors, table, table_downloads

ALL = "Tất cả"

f = current()
db = get_db()
header("So sánh đơn vị", f)

with shown_errors():
    from metrics import engine

    kw = f.engine_kwargs()
    by_unit = cached(engine.compute_by_unit, db, **kw)
    window = window_label(f.year, f.quarter)
    if st.session_state.get(K.SS_GROUP) not in (ALL, *GROUPS):
        st.session_state[K.SS_GROUP] = ALL
    group = st.segmented_control("Nhóm chỉ tiêu", [ALL, *GROUPS], key=K.SS_GROUP, required=True)
    ids = [i.id for i in INDICATORS if group in (ALL, None) or i.group == group]
    if by_unit.empty:
        st.info("Chưa có đơn vị nào báo cáo trong kỳ đã chọn.")
        st.stop()

    # reshaping all units × indicators is cached per data version (it is large at national scale)
    shown, left_out = cached_view(comparison.worst_units, engine.compute_by_unit, db, tuple(ids), **kw)
    matrix, text = comparison.unit_matrix(shown, ids, f.unit_names)
    title = cached_view(comparison.heatmap_title, engine.compute_by_unit, db, tuple(ids), window, **kw)
    chart(charts.status_heatmap(matrix, text, title, big=f.present),
          key="ss_heatmap")
    if left_out:
        st.caption(f"Biểu đồ hiện {detail.MAX_CHART_ROWS} đơn vị có nhiều chỉ tiêu chưa đạt nhất; "
                   f"{left_out} đơn vị khác có trong bảng xếp hạng.")

    st.subheader("Xếp hạng đơn vị")
    ranking = cached_view(comparison.unit_ranking, engine.compute_by_unit, db, tuple(ids), {}, **kw)
    if ranking.empty:
        st.info("Chưa có chỉ tiêu nào được đánh giá cho các đơn vị trong kỳ đã chọn.")
    else:
        top = detail.top_bottom(ranking)
        chart(charts.bars(top, "Đơn vị", "Tỷ lệ đạt (%)", comparison.ranking_title(ranking, window), unit="%",
                          horizontal=True, big=f.present, height=140 + 30 * len(top)), key="ss_ranking")
        table(ranking, key="ss_ranking_table")
        table_downloads(ranking, f"Xếp hạng đơn vị {f.year}", "ss_rank")

    st.subheader("Một chỉ tiêu giữa các đơn vị")
    names = {i.id: f"{i.code} — {i.name}" for i in INDICATORS if i.id in ids}
    if st.session_state.get(K.SS_INDICATOR) not in names:
        st.session_state[K.SS_INDICATOR] = next(iter(names))
    picked = st.selectbox("Chỉ tiêu", list(names), format_func=names.get, key=K.SS_INDICATOR)
    one = detail.top_bottom(cached_view(comparison.indicator_by_unit, engine.compute_by_unit, db, picked, {}, **kw))
    if one.empty:
        st.info("Không đơn vị nào có số liệu cho chỉ tiêu này trong kỳ đã chọn.")
    else:
        rows = scorecard.indicator_rows(cached(engine.compute, db, **kw))
        target = next(r["target"] for r in rows if r["id"] == picked)
        chart(charts.value_vs_target(comparison.units_vs_target(one, target), comparison.indicator_units_title(one, names[picked]),
                                     unit=scorecard.indicator_unit(picked), big=f.present), key="ss_one")
