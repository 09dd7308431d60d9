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
from loaders.extent import MAX_CELLS_PER_SHEET, ExtentBound, HostileMarkup, SheetExtent, UsualExtent

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
MSG_CASE_TWINS = ("Tệp có hai thành phần chỉ khác nhau chữ hoa/chữ thường («{first}» và «{second}»); chương trình "
                  "đọc có thể lấy nhầm thành phần, tệp bị từ chối; hãy mở bằng Excel và lưu lại dưới dạng .xlsx")
MSG_MACRO_PART = ("Tệp chứa macro (VBA hoặc macro Excel 4.0) ở thành phần «{entry}»; tệp có macro không được chấp "
                  "nhận, hãy lưu lại dưới dạng .xlsx không có macro")
MSG_SHEET_MARKUP = ("Sheet '{sheet}' của tệp {file} có cấu trúc XML bất thường ({detail}), không phải do chương "
                    "trình bảng tính ghi ra; hãy mở bằng Excel và lưu lại dưới dạng .xlsx")
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
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam")
# a macro project wherever it sits (issue 10): content types naming a macro-enabled workbook, a VBA project
# or an Excel 4.0 macro sheet; parts of macro-enabled Office formats embedded in the package; macro-sheet
# folders; in .ods, the Basic and script libraries
MACRO_CONTENT_WORDS = (b"macroenabled", b"vbaproject", b"macrosheet")
MACRO_PART_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".docm", ".dotm", ".pptm", ".potm", ".ppsm",
                         ".ppam", ".sldm")
MACRO_FOLDERS = ("xl/macrosheets/", "xl/intlmacrosheets/")
ODS_MACRO_FOLDERS = ("basic/", "scripts/")
# needles searched (lower-cased) in the bytes of .rels parts and of embedded OLE2/zip containers
MACRO_NEEDLES_RELS = (b"vbaproject", b"macrosheet")
MACRO_NEEDLES_OLE2 = ("_vba_project".encode("utf-16-le"),)
MACRO_NEEDLES_ZIP = (b"vbaproject",)
NEEDLE_OVERLAP = 32  # longer than every needle, so one cut at a chunk end is still found
MAGIC_BYTES = 8
CONTENT_TYPES = "[Content_Types].xml"
# package parts small enough to parse fully with defusedxml; everything else gets the cheap DTD scan
PARSED_PARTS = (CONTENT_TYPES, "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")
XML_SUFFIXES = (".xml", ".rels", ".vml")
SHEET_REL_TYPES = ("/worksheet", "/chartsheet", "/dialogsheet")
SHEET_CONTENT_WORDS = ("worksheet", "chartsheet", "dialogsheet")
CHUNK = 1 << 16
# entries smaller than this are never judged by ratio: tiny XML parts compress very well legitimately
RATIO_GRACE_BYTES = 100 * 1024
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)

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
    lower = _case_folded(infos)
    kind = _zip_kind(zf, set(lower))
    if kind == "ods":
        _reject_macro_names(lower, ods=True)
        _scan_entries(memoryview(data), infos, limits, parse=())
        _check_ods(zf, data, names, file_name)
        return
    if kind != "xlsx":
        raise _Reject(kind)
    if any(n.lower().endswith("vbaproject.bin") for n in names) or file_name.lower().endswith(MACRO_EXTENSIONS):
        raise _Reject(MSG_MACRO)
    _reject_macro_names(lower)
    if "xl/workbook.xml" not in lower:
        # binary workbook (.xlsb): its cell records escape the XML extent scan, so calamine must prove it
        # can read it in the capped child first, as for .xls
        parts = _scan_entries(memoryview(data), infos, limits, parse=(CONTENT_TYPES,))
        _reject_macro_content_types(parts)
        _calamine_opens(data, "Excel nhị phân (.xlsb)", file_name)
        return
    parts = _scan_entries(memoryview(data), infos, limits, parse=PARSED_PARTS, file_name=file_name)
    _reject_macro_content_types(parts)


def _case_folded(infos: list[zipfile.ZipInfo]) -> dict[str, str]:
    """Entry names by their lower-case form. calamine opens parts ignoring case and takes the first match,
    so two names that differ only in case could show the gate one part and the reader the other: refused."""
    lower: dict[str, str] = {}
    for info in infos:
        key = info.filename.lower()
        if key in lower:
            raise _Reject(MSG_CASE_TWINS.format(first=lower[key], second=info.filename))
        lower[key] = info.filename
    return lower


def _reject_macro_names(lower: dict[str, str], ods: bool = False) -> None:
    """A macro project stored under any part name: a VBA project (any name containing vbaProject), an
    embedded macro-enabled document, an Excel 4.0 macro sheet, or (in .ods) a Basic/script library."""
    for key, name in lower.items():
        base = key.rsplit("/", 1)[-1]
        if ("vbaproject" in base or key.endswith(MACRO_PART_EXTENSIONS) or key.startswith(MACRO_FOLDERS)
                or (ods and key.startswith(ODS_MACRO_FOLDERS))):
            raise _Reject(MSG_MACRO_PART.format(entry=name))


def _reject_macro_content_types(parts: dict[str, bytes]) -> None:
    """A content type that declares macros anywhere (macro-enabled workbook, a VBA project or a macro
    sheet under whatever part name or extension)."""
    types = parts.get(CONTENT_TYPES, b"").lower()
    if any(word in types for word in MACRO_CONTENT_WORDS):
        raise _Reject(MSG_MACRO)


def _zip_kind(zf: zipfile.ZipFile, names: set[str]) -> str:
    """'xlsx', 'ods', or the rejection message for any other zip (`names` in lower case, as readers match)."""
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return MSG_WORD
    if "ppt/presentation.xml" in names:
        return MSG_POWERPOINT
    if "mimetype" in names and "mimetype" in zf.NameToInfo:
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
    `parse` parts (matched ignoring case, kept under the names given) with defusedxml; scan XML parts and
    the parts the workbook names as worksheets cheaply for DTDs, .rels parts and embedded containers for
    macro projects, and (with file_name, for .xlsx) every entry for the extent of its cells. Returns the
    kept parts."""
    budget = limits["max_uncompressed_bytes"]
    ratio = limits["max_compression_ratio"]
    wanted = {p.lower(): p for p in parse}
    kept: dict[str, bytes] = {}
    sheets: dict[str, str] | None = None  # worksheet parts (lower-case name -> sheet name), once known
    total = 0
    # the parsed package parts first: they say which other parts are worksheets and what they are called
    for info in sorted(infos, key=lambda i: i.filename.lower() not in wanted):
        name = info.filename
        key = name.lower()
        keep = wanted.get(key)
        if sheets is None and keep is None:
            sheets = _worksheet_parts(kept, {i.filename.lower() for i in infos}) if file_name else {}
        # any entry may be read as a worksheet (the relationships decide the path, whatever its name or
        # first bytes), so every entry's cells are bounded; DTDs are looked for where XML is expected
        is_xml = key.endswith(XML_SUFFIXES) or key in (sheets or {})
        bound = ExtentBound() if file_name is not None else None
        label = (sheets or {}).get(key) or name  # how a message names the part
        needles = MACRO_NEEDLES_RELS if key.endswith(".rels") else None
        buf: list[bytes] = []
        size = 0
        head = tail = b""  # the first bytes (what the entry is), the last ones lower-cased (cut needles)
        for chunk in _inflate(raw, info, budget - total + 1):
            if needles is None:
                head += chunk[:MAGIC_BYTES - len(head)]
                if len(head) == MAGIC_BYTES:
                    needles = _container_needles(head)
            size += len(chunk)
            total += len(chunk)
            if total > budget:
                raise _Reject(MSG_TOO_BIG_UNCOMPRESSED.format(limit=_human(budget)))
            if size > RATIO_GRACE_BYTES and size > ratio * max(info.compress_size, 1):
                raise _Reject(MSG_RATIO.format(entry=name, ratio=size // max(info.compress_size, 1)))
            if size > info.file_size:
                # the reader's unzip may trust the data, not the header: a lying size is an attack
                raise _Reject(MSG_SIZE_LIE.format(entry=name))
            if needles:
                window = tail + chunk.lower()
                if any(n in window for n in needles):
                    raise _Reject(MSG_MACRO_PART.format(entry=name))
            if keep is not None:
                buf.append(chunk)
            elif is_xml:
                # plain find first: a regex over every chunk costs more than inflating it
                if (b"<!" in chunk or b"<!" in tail + chunk[:16]) and _DTD.search(tail + chunk):
                    raise _Reject(MSG_XML_DTD.format(entry=name))
            tail = (tail + chunk[-NEEDLE_OVERLAP:])[-NEEDLE_OVERLAP:].lower()
            if bound is not None:
                bound.feed(chunk)
        if bound is not None:
            bound.feed(b"", final=True)
        if size != info.file_size:
            raise _Reject(MSG_CORRUPT)
        if keep is not None:
            kept[keep] = _parse_xml(name, b"".join(buf))
        if bound is not None and not bound.small:
            if not bound.regular or not _usual_extent(raw, info, label, file_name):
                _exact_extent(raw, info, label, file_name)
    return kept


def _container_needles(first: bytes) -> tuple[bytes, ...]:
    """What betrays a macro project inside an embedded binary part, from its first bytes: the name of the
    `_VBA_PROJECT` stream (UTF-16, as compound files store names) in an OLE2 file, a `vbaProject` entry name
    (stored uncompressed in zip headers) in an embedded package; nothing for other data."""
    if first.startswith(OLE2_MAGIC):
        return MACRO_NEEDLES_OLE2
    if first.startswith(ZIP_MAGIC):
        return MACRO_NEEDLES_ZIP
    return ()


def _worksheet_parts(kept: dict[str, bytes], names: set[str]) -> dict[str, str]:
    """The entries (lower-case names, as readers match them) a reader may open as worksheets, with the
    sheet name to show: every target of a workbook <sheet> through the workbook's relationships (resolved
    as calamine does and as the OPC standard does), every worksheet-type relationship, and every part the
    content types declare a worksheet (by name or by extension)."""
    rels = _parsed(kept, "xl/_rels/workbook.xml.rels")
    book = _parsed(kept, "xl/workbook.xml")
    types = _parsed(kept, CONTENT_TYPES)
    found: dict[str, str] = {}

    def add(path: str, sheet: str) -> None:
        if path.lower() in names:
            found.setdefault(path.lower(), sheet)

    targets: dict[str | None, str] = {}
    for rel in rels.iter():
        if _local(rel.tag) == "Relationship":
            target = rel.get("Target", "")
            targets[rel.get("Id")] = target
            if rel.get("Type", "").lower().endswith(SHEET_REL_TYPES):
                for path in _rel_paths(target):
                    add(path, target)
    for el in book.iter():
        if _local(el.tag) == "sheet":
            for attr, rid in el.attrib.items():
                if _local(attr) == "id" and rid in targets:
                    for path in _rel_paths(targets[rid]):
                        found[path.lower()] = el.get("name", path)  # the workbook's own name wins
    for el in types.iter():
        content_type = el.get("ContentType", "").lower()
        if not any(word in content_type for word in SHEET_CONTENT_WORDS):
            continue
        if _local(el.tag) == "Override":
            add(el.get("PartName", "").lstrip("/"), el.get("PartName", ""))
        elif _local(el.tag) == "Default" and el.get("Extension"):
            suffix = "." + el.get("Extension", "").lower()
            for name in names:
                if name.endswith(suffix):
                    found.setdefault(name, name)
    return {k: v for k, v in found.items() if k in names}


def _parsed(kept: dict[str, bytes], part: str):
    """A kept package part as an element tree (an empty element when absent: the part was already parsed
    once, so this cannot fail on hostile XML)."""
    try:
        return DET.fromstring(kept.get(part) or b"<none/>")
    except Exception:  # the kept parts were parsed already; belt and braces
        return DET.fromstring(b"<none/>")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rel_paths(target: str) -> tuple[str, str]:
    """The zip entry a workbook relationship target names, as calamine resolves it ('/xl/…' and 'xl/…' kept,
    anything else under 'xl/', no '..' folding) and as the OPC standard does (relative to xl/, normalised)."""
    calamine = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
    opc = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return calamine, posixpath.normpath(opc)


def _usual_extent(raw: memoryview, info: zipfile.ZipInfo, sheet: str, file_name: str) -> bool:
    """Re-inflate a usual part whose references reach past the cap and measure its value cells; reject a
    too-large sheet as soon as they pass the cap. False when the part is not plain enough to judge so
    (the exact scan decides then)."""
    extent = UsualExtent()
    for chunk in _inflate(raw, info, info.file_size + 1):
        if extent.feed(chunk):
            _reject_big_sheet(sheet, extent.max_row, extent.max_col, file_name)
        if not extent.plain:
            return False
    if extent.feed(b"", final=True):
        _reject_big_sheet(sheet, extent.max_row, extent.max_col, file_name)
    return extent.plain


def _exact_extent(raw: memoryview, info: zipfile.ZipInfo, sheet: str, file_name: str) -> None:
    """Re-inflate a part the bound could not clear and place its cells exactly; reject a too-large sheet
    or markup built to hide cells. The first pass already checked the part's size and CRC, so this pass is
    bounded by its real size."""
    extent = SheetExtent()
    try:
        for chunk in _inflate(raw, info, info.file_size + 1):
            if extent.feed(chunk):
                _reject_big_sheet(sheet, extent.max_row, extent.max_col, file_name)
        if extent.feed(b"", final=True):
            _reject_big_sheet(sheet, extent.max_row, extent.max_col, file_name)
    except HostileMarkup as exc:
        raise _Reject(MSG_SHEET_MARKUP.format(sheet=sheet, file=file_name, detail=exc)) from None


def _reject_big_sheet(sheet: str, height: int, width: int, file_name: str) -> None:
    raise _Reject(MSG_SHEET_TOO_BIG.format(sheet=sheet, file=file_name, height=height, width=width,
                                           limit=_cell_limit_text()))


def _cell_limit_text() -> str:
    return f"{MAX_CELLS_PER_SHEET:,}".replace(",", ".")


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

    The trial read runs in the reader's memory-capped child process (loaders/sandbox.py): on a corrupt
    .xls calamine can try to allocate hundreds of GB and abort, which in-process would kill the whole app.
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


SANDBOX_TIMEOUT_S = 60


def _sandboxed_read(data: bytes) -> str:
    """'ok', 'password', 'error' or 'big ["sheet", rows, columns]' from a capped child process reading the
    workbook with calamine (each sheet measured as the reader measures it, then materialised)."""
    from loaders import sandbox  # lazily: only legacy and binary formats need it here

    try:
        reply = sandbox.trial_read(data, MAX_CELLS_PER_SHEET, SANDBOX_TIMEOUT_S)
    except sandbox.SandboxError:
        return "error"  # the child died or hung; this process lives on
    if reply[0] == "big":
        return "big " + json.dumps(list(reply[1:]), ensure_ascii=False)
    return reply[0] if reply[0] in ("ok", "password") else "error"


# ---------------------------------------------------------------- OLE2 compound files (xls, encrypted xlsx, doc)
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
# storages and streams that hold a VBA project in a compound file (.xls: _VBA_PROJECT_CUR/VBA/…)
OLE2_VBA_STORAGES = {"_vba_project_cur", "_vba_project", "vba"}


def _check_ole2(data: bytes, file_name: str) -> None:
    cfb = _Cfb.parse(data)
    if cfb is None:
        raise _Reject(MSG_RESAVE.format(kind="Excel cũ (.xls) bị hỏng"))
    lower = {n.lower(): n for n in cfb.entries}
    if {"encryptioninfo", "encryptedpackage"} & lower.keys():
        raise _Reject(MSG_PASSWORD)
    if OLE2_VBA_STORAGES & lower.keys():  # a legacy workbook's VBA project (_VBA_PROJECT_CUR)
        raise _Reject(MSG_MACRO_PART.format(entry=lower[min(OLE2_VBA_STORAGES & lower.keys())]))
    book = lower.get("workbook") or lower.get("book")
    if book:
        try:
            head = cfb.read(book, BIFF_SCAN_BYTES)
        except (struct.error, IndexError, ValueError):
            raise _Reject(MSG_RESAVE.format(kind="Excel cũ (.xls) bị hỏng")) from None
        filepass, macro_sheet = _biff_globals(head)
        if filepass:
            raise _Reject(MSG_PASSWORD)
        if macro_sheet:  # an Excel 4.0 macro sheet (its Auto_Open runs when the file is opened) or VB module
            raise _Reject(MSG_MACRO_PART.format(entry=f"{book} ({macro_sheet})"))
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
BIFF_BOUNDSHEET = 0x0085
BIFF_MACRO_SHEETS = {0x01: "macro Excel 4.0", 0x06: "mô-đun VBA"}  # BOUNDSHEET dt: macro sheet, VB module


def _biff_globals(stream: bytes) -> tuple[bool, str | None]:
    """From the workbook globals of a BIFF stream: whether a FILEPASS record is there (a password-protected
    .xls), and the kind of the first sheet that is an Excel 4.0 macro sheet or a VB module, if any."""
    pos = 0
    while pos + 4 <= len(stream):
        rtype, size = struct.unpack_from("<HH", stream, pos)
        if rtype == BIFF_FILEPASS:
            return True, None
        if rtype == BIFF_BOUNDSHEET and size >= 6 and pos + 10 <= len(stream):
            kind = BIFF_MACRO_SHEETS.get(stream[pos + 4 + 5])
            if kind:
                return False, kind
        if rtype == BIFF_EOF and pos > 0:
            return False, None
        pos += 4 + size
    return False, None


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
