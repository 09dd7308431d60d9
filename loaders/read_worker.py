"""The memory-capped child process that reads workbooks with python-calamine for loaders/sandbox.py.

Run as a script, never imported by the application: `python -P read_worker.py MEMORY_BYTES MAX_CELLS`. It
caps its own address space (RLIMIT_AS) before importing calamine, then serves requests on stdin/stdout
until stdin closes (so it also ends when the server process dies):

- request: op (1 byte: b"R" read every worksheet, b"T" trial read: the same checks, no grids sent back),
  the workbook's length (8 bytes, little-endian), the workbook's bytes;
- reply: frames, each its length (8 bytes), a flag (1 byte: 0 = more frames follow, 1 = the last frame,
  2 = the last frame and this worker retires), the worker's peak resident memory so far (8 bytes, for
  figures), then a pickle of a tuple of plain values. A grid goes as ("sheet", name, rows, columns) and
  ("rows", [row, ...]) frames of about BATCH_CELLS cells, so neither process ever holds a whole grid
  pickled and the parent unpickles one batch while the next is being written. The last frame says how
  the read ended: ("ok",), ("password",), ("unreadable", reason), ("corrupt", reason),
  ("big", sheet name, rows, columns) or ("memory",).

A workbook that makes calamine abort (an allocation beyond the cap, a panic that unwinds out of Rust)
ends only this process; the parent sees the pipe close and answers with a Vietnamese error. Only the
standard library and python_calamine are imported here, so the worker starts in a fraction of a second.
"""
from __future__ import annotations

import io
import os
import pickle
import struct
import sys

# Interrupts and exits must pass through; every other failure of the reader is a bad file.
_NOT_OURS = (KeyboardInterrupt, SystemExit, GeneratorExit)
# A worker whose resident memory ever grew past this (a big workbook; a typical one peaks near 20 MB)
# ends after its reply, handing the memory back to the system: freed Python memory mostly stays with the
# process (a 20 MB workbook left 90 MB behind). The parent starts a fresh worker for the next file.
RETIRE_PEAK_BYTES = 100 * 1024 * 1024
# Cells per ("rows", …) frame: large enough that framing costs nothing, small enough to hold little.
BATCH_CELLS = 50_000
MORE, LAST, LAST_RETIRE = 0, 1, 2
_HEAD = struct.Struct("<QBQ")


def main(argv: list[str]) -> int:
    """Cap the address space, then answer requests until stdin closes."""
    cap, max_cells = int(argv[1]), int(argv[2])
    try:
        import resource  # POSIX only; elsewhere the child still isolates a crash, just without the cap

        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        if hard != resource.RLIM_INFINITY:  # a cap inherited from the parent can only be lowered
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):
        pass
    import python_calamine as pc

    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
    while True:
        head = _read_exact(fd_in, 9)
        if head is None:
            return 0
        op, size = head[:1], struct.unpack("<Q", head[1:])[0]
        data = _read_exact(fd_in, size)
        if data is None:
            return 0
        try:
            last = _serve(pc, op, data, max_cells, lambda frame: _send(fd_out, MORE, frame))
        except MemoryError:  # an allocation refused under the cap that Python, not Rust, made
            last = ("memory",)
        del data
        retire = _peak_rss() > RETIRE_PEAK_BYTES
        _send(fd_out, LAST_RETIRE if retire else LAST, last)
        if retire:
            return 0


def _send(fd: int, flag: int, frame: tuple) -> None:
    """Write one frame: its length, the flag, this worker's peak memory, the pickled tuple."""
    payload = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(fd, _HEAD.pack(len(payload), flag, _peak_rss()))
    _write_all(fd, payload)


def _serve(pc, op: bytes, data: bytes, max_cells: int, send) -> tuple:
    """Read every worksheet as loaders/reader.py did in process: refuse a sheet larger than max_cells before
    converting it; rows from A1 as to_python(skip_empty_area=False) gives them, '' for empty cells. For
    op R the grids go out through `send`; the return value is the last frame."""
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        return ("password",)
    except _NOT_OURS:
        raise
    except BaseException as exc:  # calamine raises several types (a Rust panic is a BaseException)
        return ("unreadable", _short(exc))
    try:
        metadata = book.sheets_metadata
        if op == b"T" and not metadata:
            return ("unreadable", "no sheet")
        for meta in metadata:
            if op == b"R" and meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            end = sheet.end  # 0-based (row, col) of the last used cell; None for an empty sheet
            height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
            if height * width > max_cells:
                return ("big", meta.name, height, width)
            if op == b"R":
                send(("sheet", meta.name, height, width))
            _rows(sheet, width, send if op == b"R" else None)
    except pc.PasswordError:
        return ("password",)
    except (*_NOT_OURS, MemoryError):
        raise
    except BaseException as exc:  # includes pyo3's PanicException from a malformed part
        return ("corrupt", _short(exc))
    finally:
        try:
            book.close()
        except Exception:  # closing a half-read book must not hide the real outcome
            pass
    return ("ok",)


def _rows(sheet, width: int, send) -> None:
    """Send the sheet's rows in batches of about BATCH_CELLS cells, each padded on the left to `width`
    (iter_rows starts at the first used column; rows it leaves out at the top are added by the parent),
    or, with send None (a trial read), convert every cell anyway: a malformed one fails there."""
    batch: list[list] = []
    cells = 0
    for row in sheet.iter_rows():
        if send is None:
            continue
        lead = width - len(row)
        batch.append([""] * lead + row if lead > 0 else row)
        cells += width
        if cells >= BATCH_CELLS:
            send(("rows", batch))
            batch, cells = [], 0
    if batch:
        send(("rows", batch))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _read_exact(fd: int, n: int) -> bytes | None:
    """Exactly n bytes from fd, or None when it closes first."""
    parts, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM; 0 where /proc is not available)."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
