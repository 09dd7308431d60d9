"""What units say, not only what they count (issue 12): the narrative of sheet `Tình hình`, the topics of
their cell meetings and the notes beside their figures, compiled for a scope and a window.

Every function runs over the engine's own CTEs (`engine.window_query`), so the rule of the window's reports
holds here exactly as for the figures: only reports whose period lies in the window; for a full year a
unit's `Năm` report when it has one, otherwise its quarterly reports; a replaced or withdrawn report never.
With a quarter, the compilation is that quarter's own reports (what units wrote for the quarter), as the
activity figures are; indicators stay year to date. Narrative is not personal data: every role that may
view the scope reads it (the principal is authorised for the scope, nothing is masked).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.auth import Principal
from loaders.elements import ELEMENTS_BY_CODE
from loaders.schema import ENUMS
from metrics.engine import window_query

SECTIONS: tuple[str, ...] = tuple(ENUMS["narrative_section"])  # codes, in the order reports compile them
SECTION_LABELS: dict[str, str] = {code: labels[0] for code, labels in ENUMS["narrative_section"].items()}
LEVELS: tuple[str, ...] = ("NOI_COM", "CAN_QUAN_TAM", "BINH_THUONG")  # the most pressing first
LEVEL_LABELS: dict[str, str] = {code: labels[0] for code, labels in ENUMS["narrative_level"].items()}
FLAGGED: tuple[str, ...] = ("NOI_COM", "CAN_QUAN_TAM")

NARRATIVE_COLUMNS = ("section", "level", "unit_code", "unit_name", "period", "excel_row", "content",
                     "submission_id", "file_name", "received_at")


def _rank(column: str, codes: tuple[str, ...]) -> str:
    """SQL ranking a column by the declared order of its codes (unknown codes last)."""
    whens = " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(codes))
    return f"CASE {column} {whens} ELSE {len(codes)} END"


def _window(year: int, quarter: int | None, unit: str | None, as_of: dt.date | None,
            principal: Principal | None) -> dict:
    # a quarter means that quarter's reports alone (metrics.history.activities_by_unit does the same)
    return dict(year=year, quarter=quarter, unit=unit, as_of=as_of, single_quarter=quarter is not None,
                principal=principal)


def narrative_rows(db, *, year: int, quarter: int | None = None, unit: str | None = None,
                   as_of: dt.date | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """Every `Tình hình` row of the window's reports in scope: section, level, unit_code, unit_name, period
    (of the report it came from), excel_row, content, submission_id, file_name, received_at; ordered by
    section, then Nổi cộm and Cần quan tâm before the rest, then unit, period and the unit's own row order."""
    return window_query(db, f"""
        SELECT n.section, n.level, u.unit_code, coalesce(un.name, s.unit_name, u.unit_code) AS unit_name,
               u.period, n.excel_row, n.content, u.id AS submission_id, s.file_name, s.received_at
        FROM used u JOIN narratives n ON n.submission_id = u.id
        JOIN submissions s ON s.id = u.id LEFT JOIN units un ON un.code = u.unit_code
        ORDER BY {_rank('n.section', SECTIONS)}, {_rank('n.level', LEVELS)}, u.unit_code, u.prank, n.excel_row""",
        **_window(year, quarter, unit, as_of, principal))


def meeting_topics(db, *, year: int, quarter: int | None = None, unit: str | None = None,
                   as_of: dt.date | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """The topic (`Sinh hoạt.Chủ đề`) of every cell meeting of the window that has one: unit_code,
    unit_name, cell_code, cell_name, meeting_date, kind (DINH_KY | CHUYEN_DE), topic. A meeting listed by
    several of the window's reports is the later report's row, as the engine counts it; meetings are
    those dated in the window up to the as-of date. Ordered by date, unit, cell."""
    return window_query(db, """
        SELECT m.unit_code, coalesce(un.name, m.unit_code) AS unit_name, m.cell_code, c.cell_name,
               m.meeting_date, m.kind, m.topic
        FROM (SELECT w.unit_code, w.id AS submission_id, t.cell_code, t.meeting_date, t.kind, t.topic,
                     row_number() OVER (PARTITION BY w.unit_code, t.cell_code, t.meeting_date, t.kind
                                        ORDER BY w.year DESC, w.prank DESC, t.excel_row DESC) AS rn
              FROM win w JOIN meetings t ON t.submission_id = w.id
              WHERE t.meeting_date BETWEEN $start AND $end_asof) m
        LEFT JOIN cells c ON c.submission_id = m.submission_id AND c.cell_code = m.cell_code
        LEFT JOIN units un ON un.code = m.unit_code
        WHERE m.rn = 1 AND m.topic IS NOT NULL AND trim(m.topic) <> ''
        ORDER BY m.meeting_date, m.unit_code, m.cell_code, m.kind""",
        **_window(year, quarter, unit, as_of, principal))


def element_notes(db, *, year: int, quarter: int | None = None, unit: str | None = None,
                  as_of: dt.date | None = None, principal: Principal | None = None) -> pd.DataFrame:
    """The note (`Chỉ tiêu.Ghi chú`) beside each figure of the window's reports that has one: unit_code,
    unit_name, period, code, element_label (the catalogue's, or what the row says for an unknown code),
    value (as stored: yes/no as 1/0, empty = not reported), raw_value (as typed), note. Ordered by unit,
    period, row."""
    df = window_query(db, """
        SELECT u.unit_code, coalesce(un.name, u.unit_code) AS unit_name, u.period, e.code, e.known, e.content,
               e.value, e.raw_value, e.note
        FROM used u JOIN elements e ON e.submission_id = u.id LEFT JOIN units un ON un.code = u.unit_code
        WHERE e.note IS NOT NULL AND trim(e.note) <> ''
        ORDER BY u.unit_code, u.prank, e.excel_row""", **_window(year, quarter, unit, as_of, principal))
    labels = [ELEMENTS_BY_CODE[c].label if k and c in ELEMENTS_BY_CODE else (t or "")
              for c, k, t in zip(df["code"], df["known"], df["content"])]
    df.insert(4, "element_label", pd.Series(labels, index=df.index, dtype=object))
    return df.drop(columns=["known", "content"])
