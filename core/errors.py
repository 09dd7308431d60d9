"""The one domain error type and the validation-issue record shared by loaders, metrics and pages."""
from __future__ import annotations

import errno
from dataclasses import asdict, dataclass
from typing import Any

# what the operating system says when a write finds no room: no space, quota exceeded, file-size limit
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
# the same conditions as DuckDB words them (it reports them inside its own exception text)
DISK_FULL_TEXTS = ("no space left on device", "disk quota exceeded", "file too large")
MSG_DISK_FULL = ("Hết dung lượng đĩa khi ghi {what}: {outcome}. Hãy giải phóng dung lượng ổ đĩa (hoặc mở rộng "
                 "ổ đĩa) rồi thử lại.")


class DashboardError(Exception):
    """An expected failure with a Vietnamese message meant for the user; pages show only these."""

    def __init__(self, message: str, *, issues: list["Issue"] | None = None):
        super().__init__(message)
        self.message = message
        self.issues = list(issues or [])


@dataclass(frozen=True)
class Issue:
    """One validation finding: where it is (sheet, Excel row, column), the value, and a Vietnamese message."""

    sheet: str | None
    row: int | None
    column: str | None
    value: Any
    message: str
    severity: str = "error"  # "error" rejects the file, "warning" never does

    def to_json(self) -> dict:
        """The JSON shape of interfaces.md: sheet, row, column, value, message."""
        d = asdict(self)
        d.pop("severity")
        d["value"] = _jsonable(self.value)
        return d


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def is_disk_full(exc: BaseException) -> bool:
    """True when `exc` (an OSError, or a database error carrying the system's message) says a write found
    no room on the disk."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return True
    text = str(exc).lower()
    return any(t in text for t in DISK_FULL_TEXTS)


def disk_full_error(what: str, outcome: str) -> DashboardError:
    """The one Vietnamese message of a full disk: what was being written and what that means for the data
    ("tệp chưa được lưu", "không có gì thay đổi")."""
    return DashboardError(MSG_DISK_FULL.format(what=what, outcome=outcome))
