"""Sign-in for the dashboard: a username/password form (local accounts), optionally OIDC through
`st.login` when `.streamlit/secrets.toml` has an [auth] section; the Principal lives in session state.

The principal is re-read from the users table on every run, so a locked account or a changed role takes
effect at the user's next click, not at their next sign-in.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import streamlit as st

from core import audit, auth
from core.config import PROJECT_DIR
from core.errors import DashboardError
from core.storage import Database
from ui import state as K
from ui.literal import literal

SECRETS = PROJECT_DIR / ".streamlit" / "secrets.toml"


def web_origin() -> str | None:
    """Where a web action comes from, "web@<client address>" ("web" when Streamlit does not expose the
    address), while a script run of this session is active; None outside one (the audit then says cli)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    try:
        ip = st.context.ip_address
    except Exception:  # an older Streamlit or no client connection (AppTest): the address is unknown
        ip = None
    return f"web@{ip}" if ip else "web"


audit.register_origin(web_origin)


def oidc_providers(path: Path | str = SECRETS) -> list[str | None]:
    """Providers named in the [auth] section of secrets.toml ([auth.NAME] tables; None = the single
    provider configured in [auth] itself); empty when OIDC is not configured."""
    try:
        with open(path, "rb") as fh:
            section = tomllib.load(fh).get("auth")
    except (OSError, tomllib.TOMLDecodeError):
        return []
    if not isinstance(section, dict):
        return []
    named = [k for k, v in section.items() if isinstance(v, dict)]
    if named:
        return named
    return [None] if "client_id" in section else []


def current_principal() -> auth.Principal | None:
    """The signed-in principal of this session, or None."""
    return st.session_state.get(K.PRINCIPAL)


def _oidc_email() -> str | None:
    """The email of an OIDC identity when one is signed in (st.user), else None."""
    try:
        user = st.user
        return user.get("email") if user.get("is_logged_in") else None
    except Exception:  # st.user outside a server context (bare script): no identity
        return None


def signed_in(db: Database) -> auth.Principal | None:
    """The session's principal refreshed from the database; an OIDC identity is mapped by its email;
    a locked or removed account signs out with a notice."""
    ss = st.session_state
    p = ss.get(K.PRINCIPAL)
    if p is None and oidc_providers():
        email = _oidc_email()
        if email:
            try:
                p = auth.principal_for_email(db, email)
            except DashboardError as exc:
                ss[K.AUTH_NOTICE] = exc.message
                return None
    if p is None:  # a reload or a new tab: the session cookie of an earlier sign-in, if still valid
        cookie = _cookie()
        p = auth.session_principal(db, cookie)
        if p is not None:
            ss[K.SESSION_TOKEN] = cookie
    if p is None:
        return None
    try:
        fresh = auth.principal_for_user(db, p.username)
    except DashboardError as exc:  # locked or removed meanwhile: signed out, its downloads with it
        from ui.downloads import forget_session_files

        ss.pop(K.PRINCIPAL, None)
        ss[K.AUTH_NOTICE] = exc.message
        forget_session_files()
        return None
    ss[K.PRINCIPAL] = fresh
    return fresh


def _do_login(db: Database) -> None:
    """Callback of 'Đăng nhập': check the pair; keep the principal, or the error for the form."""
    ss = st.session_state
    ss[K.LOGIN_ERROR] = None
    try:
        principal = auth.authenticate(db, ss.get(K.LOGIN_USER) or "", ss.get(K.LOGIN_PASSWORD) or "")
    except DashboardError as exc:
        ss[K.LOGIN_ERROR] = exc.message
        return
    ss[K.PRINCIPAL] = principal
    # a signed, expiring session kept in the database: a reload keeps the reader signed in, on any instance
    ss[K.SESSION_TOKEN] = ss[K.SET_COOKIE] = auth.start_session(db, principal, origin=web_origin())
    ss[K.LOGIN_PASSWORD] = ""  # the typed password does not stay in the session
    ss[K.AUTH_NOTICE] = None
    ss[K.URL_LOADED] = False  # read the shared link again, now within this user's scope


def logout(db: Database) -> None:
    """Callback of 'Đăng xuất': revoke the session (its cookie opens nothing any more, on any instance),
    forget the principal and every filter choice of the session, and take the files its downloads produced
    off the server (their /media/ URLs would otherwise still be served)."""
    from ui.downloads import forget_session_files

    ss = st.session_state
    auth.end_session(db, ss.pop(K.SESSION_TOKEN, None) or _cookie())
    ss[K.CLEAR_COOKIE] = True
    for key in (K.PRINCIPAL, K.CURRENT, K.UNIT, K.URL_LOADED, K.LOGIN_PASSWORD, K.LOGIN_ERROR, K.SCOPE_WARNING,
                K.SET_COOKIE):
        ss.pop(key, None)
    forget_session_files()
    if _oidc_email():
        st.logout()


def login_page(db: Database) -> None:
    """The sign-in page: the only thing shown before a user is signed in."""
    ss = st.session_state
    st.title("Bảng điều khiển Đảng ủy")
    st.subheader("Đăng nhập")
    if ss.get(K.AUTH_NOTICE):
        st.warning(literal(ss[K.AUTH_NOTICE]), icon="⚠️")  # may quote an OIDC identity's email
    with st.form("login_form", border=True):
        st.text_input("Tên đăng nhập", key=K.LOGIN_USER, autocomplete="username")
        st.text_input("Mật khẩu", type="password", key=K.LOGIN_PASSWORD, autocomplete="current-password")
        st.form_submit_button("Đăng nhập", type="primary", key=K.LOGIN_SUBMIT, on_click=_do_login, args=(db,))
    if ss.get(K.LOGIN_ERROR):
        st.error(literal(ss[K.LOGIN_ERROR]), icon="🚫")
    for provider in oidc_providers():
        label = "Đăng nhập bằng tài khoản tổ chức" + (f" ({provider})" if provider else "")
        if st.button(label, key=f"{K.LOGIN_OIDC}_{provider or 'default'}"):
            st.login(provider) if provider else st.login()
    if not auth.has_accounts(db):
        st.info("Cơ sở dữ liệu này chưa có tài khoản nào. Tạo tài khoản quản trị đầu tiên bằng lệnh: "
                "`python -m loaders users add admin --role admin --name \"Quản trị\"` "
                "(hoặc nạp dữ liệu mẫu: `python -m loaders sample`, có sẵn tài khoản dùng thử).")
    else:
        st.caption("Chưa có tài khoản? Liên hệ Văn phòng Đảng ủy (quản trị hệ thống) để được cấp.")
        demo = auth.active_demo_accounts(db)
        if demo and not auth.production_mode():
            # A newcomer who just ran the README command needs a way in; production refuses these accounts.
            names = ", ".join(f"`{u}`" for u in demo)
            st.info(f"Dữ liệu mẫu có tài khoản dùng thử (mật khẩu trùng tên đăng nhập): {names}.", icon="ℹ️")


def account_box(db: Database, principal: auth.Principal) -> None:
    """Sidebar: who is signed in, their role and scope, and the logout button."""
    with st.sidebar:
        st.caption(f"**{literal(principal.full_name)}** ({literal(principal.username)}) — "
                   f"{auth.ROLE_LABELS.get(principal.role, principal.role)}, phạm vi {literal(principal.scope_unit)}")
        st.button("Đăng xuất", key=K.LOGOUT, on_click=logout, args=(db,), icon=":material/logout:")


def _cookie() -> str | None:
    """The session cookie the browser sent when it connected (None outside a browser, e.g. AppTest)."""
    try:
        return st.context.cookies.get(auth.SESSION_COOKIE)
    except Exception:  # no client connection: no cookie
        return None


def cookie_script() -> None:
    """Set or delete the session cookie in the browser, as the last sign-in or sign-out asked. The value is
    ours (hex id and signature), never user text; SameSite=Strict keeps other sites from sending it."""
    ss = st.session_state
    if ss.pop(K.CLEAR_COOKIE, False):
        ss.pop(K.SET_COOKIE, None)
        value = f"{auth.SESSION_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict"
        st.html(f"<script>document.cookie = {value!r};</script>", unsafe_allow_javascript=True)
        return
    token = ss.get(K.SET_COOKIE)
    if token and all(c in "0123456789abcdef." for c in token):
        # given on every run of the session that signed in, not once: the run right after a sign-in often
        # switches to the shared link's page, and a switch drops that run's elements before the browser
        # runs them. In the sidebar, where an empty element takes no room from the page.
        value = f"{auth.SESSION_COOKIE}={token}; Max-Age={auth.SESSION_HOURS * 3600}; Path=/; SameSite=Strict"
        st.sidebar.html(f"<script>document.cookie = {value!r};</script>", unsafe_allow_javascript=True)
