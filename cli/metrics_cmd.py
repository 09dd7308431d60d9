"""`python -m metrics --year YYYY [--quarter N] [--unit CODE] [--as-of YYYY-MM-DD] [--db PATH] [--json]`
(and the optional `--approved-only`: only the reports the office approved).

The metrics half of interfaces.md: one JSON object with --json, else a readable Vietnamese table.
Exit status: 0 success; 2 usage error, unknown unit, or a database that cannot be opened (a message,
never a traceback).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Sequence

import duckdb

from cli.args import Parser, UsageError
from core.errors import DashboardError
from core.text import STATUS, fmt_auto, fmt_date, fmt_target, fmt_value, status_label
from metrics.indicators import ACTIVITIES_BY_CODE, short_code

EXIT_OK, EXIT_USAGE = 0, 2

def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m metrics`."""
    p = Parser(prog="python -m metrics", description="Tính các chỉ tiêu so với mục tiêu cho một đơn vị và kỳ.",
                add_help=False)
    p.add_argument("-h", "--help", action="help", help="in hướng dẫn này rồi thoát")
    p.add_argument("--year", type=int, required=True, metavar="YYYY", help="năm báo cáo")
    p.add_argument("--quarter", type=int, choices=(1, 2, 3, 4), metavar="N", help="lũy kế từ đầu năm đến hết quý N")
    p.add_argument("--unit", metavar="CODE", help="mã đơn vị (mặc định: toàn Đảng bộ)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="ngày tính (mặc định: hôm nay)")
    p.add_argument("--db", metavar="PATH", help="tệp cơ sở dữ liệu DuckDB")
    p.add_argument("--json", action="store_true", help="in một đối tượng JSON")
    p.add_argument("--approved-only", action="store_true",
                   help="chỉ tính các báo cáo Văn phòng đã duyệt (việc nộp và nộp đúng hạn vẫn tính mọi báo cáo)")
    p.add_argument("--user", metavar="NAME", help="tính với quyền và phạm vi của tài khoản này (mật khẩu lấy "
                   "từ biến DASHBOARD_PASSWORD hoặc hỏi khi chạy); không có: người vận hành cục bộ")
    return p


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(js: dict) -> str:
    """The readable Vietnamese table of a report (the JSON object of interfaces.md)."""
    w = js["window"]
    period = f"lũy kế đến hết quý {w['quarter']} năm {w['year']}" if w["quarter"] else f"năm {w['year']}"
    as_of = fmt_date(w["as_of"])
    s = js["scope"]
    lines = [f"{s['name']} ({s['unit']}) — {period}, tính đến ngày {as_of}", ""]
    head = ("Mã", "Chỉ tiêu", "Kết quả", "Tử số/Mẫu số", "Mục tiêu", "Đánh giá", "Chưa đạt")
    rows = []
    for i in js["indicators"]:
        frac = ("—" if i["numerator"] is None else fmt_auto(i["numerator"])
                if i["denominator"] is None else f"{fmt_auto(i['numerator'])}/{fmt_auto(i['denominator'])}")
        behind = ", ".join(i["behind"][:5]) + (f" (+{len(i['behind']) - 5})" if len(i["behind"]) > 5 else "")
        rows.append((short_code(i["id"]), _cut(i["name"], 58), fmt_value(i["value"], i["unit"]), frac,
                     fmt_target(i["target"], i["unit"]), status_label(i["status"]), behind))
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    fmt = "  ".join(f"{{:{'>' if k in (2, 3) else '<'}{widths[k]}}}" for k in range(len(head)))
    lines.append(fmt.format(*head).rstrip())
    lines.append("  ".join("-" * wd for wd in widths))
    lines += [fmt.format(*r).rstrip() for r in rows]
    counts = {k: sum(1 for i in js["indicators"] if i["status"] == k) for k in STATUS}
    lines += ["", "Tổng hợp: " + ", ".join(f"{status_label(k)} {n}" for k, n in counts.items() if n)]
    lines += ["", "Hoạt động" + (f" (quý {w['quarter']})" if w["quarter"] else "") + ":"]
    lw = max(len(ACTIVITIES_BY_CODE[k].label) for k in js["activities"])
    for k, v in js["activities"].items():
        lines.append(f"  {ACTIVITIES_BY_CODE[k].label:<{lw}}  {fmt_auto(v):>12}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        as_of = None
        if args.as_of:
            try:
                as_of = dt.date.fromisoformat(args.as_of)
            except ValueError:
                raise UsageError(f"--as-of phải có dạng YYYY-MM-DD: {args.as_of!r}") from None
    except UsageError as exc:
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        from core.auth import check_production
        from cli.loaders_cmd import sign_in
        from core.storage import open_database
        from metrics.engine import compute

        db = open_database(args.db)
        try:
            check_production(db)
            principal = sign_in(db, args.user)
            report = compute(db, year=args.year, quarter=args.quarter, unit=args.unit, as_of=as_of,
                             principal=principal, approved_only=args.approved_only)
        finally:
            db.close()
    except DashboardError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except duckdb.Error as exc:  # e.g. a block found damaged only now, while reading
        from core.config import resolve_db_path
        from core.storage import describe_error

        print(f"Lỗi: {describe_error(resolve_db_path(args.db), exc)}", file=sys.stderr)
        return EXIT_USAGE
    js = report.to_json()
    text = json.dumps(js, ensure_ascii=False, indent=2) if args.json else render_table(js)
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`: the reader left, nothing to report
        sys.stdout = None
    except OSError as exc:  # stdout redirected into a file on a full disk
        from core.errors import disk_full_error, is_disk_full

        sys.stdout = None  # the interpreter's own flush at exit would fail the same way
        message = (disk_full_error("kết quả", "tệp kết quả không đầy đủ, hãy chạy lại lệnh").message
                   if is_disk_full(exc) else f"Không ghi được kết quả: {exc.strerror or exc}")
        print(f"Lỗi: {message}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
