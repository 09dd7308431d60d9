"""Read a workbook's bytes into plain grids with python-calamine (xlsx, and also xls/ods).

Row i of a grid is Excel row i+1 (leading empty rows are kept), '' marks an empty cell, and a merged
range carries its value in the top-left cell only, which is what template-v1.md asks for.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import python_calamine as pc

from core.errors import DashboardError
from loaders.gate import MAX_CELLS_PER_SHEET

# A sheet whose used range is larger than this is not a report someone typed; refuse it before
# materialising the grid. The gate checks the same bound on the sheet XML before calamine runs (calamine
# allocates the range densely); this is the second line for .xls/.ods and anything the scan misses.


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


# Interrupts and exits must pass through; every other failure of the reader is a bad file.
_NOT_OURS = (KeyboardInterrupt, SystemExit, GeneratorExit)


def read_workbook(data: bytes, file_name: str) -> RawWorkbook:
    """Read every worksheet of a workbook; unreadable input raises DashboardError in Vietnamese."""
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise DashboardError(f"Tệp {file_name} được đặt mật khẩu; hãy bỏ mật khẩu rồi tải lên lại.") from None
    except _NOT_OURS:
        raise
    except BaseException as exc:  # calamine raises several types (a Rust panic is a BaseException): not a workbook
        raise DashboardError(
            f"Không đọc được tệp {file_name}: không phải sổ tính Excel hợp lệ hoặc tệp bị hỏng ({_short(exc)})."
        ) from None
    sheets: dict[str, list[list[Any]]] = {}
    try:
        for meta in book.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            end = sheet.end  # 0-based (row, col) of the last used cell; None for an empty sheet
            height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
            if height * width > MAX_CELLS_PER_SHEET:
                raise DashboardError(
                    f"Sheet '{meta.name}' của tệp {file_name} quá lớn ({height} dòng × {width} cột); "
                    "hãy xoá các dòng, cột thừa rồi tải lên lại."
                )
            sheets[meta.name] = [list(row) for row in sheet.to_python(skip_empty_area=False)]
    except (DashboardError, *_NOT_OURS):
        raise
    except BaseException as exc:  # includes pyo3's PanicException from a malformed part
        raise DashboardError(f"Không đọc được nội dung tệp {file_name}: tệp bị hỏng ({_short(exc)}).") from None
    finally:
        try:
            book.close()
        except Exception:  # closing a half-read book must not hide the real error
            pass
    return RawWorkbook(file_name=file_name, sheets=sheets, data=data)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
