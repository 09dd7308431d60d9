"""Fuzzing the loader entry points (`preview_bytes`, then `ingest_bytes` on a real DuckDB file).

Three derandomised hypothesis strategies start from valid workbooks: byte-level damage (flips, cuts,
inserted bytes), XML damage inside a still-valid zip (so the reader and the validator see it), and
tricky cell values shuffled across the sheets. Every outcome must be a result with a known status whose
errors are Vietnamese Issues, or a DashboardError; never another exception; and never a half-stored file
(a rejected file changes nothing, an accepted one has every parsed row).
"""
from __future__ import annotations

import datetime as dt
import io
import time
import unicodedata
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from core.errors import DashboardError, Issue
from core.tables import DATA_COLUMNS
from loaders.store import ingest_bytes, preview_bytes
from loaders.validate import excel_ref
from tests.builders import default_cells, info_values, write_workbook

FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PREVIEW_STATUSES = {"valid", "rejected", "duplicate"}
INGEST_STATUSES = {"accepted", "rejected", "duplicate"}


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """One database for the whole module (hypothesis calls the test many times) and a valid workbook."""
    from core.storage import open_database

    tmp = tmp_path_factory.mktemp("fuzz")
    db = open_database(tmp / "fuzz.duckdb")
    good = write_workbook(
        tmp / "DB01.xlsx", elements={"DOI_THOAI": 3, "AN_SINH": "1.250,5"},
        meetings=[{"cell_code": "DB01-CB1", "meeting_date": dt.date(2024, 2, 5), "kind": "Định kỳ",
                   "required": 12, "attended": 11}],
        petitions=[{"petition_no": "01/ĐT", "received_date": dt.date(2024, 2, 1), "kind": "Kiến nghị",
                    "status": "Đang giải quyết", "summary": "Phản ánh chế độ"}]).read_bytes()
    stats = {"examples": 0, "seconds": 0.0, "statuses": {}}
    yield _State(db=db, good=good, tmp=tmp, stats=stats)
    print(f"[fuzz] {stats['examples']} examples, {stats['seconds']:.1f} s in the loader, outcomes {stats['statuses']}")
    db.close()


class _State(dict):
    """The module's shared objects; a short repr keeps hypothesis failure reports readable."""

    def __repr__(self) -> str:
        return f"<fuzz state: {self['tmp']}>"


def _vietnamese(issue: Issue) -> None:
    assert isinstance(issue, Issue)
    msg = issue.message
    assert isinstance(msg, str) and msg.strip() and unicodedata.is_normalized("NFC", msg), msg
    assert any(ord(ch) > 127 for ch in msg), msg  # a Vietnamese sentence, not a bare English exception
    assert issue.severity in ("error", "warning")
    issue.to_json()  # serialisable for the CLI's --json


def _counts(db) -> dict[str, int]:
    return {t: db.query_value(f"SELECT count(*) FROM {t}") for t in ("submissions", "archived_files", *DATA_COLUMNS)}


def check_outcome(state, data: bytes, name: str = "fuzz.xlsx") -> str:
    """Run preview then ingest on the bytes and check every invariant; returns the ingest status."""
    db, stats = state["db"], state["stats"]
    start = time.perf_counter()
    try:
        preview = preview_bytes(db, data, name)
    except DashboardError as exc:
        assert exc.message.strip()
        preview = None
    if preview is not None:
        assert preview.status in PREVIEW_STATUSES
        for issue in preview.errors + preview.warnings:
            _vietnamese(issue)
        assert (preview.status == "rejected") == bool(preview.errors)
    before = _counts(db)
    try:
        result = ingest_bytes(db, data, name)
    except DashboardError as exc:
        assert exc.message.strip()
        result = None
    after = _counts(db)
    stats["examples"] += 1
    stats["seconds"] += time.perf_counter() - start
    status = result.status if result is not None else "error"
    stats["statuses"][status] = stats["statuses"].get(status, 0) + 1
    if result is None or result.status != "accepted":
        assert after == before, (status, before, after)  # nothing half-stored
        if result is not None:
            assert result.status in INGEST_STATUSES
            for issue in result.errors + result.warnings:
                _vietnamese(issue)
        return status
    assert preview is not None and preview.status == "valid"
    assert after["submissions"] == before["submissions"] + 1
    for table in DATA_COLUMNS:
        got = db.query_value(f"SELECT count(*) FROM {table} WHERE submission_id = ?", [result.submission_id])
        assert got == len(result.parsed.tables.get(table) or []), table
    current = db.query_rows("SELECT count(*) FROM submissions WHERE status = 'current' "
                            "GROUP BY unit_code, year, period HAVING count(*) <> 1")
    assert current == []
    return status


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in entries.items():
            z.writestr(name, payload)
    return out.getvalue()


# ---------------------------------------------------------------- 1. byte-level damage
@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_damaged_bytes(state, data):
    raw = bytearray(state["good"])
    for _ in range(data.draw(st.integers(0, 6), label="flips")):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    for _ in range(data.draw(st.integers(0, 2), label="inserts")):
        pos = data.draw(st.integers(0, len(raw)))
        raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=32))
    cut = data.draw(st.one_of(st.just(len(raw)), st.integers(0, len(raw))), label="cut")
    check_outcome(state, bytes(raw[:cut]))


# ---------------------------------------------------------------- 2. XML damage inside a valid zip
SNIPPETS = [b"<", b">", b"</c>", b"<row>", b'<row r="3">', b'<c r="B2" t="s"><v>999</v></c>', b"&amp;", b"&#0;",
            b'"', b"'", b' t="n"', b' t="b"', b' t="e"', b' t="d"', b"<v>-1e308</v>", b"<v>1e400</v>",
            b"<is><t>x</t></is>", b' r="A0"', b' r="ZZZ9"', b' r="B1048577"', b"<f>SUM(A1)</f>", b"\xff\xfe",
            b"<![CDATA[x]]>", b"<?pi x?>", b"<!-- c -->", b"\x00", "Đảng ủy".encode(), b"_x0001_", b"<v></v>"]


@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_damaged_xml_parts(state, data):
    entries = _entries(state["good"])
    names = sorted(n for n in entries if n.endswith((".xml", ".rels")))
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        name = data.draw(st.sampled_from(names), label="part")
        xml = entries[name]
        a = data.draw(st.integers(0, len(xml)))
        b = min(len(xml), a + data.draw(st.integers(0, 64)))
        op = data.draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]), label="op")
        payload = data.draw(st.one_of(st.sampled_from(SNIPPETS), st.binary(max_size=16)), label="payload")
        if op == "delete":
            xml = xml[:a] + xml[b:]
        elif op == "insert":
            xml = xml[:a] + payload + xml[a:]
        elif op == "replace":
            xml = xml[:a] + payload + xml[b:]
        else:
            xml = xml[:b] + xml[a:b] + xml[b:]
        entries[name] = xml
    check_outcome(state, _zip(entries))


# ---------------------------------------------------------------- 3. tricky values shuffled across cells
TRICKY = ["", " ", "=SUM(A1)", "+cmd", "-1", "@SUM(1)", "1.234,5", "1,5", "1e309", "NaN", "inf", "0202-13-45",
          "31/02/2024", "03/04/2024", 10**20, -5, 3.5, 0, True, False, "Có", "x", "✓", "Không", "\u202eDB01",
          "DB\u200b01", "Quý V", "Quý I", "Năm", "2024", 2024, 1899, "Ví dụ", "a" * 300, "Chi bộ cơ sở",
          "Đảng bộ cơ sở", "DB01-CB1", "DB01", "ROOT", dt.datetime(2024, 2, 30 - 1), dt.datetime(1900, 1, 1)]


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_shuffled_cell_values(state, data):
    value = st.sampled_from(TRICKY)
    info = info_values()
    for key in data.draw(st.lists(st.sampled_from(sorted(info)), max_size=4, unique=True), label="info keys"):
        info[key] = data.draw(value)
    cells = default_cells()
    for cell in cells:
        for key in data.draw(st.lists(st.sampled_from(["cell_code", "cell_name", "cell_kind", "members",
                                                       "mo_hinh_4_tot"]), max_size=2), label="cell keys"):
            cell[key] = data.draw(value)
    meetings = [{"cell_code": data.draw(value), "meeting_date": data.draw(value), "kind": data.draw(value),
                 "required": data.draw(value), "attended": data.draw(value)}
                for _ in range(data.draw(st.integers(0, 2)))]
    elements = {code: data.draw(value) for code in
                data.draw(st.lists(st.sampled_from(["DOI_THOAI", "AN_SINH", "QCDC", "NOPE"]), max_size=3, unique=True))}
    path = write_workbook(state["tmp"] / "shuffled.xlsx", info=info, cells=cells, meetings=meetings,
                          elements=elements)
    check_outcome(state, path.read_bytes(), "shuffled.xlsx")


# ---------------------------------------------------------------- 4. the gate's sheet extent never under-counts
@st.composite
def sheet_xml(draw) -> bytes:
    """A small worksheet whose rows and cells may omit their r reference, hold values or be self-closing."""
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row_ref = draw(st.one_of(st.none(), st.integers(1, 300)))
        cells = []
        for _ in range(draw(st.integers(0, 5))):
            col = draw(st.one_of(st.none(), st.integers(1, 80)))
            ref = ""
            if col is not None:
                letters = excel_ref(1, col)[:-1]
                own_row = st.integers(1, 300) if row_ref is None else st.one_of(st.just(row_ref), st.integers(1, 300))
                ref = f' r="{letters}{draw(own_row)}"'
            body = draw(st.sampled_from(["/>", "><v>1</v></c>", ' t="inlineStr"><is><t>x</t></is></c>']))
            cells.append(f"<c{ref}{body}")
        row_attr = "" if row_ref is None else f' r="{row_ref}"'
        rows.append(f"<row{row_attr}>{''.join(cells)}</row>")
    return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(rows) + "</sheetData></worksheet>").encode()


@settings(FUZZ, max_examples=120)
@given(xml=sheet_xml(), chunk=st.integers(7, 200))
def test_gate_extent_covers_what_the_reader_places(state, xml, chunk):
    """Whatever the reader (calamine) places, the gate's streaming extent (fed in arbitrary chunks) is at
    least as large, so the size bound is never checked on a smaller sheet than the one read."""
    _extent_covers_calamine(state, xml, chunk)


def _extent_covers_calamine(state, xml: bytes, chunk: int, *, gate_passes: bool = False) -> None:
    """Feed xml to the exact scan in chunks and read it with calamine as the `Sinh hoạt` sheet of a valid
    workbook: wherever calamine places cells, the scan reaches at least as far (and with gate_passes, the
    whole gate refuses nothing: these sheets are small)."""
    import python_calamine as pc

    from loaders.extent import SheetExtent
    from loaders.gate import check_upload

    extent = SheetExtent()
    for i in range(0, len(xml), chunk):
        extent.feed(xml[i:i + chunk])
    extent.feed(b"", final=True)
    entries = _entries(state["good"])
    entries["xl/worksheets/sheet4.xml"] = xml
    data = _zip(entries)
    if gate_passes:
        assert check_upload(data, "le.xlsx") == []
    try:
        sheet = pc.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("Sinh hoạt")
    except Exception:  # noqa: BLE001 - calamine refuses some layouts (e.g. rows out of order); nothing to compare
        return
    end = sheet.end
    if end is not None:
        assert extent.max_row >= end[0] + 1 and extent.max_col >= end[1] + 1, (end, extent.max_row, extent.max_col)


# ---------------------------------------------------------------- 5. ... also on markup built to mislead a scanner
_DECOYS = ['<!-- <row r="1"/><c r="XFD1"><v>1</v></c> -->', '<?pi <row r="2"> ?>',
           '<x:ext uri="<c r=\'XFD3\'>"/>', ""]


@st.composite
def odd_sheet_xml(draw) -> bytes:
    """A small worksheet written the ways quick-xml accepts but spreadsheet writers do not: prefixed tags,
    single quotes, attributes before r holding '>' or '<', line breaks inside tags, lower-case references,
    self-closing rows, and comments, processing instructions or attribute values holding decoy tags."""
    prefix = draw(st.sampled_from(["", "x:"]))
    space = draw(st.sampled_from([" ", "\n  ", "\t"]))
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        row_ref = draw(st.one_of(st.none(), st.integers(1, 300)))
        row_quote = draw(st.sampled_from(['"', "'"]))
        row_attr = "" if row_ref is None else f"{space}r={row_quote}{row_ref}{row_quote}"
        if draw(st.booleans()) and row_ref is not None and draw(st.integers(0, 3)) == 0:
            rows.append(f"<{prefix}row{row_attr}/>")
            continue
        cells = []
        for _ in range(draw(st.integers(0, 4))):
            col = draw(st.one_of(st.none(), st.integers(1, 80)))
            before = draw(st.sampled_from(["", f'{space}t="n"', f'{space}note=">"', f"{space}note=\"<row r='1'>\""]))
            ref = ""
            if col is not None:
                letters = excel_ref(1, col)[:-1]
                if draw(st.booleans()):
                    letters = letters.lower()
                quote = draw(st.sampled_from(['"', "'"]))
                ref = f"{space}r={quote}{letters}{draw(st.integers(1, 300))}{quote}"
            body = draw(st.sampled_from(["/>", f"><{prefix}v>1</{prefix}v></{prefix}c>"]))
            cells.append(f"<{prefix}c{before}{ref}{body}" + draw(st.sampled_from(_DECOYS)))
        rows.append(f"<{prefix}row{row_attr}>{''.join(cells)}</{prefix}row>" + draw(st.sampled_from(_DECOYS)))
    return (f'<{prefix}worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><{prefix}sheetData>'
            + "".join(rows) + f"</{prefix}sheetData></{prefix}worksheet>").encode()


@settings(FUZZ, max_examples=150)
@given(xml=odd_sheet_xml(), chunk=st.integers(7, 200))
def test_gate_extent_covers_the_reader_on_misleading_markup(state, xml, chunk):
    """Decoy tags in comments and attribute values, quoted '>' and prefixes: whatever calamine places, the
    exact scan (fed in arbitrary chunks) reaches at least as far, and the whole gate refuses no such file."""
    _extent_covers_calamine(state, xml, chunk, gate_passes=True)


@settings(FUZZ, max_examples=60)
@given(xml=st.one_of(sheet_xml(), odd_sheet_xml()))
def test_reader_worker_gives_the_grids_calamine_gives_in_process(state, xml):
    """The reader's worker sends grids row batch by row batch (loaders/read_worker.py); rebuilt, they are
    exactly what calamine's to_python(skip_empty_area=False) gives in process: Excel row i+1 at index i,
    leading empty rows and columns kept, '' for empty cells."""
    import python_calamine as pc

    from loaders.reader import read_workbook

    entries = _entries(state["good"])
    entries["xl/worksheets/sheet4.xml"] = xml
    data = _zip(entries)
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        expected = {m.name: book.get_sheet_by_name(m.name).to_python(skip_empty_area=False)
                    for m in book.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet}
    except Exception:  # noqa: BLE001 - calamine refuses some layouts; the worker then says so too
        with pytest.raises(DashboardError):
            read_workbook(data, "le.xlsx")
        return
    assert read_workbook(data, "le.xlsx").sheets == expected
