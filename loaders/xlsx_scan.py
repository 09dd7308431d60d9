"""Find formula cells that carry no cached value in an .xlsx (template-v1.md "Formulas").

Readers return the value Excel/LibreOffice cached with a formula; a file written by a program that does
not compute (openpyxl, some converters) has formulas with no cached value, which would silently read as
empty. The loader turns each such cell into an error naming the cell.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

CellRef = tuple[str, int, int]  # (sheet name, 1-based Excel row, 1-based column)

_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_REF = re.compile(r"([A-Za-z]{1,3})(\d+)$")
_WORKSHEET_REL = "/worksheet"  # suffix of the relationship type, transitional and strict alike


def uncached_formula_cells(data: bytes) -> list[CellRef]:
    """(sheet, row, column) of every formula cell with no cached value; [] for non-OOXML containers.

    Call it on bytes that passed loaders.gate.check_upload (which bounds the decompressed size)."""
    if not data.startswith(b"PK"):
        return []
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        parts = sheet_parts(zf)
        contents = {part: zf.read(part) for _, part in parts}
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ET.ParseError, DefusedXmlException):
        return []  # the gate rejects such files; nothing more to say here
    found: list[CellRef] = []
    for name, part in parts:
        raw = contents[part]
        # fast path: most sheets have no formula at all, so no XML is parsed
        if _may_have_formula(raw):
            found.extend((name, row, col) for row, col in _scan_sheet(raw))
    return found


def _may_have_formula(raw: bytes) -> bool:
    """Cheap byte test; a plain find is much faster than a regex over the whole part."""
    if b"<worksheet" in raw[:1024]:  # the usual unprefixed namespace: formulas are spelled <f
        return b"<f" in raw and _FORMULA_TAG.search(raw) is not None
    return _FORMULA_TAG.search(raw) is not None


def sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name as in the workbook, zip part path) of every worksheet, in workbook order."""
    if "xl/workbook.xml" not in zf.namelist():
        return []
    workbook = DET.fromstring(zf.read("xl/workbook.xml"))
    rels_name = "xl/_rels/workbook.xml.rels"
    targets: dict[str, str] = {}
    if rels_name in zf.namelist():
        for rel in DET.fromstring(zf.read(rels_name)):
            if rel.get("Type", "").endswith(_WORKSHEET_REL) and rel.get("TargetMode") != "External":
                targets[rel.get("Id", "")] = _resolve("xl", rel.get("Target", ""))
    names = set(zf.namelist())
    out: list[tuple[str, str]] = []
    for el in workbook.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        part = targets.get(rid or "")
        if part and part in names:
            out.append((el.get("name", ""), part))
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _resolve(base: str, target: str) -> str:
    """A relationship target as a zip member name (absolute targets start at the package root)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(base, target))


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def _scan_sheet(raw: bytes) -> list[tuple[int, int]]:
    """(row, column) of formula cells without a cached value in one worksheet part."""
    found: list[tuple[int, int]] = []
    try:
        _walk(raw, found)
    except (ET.ParseError, DefusedXmlException):
        pass  # malformed tail (calamine is more lenient): keep what was found before it
    return found


def _walk(raw: bytes, found: list[tuple[int, int]]) -> None:
    row = 0
    col = 0
    for event, el in DET.iterparse(io.BytesIO(raw), events=("start", "end")):
        tag = _local(el.tag)
        if event == "start":
            if tag == "row":
                r = el.get("r")
                row = int(r) if r and r.isdigit() else row + 1
                col = 0
            elif tag == "c":
                m = _REF.match(el.get("r") or "")
                if m:
                    col, row = _column_number(m.group(1)), int(m.group(2))
                else:  # cells may omit r: they then follow the previous one
                    col += 1
            continue
        if tag == "c":
            formula = value = None
            for child in el:
                name = _local(child.tag)
                if name == "f":
                    formula = child
                elif name == "v":
                    value = child
            if formula is not None and _uncached(el, value):
                found.append((row, col))
            el.clear()
        elif tag == "row":
            el.clear()


def _uncached(cell, value) -> bool:
    if value is None:
        return True
    if value.text:
        return False
    # an empty <v/> is a cached empty string only when the cell says its result is a string
    return cell.get("t") != "str"
