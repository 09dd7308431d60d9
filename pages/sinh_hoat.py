"""Sinh hoạt chi bộ & xếp loại: meeting regularity and attendance, cell and member ratings, by unit."""
import streamlit as st

from ui.views import comparison, meetings, scorecard
from metrics.indicators import G_SINH_HOAT, G_XEP_LOAI
from ui import charts, theme
from ui.data import cached, cached_view, get_db
from ui.filters import current
from core.text import window_label
from ui.page import chart, header, shown_errors
from ui.sections import indicator_group

f = current()
db = get_db()
header("Sinh hoạt chi bộ & xếp loại", f)

with shown_errors():
    from metrics import engine

    rows = scorecard.indicator_rows(cached(engine.compute, db, **f.engine_kwargs()))
    tab_meet, tab_rate, tab_units = st.tabs(["Sinh hoạt chi bộ", "Xếp loại chất lượng", "Theo đơn vị"], key="sh_tabs")
    with tab_meet:
        indicator_group(db, rows, [G_SINH_HOAT], f, "sh", "Sinh hoạt chi bộ")
    with tab_rate:
        if f.quarter:
            st.info("Xếp loại chỉ có trong báo cáo năm: hãy chọn “Cả năm” để xem kết quả xếp loại.")
        dist = cached_view(meetings.rating_distribution, engine.drilldown, db,
                           indicator_id="I13_CB_KHONG_HOAN_THANH", **f.engine_kwargs())
        if not dist.empty:
            chart(charts.bars(dist, "Loại chi bộ", "Số chi bộ", meetings.rating_title(dist, window_label(f.year, f.quarter)),
                              color="Xếp loại", unit="chi bộ", horizontal=True, stack=True, big=f.present,
                              height=260, palette=theme.RATING_COLORS), key="xl_ratings")
        indicator_group(db, rows, [G_XEP_LOAI], f, "xl", "Xếp loại chất lượng")
    with tab_units:
        ids = [r["id"] for r in rows if r.get("group") in (G_SINH_HOAT, G_XEP_LOAI)]
        worst = cached_view(comparison.worst_units, engine.compute_by_unit, db, tuple(ids), **f.engine_kwargs())[0]
        matrix, text = comparison.unit_matrix(worst, ids, f.unit_names)
        if matrix.empty:
            st.info("Chưa có đơn vị nào báo cáo trong kỳ đã chọn.")
        else:
            title = cached_view(comparison.heatmap_title, engine.compute_by_unit, db, tuple(ids),
                                window_label(f.year, f.quarter), **f.engine_kwargs())
            chart(charts.status_heatmap(matrix, text, title, big=f.present), key="sh_heatmap")
