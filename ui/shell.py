"""What every page stands in: the database, sign-in, shared filters, account box, style and warnings.

`app.py` declares the pages and calls `st.navigation`; everything around that call lives here.
"""
from __future__ import annotations

import streamlit as st

from core import auth
from core.errors import DashboardError
from ui import auth as ui_auth, filters, state as K, warm
from ui.data import get_db, startup_problems
from ui.literal import literal
from ui.page import apply_style

ADMIN_PERMISSIONS = (auth.MANAGE_USERS, auth.MANAGE_UNITS, auth.MANAGE_TARGETS, auth.MANAGE_REPORTS)  # any of them shows Quản trị
ADMIN_PAGE = "quan-tri"
# pages shown only to roles holding one of their permissions (url path -> permissions), as data
PAGE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    ADMIN_PAGE: ADMIN_PERMISSIONS,
    "don-doc": (auth.REVIEW_REPORTS, auth.REMIND_UNITS, auth.UNLOCK_PERIODS),  # the office (and administrators)
    "don-vi": (auth.UPLOAD,),  # those who send reports: a unit's officer, the office for any unit
}


def frame(pages: dict) -> tuple[dict, filters.Filters]:
    """Open the database, require a signed-in user (else show only the sign-in page and stop), render the
    shared filters and account box; return the pages this user may open and the chosen view (filters)."""
    try:
        db = get_db()
        warm.start(db)  # the whole organisation's overview is recomputed in the background after changes
        auth.check_production(db)  # a production start refuses documented default accounts
    except DashboardError as exc:
        st.error(literal(exc.message), icon="🚫")
        st.stop()

    principal = ui_auth.signed_in(db)
    ui_auth.cookie_script()  # the browser keeps (or drops) the session cookie of a sign-in (or sign-out)
    if principal is None:  # nothing but the sign-in page until someone signs in
        st.navigation(_sign_in_pages(pages, lambda: ui_auth.login_page(db)), position="hidden").run()
        st.stop()

    for problem in startup_problems():
        st.error(f"Khai báo chỉ tiêu có lỗi: {literal(problem)}", icon="⚠️")

    view = filters.render_filters(db, principal)
    ui_auth.account_box(db, principal)
    apply_style(view.present)
    if st.session_state.get(K.SCOPE_WARNING):
        st.warning(literal(st.session_state[K.SCOPE_WARNING]), icon="⚠️")  # it quotes the requested unit
    return visible_pages(pages, principal), view


def visible_pages(pages: dict, principal: auth.Principal) -> dict:
    """The pages of `pages` this principal may open (PAGE_PERMISSIONS; every other page is open to all)."""
    def shown(page) -> bool:
        needs = PAGE_PERMISSIONS.get(page.url_path)
        return needs is None or any(principal.can(p) for p in needs)

    return {group: [p for p in items if shown(p)] for group, items in pages.items()}


def _sign_in_pages(pages: dict, login) -> list:
    """The sign-in form at the root address and at every page's address: a shared link (/don-thu?year=…)
    opened by someone not yet signed in shows the form, not "Page not found", and after signing in the
    same address opens that page with its filters."""
    paths = [p.url_path for group in pages.values() for p in group if p.url_path]
    return [st.Page(login, title="Đăng nhập", url_path="dang-nhap", default=True)] + [
        st.Page(login, title="Đăng nhập", url_path=path) for path in paths]


def follow(pages: dict, page, view: filters.Filters) -> None:
    """After navigation: honour a ?page= link and keep the URL in step with the view; when presenting, the
    meeting's page flow (previous / next page of "Theo dõi")."""
    filters.follow_page_param(pages, page)
    filters.sync_url(view, page.url_path)
    if view.present:
        page_flow(list(pages.get(MEETING_GROUP, [])), page)


MEETING_GROUP = "Theo dõi"  # the pages a meeting goes through, in order


def page_flow(order: list, page) -> None:
    """'◀ Tổng quan' and 'Đơn thư ▶' buttons: the previous and next page of the meeting's order."""
    paths = [p.url_path for p in order]
    if page.url_path not in paths:
        return
    i = paths.index(page.url_path)
    left, middle, right = st.columns([1, 2, 1])
    if i > 0 and left.button(f"◀ {order[i - 1].title}", key=K.PRESENT_PREV, width="stretch"):
        _go(order[i - 1])
    middle.markdown(f"<div style='text-align:center;color:#595959'>Trang {i + 1}/{len(order)}</div>",
                    unsafe_allow_html=True)  # our own fixed text: no user input in it
    if i + 1 < len(order) and right.button(f"{order[i + 1].title} ▶", key=K.PRESENT_NEXT, width="stretch"):
        _go(order[i + 1])


def _go(target) -> None:
    """Open another page with the same view. st.switch_page drops the filters' widget values (unlike a
    click in the navigation), so the new page reads them back from the link, which holds the whole view."""
    params = filters.link_params()
    params.pop(K.QP_PAGE, None)
    st.session_state[K.URL_LOADED] = False
    st.switch_page(target, query_params=params)
