"""How far a worksheet part's cells reach, read from its XML bytes before any reader allocates them.

calamine (our reader) materialises a sheet's used range densely, so two cells at A1 and XFD1048576 make it
allocate ~512 GB and abort the whole process. The upload gate (loaders/gate.py) feeds every zip entry
through these scanners, in chunks, and refuses a part whose cells reach beyond MAX_CELLS_PER_SHEET.

Three scanners, cheapest first:
- `ExtentBound`: a cheap upper bound, valid while every cell tag is the usual `<c r="B7"`; three C-level
  regex passes per chunk. Within the cap: done. Over it: `UsualExtent`. Any other form: the exact scan.
- `UsualExtent`: for usual parts over the bound, the extent of the cells that can hold a value (what
  calamine places), still with C-level regexes; a huge but usual sheet is refused without a Python loop.
- `SheetExtent`: an exact-enough streaming scan that tokenises the XML as quick-xml (calamine's parser) does
  (quoted attribute values may hold '>' and '<', comments, CDATA and processing instructions hide tags) and
  places cells as calamine does. Its row and column counters only move up where calamine's could, so its
  extent is never smaller than what calamine places. It is linear in the input (every regex is possessive
  and every token is consumed once) and holds at most one short tag across chunks: a `<c>`/`<row>` tag, an
  end tag or a tag name longer than MAX_TAG_BYTES is no spreadsheet a program wrote, and raises
  `HostileMarkup` (a 1 MB attribute or 1.5 MB of whitespace inside a cell tag used to push the tag out of
  the old scanner's window, so its reference was never seen).
"""
from __future__ import annotations

import re

# A sheet whose used range (from A1) is larger than this is not a report someone typed.
MAX_CELLS_PER_SHEET = 2_000_000
# The longest `<c>`/`<row>` tag, end tag or tag name the exact scan accepts. Excel's longest cell tag is
# under 100 bytes (`<c r="XFD1048576" s="65000" t="inlineStr" cm="1" vm="1">`); other start tags may be
# long (a `sqref` listing thousands of ranges) and are skipped without being held.
MAX_TAG_BYTES = 64 * 1024
_U32 = 1 << 32


class HostileMarkup(ValueError):
    """A part whose markup no spreadsheet program writes and that could hide cells from the scan."""


# ---------------------------------------------------------------- the cheap bound
# The form every spreadsheet writer uses: r first, double quotes, upper-case letters, no leading zero.
# Each pattern starts with a literal, which re scans for fast; a catch-all cell-tag pattern would try
# every '<' and cost twice as much. None can backtrack more than a few bytes.
_USUAL_REF = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_ODD_CELL = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]{1,3}[1-9][0-9]{0,6}")')
# a prefixed cell tag (<x:c …, or any prefix quick-xml accepts); also hits text such as 'a:c ', which
# only costs speed
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_BOUND_CARRY = 32  # longer than `<c r="XFD1048576"` plus the lookahead: a tag cut at a chunk end is seen whole
# The whole usual tag: attributes double-quoted without '<' or '>', r only once (first); group 3 is '/'
# for a self-closing (valueless) cell. Possessive runs: no backtracking.
_USUAL_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"'
                         rb"""(?:[ \t\r\n]++(?!r=)[^ \t\r\n="'/<>]++="[^"<>]*+")*+[ \t\r\n]*+(/?)>""")
_USUAL_START = b'<c r="'
# A tag still open after this many bytes at a chunk's end is not in the usual form (those are < 100 bytes).
_USUAL_CARRY_MAX = 4096


def _longest(tokens: list[bytes]) -> bytes:
    """The largest of equal-alphabet tokens without leading zeros: the longest, then the highest."""
    return max(set(tokens), key=lambda t: (len(t), t))


def _letters_column(letters: bytes) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    return col


class ExtentBound:
    """A cheap upper bound of a part's cell extent, valid while every cell tag is the usual `<c r="B7"`:
    then each cell's place is its own reference, so the largest row and column referenced bound what
    calamine places (self-closing cells and references inside comments or attribute values included, which
    only loosens the bound). Three C-level regex passes per chunk, ~20× faster than `SheetExtent`. Any
    other cell tag (r-less, r not first, single quotes, a prefix) clears `regular` and sends the part to
    the exact scan; a regular bound over the cap sends it to `UsualExtent` (`exceeded`)."""

    def __init__(self) -> None:
        self.regular = True
        self.exceeded = False
        self.max_row = self.max_col = 0
        self._row_token = self._col_token = b""
        self._carry = b""

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Scan a chunk; its last _BOUND_CARRY bytes are scanned again with the next one, so a tag cut at
        the chunk's end is seen whole (only a cell tag's first 20 bytes matter here: the carry never grows)."""
        if not self.regular or self.exceeded:
            return
        buf = self._carry + chunk if self._carry else chunk
        end = len(buf) if final else max(0, len(buf) - _BOUND_CARRY)
        self._carry = buf[end:]
        # an odd tag starting in the carried tail may only look odd because its end is not here yet: it is
        # judged with the next chunk. References found twice only repeat a maximum.
        odd = _ODD_CELL.search(buf)
        if (odd is not None and odd.start() < end) or _PREFIXED_CELL.search(buf):
            self.regular = False
            return
        refs = _USUAL_REF.findall(buf)
        if not refs:
            return
        cols, rows = zip(*refs)
        self._col_token = _longest([*cols, self._col_token])
        self._row_token = _longest([*rows, self._row_token])
        self.max_row, self.max_col = int(self._row_token), _letters_column(self._col_token)
        # more references can only raise the bound: the rest of the part is left to UsualExtent
        self.exceeded = self.max_row * self.max_col > MAX_CELLS_PER_SHEET

    @property
    def small(self) -> bool:
        """True when the bound holds and is within MAX_CELLS_PER_SHEET."""
        return self.regular and not self.exceeded


class UsualExtent:
    """For a part whose cell tags all start in the usual form but whose references reach past the cap: the
    extent of the cells that can hold a value (not self-closing), which is what calamine places when every
    cell carries its own reference. Exact (references inside comments only loosen it) while every usual
    tag is whole and plain (`plain`); otherwise the part goes to the exact scan. C-level regex passes only."""

    def __init__(self) -> None:
        self.plain = True
        self.max_row = self.max_col = 0
        self._row_token = self._col_token = b""
        self._carry = b""

    def feed(self, chunk: bytes, final: bool = False) -> bool:
        """Scan a chunk up to its last '>' (every usual tag in that stretch is whole, as none holds '<' or
        '>'); the rest, from its first '<', is scanned with the next chunk. True once over the cap."""
        if not self.plain:
            return False
        buf = self._carry + chunk if self._carry else chunk
        cut = len(buf) if final else buf.rfind(b">") + 1
        lt = buf.find(b"<", cut)
        self._carry = buf[lt:] if lt >= 0 else b""  # text before it holds no tag
        cells = _USUAL_CELL.findall(buf, 0, cut)
        # the bound stopped looking once over the cap, so every cell tag is checked again here
        if (len(self._carry) > _USUAL_CARRY_MAX or _ODD_CELL.search(buf, 0, cut)
                or _PREFIXED_CELL.search(buf, 0, cut) or len(cells) != buf.count(_USUAL_START, 0, cut)):
            self.plain = False  # a cell tag in a form this scan cannot read whole
            return False
        values = [(c, r) for c, r, slash in cells if not slash]
        if values:
            cols, rows = zip(*values)
            self._col_token = _longest([*cols, self._col_token])
            self._row_token = _longest([*rows, self._row_token])
            self.max_row, self.max_col = int(self._row_token), _letters_column(self._col_token)
        return self.over

    @property
    def over(self) -> bool:
        """True when the part is plain and its value cells exceed MAX_CELLS_PER_SHEET."""
        return self.plain and self.max_row * self.max_col > MAX_CELLS_PER_SHEET


# ---------------------------------------------------------------- the exact scan
# quick-xml ends a start tag at the first '>' outside quotes; a quote opens anywhere in the tag
_BODY = rb"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+"""
# quick-xml's name is the tag's content up to the first whitespace (space, tab, CR, LF: not \f or \v)
# and its local name what follows the first ':'. The prefix may hold quoted text (which may hold '>');
# letting it span whitespace inside quotes only makes more tags look like cells, never fewer.
_PREFIX = rb"""(?:(?:[^ \t\r\n>:"']++|"[^"]*+"|'[^']*+')*+:)?"""
_CELL_OR_ROW = rb"(?=" + _PREFIX + rb"(row|c)(?:[ \t\r\n]|/?>))"
# complete tokens that move no counter: text, comments, CDATA, processing instructions, declarations,
# end tags other than </row>, start tags other than <row>/<c>. Each alternative needs its terminator, so
# a token cut at the buffer's end stops the run there (and is carried or skipped by the caller).
_SKIP_RUN = (
    rb"(?:[^<]++"
    rb"|</?(?:v|t|is|f)>|</c>"  # the commonest tags of a sheet, matched at once
    rb"|<(?:/(?![^>:]*+:row[ \t\r\n]*+>|row[ \t\r\n]*+>)[^>]*+>"
    rb"|(?![/!?])(?!" + _PREFIX + rb"(?:row|c)(?:[ \t\r\n]|/?>))" + _BODY + rb">"
    rb"|!--.*?-->"
    rb"|!\[CDATA\[.*?\]\]>"
    rb"|\?.*?\?>"
    rb"|!(?!--|\[CDATA\[)[^>]*+>)"
    rb")*+")
# The usual <row>/<c> tag: a plain prefix, double-quoted attributes without '<' or '>', r (if any) in
# the usual form; letters and digits come out as groups, so most tags need no further parsing.
_USUAL_TAG = (rb"(?:[A-Za-z_][\w.-]*+:)?(row|c)"
              rb"""(?:[ \t\r\n]++(?:r="([A-Z]{0,3})([1-9][0-9]{0,6})"|(?!r=)[^ \t\r\n="'/<>]++="[^"<>]*+"))*+"""
              rb"[ \t\r\n]*+(/?)>")
# One step of the scan: the skip run, then at most one token that moves a counter: </row> (group 1),
# a usual tag (name, ref letters, ref digits, '/' when self-closing: groups 2-5) or any other <row>/<c>
# tag (name, content between '<' and '>': groups 6-7). No token after the run: the end of the buffer
# or a token cut by it.
_STEP = re.compile(_SKIP_RUN + rb"(?:<(?:/(?:[^>:]*+:)?row[ \t\r\n]*+(>)|" + _USUAL_TAG + rb"|" + _CELL_OR_ROW
                   + rb"(" + _BODY + rb")>))?", re.DOTALL)
_NAME = re.compile(rb"[^ \t\r\n]*+")
_NAME_REGION = re.compile(rb"""(?:[^ \t\r\n>:"']++|"[^"]*+"|'[^']*+')*+""")
_IS_CELL_OR_ROW = re.compile(_CELL_OR_ROW)
_BODY_RE = re.compile(_BODY)
# attributes as quick-xml reads them: key, '=', a quoted value, whitespace between. Every alternative
# consumes what it starts on, so finditer never rescans (a lone quote or '=' is a token of its own).
_ATTR = re.compile(rb"""[ \t\r\n]++|=++|([^ \t\r\n="']++)[ \t\r\n]*+(?:=[ \t\r\n]*+(?:"([^"]*+)"?|'([^']*+)'?))?"""
                   rb"""|"[^"]*+"?|'[^']*+'?""")
# the usual attribute list (double quotes only, one '=' each): r can then be found with one findall
_PLAIN_ATTRS = re.compile(rb'(?:[ \t\r\n]++[^ \t\r\n="\'/]++="[^"]*+")*+[ \t\r\n]*+')
_PLAIN_R = re.compile(rb'[ \t\r\n]r="([^"]*+)"')
_REF = re.compile(rb"([A-Za-z]*+)([0-9]*+)")
# how a token that outgrew MAX_TAG_BYTES ends, by how it starts
_TERMINATORS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"), (b"<!", b">"))


def parse_ref(value: bytes) -> tuple[int, int] | None:
    """(row, column), 1-based, of a cell reference as calamine reads it (`get_row_and_optional_column`:
    u32 arithmetic that wraps, digits only after letters, lower-case letters allowed); column 0 when the
    reference has no letters; None where calamine raises an error (the whole read then fails)."""
    m = _REF.fullmatch(value)
    if m is None:
        return None
    letters, digits = m.groups()
    # 10**32 and 26**32 are multiples of 2**32: digits or letters further left add nothing once wrapped
    row = int(digits[-32:] or b"0") % _U32
    if row == 0:
        return None
    col = 0
    for ch in letters[-32:]:
        col = (col * 26 + (ch | 0x20) - 96) % _U32
    return row, col


def _refs(attrs: bytes) -> list[bytes]:
    """The values of every attribute named exactly `r` (no prefix) in a tag's attribute text."""
    if _PLAIN_ATTRS.fullmatch(attrs):
        return _PLAIN_R.findall(attrs)
    out = []
    for m in _ATTR.finditer(attrs):
        if m.group(1) == b"r" and (m.group(2) is not None or m.group(3) is not None):
            out.append(m.group(2) if m.group(2) is not None else m.group(3))
    return out


_COLUMNS: dict[bytes, int] = {}


def _column(letters: bytes) -> int:
    """The 1-based column of up to three upper-case letters (remembered: a sheet repeats a few)."""
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    _COLUMNS[letters] = col
    return col


def _tail(buf: bytes, n: int) -> bytes:
    """The last n bytes of buf (none for n = 0)."""
    return buf[len(buf) - n:] if n > 0 else b""


class SheetExtent:
    """Streaming extent of a part's cells (1-based last row and column) as calamine places them: a cell's
    own r="B7" when present, else the row and column counters (the row set by <row r>, one more at each
    </row>; the column one after the previous cell's, 0 at each </row>); self-closing cells hold no value
    and are not counted. Where calamine may skip a tag this scan sees (inside a cell's value), the counters
    are kept at the larger of both readings, so the extent never falls below calamine's
    (tests/test_fuzz.py checks it against calamine). Raises HostileMarkup (see the module docstring)."""

    def __init__(self) -> None:
        self.row = self.col = 0  # calamine's 0-based row and column counters, or larger
        self.max_row = self.max_col = 0
        self._carry = b""
        self._skip: tuple[str, bytes] | None = None  # a long token being skipped: ("find", end) or ("tag", quote)

    @property
    def over(self) -> bool:
        """True once the extent exceeds MAX_CELLS_PER_SHEET."""
        return self.max_row * self.max_col > MAX_CELLS_PER_SHEET

    def feed(self, chunk: bytes, final: bool = False) -> bool:
        """Scan a chunk (a token cut at its end is carried over or skipped); True once over the cap."""
        buf = self._carry + chunk if self._carry else chunk
        self._carry = b""
        pos = 0
        if self._skip is not None:
            pos = self._resume(buf)
            if pos < 0:
                return self.over
        pos = self._scan(buf, pos)
        if pos < len(buf) and not final:  # a token cut at the end; at the end of the part it never closes
            if len(buf) - pos <= MAX_TAG_BYTES:
                self._carry = buf[pos:]
            else:
                self._skip_long(buf, pos)
        return self.over

    def _scan(self, buf: bytes, pos: int) -> int:
        """Handle every complete token from pos; the position of the first incomplete one (or the end)."""
        step = _STEP.match
        cols = _COLUMNS
        while True:
            m = step(buf, pos)
            pos = m.end()
            kind = m.lastindex
            if kind is None:  # the end, or a token cut by it
                return pos
            if kind == 1:  # </row>
                self.row += 1
                self.col = 0
            elif kind == 5:  # the usual tag
                name, letters, digits, closed = m.group(2, 3, 4, 5)
                if name == b"row":
                    if digits:
                        self.row = max(self.row, int(digits) - 1)
                    if closed:  # an empty <row/> ends at once (calamine expands empty elements)
                        self.row += 1
                        self.col = 0
                    continue
                if letters:
                    col = cols.get(letters) or _column(letters)
                    row, col = int(digits) - 1, col - 1
                else:  # r-less, or a reference without letters (calamine refuses it: any place will do)
                    row, col = self.row, self.col
                self.col = max(self.col, col) + 1
                if not closed:  # a self-closing cell holds no value: calamine does not place it
                    if row >= self.max_row:
                        self.max_row = row + 1
                    if col >= self.max_col:
                        self.max_col = col + 1
            else:
                self._start(m.group(6), m.group(7))

    def _start(self, local: bytes, content: bytes) -> None:
        """Any other <row …> or <c …> start (or self-closing) tag; `content` is everything between '<' and
        '>'. Its attributes are read as quick-xml reads them, its r as calamine reads it (parse_ref)."""
        closed = content.endswith(b"/")
        if closed:
            content = content[:-1]
        if len(content) > MAX_TAG_BYTES:
            raise HostileMarkup(f"thẻ ô/dòng dài hơn {MAX_TAG_BYTES} byte")
        name = _NAME.match(content).end()
        refs = [p for p in map(parse_ref, _refs(content[name:])) if p is not None]
        if local == b"row":
            if refs:
                self.row = max(self.row, max(r for r, _ in refs) - 1)
            if closed:
                self.row += 1
                self.col = 0
            return
        cells = [(r - 1, c - 1) for r, c in refs if c > 0]
        if cells:
            row, col = max(r for r, _ in cells), max(c for _, c in cells)
        else:
            row, col = self.row, self.col
        self.col = max(self.col, col) + 1
        if not closed:
            self.max_row, self.max_col = max(self.max_row, row + 1), max(self.max_col, col + 1)

    def _skip_long(self, buf: bytes, pos: int) -> None:
        """A token longer than MAX_TAG_BYTES starts at pos and runs past the buffer: skip it without holding
        it when it cannot move a counter (comment, CDATA, PI, declaration, a start tag with a short name
        other than row/c); anything else is hostile."""
        head = buf[pos:pos + 16]
        for start, end in _TERMINATORS:
            if head.startswith(start):
                self._skip = ("find", end)
                self._carry = _tail(buf, len(end) - 1)
                return
        if head.startswith(b"</"):
            raise HostileMarkup(f"thẻ đóng dài hơn {MAX_TAG_BYTES} byte")
        region = _NAME_REGION.match(buf, pos + 1).end()
        if region >= pos + 1 + MAX_TAG_BYTES or region >= len(buf) - 8 or buf[region] in b"\"'":
            raise HostileMarkup(f"tên thẻ dài hơn {MAX_TAG_BYTES} byte")
        if _IS_CELL_OR_ROW.match(buf, pos + 1):
            raise HostileMarkup(f"thẻ ô/dòng dài hơn {MAX_TAG_BYTES} byte")
        self._skip = ("tag", b"")
        self._resume(buf[pos + 1:])  # sets the quote state at the buffer's end (the tag cannot end there)

    def _resume(self, buf: bytes) -> int:
        """Continue skipping a long token; the position after it, or -1 when it runs past this buffer too."""
        kind, state = self._skip
        if kind == "find":
            at = buf.find(state)
            if at < 0:
                self._carry = _tail(buf, len(state) - 1)  # a terminator cut at the end is found next time
                return -1
            self._skip = None
            return at + len(state)
        pos = 0
        if state:  # inside a quoted value: it ends at the same quote
            pos = buf.find(state)
            if pos < 0:
                return -1
            pos += 1
        end = _BODY_RE.match(buf, pos).end()
        if end < len(buf) and buf[end] == 0x3E:  # '>': the tag is over
            self._skip = None
            return end + 1
        self._skip = ("tag", buf[end:end + 1])  # a quote left open at the end, or b"" when none
        return -1
