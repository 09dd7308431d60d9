"""Callbacks of the Quản trị page (run before the page script, so the page shows their effect at once)."""
from __future__ import annotations

from loaders.errors import DashboardError
from loaders.storage import Database


def save_target(db: Database) -> None:
    """Callback of 'Lưu mục tiêu' on Quản trị: record the override (who/when), or keep the error to show."""
    import streamlit as st

    from metrics import targets
    from metrics.views import fmt_target, indicator_unit, target_from_form
    from ui import state as K

    ss = st.session_state
    picked, year = ss[K.AD_T_INDICATOR], int(ss[K.AD_T_YEAR])
    target = target_from_form(ss[K.AD_T_OP], ss.get(K.AD_T_VALUE), ss.get(K.AD_T_MIN), ss.get(K.AD_T_MAX))
    ss[K.AD_T_ERROR] = ss[K.AD_T_MESSAGE] = None
    try:
        targets.set_target(db, picked, year, target, ss.get(K.AD_T_BY) or "")
    except DashboardError as exc:
        ss[K.AD_T_ERROR] = exc.message
        return
    ss[K.AD_T_MESSAGE] = (f"Đã lưu mục tiêu {picked.split('_', 1)[0]} từ năm {year}: "
                          f"{fmt_target(target, indicator_unit(picked))}")


def load_units(db: Database) -> None:
    """Callback of 'Nạp danh sách đơn vị': load the chosen unit-list file; keep the result or the error
    (with every issue) for the page to show. Running first lets the sidebar list the new units at once."""
    import streamlit as st

    from loaders.units import load_unit_list_bytes
    from ui import state as K

    ss = st.session_state
    chosen = ss.get(K.AD_UNITS_FILE)
    ss[K.AD_UNITS_RESULT] = ss[K.AD_UNITS_ERROR] = None
    if chosen is None:
        return
    try:
        ss[K.AD_UNITS_RESULT] = load_unit_list_bytes(db, chosen.getvalue(), chosen.name)
    except DashboardError as exc:
        ss[K.AD_UNITS_ERROR] = exc


def prefill_target(db: Database) -> None:
    """Callback when the indicator or year changes: start the form from the target in force that year."""
    import streamlit as st

    from metrics import targets
    from metrics.views import target_form_values
    from ui import state as K

    ss = st.session_state
    year = int(ss.get(K.AD_T_YEAR) or 0)
    if not 2000 <= year <= 2100 or ss.get(K.AD_T_INDICATOR) is None:
        return
    values = target_form_values(targets.effective_targets(db, year).get(ss[K.AD_T_INDICATOR]))
    ss[K.AD_T_OP], ss[K.AD_T_VALUE], ss[K.AD_T_MIN], ss[K.AD_T_MAX] = (
        values["op"], values["value"], values["min"], values["max"])
