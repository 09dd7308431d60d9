"""Tuyên giáo – Dân vận: dissemination, democracy regulation, dialogues, and the quarterly activity figures."""
import streamlit as st

from metrics import history
from ui.views import activities, detail, scorecard
from metrics.indicators import G_TUYEN_GIAO
from ui import charts, state as K
from ui.data import cached, cached_view, get_db
from ui.filters import current
from ui.page import chart, header, shown_errors, table, table_downloads
from ui.sections import indicator_group

f = current()
db = get_db()
header("Tuyên giáo – Dân vận", f)

with shown_errors():
    from metrics import engine

    report = cached(engine.compute, db, **f.engine_kwargs())
    rows = scorecard.indicator_rows(report)
    acts = activities.activity_cards(report.to_json()["activities"])
    period = f"Quý {['I', 'II', 'III', 'IV'][f.quarter - 1]}/{f.year}" if f.quarter else f"năm {f.year}"
    st.subheader(f"Kết quả hoạt động {period}")
    if f.quarter:
        st.caption("Với một quý, số liệu hoạt động là của riêng quý đó (không lũy kế).")
    for start in range(0, len(acts), 4):
        cols = st.columns(4)
        for col, (label, shown, full) in zip(cols, acts[start:start + 4]):
            col.metric(label, shown, border=True, help=full)

    tab_ind, tab_q, tab_u = st.tabs(["Chỉ tiêu", "Theo quý", "Theo đơn vị"], key="tg_tabs")
    with tab_ind:
        indicator_group(db, rows, [G_TUYEN_GIAO], f, "tg", "Tuyên giáo – Dân vận")
    labels = activities.activity_labels()
    codes = list(labels)
    if st.session_state.get(K.TG_ELEMENT) not in codes:
        st.session_state[K.TG_ELEMENT] = codes[0]
    with tab_q:
        element = st.selectbox("Hoạt động", codes, format_func=labels.get, key=K.TG_ELEMENT)
        by_q = cached(engine.activities_by_period, db, year=f.year, unit=f.engine_kwargs()["unit"], as_of=f.as_of,
                      principal=f.principal)
        series = activities.activity_by_quarter(by_q, element)
        chart(charts.bars(series, "Quý", "Giá trị", activities.activity_title(series, labels[element], f.year),
                          unit=activities.activity_unit(element), x_title="Quý", big=f.present), key="tg_quarters")
        matrix = activities.activities_matrix(by_q)
        table(matrix, key="tg_quarters_table")
        table_downloads(matrix, f"Hoạt động tuyên giáo dân vận theo quý {f.year}", "tg_q")
    with tab_u:
        scope = dict(year=f.year, quarter=f.quarter, unit=f.scope_unit, principal=f.principal)
        series = cached_view(activities.activity_by_unit, history.activities_by_unit, db, element, {},
                             **scope).head(detail.MAX_CHART_ROWS)
        if series.empty:
            st.info("Chưa có đơn vị nào báo cáo hoạt động này trong kỳ đã chọn.")
        else:
            chart(charts.bars(series, "Đơn vị", "Giá trị", activities.activity_unit_title(series, labels[element], period),
                              unit=activities.activity_unit(element), horizontal=True, big=f.present,
                              height=140 + 30 * len(series)), key="tg_units")
        wide = cached_view(activities.activities_by_unit_table, history.activities_by_unit, db, {}, **scope)
        table(wide, key="tg_units_table")
        table_downloads(wide, f"Hoạt động theo đơn vị {period}", "tg_u")
