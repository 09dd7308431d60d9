"""User text is shown as typed, never interpreted (issue 10, item 1): a unit named with a Markdown image, a
javascript: link, an HTML tag, emphasis and a heading, and a file named likewise, reach the page header,
the presentation table, the Plotly charts and the upload preview as literal text.

The hostile unit arrives as real data does: a workbook of a unit new to the list, through the loader, into
a real DuckDB file (tests.test_app_smoke's organisation). The browser counterpart, which looks for <img>
and <a> elements in the DOM, is tests/browser/test_security_browser.py.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from core.storage import open_database
from loaders.store import ingest_bytes
from tests.builders import info_values, write_workbook
from tests.test_access import _app as signed_in
from tests.test_app_smoke import build_org, readable, cells_for, elements, meetings_for, workbook_bytes
from ui import charts, state as K
from ui.literal import literal

HOSTILE_UNIT = ("![x](http://evil.example/a.png) [bấm](javascript:alert(1)) <img src=x onerror=alert(1)> "
                "**đậm** # Tiêu đề")
HOSTILE_CODE = "DB66"
HOSTILE_FILE = "![x](http:evil.example/a.png) <img src=x onerror=alert(1)> [bấm](javascript:alert(1)) **x**.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# what must never appear in a rendered value: the openings of an image, a link, a tag, emphasis
LIVE = ("![", "](", "<img", "<a", "javascript:", "**đậm**", "# Tiêu")


def hostile_org(path: Path, work: Path) -> None:
    """The small organisation plus unit DB66, whose 2024 Q1 workbook names it HOSTILE_UNIT (a unit new to
    the list takes its name from the workbook) and misses the QCDC target, so it is listed as behind."""
    build_org(path, work)
    cells = cells_for(HOSTILE_CODE, "Đảng bộ cơ sở", False)
    wb = write_workbook(work / "hostile.xlsx",
                        info=info_values(HOSTILE_CODE, 2024, "Q1", unit_name=HOSTILE_UNIT, unit_kind="Đảng bộ cơ sở",
                                         member_total=20, staff_total=100),
                        elements=elements(qcdc="Không"), cells=cells, meetings=meetings_for(cells, 2024, range(1, 4)))
    db = open_database(path)
    r = ingest_bytes(db, wb.read_bytes(), "hostile.xlsx", received_at=dt.datetime(2024, 4, 5, 9, 0), add_units=True)
    assert r.status == "accepted", [i.message for i in r.errors]
    assert db.query_value("SELECT name FROM units WHERE code = ?", [HOSTILE_CODE]) == HOSTILE_UNIT
    db.cursor().execute("CHECKPOINT")


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("literal")
    path = base / "org.duckdb"
    hostile_org(path, base)
    return path


def _app(org: Path, monkeypatch, user: str = "lanhdao", **query) -> AppTest:
    """The app signed in as `user` (the leadership by default), year 2024 and `query` in the link."""
    return signed_in(org, monkeypatch, user=user, **query)


def _open(at: AppTest, page: str, title: str) -> AppTest:
    at.switch_page(page).run()
    if not at.title or at.title[0].value != title:  # Streamlit's first run may still be the old page
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def assert_literal(value: str, original: str) -> None:
    """`value` shows `original` as text (decoded references) and holds none of its live syntax."""
    assert literal(original) in value, value
    assert original in readable(value)
    for opening in LIVE:
        assert opening not in value, (opening, value)


def chart_texts(at: AppTest) -> list[str]:
    """Every string inside every Plotly figure of the page (the JSON Streamlit sends to the browser)."""
    out: list[str] = []

    def walk(node) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for el in at.get("plotly_chart"):
        walk(json.loads(el.proto.spec))
    return out


# ------------------------------------------------------------------ the helper itself
def test_literal_disarms_markdown_html_and_directives():
    shown = literal(HOSTILE_UNIT + " :red[x] $x$ www.evil.example a@b.example\n# h\n---")
    bare = re.sub(r"&#\d+;", "", shown)  # what is left besides the references
    for ch in "[]()<>!*#:$@.\n-":
        assert ch not in bare, ch
    # GFM links bare URLs and e-mail addresses in the decoded text, but only at the start of a word
    decoded = html.unescape(shown)
    assert not re.search(r"(?<![\w\u2060])(https?://|www\.)", decoded) and "\u2060@" in decoded
    assert literal(None) == "" and literal(42) == "42"
    assert literal("Đảng bộ Công ty Điện lực, 50% / năm?") == "Đảng bộ Công ty Điện lực, 50% / năm?"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\t\x0b\x0c\u2060")))
def test_literal_is_undone_by_decoding_references(text):
    """What the reader sees (references decoded, invisible joiners aside) is exactly what was typed."""
    assert readable(literal(text)) == text


def test_every_chart_text_is_literal_but_the_builders_line_breaks_stay():
    df = pd.DataFrame({"Đơn vị": [HOSTILE_UNIT, "Đảng bộ <b>B</b>"], "Số đơn": [3, 1],
                       "Tình trạng": ["<a href='javascript:x'>q</a>", "Đang giải quyết"]})
    fig = charts.bars(df, "Đơn vị", "Số đơn", f"{HOSTILE_UNIT} nhiều nhất: 3/4 đơn", color="Tình trạng",
                      horizontal=True)
    spec = fig.to_json()
    assert "<img" not in spec and "<a" not in spec and "<b>" not in spec and "](" not in spec
    assert HOSTILE_UNIT in readable(fig.layout.title.text.replace("<br>", " "))  # wrapped, shown whole
    wrapped = charts.value_vs_target(pd.DataFrame({
        "label": ["I04 Chi bộ triển khai mô hình Chi bộ 4 tốt"], "name": ["x"], "value": [50.0], "status": ["met"],
        "target_low": [None], "target_high": [None], "target_text": ["—"], "status_text": ["✓ Đạt"],
        "value_text": ["50,0%"]}), "t")
    assert "I04 Chi bộ triển khai mô<br>hình Chi bộ 4 tốt" in list(wrapped.data[0].y)


# ------------------------------------------------------------------ the pages
def test_page_header_shows_a_hostile_unit_name_literally(org, monkeypatch):
    """?unit=DB66 for the leadership: the scope line under the title holds the name as text."""
    at = _app(org, monkeypatch, unit=HOSTILE_CODE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key=K.UNIT).value == HOSTILE_CODE
    assert_literal(at.caption[0].value, HOSTILE_UNIT)


def test_charts_and_presentation_table_show_it_literally(org, monkeypatch):
    """The whole organisation: the completeness heatmap (units as rows), the unit comparison heatmap and
    the presentation-mode scorecard table (st.table renders Markdown) carry the name only as text."""
    at = _open(_app(org, monkeypatch).run(), "pages/nop_bao_cao.py", "Nộp báo cáo")
    texts = chart_texts(at)
    assert any(literal(HOSTILE_UNIT) in t for t in texts)
    assert not [t for t in texts if any(o in t for o in LIVE)]
    at = _open(at, "pages/so_sanh.py", "So sánh đơn vị")
    texts = chart_texts(at)
    assert any(literal(HOSTILE_UNIT) in t for t in texts)
    assert not [t for t in texts if any(o in t for o in LIVE)]

    present = _app(org, monkeypatch, present="1").run()
    assert not present.exception
    cells = [str(v) for t in present.table for v in t.value.to_numpy().ravel()]
    behind = [c for c in cells if literal(HOSTILE_UNIT) in c]
    assert behind, "DB66 misses the QCDC target, so the scorecard lists it as behind"
    for cell in cells:
        assert not any(o in cell for o in LIVE), cell


def test_upload_preview_shows_a_hostile_file_name_literally(org, monkeypatch, tmp_path):
    """A file named with an image, a tag and a link: the preview line and the result show its name as text."""
    at = _open(_app(org, monkeypatch, user="admin").run(), "pages/nop_bao_cao.py", "Nộp báo cáo")
    data = workbook_bytes(tmp_path, "DB02", 2024, "Q3")
    at.file_uploader(key=f"{K.UP_FILES}_0").set_value((HOSTILE_FILE, data, XLSX)).run()
    assert not at.exception
    lines = [m.value for m in at.markdown if literal(HOSTILE_FILE) in m.value]
    assert lines, [m.value for m in at.markdown]
    assert_literal(lines[0], HOSTILE_FILE)
    at.button(key=K.UP_CONFIRM).click().run()
    assert not at.exception
    done = [s.value for s in at.success]
    assert done and literal(HOSTILE_FILE) in done[0]
    assert_literal(done[0], HOSTILE_FILE)
