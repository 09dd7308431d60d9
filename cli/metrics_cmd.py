"""`python -m metrics --year YYYY [--quarter N] [--unit CODE] [--as-of YYYY-MM-DD] [--db PATH] [--json]`
(and the optional `--approved-only`: only the reports the office approved), and
`python -m metrics report --year Y [--quarter N] [--unit CODE] [--as-of D] --out FILE.docx [--pdf]`.

The metrics half of interfaces.md: one JSON object with --json, else a readable Vietnamese table.
Exit status: 0 success; 2 usage error, unknown unit, or a database that cannot be opened (a message,
never a traceback). `report` (issue 12) writes the review report (báo cáo sơ kết / tổng kết) as .docx, and
with --pdf also FILE.pdf beside it; exit 1 when the .docx was written but LibreOffice could not make the PDF.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import duckdb

from cli.args import Parser, UsageError
from core.errors import DashboardError
from core.text import STATUS, fmt_auto, fmt_date, fmt_target, fmt_value, status_label
from metrics.indicators import ACTIVITIES_BY_CODE, short_code

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

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


def build_report_parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m metrics report`."""
    p = Parser(prog="python -m metrics report", add_help=False,
               description="Viết báo cáo sơ kết (một quý) hoặc tổng kết (cả năm) dạng Word (.docx), kèm PDF nếu cần.")
    p.add_argument("-h", "--help", action="help", help="in hướng dẫn này rồi thoát")
    p.add_argument("--year", type=int, required=True, metavar="YYYY", help="năm báo cáo")
    p.add_argument("--quarter", type=int, choices=(1, 2, 3, 4), metavar="N",
                   help="sơ kết quý N (chỉ tiêu lũy kế đến hết quý N); không có: tổng kết cả năm")
    p.add_argument("--unit", metavar="CODE", help="mã đơn vị (mặc định: toàn Đảng bộ)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="ngày tính số liệu (mặc định: hôm nay)")
    p.add_argument("--out", required=True, metavar="FILE.docx", help="tệp Word sẽ ghi")
    p.add_argument("--pdf", action="store_true", help="ghi thêm bản PDF cùng tên (cần LibreOffice)")
    p.add_argument("--db", metavar="PATH", help="tệp cơ sở dữ liệu DuckDB")
    p.add_argument("--user", metavar="NAME", help="viết với quyền và phạm vi của tài khoản này (mật khẩu lấy "
                   "từ biến DASHBOARD_PASSWORD hoặc hỏi khi chạy); không có: người vận hành cục bộ")
    return p


def _as_of(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of phải có dạng YYYY-MM-DD: {text!r}") from None


def _utf8_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


def _on_database(args, work: Callable[[Any, Any], Any]) -> Any:
    """work(db, principal) on the database of --db as the account of --user (none: the local operator);
    None after printing the Vietnamese message of a failure (exit 2: unknown unit, a scope refused, a
    database that cannot be opened or is found damaged while reading)."""
    try:
        from cli.loaders_cmd import sign_in
        from core.auth import check_production
        from core.storage import open_database

        db = open_database(args.db)
        try:
            check_production(db)
            return work(db, sign_in(db, args.user))
        finally:
            db.close()
    except DashboardError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
    except duckdb.Error as exc:  # e.g. a block found damaged only now, while reading
        from core.config import resolve_db_path
        from core.storage import describe_error

        print(f"Lỗi: {describe_error(resolve_db_path(args.db), exc)}", file=sys.stderr)
    return None


def report_main(argv: Sequence[str]) -> int:
    """`python -m metrics report …`: write the review report; returns the exit status."""
    parser = build_report_parser()
    try:
        args = parser.parse_args(argv)
        as_of = _as_of(args.as_of)
        out = Path(args.out)
        if out.suffix.lower() != ".docx":
            raise UsageError(f"--out phải là tệp .docx: {args.out!r}")
    except UsageError as exc:
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def write(db, principal) -> bytes:
        from cli.loaders_cmd import write_file
        from core import audit
        from metrics.review import review_docx

        data = review_docx(db, year=args.year, quarter=args.quarter, unit=args.unit, as_of=as_of,
                           principal=principal)
        write_file(out, data, "báo cáo")
        audit.record(db, actor=principal.username or None, action="export", object=out.name,
                     detail={"bytes": len(data), "year": args.year, "quarter": args.quarter, "unit": args.unit})
        return data

    data = _on_database(args, write)
    if data is None:
        return EXIT_USAGE
    print(f"Đã ghi báo cáo: {out}")
    if not args.pdf:
        return EXIT_OK
    try:
        from cli.loaders_cmd import write_file
        from metrics.pdf import to_pdf

        pdf = out.with_suffix(".pdf")
        write_file(pdf, to_pdf(data, ".docx"), "bản PDF")
    except DashboardError as exc:  # the .docx is there; only its PDF is missing
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return EXIT_PARTIAL
    print(f"Đã ghi bản PDF: {pdf}")
    return EXIT_OK


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
    """Run the command; returns the exit status. A first argument `report` selects the review report;
    anything else is the interfaces.md command, unchanged."""
    _utf8_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["report"]:
        return report_main(argv[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        as_of = _as_of(args.as_of)
    except UsageError as exc:
        print(parser.format_usage().rstrip(), file=sys.stderr)
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from metrics.engine import compute

    report = _on_database(args, lambda db, principal: compute(
        db, year=args.year, quarter=args.quarter, unit=args.unit, as_of=as_of, principal=principal,
        approved_only=args.approved_only))
    if report is None:
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
