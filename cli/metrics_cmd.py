"""`python -m metrics --year YYYY [--quarter N] [--unit CODE] [--as-of YYYY-MM-DD] [--db PATH] [--json]`.

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

EXIT_OK, EXIT_USAGE = 0, 2

STATUS_TEXT = {"met": "Đạt", "not_met": "Chưa đạt", "exceeded": "Vượt", "no_data": "Không có dữ liệu",
               "no_target": "Không đánh giá"}
OP_TEXT = {">": ">", ">=": "≥", "=": "=", "<=": "≤", "<": "<"}
ACTIVITY_LABELS = {"DON_THU_NHAN": "Số đơn thư nhận", "DON_THU_QUA_HAN": "Số đơn thư quá hạn chưa giải quyết",
                   "DON_THU_SO_NGAY_TB": "Số ngày giải quyết đơn thư trung bình"}


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
    p.add_argument("--user", metavar="NAME", help="tính với quyền và phạm vi của tài khoản này (mật khẩu lấy "
                   "từ biến DASHBOARD_PASSWORD hoặc hỏi khi chạy); không có: người vận hành cục bộ")
    return p


def fmt_number(x, decimals: int = 1) -> str:
    """Vietnamese number format: 1.234,5 (thousands '.', decimal ','); '—' for missing."""
    if x is None:
        return "—"
    if isinstance(x, int) or float(x).is_integer():
        return f"{int(round(float(x))):,}".replace(",", ".")
    text = f"{float(x):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def fmt_value(x, unit: str) -> str:
    """A value with its unit for the table ('87,5%', '6 người')."""
    if x is None:
        return "—"
    return f"{fmt_number(x)}%" if unit == "%" else f"{fmt_number(x)} {unit}"


def fmt_target(t: dict | None, unit: str) -> str:
    """'= 100%', '5–10 người', '—'."""
    if t is None:
        return "—"
    suffix = "%" if unit == "%" else f" {unit}"
    if t["op"] == "range":
        return f"{fmt_number(t['min'])}–{fmt_number(t['max'])}{suffix}"
    return f"{OP_TEXT[t['op']]} {fmt_number(t['value'])}{suffix}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(js: dict) -> str:
    """The readable Vietnamese table of a report (the JSON object of interfaces.md)."""
    w = js["window"]
    period = f"lũy kế đến hết quý {w['quarter']} năm {w['year']}" if w["quarter"] else f"năm {w['year']}"
    as_of = dt.date.fromisoformat(w["as_of"]).strftime("%d/%m/%Y")
    s = js["scope"]
    lines = [f"{s['name']} ({s['unit']}) — {period}, tính đến ngày {as_of}", ""]
    head = ("Mã", "Chỉ tiêu", "Kết quả", "Tử số/Mẫu số", "Mục tiêu", "Đánh giá", "Chưa đạt")
    rows = []
    for i in js["indicators"]:
        frac = ("—" if i["numerator"] is None else fmt_number(i["numerator"])
                if i["denominator"] is None else f"{fmt_number(i['numerator'])}/{fmt_number(i['denominator'])}")
        behind = ", ".join(i["behind"][:5]) + (f" (+{len(i['behind']) - 5})" if len(i["behind"]) > 5 else "")
        rows.append((i["id"][:3], _cut(i["name"], 58), fmt_value(i["value"], i["unit"]), frac,
                     fmt_target(i["target"], i["unit"]), STATUS_TEXT[i["status"]], behind))
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    fmt = "  ".join(f"{{:{'>' if k in (2, 3) else '<'}{widths[k]}}}" for k in range(len(head)))
    lines.append(fmt.format(*head).rstrip())
    lines.append("  ".join("-" * wd for wd in widths))
    lines += [fmt.format(*r).rstrip() for r in rows]
    counts = {k: sum(1 for i in js["indicators"] if i["status"] == k) for k in STATUS_TEXT}
    lines += ["", "Tổng hợp: " + ", ".join(f"{STATUS_TEXT[k]} {n}" for k, n in counts.items() if n)]
    lines += ["", "Hoạt động" + (f" (quý {w['quarter']})" if w["quarter"] else "") + ":"]
    from loaders.elements import ELEMENTS_BY_CODE

    labels = {**{c: e.label for c, e in ELEMENTS_BY_CODE.items()}, **ACTIVITY_LABELS}
    lw = max(len(labels[k]) for k in js["activities"])
    for k, v in js["activities"].items():
        lines.append(f"  {labels[k]:<{lw}}  {fmt_number(v):>12}")
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
                             principal=principal)
        finally:
            db.close()
    except DashboardError as exc:
        print(f"Lỗi: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except duckdb.Error as exc:
        print(f"Lỗi: không đọc được cơ sở dữ liệu: {exc}", file=sys.stderr)
        return EXIT_USAGE
    js = report.to_json()
    text = json.dumps(js, ensure_ascii=False, indent=2) if args.json else render_table(js)
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`: the reader left, nothing to report
        sys.stdout = None
    return EXIT_OK
