"""`python -m loaders …` — the loader half of interfaces.md: template, units, ingest, sample; and users.

Without --user a command runs as the trusted local operator (whoever can run it can already read and
write the database file); `ingest --user NAME` acts with that account's role and scope instead.

Exit status: 0 every file accepted (or an identical duplicate), 1 at least one rejected, 2 usage error or
a database that cannot be opened. Expected failures print their Vietnamese message, never a traceback.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import getpass
import json
import sys
from pathlib import Path
from typing import Sequence

import duckdb

from cli.args import Parser, UsageError
from core.auth import OPERATOR
from core.errors import DashboardError, Issue

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
PASSWORD_ENV = "DASHBOARD_PASSWORD"

STATUS_TEXT = {"accepted": "ĐÃ NHẬN", "rejected": "BỊ TỪ CHỐI", "duplicate": "TRÙNG (đã có, không thay đổi)"}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m loaders`."""
    p = Parser(prog="python -m loaders", description="Nạp dữ liệu báo cáo vào bảng điều khiển.")
    sub = p.add_subparsers(dest="command", metavar="LỆNH", parser_class=Parser)
    t = sub.add_parser("template", help="ghi mẫu báo cáo trắng (.xlsx)")
    t.add_argument("out", metavar="OUT.xlsx")
    u = sub.add_parser("units", help="nạp danh sách đơn vị")
    u.add_argument("file", metavar="UNITS.xlsx")
    u.add_argument("--db", metavar="PATH")
    i = sub.add_parser("ingest", help="nạp các tệp báo cáo (tệp hoặc thư mục)")
    i.add_argument("paths", nargs="+", metavar="PATH")
    i.add_argument("--db", metavar="PATH")
    i.add_argument("--received-at", metavar="ISO_DATETIME")
    i.add_argument("--uploader", metavar="NAME")
    i.add_argument("--add-units", action="store_true",
                   help="chấp nhận mã đơn vị chưa có trong danh sách là đơn vị mới (quyền quản trị)")
    i.add_argument("--json", action="store_true")
    i.add_argument("--progress", action="store_true",
                   help="hiện tiến độ trên stderr (mặc định: chỉ khi stderr là cửa sổ dòng lệnh)")
    i.add_argument("--user", metavar="NAME", help="nộp với quyền và phạm vi của tài khoản này "
                   "(mật khẩu lấy từ biến DASHBOARD_PASSWORD hoặc hỏi khi chạy)")
    s = sub.add_parser("sample", help="nạp dữ liệu mẫu vào cơ sở dữ liệu")
    s.add_argument("--db", metavar="PATH")
    f = sub.add_parser("prefill", help="ghi mẫu báo cáo đã điền sẵn của một đơn vị cho một kỳ (.xlsx)")
    f.add_argument("out", metavar="OUT.xlsx")
    f.add_argument("--unit", required=True, metavar="CODE")
    f.add_argument("--year", required=True, type=int, metavar="YYYY")
    f.add_argument("--period", required=True, metavar="KỲ", help="Q1, Q2, Q3, Q4 hoặc Y (năm)")
    for name, helptext in (("lock", "khóa một kỳ báo cáo (không nộp mới hoặc nộp lại được)"),
                           ("unlock", "mở khóa một kỳ báo cáo (quản trị hệ thống)")):
        k = sub.add_parser(name, help=helptext)
        k.add_argument("--year", required=True, type=int, metavar="YYYY")
        k.add_argument("--period", required=True, metavar="KỲ", help="Q1, Q2, Q3, Q4 hoặc Y (năm)")
        k.add_argument("--reason", required=name == "unlock", metavar="LÝ_DO")
        k.add_argument("--db", metavar="PATH")
        k.add_argument("--user", metavar="NAME", help="thực hiện với quyền của tài khoản này")
    ap = sub.add_parser("approve", help="duyệt báo cáo (theo số báo cáo)")
    ap.add_argument("submission_ids", nargs="+", type=int, metavar="SỐ_BÁO_CÁO")
    ap.add_argument("--comment", metavar="GHI_CHÚ")
    rt = sub.add_parser("return", help="trả lại một báo cáo cho đơn vị, kèm nhận xét")
    rt.add_argument("submission_id", type=int, metavar="SỐ_BÁO_CÁO")
    rt.add_argument("--comment", required=True, metavar="NHẬN_XÉT")
    rm = sub.add_parser("remind", help="lập công văn đôn đốc (và gửi e-mail) cho các đơn vị chưa nộp")
    rm.add_argument("units", nargs="*", metavar="CODE", help="mặc định: mọi đơn vị trong danh sách cần đôn đốc")
    rm.add_argument("--year", required=True, type=int, metavar="YYYY")
    rm.add_argument("--period", required=True, metavar="KỲ", help="Q1, Q2, Q3, Q4 hoặc Y (năm)")
    rm.add_argument("--email", action="store_true", help="gửi kèm e-mail qua máy chủ thư đã cấu hình ([smtp])")
    rm.add_argument("--out", metavar="CONG_VAN.docx", help="ghi các công văn vào tệp .docx này")
    for x in (f, ap, rt, rm):
        x.add_argument("--db", metavar="PATH")
        x.add_argument("--user", metavar="NAME", help="với quyền và phạm vi của tài khoản này")
    _users_parser(sub)
    _maintenance_parsers(sub)
    return p


def _users_parser(sub) -> None:
    """`users add|list|passwd|deactivate`: accounts (the local operator acts as administrator)."""
    from core.auth import ROLES

    us = sub.add_parser("users", help="quản lý tài khoản người dùng")
    acts = us.add_subparsers(dest="users_command", metavar="VIỆC", parser_class=Parser)
    a = acts.add_parser("add", help="tạo tài khoản")
    a.add_argument("username", metavar="USERNAME")
    a.add_argument("--role", required=True, choices=tuple(ROLES))
    a.add_argument("--unit", metavar="CODE", help="đơn vị phạm vi (mặc định: toàn Đảng bộ)")
    a.add_argument("--name", metavar="HỌ_TÊN")
    a.add_argument("--email", metavar="EMAIL", help="email dùng khi đăng nhập qua OIDC")
    a.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ dòng đầu của stdin")
    a.add_argument("--db", metavar="PATH")
    ls = acts.add_parser("list", help="liệt kê tài khoản")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--db", metavar="PATH")
    pw = acts.add_parser("passwd", help="đặt mật khẩu mới")
    pw.add_argument("username", metavar="USERNAME")
    pw.add_argument("--password-stdin", action="store_true", help="đọc mật khẩu từ dòng đầu của stdin")
    pw.add_argument("--db", metavar="PATH")
    d = acts.add_parser("deactivate", help="khóa tài khoản")
    d.add_argument("username", metavar="USERNAME")
    d.add_argument("--db", metavar="PATH")


def parse_received_at(text: str | None) -> dt.datetime | None:
    """An ISO date or datetime (aware or naive local); raises UsageError when it is not one."""
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--received-at không hợp lệ: '{text}' (dùng dạng 2024-04-10T09:30:00)") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    from core.auth import operating
    from core.storage import closing_new_databases

    args = None
    try:
        args = parser.parse_args(argv)
        if not args.command:
            raise UsageError("thiếu lệnh (template, units, ingest, prefill, sample, users, audit, rebuild, backup "
                             "hoặc restore)")
        # every database the command opened is checkpointed and closed before the process exits, so the
        # next process reads the file itself rather than replaying this one's WAL (core.storage.Database.close)
        # the command line acts as the trusted local operator unless --user names an account
        with closing_new_databases(), operating():
            return COMMANDS[args.command](args)
    except UsageError as exc:
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print(f"Lỗi cách dùng: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DashboardError as exc:
        print(exc.message, file=sys.stderr)
        for issue in exc.issues:
            print("  " + format_issue(issue), file=sys.stderr)
        return EXIT_USAGE
    except (OSError, duckdb.Error) as exc:  # what no command foresaw still gets a sentence, not a traceback
        print(system_error_message(exc, getattr(args, "db", None)), file=sys.stderr)
        return EXIT_USAGE


def system_error_message(exc: BaseException, db: str | None = None) -> str:
    """A Vietnamese line for an operating-system or database error no command turned into its own message:
    a full disk, a damaged database file (`db`, else the default one), or the system's reason."""
    from core.config import resolve_db_path
    from core.errors import disk_full_error, is_disk_full
    from core.storage import describe_error, is_corruption

    if is_disk_full(exc):
        return disk_full_error("dữ liệu", "lệnh đã dừng; phần đã lưu trước đó vẫn nguyên vẹn").message
    if isinstance(exc, duckdb.Error) and is_corruption(exc):
        return describe_error(resolve_db_path(db), exc)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"Lỗi hệ thống tệp{where}: {exc.strerror or exc}"
    return f"Lỗi cơ sở dữ liệu: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"


# ---------------------------------------------------------------- commands
def _open(args, *, production_check: bool = True):
    from core.auth import check_production
    from core.config import resolve_db_path
    from core.storage import open_database

    path = resolve_db_path(getattr(args, "db", None))
    try:
        db = open_database(path)
    except OSError as exc:  # e.g. a folder that cannot be created: a database that cannot be opened
        raise DashboardError(f"Không mở được cơ sở dữ liệu {path}: {exc.strerror or exc}") from None
    if production_check:  # `users` is how default accounts get fixed, so it is never blocked
        check_production(db)
    return db


def sign_in(db, username: str | None):
    """The Principal of `--user NAME` (password from $DASHBOARD_PASSWORD, else a prompt); without --user
    the explicit trusted local operator (core.auth.OPERATOR)."""
    if not username:
        return OPERATOR
    import os

    from core.auth import authenticate

    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise DashboardError(f"Cần mật khẩu của “{username}”: đặt biến môi trường {PASSWORD_ENV} "
                                 "hoặc chạy lệnh trong cửa sổ dòng lệnh để nhập.")
        password = getpass.getpass(f"Mật khẩu của {username}: ")
    return authenticate(db, username, password)


def cmd_template(args) -> int:
    """Write the blank standard workbook."""
    from loaders.template import template_bytes

    out = Path(args.out)
    write_file(out, template_bytes(), "mẫu báo cáo")
    print(f"Đã ghi mẫu báo cáo: {out}")
    return EXIT_OK


def write_file(out: Path, data: bytes, what: str) -> None:
    """Write a file the command produces whole or not at all (a temporary file beside it, then a rename):
    a full disk leaves no truncated workbook behind, only the Vietnamese message."""
    import os
    import tempfile

    from core.errors import disk_full_error, is_disk_full

    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        if is_disk_full(exc):
            raise disk_full_error(f"{what} {out}", "chưa ghi được tệp nào") from None
        raise DashboardError(f"Không ghi được {what} {out}: {exc.strerror or exc}") from None


def cmd_units(args) -> int:
    """Load the unit list; a list with errors is rejected whole (exit 1)."""
    from loaders.units import load_unit_list_path

    db = _open(args)
    try:
        result = load_unit_list_path(db, args.file)
    except DashboardError as exc:
        if not exc.issues:
            raise
        print(exc.message, file=sys.stderr)
        for issue in exc.issues:
            print("  " + format_issue(issue), file=sys.stderr)
        return EXIT_REJECTED
    print(f"Đã nạp danh sách đơn vị {args.file}: thêm {len(result.added)}, cập nhật {len(result.updated)}, "
          f"ngừng hoạt động {len(result.deactivated)}, không đổi {len(result.unchanged)}.")
    for w in result.warnings:
        print("  Cảnh báo: " + format_issue(w))
    return EXIT_OK


def cmd_ingest(args) -> int:
    """Ingest files and folders; 0 when every file is accepted or a duplicate, else 1."""
    from loaders.store import expand_paths, ingest_paths

    received_at = parse_received_at(args.received_at)
    db = _open(args)
    principal = sign_in(db, args.user)
    uploader = args.uploader or principal.username or _os_user()
    files = expand_paths(args.paths)  # once: ingest_paths takes the list as it is
    if not files:
        print("Không tìm thấy tệp .xlsx nào trong các đường dẫn đã cho.", file=sys.stderr)
    show = len(files) > 1 and (args.progress or _is_tty(sys.stderr))
    progress = ProgressLine(sys.stderr) if show else None
    # the imported libraries (pandas, pyarrow, duckdb) are hundreds of thousands of objects that every full
    # collection would rescan as the batch's garbage grows: freeze them, and keep no parsed rows per file
    # (10 % of a 200-file batch's time, measured)
    gc.freeze()
    results = ingest_paths(db, files, received_at=received_at, uploader=uploader, progress=progress,
                           principal=principal, keep_parsed=False, add_units=args.add_units)
    if progress:
        progress.done(len(results))
    if args.json:
        print(json.dumps({"files": [r.to_json() for r in results]}, ensure_ascii=False, indent=1))
    else:
        for r in results:
            print(format_result(r))
        counts = {s: sum(r.status == s for r in results) for s in STATUS_TEXT}
        print(f"Tổng cộng {len(results)} tệp: {counts['accepted']} đã nhận, {counts['duplicate']} trùng, "
              f"{counts['rejected']} bị từ chối.")
    return EXIT_REJECTED if any(r.status == "rejected" for r in results) else EXIT_OK


def _open_for_period(args):
    """(database, principal, period code) of a command naming --period; a bad period is a usage error."""
    from metrics.office_loop import check_period

    try:
        period = check_period(args.period)
    except DashboardError as exc:
        raise UsageError(exc.message) from None
    db = _open(args)
    return db, sign_in(db, args.user), period


def cmd_prefill(args) -> int:
    """Write a unit's pre-filled workbook of a period (its code, name and type; the cells of its latest
    report; every petition still pending): loading it back unchanged is a valid report."""
    from metrics.office_loop import prefill_bytes

    db, principal, period = _open_for_period(args)
    data = prefill_bytes(db, unit=args.unit, year=args.year, period=period, principal=principal)
    out = Path(args.out)
    write_file(out, data, "mẫu báo cáo điền sẵn")
    print(f"Đã ghi mẫu báo cáo điền sẵn của {args.unit.strip().upper()} kỳ {period}/{args.year}: {out}")
    return EXIT_OK


def cmd_review(args) -> int:
    """approve: approve reports (a period complete and approved locks); return: send one back with a comment."""
    from ops.review import approve_reports, return_report

    db = _open(args)
    principal = sign_in(db, args.user)
    if args.command == "approve":
        print(approve_reports(db, args.submission_ids, comment=args.comment, principal=principal).message("Đã duyệt"))
    else:
        print(return_report(db, args.submission_id, comment=args.comment, principal=principal).message("Đã trả lại"))
    return EXIT_OK


def cmd_remind(args) -> int:
    """Issue reminder notices (and e-mails with --email) to the named units, else to every unit on the list
    of units to chase for the period; --out writes the notices (.docx)."""
    from metrics.office_loop import chase_list
    from ops.reminders import send_reminders

    db, principal, period = _open_for_period(args)
    units = args.units or chase_list(db, year=args.year, period=period, principal=principal)["unit_code"].tolist()
    if not units:
        print(f"Không có đơn vị nào cần đôn đốc về báo cáo {period}/{args.year}.")
        return EXIT_OK
    out = send_reminders(db, units, year=args.year, period=period, email=args.email, principal=principal)
    if args.out:
        write_file(Path(args.out), out.docx, "công văn đôn đốc")
    print(out.message() + (f" Công văn: {args.out}" if args.out else ""))
    return EXIT_REJECTED if out.not_emailed and args.email else EXIT_OK


def cmd_lock(args) -> int:
    """Lock (`lock`) or unlock (`unlock`, administrators) a reporting period of the whole organisation."""
    from ops.review import lock_period, unlock_period

    db = _open(args)
    principal = sign_in(db, args.user)
    if args.command == "lock":
        print(lock_period(db, args.year, args.period, reason=args.reason, principal=principal))
    else:
        print(unlock_period(db, args.year, args.period, reason=args.reason, principal=principal))
    return EXIT_OK


def cmd_sample(args) -> int:
    """Load the sample organisation (helper module ops.sample)."""
    from ops.sample import load_sample

    db = _open(args)
    outcome = load_sample(db)
    message = outcome.get("message") if isinstance(outcome, dict) else outcome
    print(message or "Đã nạp dữ liệu mẫu.")
    return EXIT_OK


def _read_new_password(args) -> str:
    """The new password: first line of stdin with --password-stdin, else typed twice (never an argument)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise DashboardError("Không có cửa sổ dòng lệnh để nhập mật khẩu: dùng --password-stdin.")
    first = getpass.getpass("Mật khẩu mới: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise DashboardError("Hai lần nhập mật khẩu không khớp.")
    return first


def cmd_users(args) -> int:
    """Accounts: add, list, passwd, deactivate (the local operator is the administrator)."""
    from core import auth

    if not args.users_command:
        raise UsageError("thiếu việc cần làm (add, list, passwd hoặc deactivate)")
    db = _open(args, production_check=False)
    if args.users_command == "add":
        name = auth.add_user(db, args.username, role=args.role, scope_unit=args.unit,
                             password=_read_new_password(args), full_name=args.name, email=args.email)
        print(f"Đã tạo tài khoản {name} ({auth.ROLE_LABELS[args.role]}).")
    elif args.users_command == "passwd":
        auth.set_password(db, args.username, _read_new_password(args))
        print(f"Đã đổi mật khẩu của {args.username.strip().lower()}.")
    elif args.users_command == "deactivate":
        auth.deactivate_user(db, args.username)
        print(f"Đã khóa tài khoản {args.username.strip().lower()}.")
    else:
        users = auth.list_users(db)
        if args.json:
            rows = [{"username": r.username, "full_name": r.full_name, "role": r.role, "scope_unit": r.scope_unit,
                     "email": r.email if isinstance(r.email, str) else None, "active": bool(r.active),
                     "is_demo": bool(r.is_demo)} for r in users.itertuples()]
            print(json.dumps({"users": rows}, ensure_ascii=False, indent=1))
        else:
            print(f"{'Tên đăng nhập':<20} {'Vai trò':<20} {'Phạm vi':<10} {'Trạng thái':<12} Họ tên")
            for r in users.itertuples():
                state = ("hoạt động" if r.active else "đã khóa") + (" (thử)" if r.is_demo else "")
                print(f"{r.username:<20} {auth.ROLE_LABELS.get(r.role, r.role):<20} {r.scope_unit:<10} "
                      f"{state:<12} {r.full_name}")
    return EXIT_OK


def _maintenance_parsers(sub) -> None:
    """audit, rebuild, backup, restore."""
    a = sub.add_parser("audit", help="xem nhật ký hoạt động")
    a.add_argument("--since", metavar="YYYY-MM-DD")
    a.add_argument("--until", metavar="YYYY-MM-DD")
    a.add_argument("--action", metavar="A", help="một mã hành động, ví dụ upload_accepted")
    a.add_argument("--actor", metavar="NAME")
    a.add_argument("--limit", type=int, metavar="N")
    a.add_argument("--json", action="store_true")
    a.add_argument("--db", metavar="PATH")
    r = sub.add_parser("rebuild", help="dựng lại cơ sở dữ liệu từ các tệp gốc trong thư mục lưu trữ")
    r.add_argument("--db", metavar="NEW", help="tệp cơ sở dữ liệu mới (mặc định: tệp mặc định)")
    r.add_argument("--from", dest="source", metavar="OLD_DB_OR_ARCHIVE",
                   help="cơ sở dữ liệu cũ (dùng thư mục lưu trữ của nó) hoặc thư mục lưu trữ")
    r.add_argument("--force", action="store_true", help="ghi đè tệp --db nếu đã có")
    r.add_argument("--json", action="store_true")
    b = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu và thư mục lưu trữ vào một tệp .tar.gz")
    b.add_argument("out", metavar="OUT.tar.gz")
    b.add_argument("--db", metavar="PATH")
    b.add_argument("--json", action="store_true")
    o = sub.add_parser("restore", help="phục hồi cơ sở dữ liệu và thư mục lưu trữ từ bản sao lưu")
    o.add_argument("backup", metavar="IN.tar.gz")
    o.add_argument("--db", metavar="PATH", required=True)
    o.add_argument("--force", action="store_true", help="ghi đè cơ sở dữ liệu đã có")
    o.add_argument("--json", action="store_true")
    m = sub.add_parser("merge-units", help="hợp nhất một đơn vị vào đơn vị khác (ví dụ mã gõ nhầm)")
    m.add_argument("source", metavar="FROM")
    m.add_argument("into", metavar="INTO")
    w = sub.add_parser("withdraw", help="rút một báo cáo đã nộp (bản trước đó được dùng lại)")
    w.add_argument("submission_id", type=int, metavar="SỐ_BÁO_CÁO")
    for x in (m, w):
        x.add_argument("--reason", required=True, metavar="LÝ_DO")
    c = sub.add_parser("changes", help="liệt kê các lần hợp nhất đơn vị, rút báo cáo và hoàn tác")
    c.add_argument("--json", action="store_true")
    u = sub.add_parser("undo", help="hoàn tác một lần hợp nhất hoặc rút báo cáo")
    u.add_argument("change_id", type=int, metavar="SỐ_THAY_ĐỔI")
    for x in (m, w, c, u):
        x.add_argument("--db", metavar="PATH")
        x.add_argument("--user", metavar="NAME", help="thực hiện với quyền của tài khoản này")


def cmd_corrections(args) -> int:
    """merge-units, withdraw, undo: one correction, printed; changes: the list of them."""
    from ops import corrections

    db = _open(args)
    principal = sign_in(db, args.user)
    if args.command == "changes":
        rows = [{k: (v.isoformat(sep=" ") if hasattr(v, "isoformat") else (None if v != v else v))
                 for k, v in r._asdict().items()} for r in corrections.list_changes(db).itertuples(index=False)]
        if args.json:
            print(json.dumps({"changes": rows}, ensure_ascii=False, indent=1, default=str))
        else:
            for r in rows:
                undone = f" — đã hoàn tác ({r['undone_by']}, {r['undone_at']})" if r["undone_at"] else ""
                print(f"{r['id']:>4}  {r['kind']:<8} {r['object']:<28} {r['done_by']}, {r['done_at']}: "
                      f"{r['reason'] or ''}{undone}")
            print(f"{len(rows)} thay đổi.")
        return EXIT_OK
    if args.command == "merge-units":
        change = corrections.merge_units(db, args.source, args.into, reason=args.reason, principal=principal)
    elif args.command == "withdraw":
        change = corrections.withdraw_report(db, args.submission_id, reason=args.reason, principal=principal)
    else:
        change = corrections.undo_change(db, args.change_id, principal=principal)
    print(f"{change.summary} (thay đổi số {change.id})")
    return EXIT_OK


def cmd_audit(args) -> int:
    """Print the audit log, newest first (a table, or JSON with --json)."""
    from core.audit import list_events

    events = list_events(_open(args, production_check=False), since=args.since, until=args.until,
                         actor=args.actor, action=args.action, limit=args.limit)
    rows = [{"id": int(r.id), "at_time": r.at_time.isoformat(sep=" "), "actor": r.actor, "action": r.action,
             "object": r.object if isinstance(r.object, str) else None,
             "detail": json.loads(r.detail_json) if isinstance(r.detail_json, str) else None,
             "origin": r.origin if isinstance(r.origin, str) else None} for r in events.itertuples()]
    if args.json:
        print(json.dumps({"events": rows}, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"{'Thời gian':<19}  {'Người thực hiện':<22} {'Hành động':<34} {'Nơi thực hiện':<22} Đối tượng")
    for r, label in zip(rows, events["action_label"]):
        print(f"{r['at_time']:<19}  {r['actor'][:22]:<22} {label[:34]:<34} {(r['origin'] or '')[:22]:<22} "
              f"{r['object'] or ''}")
    print(f"{len(rows)} sự kiện.")
    return EXIT_OK


def cmd_rebuild(args) -> int:
    """Recreate a database from the archive journal; exit 1 when some entry could not be replayed."""
    from core.config import resolve_db_path
    from ops.maintenance import rebuild

    result = rebuild(resolve_db_path(args.db), args.source, force=args.force)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1, default=str))
    else:
        print(result.message())
        for line in result.problems + (result.mismatches or []):
            print("  " + line)
    return EXIT_REJECTED if result.problems or result.mismatches else EXIT_OK


def cmd_backup(args) -> int:
    """Write a consistent backup (database + archive) to OUT.tar.gz."""
    from ops.maintenance import backup

    result = backup(_open(args, production_check=False), args.out)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    else:
        print(f"Đã sao lưu {result.db_path} và {result.archive_files} tệp gốc vào {result.path} "
              f"({result.counts['submissions']} báo cáo, {result.seconds:.1f} giây).")
    return EXIT_OK


def cmd_restore(args) -> int:
    """Restore a backup to --db PATH (refuses an existing database without --force)."""
    from ops.maintenance import restore

    result = restore(args.backup, args.db, force=args.force)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    else:
        print(f"Đã phục hồi {result.path} vào {result.db_path}: {result.counts['submissions']} báo cáo, "
              f"{result.archive_files} tệp gốc, số dòng và mã băm đã kiểm tra ({result.seconds:.1f} giây).")
    return EXIT_OK


COMMANDS = {"template": cmd_template, "units": cmd_units, "ingest": cmd_ingest, "sample": cmd_sample,
            "users": cmd_users, "audit": cmd_audit, "rebuild": cmd_rebuild, "backup": cmd_backup,
            "restore": cmd_restore, "merge-units": cmd_corrections, "withdraw": cmd_corrections,
            "changes": cmd_corrections, "undo": cmd_corrections, "prefill": cmd_prefill, "lock": cmd_lock,
            "unlock": cmd_lock, "approve": cmd_review, "return": cmd_review, "remind": cmd_remind}


# ---------------------------------------------------------------- output
def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers: the uploader stays unknown
        return None


def _is_tty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream: no progress line
        return False


class ProgressLine:
    """The `ingest` progress line on stderr ("Đang nhận 37/200 tệp… TÊN_TỆP"), rewritten in place with \r;
    stdout (the table or --json) never sees it."""

    WIDTH = 50  # characters of the file name shown

    def __init__(self, stream) -> None:
        self.stream = stream
        self.width = 0

    def __call__(self, n: int, total: int, path: Path) -> None:
        """Show that file n of total is being ingested."""
        self._write(f"Đang nhận {n}/{total} tệp… {path.name[:self.WIDTH]}")

    def done(self, total: int) -> None:
        """Replace the line with the final count and end it."""
        self._write(f"Đã xử lý {total}/{total} tệp.")
        self.stream.write("\n")
        self.stream.flush()

    def _write(self, text: str) -> None:
        # pad to the longest line so far: a shorter line must not leave the tail of the previous one
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(text))


def format_issue(issue: Issue) -> str:
    """One issue as a readable Vietnamese line: sheet, row, column, value, message."""
    where = []
    if issue.sheet:
        where.append(f"sheet '{issue.sheet}'")
    if issue.row:
        where.append(f"dòng {issue.row}")
    if issue.column:
        where.append(f"cột '{issue.column}'")
    if issue.value not in (None, ""):
        where.append(f"giá trị '{issue.value}'")
    return (", ".join(where) + ": " if where else "") + issue.message


def format_result(r) -> str:
    """A readable multi-line summary of one file's ingest result."""
    head = f"{r.file}: {STATUS_TEXT.get(r.status, r.status)}"
    if r.unit:
        head += f" — đơn vị {r.unit}, năm {r.year}, kỳ {r.period or '?'}"
    if r.status == "accepted":
        head += f", phiên bản {r.version}" + (" (thay thế bản trước)" if r.replaced_previous else "")
    lines = [head]
    lines += ["  Lỗi: " + format_issue(i) for i in r.errors]
    lines += ["  Cảnh báo: " + format_issue(i) for i in r.warnings]
    return "\n".join(lines)
