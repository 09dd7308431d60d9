"""Accounts, roles and the one authorisation point every page, export and command goes through.

A `Principal` is who acts (username, role, scope unit). Roles map to permissions AS DATA (`ROLES`);
`authorize_unit` is the single place a requested unit is checked against the principal's scope, and the
metrics/loaders functions call it before they query. `principal=None` everywhere means the trusted local
operator (command line without --user, tests): everything, whole organisation.

Passwords are argon2id hashes (salted, slow); a password is never stored or logged in clear.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import math
import os
import re
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.clock import now_local
from core.config import CONFIG_ENV, PROJECT_DIR, load_config
from core.errors import DashboardError
from core.storage import UNITS_CTE

# ---------------------------------------------------------------- roles and permissions (data)
VIEW, UPLOAD, EXPORT = "view", "upload", "export"
MANAGE_UNITS, MANAGE_TARGETS, MANAGE_USERS = "manage_units", "manage_targets", "manage_users"
MANAGE_REPORTS = "manage_reports"  # withdraw a stored report (and undo it)
VIEW_PERSONAL = "view_personal_data"
# the office's loop with the units (issue 13): review (approve, return, lock a period), chase the late units
# (reminder notices and e-mails), and reopen a locked period (administrators only)
REVIEW_REPORTS, REMIND_UNITS, UNLOCK_PERIODS = "review_reports", "remind_units", "unlock_periods"
PERMISSIONS = (VIEW, UPLOAD, EXPORT, MANAGE_UNITS, MANAGE_TARGETS, MANAGE_USERS, MANAGE_REPORTS, VIEW_PERSONAL,
               REVIEW_REPORTS, REMIND_UNITS, UNLOCK_PERIODS)

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "lanh_dao": frozenset({VIEW, EXPORT}),  # leadership: read-only, counts without personal data
    "van_phong": frozenset({VIEW, UPLOAD, EXPORT, VIEW_PERSONAL, REVIEW_REPORTS, REMIND_UNITS}),
    "don_vi": frozenset({VIEW, UPLOAD, EXPORT, VIEW_PERSONAL}),
}
ROLE_LABELS = {"admin": "Quản trị hệ thống", "lanh_dao": "Lãnh đạo", "van_phong": "Văn phòng Đảng ủy",
               "don_vi": "Cán bộ đơn vị"}
PERMISSION_TEXT = {
    VIEW: "xem số liệu", UPLOAD: "nộp báo cáo", EXPORT: "tải xuống", MANAGE_UNITS: "quản lý danh sách đơn vị",
    MANAGE_TARGETS: "đặt chỉ tiêu", MANAGE_USERS: "quản lý tài khoản", MANAGE_REPORTS: "rút báo cáo đã nộp", VIEW_PERSONAL: "xem dữ liệu cá nhân",
    REVIEW_REPORTS: "duyệt, trả lại báo cáo và khóa kỳ báo cáo", REMIND_UNITS: "gửi công văn đôn đốc",
    UNLOCK_PERIODS: "mở khóa kỳ báo cáo",
}
# columns holding personal data (names, birth dates, petition numbers and summaries, who uploaded or prepared
# a report): blanked for roles without view_personal_data, so counts stay right while the details are gone
PERSONAL_COLUMNS = ("full_name", "name_key", "birth_date", "petition_no", "petition_key", "summary", "label", "item",
                    "uploader", "preparer", "contact_name", "contact_email", "contact_phone", "reviewed_by",
                    "sent_by", "emailed_to")

# documented demo accounts of the sample organisation (README "Tài khoản dùng thử"); refused in production
DEMO_ACCOUNTS = (
    {"username": "admin", "password": "admin", "role": "admin", "scope_unit": None,
     "full_name": "Quản trị (dùng thử)"},
    {"username": "lanhdao", "password": "lanhdao", "role": "lanh_dao", "scope_unit": None,
     "full_name": "Lãnh đạo Đảng ủy (dùng thử)"},
    {"username": "vanphong", "password": "vanphong", "role": "van_phong", "scope_unit": None,
     "full_name": "Văn phòng Đảng ủy (dùng thử)"},
    {"username": "donvi_db01", "password": "donvi_db01", "role": "don_vi", "scope_unit": "DB01",
     "full_name": "Cán bộ đơn vị DB01 (dùng thử)"},
)
DEFAULT_PASSWORDS = tuple(sorted({a["password"] for a in DEMO_ACCOUNTS}))
MIN_PASSWORD = 8
PRODUCTION_ENV = "DASHBOARD_ENV"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-@]{1,63}$")
_hasher = PasswordHasher()  # argon2id with the library's recommended cost (RFC 9106 low-memory profile)

MSG_BAD_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."
MSG_INACTIVE = "Tài khoản “{u}” đã bị khóa. Liên hệ quản trị hệ thống."
MSG_THROTTLED = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {wait}."

# sign-in throttling, as data: after `free` failed sign-ins within LOGIN_WINDOW (of one login name since its
# last success; from one client address, all names together) the next attempt must wait FIRST_WAIT seconds
# after the latest failure, doubling with each further failure up to MAX_WAIT. The failures are the audit
# log's login_failed rows, so every app instance on a shared database counts the same ones. Many people
# may share one address (an office behind NAT), hence the higher allowance per address.
LOGIN_WINDOW = dt.timedelta(hours=1)
LOGIN_FREE_FAILURES = {"name": 5, "origin": 20}
LOGIN_FIRST_WAIT = 30
LOGIN_MAX_WAIT = 15 * 60


@dataclass(frozen=True)
class Principal:
    """Who acts: username, role and the unit whose subtree they may see (hashable: pages cache on it)."""

    username: str
    role: str
    scope_unit: str
    full_name: str = ""

    def can(self, permission: str) -> bool:
        """True when the role grants `permission`."""
        return permission in ROLES.get(self.role, frozenset())


# The trusted local operator: the command line without --user, the background warm-up, rebuild and sample
# loading, tests. Whoever runs those can already read and write the database file. Authorisation fails
# closed: a call without a principal is refused unless it passes OPERATOR, or runs inside operating()
# (what the command line's entry point and the warm-up thread do). Its empty username lets the audit name
# the operating-system user instead.
OPERATOR = Principal("", "operator", "", "Người vận hành máy chủ")
_OPERATING: contextvars.ContextVar[bool] = contextvars.ContextVar("dashboard_operating", default=False)
MSG_NO_PRINCIPAL = ("Không xác định được người dùng: hãy đăng nhập (lệnh dòng lệnh: dùng --user hoặc chạy "
                    "với quyền người vận hành máy chủ).")


@contextmanager
def operating() -> Iterator[None]:
    """Inside this block (this thread, this context) a call without a principal acts as OPERATOR."""
    token = _OPERATING.set(True)
    try:
        yield
    finally:
        _OPERATING.reset(token)


def is_operator(principal: Principal | None) -> bool:
    """True for the trusted local operator; a missing principal outside operating() is refused
    (DashboardError), never taken for the operator."""
    if principal is None:
        if _OPERATING.get():
            return True
        raise DashboardError(MSG_NO_PRINCIPAL)
    return principal == OPERATOR


def can(principal: Principal | None, permission: str) -> bool:
    """True when the principal holds the permission (the operator holds every one; see is_operator)."""
    return is_operator(principal) or principal.can(permission)


def require(principal: Principal | None, permission: str) -> None:
    """Raise DashboardError unless the principal holds the permission."""
    if not can(principal, permission):
        raise DashboardError(f"Tài khoản “{principal.username}” ({ROLE_LABELS.get(principal.role, principal.role)}) "
                             f"không có quyền {PERMISSION_TEXT.get(permission, permission)}.")


# ---------------------------------------------------------------- scope: the one authorisation point
def _root_code(db) -> str:
    row = db.query_rows("SELECT code FROM units WHERE kind = 'ROOT' ORDER BY code LIMIT 1")
    return row[0][0] if row else load_config().root_code


def in_scope(db, scope_unit: str, unit: str) -> bool:
    """True when `unit` is `scope_unit` or below it (walks the parent chain up; stops on a cycle)."""
    if unit == scope_unit or scope_unit == _root_code(db):
        return unit == scope_unit or bool(db.query_rows("SELECT 1 FROM units WHERE code = ?", [unit]))
    sql = f"""WITH RECURSIVE {UNITS_CTE}, up(code) AS (SELECT parent_code FROM units_m WHERE code = $u
                 UNION SELECT n.parent_code FROM units_m n JOIN up ON n.code = up.code WHERE n.parent_code IS NOT NULL)
              SELECT count(*) FROM up WHERE code = $s"""
    return bool(db.query_value(sql, {"u": unit, "s": scope_unit}))


def authorize_unit(db, principal: Principal | None, unit: str | None) -> str | None:
    """The unit code a query may use: None → the principal's scope (None when that is the whole
    organisation); a unit outside the scope → DashboardError. Trusted operator: unit unchanged."""
    if is_operator(principal):
        return unit
    require(principal, VIEW)
    scope = principal.scope_unit
    root = _root_code(db)
    code = str(unit).strip().upper() if unit is not None and str(unit).strip() else None
    if code is None:
        return None if scope == root else scope
    known = {c.upper(): c for (c,) in db.query_rows("SELECT code FROM units WHERE upper(code) = ?", [code])}
    code = known.get(code, code)
    if scope == root:  # an unknown code is the engine's 'not found', not a refusal
        return None if code == root else code
    if code in known.values() and in_scope(db, scope, code):
        return None if code == root else code
    raise DashboardError(f"Bạn không có quyền xem đơn vị “{unit}” (phạm vi của tài khoản "
                         f"“{principal.username}”: {scope}).")


def authorize_upload(db, principal: Principal | None, unit_code: str | None, parent_code: str | None = None) -> str | None:
    """None when the principal may upload a report of `unit_code` (a unit new to the list: judged by its
    parent), else the Vietnamese reason. Requires the upload permission."""
    if is_operator(principal):
        return None
    if not principal.can(UPLOAD):
        return (f"Tài khoản “{principal.username}” ({ROLE_LABELS.get(principal.role, principal.role)}) "
                "không có quyền nộp báo cáo.")
    exists = bool(unit_code) and bool(db.query_rows("SELECT 1 FROM units WHERE code = ?", [unit_code]))
    target = unit_code if exists else parent_code
    if target and (in_scope(db, principal.scope_unit, target)):
        return None
    return (f"Bạn không có quyền nộp báo cáo cho đơn vị “{unit_code}”: tài khoản “{principal.username}” "
            f"chỉ nộp cho đơn vị {principal.scope_unit} và các đơn vị trực thuộc.")


def recorded_uploader(principal: Principal | None, uploader: str | None,
                      on_behalf_of: str | None = None) -> tuple[str | None, str | None]:
    """(uploader to store, "nộp thay cho" note) of an upload. A signed-in account is always the uploader:
    a typed name can never replace it, it is kept as the separate note (with `on_behalf_of` first). The
    trusted operator (None) records the name it was given, as the command line's --uploader does."""
    def clean(text: str | None) -> str | None:
        return (str(text).strip()[:200] or None) if text is not None else None

    if is_operator(principal):
        return clean(uploader), clean(on_behalf_of)
    note = clean(on_behalf_of) or clean(uploader)
    return principal.username, None if note in (principal.username, principal.full_name) else note


def mask_personal(df: pd.DataFrame, principal: Principal | None) -> pd.DataFrame:
    """The frame with personal-data columns blanked unless the principal may see personal data."""
    if can(principal, VIEW_PERSONAL) or df is None:
        return df
    cols = [c for c in PERSONAL_COLUMNS if c in df.columns]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = pd.Series([None] * len(out), index=out.index, dtype=object)
    return out


# ---------------------------------------------------------------- passwords
def hash_password(password: str) -> str:
    """An argon2id hash of the password (a fresh random salt each time)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the stored hash (False for a missing or malformed hash)."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _check_password(password: str, *, allow_default: bool = False) -> None:
    if not isinstance(password, str) or not password:
        raise DashboardError("Mật khẩu không được để trống.")
    if allow_default:
        return
    if len(password) < MIN_PASSWORD:
        raise DashboardError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
    if password in DEFAULT_PASSWORDS:
        raise DashboardError("Không dùng mật khẩu mặc định của tài khoản dùng thử.")


# ---------------------------------------------------------------- accounts
def normalize_username(username: str) -> str:
    """The stored login name: trimmed, lower case; DashboardError when it is not a valid name."""
    name = str(username or "").strip().lower()
    if not _USERNAME.match(name):
        raise DashboardError(f"Tên đăng nhập không hợp lệ: “{username}” (2–64 ký tự: chữ thường không dấu, "
                             "số, dấu chấm, gạch dưới, gạch ngang).")
    return name


def _audit(target, actor: Principal | None, action: str, obj: str | None, detail: dict | None = None) -> None:
    """One audit row (`target`: a Database, or a cursor inside the change's own transaction)."""
    from core.audit import record

    record(target, actor=actor.username if actor else None, action=action, object=obj, detail=detail)


def _check_role_scope(db, role: str, scope_unit: str | None) -> str:
    if role not in ROLES:
        raise DashboardError(f"Vai trò không hợp lệ: “{role}” (chọn một trong: {', '.join(ROLES)}).")
    scope = str(scope_unit or "").strip().upper() or _root_code(db)
    rows = db.query_rows("SELECT code FROM units WHERE upper(code) = ?", [scope])
    if not rows:
        raise DashboardError(f"Không tìm thấy đơn vị “{scope_unit}” trong danh sách đơn vị.")
    return rows[0][0]


def get_user(db, username: str) -> dict[str, Any] | None:
    """The users row of a login name (any case), or None."""
    df = db.query_df("SELECT * FROM users WHERE username = ?", [str(username or "").strip().lower()])
    return None if df.empty else df.iloc[0].to_dict()


def add_user(db, username: str, *, role: str, scope_unit: str | None, password: str | None,
             full_name: str | None = None, email: str | None = None, is_demo: bool = False,
             principal: Principal | None = None) -> str:
    """Create an account (admin only); password None = sign-in through OIDC only. Returns the username."""
    require(principal, MANAGE_USERS)
    name = normalize_username(username)
    scope = _check_role_scope(db, role, scope_unit)
    if password is not None:
        _check_password(password, allow_default=is_demo)
    if get_user(db, name):
        raise DashboardError(f"Tài khoản “{name}” đã có.")
    now = now_local()
    with db.transaction() as cur:
        cur.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, TRUE, ?, ?, ?)",
                    [name, (full_name or name).strip(), hash_password(password) if password else None, role,
                     scope, (email or "").strip().lower() or None, is_demo, now, now])
        _audit(cur, principal, "user_created", name, {"role": role, "scope_unit": scope, "is_demo": is_demo})
    return name


def update_user(db, username: str, *, role: str | None = None, scope_unit: str | None = None,
                full_name: str | None = None, email: str | None = None, active: bool | None = None,
                principal: Principal | None = None) -> None:
    """Change an account's role, scope, name, email or active flag (admin only)."""
    require(principal, MANAGE_USERS)
    row = get_user(db, username)
    if row is None:
        raise DashboardError(f"Không có tài khoản “{username}”.")
    new_role = role or row["role"]
    scope = _check_role_scope(db, new_role, scope_unit or row["scope_unit"])
    if not is_operator(principal) and row["username"] == principal.username and (
            new_role != "admin" or active is False):
        raise DashboardError("Không thể tự bỏ quyền quản trị hoặc tự khóa tài khoản đang đăng nhập.")
    changes = {"role": new_role, "scope_unit": scope,
               "full_name": (full_name or row["full_name"]).strip(),
               "email": row["email"] if email is None else (email.strip().lower() or None),
               "active": row["active"] if active is None else bool(active)}
    with db.transaction() as cur:
        cur.execute("UPDATE users SET role = ?, scope_unit = ?, full_name = ?, email = ?, active = ?, updated_at = ? "
                    "WHERE username = ?", [*changes.values(), now_local(), row["username"]])
        diff = {k: v for k, v in changes.items() if v != row[k]}
        _audit(cur, principal, "user_deactivated" if diff.get("active") is False else "user_changed",
               row["username"], diff)


def set_password(db, username: str, password: str, *, principal: Principal | None = None) -> None:
    """Set a new password (admin, or the user themself)."""
    row = get_user(db, username)
    if is_operator(principal) or row is None or row["username"] != principal.username:
        require(principal, MANAGE_USERS)
    if row is None:
        raise DashboardError(f"Không có tài khoản “{username}”.")
    _check_password(password)
    with db.transaction() as cur:
        cur.execute("UPDATE users SET password_hash = ?, is_demo = FALSE, updated_at = ? WHERE username = ?",
                    [hash_password(password), now_local(), row["username"]])
        _audit(cur, principal, "user_changed", row["username"], {"password": "đã đổi"})


def deactivate_user(db, username: str, *, principal: Principal | None = None) -> None:
    """Lock an account (it can no longer sign in; its history stays)."""
    update_user(db, username, active=False, principal=principal)


def active_demo_accounts(db) -> list[str]:
    """Usernames of the active demo accounts: public (README "Tài khoản dùng thử"), so the sign-in page may
    name them before anyone has signed in."""
    return [r[0] for r in db.query_rows("SELECT username FROM users WHERE is_demo AND active ORDER BY username")]


def has_accounts(db) -> bool:
    """True once any account exists (an empty database shows how to create the first administrator)."""
    return bool(db.query_value("SELECT count(*) FROM users"))


def list_users(db, *, principal: Principal | None = None) -> pd.DataFrame:
    """Every account without its hash: username, full_name, role, scope_unit, email, active, is_demo,
    created_at, updated_at (admin only)."""
    require(principal, MANAGE_USERS)
    return db.query_df("SELECT * EXCLUDE (password_hash) FROM users ORDER BY username")


def _principal(row: dict) -> Principal:
    return Principal(row["username"], row["role"], row["scope_unit"], row["full_name"] or row["username"])


def login_key(username: str) -> str:
    """The name sign-in attempts are counted under: trimmed, lower case, at most 64 characters (so "Admin",
    " admin" and "admin" are one name to the throttle, as they are one account)."""
    return str(username or "?").strip().lower()[:64] or "?"


def login_wait(db, username: str, origin: str | None = None) -> int:
    """Seconds before `username` may try to sign in again from `origin` (0: now). Counts the same for a
    name that exists and one that does not. An origin without an address ("web" when the server cannot
    see it) is not counted per origin: it would lump every user together."""
    from core.audit import recent_login_failures

    now = now_local()
    since = now - LOGIN_WINDOW
    counts = {"name": recent_login_failures(db, since=since, name=login_key(username))}
    if origin and "@" in origin:
        counts["origin"] = recent_login_failures(db, since=since, origin=origin)
    wait = 0.0
    for kind, (failures, last) in counts.items():
        over = failures - LOGIN_FREE_FAILURES[kind]
        if over >= 0 and last is not None:
            pause = min(LOGIN_FIRST_WAIT * 2 ** over, LOGIN_MAX_WAIT)
            wait = max(wait, pause - (now - last).total_seconds())
    return max(0, math.ceil(wait))


def authenticate(db, username: str, password: str) -> Principal:
    """The principal of a username and password; DashboardError for a wrong pair, a locked account, or
    too many recent failures (then the password is not even checked, for any name, existing or not)."""
    from core.audit import current_origin
    from core.text import fmt_wait

    wait = login_wait(db, username, current_origin())
    if wait:
        _audit_login(db, username, "login_throttled")
        raise DashboardError(MSG_THROTTLED.format(wait=fmt_wait(wait)))
    row = get_user(db, username)
    if row is None or not verify_password(row["password_hash"], password or ""):
        if row is None:  # spend the same time as a real check: no hint which names exist
            verify_password(_dummy_hash(), password or "")
        _audit_login(db, username, "login_failed")
        raise DashboardError(MSG_BAD_LOGIN)
    if not row["active"]:
        _audit_login(db, username, "login_failed")
        raise DashboardError(MSG_INACTIVE.format(u=row["username"]))
    _audit_login(db, row["username"], "login")
    return _principal(row)


def _audit_login(db, username: str, action: str) -> None:
    name = login_key(username)
    _audit(db, Principal(name, "", ""), action, name)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for unknown names; made on first use, not at import (an argon2 hash costs
    0.1-0.3 s, paid by every command-line run that never signs anyone in)."""
    return hash_password("not-a-real-password-0")


def principal_for_email(db, email: str | None) -> Principal:
    """The principal of an OIDC identity: the active users row with that email (case-insensitive)."""
    mail = str(email or "").strip().lower()
    if not mail:
        raise DashboardError("Tài khoản đăng nhập bên ngoài không có địa chỉ email.")
    df = db.query_df("SELECT * FROM users WHERE lower(email) = ? ORDER BY username", [mail])
    if df.empty:
        raise DashboardError(f"Email “{mail}” chưa được cấp tài khoản trên bảng điều khiển. "
                             "Liên hệ quản trị hệ thống.")
    row = df.iloc[0].to_dict()
    if not row["active"]:
        raise DashboardError(MSG_INACTIVE.format(u=row["username"]))
    return _principal(row)


def principal_for_user(db, username: str) -> Principal:
    """The principal of an active account (no password check: for the CLI after its own check)."""
    row = get_user(db, username)
    if row is None:
        raise DashboardError(f"Không có tài khoản “{username}”.")
    if not row["active"]:
        raise DashboardError(MSG_INACTIVE.format(u=row["username"]))
    return _principal(row)


# ---------------------------------------------------------------- demo accounts and production start
def ensure_demo_accounts(db) -> list[str]:
    """Create the documented demo accounts that do not exist yet (sample organisation); returns their names.
    A demo account whose scope unit is missing is skipped."""
    made = []
    for acc in DEMO_ACCOUNTS:
        if get_user(db, acc["username"]):
            continue
        scope = acc["scope_unit"] or _root_code(db)
        if not db.query_rows("SELECT 1 FROM units WHERE code = ?", [scope]):
            continue
        made.append(add_user(db, acc["username"], role=acc["role"], scope_unit=scope, password=acc["password"],
                             full_name=acc["full_name"], is_demo=True))
    return made


def production_mode() -> bool:
    """True when DASHBOARD_ENV=production or dashboard.toml [security] production = true."""
    if os.environ.get(PRODUCTION_ENV, "").strip().lower() in ("production", "prod"):
        return True
    cfg = Path(os.environ.get(CONFIG_ENV) or PROJECT_DIR / "dashboard.toml")
    try:
        with open(cfg, "rb") as fh:
            return bool(tomllib.load(fh).get("security", {}).get("production", False))
    except (OSError, tomllib.TOMLDecodeError):
        return False


_DEFAULT_CHECKED: dict[str, bool] = {}  # hash -> has a default password (a hash is unique per salt)


def default_password_accounts(db) -> list[str]:
    """Active accounts that are demo accounts or still have a documented default password."""
    bad = []
    for name, pw_hash, demo in db.query_rows(
            "SELECT username, password_hash, is_demo FROM users WHERE active ORDER BY username"):
        if pw_hash and pw_hash not in _DEFAULT_CHECKED:  # slow by design: each hash is checked once per process
            _DEFAULT_CHECKED[pw_hash] = any(verify_password(pw_hash, p) for p in DEFAULT_PASSWORDS)
        if demo or _DEFAULT_CHECKED.get(pw_hash, False):
            bad.append(name)
    return bad


def check_production(db) -> None:
    """In production mode, refuse to run while an active demo or default-password account exists."""
    if not production_mode():
        return
    bad = default_password_accounts(db)
    if bad:
        raise DashboardError(
            "Chế độ vận hành chính thức (production): không khởi động khi còn tài khoản dùng thử hoặc mật khẩu "
            f"mặc định: {', '.join(bad)}. Hãy khóa các tài khoản này (python -m loaders users deactivate TÊN) "
            "hoặc đổi mật khẩu (python -m loaders users passwd TÊN).")


# ---------------------------------------------------------------- sessions that survive a browser reload
SESSION_COOKIE = "dv_phien"
SESSION_HOURS = 12  # a working day; a reload or a new tab within it needs no new sign-in
_SECRET_KEY = "session_secret"


def _session_secret(db) -> bytes:
    """The key that signs session cookies, kept in the database so every app instance shares it (made once,
    by whichever instance needs it first)."""
    from core.storage import read_meta, write_meta

    secret = read_meta(db, _SECRET_KEY)
    if secret is None:
        import secrets

        with db.transaction(changes_figures=False) as cur:
            row = cur.execute("SELECT value FROM meta WHERE key = ?", [_SECRET_KEY]).fetchone()
            secret = row[0] if row else secrets.token_hex(32)
            if not row:
                write_meta(cur, _SECRET_KEY, secret)
    return bytes.fromhex(secret)


def _sign(db, session_id: str) -> str:
    import hashlib
    import hmac

    return hmac.new(_session_secret(db), session_id.encode("ascii"), hashlib.sha256).hexdigest()


def start_session(db, principal: Principal, *, origin: str | None = None, hours: int = SESSION_HOURS) -> str:
    """A new sign-in session of `principal`, recorded in the database (shared by every instance); returns
    the cookie value: the session id with its HMAC, so a forged or altered cookie is refused unread."""
    import secrets

    session_id = secrets.token_hex(16)
    now = now_local()
    with db.transaction(changes_figures=False) as cur:
        cur.execute("INSERT INTO login_sessions (id, username, created_at, expires_at, origin) VALUES (?, ?, ?, ?, ?)",
                    [session_id, principal.username, now, now + dt.timedelta(hours=hours), origin])
    return f"{session_id}.{_sign(db, session_id)}"


def session_principal(db, cookie: str | None) -> Principal | None:
    """The principal a session cookie stands for: None unless the signature holds, the session exists, is
    not revoked, has not expired, and its account is active (a locked account's sessions end with it)."""
    import hmac

    if not cookie or cookie.count(".") != 1:
        return None
    session_id, signature = cookie.split(".")
    if not re.fullmatch(r"[0-9a-f]{32}", session_id) or not hmac.compare_digest(signature, _sign(db, session_id)):
        return None
    row = db.query_rows("SELECT username FROM login_sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
                        [session_id, now_local()])
    if not row:
        return None
    try:
        return principal_for_user(db, row[0][0])
    except DashboardError:
        return None


def end_session(db, cookie: str | None) -> None:
    """Revoke a session at sign-out: its cookie opens nothing afterwards, on any instance."""
    if not cookie or "." not in cookie:
        return
    with db.transaction(changes_figures=False) as cur:
        cur.execute("UPDATE login_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    [now_local(), cookie.split(".", 1)[0]])
