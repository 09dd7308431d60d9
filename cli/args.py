"""argparse for both command lines (`python -m loaders`, `python -m metrics`): Vietnamese usage errors."""
from __future__ import annotations

import argparse

# argparse's English fragments and their Vietnamese; "argument " last so longer phrases match first.
ARGPARSE_VI = (
    ("the following arguments are required", "thiếu tham số bắt buộc"),
    ("unrecognized arguments", "tham số không nhận ra"),
    ("expected one argument", "cần một giá trị"),
    ("invalid int value", "không phải số nguyên"),
    ("invalid choice", "lựa chọn không hợp lệ"),
    ("choose from", "chọn một trong"),
    ("argument ", "tham số "),
)


class UsageError(Exception):
    """A bad command line: the command prints its usage and exits 2."""


class Parser(argparse.ArgumentParser):
    """argparse whose errors are Vietnamese and raise UsageError, so main() decides the exit code."""

    def error(self, message: str):  # noqa: D401 - argparse hook
        """Translate argparse's message and raise instead of exiting."""
        for en, vi in ARGPARSE_VI:
            message = message.replace(en, vi)
        raise UsageError(message)

    def format_usage(self) -> str:  # noqa: D401 - argparse hook
        """The usage line, headed in Vietnamese."""
        return super().format_usage().replace("usage:", "Cách dùng:", 1)

    def format_help(self) -> str:  # noqa: D401 - argparse hook
        """The --help text, headed in Vietnamese."""
        return (super().format_help().replace("usage:", "Cách dùng:", 1)
                .replace("options:", "Tùy chọn:", 1))
