"""Read a workbook's bytes into plain grids with python-calamine (xlsx, and also xls/ods).

Row i of a grid is Excel row i+1 (leading empty rows are kept), '' marks an empty cell, and a merged
range carries its value in the top-left cell only, which is what template-v1.md asks for.

calamine runs in a memory-capped child process (loaders/sandbox.py): the gate bounds a sheet's extent from
its XML before this, but a workbook that still makes calamine allocate without bound or abort ends only
that child, and the upload gets a Vietnamese error naming the file instead of taking the server down.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import DashboardError
from loaders import sandbox
from loaders.extent import MAX_CELLS_PER_SHEET

MSG_PASSWORD = "Tệp {file} được đặt mật khẩu; hãy bỏ mật khẩu rồi tải lên lại."
MSG_NOT_WORKBOOK = "Không đọc được tệp {file}: không phải sổ tính Excel hợp lệ hoặc tệp bị hỏng ({reason})."
MSG_CORRUPT = "Không đọc được nội dung tệp {file}: tệp bị hỏng ({reason})."
MSG_TOO_BIG = ("Sheet '{sheet}' của tệp {file} quá lớn ({height} dòng × {width} cột); "
               "hãy xoá các dòng, cột thừa rồi tải lên lại.")
MSG_CRASHED = ("Không đọc được tệp {file}: chương trình đọc Excel bị dừng khi mở tệp này (tệp hỏng, quá lớn "
               "hoặc được tạo để gây lỗi); tệp không được lưu. Hãy mở tệp bằng Excel, lưu lại dưới dạng .xlsx "
               "rồi tải lên lại.")
MSG_TIMEOUT = ("Không đọc được tệp {file}: đọc tệp mất quá {seconds} giây nên đã dừng; tệp không được lưu. "
               "Hãy mở tệp bằng Excel, xoá các dòng, cột thừa, lưu lại rồi tải lên lại.")


@dataclass
class RawWorkbook:
    """A read workbook: original sheet name → grid (list of rows of python values, '' when empty)."""

    file_name: str
    sheets: dict[str, list[list[Any]]]
    data: bytes = field(default=b"", repr=False)

    def cell(self, sheet: str, row: int, col: int) -> Any:
        """The value at a 1-based (row, col) of a sheet, '' outside the grid."""
        grid = self.sheets.get(sheet, [])
        if 1 <= row <= len(grid) and 1 <= col <= len(grid[row - 1]):
            return grid[row - 1][col - 1]
        return ""


def read_workbook(data: bytes, file_name: str) -> RawWorkbook:
    """Read every worksheet of a workbook; unreadable input raises DashboardError in Vietnamese."""
    return PendingRead(data, file_name).result()


class PendingRead:
    """A workbook handed to the reader's worker; `result()` waits for it. A batch starts the next file's
    read before validating and storing the current one, so both cores work (`wait=False`: when no worker
    is free the read simply happens in result())."""

    def __init__(self, data: bytes, file_name: str, wait: bool = True):
        self.data, self.file_name = data, file_name
        self._error: str | None = None
        try:
            self._ticket = sandbox.start_read(data, MAX_CELLS_PER_SHEET, wait=wait)
        except sandbox.SandboxError as exc:
            self._ticket, self._error = None, _crash_message(exc, file_name)

    def result(self) -> RawWorkbook:
        """The read workbook; raises DashboardError (Vietnamese, naming the file) when it cannot be read."""
        if self._error is not None:
            raise DashboardError(self._error)
        try:
            ticket = self._ticket or sandbox.start_read(self.data, MAX_CELLS_PER_SHEET)
            self._ticket = None
            reply = ticket.result()
        except sandbox.SandboxError as exc:
            raise DashboardError(_crash_message(exc, self.file_name)) from None
        return _workbook(reply, self.data, self.file_name)

    def cancel(self) -> None:
        """Drop a read that will not be used (its worker is ended)."""
        if self._ticket is not None:
            self._ticket.cancel()
            self._ticket = None


def _crash_message(exc: "sandbox.SandboxError", file_name: str) -> str:
    if exc.kind == "timeout":
        return MSG_TIMEOUT.format(file=file_name, seconds=sandbox.READ_TIMEOUT_S)
    return MSG_CRASHED.format(file=file_name)


def _workbook(reply: tuple, data: bytes, file_name: str) -> RawWorkbook:
    """The RawWorkbook of a worker's reply, or the DashboardError it stands for."""
    status = reply[0]
    if status == "ok":
        return RawWorkbook(file_name=file_name, sheets=dict(reply[1]), data=data)
    if status == "password":
        raise DashboardError(MSG_PASSWORD.format(file=file_name))
    if status == "unreadable":
        raise DashboardError(MSG_NOT_WORKBOOK.format(file=file_name, reason=reply[1]))
    if status == "big":
        # the gate checks the same bound on the sheet XML before the reader runs; this is the second line
        # for .xls/.ods and anything the scan cannot see
        raise DashboardError(MSG_TOO_BIG.format(sheet=reply[1], file=file_name, height=reply[2], width=reply[3]))
    if status == "corrupt":
        raise DashboardError(MSG_CORRUPT.format(file=file_name, reason=reply[1]))
    raise DashboardError(MSG_CRASHED.format(file=file_name))  # "memory": refused under the cap
