"""The upload gate: decide from the raw bytes, before any parser runs, whether a file may be read at all.

Checks (template-v1.md "Whole-file rules"): empty, too large, what the bytes really are (magic bytes, not
the extension), renamed Word/PowerPoint files, macros, passwords, zip bombs, malformed zips and XML
attacks (DTDs, entities). Every rejection is one Issue with a Vietnamese message and the file name as
value. Bounded in memory: zip entries are stream-decompressed in chunks with a cap, only the few small
package XML parts are parsed (with defusedxml).
"""
from __future__ import annotations

import io
import json
import posixpath
import re
import struct
import zipfile
import zlib
from typing import Any

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from core.errors import Issue

# ---------------------------------------------------------------- messages
MSG_EMPTY = "Tệp rỗng (0 byte), không có dữ liệu để đọc"
MSG_TOO_BIG = "Tệp quá lớn ({size}), vượt giới hạn {limit}"
MSG_NOT_EXCEL = "Tệp không phải tệp Excel ({kind}); hãy dùng mẫu báo cáo và lưu dưới dạng .xlsx"
MSG_WORD = "Tệp là văn bản Word được đổi đuôi, không phải tệp Excel"
MSG_POWERPOINT = "Tệp là bản trình chiếu PowerPoint được đổi đuôi, không phải tệp Excel"
MSG_MACRO = "Tệp Excel có macro (.xlsm/.xltm) không được chấp nhận; hãy lưu lại dưới dạng .xlsx không có macro"
MSG_PASSWORD = "Tệp có mật khẩu, hãy bỏ mật khẩu và lưu lại"
MSG_RESAVE = "Không đọc được tệp {kind}; hãy lưu lại dưới dạng .xlsx"
MSG_CORRUPT = "Tệp Excel bị hỏng (tệp nén .xlsx không hợp lệ); hãy mở bằng Excel và lưu lại dưới dạng .xlsx"
MSG_TOO_MANY_ENTRIES = "Tệp có quá nhiều thành phần ({count} > {limit}), nghi là tệp nén độc hại; tệp bị từ chối"
MSG_TOO_BIG_UNCOMPRESSED = "Tệp giải nén ra quá lớn (vượt {limit}), nghi là tệp nén độc hại (zip bomb); tệp bị từ chối"
MSG_RATIO = "Thành phần «{entry}» có tỷ lệ nén bất thường ({ratio}:1), nghi là tệp nén độc hại (zip bomb); tệp bị từ chối"
MSG_SIZE_LIE = "Thành phần «{entry}» giải nén ra lớn hơn kích thước khai báo (tệp hỏng hoặc tệp nén độc hại); tệp bị từ chối"
MSG_XML_DTD = "Tệp chứa khai báo DTD/thực thể XML («{entry}») không được phép; hãy mở bằng Excel và lưu lại dưới dạng .xlsx"
MSG_XML_BAD = "Thành phần «{entry}» của tệp Excel bị hỏng (XML không hợp lệ); hãy mở bằng Excel và lưu lại dưới dạng .xlsx"
MSG_SHEET_TOO_BIG = ("Sheet '{sheet}' của tệp {file} quá lớn (ít nhất {height} dòng × {width} cột, vượt giới hạn "
                     "{limit} ô); hãy xoá các dòng, cột thừa rồi tải lên lại.")

# ---------------------------------------------------------------- signatures
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# magic prefix -> what the file really is (shown in MSG_NOT_EXCEL)
OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "tệp PDF"),
    (b"\x89PNG", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
    (b"GIF8", "ảnh GIF"),
    (b"Rar!", "tệp nén RAR"),
    (b"7z\xbc\xaf\x27\x1c", "tệp nén 7z"),
    (b"\x1f\x8b", "tệp nén gzip"),
    (b"{\\rtf", "văn bản RTF"),
    (b"MZ", "tệp chương trình"),
    (b"\x7fELF", "tệp chương trình"),
)
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
MACRO_CONTENT_TYPE = b"macroenabled"
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam")
# package parts small enough to parse fully with defusedxml; everything else gets the cheap DTD scan
PARSED_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")
CHUNK = 1 << 16
# entries smaller than this are never judged by ratio: tiny XML parts compress very well legitimately
RATIO_GRACE_BYTES = 100 * 1024
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# A sheet whose used range (from A1) is larger than this is not a report someone typed. The reader
# materialises the range densely, so the bound must be checked on the XML before it runs: two cells at
# A1 and XFD1048576 make calamine allocate ~512 GB and abort the whole process.
MAX_CELLS_PER_SHEET = 2_000_000

_DEFAULTS = {
    "max_bytes": 20 * 1024 * 1024,
    "max_zip_entries": 2000,
    "max_uncompressed_bytes": 200 * 1024 * 1024,
    "max_compression_ratio": 200,
}


# what zipfile raises on hostile central directories (unsupported versions, bad names, bad offsets)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error,
               NotImplementedError, UnicodeDecodeError, IndexError, KeyError, OverflowError, RuntimeError)


class _Reject(Exception):
    """Internal: stop the checks with this Vietnamese message."""


def check_upload(data: bytes, file_name: str, config: Any = None) -> list[Issue]:
    """Error Issues (sheet/row/column None, value = file name) that forbid reading the file, or []."""
    limits = _limits(config)
    try:
        _check(bytes(data) if not isinstance(data, bytes) else data, file_name, limits)
    except _Reject as exc:
        return [Issue(None, None, None, file_name, str(exc))]
    return []


def _limits(config: Any) -> dict[str, int]:
    if config is None:
        from core.config import load_config

        config = load_config()
    if isinstance(config, dict):
        return {k: int(config.get(k, v)) for k, v in _DEFAULTS.items()}
    return {k: int(getattr(config, k, v)) for k, v in _DEFAULTS.items()}


def _check(data: bytes, file_name: str, limits: dict[str, int]) -> None:
    if not data:
        raise _Reject(MSG_EMPTY)
    if len(data) > limits["max_bytes"]:
        raise _Reject(MSG_TOO_BIG.format(size=_human(len(data)), limit=_human(limits["max_bytes"])))
    if data.startswith(ZIP_MAGIC):
        _check_zip(data, file_name, limits)
    elif data.startswith(OLE2_MAGIC):
        _check_ole2(data, file_name)
    else:
        raise _Reject(MSG_NOT_EXCEL.format(kind=_sniff_other(data)))


def _human(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB").replace(".", ",")
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} byte"


def _sniff_other(data: bytes) -> str:
    """A Vietnamese name for what a non-Excel file is, from its first bytes."""
    for magic, kind in OTHER_MAGIC:
        if data.startswith(magic):
            return kind
    head = data[:1024].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "trang web HTML"
    if head.startswith(b"<?xml") or head.startswith(b"<"):
        return "tệp XML"
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" not in sample and _looks_text(sample)):
        return "tệp văn bản/CSV"
    return "định dạng không xác định"


def _looks_text(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the sample's end is still text
        if exc.start >= len(sample) - 3:
            return True
    try:
        text = sample.decode("cp1258")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


# ---------------------------------------------------------------- zip containers (xlsx, ods, docx, ...)
def _check_zip(data: bytes, file_name: str, limits: dict[str, int]) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except _ZIP_ERRORS:
        raise _Reject(MSG_CORRUPT) from None
    if len(infos) > limits["max_zip_entries"]:
        raise _Reject(MSG_TOO_MANY_ENTRIES.format(count=len(infos), limit=limits["max_zip_entries"]))
    max_total = limits["max_uncompressed_bytes"]
    if sum(i.file_size for i in infos) > max_total:
        raise _Reject(MSG_TOO_BIG_UNCOMPRESSED.format(limit=_human(max_total)))
    ratio = limits["max_compression_ratio"]
    for info in infos:
        if info.file_size > RATIO_GRACE_BYTES and info.file_size > ratio * max(info.compress_size, 1):
            raise _Reject(MSG_RATIO.format(entry=info.filename, ratio=info.file_size // max(info.compress_size, 1)))
    names = {i.filename for i in infos}
    if len(names) != len(infos):
        # two entries with one name: readers may pick different copies, a known way to smuggle content
        raise _Reject(MSG_CORRUPT)
    kind = _zip_kind(zf, names)
    if kind == "ods":
        _scan_entries(memoryview(data), infos, limits, parse=())
        _check_ods(zf, data, names, file_name)
        return
    if kind != "xlsx":
        raise _Reject(kind)
    if any(n.lower().endswith("vbaproject.bin") for n in names) or file_name.lower().endswith(MACRO_EXTENSIONS):
        raise _Reject(MSG_MACRO)
    if "xl/workbook.xml" not in names:
        # binary workbook (.xlsb): its cell records escape the XML extent scan, so calamine must prove it
        # can read it in the capped child first, as for .xls
        _scan_entries(memoryview(data), infos, limits, parse=())
        _calamine_opens(data, "Excel nhị phân (.xlsb)", file_name)
        return
    parts = _scan_entries(memoryview(data), infos, limits, parse=PARSED_PARTS, file_name=file_name)
    if MACRO_CONTENT_TYPE in parts.get("[Content_Types].xml", b"").lower():
        raise _Reject(MSG_MACRO)


def _zip_kind(zf: zipfile.ZipFile, names: set[str]) -> str:
    """'xlsx', 'ods', or the rejection message for any other zip."""
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return MSG_WORD
    if "ppt/presentation.xml" in names:
        return MSG_POWERPOINT
    if "mimetype" in names:
        mime = _read_capped(zf, zf.getinfo("mimetype"), 256).strip()
        if mime == ODS_MIME:
            return "ods"
        if mime.startswith(b"application/vnd.oasis.opendocument.text"):
            return MSG_NOT_EXCEL.format(kind="văn bản OpenDocument .odt")
    return MSG_NOT_EXCEL.format(kind="tệp nén .zip")


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    try:
        with zf.open(info) as fh:
            return fh.read(cap)
    except (*_ZIP_ERRORS, zlib.error):
        raise _Reject(MSG_CORRUPT) from None


def _scan_entries(raw: memoryview, infos: list[zipfile.ZipInfo], limits: dict[str, int],
                  parse: tuple[str, ...], file_name: str | None = None) -> dict[str, bytes]:
    """Inflate every entry ourselves under the real (not declared) size budget; keep and parse the
    `parse` parts with defusedxml, scan other XML parts cheaply for DTDs and (with file_name, for
    .xlsx) for the extent of their cells. Returns the kept parts."""
    budget = limits["max_uncompressed_bytes"]
    ratio = limits["max_compression_ratio"]
    kept: dict[str, bytes] = {}
    total = 0
    # the parsed package parts first, so a too-large sheet can be named by its sheet name
    for info in sorted(infos, key=lambda i: i.filename not in parse):
        if info.is_dir():
            continue
        name = info.filename
        is_xml = name.lower().endswith((".xml", ".rels", ".vml"))
        keep = name in parse
        # any XML part may be a worksheet (the rels decide its path): '<' cannot occur unescaped in text,
        # so cell tags are found only in real markup
        bound = _ExtentBound() if is_xml and not keep and file_name is not None else None
        buf: list[bytes] = []
        size = 0
        tail = b""
        for chunk in _inflate(raw, info, budget - total + 1):
            size += len(chunk)
            total += len(chunk)
            if total > budget:
                raise _Reject(MSG_TOO_BIG_UNCOMPRESSED.format(limit=_human(budget)))
            if size > RATIO_GRACE_BYTES and size > ratio * max(info.compress_size, 1):
                raise _Reject(MSG_RATIO.format(entry=name, ratio=size // max(info.compress_size, 1)))
            if size > info.file_size:
                # the reader's unzip may trust the data, not the header: a lying size is an attack
                raise _Reject(MSG_SIZE_LIE.format(entry=name))
            if keep:
                buf.append(chunk)
            elif is_xml:
                # plain find first: a regex over every chunk costs more than inflating it
                if (b"<!" in chunk or b"<!" in tail + chunk[:16]) and _DTD.search(tail + chunk):
                    raise _Reject(MSG_XML_DTD.format(entry=name))
                tail = chunk[-16:]
                if bound is not None and bound.regular:
                    bound.feed(chunk)
        if bound is not None:
            bound.feed(b"", final=True)
        if size != info.file_size:
            raise _Reject(MSG_CORRUPT)
        if bound is not None and not bound.small:
            _exact_extent(raw, info, name, kept, file_name)
        if keep:
            kept[name] = _parse_xml(name, b"".join(buf))
    return kept


_CELL_ATTRS = rb"""((?:[^>"']|"[^"]*"|'[^']*')*?)"""  # quoted values may hold '>'
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])" + _CELL_ATTRS + rb"(/?)>")
_REF_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']\s*([A-Za-z]*)\s*(\d*)\s*["']""")
_TAG_CARRY_MAX = 1 << 20


# The form every spreadsheet writer uses: r first, double quotes, upper-case letters, no leading zero.
# Each pattern starts with a literal, which re scans for fast; a catch-all cell-tag pattern would try
# every '<' and cost twice as much.
_USUAL_REF = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_ODD_CELL = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]{1,3}[1-9][0-9]{0,6}")')
_PREFIXED_CELL = re.compile(rb":c[\s/>]")  # <x:c …: also hits text such as 'a:c ', which only costs speed


def _longest(tokens: list[bytes]) -> bytes:
    """The largest of equal-alphabet tokens without leading zeros: the longest, then the highest."""
    return max(set(tokens), key=lambda t: (len(t), t))


def _whole_tags(scanner, chunk: bytes, final: bool) -> tuple[bytes, int]:
    """The scanner's carried tail joined to `chunk`, and how much of it holds only whole tags: the rest
    (a tag cut at the chunk's end) is carried on to the next chunk, unless it grows past _TAG_CARRY_MAX."""
    buf = scanner._carry + chunk
    cut = len(buf) if final else buf.rfind(b"<")
    if cut < 0 or len(buf) - cut > _TAG_CARRY_MAX:
        cut = len(buf)
    scanner._carry = buf[cut:]
    return buf, cut


class _ExtentBound:
    """A cheap upper bound of a part's cell extent, valid while every cell tag is the usual `<c r="B7"`:
    then each cell's place is its own reference, so the largest row and column referenced bound what
    calamine places (self-closing cells included, which only loosens the bound). Counting tags and
    finding references are single C-level regex passes, ~20× faster than `_SheetExtent`'s per-tag loop.
    Any other form, or a bound above the cap, sends the part to the exact scan (`_exact_extent`)."""

    def __init__(self) -> None:
        self.regular = True
        self.max_row = self.max_col = 0
        self._row_token = self._col_token = b""
        self._carry = b""

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Scan a chunk (a tag cut at its end is carried over); clears `regular` when the bound fails."""
        buf, cut = _whole_tags(self, chunk, final)
        if not self.regular:
            return
        if _ODD_CELL.search(buf, 0, cut) or _PREFIXED_CELL.search(buf, 0, cut):
            self.regular = False
            return
        refs = _USUAL_REF.findall(buf, 0, cut)
        if not refs:
            return
        cols, rows = zip(*refs)
        self._col_token = _longest([*cols, self._col_token])
        self._row_token = _longest([*rows, self._row_token])
        col = 0
        for ch in self._col_token:
            col = col * 26 + ch - 64
        self.max_row, self.max_col = int(self._row_token), col
        if self.max_row * self.max_col > MAX_CELLS_PER_SHEET:
            self.regular = False

    @property
    def small(self) -> bool:
        """True when the bound holds and is within MAX_CELLS_PER_SHEET."""
        return self.regular and self.max_row * self.max_col <= MAX_CELLS_PER_SHEET


def _exact_extent(raw: memoryview, info: zipfile.ZipInfo, name: str, kept: dict[str, bytes],
                  file_name: str) -> None:
    """Re-inflate a part the bound could not clear and place its cells exactly; reject a too-large sheet.
    The first pass already checked the part's size and CRC, so this pass is bounded by its real size."""
    extent = _SheetExtent()
    for chunk in _inflate(raw, info, info.file_size + 1):
        if extent.feed(chunk):
            _reject_big_sheet(name, extent, kept, file_name)
    if extent.feed(b"", final=True):
        _reject_big_sheet(name, extent, kept, file_name)


class _SheetExtent:
    """Streaming extent of a worksheet's cells (1-based last row and column), as calamine places them:
    a cell's r="B7" when present, else the column after the previous cell's in the current row element
    (tests/test_fuzz.py checks this against calamine); self-closing cells hold no value and are not counted."""

    def __init__(self):
        self.row = self.col = self.max_row = self.max_col = 0
        self._carry = b""

    def feed(self, chunk: bytes, final: bool = False) -> bool:
        """Scan a chunk (a tag cut at its end is carried over); True once the extent exceeds the cap."""
        buf, cut = _whole_tags(self, chunk, final)
        row, col, max_row, max_col = self.row, self.col, self.max_row, self.max_col
        for m in _CELL_TAG.finditer(buf, 0, cut):
            ref = _REF_ATTR.search(m.group(2))
            if m.group(1) == b"row":
                row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                col = 0
                continue
            cell_row = row  # a cell's own reference does not move the row r-less cells after it fall in
            if ref and ref.group(1) and ref.group(2):
                col = 0
                for ch in ref.group(1).upper():
                    col = col * 26 + ch - 64
                cell_row = int(ref.group(2))
            else:
                col += 1
            if not m.group(3):
                max_row, max_col = max(max_row, cell_row), max(max_col, col)
        self.row, self.col, self.max_row, self.max_col = row, col, max_row, max_col
        return max_row * max_col > MAX_CELLS_PER_SHEET


def _reject_big_sheet(part: str, extent: _SheetExtent, kept: dict[str, bytes], file_name: str) -> None:
    raise _Reject(MSG_SHEET_TOO_BIG.format(sheet=_sheet_name(part, kept), file=file_name,
                                           height=extent.max_row, width=extent.max_col,
                                           limit=_cell_limit_text()))


def _cell_limit_text() -> str:
    return f"{MAX_CELLS_PER_SHEET:,}".replace(",", ".")


def _sheet_name(part: str, kept: dict[str, bytes]) -> str:
    """The workbook's name for a worksheet part (from the already parsed workbook.xml and its rels), else
    the part's path."""
    try:
        rels = DET.fromstring(kept.get("xl/_rels/workbook.xml.rels", b"<r/>"))
        book = DET.fromstring(kept.get("xl/workbook.xml", b"<w/>"))
    except Exception:  # kept parts were parsed already; belt and braces for a message only
        return part
    ids = {}
    for rel in rels:
        target = rel.get("Target", "")
        ids[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
    for el in book.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet":
            rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
            if ids.get(rid) == part:
                return el.get("name", part)
    return part


def _inflate(raw: memoryview, info: zipfile.ZipInfo, cap: int):
    """Yield the decompressed chunks of one entry, never more than cap bytes in all, checking the CRC.

    Decompresses the raw stream itself (not zipfile.open, which stops at the declared size and so
    would hide an entry that inflates beyond it)."""
    off = info.header_offset
    if off + 30 > len(raw) or bytes(raw[off:off + 4]) != b"PK\x03\x04" or info.flag_bits & 0x1:
        raise _Reject(MSG_CORRUPT)
    nlen, xlen = struct.unpack_from("<HH", raw, off + 26)
    start = off + 30 + nlen + xlen
    end = start + info.compress_size
    if end > len(raw):
        raise _Reject(MSG_CORRUPT)
    crc = 0
    produced = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for pos in range(start, end, CHUNK):
            chunk = bytes(raw[pos:min(pos + CHUNK, end)])
            crc = zlib.crc32(chunk, crc)
            yield chunk
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        dec = zlib.decompressobj(-15)
        pos = start
        pending = b""
        try:
            while True:
                if not pending:
                    if pos >= end or dec.eof:
                        break
                    pending = bytes(raw[pos:min(pos + CHUNK, end)])
                    pos += len(pending)
                chunk = dec.decompress(pending, CHUNK)
                pending = dec.unconsumed_tail
                if dec.eof:
                    pending = b""
                if chunk:
                    produced += len(chunk)
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
                    if produced > cap:
                        return
        except zlib.error:
            raise _Reject(MSG_CORRUPT) from None
        if not dec.eof:
            raise _Reject(MSG_CORRUPT)
    else:
        raise _Reject(MSG_CORRUPT)
    if crc != info.CRC:
        raise _Reject(MSG_CORRUPT)


def _parse_xml(name: str, raw: bytes) -> bytes:
    """Parse a package part with defusedxml (DTDs and entities forbidden); returns the raw bytes."""
    try:
        DET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _Reject(MSG_XML_DTD.format(entry=name)) from None
    except Exception:  # ParseError and friends: malformed XML in a package part
        raise _Reject(MSG_XML_BAD.format(entry=name)) from None
    return raw


def _check_ods(zf: zipfile.ZipFile, data: bytes, names: set[str], file_name: str) -> None:
    if "META-INF/manifest.xml" in names:
        manifest = _read_capped(zf, zf.getinfo("META-INF/manifest.xml"), 1 << 20)
        if b"encryption-data" in manifest:
            raise _Reject(MSG_PASSWORD)
    _calamine_opens(data, "OpenDocument .ods", file_name)


def _calamine_opens(data: bytes, kind: str, file_name: str) -> None:
    """Legacy formats are allowed only when the project's reader (python-calamine) reads them.

    The trial read runs in a child process with a memory cap and a timeout: on a corrupt .xls calamine
    can try to allocate hundreds of GB and abort, which in-process would kill the whole app.
    """
    status = _sandboxed_read(data)
    if status == "password":
        raise _Reject(MSG_PASSWORD)
    if status.startswith("big "):
        try:
            sheet, height, width = json.loads(status[4:])
        except ValueError:
            raise _Reject(MSG_RESAVE.format(kind=kind)) from None
        raise _Reject(MSG_SHEET_TOO_BIG.format(sheet=sheet, file=file_name, height=height, width=width,
                                               limit=_cell_limit_text()))
    if status != "ok":
        raise _Reject(MSG_RESAVE.format(kind=kind))


SANDBOX_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
SANDBOX_TIMEOUT_S = 60
_SANDBOX_CODE = r"""
import io, sys
try:
    import resource  # POSIX only; elsewhere the child still isolates a crash, just without the cap
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
except (ImportError, ValueError, OSError):
    pass
import python_calamine as pc
data = sys.stdin.buffer.read()
try:
    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    names = wb.sheet_names
    for name in names:
        sheet = wb.get_sheet_by_name(name)
        end = sheet.end  # 0-based last used cell, as loaders/reader.py measures it
        if end is not None and (end[0] + 1) * (end[1] + 1) > int(sys.argv[2]):
            # the parent reader would materialise this range in the app process: refuse it here
            import json
            print("big " + json.dumps([name, end[0] + 1, end[1] + 1])); sys.exit(0)
        sheet.to_python(skip_empty_area=False)
except pc.PasswordError:
    print("password"); sys.exit(0)
except Exception:
    print("error"); sys.exit(0)
print("ok" if names else "error")
"""


def _sandboxed_read(data: bytes) -> str:
    """'ok', 'password', 'error' or 'big ["sheet", rows, columns]' from a capped child process reading the
    workbook with calamine."""
    import subprocess
    import sys

    try:
        proc = subprocess.run([sys.executable, "-c", _SANDBOX_CODE, str(SANDBOX_MEMORY_BYTES),
                               str(MAX_CELLS_PER_SHEET)], input=data,
                              capture_output=True, timeout=SANDBOX_TIMEOUT_S, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return "error"
    out = proc.stdout.decode("ascii", "replace").strip().splitlines()
    return out[-1] if proc.returncode == 0 and out else "error"


# ---------------------------------------------------------------- OLE2 compound files (xls, encrypted xlsx, doc)
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE


def _check_ole2(data: bytes, file_name: str) -> None:
    cfb = _Cfb.parse(data)
    if cfb is None:
        raise _Reject(MSG_RESAVE.format(kind="Excel cũ (.xls) bị hỏng"))
    lower = {n.lower(): n for n in cfb.entries}
    if {"encryptioninfo", "encryptedpackage"} & lower.keys():
        raise _Reject(MSG_PASSWORD)
    book = lower.get("workbook") or lower.get("book")
    if book:
        try:
            head = cfb.read(book, BIFF_SCAN_BYTES)
        except (struct.error, IndexError, ValueError):
            raise _Reject(MSG_RESAVE.format(kind="Excel cũ (.xls) bị hỏng")) from None
        if _biff_has_filepass(head):
            raise _Reject(MSG_PASSWORD)
        _calamine_opens(data, "Excel cũ (.xls)", file_name)
        return
    if "worddocument" in lower:
        raise _Reject(MSG_WORD)
    if "powerpoint document" in lower:
        raise _Reject(MSG_POWERPOINT)
    raise _Reject(MSG_NOT_EXCEL.format(kind="tệp Office không phải bảng tính"))


BIFF_SCAN_BYTES = 1 << 16
BIFF_FILEPASS = 0x002F
BIFF_EOF = 0x000A


def _biff_has_filepass(stream: bytes) -> bool:
    """True when the workbook globals of a BIFF stream carry a FILEPASS record (a password-protected .xls)."""
    pos = 0
    while pos + 4 <= len(stream):
        rtype, size = struct.unpack_from("<HH", stream, pos)
        if rtype == BIFF_FILEPASS:
            return True
        if rtype == BIFF_EOF and pos > 0:
            return False
        pos += 4 + size
    return False


def ole2_stream_names(data: bytes) -> list[str] | None:
    """Names of the storages and streams in an OLE2 compound file's directory, or None if malformed."""
    cfb = _Cfb.parse(data)
    return None if cfb is None else list(cfb.entries)


class _Cfb:
    """Just enough of the OLE2 compound-file format to list streams and read the start of a big one.

    Every chain walk is bounded by the number of sectors in the file, so a hostile file cannot loop.
    """

    def __init__(self, data: bytes, ssize: int, fat: list[int], entries: dict[str, tuple[int, int, int]]):
        self.data = data
        self.ssize = ssize
        self.fat = fat
        self.entries = entries  # name -> (type, start sector, size)

    @classmethod
    def parse(cls, data: bytes) -> "_Cfb | None":
        """The directory of a compound file, or None if it is malformed."""
        try:
            return cls._parse(data)
        except (struct.error, IndexError, ValueError):
            return None

    @classmethod
    def _parse(cls, data: bytes) -> "_Cfb | None":
        if len(data) < 512:
            return None
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            return None
        ssize = 1 << shift
        self = cls(data, ssize, [], {})
        difat = list(struct.unpack_from("<109I", data, 0x4C))
        next_difat = struct.unpack_from("<I", data, 0x44)[0]
        for _ in range(self.nsectors):
            if next_difat in (FREESECT, ENDOFCHAIN):
                break
            vals = struct.unpack(f"<{ssize // 4}I", self.sector(next_difat))
            difat.extend(vals[:-1])
            next_difat = vals[-1]
        for n in difat:
            if n < self.nsectors:
                self.fat.extend(struct.unpack(f"<{ssize // 4}I", self.sector(n)))
        for sec in self.chain(struct.unpack_from("<I", data, 0x30)[0]):
            block = self.sector(sec)
            for off in range(0, ssize - 127, 128):
                nlen, etype = struct.unpack_from("<HB", block, off + 0x40)
                if etype in (1, 2, 5) and 2 <= nlen <= 64:
                    name = block[off:off + nlen - 2].decode("utf-16-le", "replace")
                    start, size = struct.unpack_from("<IQ", block, off + 0x74)
                    self.entries.setdefault(name, (etype, start, size & 0xFFFFFFFF if ssize == 512 else size))
        return self

    @property
    def nsectors(self) -> int:
        """Sectors present in the file after the header."""
        return max(0, (len(self.data) - 1) // self.ssize)

    def sector(self, n: int) -> bytes:
        """The bytes of sector n."""
        off = (n + 1) * self.ssize
        if n >= self.nsectors or off >= len(self.data):
            raise ValueError("sector out of range")
        return self.data[off:off + self.ssize]

    def chain(self, start: int):
        """Sector numbers of the FAT chain from start, bounded against cycles."""
        cur = start
        for _ in range(self.nsectors + 1):
            if cur in (FREESECT, ENDOFCHAIN):
                return
            if cur >= len(self.fat):
                raise ValueError("chain out of range")
            yield cur
            cur = self.fat[cur]
        raise ValueError("cyclic chain")

    def read(self, name: str, cap: int) -> bytes:
        """Up to cap bytes of a regular (non-mini) stream; b"" for a mini stream we do not decode."""
        etype, start, size = self.entries[name]
        if etype != 2 or size < MINI_CUTOFF:
            return b""
        out = bytearray()
        limit = min(size, cap)
        for sec in self.chain(start):
            out += self.sector(sec)
            if len(out) >= limit:
                break
        return bytes(out[:limit])


MINI_CUTOFF = 4096
