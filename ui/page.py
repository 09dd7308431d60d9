"""Helpers every page uses: title line, error display, presentation CSS, charts, tables, downloads."""
from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from typing import Callable, Iterator

import pandas as pd
import streamlit as st

from core.errors import DashboardError
from metrics import export
from ui.views import submissions
from ui import state as K
from ui.filters import Filters, exit_presentation
from ui.literal import literal
from core.text import fmt_auto, window_label

# Streamlit's file uploader speaks English ("Upload", "20MB per file") and has no setting for it: its own
# texts are hidden and the button says "Chọn tệp"; the page writes the limit in Vietnamese beside it.
_COMMON_CSS = """
[data-testid="stFileUploaderDropzoneInstructions"] { display: none !important; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] { display: none !important; }
[data-testid="stFileUploaderDropzone"] button span[data-has-shortcut]::after { content: "Chọn tệp"; }
"""

_PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stDecoration"], [data-testid="stToolbarActions"], [data-testid="stMainMenu"] { display: none !important; }
html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 21px !important; }
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.1rem !important; }
h1 { font-size: 2.6rem !important; } h2 { font-size: 2.1rem !important; } h3 { font-size: 1.7rem !important; }
[data-testid="stMetricValue"] { font-size: 3.2rem !important; }
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: 3rem !important; line-height: 1.2; }
.block-container { padding-top: 1.2rem !important; max-width: 100% !important; }
[data-testid="stDataFrame"], [data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.15rem !important; }
""" + _COMMON_CSS + "</style>"

_BASE_CSS = """<style>
[data-testid="stMetricValue"] { font-size: 2.2rem; }
.block-container { padding-top: 1.2rem !important; }
h1 { font-size: 2.1rem !important; padding-bottom: 0.2rem !important; }
""" + _COMMON_CSS + "</style>"


def apply_style(present: bool) -> None:
    """Inject the base CSS, and the projector CSS in presentation mode (hides sidebar, larger fonts)."""
    st.markdown(_PRESENT_CSS if present else _BASE_CSS, unsafe_allow_html=True)


def header(title: str, f: Filters) -> None:
    """Page title plus one line saying which unit and window the figures are for."""
    st.title(title)
    # unit names and codes come from workbooks and unit lists: shown as typed, never as Markdown
    name, code = literal(f.unit_name), literal(f.unit)
    scope = name if f.is_root else f"{name} ({code}) và các đơn vị trực thuộc"
    line = f"**{scope}** — {window_label(f.year, f.quarter)}; số liệu tính đến {f.as_of:%d/%m/%Y}"
    if not f.present:
        st.caption(line)
        return
    cols = st.columns([5, 1], vertical_alignment="center")
    cols[0].markdown(f"### {line}")  # large, for the back of the room
    cols[1].button("Thoát trình chiếu", key=K.OV_EXIT_PRESENT, on_click=exit_presentation,
                   icon=":material/close_fullscreen:")


@contextmanager
def shown_errors() -> Iterator[None]:
    """Run page code; an expected failure (DashboardError) is shown as a Vietnamese error, nothing else is caught."""
    try:
        yield
    except DashboardError as exc:
        st.error(literal(exc.message), icon="🚫")  # messages quote what users typed or uploaded
        if exc.issues:
            st.dataframe(submissions.issues_table(exc.issues), hide_index=True)


def chart(fig, key: str, *, toolbar: bool = False) -> None:
    """Show a Plotly figure full width, without the Plotly logo; Plotly's mode bar only with `toolbar=True`
    and never when presenting."""
    # the mode bar floats over the top right of the figure, i.e. over the (left-aligned, wrapped) title of
    # any chart in a column; Streamlit's own element toolbar still offers full screen
    shown = toolbar and not st.session_state.get(K.PRESENT)
    st.plotly_chart(fig, key=key, width="stretch", theme=None,
                    config={"displaylogo": False, "locale": "vi", "responsive": True, "displayModeBar": shown})


def table(df: pd.DataFrame, *, key: str, height: int | str = "auto", column_config: dict | None = None,
          present: bool = False, row_height: int | None = None) -> None:
    """A read-only table without the index (a static HTML table when presenting: it scales with the fonts);
    `row_height` in pixels for a table that must fit one screen."""
    df = display_frame(df)
    if present:  # st.table renders its cells as Markdown, unlike st.dataframe
        st.table(literal_frame(df), hide_index=True)
        return
    st.dataframe(df, hide_index=True, key=key, height=height, column_config=column_config, row_height=row_height)


def display_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table as the reader sees it: numbers in Vietnamese format (1.234,5; a grid would show 77.3),
    nothing missing written "None" (—). Exports take the original frame: numbers stay numbers there."""
    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if pd.api.types.is_bool_dtype(col):
            continue
        if pd.api.types.is_numeric_dtype(col) and _is_year(out.columns[i]):  # 2026, not "2.026"
            out.isetitem(i, pd.Series([fmt_auto(v).replace(".", "") for v in col], index=out.index, dtype=object))
        elif pd.api.types.is_numeric_dtype(col):
            out.isetitem(i, pd.Series([fmt_auto(v) for v in col], index=out.index, dtype=object))
        elif col.dtype == object and col.isna().any():
            out.isetitem(i, col.astype(object).where(col.notna(), "—"))
    return out


def _is_year(header: object) -> bool:
    """A column of years ("Năm", "Năm báo cáo"): a year is a name, written without a thousands separator."""
    return str(header) == "Năm" or str(header).startswith("Năm ")


def literal_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells and column names show literally where Markdown is rendered."""
    out = df.copy()
    for i in range(out.shape[1]):  # by position: a display table may repeat a column name
        col = out.iloc[:, i]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            out.isetitem(i, pd.Series([literal(v) if isinstance(v, str) else v for v in col], index=out.index,
                                      dtype=object))
    out.columns = [literal(c) if isinstance(c, str) else c for c in out.columns]
    return out


def slug(text: str) -> str:
    """An ASCII file-name part from Vietnamese text ('Đơn thư 2024' → 'don-thu-2024')."""
    bare = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in bare if unicodedata.category(c) != "Mn")
    return re.sub(r"[^a-zA-Z0-9]+", "-", bare).strip("-").lower() or "bang"


def table_downloads(df: pd.DataFrame, title: str, key: str, what: str | None = None) -> None:
    """'Tải <what> (Excel)' and 'Tải <what> (CSV)' buttons for a table, side by side (generated only when
    clicked); without `what` the labels are 'Tải Excel' and 'Tải CSV'."""
    if df is None:
        return
    name = slug(title)
    xlsx_label, csv_label = (f"Tải {what} (Excel)", f"Tải {what} (CSV)") if what else ("Tải Excel", "Tải CSV")
    row = st.container(horizontal=True)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    row.download_button(xlsx_label, data=_generator(lambda: export.table_xlsx(df, title=title), f"{name}.xlsx", xlsx),
                       file_name=f"{name}.xlsx", mime=xlsx,
                       key=K.download_key(f"{key}_xlsx"), on_click="ignore", icon=":material/download:")
    row.download_button(csv_label, data=_generator(lambda: export.table_csv(df), f"{name}.csv", "text/csv"),
                       file_name=f"{name}.csv", mime="text/csv",
                       key=K.download_key(f"{key}_csv"), on_click="ignore", icon=":material/download:")


def download(label: str, make: Callable[[], bytes], file_name: str, mime: str, key: str) -> None:
    """One deferred download button."""
    st.download_button(label, data=_generator(make, file_name, mime), file_name=file_name, mime=mime,
                       key=K.download_key(key), on_click="ignore", icon=":material/download:")


def _generator(make: Callable[[], bytes], file_name: str, mime: str) -> Callable[[], bytes]:
    """The generator a download button calls on click: it records an `export` audit row when the file is
    actually produced, and the file is remembered for this session so that signing out deletes it."""
    from core.audit import audited
    from ui.auth import current_principal
    from ui.data import get_db
    from ui.downloads import tracked

    made = audited(make, get_db(), object=file_name, actor=getattr(current_principal(), "username", None))
    return tracked(made, file_name, mime)
