"""The page Tình hình đơn vị (issue 12) under AppTest: sections with the pressing points first, search with
or without diacritics, the section filter and the toggle, meeting topics and figure notes, the exports and
the report buttons; user text shown literally (ui.literal) and neutralised in the exports; the leadership
reads it, a unit account only its own scope."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from core.storage import open_database
from loaders.store import ingest_bytes
from metrics import narrative as N
from metrics.export import table_csv, table_xlsx
from tests.builders import sign_in
from tests.test_app_smoke import build_org, open_page, readable, received, signed_in_app, workbook_bytes
from ui import state as K
from ui.views import narrative as views

PAGE = "pages/tinh_hinh.py"
HOSTILE = "+HYPERLINK(\"http://evil.example\",\"Bấm\") ![ảnh](http://evil.example/a.png) <b>đậm</b>"
WORDS = {
    "DB01": [("Tình hình tư tưởng", "Cán bộ, đảng viên yên tâm công tác.", None),
             ("Tình hình tư tưởng", "Người lao động lo chậm trả lương hai tháng.", "Nổi cộm"),
             ("Kiến nghị, đề xuất", "Đề nghị mở lớp bồi dưỡng cấp ủy viên.", None)],
    "DB02": [("Dư luận xã hội", "Người dân phản ánh áp lực nước yếu.", "Cần quan tâm"),
             ("Kiến nghị", HOSTILE, None)],
    "CB03": [("Tình hình tư tưởng", "Tư tưởng ổn định, đoàn kết.", None)],
}


@pytest.fixture(scope="module")
def org_db(tmp_path_factory) -> Path:
    """The small organisation of the app tests, with its 2024 Q1 reports sent again carrying `Tình hình`
    rows, meeting topics and a note beside a figure."""
    base = tmp_path_factory.mktemp("org_words")
    path = base / "org.duckdb"
    build_org(path, base)
    db = open_database(path)
    for unit, lines in WORDS.items():
        rows = [{"section": s, "content": c, "level": lvl} for s, c, lvl in lines]
        extra = {"narratives": rows}
        if unit == "DB01":
            extra["elements"] = [{"code": "DOI_THOAI", "raw_value": 2, "note": "Một buổi theo đề nghị của Công đoàn"}]
        data = workbook_bytes(base, unit, 2024, "Q1", **extra)
        r = ingest_bytes(db, data, f"{unit}_2024_Q1_tinh_hinh.xlsx", received_at=received(2024, "Q1"),
                         uploader="Văn phòng")
        assert r.status == "accepted", [i.message for i in r.errors]
    db.close()
    return path


@pytest.fixture
def app(org_db, monkeypatch):
    at = signed_in_app(org_db, monkeypatch)
    at.query_params["quarter"] = "1"
    return at


def markdown(at) -> str:
    return readable("\n".join(m.value for m in at.markdown))


def test_sections_with_the_pressing_points_first(app):
    at = open_page(app, PAGE)
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert at.title[0].value == "Tình hình đơn vị"
    cards = {m.label: m.value for m in at.metric}
    assert cards == {"Đơn vị có báo cáo": "3", "Số ý kiến": "6", "Nổi cộm": "1", "Cần quan tâm": "1"}
    heads = [s.value for s in at.subheader]
    assert heads == ["Tình hình tư tưởng (3)", "Dư luận xã hội (1)", "Kiến nghị, đề xuất (2)"]
    text = markdown(at)
    first = text.index("Người lao động lo chậm trả lương")
    assert first < text.index("Cán bộ, đảng viên yên tâm") and first < text.index("Tư tưởng ổn định")
    assert "Nổi cộm" in text and "Cần quan tâm" in text
    labels = [b.label for b in at.get("download_button")]
    assert "Báo cáo sơ kết Quý I/2024 (Word)" in labels and "Báo cáo sơ kết Quý I/2024 (PDF)" in labels
    assert "Tải tình hình (Excel)" in labels and "Tải tình hình (CSV)" in labels


def test_user_text_is_shown_literally(app):
    """A unit's text with a link, an image and HTML reaches Markdown escaped: it reads as typed."""
    at = open_page(app, PAGE)
    raw = "\n".join(m.value for m in at.markdown)
    assert "![ảnh](http" not in raw and "<b>" not in raw  # nothing Markdown or HTML would act on
    assert HOSTILE in markdown(at)  # and the reader sees exactly what was typed


def test_search_with_or_without_diacritics_and_the_filters(app):
    at = open_page(app, PAGE)
    at.text_input(key=K.TH_SEARCH).input("tra luong").run()  # no diacritics: finds "trả lương"
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Tình hình tư tưởng (1)"]
    assert "lo chậm trả lương" in markdown(at)
    at.text_input(key=K.TH_SEARCH).input("Đảng bộ Công ty Cấp thoát nước").run()  # a unit's name
    assert [s.value for s in at.subheader] == ["Dư luận xã hội (1)", "Kiến nghị, đề xuất (1)"]
    at.text_input(key=K.TH_SEARCH).input("").run()
    at.selectbox(key=K.TH_SECTION).set_value("KIEN_NGHI").run()
    assert [s.value for s in at.subheader] == ["Kiến nghị, đề xuất (2)"]
    at.selectbox(key=K.TH_SECTION).set_value("").run()
    at.toggle(key=K.TH_FLAGGED).set_value(True).run()
    assert [s.value for s in at.subheader] == ["Tình hình tư tưởng (1)", "Dư luận xã hội (1)"]
    at.text_input(key=K.TH_SEARCH).input("không có chữ này").run()
    assert any("Không có nội dung nào khớp" in i.value for i in at.info)


def test_meeting_topics_and_figure_notes_are_shown(app):
    at = open_page(app, PAGE)
    frames = {tuple(d.value.columns): d.value for d in at.dataframe}
    notes = frames[("Đơn vị", "Kỳ báo cáo", "Mã chỉ tiêu", "Chỉ tiêu", "Giá trị", "Ghi chú")]
    assert notes.to_dict("records") == [{
        "Đơn vị": "Đảng bộ Công ty Điện lực", "Kỳ báo cáo": "Quý I", "Mã chỉ tiêu": "DOI_THOAI",
        "Chỉ tiêu": "Số buổi đối thoại với cán bộ, người lao động", "Giá trị": "2",
        "Ghi chú": "Một buổi theo đề nghị của Công đoàn"}]
    assert ("Ngày", "Đơn vị", "Chi bộ", "Loại sinh hoạt", "Chủ đề") in frames  # the small org's meetings have none
    at.text_input(key=K.TH_SEARCH).input("cong doan").run()
    frames = {tuple(d.value.columns): d.value for d in at.dataframe}
    assert len(frames[("Đơn vị", "Kỳ báo cáo", "Mã chỉ tiêu", "Chỉ tiêu", "Giá trị", "Ghi chú")]) == 1


def test_the_exported_table_is_what_the_page_shows_neutralised(org_db):
    """The page exports views.narrative_table of its filtered rows (ui.page.table_downloads): read back
    from Excel and CSV, every row is there and the formula a unit typed is text."""
    from core.auth import OPERATOR

    db = open_database(org_db)  # the app's own connection to this file (not closed: the pages use it)
    rows = N.narrative_rows(db, year=2024, quarter=1, principal=OPERATOR)
    table = views.narrative_table(views.filter_narrative(rows, "", "KIEN_NGHI"))
    assert table["Nội dung"].tolist() == ["Đề nghị mở lớp bồi dưỡng cấp ủy viên.", HOSTILE]
    ws = load_workbook(io.BytesIO(table_xlsx(table, title="Tình hình"))).active
    contents = [r[4].value for r in ws.iter_rows(min_row=4) if r[4].value]
    assert contents[1] == "'" + HOSTILE
    csv = pd.read_csv(io.BytesIO(table_csv(table)), encoding="utf-8-sig")
    assert csv["Nội dung"].tolist()[1].startswith("'+HYPERLINK")


def test_the_leadership_reads_it_and_a_unit_account_its_own_scope(org_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_app_smoke import APP

    monkeypatch.setenv("DASHBOARD_DB", str(org_db))
    leader = sign_in(AppTest.from_file(str(APP), default_timeout=60), org_db, "lanhdao")
    leader.query_params.update({"year": "2024", "quarter": "1"})
    at = open_page(leader, PAGE)
    assert not at.exception and not at.error
    assert "Người lao động lo chậm trả lương" in markdown(at)  # not personal data: shown as written
    unit = sign_in(AppTest.from_file(str(APP), default_timeout=60), org_db, "donvi_db01")
    unit.query_params.update({"year": "2024", "quarter": "1"})
    at = open_page(unit, PAGE)
    assert not at.exception and not at.error
    text = markdown(at)
    assert "Cán bộ, đảng viên yên tâm công tác" in text and "áp lực nước" not in text
