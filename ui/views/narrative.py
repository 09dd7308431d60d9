"""The page of what units write (Tình hình đơn vị): search, filters, sections with the pressing points first,
meeting topics and the notes beside figures, as display tables and Markdown.

Pure functions over what metrics/narrative.py returned; nothing here queries the database. Every text a
unit typed reaches Markdown only through ui.literal; the display tables carry plain text."""
from __future__ import annotations

import pandas as pd

from core.text import PERIOD_LABELS, QUARTER_LABELS, fmt_auto, fmt_date
from loaders.elements import ELEMENTS_BY_CODE
from loaders.normalize import keys
from metrics.narrative import FLAGGED, LEVEL_LABELS, SECTION_LABELS, SECTIONS
from ui.literal import literal
from ui.views.unit_tree import unique_labels

ALL = ""  # the section filter's "every section"
BADGES = {"NOI_COM": ":red-background[**Nổi cộm**]", "CAN_QUAN_TAM": ":orange-background[**Cần quan tâm**]"}
MEETING_KINDS = {"DINH_KY": "Định kỳ", "CHUYEN_DE": "Chuyên đề"}
MAX_SHOWN = 200  # points shown per section on the page; the Excel/CSV download has them all


def section_options() -> list[str]:
    """The section filter's choices: every section, then each in report order."""
    return [ALL, *SECTIONS]


def section_label(code: str) -> str:
    """'Tất cả các mục' or the section's Vietnamese name."""
    return "Tất cả các mục" if code == ALL else SECTION_LABELS.get(code, code)


def matches(texts: list[str], query: str) -> list[bool]:
    """Which texts contain the query, compared as names are (case, spacing and, when the query has none,
    diacritics ignored: 'no luong' finds 'nợ lương')."""
    query = (query or "").strip()
    if not query:
        return [True] * len(texts)
    exact, bare = keys(query)
    with_marks = exact != bare  # a query typed with diacritics is matched with them
    out = []
    for text in texts:
        folded, folded_bare = keys(text or "")
        out.append(exact in folded if with_marks else bare in folded_bare)
    return out


def _haystack(df: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    parts = [df[c].fillna("").astype(str).tolist() for c in columns if c in df.columns]
    return [" ".join(p) for p in zip(*parts)] if parts else [""] * len(df)


def search(df: pd.DataFrame, query: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows of `df` whose `columns` contain the query (see `matches`)."""
    if df.empty or not (query or "").strip():
        return df
    return df[matches(_haystack(df, columns), query)]


def filter_narrative(df: pd.DataFrame, query: str, section: str = ALL, flagged_only: bool = False) -> pd.DataFrame:
    """The narrative rows of one section (ALL: every one), only Nổi cộm and Cần quan tâm when asked,
    containing the query in the content or the unit's name."""
    out = df
    if section != ALL:
        out = out[out["section"] == section]
    if flagged_only:
        out = out[out["level"].isin(FLAGGED)]
    return search(out, query, ("content", "unit_name", "unit_code"))


def summary(df: pd.DataFrame) -> dict[str, int]:
    """Headline counts: units that wrote, points, Nổi cộm, Cần quan tâm."""
    levels = df["level"].tolist() if not df.empty else []
    return {"Đơn vị có báo cáo": int(df["unit_code"].nunique()) if not df.empty else 0,
            "Số ý kiến": len(df), "Nổi cộm": levels.count("NOI_COM"), "Cần quan tâm": levels.count("CAN_QUAN_TAM")}


def section_blocks(df: pd.DataFrame, limit: int = MAX_SHOWN) -> list[tuple[str, int, str]]:
    """(heading, number of points, Markdown list) per section in report order, the pressing points first
    (the rows come ordered so from metrics.narrative); unit text escaped with ui.literal."""
    out = []
    names = unique_labels(df["unit_code"], df["unit_name"]) if not df.empty else {}
    for code in SECTIONS:
        part = df[df["section"] == code]
        if part.empty:
            continue
        lines = []
        for r in part.head(limit).itertuples(index=False):
            badge = BADGES.get(r.level, "")
            who = f"*{literal(names.get(r.unit_code, r.unit_code))}* ({PERIOD_LABELS.get(r.period, r.period)})"
            lines.append(f"- {badge + ' ' if badge else ''}{literal(r.content)} — {who}")
        if len(part) > limit:
            lines.append(f"- … và {len(part) - limit} ý kiến khác (xem tệp Excel tải về)")
        out.append((SECTION_LABELS[code], len(part), "\n".join(lines)))
    return out


def narrative_table(df: pd.DataFrame) -> pd.DataFrame:
    """The narrative rows for display and download (Vietnamese headers, plain text)."""
    names = unique_labels(df["unit_code"], df["unit_name"]) if not df.empty else {}
    return pd.DataFrame({
        "Mục": [SECTION_LABELS.get(s, s) for s in df["section"]],
        "Mức độ": [LEVEL_LABELS.get(lvl, lvl) for lvl in df["level"]],
        "Đơn vị": [names.get(c, c) for c in df["unit_code"]],
        "Kỳ báo cáo": [PERIOD_LABELS.get(p, p) for p in df["period"]],
        "Nội dung": df["content"].tolist(),
    })


def topics_table(df: pd.DataFrame) -> pd.DataFrame:
    """Meeting topics for display and download."""
    names = unique_labels(df["unit_code"], df["unit_name"]) if not df.empty else {}
    return pd.DataFrame({
        "Ngày": [fmt_date(d) for d in df["meeting_date"]],
        "Đơn vị": [names.get(c, c) for c in df["unit_code"]],
        "Chi bộ": [n if isinstance(n, str) and n else c for c, n in zip(df["cell_code"], df["cell_name"])],
        "Loại sinh hoạt": [MEETING_KINDS.get(k, k) for k in df["kind"]],
        "Chủ đề": df["topic"].tolist(),
    })


def _figure(code: str, value) -> str:
    element = ELEMENTS_BY_CODE.get(code)
    if value is None or value != value:
        return "—"
    if element is not None and element.type == "yesno":
        return "Có" if value else "Không"
    return fmt_auto(value)


def notes_table(df: pd.DataFrame) -> pd.DataFrame:
    """The notes beside figures for display and download."""
    names = unique_labels(df["unit_code"], df["unit_name"]) if not df.empty else {}
    return pd.DataFrame({
        "Đơn vị": [names.get(c, c) for c in df["unit_code"]],
        "Kỳ báo cáo": [PERIOD_LABELS.get(p, p) for p in df["period"]],
        "Mã chỉ tiêu": df["code"].tolist(),
        "Chỉ tiêu": df["element_label"].tolist(),
        "Giá trị": [_figure(c, v) for c, v in zip(df["code"], df["value"])],
        "Ghi chú": df["note"].tolist(),
    })


def report_label(year: int, quarter: int | None) -> str:
    """'Báo cáo sơ kết Quý I/2024' or 'Báo cáo tổng kết năm 2024'."""
    return f"Báo cáo sơ kết {QUARTER_LABELS[quarter]}/{year}" if quarter else f"Báo cáo tổng kết năm {year}"


def window_note(quarter: int | None) -> str:
    """What the compilation covers (the rule of the window's reports, in the reader's words)."""
    if quarter:
        return ("Tổng hợp từ báo cáo của riêng quý đã chọn. Chỉ tiêu trong báo cáo sơ kết tính lũy kế từ đầu năm; "
                "số liệu hoạt động là của riêng quý.")
    return ("Tổng hợp từ báo cáo Năm của mỗi đơn vị; đơn vị chưa có báo cáo Năm thì từ các báo cáo quý trong năm.")
