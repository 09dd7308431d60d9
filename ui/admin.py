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
