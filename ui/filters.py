"""The filters every page shares (unit, year, quarter, presentation mode), kept in the URL.

The widgets live in the sidebar and are rendered by app.py on every run, so the choice persists
across pages. On the first run of a session the URL is read into them; invalid values fall back to
the defaults silently, so a crafted link can never break the page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from metrics import history
from core import clock
from core.auth import Principal
from core.config import load_config
from core.storage import Database
from ui.views import unit_tree
from ui import state as K
from ui.data import cached, cached_view
from core.text import QUARTER_LABELS

QUARTERS = (0, 1, 2, 3, 4)  # 0 = Cả năm (a radio cannot hold None reliably)


@dataclass(frozen=True)
class Filters:
    """The current view: unit (code), year, quarter (None = full year), presentation mode, as-of date."""

    unit: str
    unit_name: str
    is_root: bool
    year: int
    quarter: int | None
    present: bool
    as_of: dt.date
    unit_names: dict
    principal: Principal | None = None  # who is signed in: every engine/loader call is authorised for them

    def engine_kwargs(self) -> dict:
        """Keyword arguments for metrics.engine functions (unit None = the root), principal included."""
        return {"year": self.year, "quarter": self.quarter,
                "unit": None if self.is_root else self.unit, "as_of": self.as_of, "principal": self.principal}

    @property
    def scope_unit(self) -> str | None:
        """The unit code to scope loader queries by (None = everything)."""
        return None if self.is_root else self.unit


def parse_year(text: object, allowed: list[int]) -> int | None:
    """A year from a query value, or None when it is not one of the offered years."""
    try:
        year = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return year if year in allowed else None


def parse_quarter(text: object) -> int | None:
    """1–4 from '2', 'Q2', 'II', 'quy 2'; 0 for the full year; None when unreadable."""
    t = str(text).strip().upper().replace("QUÝ", "").replace("QUY", "").replace("Q", "").strip()
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4}
    if t in roman:
        return roman[t]
    if t in {"", "0", "Y", "NĂM", "NAM", "CẢ NĂM"}:
        return 0
    return int(t) if t in {"1", "2", "3", "4"} else None


def _truthy(text: object) -> bool:
    return str(text).strip().lower() in {"1", "true", "yes", "co", "có", "on"}


def parse_as_of(text: object, today: dt.date) -> dt.date:
    """An as-of date from a query value (YYYY-MM-DD, not after today), else today."""
    try:
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        return today
    return day if dt.date(2000, 1, 1) <= day <= today else today


def _load_url_once(codes: list[str], root: str, years: list[int], default: tuple[int, int | None],
                   all_codes: frozenset = frozenset(), today: dt.date | None = None) -> None:
    ss = st.session_state
    today = today or clock.today()
    if not ss.get(K.URL_LOADED):
        qp = st.query_params
        unit = str(qp.get(K.QP_UNIT, "")).strip().upper()
        if unit in all_codes and unit not in codes:
            ss[K.SCOPE_WARNING] = _scope_message(unit, root)
        ss[K.UNIT] = unit if unit in codes else root
        year = parse_year(qp.get(K.QP_YEAR), years)
        ss[K.YEAR] = year or default[0]
        # without a year in the link, the period most units have reported; with one, its quarter or the year
        q = parse_quarter(qp.get(K.QP_QUARTER, "0")) if year else (default[1] or 0)
        ss[K.QUARTER] = 0 if q is None else q
        ss[K.PRESENT] = _truthy(qp.get(K.QP_PRESENT, ""))
        ss[K.AS_OF] = parse_as_of(qp.get(K.QP_AS_OF, ""), today)
        ss[K.URL_LOADED] = True
    # values that became invalid (e.g. a unit list reloaded) fall back instead of failing
    if ss.get(K.UNIT) not in codes:
        if ss.get(K.UNIT) in all_codes:  # a unit outside the user's scope (crafted state): say so
            ss[K.SCOPE_WARNING] = _scope_message(ss.get(K.UNIT), root)
        ss[K.UNIT] = root
    if ss.get(K.YEAR) not in years:
        ss[K.YEAR] = default[0]
    if not isinstance(ss.get(K.AS_OF), dt.date) or ss[K.AS_OF] > today:
        ss[K.AS_OF] = today
    if ss.get(K.QUARTER) not in QUARTERS:
        ss[K.QUARTER] = 0


def _scope_message(unit: object, home: str) -> str:
    return (f"Bạn không có quyền xem đơn vị “{unit}”. Đang hiển thị đơn vị thuộc phạm vi của bạn ({home}).")


def render_filters(db: Database, principal: Principal | None = None) -> Filters:
    """Draw the filters (in the sidebar; above the page when presenting, the sidebar then being hidden) and
    return the current view; the unit picker lists only the units in the principal's scope."""
    labels, codes, names = unit_options(db)
    org_root = load_config().root_code if load_config().root_code in codes else codes[0]
    all_codes = frozenset(codes)
    root = org_root
    if principal is not None and principal.scope_unit != org_root:
        allowed = cached_view(unit_tree.scope_codes, history.units_frame, db, principal.scope_unit)
        codes = [c for c in codes if c in allowed]
        root = principal.scope_unit if principal.scope_unit in codes else (codes[0] if codes else org_root)
    st.session_state.pop(K.SCOPE_WARNING, None)
    data_years = cached(history.report_years, db)
    today = clock.today()
    years = unit_tree.year_options(data_years, today.year)
    default = cached_view(unit_tree.default_period, history.coverage, db, today.year, principal=principal)
    _load_url_once(codes, root, years, default, all_codes, today)
    if st.session_state.get(K.PRESENT):  # presenting: the sidebar is hidden, the filters sit above the page
        box = st.container(border=True, key="flt_top")
        cols = box.columns([4, 1.2, 3.4, 1.6, 1.3], vertical_alignment="bottom")
    else:
        box = st.sidebar
        cols = [box] * 5
    cols[0].selectbox("Đơn vị", codes, format_func=lambda c: labels.get(c, c), key=K.UNIT,
                      help="Gõ tên hoặc mã đơn vị để tìm. Chọn một đơn vị là xem đơn vị đó và các đơn vị trực thuộc.")
    cols[1].selectbox("Năm", years, key=K.YEAR)
    cols[2].radio("Kỳ", QUARTERS, format_func=_quarter_label, key=K.QUARTER, horizontal=True,
                  help="Một quý: lũy kế từ đầu năm đến hết quý đó.")
    cols[3].date_input("Số liệu tính đến ngày", key=K.AS_OF, min_value=dt.date(2000, 1, 1), max_value=today,
                       format="DD/MM/YYYY", help="Các kỳ, tháng và hạn nộp chỉ được tính khi đã kết thúc "
                       "vào ngày này. Mặc định: hôm nay.")
    cols[4].toggle("Chế độ trình chiếu", key=K.PRESENT,
                   help="Ẩn thanh bên, phóng to chữ và biểu đồ để chiếu trong cuộc họp.")
    unit = st.session_state[K.UNIT]
    quarter = st.session_state[K.QUARTER] or None
    st.session_state[K.CURRENT] = f = Filters(unit=unit, unit_name=names.get(unit, unit), is_root=unit == org_root,
                   year=int(st.session_state[K.YEAR]), quarter=quarter,
                   present=bool(st.session_state[K.PRESENT]), as_of=st.session_state[K.AS_OF], unit_names=names,
                   principal=principal)
    return f


def unit_options(db) -> tuple[dict, list[str], dict]:
    """The unit picker's labels, codes in tree order and name map, derived once per data version (the
    tree walk and the name map cost real time at 50,000 units; ui/warm.py prepares them after changes)."""
    return (cached_view(unit_tree.option_labels, history.units_frame, db),
            cached_view(unit_tree.option_codes, history.units_frame, db),
            cached_view(unit_tree.unit_name_map, history.units_frame, db))


def current() -> Filters:
    """The filters app.py rendered in this run (pages call this). A page run without app.py having signed
    someone in this session (Streamlit's old pages/ mode on a process's very first run) shows nothing."""
    f = st.session_state.get(K.CURRENT)
    if f is None:
        st.stop()
    return f


def _quarter_label(q: int) -> str:
    return QUARTER_LABELS[q or None]


def sync_url(f: Filters, page_path: str) -> None:
    """Write the current view into the URL (only when it changed) so the link reopens it."""
    want = {K.QP_UNIT: f.unit, K.QP_YEAR: str(f.year)}
    if page_path:  # the default page lives at the root URL
        want[K.QP_PAGE] = page_path
    if f.quarter:
        want[K.QP_QUARTER] = str(f.quarter)
    if f.present:
        want[K.QP_PRESENT] = "1"
    if f.as_of != clock.today():
        want[K.QP_AS_OF] = f.as_of.isoformat()
    if link_params() != want:
        st.query_params.from_dict(want)


def link_params() -> dict[str, str]:
    """The parameters of the page's current link (?unit=…&year=…)."""
    return {k: st.query_params.get(k) for k in st.query_params.keys()}


def exit_presentation() -> None:
    """Callback of the 'leave presentation mode' button."""
    st.session_state[K.PRESENT] = False


def follow_page_param(pages: dict, current_page) -> None:
    """On a session's first run, open the page named by ?page= (a shared link), if it exists."""
    if st.session_state.get(K.PAGE_SYNCED):
        return
    st.session_state[K.PAGE_SYNCED] = True
    wanted = str(st.query_params.get(K.QP_PAGE, "")).strip().lower()
    if not wanted:  # the URL path already chose the page
        return
    for page in (p for group in pages.values() for p in group):
        if page.url_path == wanted and page.url_path != current_page.url_path:
            st.switch_page(page, query_params=link_params())
