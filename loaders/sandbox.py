"""Run the workbook reader (python-calamine) where its crash cannot take the server down.

calamine is native code: on a hostile or corrupt workbook it can try to allocate hundreds of GB and abort
the process, or panic outside Python's reach. Every read therefore happens in a child process
(loaders/read_worker.py) whose address space is capped with RLIMIT_AS. The children are persistent and
reused across files (a fresh interpreter per file would cost ~100 ms, more than a whole typical ingest);
one that dies, hangs or outgrows its memory is replaced by a new one for the next file.

The children are started with subprocess (fork + exec at once), never with a bare os.fork() of the
multi-threaded Streamlit server, and in a new session, so a terminal's Ctrl+C reaches only the command.
Replies are unpickled with an unpickler that only knows the datetime types, so even a child taken over by
a malicious file could not make this process run code.
"""
from __future__ import annotations

import atexit
import datetime as dt
import io
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

WORKER_SCRIPT = Path(__file__).with_name("read_worker.py")
# Address space of one worker: the 20 MB benchmark workbook (2,000,000 cells) peaks at ~250 MB there;
# the cap leaves room for heavier layouts and turns a runaway allocation into a failed read.
MEMORY_BYTES = 2 * 1024 * 1024 * 1024
# Seconds one read may take; the 20 MB benchmark workbook reads in ~3 s on a loaded 2-core machine.
READ_TIMEOUT_S = 120
# Workers kept at most, one per core: more reads at once would only queue for the CPU, so a burst of
# uploads waits for a free worker instead of starting more processes.
POOL_SIZE = 2


_REPLY_HEAD = struct.Struct("<QBQ")  # frame length, flag, the worker's peak RSS (read_worker.py)
_MORE, _LAST, _LAST_RETIRE = 0, 1, 2
_PEAK_RSS = [0]  # the largest peak RSS any worker of this process reported


def worker_peak_rss() -> int:
    """The largest peak resident memory (bytes) a reader worker of this process has reported: the
    memory figures of benchmarks and tests add it to the process's own."""
    return _PEAK_RSS[0]


class SandboxError(Exception):
    """The reader's child process died (`kind` "crash", with its exit status), took longer than the
    timeout ("timeout") or could not be started ("start")."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class _Dead(Exception):
    """Internal: the worker was already gone before it received this request (safe to retry once)."""


class _SafeUnpickler(pickle.Unpickler):
    """Builds only plain values and the datetime types calamine returns; any other global is refused."""

    _ALLOWED = {("datetime", "date"): dt.date, ("datetime", "datetime"): dt.datetime,
                ("datetime", "time"): dt.time, ("datetime", "timedelta"): dt.timedelta,
                ("datetime", "timezone"): dt.timezone}

    def find_class(self, module: str, name: str):
        """Only the datetime classes; anything else would let the child choose code to run here."""
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed") from None


class _Worker:
    """One child process and its two pipes."""

    def __init__(self, max_cells: int):
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-P", str(WORKER_SCRIPT), str(MEMORY_BYTES), str(max_cells)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
                close_fds=True, start_new_session=True)
        except OSError as exc:
            raise SandboxError("start", str(exc)) from None
        self.retired = False

    def send(self, op: bytes, data: bytes) -> None:
        """Send one request (raises _Dead when the child ended before it: retired or killed while idle)."""
        try:
            _write_all(self.proc.stdin.fileno(), op + struct.pack("<Q", len(data)))
            _write_all(self.proc.stdin.fileno(), data)
        except OSError:  # BrokenPipeError
            raise _Dead() from None

    def reply(self, deadline: float) -> tuple:
        """Wait for the reply to the request sent, frame by frame (read_worker.py): the grids are built
        batch by batch, and the last frame is returned with them as ("ok", [(name, grid), ...]) or is the
        refusal itself. Raises SandboxError when the child dies, times out or sends what it must not."""
        sheets: list[tuple[str, list]] = []
        try:
            while True:
                size, flag, peak = _REPLY_HEAD.unpack(self._read(_REPLY_HEAD.size, deadline))
                _PEAK_RSS[0] = max(_PEAK_RSS[0], peak)
                frame = _SafeUnpickler(io.BytesIO(self._read(size, deadline))).load()
                if flag == _MORE:
                    _add_frame(sheets, frame)
                    continue
                self.retired = flag == _LAST_RETIRE
                _top_rows(sheets)
                return ("ok", sheets) if frame == ("ok",) else frame
        except SandboxError:
            raise
        except Exception as exc:  # a reply that is not ours to trust: treat the worker as broken
            self.kill()
            raise SandboxError("crash", f"bad reply ({type(exc).__name__})") from None

    def _read(self, n: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        poller = select.poll()  # not select(): a server's descriptors may number past FD_SETSIZE
        poller.register(fd, select.POLLIN | select.POLLHUP)
        parts, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not poller.poll(max(1, int(left * 1000))):
                self.kill()
                raise SandboxError("timeout")
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:  # the child ended while reading this workbook
                status = self.kill()
                raise SandboxError("crash", _describe(status))
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    @property
    def alive(self) -> bool:
        """True while the child runs and has not announced its retirement."""
        return not self.retired and self.proc.poll() is None

    def kill(self) -> int | None:
        """End the child (if it still runs) and reap it; its exit status."""
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            status = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            status = None
        self._close_pipes()
        return status

    def close(self) -> None:
        """Let the child end by closing its stdin (it exits at end of input), then make sure it did."""
        self._close_pipes()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()

    def forget(self) -> None:
        """In a forked child process: drop our copies of the pipes, leave the parent's worker alone."""
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


def _add_frame(sheets: list[tuple[str, list]], frame: tuple) -> None:
    """Fold one ("sheet", name, rows, columns) or ("rows", [row, ...]) frame into the grids read so far."""
    if frame[0] == "sheet":
        _top_rows(sheets)
        sheets.append((frame[1], [], frame[2], frame[3]))
    elif frame[0] == "rows" and sheets:
        sheets[-1][1].extend(frame[1])
    else:
        raise ValueError(f"unexpected frame {frame[0]!r}")


def _top_rows(sheets: list) -> None:
    """Complete the last sheet read: add the empty rows at its top that the worker's row iterator may
    leave out, so row i is Excel row i+1 (as to_python(skip_empty_area=False) gives them), and keep only
    (name, grid)."""
    if sheets and len(sheets[-1]) == 4:
        name, grid, height, width = sheets[-1]
        if len(grid) < height:
            grid[:0] = [[""] * width for _ in range(height - len(grid))]
        sheets[-1] = (name, grid)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _describe(status: int | None) -> str:
    """'signal 6' / 'exit 1' for an exit status."""
    if status is None:
        return "unknown"
    return f"signal {-status}" if status < 0 else f"exit {status}"


class _Pool:
    """Up to POOL_SIZE persistent workers shared by the threads of this process."""

    def __init__(self, size: int):
        self._size = size
        self._idle: list[_Worker] = []
        self._running = 0  # workers that exist (idle or lent out)
        self._cond = threading.Condition()

    def start(self, op: bytes, data: bytes, max_cells: int, timeout: float, wait: bool = True) -> "Ticket | None":
        """Send a request to a worker of its own and return at once; a worker found dead before the request
        is replaced once. Without `wait`, None when every worker is busy (a look-ahead that must not block)."""
        for attempt in (1, 2):
            worker = self._acquire(max_cells, wait)
            if worker is None:
                return None
            try:
                worker.send(op, data)
            except _Dead:
                worker.kill()
                self._release(None)
                if attempt == 2:
                    raise SandboxError("crash", "worker ended before the request") from None
                continue
            except BaseException:
                worker.kill()
                self._release(None)
                raise
            return Ticket(self, worker, time.monotonic() + timeout)
        raise AssertionError("unreachable")

    def _acquire(self, max_cells: int, wait: bool = True) -> _Worker | None:
        with self._cond:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        return worker
                    worker.kill()
                    self._running -= 1
                if self._running < self._size:
                    self._running += 1
                    break
                if not wait:
                    return None
                self._cond.wait()
        try:
            return _Worker(max_cells)
        except BaseException:
            self._release(None)
            raise

    def _release(self, worker: _Worker | None) -> None:
        with self._cond:
            if worker is not None and worker.alive:
                self._idle.append(worker)
            else:
                if worker is not None:
                    worker.close()
                self._running -= 1
            self._cond.notify()

    def shutdown(self) -> None:
        """End every idle worker (at interpreter exit; lent-out ones end when their stdin closes)."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._running -= len(idle)
        for worker in idle:
            worker.close()

    def after_fork(self) -> None:
        """A forked child must not share the parent's workers: forget them and start afresh."""
        for worker in self._idle:
            worker.forget()
        self._idle = []
        self._running = 0
        self._cond = threading.Condition()


class Ticket:
    """A request sent to a worker that keeps it until `result()` (or `cancel()`) is called."""

    def __init__(self, pool: _Pool, worker: _Worker, deadline: float):
        self._pool, self._worker, self._deadline = pool, worker, deadline

    def result(self) -> tuple:
        """The reply (waits for it); raises SandboxError when the worker dies or the deadline passes."""
        worker, self._worker = self._worker, None
        if worker is None:
            raise SandboxError("crash", "ticket already used")
        try:
            reply = worker.reply(self._deadline)
        except BaseException:
            worker.kill()
            self._pool._release(None)
            raise
        self._pool._release(worker)
        return reply

    def cancel(self) -> None:
        """Give the worker up without waiting for its reply (it is ended: its reply is never read)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()
            self._pool._release(None)


_POOL = _Pool(POOL_SIZE)
atexit.register(_POOL.shutdown)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_POOL.after_fork)


def start_read(data: bytes, max_cells: int, timeout: float = READ_TIMEOUT_S, wait: bool = True) -> Ticket | None:
    """Start reading every worksheet of a workbook in a capped child; the ticket's result() is ("ok",
    [(name, grid), ...]) or a refusal tuple (see loaders/read_worker.py) and raises SandboxError when the
    child dies or times out. Without `wait`, None when no worker is free."""
    return _POOL.start(b"R", data, max_cells, timeout, wait)


def read_sheets(data: bytes, max_cells: int, timeout: float = READ_TIMEOUT_S) -> tuple:
    """start_read(...).result(): the read, waited for."""
    return _POOL.start(b"R", data, max_cells, timeout).result()


def trial_read(data: bytes, max_cells: int, timeout: float) -> tuple:
    """The same read without sending the grids back: whether calamine can read the file at all."""
    return _POOL.start(b"T", data, max_cells, timeout).result()
