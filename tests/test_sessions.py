"""Sign-in that survives a browser reload: a signed, expiring session kept in the database (so every app
instance honours it), revoked at sign-out, ended with a locked account; a forged cookie opens nothing.
Runs on both backends (tests/backends.py)."""
from __future__ import annotations

from core import auth
from core.storage import open_database


def _admin(db) -> auth.Principal:
    auth.ensure_demo_accounts(db)
    return auth.principal_for_user(db, "admin")


def test_a_session_cookie_brings_the_account_back_until_sign_out(db):
    admin = _admin(db)
    cookie = auth.start_session(db, admin, origin="web@127.0.0.1")
    assert auth.session_principal(db, cookie) == admin
    auth.end_session(db, cookie)
    assert auth.session_principal(db, cookie) is None  # revoked: the same cookie opens nothing


def test_a_forged_altered_or_expired_cookie_opens_nothing(db):
    admin = _admin(db)
    cookie = auth.start_session(db, admin)
    session_id, signature = cookie.split(".")
    other = "0" * 32
    for bad in (None, "", "rác", f"{session_id}.{'0' * 64}", f"{other}.{signature}", f"{session_id}.{signature}x",
                f"{session_id}.{signature}.{signature}"):
        assert auth.session_principal(db, bad) is None, bad
    old = auth.start_session(db, admin, hours=0)  # expires at once
    assert auth.session_principal(db, old) is None


def test_a_locked_account_ends_its_sessions(db):
    admin = _admin(db)
    auth.add_user(db, "canbo1", role="van_phong", scope_unit=None, password="mat-khau-dai-1", full_name="Cán bộ 1")
    office = auth.principal_for_user(db, "canbo1")
    cookie = auth.start_session(db, office)
    assert auth.session_principal(db, cookie) == office
    auth.deactivate_user(db, "canbo1", principal=admin)
    assert auth.session_principal(db, cookie) is None


def test_another_instance_honours_the_session(db, db_path):
    """The secret and the sessions live in the database: a second connection (another app instance on the
    same PostgreSQL server, or the same file reopened) accepts the cookie, and sees its revocation."""
    admin = _admin(db)
    cookie = auth.start_session(db, admin)
    target = db.dsn or db.path
    db.close()
    again = open_database(target)
    try:
        assert auth.session_principal(again, cookie) == admin
        auth.end_session(again, cookie)
        assert auth.session_principal(again, cookie) is None
    finally:
        again.close()


def test_signing_in_and_out_changes_no_figure(db):
    """Sessions are not figures: starting and ending one leaves data_version (every cache key) alone."""
    admin = _admin(db)
    version = db.data_version
    auth.end_session(db, auth.start_session(db, admin))
    assert db.data_version == version
