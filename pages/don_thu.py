"""Đơn thư: petitions received, resolved on time, overdue (with age), over-level vs the 2026 target."""
import streamlit as st

from metrics import history
from ui.views import detail, petitions, scorecard
from metrics.indicators import G_DON_THU
from ui import charts, theme
from ui.data import cached, cached_view, get_db
from ui.filters import current
from core.text import fmt_auto, window_label
from ui.page import chart, header, shown_errors, table, table_downloads
from ui.sections import indicator_group, yearly_rows

f = current()
db = get_db()
header("Đơn thư", f)

with shown_errors():
    from metrics import engine

    rows = scorecard.indicator_rows(cached(engine.compute, db, **f.engine_kwargs()))
    window = dict(year=f.year, quarter=f.quarter, unit=f.scope_unit, as_of=f.as_of, principal=f.principal)
    register = cached(history.petition_register, db, **window)
    summary = cached_view(petitions.petition_summary, history.petition_register, db, **window)
    cols = st.columns(5)
    for col, (label, value) in zip(cols, summary.items()):
        col.metric(label, fmt_auto(value), border=True)

    indicator_group(db, rows, [G_DON_THU], f, "don", "Đơn thư")

    st.subheader(f"Đơn thư nhận {window_label(f.year, f.quarter)}")
    if register.empty:
        st.info("Không có đơn thư nào được nhận trong kỳ đã chọn.")
    else:
        by_kind = cached_view(petitions.petitions_by, history.petition_register, db, "kind", **window)
        chart(charts.bars(by_kind, "Loại đơn", "Số đơn", petitions.petitions_by_title(by_kind, "Loại đơn"),
                          color="Tình trạng", unit="đơn", stack=True, big=f.present, height=380,
                          palette=theme.PETITION_COLORS), key="don_kind")
        by_unit = cached_view(petitions.petitions_by, history.petition_register, db, "unit_name", **window)
        chart(charts.bars(detail.top_units(by_unit, "Đơn vị", "Số đơn"), "Đơn vị", "Số đơn",
                          petitions.petitions_by_title(by_unit, "Đơn vị"),
                          color="Tình trạng", unit="đơn", horizontal=True, stack=True, big=f.present,
                          height=160 + 30 * by_unit["Đơn vị"].nunique(), palette=theme.PETITION_COLORS),
              key="don_unit")
        overdue = cached_view(petitions.overdue_petitions, history.petition_register, db, **window)
        st.subheader(f"Đơn thư quá hạn chưa giải quyết: {len(overdue)}")
        if not overdue.empty:
            table(overdue, key="don_overdue")
            table_downloads(overdue, f"Đơn thư quá hạn {f.year}", "don_overdue")
        with st.expander("Toàn bộ sổ đơn thư trong kỳ", key="don_register_exp"):
            full = cached_view(petitions.petition_table, history.petition_register, db, **window)
            table(full, key="don_register")
            table_downloads(full, f"Sổ đơn thư {f.year}", "don_register")

    st.subheader("Đơn thư vượt cấp so với mục tiêu năm 2026")
    years = scorecard.trend_years(cached(history.report_years, db), f.year, span=5)
    series, _, unit = scorecard.trend_series(yearly_rows(db, f, years), "I10_DON_VUOT_CAP", rows)
    chart(charts.trend(series, petitions.over_level_title(series), unit=unit, target_low=0, big=f.present),
          key="don_i10_trend")
    st.caption("Mục tiêu (Chương trình hành động số 26-CTtr/ĐU): phấn đấu đến năm 2026 không còn đơn thư vượt cấp; "
               "trước năm 2026 chỉ theo dõi, không đánh giá.")
