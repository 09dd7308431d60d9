"""What units say (issue 12), stored and compiled on both backends: rows of a submission (a replacement
replaces them, a withdrawal takes them out), the window's reports rule (a quarter is its own reports; a
full year the Năm report when there is one, else the quarters), the order (section, Nổi cộm and Cần quan
tâm first), meeting topics and figure notes, and who may read them (every role that views the scope)."""
from __future__ import annotations

import datetime as dt

import pytest

from core.auth import Principal
from core.errors import DashboardError
from metrics import narrative as N
from tests.metric_fixtures import Org, meeting

AS_OF = dt.date(2025, 3, 1)


def say(section: str, content: str, level: str | None = None) -> dict:
    return {"section": section, "content": content, "level": level}


@pytest.fixture
def org(tmp_path):
    o = Org(tmp_path)
    o.units([("DB01", "Đảng bộ Một", "DBCS", None, None), ("CB01", "Chi bộ Hai", "CBCS", None, None),
             ("DBCT", "Đảng bộ Cấp trên", "DBCT", None, None), ("CB02", "Chi bộ Ba", "CBCS", "DBCT", None)])
    yield o
    o.db.close()


def rows(df) -> list[tuple]:
    return [(u, p, s, lvl, c) for u, p, s, lvl, c in
            zip(df["unit_code"], df["period"], df["section"], df["level"], df["content"])]


def test_rows_are_stored_with_their_submission_and_compiled_in_order(org):
    org.report("DB01", 2024, "Q1", narratives=[
        say("Kiến nghị", "DB01 kiến nghị."), say("Tình hình tư tưởng", "DB01 ổn định."),
        say("Tình hình tư tưởng", "DB01 lo lắng việc làm.", "Cần quan tâm")])
    org.report("CB01", 2024, "Q1", narratives=[say("Tư tưởng", "CB01 ổn định."),
                                               say("Tình hình tư tưởng", "CB01 nợ lương.", "Nổi cộm")])
    org.report("CB02", 2024, "Q1")  # a workbook without the sheet (v1): valid, says nothing
    stored = org.db.query_rows("SELECT section, level, content, excel_row FROM narratives ORDER BY submission_id, "
                               "excel_row")
    assert len(stored) == 5 and stored[0] == ("KIEN_NGHI", "BINH_THUONG", "DB01 kiến nghị.", 3)
    df = N.narrative_rows(org.db, year=2024, quarter=1, as_of=AS_OF)
    assert rows(df) == [
        ("CB01", "Q1", "TU_TUONG", "NOI_COM", "CB01 nợ lương."),
        ("DB01", "Q1", "TU_TUONG", "CAN_QUAN_TAM", "DB01 lo lắng việc làm."),
        ("CB01", "Q1", "TU_TUONG", "BINH_THUONG", "CB01 ổn định."),
        ("DB01", "Q1", "TU_TUONG", "BINH_THUONG", "DB01 ổn định."),
        ("DB01", "Q1", "KIEN_NGHI", "BINH_THUONG", "DB01 kiến nghị."),
    ]
    assert list(df.columns) == list(N.NARRATIVE_COLUMNS)
    assert set(df["unit_name"]) == {"Đảng bộ Một", "Chi bộ Hai"}  # the unit list's names


def test_a_replacement_replaces_the_rows_and_a_withdrawal_takes_them_out(org):
    from ops.corrections import withdraw_report

    org.report("DB01", 2024, "Q1", narratives=[say("Kiến nghị", "Bản đầu.")])
    second = org.report("DB01", 2024, "Q1", narratives=[say("Kiến nghị", "Bản sửa.")],
                        received=dt.datetime(2024, 4, 9, 9))
    assert second.replaced_previous
    assert list(N.narrative_rows(org.db, year=2024, quarter=1, as_of=AS_OF)["content"]) == ["Bản sửa."]
    withdraw_report(org.db, second.submission_id, reason="nộp nhầm")
    assert list(N.narrative_rows(org.db, year=2024, quarter=1, as_of=AS_OF)["content"]) == ["Bản đầu."]


def test_the_window_is_its_own_reports(org):
    """A quarter: that quarter's reports alone. A full year: the Năm report of a unit that sent one (its
    quarters are superseded), the quarters of a unit that did not. Another year's reports never."""
    for period in ("Q1", "Q2"):
        org.report("DB01", 2024, period, narratives=[say("Kết quả nổi bật", f"DB01 {period}.")])
        org.report("CB01", 2024, period, narratives=[say("Kết quả nổi bật", f"CB01 {period}.")])
    org.report("DB01", 2024, "Y", narratives=[say("Kết quả nổi bật", "DB01 cả năm.")])
    org.report("DB01", 2025, "Q1", narratives=[say("Kết quả nổi bật", "DB01 năm sau.")])
    q2 = N.narrative_rows(org.db, year=2024, quarter=2, as_of=AS_OF)
    assert sorted(q2["content"]) == ["CB01 Q2.", "DB01 Q2."]
    year = N.narrative_rows(org.db, year=2024, as_of=AS_OF)
    assert rows(year) == [("CB01", "Q1", "KET_QUA", "BINH_THUONG", "CB01 Q1."),
                          ("CB01", "Q2", "KET_QUA", "BINH_THUONG", "CB01 Q2."),
                          ("DB01", "Y", "KET_QUA", "BINH_THUONG", "DB01 cả năm.")]


def test_scope_is_the_unit_and_everything_below_it(org):
    org.report("DB01", 2024, "Q1", narratives=[say("Kiến nghị", "DB01.")])
    org.report("CB02", 2024, "Q1", narratives=[say("Kiến nghị", "CB02 dưới DBCT.")])
    assert list(N.narrative_rows(org.db, year=2024, quarter=1, unit="DBCT", as_of=AS_OF)["content"]) == \
        ["CB02 dưới DBCT."]
    assert N.narrative_rows(org.db, year=2024, quarter=1, unit="CB01", as_of=AS_OF).empty


def test_meeting_topics_follow_the_engine_meetings(org):
    """Topics of the window's meetings: a meeting listed again by a later report takes that report's row;
    blank topics are left out; a meeting dated after the as-of date is not there yet."""
    org.report("DB01", 2024, "Q1", meetings=[
        meeting("DB01-CB1", dt.date(2024, 2, 5), topic="Học tập Chuyên đề năm 2024"),
        meeting("DB01-CB1", dt.date(2024, 3, 5), topic="Bản đầu"),
        meeting("DB01-CB2", dt.date(2024, 3, 7), "CD", topic="Chuyển đổi số"),
        meeting("DB01-CB2", dt.date(2024, 3, 8), topic=None)])
    org.report("DB01", 2024, "Q2", meetings=[
        meeting("DB01-CB1", dt.date(2024, 3, 5), topic="Bản sửa ở báo cáo quý II"),
        meeting("DB01-CB1", dt.date(2024, 5, 5), topic="Tháng 5")])
    q1 = N.meeting_topics(org.db, year=2024, quarter=1, as_of=AS_OF)
    assert [(str(d)[:10], c, k, t) for d, c, k, t in zip(q1["meeting_date"], q1["cell_code"], q1["kind"], q1["topic"])] == [
        ("2024-02-05", "DB01-CB1", "DINH_KY", "Học tập Chuyên đề năm 2024"),
        ("2024-03-05", "DB01-CB1", "DINH_KY", "Bản đầu"),
        ("2024-03-07", "DB01-CB2", "CHUYEN_DE", "Chuyển đổi số")]
    assert q1["cell_name"].tolist()[:1] == ["Chi bộ DB01-CB1"]
    year = N.meeting_topics(org.db, year=2024, as_of=AS_OF)
    assert year["topic"].tolist() == ["Học tập Chuyên đề năm 2024", "Bản sửa ở báo cáo quý II", "Chuyển đổi số",
                                      "Tháng 5"]
    early = N.meeting_topics(org.db, year=2024, as_of=dt.date(2024, 4, 30))
    assert "Tháng 5" not in early["topic"].tolist()


def test_figure_notes_are_listed_with_the_catalogue_label(org):
    from tests.builders import info_values, write_workbook

    org.report("DB01", 2024, "Q1", elements={"DOI_THOAI": 3})  # no notes at all

    path = write_workbook(org.dir / "notes.xlsx", info=info_values("CB01", 2024, "Q1", unit_kind="Chi bộ cơ sở",
                                                                   unit_name="Đơn vị CB01"),
                          elements=[{"code": "DOI_THOAI", "raw_value": 2, "note": "Một buổi đột xuất"},
                                    {"code": "MA_LA", "raw_value": 1, "content": "Chỉ tiêu riêng", "note": "Ghi chú"},
                                    {"code": "TIEP_DAN", "raw_value": 4, "note": "  "}],
                          cells=[{"cell_code": "CB01", "cell_name": "Chi bộ Hai", "cell_kind": "Chi bộ cơ sở",
                                  "members": 9}])
    assert org.upload(path, dt.datetime(2024, 4, 3, 9)).status == "accepted"
    notes = N.element_notes(org.db, year=2024, quarter=1, as_of=AS_OF)
    assert [(u, c, lbl, v, n) for u, c, lbl, v, n in zip(notes["unit_code"], notes["code"], notes["element_label"],
                                                         notes["value"].astype(object).where(notes["value"].notna(), None), notes["note"])] == [
        ("CB01", "DOI_THOAI", "Số buổi đối thoại với cán bộ, người lao động", 2.0, "Một buổi đột xuất"),
        ("CB01", "MA_LA", "Chỉ tiêu riêng", None, "Ghi chú")]


def test_every_role_that_views_the_scope_reads_it_and_no_one_else(org):
    """Narrative is not personal data: the leadership reads it as it is; a unit account only its scope."""
    org.report("DB01", 2024, "Q1", narratives=[say("Kiến nghị", "Đề nghị của DB01.")])
    org.report("CB01", 2024, "Q1", narratives=[say("Kiến nghị", "Đề nghị của CB01.")])
    leader = Principal("lanhdao", "lanh_dao", "ROOT")
    assert sorted(N.narrative_rows(org.db, year=2024, quarter=1, as_of=AS_OF, principal=leader)["content"]) == \
        ["Đề nghị của CB01.", "Đề nghị của DB01."]
    unit = Principal("donvi_db01", "don_vi", "DB01")
    assert list(N.narrative_rows(org.db, year=2024, quarter=1, as_of=AS_OF, principal=unit)["content"]) == \
        ["Đề nghị của DB01."]
    for fn in (N.narrative_rows, N.meeting_topics, N.element_notes):
        with pytest.raises(DashboardError, match="không có quyền xem"):
            fn(org.db, year=2024, quarter=1, unit="CB01", as_of=AS_OF, principal=unit)
