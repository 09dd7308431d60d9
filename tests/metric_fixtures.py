"""Hand-built organisations for the indicator cases (tests/test_metrics_cases*.py).

A unit list and standard workbooks are written with openpyxl, ingested through the real loader
(`loaders.units.load_unit_list_bytes`, `loaders.store.ingest_bytes`) into a real DuckDB file with an
explicit time of receipt, and the engine (`metrics.engine.compute`) is asked for its JSON report.
Row dicts use the stored column keys of `loaders/schema.py` and the Vietnamese values a person types.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from core.config import load_config
from loaders.schema import UNIT_LIST
from core.storage import open_database
from tests.backends import new_target
from tests.builders import info_values, write_workbook

ROOT = load_config().root_code
DEADLINE_DAYS = load_config().deadline_days

KIND_LABEL = {"DBCS": "Đảng bộ cơ sở", "CBCS": "Chi bộ cơ sở", "DBCT": "Đảng bộ cấp trên cơ sở"}
CELL_KIND = {"CBCS": "Chi bộ cơ sở", "CBTT": "Chi bộ trực thuộc"}
RATING = {"HTXSNV": "Hoàn thành xuất sắc nhiệm vụ", "HTTNV": "Hoàn thành tốt nhiệm vụ",
          "HTNV": "Hoàn thành nhiệm vụ", "KHTNV": "Không hoàn thành nhiệm vụ", None: None}
MEETING_KIND = {"DK": "Định kỳ", "CD": "Chuyên đề"}
LEVEL = {"CC": "Cao cấp", "TC": "Trung cấp", "SC": "Sơ cấp"}
PETITION_STATUS = {"done": "Đã giải quyết", "pending": "Đang giải quyết", "moved": "Chuyển đơn",
                   "filed": "Lưu đơn"}
PERIOD_END = {"Q1": (3, 31), "Q2": (6, 30), "Q3": (9, 30), "Q4": (12, 31), "Y": (12, 31)}
ANY = object()  # "do not check this field"


def yn(flag: bool | None) -> str | None:
    """The Vietnamese yes/no text a person types (None: the cell is left empty)."""
    return None if flag is None else ("Có" if flag else "Không")


def period_end(year: int, period: str) -> dt.date:
    """The last day of a reporting period."""
    m, d = PERIOD_END[period]
    return dt.date(year, m, d)


def deadline_day(year: int, period: str) -> dt.date:
    """The last day on which a report of this period is on time (period end + configured days)."""
    return period_end(year, period) + dt.timedelta(days=DEADLINE_DAYS)


def cell(code: str, kind: str = "CBTT", members: int = 10, rating: str | None = None, *,
         xs: int | None = None, tot: int | None = None, ht: int | None = None, kht: int | None = None,
         gy6: int | None = None, m4: bool | None = True, name: str | None = None) -> dict[str, Any]:
    """One row of sheet `Chi bộ`."""
    return {"cell_code": code, "cell_name": name or f"Chi bộ {code}", "cell_kind": CELL_KIND[kind],
            "members": members, "rating": RATING[rating], "dv_xuat_sac": xs, "dv_tot": tot,
            "dv_hoan_thanh": ht, "dv_khong_hoan_thanh": kht, "dv_gop_y_6": gy6, "mo_hinh_4_tot": yn(m4)}


def meeting(cell_code: str, date: dt.date, kind: str = "DK", required: int = 10, attended: int = 10,
            ideological: bool | None = True, topic: str | None = None) -> dict[str, Any]:
    """One row of sheet `Sinh hoạt`."""
    return {"cell_code": cell_code, "meeting_date": date, "kind": MEETING_KIND[kind], "required": required,
            "attended": attended, "ideological": yn(ideological), "topic": topic}


def trainee(name: str, birth: dt.date, level: str = "CC", year_sent: int = 2024,
            cell_code: str | None = None) -> dict[str, Any]:
    """One row of sheet `Đào tạo LLCT`."""
    return {"full_name": name, "birth_date": birth, "level": LEVEL[level], "year_sent": year_sent,
            "cell_code": cell_code, "mode": "Tập trung", "institution": "Học viện Chính trị khu vực"}


def petition(no: str, received: dt.date, status: str = "done", *, resolved: dt.date | None = None,
             deadline: dt.date | None = None, over_level: bool = False, in_competence: bool = True,
             kind: str = "Kiến nghị, phản ánh") -> dict[str, Any]:
    """One row of sheet `Đơn thư` (deadline None: the loader's default, Ngày nhận + 30 days)."""
    return {"petition_no": no, "received_date": received, "kind": kind, "over_level": yn(over_level),
            "in_competence": yn(in_competence), "deadline": deadline, "resolved_date": resolved,
            "status": PETITION_STATUS[status], "summary": f"Đơn {no}"}


def monthly(cell_code: str, year: int, months, **kw) -> list[dict[str, Any]]:
    """One `Định kỳ` meeting on the 15th of each given month."""
    return [meeting(cell_code, dt.date(year, m, 15), "DK", **kw) for m in months]


def write_unit_list(path: Path, rows: list[tuple]) -> Path:
    """Write the unit-list workbook: rows of (code, name, kind code, parent code, inactive-from year)."""
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_LIST.name
    ws.append([c.header for c in UNIT_LIST.columns])
    for code, name, kind, parent, inactive in rows:
        ws.append([code, name, KIND_LABEL[kind], parent, inactive])
    wb.save(path)
    return path


class Org:
    """A hand-built organisation in one database (of the run's backend), fed through the real loader."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = open_database(new_target(self.dir, "org"))
        self.kinds: dict[str, str] = {}
        self._n = 0

    def units(self, rows: list[tuple]) -> None:
        """Load the unit list (code, name, kind code, parent code or None, inactive-from year or None)."""
        from loaders.units import load_unit_list_bytes

        self.kinds.update({r[0]: r[2] for r in rows})
        path = write_unit_list(self.dir / "don_vi.xlsx", rows)
        load_unit_list_bytes(self.db, path.read_bytes(), path.name)

    def report(self, unit: str, year: int, period: str, *, received: dt.datetime | None = None,
               elements: dict[str, Any] | None = None, cells: list[dict] | None = None,
               meetings: list[dict] | None = None, trainees: list[dict] | None = None,
               petitions: list[dict] | None = None, narratives: list[dict] | None = None,
               members: int = 30, staff: int | None = 120, expect: str = "accepted") -> Any:
        """Write one workbook and ingest it; fails the test unless its status is `expect`.

        received None: on time, five days after the period ended, 10:00 local time. The result's
        `path` attribute is set to the workbook written (to upload the same bytes again)."""
        from loaders.store import ingest_bytes

        kind = self.kinds.get(unit, "DBCS")
        if cells is None:
            cells = ([cell(unit, "CBCS")] if kind == "CBCS"
                     else [cell(f"{unit}-CB1"), cell(f"{unit}-CB2")])
        if received is None:
            received = dt.datetime.combine(period_end(year, period) + dt.timedelta(days=5), dt.time(10))
        self._n += 1
        info = info_values(unit, year, period, unit_kind=KIND_LABEL[kind], unit_name=f"Đơn vị {unit}",
                           member_total=members, staff_total=staff)
        path = write_workbook(self.dir / f"{unit}_{year}_{period}_{self._n}.xlsx", info=info,
                              elements={k: _element_text(v) for k, v in (elements or {}).items()},
                              cells=cells, meetings=meetings, trainees=trainees, petitions=petitions,
                              narratives=narratives)
        result = self.upload(path, received)
        result.path = path
        status = getattr(result, "status", None)
        assert status == expect, f"{path.name}: {status} {getattr(result, 'errors', result)}"
        return result

    def upload(self, path: Path, received: dt.datetime) -> Any:
        """Ingest a workbook file as it is, whatever the outcome."""
        from loaders.store import ingest_bytes

        return ingest_bytes(self.db, Path(path).read_bytes(), Path(path).name, received_at=received,
                            uploader="kiểm thử")

    def compute(self, year: int, *, quarter: int | None = None, unit: str | None = None,
                as_of: dt.date) -> dict:
        """The engine's JSON report for a scope and window."""
        from metrics.engine import compute

        return compute(self.db, year=year, quarter=quarter, unit=unit, as_of=as_of).to_json()

    def ind(self, indicator_id: str, year: int, **kw: Any) -> dict:
        """One indicator of the JSON report."""
        return indicator(self.compute(year, **kw), indicator_id)


def _element_text(value: Any) -> Any:
    if value is True or value is False:
        return yn(value)
    return value


def indicator(report: dict, indicator_id: str) -> dict:
    """The indicator with this id in a JSON report (fails if it is missing)."""
    found = [i for i in report["indicators"] if i["id"] == indicator_id]
    assert len(found) == 1, f"{indicator_id} xuất hiện {len(found)} lần"
    return found[0]


def pct(numerator: float, denominator: float) -> float:
    """The unrounded percentage the engine must report."""
    return 100.0 * numerator / denominator


def check(ind: dict, *, status: str, value: Any = ANY, numerator: Any = ANY, denominator: Any = ANY,
          behind: Any = ANY, target: Any = ANY) -> None:
    """Assert an indicator's fields; floats are compared to 1e-9 relative, `behind` as an exact set."""
    where = ind["id"]
    assert ind["status"] == status, f"{where}: status {ind['status']!r} != {status!r} ({ind})"
    for name, expected in (("value", value), ("numerator", numerator), ("denominator", denominator)):
        if expected is ANY:
            continue
        got = ind[name]
        if expected is None:
            assert got is None, f"{where}: {name} {got!r} != None"
        else:
            assert got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), \
                f"{where}: {name} {got!r} != {expected!r}"
    if behind is not ANY:
        got = list(ind["behind"])
        assert len(got) == len(set(got)), f"{where}: behind has duplicates {got}"
        assert sorted(got) == sorted(behind), f"{where}: behind {sorted(got)} != {sorted(behind)}"
    if target is not ANY:
        assert ind["target"] == target, f"{where}: target {ind['target']!r} != {target!r}"


def by_unit_mismatches(org: Org, year: int, *, quarter: int | None = None, as_of: dt.date) -> tuple[set, list]:
    """compute_by_unit for the root against compute(unit=X) for each grassroots unit it lists:
    (units listed, [(unit, indicator, field, by_unit, compute)] that differ)."""
    from metrics.engine import compute_by_unit

    df = compute_by_unit(org.db, year=year, quarter=quarter, as_of=as_of)
    listed = set(df["unit_code"])
    bad = []
    for code in sorted(listed):
        single = {i["id"]: i for i in org.compute(year, quarter=quarter, unit=code, as_of=as_of)["indicators"]}
        for row in df[df["unit_code"] == code].itertuples(index=False):
            one = single[row.indicator_id]
            got = None if row.value is None or (isinstance(row.value, float) and math.isnan(row.value)) \
                else float(row.value)
            want = one["value"]
            same = (got is None and want is None) or (
                got is not None and want is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9))
            if not same:
                bad.append((code, row.indicator_id, "value", got, want))
            if row.status != one["status"]:
                bad.append((code, row.indicator_id, "status", row.status, one["status"]))
    return listed, bad
