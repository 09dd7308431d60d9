"""Name matching of template-v1.md: NFC, trim, collapse spaces, case-fold, with and without diacritics."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")


def nfc_text(value: str) -> str:
    """NFC-normalise and trim a text cell, collapsing inner whitespace runs to one space."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """The comparison key with diacritics: NFC, trimmed, single spaces, case-folded."""
    return nfc_text(value).casefold()


@lru_cache(maxsize=65536)
def strip_diacritics(value: str) -> str:
    """Drop Vietnamese diacritics (đ→d included) from an already folded string."""
    decomposed = unicodedata.normalize("NFD", value)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare).replace("đ", "d").replace("Đ", "D")


def keys(value: str) -> tuple[str, str]:
    """Both comparison keys of a name: folded with diacritics, and folded without them."""
    f = fold(value)
    return f, strip_diacritics(f)


class Matcher:
    """Maps free-typed names (headers, labels, enum words, sheet names) to canonical ids.

    An exact match with diacritics wins over a match without them, so that two canonical
    names that differ only by diacritics stay distinguishable.
    """

    def __init__(self, names: dict[str, list[str]]):
        self._exact: dict[str, str] = {}
        self._bare: dict[str, str] = {}
        for canonical, aliases in names.items():
            for name in aliases:
                exact, bare = keys(name)
                self._exact.setdefault(exact, canonical)
                self._bare.setdefault(bare, canonical)

    def match(self, value: object) -> str | None:
        """The canonical id the value names, or None."""
        if value is None:
            return None
        text = str(value)
        if not text.strip():
            return None
        exact, bare = keys(text)
        return self._exact.get(exact) or self._bare.get(bare)
