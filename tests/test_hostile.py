"""An adversarial corpus through the real loader entry point (gate → reader → validate → store).

Every file is built here in tmp_path by real writers (openpyxl, zipfile, raw zip records). Each case is
bounded in time (perf_counter) and memory (peak RSS growth sampled with psutil; the cases that could
exhaust memory run in a child process under RLIMIT_AS), gets its exact Vietnamese message, and stores
nothing. Figures are printed (see them with `pytest -s` or `-rA`) and repeated in assertion messages.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from openpyxl import load_workbook

from loaders.gate import check_upload
from core.auth import OPERATOR
from loaders.store import ingest_bytes, preview_bytes
from metrics.export import table_csv, table_xlsx
from tests.builders import default_cells, info_values, register_units, write_workbook

ROOT = Path(__file__).resolve().parents[1]
TIME_BOUND_S = 15.0  # generous for 2 loaded cores; the cases take well under 2 s
MEMORY_BOUND_MB = 600  # peak RSS growth for one file
CHILD_LIMIT_BYTES = 1536 * 1024 * 1024  # address space a child may add on top of what it has after imports
DTD_MSG = ("Tệp chứa khai báo DTD/thực thể XML («{}») không được phép; "
           "hãy mở bằng Excel và lưu lại dưới dạng .xlsx")
NOT_EXCEL = "Tệp không phải tệp Excel ({}); hãy dùng mẫu báo cáo và lưu dưới dạng .xlsx"
TOO_BIG = ("Sheet '{sheet}' của tệp {file} quá lớn (ít nhất {h} dòng × {w} cột, vượt giới hạn 2.000.000 ô); "
           "hãy xoá các dòng, cột thừa rồi tải lên lại.")
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


# ---------------------------------------------------------------- builders
@pytest.fixture
def db(db):
    """The fresh database with DB01, the unit of these workbooks, in the unit list."""
    register_units(db, "DB01")
    return db


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    """A valid v1 workbook (openpyxl) with one meeting row in `Sinh hoạt` (sheet4)."""
    path = write_workbook(tmp_path_factory.mktemp("hostile") / "DB01.xlsx", elements={"DOI_THOAI": 3})
    return path.read_bytes()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with entries replaced or added (deflated by zipfile)."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, payload in add.items():
            dst.writestr(name, payload)
    return out.getvalue()


def part(data: bytes, name: str) -> bytes:
    """One entry of a zip."""
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def with_sheet_rows(data: bytes, sheet_part: str, rows: bytes) -> bytes:
    """The workbook with raw `<row>` XML appended to one worksheet's sheetData."""
    head, _, tail = part(data, sheet_part).partition(b"</sheetData>")
    return rezip(data, replace={sheet_part: head + rows + b"</sheetData>" + tail})


def with_shared_strings(data: bytes, sst: bytes) -> bytes:
    """The workbook with a sharedStrings part (content type and relationship declared, as Excel writes)."""
    types = part(data, "[Content_Types].xml").replace(
        b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>'.encode())
    rels = part(data, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", f'<Relationship Id="rId99" Type="{SST_REL}" Target="sharedStrings.xml"/>'
                             "</Relationships>".encode())
    return rezip(data, replace={"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
                 add={"xl/sharedStrings.xml": sst})


def billion_laughs(root: str) -> bytes:
    """The classic entity expansion (10^9 'lol's) wrapped as a given SpreadsheetML root element."""
    ents = "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                   for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">{ents}]>'
            f'<{root} xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol9;</{root}>').encode()


def overlapping_entries(copies: int, size: int) -> bytes:
    """A zip whose central directory lists `copies` differently named files that all point at the same
    local entry (the 'overlapping files' zip bomb): tiny on disk, copies × size when inflated."""
    body = "".join(f"<row r='{i}'><c r='A{i}'><v>{i * 7919 % 104729}</v></c></row>" for i in range(size // 40))
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", body)
    data = raw.getvalue()
    cd_at = data.find(b"PK\x01\x02")
    second = data.find(b"PK\x01\x02", cd_at + 4)
    first_rec, sheet_rec = data[cd_at:second], data[second:data.find(b"PK\x05\x06")]
    recs = [first_rec, sheet_rec]
    name = b"xl/worksheets/sheet1.xml"
    for i in range(copies):
        alias = f"xl/worksheets/s{i:05d}.xml".encode()
        assert len(alias) == len(name)
        recs.append(sheet_rec.replace(name, alias))
    central = b"".join(recs)
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(recs), len(recs), len(central), cd_at, 0)
    return data[:cd_at] + central + eocd


# ---------------------------------------------------------------- measuring
def tree_rss(proc: psutil.Process) -> int:
    """RSS of a process and all its descendants: the workbook reader runs in child processes
    (loaders/sandbox.py), whose memory is the upload's memory too. A child between fork and exec still
    shares the parent's pages (same command line): not counted twice."""
    total = proc.memory_info().rss
    own = proc.cmdline()
    for child in proc.children(recursive=True):
        try:
            if child.cmdline() != own:
                total += child.memory_info().rss
        except psutil.Error:  # ended between listing and reading
            pass
    return total


class Peak:
    """Peak RSS growth of this process and its children (the reader's workers) while the block runs
    (sampled every 5 ms) and its wall time."""

    def __enter__(self):
        self._proc = psutil.Process()
        self.base = self.peak = tree_rss(self._proc)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self._t0 = time.perf_counter()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, tree_rss(self._proc))

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self._proc))
        self.growth_mb = (self.peak - self.base) / 2**20
        return False


def figures(label: str, size: int, seconds: float, growth_mb: float) -> str:
    """One printed line of figures, also used in assertion messages."""
    line = f"[hostile] {label}: {size / 2**20:.2f} MB file, {seconds:.2f} s, peak RSS +{growth_mb:.0f} MB"
    print(line)
    return line


def assert_nothing_stored(db_or_path) -> None:
    """No submission, no archived file, no file in the archive folder."""
    from core.storage import open_database

    db = db_or_path if not isinstance(db_or_path, Path) else open_database(db_or_path)
    try:
        assert db.query_value("SELECT count(*) FROM submissions") == 0
        assert db.query_value("SELECT count(*) FROM archived_files") == 0
        for table in ("elements", "cells", "meetings", "trainees", "petitions"):
            assert db.query_value(f"SELECT count(*) FROM {table}") == 0, table
        archive = db.archive_dir
        # the unit list loaded before the upload (its bytes and journal line) is all the archive may hold
        from core.audit import JOURNAL_NAME, read_journal

        lists = {e["file_hash"] for e in read_journal(archive) if e.get("kind") == "unit_list"}
        stored = [p for p in archive.rglob("*") if p.is_file()] if archive.exists() else []
        assert [p for p in stored if p.name != JOURNAL_NAME and p.stem not in lists] == []
    finally:
        if isinstance(db_or_path, Path):
            db.close()


def ingest_measured(db, data: bytes, name: str, label: str):
    """ingest_bytes under time and memory measurement; returns (result, figures line)."""
    with Peak() as p:
        result = ingest_bytes(db, data, name)
    line = figures(label, len(data), p.seconds, p.growth_mb)
    assert p.seconds < TIME_BOUND_S, line
    assert p.growth_mb < MEMORY_BOUND_MB, line
    return result, line


def only_error(result, line: str) -> str:
    """The single file-level rejection message of a result."""
    assert result.status == "rejected", line
    assert len(result.errors) == 1, [e.to_json() for e in result.errors]
    return result.errors[0].message


_CHILD = r"""
import json, resource, sys, threading, time
from pathlib import Path
import psutil
from loaders.gate import check_upload
from loaders.store import ingest_bytes, preview_bytes
from core.storage import open_database

data = Path(sys.argv[1]).read_bytes()
db = open_database(Path(sys.argv[2]))
from core.auth import operating
_operator = operating()
_operator.__enter__()  # this script is the server's operator, as the command line is (kept: a dropped one resets)
from tests.builders import register_units
register_units(db, "DB01")
proc = psutil.Process()
cap = proc.memory_info().vms + int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
own = proc.cmdline()
def tree_rss():  # this process and the reader's worker processes (loaders/sandbox.py), once exec'd
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            if child.cmdline() != own:
                total += child.memory_info().rss
        except psutil.Error:
            pass
    return total
base = peak = tree_rss()
stop = threading.Event()
def sample():
    global peak
    while not stop.wait(0.005):
        peak = max(peak, tree_rss())
t = threading.Thread(target=sample, daemon=True); t.start()
t0 = time.perf_counter()
fn = preview_bytes if sys.argv[3] == "preview" else ingest_bytes
r = fn(db, data, Path(sys.argv[1]).name)
seconds = time.perf_counter() - t0
stop.set(); t.join()
peak = max(peak, tree_rss())
db.close()
print(json.dumps({"status": r.status, "errors": [e.to_json() for e in r.errors], "seconds": seconds,
                  "growth_mb": (peak - base) / 2**20}, ensure_ascii=False))
"""


def run_in_child(tmp_path: Path, data: bytes, name: str, mode: str = "ingest") -> tuple[dict, str]:
    """Run preview/ingest of one file in a child process whose address space may grow by at most
    CHILD_LIMIT_BYTES; a crash or abort there fails the test instead of killing pytest."""
    case = tmp_path / name
    case.write_bytes(data)
    db_path = tmp_path / "child.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(case), str(db_path), mode, str(CHILD_LIMIT_BYTES)],
                          cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, f"child exit {proc.returncode}: {stderr[-2000:]}"
    assert "Traceback" not in stderr, stderr[-2000:]
    out = json.loads(proc.stdout.decode("utf-8").strip().splitlines()[-1])
    line = figures(name, len(data), out["seconds"], out["growth_mb"])
    assert out["seconds"] < TIME_BOUND_S, line
    assert out["growth_mb"] < MEMORY_BOUND_MB, line
    if mode == "ingest":
        assert_nothing_stored(db_path)
    return out, line


# ---------------------------------------------------------------- wrong file types
@pytest.mark.parametrize("payload, kind", [
    (b"\x89PNG\r\n\x1a\n" + bytes(2048), "ảnh PNG"),
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n", "tệp PDF"),
    (b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(4000), "tệp chương trình"),
    (b"<html><head><title>B\xc3\xa1o c\xc3\xa1o</title></head><body><table><tr><td>DB01</td></tr></table>"
     b"</body></html>", "trang web HTML"),
], ids=["png", "pdf", "elf", "html"])
def test_wrong_file_types_are_named_and_not_stored(db, payload, kind):
    result, line = ingest_measured(db, payload, "bao_cao.xlsx", kind)
    assert only_error(result, line) == NOT_EXCEL.format(kind)
    assert result.errors[0].value == "bao_cao.xlsx"
    assert_nothing_stored(db)


def test_xlsx_that_is_a_zip_of_text_files(db):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bao_cao/thong_tin.txt", "Mã đơn vị: DB01\nNăm: 2024\n")
        z.writestr("bao_cao/chi_tieu.csv", "Mã chỉ tiêu,Giá trị\nDOI_THOAI,3\n")
    result, line = ingest_measured(db, out.getvalue(), "DB01.xlsx", "zip of text files")
    assert only_error(result, line) == NOT_EXCEL.format("tệp nén .zip")
    assert_nothing_stored(db)


# ---------------------------------------------------------------- zip bombs
def test_nested_high_ratio_entry(db, good):
    name = "xl/media/a/b/c/d/e/bomb.bin"
    data = rezip(good, add={name: bytes(30 * 2**20)})
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    result, line = ingest_measured(db, data, "bom.xlsx", "nested high-ratio entry")
    assert only_error(result, line) == (
        f"Thành phần «{name}» có tỷ lệ nén bất thường ({info.file_size // info.compress_size}:1), "
        "nghi là tệp nén độc hại (zip bomb); tệp bị từ chối")
    assert_nothing_stored(db)


def test_zip_inside_the_workbook_is_never_inflated(db, good):
    """A 42.zip-style inner archive (256 MB of zeros inside) is an inert embedded part: the gate judges the
    outer entry (ratio ~1), nothing opens the inner one, and the report itself is still read."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for i in range(4):
            z.writestr(f"layer{i}.bin", bytes(64 * 2**20))
    out = io.BytesIO(good)
    with zipfile.ZipFile(out, "a") as z:  # stored as is: deflating it again would trip the ratio bound
        z.writestr("xl/embeddings/oleObject1.bin", inner.getvalue(), compress_type=zipfile.ZIP_STORED)
    data = out.getvalue()
    with Peak() as p:
        result = preview_bytes(db, data, "DB01.xlsx")
    line = figures("zip inside the workbook", len(data), p.seconds, p.growth_mb)
    assert result.status == "valid", [e.to_json() for e in result.errors]
    assert p.seconds < TIME_BOUND_S and p.growth_mb < 100, line
    assert_nothing_stored(db)


def test_many_entries(db, good):
    data = rezip(good, add={f"xl/media/x{i}.bin": b"a" for i in range(2100)})
    n = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
    result, line = ingest_measured(db, data, "bom.xlsx", f"{n} entries")
    assert only_error(result, line) == f"Tệp có quá nhiều thành phần ({n} > 2000), nghi là tệp nén độc hại; tệp bị từ chối"
    assert_nothing_stored(db)


def test_overlapping_entries_bomb(db):
    data = overlapping_entries(copies=150, size=1_500_000)
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert len(infos) == 152 and sum(i.file_size for i in infos) > 200 * 2**20 and len(data) < 2**20
    result, line = ingest_measured(db, data, "bom.xlsx", "overlapping entries")
    assert only_error(result, line) == \
        "Tệp giải nén ra quá lớn (vượt 200 MB), nghi là tệp nén độc hại (zip bomb); tệp bị từ chối"
    assert_nothing_stored(db)


# ---------------------------------------------------------------- XML attacks
@pytest.mark.parametrize("where", ["sheet", "sharedStrings"])
def test_billion_laughs_in_sheet_and_shared_strings(db, good, where):
    if where == "sheet":
        entry = "xl/worksheets/sheet2.xml"
        data = rezip(good, replace={entry: billion_laughs("worksheet")})
    else:
        entry = "xl/sharedStrings.xml"
        data = with_shared_strings(good, billion_laughs("sst"))
    result, line = ingest_measured(db, data, "lol.xlsx", f"billion laughs in {where}")
    assert only_error(result, line) == DTD_MSG.format(entry)
    assert_nothing_stored(db)


# ---------------------------------------------------------------- huge sheets (memory-capped child)
def test_two_cells_spanning_the_whole_sheet_are_refused_before_the_reader(tmp_path, good):
    """Cells at A1 and XFD1048576 made calamine allocate ~512 GB densely and abort the process."""
    data = with_sheet_rows(good, "xl/worksheets/sheet4.xml",
                           b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    out, line = run_in_child(tmp_path, data, "xa.xlsx")
    assert out["status"] == "rejected", line
    assert [e["message"] for e in out["errors"]] == [
        TOO_BIG.format(sheet="Sinh hoạt", file="xa.xlsx", h=1048576, w=16384)]


def test_cell_position_hidden_from_a_naive_scan(tmp_path, good):
    """The extent scan places cells as calamine does: r-less cells follow the row, and a quoted '>' inside
    another attribute does not hide the r reference."""
    rows = (b"<row r='1048576'><c><v>1</v></c></row>"
            b'<row r="2"><c note=">" r="XFD2"><v>2</v></c></row>')
    out, line = run_in_child(tmp_path, with_sheet_rows(good, "xl/worksheets/sheet4.xml", rows), "hidden.xlsx")
    assert [e["message"] for e in out["errors"]] == [
        TOO_BIG.format(sheet="Sinh hoạt", file="hidden.xlsx", h=1048576, w=16384)], line


def test_million_row_sheet_is_refused_fast(tmp_path, good):
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(10, 1_000_010))
    data = with_sheet_rows(good, "xl/worksheets/sheet4.xml", rows)
    assert len(data) < 20 * 2**20
    out, line = run_in_child(tmp_path, data, "trieu_dong.xlsx")
    assert out["status"] == "rejected", line
    (message,) = [e["message"] for e in out["errors"]]
    m = re.fullmatch(re.escape(TOO_BIG.format(sheet="Sinh hoạt", file="trieu_dong.xlsx", h="@", w=7))
                     .replace("@", r"(\d+)"), message)
    assert m and int(m.group(1)) * 7 > 2_000_000, message
    assert out["seconds"] < 5, line  # stops scanning once the bound is passed


def test_huge_shared_strings_table_is_read_within_bounded_memory(tmp_path, good):
    """2,000,000 strings (48 MB inflated, ~5 MB compressed): inside the gate's bounds, so it is read, and
    reading it stays within bounded time and memory."""
    n = 2_000_000
    sst = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
           f'spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">').encode()
    sst += b"".join(b"<si><t>s%07d</t></si>" % i for i in range(n)) + b"</sst>"
    data = with_shared_strings(good, sst)
    assert len(sst) > 45 * 2**20 and len(data) < 20 * 2**20
    out, line = run_in_child(tmp_path, data, "sst.xlsx", mode="preview")
    assert out["status"] == "valid", out["errors"]
    assert out["growth_mb"] < 400, line


# ---------------------------------------------------------------- issue 10: a scan that cannot be bypassed
FAR_ROW = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
MARKUP = ("Sheet '{sheet}' của tệp {file} có cấu trúc XML bất thường ({detail}), không phải do chương trình "
          "bảng tính ghi ra; hãy mở bằng Excel và lưu lại dưới dạng .xlsx")
LONG_TAG = "thẻ ô/dòng dài hơn 65536 byte"


def with_renamed_part(data: bytes, old: str, new: str) -> bytes:
    """The workbook with one entry renamed and the workbook's relationships pointing at the new name."""
    rels = part(data, "xl/_rels/workbook.xml.rels").replace(old.split("xl/", 1)[1].encode(),
                                                           new.split("xl/", 1)[1].encode())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = rels if info.filename == "xl/_rels/workbook.xml.rels" else src.read(info)
            dst.writestr(new if info.filename == old else info.filename, payload)
    return out.getvalue()


def six_column_rows(n: int) -> bytes:
    """n rows of six numeric cells (A-F) from row 20 on: 1.2 million cells take calamine about a second."""
    cols = (b"A", b"B", b"C", b"D", b"E", b"F")
    return b"".join(b'<row r="%d">' % i + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (c, i, i) for c in cols)
                    + b"</row>" for i in range(20, 20 + n))


def random_bytes(alphabet: bytes, n: int, seed: int = 10) -> bytes:
    """n bytes drawn from alphabet (seeded): too random to compress past the gate's ratio bound."""
    import random

    rnd = random.Random(seed)
    return bytes(rnd.choice(alphabet) for _ in range(n))


@pytest.mark.parametrize("case", ["part not named .xml", "1.5 MB attribute in the cell tag",
                                  "1.5 MB of whitespace in the cell tag"])
def test_far_cell_cannot_hide_from_the_extent_scan(tmp_path, good, case):
    """Each of these made the far cell invisible to the old scan: a 9 KB upload then made calamine allocate
    ~512 GB and abort the whole server at preview. Run in a capped child, so a regression fails here."""
    sheet = "xl/worksheets/sheet4.xml"
    if case == "part not named .xml":  # the workbook's relationships decide which part is a sheet
        data = with_renamed_part(with_sheet_rows(good, sheet, FAR_ROW), sheet, "xl/worksheets/sheet4.bin")
        expected = TOO_BIG.format(sheet="Sinh hoạt", file="an.xlsx", h=1048576, w=16384)
    elif case == "1.5 MB attribute in the cell tag":
        noise = random_bytes(b"abcdefghijklmnopqrstuvwxyz", 1_500_000)
        data = with_sheet_rows(good, sheet, b'<row r="1048576"><c x="' + noise + b'" ' + FAR_ROW[20:])
        expected = MARKUP.format(sheet="Sinh hoạt", file="an.xlsx", detail=LONG_TAG)
    else:
        noise = random_bytes(b" \t\r\n", 1_500_000)
        data = with_sheet_rows(good, sheet, b'<row r="1048576"><c' + noise + FAR_ROW[20:])
        expected = MARKUP.format(sheet="Sinh hoạt", file="an.xlsx", detail=LONG_TAG)
    out, line = run_in_child(tmp_path, data, "an.xlsx", mode="preview")
    assert [e["message"] for e in out["errors"]] == [expected], line
    assert out["seconds"] < 2, line


@pytest.mark.parametrize("unit", [b"<c ", b'<c "', b"<c a='x' "], ids=["unclosed tags", "open quotes", "attributes"])
def test_tags_built_to_backtrack_are_judged_in_linear_time(db, good, unit):
    """The old cell-tag regex backtracked quadratically: 53 KB took 14.6 s, 360 KB took 110 s, with the
    server frozen meanwhile. Random letters after each unit keep the part within the gate's ratio bound."""
    noise = random_bytes(b"abcdefghijklmnopqrstuvwxyz", 60_000)
    rows = b"".join(unit + noise[i:i + 2] + b" " for i in range(0, len(noise), 2))
    data = with_sheet_rows(good, "xl/worksheets/sheet4.xml", rows)
    assert len(rows) > 150_000
    with Peak() as p:
        issues = check_upload(data, "cham.xlsx")
    line = figures(f"{len(rows) // 1024} KB of {unit.decode()!r}…", len(data), p.seconds, p.growth_mb)
    assert [i.message for i in issues] == [MARKUP.format(sheet="Sinh hoạt", file="cham.xlsx", detail=LONG_TAG)]
    assert p.seconds < 2, line


def test_quoted_angle_brackets_and_comments_are_scanned_in_linear_time(good):
    """Complete but unusual tags (a quoted '>' in every cell, comments hiding tags) go through the exact
    scan, which stays linear; the part is small, so the file passes."""
    noise = random_bytes(b"abcdefghijklmnopqrstuvwxyz", 6000 * 8)
    rows = b'<row r="20">' + b"".join(b'<c note="%s>" t="n"><v>1</v></c><!-- <row r="1"><c r="XFD1"> %s -->'
                                      % (noise[i:i + 4], noise[i + 4:i + 8]) for i in range(0, len(noise), 8)) + b"</row>"
    data = with_sheet_rows(good, "xl/worksheets/sheet4.xml", rows)
    with Peak() as p:
        issues = check_upload(data, "dau.xlsx")
    line = figures(f"{len(rows) // 1024} KB of odd cells", len(data), p.seconds, p.growth_mb)
    assert issues == [], line
    assert p.seconds < 2, line


# ---------------------------------------------------------------- issue 10: the reader cannot take the server down
_READ_CHILD = r"""
import json, resource, sys
from pathlib import Path
import psutil
from core.errors import DashboardError
from loaders.reader import read_workbook
cap = psutil.Process().memory_info().vms + int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
out = {}
try:
    read_workbook(Path(sys.argv[1]).read_bytes(), "xa.xlsx")
    out["first"] = "read"
except DashboardError as exc:
    out["first"] = exc.message
out["after"] = sorted(read_workbook(Path(sys.argv[2]).read_bytes(), "DB01.xlsx").sheets)
print(json.dumps(out, ensure_ascii=False))
"""


def test_reader_abort_ends_only_its_worker(tmp_path, good):
    """A workbook the gate would refuse, handed to the reader directly (as if a scan missed it): calamine
    aborts, but in its capped worker; the caller gets a Vietnamese error naming the file, and the next
    workbook is read by a fresh worker. (Run in a child process so a regression cannot abort pytest.)"""
    from loaders.reader import MSG_CRASHED

    far, ok = tmp_path / "xa.xlsx", tmp_path / "DB01.xlsx"
    far.write_bytes(with_sheet_rows(good, "xl/worksheets/sheet4.xml", FAR_ROW))
    ok.write_bytes(good)
    proc = subprocess.run([sys.executable, "-c", _READ_CHILD, str(far), str(ok), str(CHILD_LIMIT_BYTES)],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=120)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0 and "Traceback" not in stderr, f"exit {proc.returncode}: {stderr[-2000:]}"
    out = json.loads(proc.stdout.decode("utf-8").strip().splitlines()[-1])
    assert out == {"first": MSG_CRASHED.format(file="xa.xlsx"),
                   "after": sorted(["Thông tin", "Chỉ tiêu", "Chi bộ", "Sinh hoạt", "Đào tạo LLCT", "Đơn thư"])}


def test_killed_reader_rejects_the_upload_and_stores_nothing(db, good):
    """The reader's worker killed in the middle of a read (SIGKILL, as the kernel's OOM killer would): the
    upload is rejected with a Vietnamese message naming the file, nothing is stored, the server lives."""
    import signal

    from loaders.reader import MSG_CRASHED

    data = with_sheet_rows(good, "xl/worksheets/sheet4.xml", six_column_rows(200_000))
    me = psutil.Process()

    def workers() -> list[psutil.Process]:
        return [c for c in me.children() if any("read_worker" in a for a in c.cmdline())]

    spent = {w.pid: sum(w.cpu_times()[:2]) for w in workers()}  # CPU seconds before this read
    done: dict = {}
    thread = threading.Thread(  # a thread of its own: the operator is named explicitly
        target=lambda: done.update(result=ingest_bytes(db, data, "lon.xlsx", principal=OPERATOR)))
    with Peak() as p:
        thread.start()
        killed = None
        while killed is None and thread.is_alive():
            for w in workers():
                try:
                    if sum(w.cpu_times()[:2]) - spent.get(w.pid, 0.0) > 0.5:  # past start-up: reading
                        os.kill(w.pid, signal.SIGKILL)
                        killed = w.pid
                        break
                except psutil.Error:
                    continue
            time.sleep(0.01)
        thread.join(120)
    line = figures("reader killed mid-read", len(data), p.seconds, p.growth_mb)
    assert killed is not None, f"no worker process was reading the workbook: {line}"
    result = done["result"]
    assert result.status == "rejected", line
    assert [(e.message, e.value) for e in result.errors] == [(MSG_CRASHED.format(file="lon.xlsx"), "lon.xlsx")]
    assert_nothing_stored(db)


def test_read_past_its_deadline_ends_the_worker_and_the_next_read_works(good):
    """A read that outlasts its deadline ends its worker (it may be stuck in native code) and reports a
    timeout; the next read gets a fresh worker. The reader turns the timeout into a Vietnamese message."""
    from loaders import sandbox
    from loaders.extent import MAX_CELLS_PER_SHEET
    from loaders.reader import MSG_TIMEOUT

    slow = with_sheet_rows(good, "xl/worksheets/sheet4.xml", six_column_rows(200_000))
    with pytest.raises(sandbox.SandboxError) as exc:
        sandbox.read_sheets(slow, MAX_CELLS_PER_SHEET, timeout=0.2)
    assert exc.value.kind == "timeout"
    assert sandbox.read_sheets(good, MAX_CELLS_PER_SHEET)[0] == "ok"
    assert MSG_TIMEOUT.format(file="x.xlsx", seconds=sandbox.READ_TIMEOUT_S).startswith("Không đọc được tệp x.xlsx")


# ---------------------------------------------------------------- merges
def test_thousands_of_overlapping_merges(db, good):
    merges = ['<mergeCell ref="A1:XFD1048576"/>'] + [f'<mergeCell ref="A{i}:Z{i + 1000}"/>' for i in range(1, 5001)]
    xml = f'<mergeCells count="{len(merges)}">{"".join(merges)}</mergeCells>'.encode()
    sheet = part(good, "xl/worksheets/sheet2.xml").replace(b"</sheetData>", b"</sheetData>" + xml)
    data = rezip(good, replace={"xl/worksheets/sheet2.xml": sheet})
    result, line = ingest_measured(db, data, "merge.xlsx", f"{len(merges)} overlapping merges")
    assert result.status == "accepted", [e.to_json() for e in result.errors]
    assert db.query_rows("SELECT code, value FROM elements") == [("DOI_THOAI", 3.0)]


# ---------------------------------------------------------------- invisible and spoofing characters
RLO, ZWSP, LRM = "\u202e", "\u200b", "\u200e"
INVISIBLE_MSG = "Đã bỏ ký tự điều khiển hoặc ký tự ẩn ({}) khỏi nội dung ô"


def test_control_bidi_and_zero_width_characters_are_stripped_with_a_warning(db, tmp_path):
    """Spoofing characters never reach the database; each cell that lost some is named in a warning; a
    formula trigger the stripped character hid is neutralised on export (Excel and CSV read back)."""
    cells = default_cells()
    cells[0]["cell_name"] = f"Chi bộ {RLO}nahk{ZWSP} Kế toán"
    cells[1]["cell_name"] = f"{LRM}=HYPERLINK(\"http://evil.example\",\"Bấm\")"
    petition = {"petition_no": "01/ĐT", "received_date": __import__("datetime").date(2024, 2, 1),
                "kind": "Kiến nghị", "status": "Đang giải quyết", "summary": "Đơn@01 phản ánh@07 chế độ"}
    path = write_workbook(tmp_path / "an.xlsx", info=info_values(unit_name=f"Đảng bộ{ZWSP} DB01{RLO}"),
                          cells=cells, petitions=[petition])
    # openpyxl refuses C0 controls; Excel stores them as _xHHHH_ escapes, which the reader decodes
    sheet6 = part(path.read_bytes(), "xl/worksheets/sheet6.xml").replace(b"@01", b"_x0001_").replace(b"@07", b"_x0007_")
    data = rezip(path.read_bytes(), replace={"xl/worksheets/sheet6.xml": sheet6})
    result, line = ingest_measured(db, data, "an.xlsx", "invisible characters")
    assert result.status == "accepted", [e.to_json() for e in result.errors]
    warned = {(w.sheet, w.row, w.column, w.value, w.message) for w in result.warnings
              if w.message.startswith("Đã bỏ")}
    assert warned == {
        ("Thông tin", 3, "Tên đơn vị", "Đảng bộ DB01", INVISIBLE_MSG.format("U+200B, U+202E")),
        ("Chi bộ", 3, "Tên chi bộ", "Chi bộ nahk Kế toán", INVISIBLE_MSG.format("U+200B, U+202E")),
        ("Chi bộ", 4, "Tên chi bộ", '=HYPERLINK("http://evil.example","Bấm")', INVISIBLE_MSG.format("U+200E")),
        ("Đơn thư", 3, "Nội dung tóm tắt", "Đơn phản ánh chế độ", INVISIBLE_MSG.format("U+0001, U+0007")),
    }
    stored = [*db.query_rows("SELECT unit_name FROM submissions"), *db.query_rows("SELECT cell_name FROM cells"),
              *db.query_rows("SELECT summary FROM petitions")]
    invisible = re.compile("[\x00-\x08\x0b-\x1f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
    assert stored and not any(invisible.search(v) for (v,) in stored), stored
    df = db.query_df("SELECT cell_name AS \"Tên chi bộ\" FROM cells ORDER BY excel_row")
    ws = load_workbook(io.BytesIO(table_xlsx(df, title="Chi bộ"))).active
    texts = [c.value for row in ws.iter_rows(min_row=4) for c in row]
    assert texts == ["Chi bộ nahk Kế toán", "'=HYPERLINK(\"http://evil.example\",\"Bấm\")"]
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    rows = list(csv.reader(io.StringIO(table_csv(df).decode("utf-8-sig"))))
    assert rows[2] == ["'=HYPERLINK(\"http://evil.example\",'\"Bấm\")"]  # CSV: also after the inner ","


# ---------------------------------------------------------------- formats read through the capped child
def _ods(table_rows: str) -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="Thông tin">{table_rows}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml",
                   '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        z.writestr("content.xml", content)
    return out.getvalue()


def test_ods_with_a_million_repeated_rows_is_refused_in_the_child(db):
    """A few hundred bytes that expand to 3,000,003 cells: the trial read in the capped child measures the
    sheet and the app process never materialises it."""
    rows = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
            'table:number-columns-repeated="3" office:value-type="float" office:value="1"/></table:table-row>'
            '<table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
            '</table:table-row>')
    data = _ods(rows)
    assert len(data) < 2048
    result, line = ingest_measured(db, data, "lap.ods", "ods with repeated rows")
    assert only_error(result, line) == TOO_BIG.format(sheet="Thông tin", file="lap.ods", h=1000001, w=3)
    assert_nothing_stored(db)


def test_binary_workbook_goes_through_the_capped_child(db):
    """A .xlsb package (xl/workbook.bin) is trial-read in the child like .xls; this one is not readable."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.bin", bytes(range(256)) * 4)
        z.writestr("xl/worksheets/sheet1.bin", b"\x00\x81\x01" * 100)
    result, line = ingest_measured(db, out.getvalue(), "bc.xlsb", "xlsb")
    assert only_error(result, line) == "Không đọc được tệp Excel nhị phân (.xlsb); hãy lưu lại dưới dạng .xlsx"
    assert_nothing_stored(db)
