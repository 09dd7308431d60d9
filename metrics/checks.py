"""Declaration checks: small rules over the indicator and data-element declarations.

Each rule returns a list of problems (Vietnamese text naming the declaration); `run_checks()` returns all
of them, [] when the declarations are sound. The app calls it at start-up; a test asserts [].
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Callable, Iterable, Sequence

from core.config import PROJECT_DIR
from loaders.elements import DATA_ELEMENTS, DataElement, S000, S001, S002, S003, S004
from metrics.indicators import GROUPS, INDICATORS, Indicator, drill_words

ID_PATTERN = re.compile(r"^I(\d{2})_[A-Z0-9]+(?:_[A-Z0-9]+)*$")
ELEMENT_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
UNITS = frozenset({"%", "người", "đơn", "chi bộ"})
KNOWN_SEEDS = frozenset({S000, S001, S002, S003, S004})
SEEDS_DIR = PROJECT_DIR.parent / "shared" / "seeds"


def check_unique_ids(inds: Sequence[Indicator], elements: Sequence[DataElement]) -> list[str]:
    """Indicator ids and data-element codes are each declared once."""
    out = []
    for what, codes in (("Chỉ tiêu", [i.id for i in inds]), ("Phần tử dữ liệu", [e.code for e in elements])):
        seen: set[str] = set()
        for c in codes:
            if c in seen:
                out.append(f"{what} {c}: khai báo trùng mã")
            seen.add(c)
    return out


def check_id_pattern(inds: Sequence[Indicator], elements: Sequence[DataElement]) -> list[str]:
    """Ids look like I01_UPPER_CASE, numbered 1, 2, 3… in declaration order; element codes are UPPER_CASE."""
    out = []
    for n, ind in enumerate(inds, start=1):
        m = ID_PATTERN.match(ind.id)
        if not m:
            out.append(f"Chỉ tiêu {ind.id!r}: mã không đúng mẫu I00_TEN_IN_HOA")
        elif int(m.group(1)) != n:
            out.append(f"Chỉ tiêu {ind.id}: số thứ tự {m.group(1)} không khớp vị trí {n:02d} trong danh sách")
    out += [f"Phần tử dữ liệu {e.code!r}: mã không đúng mẫu IN_HOA" for e in elements
            if not ELEMENT_CODE.match(e.code)]
    return out


def check_elements_exist(inds: Sequence[Indicator], elements: Sequence[DataElement]) -> list[str]:
    """Every data element an indicator reads is declared in loaders/elements.py."""
    codes = {e.code for e in elements}
    out = []
    for ind in inds:
        refs = set(ind.elements)
        out += [f"Chỉ tiêu {ind.id}: phần tử dữ liệu {c!r} không có trong loaders/elements.py"
                for c in sorted(refs - codes)]
    return out


def check_elements_well_formed(inds: Sequence[Indicator], elements: Sequence[DataElement]) -> list[str]:
    """Every data element has a label, a known type and a known aggregation."""
    out = []
    for e in elements:
        if e.type not in ("integer", "money", "yesno"):
            out.append(f"Phần tử dữ liệu {e.code}: kiểu {e.type!r} không hợp lệ")
        if e.aggregation not in ("sum", "latest", "any"):
            out.append(f"Phần tử dữ liệu {e.code}: cách tổng hợp {e.aggregation!r} không hợp lệ")
        if not e.label.strip():
            out.append(f"Phần tử dữ liệu {e.code}: thiếu tên")
    return out


def check_targets(inds: Sequence[Indicator], elements: Sequence[DataElement]) -> list[str]:
    """Every default target is well-formed: op in the set, numbers, range min ≤ max, % within 0–100."""
    from metrics.targets import target_problems

    out = []
    for ind in inds:
        problems = target_problems(ind.target)
        out += [f"Chỉ tiêu {ind.id}: {p}" for p in problems]
        if ind.target is not None and not problems:
            nums = [ind.target["min"], ind.target["max"]] if ind.target["op"] == "range" else [ind.target["value"]]
            if any(x < 0 for x in nums) or (ind.is_percent and any(x > 100 for x in nums)):
                out.append(f"Chỉ tiêu {ind.id}: mục tiêu {ind.target} nằm ngoài miền giá trị")
        if ind.target_from is not None and not (isinstance(ind.target_from, int) and 2000 <= ind.target_from <= 2100):
            out.append(f"Chỉ tiêu {ind.id}: năm áp dụng mục tiêu {ind.target_from!r} không hợp lệ")
    return out


def check_sources(inds: Sequence[Indicator], elements: Sequence[DataElement],
                  seeds_dir: Path | None = None) -> list[str]:
    """Every cited source is a seed file that exists (in ../shared/seeds when present, else the known list)."""
    folder = seeds_dir if seeds_dir is not None else SEEDS_DIR
    present = {p.name for p in folder.iterdir()} if folder.is_dir() else set(KNOWN_SEEDS)
    out = []
    for what, code, sources in ([("Chỉ tiêu", i.id, i.sources) for i in inds]
                                + [("Phần tử dữ liệu", e.code, e.sources) for e in elements]):
        out += [f"{what} {code}: nguồn {s!r} không phải tệp trong thư mục seeds" for s in sources
                if s not in present]
    return out


def check_presentation(inds: Sequence[Indicator], elements: Sequence[DataElement]) -> list[str]:
    """Every indicator has a Vietnamese name and formula, a known unit and a known page group."""
    out = []
    for ind in inds:
        if not ind.name.strip() or not ind.formula.strip():
            out.append(f"Chỉ tiêu {ind.id}: thiếu tên hoặc công thức")
        if ind.unit not in UNITS:
            out.append(f"Chỉ tiêu {ind.id}: đơn vị tính {ind.unit!r} không hợp lệ")
        if ind.group not in GROUPS:
            out.append(f"Chỉ tiêu {ind.id}: nhóm {ind.group!r} không có trong danh sách nhóm")
        words = drill_words(ind)
        if any(words.get(c) in ("Tử số", "Mẫu số") for c in ("numerator", "denominator")):
            out.append(f"Chỉ tiêu {ind.id}: thiếu tên cho tử số/mẫu số (num_label, den_label) ở bảng chi tiết")
    return out


def check_handlers(inds: Sequence[Indicator], elements: Sequence[DataElement]) -> list[str]:
    """Every kind has an engine handler, and every declaration renders to SQL with its parameters."""
    from metrics.engine import COUNT_KINDS, HANDLERS, Ctx
    from metrics.scope import make_window

    win = make_window(2024, None, dt.date(2025, 1, 1))
    out = []
    for ind in inds:
        handler = HANDLERS.get(ind.kind)
        if handler is None:
            out.append(f"Chỉ tiêu {ind.id}: loại {ind.kind!r} không có bộ xử lý trong metrics/engine.py")
            continue
        if (ind.kind in COUNT_KINDS) == ind.is_percent:
            out.append(f"Chỉ tiêu {ind.id}: đơn vị tính {ind.unit!r} không hợp với loại {ind.kind}")
        try:
            handler(ind, Ctx(win, "ROOT"))
        except Exception as exc:  # a bad parameter of any shape is a declaration problem
            out.append(f"Chỉ tiêu {ind.id}: tham số không hợp lệ cho loại {ind.kind} ({type(exc).__name__}: {exc})")
    return out


RULES: tuple[Callable[[Sequence[Indicator], Sequence[DataElement]], list[str]], ...] = (
    check_unique_ids, check_id_pattern, check_elements_exist, check_elements_well_formed, check_targets,
    check_sources, check_presentation, check_handlers,
)


def run_checks(indicators: Iterable[Indicator] | None = None,
               elements: Iterable[DataElement] | None = None) -> list[str]:
    """All declaration problems (Vietnamese), [] when sound; defaults to the real declarations."""
    inds = tuple(INDICATORS if indicators is None else indicators)
    elems = tuple(DATA_ELEMENTS if elements is None else elements)
    out: list[str] = []
    for rule in RULES:
        out += rule(inds, elems)
    return out
