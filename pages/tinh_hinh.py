"""Tình hình đơn vị: what units write (sheet Tình hình) by section with the pressing points first, their
meeting topics and the notes beside their figures, searchable and exportable; the review report (Word, PDF)."""
import streamlit as st

from metrics import narrative, review
from ui import state as K
from ui.data import cached, get_db
from ui.filters import current
from ui.page import download, header, shown_errors, slug, table, table_downloads
from ui.views import narrative as views

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

f = current()
db = get_db()
header("Tình hình đơn vị", f)

with shown_errors():
    window = dict(year=f.year, quarter=f.quarter, unit=f.scope_unit, as_of=f.as_of, principal=f.principal)
    label = views.report_label(f.year, f.quarter)
    name = slug(f"{label} {f.unit}")
    st.caption(views.window_note(f.quarter))
    # the office edits the Word file before signing; the PDF is for reading (LibreOffice makes it on click)
    with st.container(horizontal=True):
        download(f"{label} (Word)", lambda: review.review_docx(db, **f.engine_kwargs()), f"{name}.docx", DOCX,
                 "th_report_docx")
        download(f"{label} (PDF)", lambda: review.review_pdf(db, **f.engine_kwargs()), f"{name}.pdf",
                 "application/pdf", "th_report_pdf")

    rows = cached(narrative.narrative_rows, db, **window)
    for col, (title, value) in zip(st.columns(4), views.summary(rows).items()):
        col.metric(title, value, border=True)

    query = st.text_input("Tìm trong nội dung", key=K.TH_SEARCH, placeholder="Gõ từ cần tìm, có dấu hoặc không dấu",
                          help="Tìm trong nội dung tình hình, tên đơn vị, chủ đề sinh hoạt và ghi chú số liệu.")
    left, right = st.columns([2, 1])
    section = left.selectbox("Mục", views.section_options(), format_func=views.section_label, key=K.TH_SECTION)
    flagged = right.toggle("Chỉ hiện Nổi cộm, Cần quan tâm", key=K.TH_FLAGGED)

    tab_words, tab_topics, tab_notes = st.tabs(["Tình hình theo mục", "Chủ đề sinh hoạt", "Ghi chú số liệu"],
                                               key=K.TH_TABS)
    with tab_words:
        shown = views.filter_narrative(rows, query, section, flagged)
        if rows.empty:
            st.info("Chưa có đơn vị nào báo cáo tình hình (sheet “Tình hình”) trong kỳ đã chọn.")
        elif shown.empty:
            st.info("Không có nội dung nào khớp với điều kiện tìm.")
        for heading, count, text in views.section_blocks(shown):
            st.subheader(f"{heading} ({count})")
            st.markdown(text)
        if not shown.empty:
            table_downloads(views.narrative_table(shown), f"Tình hình đơn vị {label}", "th_words", what="tình hình")
    with tab_topics:
        topics = views.topics_table(views.search(cached(narrative.meeting_topics, db, **window), query,
                                                 ("topic", "unit_name", "cell_name")))
        st.caption(f"{len(topics)} buổi sinh hoạt có ghi chủ đề.")
        table(topics, key="th_topics_table")
        table_downloads(topics, f"Chủ đề sinh hoạt {label}", "th_topics", what="chủ đề")
    with tab_notes:
        notes = views.notes_table(views.search(cached(narrative.element_notes, db, **window), query,
                                               ("note", "unit_name", "element_label", "code")))
        st.caption(f"{len(notes)} ghi chú bên cạnh số liệu trong sheet “Chỉ tiêu”.")
        table(notes, key="th_notes_table")
        table_downloads(notes, f"Ghi chú số liệu {label}", "th_notes", what="ghi chú")
