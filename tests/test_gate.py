"""The upload gate against a hostile corpus built in tmp_path with real writers (openpyxl, zipfile, a CFB writer)."""
from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.config import load_config
from core.errors import Issue
from loaders.gate import check_upload, ole2_stream_names
from tests.builders import write_workbook

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_zip_entries": 2000,
          "max_uncompressed_bytes": 200 * 1024 * 1024, "max_compression_ratio": 200}
NOT_EXCEL = "Tệp không phải tệp Excel ({}); hãy dùng mẫu báo cáo và lưu dưới dạng .xlsx"
CORRUPT = "Tệp Excel bị hỏng (tệp nén .xlsx không hợp lệ); hãy mở bằng Excel và lưu lại dưới dạng .xlsx"
PASSWORD = "Tệp có mật khẩu, hãy bỏ mật khẩu và lưu lại"
MACRO = "Tệp Excel có macro (.xlsm/.xltm) không được chấp nhận; hãy lưu lại dưới dạng .xlsx không có macro"
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/xl/workbook.xml" ContentType="{ct}"/></Types>')
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def only_message(issues: list[Issue], file_name: str) -> str:
    """The single rejection's message, after checking the Issue's shape (no sheet/row/column, value = name)."""
    assert len(issues) == 1, issues
    issue = issues[0]
    assert (issue.sheet, issue.row, issue.column, issue.value, issue.severity) == (None, None, None, file_name, "error")
    return issue.message


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    """A valid v1 workbook written by the test builder (openpyxl)."""
    path = write_workbook(tmp_path_factory.mktemp("gate") / "DB01_2024_Q1.xlsx", elements={"DOI_THOAI": 3})
    return path.read_bytes()


def rezip(data: bytes, add: dict[str, bytes] | None = None, drop: tuple[str, ...] = (),
          replace: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with entries added, dropped or replaced (written by zipfile, deflated)."""
    add, replace = add or {}, replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)))
        for name, payload in add.items():
            dst.writestr(name, payload)
    return out.getvalue()


def make_zip(entries: dict[str, bytes | str]) -> bytes:
    """A fresh deflated zip with exactly these entries."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in entries.items():
            z.writestr(name, payload)
    return out.getvalue()


# ---------------------------------------------------------------- a minimal OLE2 compound-file writer
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def cfb_entry(name: str, etype: int, child: int, right: int, start: int, size: int) -> bytes:
    """One 128-byte directory entry of a compound file (type 1 storage, 2 stream, 5 root)."""
    raw = bytearray(128)
    enc = (name + "\x00").encode("utf-16-le")
    raw[: len(enc)] = enc
    struct.pack_into("<HBBIII", raw, 0x40, len(enc), etype, 1, NOSTREAM, right, child)
    struct.pack_into("<IQ", raw, 0x74, start, size)
    return bytes(raw)


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """A real OLE2 compound file (v3, 512-byte sectors, up to 3 streams, each padded to 4096 bytes so
    none lives in the mini stream), as Excel writes encrypted .xlsx and legacy .xls files."""
    items = sorted(streams.items(), key=lambda kv: (len(kv[0]), kv[0].upper()))
    fat = [FATSECT, ENDOFCHAIN]  # sector 0: the FAT, sector 1: the directory
    bodies, starts = [], []
    for _, payload in items:
        body = payload.ljust(max(4096, len(payload)), b"\x00")
        body += b"\x00" * (-len(body) % 512)
        start, n = len(fat), len(body) // 512
        fat.extend([*range(start + 1, start + n), ENDOFCHAIN])
        starts.append((start, max(4096, len(payload))))
        bodies.append(body)
    assert len(items) <= 3 and len(fat) <= 128
    fat += [FREESECT] * (128 - len(fat))
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<9I", header, 0x28, 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([FREESECT] * 108))

    dirs = [cfb_entry("Root Entry", 5, 1 if items else NOSTREAM, NOSTREAM, ENDOFCHAIN, 0)]
    for i, ((name, _), (start, size)) in enumerate(zip(items, starts)):
        dirs.append(cfb_entry(name, 2, NOSTREAM, i + 2 if i + 1 < len(items) else NOSTREAM, start, size))
    directory = b"".join(dirs).ljust(512, b"\x00")
    return bytes(header) + struct.pack("<128I", *fat) + directory + b"".join(bodies)


def biff_record(rtype: int, payload: bytes = b"") -> bytes:
    """One BIFF record: type, length, payload."""
    return struct.pack("<HH", rtype, len(payload)) + payload


def biff8_workbook(sheet: str = "Thông tin", number: float = 42.0, filepass: bool = False, kind: int = 0) -> bytes:
    """A minimal BIFF8 `Workbook` stream (one sheet, A1 = number), optionally with a FILEPASS record; `kind`
    is the sheet's BOUNDSHEET type (0 worksheet, 1 Excel 4.0 macro sheet)."""
    bof = biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    head = bof + (biff_record(0x002F, struct.pack("<HHH", 1, 1, 1) + bytes(48)) if filepass else b"")
    head += biff_record(0x0042, struct.pack("<H", 1200))
    head += b"".join(biff_record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5 if i < 15 else 1, 0x20,
                                                      0, 0, 0, 0, 0, 0x20C0)) for i in range(16))
    name = sheet.encode("utf-16-le")
    eof = biff_record(0x000A)
    sheet_pos = len(head) + 4 + 8 + len(name) + len(eof)
    glob = head + biff_record(0x0085, struct.pack("<IBBBB", sheet_pos, 0, kind, len(sheet), 1) + name) + eof
    body = (biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))
            + biff_record(0x0200, struct.pack("<IIHHH", 0, 1, 0, 1, 0))
            + biff_record(0x0203, struct.pack("<HHHd", 0, 0, 15, number)) + eof)
    return glob + body


# ---------------------------------------------------------------- the good file
def test_good_workbook_passes_quickly(good):
    assert check_upload(good, "DB01_2024_Q1.xlsx", LIMITS) == []
    assert check_upload(good, "DB01_2024_Q1.xlsx") == []  # limits from dashboard.toml
    cfg = load_config()
    start = time.perf_counter()
    for _ in range(50):
        check_upload(good, "a.xlsx", cfg)
    per_call = (time.perf_counter() - start) / 50
    assert per_call < 0.01, per_call  # typically ~0.4 ms; generous bound for a loaded CI box


def test_good_workbook_with_images_and_formulas_passes(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu"
    ws["A1"], ws["B1"] = 1, "=A1*2"
    path = tmp_path / "f.xlsx"
    wb.save(path)
    data = rezip(path.read_bytes(), add={"xl/media/image1.png": bytes(range(256)) * 40})
    assert check_upload(data, "f.xlsx", LIMITS) == []


# ---------------------------------------------------------------- not a workbook
@pytest.mark.parametrize("payload, kind", [
    (b"Ma don vi;Ten don vi\nDB01;Dang bo 1\n", "tệp văn bản/CSV"),
    ("Mã đơn vị,Tên đơn vị\nDB01,Đảng bộ Công ty\n".encode("utf-8"), "tệp văn bản/CSV"),
    ("Mã đơn vị\tTên\n".encode("utf-16"), "tệp văn bản/CSV"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n", "tệp PDF"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "ảnh PNG"),
    (b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>", "trang web HTML"),
    (bytes([0, 1, 2, 3, 250, 251, 252]) * 20, "định dạng không xác định"),
])
def test_non_workbooks_are_named(payload, kind):
    assert only_message(check_upload(payload, "bao_cao.xlsx", LIMITS), "bao_cao.xlsx") == NOT_EXCEL.format(kind)


def test_empty_file():
    assert only_message(check_upload(b"", "rong.xlsx", LIMITS), "rong.xlsx") == "Tệp rỗng (0 byte), không có dữ liệu để đọc"


def test_oversize_small_limit(good):
    limits = {**LIMITS, "max_bytes": 4096}
    msg = only_message(check_upload(good, "to.xlsx", limits), "to.xlsx")
    assert msg == f"Tệp quá lớn ({len(good) // 1024} KB), vượt giới hạn 4 KB"


def test_oversize_default_limit_is_20_mb():
    data = b"PK\x03\x04" + bytes(21 * 1024 * 1024)
    assert only_message(check_upload(data, "to.xlsx"), "to.xlsx") == "Tệp quá lớn (21 MB), vượt giới hạn 20 MB"


def test_renamed_docx_and_pptx():
    docx = make_zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
    pptx = make_zip({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p:presentation/>"})
    assert only_message(check_upload(docx, "bc.xlsx", LIMITS), "bc.xlsx") == \
        "Tệp là văn bản Word được đổi đuôi, không phải tệp Excel"
    assert only_message(check_upload(pptx, "bc.xlsx", LIMITS), "bc.xlsx") == \
        "Tệp là bản trình chiếu PowerPoint được đổi đuôi, không phải tệp Excel"


def test_plain_zip_is_not_excel():
    data = make_zip({"bao_cao/DB01.xlsx": b"x"})
    assert only_message(check_upload(data, "bc.xlsx", LIMITS), "bc.xlsx") == NOT_EXCEL.format("tệp nén .zip")


def test_legacy_word_doc_in_ole2():
    data = write_cfb({"WordDocument": b"\xec\xa5" + bytes(600)})
    assert only_message(check_upload(data, "bc.xls", LIMITS), "bc.xls") == \
        "Tệp là văn bản Word được đổi đuôi, không phải tệp Excel"


# ---------------------------------------------------------------- corrupt zips
def test_truncated_zip(good):
    assert only_message(check_upload(good[: len(good) // 2], "hong.xlsx", LIMITS), "hong.xlsx") == CORRUPT


def test_flipped_bytes_in_compressed_data(good):
    info = zipfile.ZipFile(io.BytesIO(good)).getinfo("xl/workbook.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + 10
    bad = bytearray(good)
    for i in range(start, start + 8):
        bad[i] ^= 0xFF
    assert only_message(check_upload(bytes(bad), "hong.xlsx", LIMITS), "hong.xlsx") == CORRUPT


def test_duplicate_entry_names(good):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it is asked to write
        data = rezip(good, add={"xl/workbook.xml": BILLION_LAUGHS.encode()})
    assert only_message(check_upload(data, "dup.xlsx", LIMITS), "dup.xlsx") == CORRUPT


# ---------------------------------------------------------------- zip bombs
def test_high_ratio_entry(good):
    data = rezip(good, add={"xl/worksheets/sheet99.xml": b"\x00" * (20 * 1024 * 1024)})
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet99.xml")
    ratio = info.file_size // info.compress_size
    assert ratio > 200
    assert only_message(check_upload(data, "bom.xlsx", LIMITS), "bom.xlsx") == (
        f"Thành phần «xl/worksheets/sheet99.xml» có tỷ lệ nén bất thường ({ratio}:1), "
        "nghi là tệp nén độc hại (zip bomb); tệp bị từ chối")


def test_too_many_entries(good):
    data = rezip(good, add={f"xl/media/x{i}.bin": b"a" for i in range(60)})
    limits = {**LIMITS, "max_zip_entries": 50}
    n = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert only_message(check_upload(data, "bom.xlsx", limits), "bom.xlsx") == (
        f"Tệp có quá nhiều thành phần ({n} > 50), nghi là tệp nén độc hại; tệp bị từ chối")


def test_declared_total_over_budget(good):
    data = rezip(good, add={"xl/media/big.bin": bytes(range(256)) * 8192})  # 2 MB, compresses ~1:100+
    limits = {**LIMITS, "max_uncompressed_bytes": 1024 * 1024, "max_compression_ratio": 100000}
    assert only_message(check_upload(data, "bom.xlsx", limits), "bom.xlsx") == (
        "Tệp giải nén ra quá lớn (vượt 1 MB), nghi là tệp nén độc hại (zip bomb); tệp bị từ chối")


def _lie_about_size(data: bytes, name: str, declared: int) -> bytes:
    """Patch both the local header and the central directory so `name` declares `declared` bytes,
    with a CRC that matches the first `declared` bytes (so a reader that trusts the header is fooled)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.getinfo(name)
    fake_crc = zlib.crc32(zf.read(name)[:declared])
    out = bytearray(data)
    struct.pack_into("<I", out, info.header_offset + 14, fake_crc)
    struct.pack_into("<I", out, info.header_offset + 22, declared)
    cd = out.find(b"PK\x01\x02")
    while cd != -1:
        nlen = struct.unpack_from("<H", out, cd + 28)[0]
        if bytes(out[cd + 46:cd + 46 + nlen]) == name.encode():
            struct.pack_into("<I", out, cd + 16, fake_crc)
            struct.pack_into("<I", out, cd + 24, declared)
            break
        cd = out.find(b"PK\x01\x02", cd + 4)
    return bytes(out)


def test_lying_declared_size(good):
    # 3 MB of XML that declares 300 KB: the declared ratio looks harmless, the real one is not
    big = b'<?xml version="1.0"?><worksheet>' + b"<row/>" * (500 * 1024) + b"</worksheet>"
    data = _lie_about_size(rezip(good, add={"xl/worksheets/sheet9.xml": big}), "xl/worksheets/sheet9.xml",
                           300 * 1024)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet9.xml")
    assert info.file_size == 300 * 1024 and info.file_size < 200 * info.compress_size
    assert zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet9.xml") == big[:300 * 1024]  # fooled
    assert only_message(check_upload(data, "bom.xlsx", LIMITS), "bom.xlsx") == (
        "Thành phần «xl/worksheets/sheet9.xml» giải nén ra lớn hơn kích thước khai báo "
        "(tệp hỏng hoặc tệp nén độc hại); tệp bị từ chối")


# ---------------------------------------------------------------- macros
def test_vba_project_rejected(good):
    data = rezip(good, add={"xl/vbaProject.bin": write_cfb({"dir": b"\x01" * 10})})
    assert only_message(check_upload(data, "bc.xlsx", LIMITS), "bc.xlsx") == MACRO


def test_macro_enabled_content_type_rejected(good):
    data = rezip(good, replace={"[Content_Types].xml": CONTENT_TYPES.format(ct=XLSM_MAIN).encode()})
    assert only_message(check_upload(data, "bc.xlsx", LIMITS), "bc.xlsx") == MACRO
    # the same package with the ordinary content type passes
    plain = rezip(good, replace={"[Content_Types].xml": CONTENT_TYPES.format(ct=XLSX_MAIN).encode()})
    assert check_upload(plain, "bc.xlsx", LIMITS) == []


@pytest.mark.parametrize("name", ["bc.xlsm", "BC.XLTM"])
def test_macro_extension_rejected(good, name):
    assert only_message(check_upload(good, name, LIMITS), name) == MACRO


# ---------------------------------------------------------------- passwords and legacy formats
def test_password_protected_xlsx_ole2_container():
    data = write_cfb({"EncryptionInfo": struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>",
                      "EncryptedPackage": struct.pack("<Q", 9000) + bytes(range(256)) * 36})
    assert ole2_stream_names(data) == ["Root Entry", "EncryptionInfo", "EncryptedPackage"]
    assert only_message(check_upload(data, "mat_khau.xlsx", LIMITS), "mat_khau.xlsx") == PASSWORD


def test_password_protected_legacy_xls():
    data = write_cfb({"Workbook": biff8_workbook(filepass=True)})
    assert only_message(check_upload(data, "cu.xls", LIMITS), "cu.xls") == PASSWORD


def test_legacy_xls_read_by_calamine_passes():
    import python_calamine as pc

    data = write_cfb({"Workbook": biff8_workbook()})
    sheet = pc.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    assert sheet.to_python() == [[42.0]]
    assert check_upload(data, "cu.xls", LIMITS) == []


def test_unreadable_legacy_xls_asks_to_resave():
    data = write_cfb({"Workbook": b"\x01\x02 not BIFF at all " * 20})
    assert only_message(check_upload(data, "cu.xls", LIMITS), "cu.xls") == \
        "Không đọc được tệp Excel cũ (.xls); hãy lưu lại dưới dạng .xlsx"


def test_garbage_ole2_header():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 1000
    assert only_message(check_upload(data, "cu.xls", LIMITS), "cu.xls") == \
        "Không đọc được tệp Excel cũ (.xls) bị hỏng; hãy lưu lại dưới dạng .xlsx"


def _mutated_xls(mutations: list[tuple[int, int]], cut: int | None = None) -> bytes:
    raw = bytearray(write_cfb({"Workbook": biff8_workbook()}))
    for pos, value in mutations:
        raw[pos] = value
    return bytes(raw[:cut] if cut is not None else raw)


# Found by fuzzing python-calamine 0.9.1: in-process, the first raises pyo3's PanicException (a
# BaseException, so `except Exception` does not catch it), the second makes Rust try to allocate ~136 GB
# and abort the whole interpreter. The gate's trial read runs in a capped child process instead.
CALAMINE_PANIC = ([(4245, 161), (2711, 28), (3324, 197), (751, 28), (3812, 103)], 1352)
CALAMINE_ABORT = ([(4524, 52), (1591, 129), (4660, 151), (5095, 41), (5252, 201), (926, 82), (2007, 53),
                   (3839, 7)], None)


@pytest.mark.parametrize("case, kind", [(CALAMINE_PANIC, "Excel cũ (.xls) bị hỏng"), (CALAMINE_ABORT, "Excel cũ (.xls)")],
                         ids=["panic", "abort"])
def test_xls_that_crashes_calamine_is_rejected_not_fatal(case, kind):
    from loaders.gate import _sandboxed_read

    data = _mutated_xls(*case)
    assert _sandboxed_read(data) == "error"  # the child died or failed; this process lives on
    assert only_message(check_upload(data, "hong.xls", LIMITS), "hong.xls") == \
        f"Không đọc được tệp {kind}; hãy lưu lại dưới dạng .xlsx"


def _ods(content: str, manifest_extra: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml",
                   '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                   '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                   f'{manifest_extra}</manifest:file-entry></manifest:manifest>')
        z.writestr("content.xml", content)
    return out.getvalue()


ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
    '<office:spreadsheet><table:table table:name="Thông tin"><table:table-row>'
    '<table:table-cell office:value-type="string"><text:p>Mã đơn vị</text:p></table:table-cell>'
    '<table:table-cell office:value-type="string"><text:p>DB01</text:p></table:table-cell>'
    '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')


def test_ods_read_by_calamine_passes():
    assert check_upload(_ods(ODS_CONTENT), "bc.ods", LIMITS) == []


def test_encrypted_ods():
    data = _ods(ODS_CONTENT, '<manifest:encryption-data manifest:checksum-type="SHA1"/>')
    assert only_message(check_upload(data, "bc.ods", LIMITS), "bc.ods") == PASSWORD


def test_unreadable_ods_asks_to_resave():
    data = _ods("<office:document-content>broken")
    assert only_message(check_upload(data, "bc.ods", LIMITS), "bc.ods") == \
        "Không đọc được tệp OpenDocument .ods; hãy lưu lại dưới dạng .xlsx"


# ---------------------------------------------------------------- XML attacks
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + ']><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheets><sheet name="&lol9;" sheetId="1"/></sheets></workbook>')
DTD_MSG = ("Tệp chứa khai báo DTD/thực thể XML («{}») không được phép; "
           "hãy mở bằng Excel và lưu lại dưới dạng .xlsx")


def test_billion_laughs_in_workbook_xml(good):
    data = rezip(good, replace={"xl/workbook.xml": BILLION_LAUGHS.encode()})
    assert only_message(check_upload(data, "lol.xlsx", LIMITS), "lol.xlsx") == DTD_MSG.format("xl/workbook.xml")


def test_external_entity_in_rels(good):
    xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">&x;</Relationships>')
    data = rezip(good, replace={"xl/_rels/workbook.xml.rels": xxe.encode()})
    assert only_message(check_upload(data, "xxe.xlsx", LIMITS), "xxe.xlsx") == \
        DTD_MSG.format("xl/_rels/workbook.xml.rels")


@pytest.mark.parametrize("offset", [0, 65536 - 4])  # at the start, and straddling the scan's chunk boundary
def test_doctype_in_a_big_sheet_part(good, offset):
    zf = zipfile.ZipFile(io.BytesIO(good))
    sheet = zf.read("xl/worksheets/sheet1.xml")
    evil = b" " * offset + b'<!DOCTYPE worksheet [<!ENTITY e "x">]>' + sheet
    data = rezip(good, replace={"xl/worksheets/sheet1.xml": evil})
    assert only_message(check_upload(data, "dtd.xlsx", LIMITS), "dtd.xlsx") == \
        DTD_MSG.format("xl/worksheets/sheet1.xml")


def test_malformed_workbook_xml(good):
    data = rezip(good, replace={"xl/workbook.xml": b"<workbook><sheets>"})
    assert only_message(check_upload(data, "x.xlsx", LIMITS), "x.xlsx") == (
        "Thành phần «xl/workbook.xml» của tệp Excel bị hỏng (XML không hợp lệ); "
        "hãy mở bằng Excel và lưu lại dưới dạng .xlsx")


def test_messages_are_nfc(good):
    import unicodedata

    for data, name in [(b"", "a.xlsx"), (good, "a.xlsm"), (b"%PDF", "a.xlsx")]:
        msg = check_upload(data, name, LIMITS)[0].message
        assert unicodedata.is_normalized("NFC", msg)


def test_file_on_disk_roundtrip(tmp_path: Path, good):
    # what the CLI does: read the bytes of a real file
    p = tmp_path / "DB01.xlsx"
    p.write_bytes(good)
    assert check_upload(p.read_bytes(), p.name) == []


# ---------------------------------------------------------------- never crash on hostile bytes
from hypothesis import given, strategies as st  # noqa: E402


@given(st.data())
def test_mutated_workbooks_never_crash(good, data):
    """Flipped bytes anywhere, truncation, or junk appended: a list of Issues comes back, never an exception."""
    raw = bytearray(good)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    mutated = bytes(raw[:cut]) + data.draw(st.binary(max_size=64))
    issues = check_upload(mutated, "fuzz.xlsx", LIMITS)
    assert isinstance(issues, list) and all(i.sheet is None and i.value == "fuzz.xlsx" for i in issues)


@given(st.binary(min_size=0, max_size=2048), st.sampled_from([b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b""]))
def test_random_bytes_never_crash(payload, magic):
    issues = check_upload(magic + payload, "x.xlsx", LIMITS)
    assert len(issues) == 1 and issues[0].severity == "error"


# ---------------------------------------------------------------- issue 10: names that differ in case, macros anywhere
def test_entry_names_differing_only_in_case_are_refused(good):
    """calamine opens parts ignoring case (first match wins): two such names could show the gate one part
    and the reader the other."""
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml")
    data = rezip(good, add={"xl/worksheets/Sheet1.xml": sheet})
    assert only_message(check_upload(data, "hoa.xlsx", LIMITS), "hoa.xlsx") == (
        "Tệp có hai thành phần chỉ khác nhau chữ hoa/chữ thường («xl/worksheets/sheet1.xml» và "
        "«xl/worksheets/Sheet1.xml»); chương trình đọc có thể lấy nhầm thành phần, tệp bị từ chối; "
        "hãy mở bằng Excel và lưu lại dưới dạng .xlsx")


def write_cfb_tree(storage: str, streams: dict[str, bytes]) -> bytes:
    """A real OLE2 compound file whose root holds one storage with up to two streams: the shape of a VBA
    project (storage `VBA` with `_VBA_PROJECT` and `dir`), as Office writes it inside vbaProject.bin."""
    assert len(streams) <= 2
    base = bytearray(write_cfb(streams))
    # write_cfb lays the directory as Root, stream, stream; rewrite it as Root -> storage -> streams
    items = sorted(streams.items(), key=lambda kv: (len(kv[0]), kv[0].upper()))
    dir_at = 512 * 2  # header, then sector 0 (FAT), then sector 1 (directory)
    old = bytes(base[dir_at:dir_at + 512])
    entries = [old[i * 128:(i + 1) * 128] for i in range(4)]

    starts = [struct.unpack_from("<IQ", e, 0x74) for e in entries[1:1 + len(items)]]
    new = [cfb_entry("Root Entry", 5, 1, NOSTREAM, ENDOFCHAIN, 0), cfb_entry(storage, 1, 2, NOSTREAM, 0, 0)]
    for i, ((name, _), (start, size)) in enumerate(zip(items, starts)):
        new.append(cfb_entry(name, 2, NOSTREAM, i + 3 if i + 1 < len(items) else NOSTREAM, start, size))
    base[dir_at:dir_at + 512] = b"".join(new).ljust(512, b"\x00")
    return bytes(base)


VBA_PROJECT = write_cfb_tree("VBA", {"_VBA_PROJECT": b"\xcc\x61\xff\xff\x00" + bytes(2), "dir": b"\x01" * 40})
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
MACRO_PART = ("Tệp chứa macro (VBA hoặc macro Excel 4.0) ở thành phần «{}»; tệp có macro không được chấp "
              "nhận, hãy lưu lại dưới dạng .xlsx không có macro")


def _with_rel(data: bytes, rel_type: str, target: str) -> bytes:
    rels = zipfile.ZipFile(io.BytesIO(data)).read("xl/_rels/workbook.xml.rels")
    rels = rels.replace(b"</Relationships>",
                        f'<Relationship Id="rId90" Type="{rel_type}" Target="{target}"/></Relationships>'.encode())
    return rezip(data, replace={"xl/_rels/workbook.xml.rels": rels})


def _with_type(data: bytes, xml: str) -> bytes:
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    return rezip(data, replace={"[Content_Types].xml": types.replace(b"</Types>", xml.encode() + b"</Types>")})


def _inner_package(entries: dict[str, bytes]) -> bytes:
    return make_zip(entries)


def test_vba_project_tree_is_a_real_compound_file():
    assert ole2_stream_names(VBA_PROJECT) == ["Root Entry", "VBA", "dir", "_VBA_PROJECT"]


@pytest.mark.parametrize("case", [
    "renamed VBA project", "content type override", "content type by extension", "relationship",
    "embedded macro document", "embedded package holding a VBA project", "vbaProject under another folder",
    "Excel 4.0 macro sheet",
])
def test_macro_project_anywhere_is_refused(good, case):
    """A VBA project (or an Excel 4.0 macro sheet) is refused wherever it sits and however it is named."""
    if case == "renamed VBA project":  # found by its _VBA_PROJECT stream (an OLE2 file among the media)
        data, expected = rezip(good, add={"xl/media/image9.png": VBA_PROJECT}), MACRO_PART.format("xl/media/image9.png")
    elif case == "content type override":
        data = _with_type(rezip(good, add={"xl/code.dat": b"\x00" * 64}),
                          f'<Override PartName="/xl/code.dat" ContentType="{VBA_TYPE}"/>')
        expected = MACRO
    elif case == "content type by extension":
        data = _with_type(rezip(good, add={"xl/code.dat": b"\x00" * 64}),
                          f'<Default Extension="dat" ContentType="{VBA_TYPE}"/>')
        expected = MACRO
    elif case == "relationship":  # the target holds no OLE2 magic: the relationship's type gives it away
        data = _with_rel(rezip(good, add={"xl/code.dat": b"\x00" * 64}), VBA_REL, "code.dat")
        expected = MACRO_PART.format("xl/_rels/workbook.xml.rels")
    elif case == "embedded macro document":
        name = "xl/embeddings/Microsoft_Word_Macro-Enabled_Document.docm"
        data, expected = rezip(good, add={name: _inner_package({"word/document.xml": b"<w/>"})}), MACRO_PART.format(name)
    elif case == "embedded package holding a VBA project":  # an .xlsx-looking inner zip: its entry names show
        name = "xl/embeddings/oleObject1.bin"
        inner = _inner_package({"xl/workbook.xml": b"<workbook/>", "xl/vbaProject.bin": VBA_PROJECT})
        data, expected = rezip(good, add={name: inner}), MACRO_PART.format(name)
    elif case == "vbaProject under another folder":
        data, expected = rezip(good, add={"customXml/vbaProject2.bin": VBA_PROJECT}), MACRO_PART.format(
            "customXml/vbaProject2.bin")
    else:
        data = rezip(good, add={"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"})
        expected = MACRO_PART.format("xl/macrosheets/sheet1.xml")
    assert only_message(check_upload(data, "bc.xlsx", LIMITS), "bc.xlsx") == expected


def test_legacy_xls_with_a_vba_project_is_refused():
    data = write_cfb_tree("_VBA_PROJECT_CUR", {"Workbook": biff8_workbook()})
    assert only_message(check_upload(data, "cu.xls", LIMITS), "cu.xls") == MACRO_PART.format("_VBA_PROJECT_CUR")


def test_legacy_xls_with_an_excel4_macro_sheet_is_refused():
    """An Excel 4.0 macro sheet (BOUNDSHEET type 1) runs its Auto_Open when the file is opened in Excel."""
    data = write_cfb({"Workbook": biff8_workbook(sheet="Macro1", kind=1)})
    assert only_message(check_upload(data, "cu.xls", LIMITS), "cu.xls") == MACRO_PART.format("Workbook (macro Excel 4.0)")


def test_ods_with_a_basic_library_is_refused():
    out = io.BytesIO(_ods(ODS_CONTENT))
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("Basic/Standard/Module1.xml", "<script:module/>")
    assert only_message(check_upload(out.getvalue(), "bc.ods", LIMITS), "bc.ods") == \
        MACRO_PART.format("Basic/Standard/Module1.xml")


# ---------------------------------------------------------------- issue 10: usual parts past the cheap bound
def _with_rows(data: bytes, rows: bytes) -> bytes:
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet4.xml")
    return rezip(data, replace={"xl/worksheets/sheet4.xml": sheet.replace(b"</sheetData>", rows + b"</sheetData>")})


FAR_EMPTY = b'<row r="9"><c r="XFD1048576"/></row>'


@pytest.mark.parametrize("rows, refused", [
    (FAR_EMPTY, False),  # a far self-closing cell holds no value: calamine does not place it
    (b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', True),
    (FAR_EMPTY + b'<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>', True),  # a prefix, after
    (FAR_EMPTY + b'<row r="1048576"><c t="n" r="XFD1048576"><v>1</v></c></row>', True),  # r not first, after
    (FAR_EMPTY + b'<row r="1048576"><c r="XFD1048576" note=">"><v>1</v></c></row>', True),  # a quoted '>'
], ids=["far empty cell", "far value", "prefixed after the bound", "r not first after the bound", "quoted >"])
def test_usual_part_past_the_bound_is_judged_by_the_cells_that_hold_values(good, rows, refused):
    """Once the cheap bound passes the cap, the value cells decide; a cell tag in any other form (even
    after the point where the bound stopped looking) sends the part to the exact scan."""
    issues = check_upload(_with_rows(good, rows), "xa.xlsx", LIMITS)
    assert [i.message.split(" (")[0] for i in issues] == (["Sheet 'Sinh hoạt' của tệp xa.xlsx quá lớn"] if refused else [])
