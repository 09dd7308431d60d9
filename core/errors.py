"""The one domain error type and the validation-issue record shared by loaders, metrics and pages."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


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
