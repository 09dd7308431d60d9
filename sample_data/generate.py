"""Generate the sample organisation: unit list, 2023–2025 workbooks, manifest and hand-countable facts.

Run `python sample_data/generate.py [--out DIR]`; the output is byte-for-byte identical on every run
(seeded randomness per unit/period, fixed document properties and zip timestamps). The organisation, the
planted variations and how to check figures by hand are described in sample_data/README.md.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT_DIR = Path(__file__).resolve().parent.parent
if str(ROOT_DIR) not in sys.path:
    sys.path.insert(0, str(ROOT_DIR))

from openpyxl import Workbook  # noqa: E402
from openpyxl.styles import Alignment, Font  # noqa: E402
from openpyxl.writer.excel import ExcelWriter  # noqa: E402

from loaders.schema import (CELLS, ELEMENTS, INFO, MEETINGS, NARRATIVES, PETITIONS, TRAINEES,  # noqa: E402
                            UNIT_LIST)
from loaders.elements import DATA_ELEMENTS  # noqa: E402

SEED = "khoi-doanh-nghiep-2025"
YEARS = (2023, 2024, 2025)
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
PERIODS = (*QUARTERS, "Y")
PERIOD_TEXT = {"Q1": "Quý I", "Q2": "Quý II", "Q3": "Quý III", "Q4": "Quý IV", "Y": "Năm"}
ALIAS_PERIOD_TEXT = {"Q1": "Quý 1", "Q2": "Quý 2", "Q3": "Quý 3", "Q4": "Quý 4", "Y": "Cả năm"}
DEADLINE_DAYS = 15
PETITION_DEADLINE_DAYS = 30
# Fixed document timestamp so regenerated files are byte-identical.
DOC_TIME = dt.datetime(2026, 1, 20, 8, 0, 0)
ZIP_TIME = (2026, 1, 20, 8, 0, 0)

RATING_TEXT = {"HTXSNV": "Hoàn thành xuất sắc nhiệm vụ", "HTTNV": "Hoàn thành tốt nhiệm vụ",
               "HTNV": "Hoàn thành nhiệm vụ", "KHTNV": "Không hoàn thành nhiệm vụ"}
ALIAS_RATING_TEXT = {"HTXSNV": "Xuất sắc", "HTTNV": "Tốt", "HTNV": "HTNV", "KHTNV": "KHTNV"}
PETITION_KIND_TEXT = {"KHIEU_NAI": "Khiếu nại", "TO_CAO": "Tố cáo", "KIEN_NGHI": "Kiến nghị, phản ánh"}
ALIAS_PETITION_KIND_TEXT = {"KHIEU_NAI": "Khiếu nại", "TO_CAO": "Tố cáo", "KIEN_NGHI": "Kiến nghị"}
STATUS_TEXT = {"DA_GIAI_QUYET": "Đã giải quyết", "DANG_GIAI_QUYET": "Đang giải quyết",
               "CHUYEN_DON": "Chuyển cơ quan có thẩm quyền", "LUU_DON": "Lưu đơn"}
ALIAS_STATUS_TEXT = {**STATUS_TEXT, "CHUYEN_DON": "Chuyển đơn"}
LEVEL_TEXT = {"CAO_CAP": "Cao cấp", "TRUNG_CAP": "Trung cấp", "SO_CAP": "Sơ cấp"}
INSTITUTION = {"CAO_CAP": ("Học viện Chính trị quốc gia Hồ Chí Minh", "Học viện Chính trị khu vực I"),
               "TRUNG_CAP": ("Trường Chính trị tỉnh",), "SO_CAP": ("Trường Chính trị tỉnh",)}

OFFICE_STAFF = ("Nguyễn Thị Thu Hà", "Trần Minh Đức", "Lê Thị Hồng Nhung")

# ------------------------------------------------------------------ the organisation, as data
# (code, name, list kind, parent, inactive_from, staff, style, cells)
# cells: (suffix, name, base members); a Chi bộ cơ sở has no cell list: its one row is itself.
UNITS_DECL: tuple[tuple, ...] = (
    ("DB01", "Đảng bộ Công ty Điện lực tỉnh", "DBCS", None, None, 860, "plain", (
        ("CB01", "Chi bộ Văn phòng – Tổng hợp", 24), ("CB02", "Chi bộ Phòng Kỹ thuật – An toàn", 18),
        ("CB03", "Chi bộ Phòng Kinh doanh", 16), ("CB04", "Chi bộ Điện lực Thành phố", 31),
        ("CB05", "Chi bộ Điện lực Thị xã", 22), ("CB06", "Chi bộ Điện lực huyện Đông Hưng", 19),
        ("CB07", "Chi bộ Đội Quản lý vận hành lưới điện cao thế", 27),
        ("CB08", "Chi bộ Phân xưởng Thí nghiệm điện", 13))),
    ("DB02", "Đảng bộ Công ty Cổ phần Cấp thoát nước", "DBCS", None, None, 410, "plain", (
        ("CB01", "Chi bộ Văn phòng Công ty", 15), ("CB02", "Chi bộ Nhà máy nước số 1", 17),
        ("CB03", "Chi bộ Nhà máy nước số 2", 14), ("CB04", "Chi bộ Xí nghiệp Thoát nước", 12),
        ("CB05", "Chi bộ Xí nghiệp Xây lắp", 10))),
    ("DB03", "Đảng bộ Bưu điện tỉnh", "DBCS", None, None, 520, "header_row4", (
        ("CB01", "Chi bộ Văn phòng Bưu điện tỉnh", 21), ("CB02", "Chi bộ Trung tâm Khai thác vận chuyển", 14),
        ("CB03", "Chi bộ Bưu điện Thành phố", 18), ("CB04", "Chi bộ Bưu điện huyện Kiến Xương", 9),
        ("CB05", "Chi bộ Bưu điện huyện Tiền Hải", 8), ("CB06", "Chi bộ Trung tâm Kinh doanh", 11))),
    ("DB04", "Đảng bộ Công ty TNHH MTV Môi trường đô thị", "DBCS", None, None, 380, "example_row", (
        ("CB01", "Chi bộ Khối Văn phòng", 13), ("CB02", "Chi bộ Đội Vệ sinh môi trường số 1", 11),
        ("CB03", "Chi bộ Đội Cây xanh – Chiếu sáng", 9), ("CB04", "Chi bộ Xí nghiệp Xử lý chất thải", 10))),
    ("DB05", "Đảng bộ Công ty Cổ phần Xi măng", "DBCS", None, None, 640, "x_for_yes", (
        ("CB01", "Chi bộ Khối Quản lý", 20), ("CB02", "Chi bộ Phân xưởng Lò nung", 16),
        ("CB03", "Chi bộ Phân xưởng Nghiền đóng bao", 14), ("CB04", "Chi bộ Phân xưởng Cơ điện", 12),
        ("CB05", "Chi bộ Phòng Kinh doanh – Tiêu thụ", 9))),
    ("DB06", "Đảng bộ Ngân hàng TMCP Công Thương Việt Nam – Chi nhánh tỉnh", "DBCS", None, None, 210, "text_numbers", (
        ("CB01", "Chi bộ Khối Quản lý – Hỗ trợ", 19), ("CB02", "Chi bộ Phòng Khách hàng doanh nghiệp", 16),
        ("CB03", "Chi bộ Phòng giao dịch khu vực", 12))),
    ("DB07", "Đảng bộ Công ty Cổ phần Xây dựng công trình giao thông", "DBCS", "DBCT01", None, 330, "plain", (
        ("CB01", "Chi bộ Văn phòng", 11), ("CB02", "Chi bộ Đội Thi công số 1", 9),
        ("CB03", "Chi bộ Đội Thi công số 2", 8), ("CB04", "Chi bộ Xưởng Cơ khí – Sửa chữa", 7))),
    ("DB08", "Đảng bộ Ngân hàng Nông nghiệp và Phát triển nông thôn – Chi nhánh tỉnh", "DBCS", None, None, 450,
     "plain", (
        ("CB01", "Chi bộ Hội sở tỉnh", 26), ("CB02", "Chi bộ Chi nhánh Thành phố", 15),
        ("CB03", "Chi bộ Chi nhánh huyện Vũ Thư", 11), ("CB04", "Chi bộ Chi nhánh huyện Quỳnh Phụ", 12),
        ("CB05", "Chi bộ Chi nhánh huyện Hưng Hà", 10), ("CB06", "Chi bộ Chi nhánh huyện Thái Thụy", 9),
        ("CB07", "Chi bộ Chi nhánh huyện Đông Hưng", 11))),
    ("CB01", "Chi bộ Công ty TNHH MTV Xổ số kiến thiết tỉnh", "CBCS", None, None, 62, "stt_column", 21),
    ("CB02", "Chi bộ Công ty Cổ phần Dược – Vật tư y tế", "CBCS", None, None, 145, "aliases", 17),
    ("CB03", "Chi bộ Công ty TNHH MTV Khai thác công trình thủy lợi", "CBCS", None, None, 120, "plain", 24),
    ("CB04", "Chi bộ Công ty Cổ phần Sách và Thiết bị trường học", "CBCS", None, None, 48, "text_dates", 9),
    ("CB05", "Chi bộ Công ty Cổ phần Xe khách tỉnh", "CBCS", None, 2025, 95, "plain", 11),
    ("DBCT01", "Đảng bộ Tổng công ty Đầu tư và Phát triển hạ tầng tỉnh", "DBCT", None, None, 0, "plain", ()),
    ("CB06", "Chi bộ Công ty Cổ phần Tư vấn thiết kế xây dựng", "CBCS", "DBCT01", None, 56, "plain", 13),
    ("CB07", "Chi bộ Công ty TNHH MTV Quản lý bến xe", "CBCS", "DBCT01", None, 70, "plain", 10),
)

# ------------------------------------------------------------------ planted variations (see README)
MISSING_REPORTS = {("DB08", 2024, "Q3")}  # never submitted
RESUBMITTED = ("DB02", 2025, "Q2")  # v1 had NGUOI_THAM_DU typed with an extra zero; v2 corrects it
NFD_FILE = ("CB03", 2024, "Q2")  # every text typed decomposed (NFD)
YEAR_IN_PERIOD = {"DB07", "CB06"}  # write the annual period as "Năm 2024" rather than "Năm"
# (unit, year, period) -> days after the deadline it was received
LATE: dict[tuple[str, int, str], int] = {
    ("DB06", 2023, "Q1"): 6, ("DB06", 2024, "Q2"): 9, ("DB06", 2024, "Q3"): 3, ("DB06", 2025, "Y"): 12,
    ("CB04", 2023, "Q4"): 20, ("CB04", 2025, "Q3"): 5, ("DB04", 2024, "Y"): 17, ("CB07", 2025, "Q1"): 2,
    ("DB08", 2024, "Q4"): 4, ("CB05", 2024, "Q2"): 11,
}
# (unit, cell suffix or None for a Chi bộ cơ sở, year, month): no Định kỳ meeting that month
MISSED_MONTHS = {
    ("DB03", "CB05", 2023, 8), ("DB01", "CB07", 2024, 2), ("CB05", None, 2024, 7),
    ("DB08", "CB06", 2025, 10), ("DB04", "CB02", 2025, 4), ("CB07", None, 2023, 11),
}
# (unit, year, element code) -> its value in every quarter of that year: planted "not met" targets
ELEMENT_OVERRIDES: dict[tuple[str, int, str], Any] = {
    ("CB04", 2023, "QUAN_TRIET_NQ"): False,  # I01 not met in 2023
    ("CB07", 2023, "QD_TIEP_DAN"): False,  # I05 not met in 2023
    ("DB04", 2024, "HN_NLD"): 0,  # I06 not met in 2024
    ("CB03", 2023, "DOI_THOAI"): 0,  # I20 not met in 2023
    ("CB02", 2025, "KH_TU_TUONG"): False,  # I23 not met in 2025
}
GOP_Y_MISSED = {("CB06", 2024, "Q3")}  # no góp ý round that quarter: I21 not met in 2024
AN_SINH_BLANK = {("CB04", 2024, "Q1")}  # left blank: "not reported", not zero
# Annual cell ratings that are not "good or better" (everything else is HTXSNV/HTTNV).
RATING_OVERRIDES = {
    ("DB05", "CB04", 2023): "HTNV", ("CB05", None, 2024): "HTNV", ("DB04", "CB03", 2024): "KHTNV",
    ("DB07", "CB03", 2024): "HTNV", ("CB04", None, 2025): "HTNV", ("CB07", None, 2025): "HTNV",
}
# Political-theory trainees: year -> level -> list of (unit, quarter sent). Root totals: Cao cấp 7 / 4 / 9
# (2024 below the 5–10 target), Trung cấp 13 / 18 / 23 (2025 above the 10–20 target).
TRAINING_PLAN: dict[int, dict[str, list[tuple[str, str]]]] = {
    2023: {"CAO_CAP": [("DB01", "Q2"), ("DB01", "Q3"), ("DB03", "Q3"), ("DB05", "Q2"), ("DB06", "Q3"),
                       ("DB08", "Q3"), ("CB03", "Q4")],
           "TRUNG_CAP": [("DB01", "Q1"), ("DB01", "Q3"), ("DB02", "Q2"), ("DB02", "Q3"), ("DB03", "Q1"),
                         ("DB04", "Q3"), ("DB05", "Q2"), ("DB06", "Q1"), ("DB07", "Q3"), ("DB08", "Q2"),
                         ("CB01", "Q3"), ("CB02", "Q4"), ("CB06", "Q2")],
           "SO_CAP": [("DB04", "Q2"), ("CB05", "Q3"), ("DB07", "Q4")]},
    2024: {"CAO_CAP": [("DB01", "Q3"), ("DB02", "Q3"), ("DB08", "Q2"), ("CB01", "Q3")],
           "TRUNG_CAP": [("DB01", "Q1"), ("DB01", "Q2"), ("DB01", "Q3"), ("DB02", "Q2"), ("DB03", "Q2"),
                         ("DB03", "Q3"), ("DB04", "Q1"), ("DB05", "Q2"), ("DB05", "Q3"), ("DB06", "Q3"),
                         ("DB07", "Q2"), ("DB08", "Q1"), ("DB08", "Q3"), ("DB08", "Q4"), ("CB02", "Q2"),
                         ("CB03", "Q2"), ("CB04", "Q3"), ("CB07", "Q3")],
           "SO_CAP": [("DB02", "Q1"), ("DB06", "Q2"), ("CB06", "Q3"), ("CB01", "Q2")]},
    2025: {"CAO_CAP": [("DB01", "Q2"), ("DB01", "Q3"), ("DB02", "Q3"), ("DB03", "Q2"), ("DB05", "Q3"),
                       ("DB06", "Q2"), ("DB07", "Q3"), ("DB08", "Q3"), ("CB02", "Q3")],
           "TRUNG_CAP": [("DB01", "Q1"), ("DB01", "Q2"), ("DB01", "Q3"), ("DB02", "Q1"), ("DB02", "Q3"),
                         ("DB03", "Q2"), ("DB03", "Q3"), ("DB04", "Q2"), ("DB04", "Q3"), ("DB05", "Q1"),
                         ("DB05", "Q3"), ("DB06", "Q2"), ("DB06", "Q3"), ("DB07", "Q2"), ("DB08", "Q1"),
                         ("DB08", "Q2"), ("DB08", "Q3"), ("CB01", "Q2"), ("CB03", "Q3"), ("CB04", "Q2"),
                         ("CB06", "Q3"), ("CB07", "Q2"), ("DB02", "Q2")],
           "SO_CAP": [("DB03", "Q1"), ("DB05", "Q2"), ("CB03", "Q1")]},
}
# A trainee sent in Q4/2023 who is listed again in the next report (still studying): counts once, in 2023.
TRAINEE_REPEATED_NEXT_REPORT = ("CB03", 2023, "CAO_CAP")
# The one petition sent over the head of the competent level.
OVER_LEVEL = ("DB01", 2024, "Q2")
# A petition received in Q3/2024, pending through Q4/2024 and the 2024 annual report, resolved late in Q1/2025.
CARRIED = ("DB02", dt.date(2024, 8, 20), dt.date(2025, 1, 22))

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Mai", "Tạ", "Lương")
MIDDLE_M = ("Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Xuân", "Mạnh", "Trọng")
MIDDLE_F = ("Thị", "Thu", "Ngọc", "Thanh", "Minh", "Thị Thu", "Thị Hồng", "Thị Kim")
GIVEN_M = ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phong", "Quang", "Sơn",
           "Thắng", "Tuấn", "Việt", "Hiếu", "Trung", "Tùng", "Thành", "Huy", "Kiên", "Đạt")
GIVEN_F = ("Anh", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Ngọc", "Nhung", "Phương",
           "Thảo", "Trang", "Vân", "Yến", "Huyền", "Dung", "Loan", "Giang")
THEMES = (
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về xây dựng văn hóa doanh nghiệp",
    "Nâng cao chất lượng sinh hoạt chi bộ", "Công tác phát triển đảng viên trong doanh nghiệp",
    "Phòng, chống tham nhũng, tiêu cực trong sản xuất kinh doanh", "Bảo vệ nền tảng tư tưởng của Đảng",
    "Chuyển đổi số trong hoạt động của doanh nghiệp", "Thực hành tiết kiệm, chống lãng phí",
    "Thực hiện Quy chế dân chủ ở cơ sở tại nơi làm việc", "An toàn lao động và chăm lo đời sống người lao động",
)
PETITION_TOPICS = {
    "KIEN_NGHI": ("Kiến nghị về chế độ tiền lương, phụ cấp độc hại", "Phản ánh về điều kiện làm việc tại phân xưởng",
                  "Kiến nghị về việc bố trí ca kíp", "Phản ánh việc chậm thanh toán chế độ bảo hiểm xã hội",
                  "Kiến nghị về xét nâng bậc lương", "Phản ánh tiếng ồn, bụi ảnh hưởng khu dân cư"),
    "KHIEU_NAI": ("Khiếu nại kết quả xếp loại đảng viên cuối năm", "Khiếu nại quyết định điều chuyển công tác",
                  "Khiếu nại việc chấm dứt hợp đồng lao động", "Khiếu nại kết quả thi nâng ngạch"),
    "TO_CAO": ("Tố cáo cán bộ quản lý vi phạm trong mua sắm tài sản",
               "Tố cáo việc quy hoạch, bổ nhiệm cán bộ không đúng quy trình",
               "Tố cáo đảng viên vi phạm quy định về những điều đảng viên không được làm"),
}


@dataclass
class Cell:
    """A cell of a unit: code, name, kind, base number of members."""

    code: str
    name: str
    kind: str  # CBCS | CBTT
    base_members: int
    suffix: str | None


@dataclass
class Unit:
    """A unit of the unit list; reporting units carry cells, staff and a writing style."""

    code: str
    name: str
    kind: str
    parent: str | None
    inactive_from: int | None
    staff: int
    style: str
    cells: list[Cell] = field(default_factory=list)
    preparer: str = ""

    def reports_in(self, year: int) -> bool:
        """Whether the unit is expected to report in this year."""
        return self.kind in ("DBCS", "CBCS") and (self.inactive_from is None or year < self.inactive_from)


def _rng(*parts: Any) -> random.Random:
    """A random stream of its own for every (unit, year, ...) so one change does not cascade."""
    return random.Random(":".join([SEED, *map(str, parts)]))


def _person(rng: random.Random) -> str:
    if rng.random() < 0.55:
        return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"


def build_units() -> list[Unit]:
    """The unit list with cells, from UNITS_DECL."""
    units = []
    for code, name, kind, parent, inactive, staff, style, cells in UNITS_DECL:
        u = Unit(code, name, kind, parent, inactive, staff, style)
        if kind == "DBCS":
            u.cells = [Cell(f"{code}-{sfx}", nm, "CBTT", m, sfx) for sfx, nm, m in cells]
        elif kind == "CBCS":
            u.cells = [Cell(code, name, "CBCS", cells, None)]
        u.preparer = _person(_rng(code, "preparer"))
        units.append(u)
    return units


# ------------------------------------------------------------------ periods
def quarter_months(q: str) -> list[int]:
    """The three months of a quarter code."""
    i = int(q[1])
    return [3 * i - 2, 3 * i - 1, 3 * i]


def period_bounds(year: int, period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period."""
    if period == "Y":
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    m = quarter_months(period)
    end = dt.date(year + (m[2] == 12), 1 if m[2] == 12 else m[2] + 1, 1) - dt.timedelta(days=1)
    return dt.date(year, m[0], 1), end


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + (month == 12), 1 if month == 12 else month + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


# ------------------------------------------------------------------ the model
@dataclass
class Report:
    """Everything one workbook says, before it is written in a unit's style."""

    unit: Unit
    year: int
    period: str
    received_at: dt.datetime
    uploader: str
    info: dict[str, Any]
    elements: dict[str, Any]
    cells: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    trainees: list[dict[str, Any]]
    petitions: list[dict[str, Any]]
    version: int = 1
    narratives: list[dict[str, Any]] | None = None  # sheet `Tình hình` as written; None: no such sheet
    notes: dict[str, str] = field(default_factory=dict)  # `Chỉ tiêu.Ghi chú` by element code

    @property
    def file(self) -> str:
        """Path relative to sample_data/."""
        suffix = f"_v{self.version}" if self.version > 1 else ""
        return f"workbooks/{self.year}/{self.unit.code}_{self.year}_{self.period}{suffix}.xlsx"


def cell_members(cell: Cell, year: int, q: str) -> int:
    """Members of a cell at the end of a quarter: a slow random walk from the base (admissions, transfers)."""
    n = cell.base_members
    for y in YEARS:
        for qq in QUARTERS:
            step = _rng(cell.code, y, qq, "members").choice((-1, 0, 0, 0, 0, 1, 1))
            n = max(5, n + step)
            if (y, qq) == (year, q):
                return n
    raise ValueError((year, q))


def quarter_elements(u: Unit, year: int, q: str) -> dict[str, Any]:
    """The 17 data elements of one quarter (cumulative ones as at the quarter's end)."""
    r = _rng(u.code, year, q, "elements")
    big = u.kind == "DBCS"
    members = sum(cell_members(c, year, q) for c in u.cells)
    qi = int(q[1])
    share = {1: (0.55, 0.75), 2: (0.78, 0.92), 3: (0.9, 0.99), 4: (0.95, 1.0)}[qi]
    quan_triet = round(u.staff * r.uniform(*share))
    thu_hoach = round(members * r.uniform(*share))
    if qi == 4 and r.random() < 0.45:  # many units reach everyone by year end
        quan_triet, thu_hoach = u.staff, members
    hn = r.randint(3, 8) if big else r.randint(1, 2)
    e: dict[str, Any] = {
        "QUAN_TRIET_NQ": True,
        "NGUOI_QUAN_TRIET": quan_triet,
        "DV_THU_HOACH": thu_hoach,
        "QCDC": True,
        "QD_TIEP_DAN": True,
        "KH_TU_TUONG": True,
        "HN_NLD": 1 if qi == (2 if u.code in ("DB06", "CB02") else 1) else 0,
        "DOI_THOAI": r.randint(3, 10) if big else (1 if qi == 2 else r.choice((0, 0, 1, 2))),
        "GOP_Y_XD_DANG": 0 if (u.code, year, q) in GOP_Y_MISSED else 1,
        "VAN_BAN_CHI_DAO": r.randint(4, 10) if big else r.randint(1, 3),
        "HN_TUYEN_TRUYEN": hn,
        "NGUOI_THAM_DU": hn * round(u.staff * (r.uniform(0.15, 0.35) if big else r.uniform(0.5, 0.9))),
        "TIEP_DAN": r.randint(15, 35) if big else r.randint(3, 8),
        "GIAM_SAT": r.randint(5, 12) if big else r.randint(1, 3),
        "PHAN_BIEN": r.randint(3, 10) if big else r.randint(1, 3),
        "AN_SINH": round(r.uniform(60, 480) if big else r.uniform(5, 45), 1),
        "CTV_DLXH": (r.randint(3, 7) if big else r.randint(1, 2)),
    }
    for (code, y, el), value in ELEMENT_OVERRIDES.items():
        if code == u.code and y == year:
            e[el] = value
    if (u.code, year, q) in AN_SINH_BLANK:
        e["AN_SINH"] = None
    return e


def annual_elements(quarters: list[dict[str, Any]]) -> dict[str, Any]:
    """The year's values from the four quarters: sums, latest, any (as indicators-v1.md aggregates)."""
    out: dict[str, Any] = {}
    for el in DATA_ELEMENTS:
        vals = [q[el.code] for q in quarters]
        present = [v for v in vals if v is not None]
        if el.aggregation == "sum":
            s = sum(present)
            out[el.code] = round(s, 1) if el.type == "money" else s
        elif el.aggregation == "latest":
            out[el.code] = vals[-1]
        else:
            out[el.code] = any(present)
    return out


def meetings_for(u: Unit, year: int, q: str, cells_q: dict[str, int]) -> list[dict[str, Any]]:
    """Monthly Định kỳ meetings (a few planted gaps) and usually one Chuyên đề meeting per cell."""
    rows = []
    for c in u.cells:
        r = _rng(c.code, year, q, "meetings")
        members = cells_q[c.code]
        for m in quarter_months(q):
            if (u.code, c.suffix, year, m) in MISSED_MONTHS:
                continue
            day = r.randint(3, 12)
            required = members - r.choice((0, 0, 0, 1, 1, 2))
            attended = required - round(required * r.choice((0, 0, 0.03, 0.05, 0.08, 0.1, 0.12, 0.15)))
            rows.append({"cell_code": c.code, "meeting_date": dt.date(year, m, day), "kind": "DINH_KY",
                         "required": required, "attended": attended, "ideological": r.random() > 0.07,
                         "topic": f"Sinh hoạt chi bộ thường kỳ tháng {m}/{year}"})
        if r.random() < 0.93:  # most quarters; a missed one shows in I19
            m = r.choice(quarter_months(q))
            day = r.randint(15, min(26, _days_in_month(year, m)))
            required = members - r.choice((0, 0, 1))
            attended = required - round(required * r.choice((0, 0.04, 0.08, 0.12)))
            rows.append({"cell_code": c.code, "meeting_date": dt.date(year, m, day), "kind": "CHUYEN_DE",
                         "required": required, "attended": attended, "ideological": True,
                         "topic": r.choice(THEMES)})
    return sorted(rows, key=lambda x: (x["meeting_date"], x["cell_code"], x["kind"]))


def cell_rows(u: Unit, year: int, period: str) -> list[dict[str, Any]]:
    """Sheet `Chi bộ`: members at the end of the period; ratings in the annual report."""
    q = "Q4" if period == "Y" else period
    rows = []
    for c in u.cells:
        r = _rng(c.code, year, "cell")
        members = cell_members(c, year, q)
        row: dict[str, Any] = {"cell_code": c.code, "cell_name": c.name,
                               "cell_kind": "Chi bộ cơ sở" if c.kind == "CBCS" else "Chi bộ trực thuộc",
                               "members": members, "mo_hinh_4_tot": r.random() > 0.2}
        if period == "Y":
            rating = RATING_OVERRIDES.get((u.code, c.suffix, year)) or r.choice(("HTXSNV", "HTTNV", "HTTNV", "HTTNV"))
            exempt = r.choice((0, 0, 1, 1, 2))
            rated = members - exempt
            xs = max(0, round(rated * r.uniform(0.12, 0.24)))
            kht = 1 if rating == "KHTNV" else (1 if r.random() < 0.06 else 0)
            ht = r.choice((0, 0, 0, 1, 1)) + (2 if rating in ("HTNV", "KHTNV") else 0)
            tot = max(0, rated - xs - kht - ht)
            row.update(rating=rating, dv_xuat_sac=xs, dv_tot=tot, dv_hoan_thanh=ht, dv_khong_hoan_thanh=kht,
                       dv_gop_y_6=members - r.choice((0, 0, 1, 1, 2, 3)))
        rows.append(row)
    return rows


def build_trainees(units: dict[str, Unit]) -> dict[tuple[str, int, str], list[dict[str, Any]]]:
    """Trainees per report (unit, year, quarter) from TRAINING_PLAN; the annual report repeats the year's list."""
    out: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for year, levels in TRAINING_PLAN.items():
        for level, sends in levels.items():
            for i, (code, q) in enumerate(sends):
                u = units[code]
                r = _rng(code, year, level, i, "trainee")
                cell = r.choice(u.cells)
                person = {"full_name": _person(r),
                          "birth_date": dt.date(r.randint(1974, 1993), r.randint(1, 12), r.randint(1, 28)),
                          "cell_code": cell.code, "level": level, "year_sent": year,
                          "mode": r.choice(("Tập trung", "Không tập trung", "Không tập trung")),
                          "institution": r.choice(INSTITUTION[level])}
                out.setdefault((code, year, q), []).append(person)
    # the repeated trainee: sent in the unit's last quarter of the year, listed again in Q1 of next year
    code, year, level = TRAINEE_REPEATED_NEXT_REPORT
    for (c, y, q), people in sorted(out.items()):
        if c == code and y == year:
            for p in people:
                if p["level"] == level:
                    out.setdefault((code, year + 1, "Q1"), []).append(dict(p))
    return out


@dataclass
class Petition:
    """One petition's whole life: receipt, kind, deadline, resolution (None: still pending)."""

    unit: str
    number: str
    received: dt.date
    kind: str
    over_level: bool
    in_competence: bool
    deadline: dt.date | None  # None: left blank, the loader defaults it
    resolved: dt.date | None
    closing_status: str  # DA_GIAI_QUYET | CHUYEN_DON | LUU_DON
    summary: str

    @property
    def effective_deadline(self) -> dt.date:
        """The deadline the loader will store."""
        return self.deadline or self.received + dt.timedelta(days=PETITION_DEADLINE_DAYS)

    def state_at(self, day: dt.date) -> tuple[str, dt.date | None]:
        """Status and resolution date as reported at the end of a period."""
        if self.closing_status != "DA_GIAI_QUYET":
            return self.closing_status, None
        if self.resolved is not None and self.resolved <= day:
            return "DA_GIAI_QUYET", self.resolved
        return "DANG_GIAI_QUYET", None


def build_petitions(units: list[Unit]) -> list[Petition]:
    """Every unit's petitions over 2023–2025, numbered per unit and year."""
    out: list[Petition] = []
    for u in units:
        for year in YEARS:
            if not u.reports_in(year):
                continue
            seq = 0
            for q in QUARTERS:
                r = _rng(u.code, year, q, "petitions")
                n = r.choice((0, 1, 1, 1, 2)) if u.kind == "DBCS" else r.choice((0, 0, 0, 0, 1))
                start, end = period_bounds(year, q)
                dates = sorted(start + dt.timedelta(days=r.randint(0, (end - start).days - 5)) for _ in range(n))
                if (u.code, year, q) == OVER_LEVEL and not dates:
                    dates = [start + dt.timedelta(days=20)]
                if u.code == CARRIED[0] and (year, q) == (2024, "Q3"):
                    dates.append(CARRIED[1])
                for k, received in enumerate(dates):
                    seq += 1
                    kind = r.choices(("KIEN_NGHI", "KHIEU_NAI", "TO_CAO"), (6, 3, 2))[0]
                    in_comp = r.random() > 0.1
                    closing = "DA_GIAI_QUYET" if in_comp else "CHUYEN_DON"
                    if in_comp and kind == "TO_CAO" and r.random() < 0.25:
                        # anonymous denunciation: filed, not for this level to resolve (kept out of I09)
                        closing, in_comp = "LUU_DON", False
                    deadline = None if (kind == "KIEN_NGHI" and r.random() < 0.5) else \
                        received + dt.timedelta(days=r.choice((30, 30, 45)))
                    eff = deadline or received + dt.timedelta(days=PETITION_DEADLINE_DAYS)
                    roll = r.random()
                    if roll < 0.85:
                        resolved = received + dt.timedelta(days=r.randint(4, (eff - received).days))
                    elif roll < 0.95:
                        resolved = eff + dt.timedelta(days=r.randint(3, 35))  # late
                    else:
                        resolved = received + dt.timedelta(days=r.randint(80, 170))  # long, carried
                    if received == CARRIED[1] and u.code == CARRIED[0]:
                        kind, in_comp, closing, deadline, resolved = "KHIEU_NAI", True, "DA_GIAI_QUYET", \
                            received + dt.timedelta(days=30), CARRIED[2]
                    if resolved > dt.date(2025, 12, 31):
                        resolved = None  # still pending when the data ends
                    over = (u.code, year, q) == OVER_LEVEL and k == 0
                    if over:
                        kind, in_comp, closing = "TO_CAO", True, "DA_GIAI_QUYET"
                    summary = r.choice(PETITION_TOPICS[kind])
                    if over:
                        summary = "Đơn gửi vượt cấp lên Đảng ủy Khối, tố cáo vi phạm trong công tác cán bộ"
                    out.append(Petition(u.code, f"{seq:02d}/ĐT-{year}", received, kind, over, in_comp,
                                        deadline, resolved if closing == "DA_GIAI_QUYET" else None,
                                        closing, summary))
    return out


def petitions_in_report(pets: list[Petition], unit: str, year: int, period: str) -> list[dict[str, Any]]:
    """Petitions a report lists: received in the period, plus ones still pending when it began."""
    start, end = period_bounds(year, period)
    rows = []
    for p in pets:
        if p.unit != unit or p.received > end:
            continue
        carried = (p.received < start and p.closing_status == "DA_GIAI_QUYET"
                   and (p.resolved is None or p.resolved >= start))
        if p.received >= start or carried:
            status, resolved = p.state_at(end)
            rows.append({"petition_no": p.number, "received_date": p.received, "kind": p.kind,
                         "over_level": p.over_level, "in_competence": p.in_competence, "deadline": p.deadline,
                         "resolved_date": resolved, "status": status, "summary": p.summary})
    return rows


def received_time(u: Unit, year: int, period: str) -> dt.datetime:
    """When the office received the report: before the deadline, or late by the planted days."""
    _, end = period_bounds(year, period)
    r = _rng(u.code, year, period, "received")
    deadline = end + dt.timedelta(days=DEADLINE_DAYS)
    late = LATE.get((u.code, year, period))
    day = deadline + dt.timedelta(days=late) if late else end + dt.timedelta(days=r.randint(3, DEADLINE_DAYS))
    if period == "Y" and not late:
        day = end + dt.timedelta(days=r.randint(8, DEADLINE_DAYS))  # after Q4, usually
    return dt.datetime(day.year, day.month, day.day, r.randint(7, 16), r.choice((0, 10, 15, 20, 30, 40, 45, 50)))


def build_reports(units: list[Unit]) -> list[Report]:
    """Every report of every reporting unit, including the planted re-submission, in ingest order."""
    by_code = {u.code: u for u in units}
    trainees = build_trainees(by_code)
    pets = build_petitions(units)
    reports: list[Report] = []
    for u in units:
        for year in YEARS:
            if not u.reports_in(year):
                continue
            q_elements = [quarter_elements(u, year, q) for q in QUARTERS]
            year_meetings: list[dict[str, Any]] = []
            year_trainees: list[dict[str, Any]] = []
            for period in PERIODS:
                if period == "Y":
                    elements = annual_elements(q_elements)
                    meetings = sorted(year_meetings, key=lambda x: (x["meeting_date"], x["cell_code"], x["kind"]))
                    people = year_trainees
                else:
                    elements = q_elements[QUARTERS.index(period)]
                    cq = {c.code: cell_members(c, year, period) for c in u.cells}
                    meetings = meetings_for(u, year, period, cq)
                    year_meetings.extend(meetings)
                    people = trainees.get((u.code, year, period), [])
                    year_trainees.extend(p for p in people if p["year_sent"] == year)
                if (u.code, year, period) in MISSING_REPORTS:
                    continue
                cells = cell_rows(u, year, period)
                received = received_time(u, year, period)
                r = _rng(u.code, year, period, "info")
                info = {"unit_code": u.code, "unit_name": u.name,
                        "unit_kind": "Đảng bộ cơ sở" if u.kind == "DBCS" else "Chi bộ cơ sở",
                        "parent_code": u.parent, "year": year, "period": period,
                        "report_date": (received - dt.timedelta(days=r.randint(1, 4))).date(),
                        "preparer": u.preparer, "member_total": sum(c["members"] for c in cells),
                        "staff_total": u.staff + _rng(u.code, year, "staff").randint(-12, 12)}
                uploader = u.preparer if r.random() < 0.3 else OFFICE_STAFF[(YEARS.index(year) + len(u.code)) % 3]
                rep = Report(u, year, period, received, uploader, info, dict(elements), cells, meetings,
                             list(people), petitions_in_report(pets, u.code, year, period))
                rep.narratives = narrative_sheet(u, year, period, elements)
                rep.notes = element_notes(u, year, period, elements)
                reports.append(rep)
                if (u.code, year, period) == RESUBMITTED:
                    fixed = Report(**{**rep.__dict__, "elements": dict(elements), "version": 2,
                                      "received_at": received + dt.timedelta(days=2, hours=1)})
                    rep.elements["NGUOI_THAM_DU"] = elements["NGUOI_THAM_DU"] * 10  # the typo
                    reports.append(fixed)
    reports.sort(key=lambda r: (r.received_at, r.unit.code, r.version))
    return reports


# ------------------------------------------------------------------ what units write (sheet `Tình hình`)
# The sheet came with the 2024 template: 2023 workbooks do not have it (they stay valid, v1), CB07 never
# adopted it and CB04 started in Q2/2024. Rows are drawn from the pools below per (unit, year, period),
# seeded; {org} is the enterprise, {q} the period ("quý I năm 2024" or "năm 2024"), {next} the next one,
# {y} the year, {ny} the year of the next period; {DOI_THOAI}-style fields are the report's own figures, so
# the words agree with the numbers.
NARRATIVE_FROM = 2024
NO_NARRATIVE = {("CB07", None, None), ("CB04", 2024, "Q1")}  # (unit, year, period); None: every one
# how a unit lays the sheet out: the section once for several rows (cells below left empty), numbered
# sections ("1. Tình hình tư tưởng"), or the aliases of the section names
NARRATIVE_SECTION_ONCE = {"DB01", "DB08"}
NARRATIVE_NUMBERED = {"DB06", "CB01"}
SECTION_TEXT = {"TU_TUONG": "Tình hình tư tưởng", "DU_LUAN": "Dư luận xã hội",
                "KET_QUA": "Kết quả nổi bật, cách làm hay", "HAN_CHE": "Hạn chế, khó khăn và nguyên nhân",
                "BAI_HOC": "Bài học kinh nghiệm", "KIEN_NGHI": "Kiến nghị, đề xuất",
                "NHIEM_VU": "Nhiệm vụ trọng tâm kỳ tới"}
ALIAS_SECTION_TEXT = {**SECTION_TEXT, "KET_QUA": "Cách làm hay", "HAN_CHE": "Hạn chế", "KIEN_NGHI": "Kiến nghị",
                      "NHIEM_VU": "Nhiệm vụ kỳ tới"}
LEVEL_TEXT_N = {"CAN_QUAN_TAM": "Cần quan tâm", "NOI_COM": "Nổi cộm"}
# (unit, year, period) -> (section, level, text): planted pressing matters the review report must put first
PLANTED_NARRATIVE: dict[tuple[str, int, str], tuple[str, str, str]] = {
    ("DB05", 2024, "Q2"): ("DU_LUAN", "NOI_COM",
                           "Người dân khu dân cư giáp nhà máy phản ánh bụi, tiếng ồn từ dây chuyền nghiền clinker; "
                           "ngày 12/6 có khoảng 30 hộ dân tập trung tại cổng nhà máy kiến nghị. Cấp ủy đã chỉ đạo "
                           "phối hợp chính quyền địa phương đối thoại, cam kết hoàn thành lắp đặt hệ thống lọc bụi "
                           "trong quý III."),
    ("DB07", 2024, "Q3"): ("TU_TUONG", "NOI_COM",
                           "Do chủ đầu tư chậm thanh toán khối lượng hoàn thành, Công ty chậm trả lương 02 tháng "
                           "cho người lao động các đội thi công; một số người lao động bức xúc, có ý định nghỉ việc. "
                           "Cấp ủy đã đề nghị Ban Giám đốc xây dựng lộ trình trả lương, công khai với người lao động."),
    ("CB05", 2024, "Q2"): ("TU_TUONG", "NOI_COM",
                           "Công ty chuẩn bị chấm dứt hoạt động tuyến vận tải liên tỉnh và sắp xếp lại doanh nghiệp; "
                           "người lao động lo lắng về việc làm và chế độ khi chấm dứt hợp đồng lao động."),
    ("DB05", 2024, "Y"): ("DU_LUAN", "NOI_COM",
                          "Dù đã lắp đặt hệ thống lọc bụi, một số hộ dân giáp nhà máy vẫn phản ánh tiếng ồn vào ban "
                          "đêm; đề nghị chính quyền địa phương sớm bố trí tái định cư cho các hộ trong hành lang an "
                          "toàn của nhà máy."),
    ("DB07", 2024, "Y"): ("TU_TUONG", "CAN_QUAN_TAM",
                          "Việc chậm trả lương đã được khắc phục một phần; Công ty còn nợ 01 tháng lương, cam kết trả "
                          "dứt điểm trong quý I năm 2025; người lao động cơ bản yên tâm trở lại."),
    ("DB06", 2025, "Q1"): ("DU_LUAN", "CAN_QUAN_TAM",
                           "Xuất hiện tin nhắn, cuộc gọi giả danh nhân viên ngân hàng lừa đảo khách hàng; Chi nhánh "
                           "đã đăng cảnh báo trên trang thông tin và tại các phòng giao dịch."),
}
# by enterprise: what people there talk about (Dư luận xã hội)
UNIT_OPINION = {
    "DB01": "Người dân quan tâm việc điều chỉnh giá điện và lịch tạm ngừng cấp điện để bảo dưỡng lưới điện mùa nắng nóng.",
    "DB02": "Người dân một số khu dân cư cuối nguồn phản ánh áp lực nước yếu vào giờ cao điểm mùa khô.",
    "DB03": "Người lao động quan tâm phương án sắp xếp mạng lưới bưu cục và điểm bưu điện văn hóa xã.",
    "DB04": "Người dân phản ánh rác thải tồn đọng tại một số điểm tập kết trong những ngày cao điểm.",
    "DB05": "Người lao động quan tâm việc tiêu thụ xi măng chậm, ảnh hưởng đến việc làm và thu nhập.",
    "DB06": "Khách hàng quan tâm các quy định mới về xác thực sinh trắc học khi giao dịch trực tuyến.",
    "DB07": "Người dân dọc các tuyến đường đang thi công phản ánh bụi và việc đi lại khó khăn vào ngày mưa.",
    "DB08": "Nông dân quan tâm chính sách tín dụng ưu đãi hỗ trợ khôi phục sản xuất nông nghiệp.",
    "CB01": "Dư luận đồng tình với việc công khai kết quả mở thưởng và nguồn thu nộp ngân sách của Công ty.",
    "CB02": "Người lao động quan tâm kết quả đấu thầu cung ứng thuốc, vật tư y tế cho các bệnh viện tuyến huyện.",
    "CB03": "Bà con nông dân quan tâm lịch lấy nước phục vụ gieo cấy vụ Đông Xuân và công tác phòng, chống hạn.",
    "CB04": "Người lao động lo lắng doanh thu sách, thiết bị giảm khi các trường tự lựa chọn sách giáo khoa.",
    "CB05": "Hành khách phản ánh tình trạng xe dù, bến cóc cạnh tranh không lành mạnh trên các tuyến liên tỉnh.",
    "CB06": "Người lao động quan tâm việc thanh toán chi phí tư vấn các dự án đã hoàn thành.",
}
NARRATIVE_POOLS: dict[str, tuple[tuple[str, str], ...]] = {  # section -> ((level, text), ...)
    "TU_TUONG": (
        ("", "Cán bộ, đảng viên và người lao động cơ bản yên tâm công tác, tin tưởng vào sự lãnh đạo của cấp ủy "
             "và Ban lãnh đạo {org}; chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước."),
        ("", "Tư tưởng cán bộ, đảng viên ổn định; đồng tình với chủ trương sắp xếp, tinh gọn tổ chức bộ máy "
             "của Trung ương và của Tỉnh ủy."),
        ("", "Sau học tập Chuyên đề năm {y}, cán bộ, đảng viên nâng cao ý thức tu dưỡng, rèn luyện; không có "
             "biểu hiện suy thoái về tư tưởng chính trị, đạo đức, lối sống."),
        ("", "Đảng viên trẻ tích cực tham gia phong trào thi đua, đăng ký đảm nhận các phần việc khó trong sản xuất."),
        ("CAN_QUAN_TAM", "Một bộ phận người lao động còn băn khoăn về việc làm và thu nhập khi sản lượng {q} "
                         "thấp hơn kế hoạch."),
        ("CAN_QUAN_TAM", "Một số đảng viên lớn tuổi, sắp nghỉ hưu ngại tham gia sinh hoạt chuyên đề, ít phát "
                         "biểu ý kiến trong sinh hoạt chi bộ."),
    ),
    "DU_LUAN": (
        ("", "Người lao động quan tâm việc điều chỉnh lương tối thiểu vùng và các chính sách bảo hiểm xã hội mới."),
        ("", "Cán bộ, người lao động đồng tình, đánh giá cao kết quả đấu tranh phòng, chống tham nhũng, tiêu cực "
             "và việc xử lý nghiêm các sai phạm được dư luận quan tâm."),
        ("", "Giá cả một số mặt hàng thiết yếu tăng ảnh hưởng đến đời sống của người lao động có thu nhập thấp."),
        ("", "Đội ngũ {CTV_DLXH} cộng tác viên dư luận xã hội nắm bắt, phản ánh kịp thời tâm tư, nguyện vọng "
             "của người lao động về cấp ủy."),
        ("CAN_QUAN_TAM", "Trên mạng xã hội xuất hiện thông tin chưa được kiểm chứng liên quan đến hoạt động của "
                         "doanh nghiệp; cấp ủy đã chỉ đạo cung cấp thông tin chính thức, định hướng dư luận kịp thời."),
    ),
    "KET_QUA": (
        ("", "Tổ chức {DOI_THOAI} buổi đối thoại giữa người đứng đầu và người lao động; các kiến nghị thuộc "
             "thẩm quyền được giải quyết ngay tại buổi đối thoại."),
        ("", "Ban hành {VAN_BAN_CHI_DAO} văn bản lãnh đạo, chỉ đạo; tổ chức {HN_TUYEN_TRUYEN} hội nghị tuyên "
             "truyền, quán triệt với {NGUOI_THAM_DU} lượt người tham dự."),
        ("", "Ứng dụng sổ tay đảng viên điện tử trong sinh hoạt chi bộ, giảm tài liệu giấy, nâng cao chất lượng "
             "sinh hoạt."),
        ("", "Cách làm hay: mỗi chi bộ đăng ký ít nhất một công trình, phần việc thiết thực gắn với nhiệm vụ sản "
             "xuất kinh doanh và chấm điểm thi đua hằng quý."),
        ("", "Phối hợp Công đoàn, Đoàn Thanh niên thăm hỏi, hỗ trợ người lao động có hoàn cảnh khó khăn với tổng "
             "kinh phí {AN_SINH} triệu đồng."),
        ("", "Duy trì mô hình “Chi bộ 4 tốt”; {cell} được biểu dương là điển hình trong sinh hoạt chuyên đề."),
    ),
    "HAN_CHE": (
        ("", "Nội dung sinh hoạt ở một số chi bộ còn chung chung, chưa gắn với nhiệm vụ chuyên môn; nguyên nhân "
             "là cấp ủy chi bộ chưa đầu tư chuẩn bị nội dung."),
        ("", "Việc nắm bắt tư tưởng người lao động ở các tổ, đội sản xuất phân tán còn chậm; đội ngũ cộng tác "
             "viên dư luận xã hội còn mỏng."),
        ("", "Tỷ lệ đảng viên có bài thu hoạch sau học tập nghị quyết chưa đạt yêu cầu do nhiều đảng viên làm việc "
             "theo ca, đi công trình xa."),
        ("", "Phát triển đảng viên trong công nhân trực tiếp sản xuất còn khó khăn, nguồn kết nạp ít."),
        ("CAN_QUAN_TAM", "Sản xuất kinh doanh gặp khó khăn, một số người lao động phải nghỉ luân phiên, ảnh hưởng "
                         "đến tư tưởng và thu nhập."),
    ),
    "BAI_HOC": (
        ("", "Cấp ủy phải bám sát cơ sở, nắm chắc tư tưởng cán bộ, đảng viên, người lao động để giải quyết kịp "
             "thời các vấn đề phát sinh ngay từ chi bộ."),
        ("", "Phát huy vai trò nêu gương của người đứng đầu cấp ủy và cán bộ quản lý."),
        ("", "Phối hợp chặt chẽ giữa cấp ủy với Ban Giám đốc, Công đoàn, Đoàn Thanh niên trong chăm lo đời sống "
             "người lao động."),
        ("", "Đổi mới nội dung, hình thức sinh hoạt chi bộ, lựa chọn chủ đề sát với thực tiễn đơn vị."),
    ),
    "KIEN_NGHI": (
        ("", "Đề nghị Đảng ủy Khối mở lớp bồi dưỡng nghiệp vụ công tác đảng cho cấp ủy viên, bí thư chi bộ mới "
             "được bầu."),
        ("", "Đề nghị Đảng ủy Khối hướng dẫn việc kiện toàn tổ chức đảng khi doanh nghiệp thực hiện cổ phần hóa, "
             "thoái vốn nhà nước."),
        ("", "Kiến nghị các sở, ngành của tỉnh quan tâm tháo gỡ vướng mắc về mặt bằng, thủ tục đầu tư cho doanh "
             "nghiệp."),
        ("", "Đề nghị tăng chỉ tiêu cử đảng viên đi học lớp Trung cấp lý luận chính trị hệ không tập trung."),
        ("", "Đề nghị cung cấp tài liệu sinh hoạt chuyên đề năm {ny} bằng bản điện tử."),
    ),
    "NHIEM_VU": (
        ("", "Tiếp tục quán triệt, triển khai các nghị quyết, chỉ thị của Trung ương, Tỉnh ủy và Đảng ủy Khối; "
             "thực hiện Chuyên đề năm {ny}."),
        ("", "Duy trì nền nếp sinh hoạt chi bộ định kỳ hằng tháng, sinh hoạt chuyên đề mỗi quý ít nhất một lần."),
        ("", "Làm tốt công tác nắm bắt tư tưởng, dư luận xã hội; giải quyết dứt điểm đơn thư còn tồn đọng."),
        ("", "Lãnh đạo hoàn thành kế hoạch sản xuất kinh doanh {next}; chăm lo việc làm, thu nhập cho người lao "
             "động."),
        ("", "Thực hiện tốt Quy chế dân chủ ở cơ sở; tổ chức đối thoại định kỳ giữa người đứng đầu và người lao "
             "động."),
    ),
}
NARRATIVE_COUNTS = {"TU_TUONG": (1, 2), "DU_LUAN": (0, 1), "KET_QUA": (1, 2), "HAN_CHE": (1, 1),
                    "BAI_HOC": (0, 1), "KIEN_NGHI": (0, 1), "NHIEM_VU": (1, 2)}
# what the season adds: (period or None for any, year or None, section, text)
SEASONAL: tuple[tuple[str | None, int | None, str, str], ...] = (
    ("Q1", None, "KET_QUA", "Tổ chức chu đáo các hoạt động chăm lo Tết Nguyên đán cho người lao động; phối hợp "
                            "Công đoàn tổ chức Hội nghị người lao động đúng quy định."),
    ("Q3", 2024, "KET_QUA", "Cán bộ, người lao động ủng hộ đồng bào bị thiệt hại do bão số 3 (Yagi); tham gia "
                            "khắc phục hậu quả bão tại địa bàn."),
    ("Q3", None, "NHIEM_VU", "Chuẩn bị đánh giá, xếp loại chất lượng tổ chức đảng, đảng viên cuối năm đúng quy định."),
    ("Q4", 2024, "NHIEM_VU", "Chuẩn bị chu đáo các điều kiện tiến tới đại hội đảng bộ nhiệm kỳ 2025–2030."),
    ("Y", 2024, "NHIEM_VU", "Lãnh đạo tổ chức thành công đại hội chi bộ, đảng bộ nhiệm kỳ 2025–2030."),
    ("Y", None, "KET_QUA", "Hoàn thành các chỉ tiêu sản xuất kinh doanh năm {y}; thu nhập bình quân của người lao "
                           "động được giữ ổn định."),
)
PERIOD_WORDS = {"Q1": "quý I", "Q2": "quý II", "Q3": "quý III", "Q4": "quý IV"}


def _period_words(year: int, period: str) -> tuple[str, str]:
    """('quý II năm 2024', 'quý III năm 2024') or ('năm 2024', 'năm 2025'): this period and the next."""
    if period == "Y":
        return f"năm {year}", f"năm {year + 1}"
    q = int(period[1])
    nxt = f"quý I năm {year + 1}" if q == 4 else f"{PERIOD_WORDS[f'Q{q + 1}']} năm {year}"
    return f"{PERIOD_WORDS[period]} năm {year}", nxt


def _figure(value: Any) -> str:
    """A report figure as the unit writes it in a sentence (1.234; 125,5)."""
    if isinstance(value, float):
        whole, frac = f"{value:.1f}".split(".")
        return f"{int(whole):,}".replace(",", ".") + ("," + frac if frac != "0" else "")
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


def narrative_sheet(u: Unit, year: int, period: str, elements: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The `Tình hình` rows one report writes, in the unit's layout; None when the workbook has no such sheet."""
    if year < NARRATIVE_FROM or (u.code, None, None) in NO_NARRATIVE or (u.code, year, period) in NO_NARRATIVE:
        return None
    r = _rng(u.code, year, period, "narrative")
    this, nxt = _period_words(year, period)
    fields = {"org": u.name.split(" ", 2)[-1],  # "Đảng bộ Công ty …" / "Chi bộ Công ty …": the enterprise
              "q": this, "next": nxt, "y": year, "ny": year + (period == "Y"), "cell": r.choice(u.cells).name}
    fields.update({k: _figure(v) for k, v in elements.items() if v is not None and not isinstance(v, bool)})
    picked: dict[str, list[tuple[str, str]]] = {}
    for section, pool in NARRATIVE_POOLS.items():
        low, high = NARRATIVE_COUNTS[section]
        if period == "Y" and section == "BAI_HOC":
            low, high = 1, 2  # the year-end review draws its lessons
        usable = [p for p in pool if "{AN_SINH}" not in p[1] or elements.get("AN_SINH") is not None]
        chosen = r.sample(usable, k=r.randint(low, high))
        # most flagged lines of the pools read as ordinary in most reports: a unit flags few things
        picked[section] = [(lvl if r.random() < 0.35 else "", text) for lvl, text in chosen]
    if u.code in UNIT_OPINION and r.random() < 0.6:
        picked["DU_LUAN"].insert(0, ("", UNIT_OPINION[u.code]))
    for when, y, section, text in SEASONAL:
        if when in (None, period) and y in (None, year):
            picked[section].append(("", text))
    planted = PLANTED_NARRATIVE.get((u.code, year, period))
    if planted:
        picked[planted[0]].insert(0, (planted[1], planted[2]))
    names = ALIAS_SECTION_TEXT if u.style == "aliases" else SECTION_TEXT
    rows: list[dict[str, Any]] = []
    for n, (section, lines) in enumerate(picked.items(), 1):
        for k, (level, text) in enumerate(lines):
            label = names[section]
            if u.code in NARRATIVE_NUMBERED:
                label = f"{n}. {label}"
            if k and u.code in NARRATIVE_SECTION_ONCE:
                label = None  # written once for the section, as in a typed report
            rows.append({"section": label, "content": text.format(**fields), "level": LEVEL_TEXT_N.get(level),
                         "code": section, "level_code": level or "BINH_THUONG"})  # the last two: for the facts
    return rows


# `Chỉ tiêu.Ghi chú`: what a unit writes beside a figure (element, text), some reports only
ELEMENT_NOTE_POOL: tuple[tuple[str, str], ...] = (
    ("HN_NLD", "Hội nghị người lao động tổ chức ngày {day}/{month}/{y}"),
    ("DOI_THOAI", "Trong đó {part} buổi đối thoại đột xuất theo đề nghị của Công đoàn"),
    ("NGUOI_THAM_DU", "Gồm cả hình thức trực tuyến"),
    ("TIEP_DAN", "Theo sổ tiếp dân của Văn phòng"),
    ("VAN_BAN_CHI_DAO", "Gồm nghị quyết, kế hoạch, hướng dẫn, công văn của cấp ủy"),
    ("GIAM_SAT", "Công đoàn {part} lượt, Đoàn Thanh niên còn lại"),
)


def element_notes(u: Unit, year: int, period: str, elements: dict[str, Any]) -> dict[str, str]:
    """The notes beside a few figures of one report (some reports have none)."""
    r = _rng(u.code, year, period, "notes")
    notes: dict[str, str] = {}
    if (u.code, year, period) in AN_SINH_BLANK:
        notes["AN_SINH"] = "Chưa tổng hợp xong số liệu các chi bộ; sẽ báo cáo bổ sung trong báo cáo quý sau"
    if (year, period) == (2024, "Q3") and elements.get("AN_SINH"):
        notes["AN_SINH"] = "Trong đó ủng hộ đồng bào bị thiệt hại do bão số 3"
    if r.random() < 0.35:
        code, text = r.choice(ELEMENT_NOTE_POOL)
        value = elements.get(code)
        if isinstance(value, int) and value > 0 and code not in notes:
            months = [m for m in range(1, 13) if period == "Y" or m in quarter_months(period)]
            notes[code] = text.format(day=f"{r.randint(5, 25):02d}", month=f"{r.choice(months):02d}", y=year,
                                      part=max(1, value // 3))
    return notes


# ------------------------------------------------------------------ writing, in each unit's style
YES_NO_STYLE = {"x_for_yes": ("x", "Không")}


def _yes(style: str, value: Any) -> Any:
    yes, no = YES_NO_STYLE.get(style, ("Có", "Không"))
    if value is None:
        return None
    return yes if value else no


def _date(style: str, value: dt.date | None) -> Any:
    if value is None:
        return None
    if style == "text_dates":
        return value.strftime("%d/%m/%Y")
    return dt.datetime(value.year, value.month, value.day)


def _num(style: str, value: Any) -> Any:
    """Numbers as typed: the bank staff type them as text with Vietnamese separators."""
    if value is None or style != "text_numbers":
        return value
    if isinstance(value, float):
        whole, frac = f"{value:.1f}".split(".")
        return f"{int(whole):,}".replace(",", ".") + ("," + frac if frac != "0" else "")
    return f"{value:,}".replace(",", ".") if value >= 1000 else str(value)


def _header(style: str, col) -> str:
    if style == "aliases" and col.aliases:
        return col.aliases[0]
    return col.header


def _title_rows(style: str, title: str, unit: Unit, year: int, period: str) -> list[list[Any]]:
    if style == "header_row4":
        return [[title], [f"Đơn vị: {unit.name} – {PERIOD_TEXT[period]} năm {year}"], []]
    if style == "stt_column":
        return [[title], ["(Kèm theo báo cáo định kỳ của Chi bộ)"]]
    return [[title]]


def sheets_for(rep: Report) -> list[tuple[str, list[list[Any]], int | None]]:
    """The workbook's sheets as (name, rows, header row index) in the unit's style."""
    u, st = rep.unit, rep.unit.style
    period_text = (ALIAS_PERIOD_TEXT if st == "aliases" else PERIOD_TEXT)[rep.period]
    if rep.period == "Y" and u.code in YEAR_IN_PERIOD:
        period_text = f"Năm {rep.year}"
    info_vals = {**rep.info, "period": period_text, "report_date": _date(st, rep.info["report_date"]),
                 "member_total": _num(st, rep.info["member_total"]), "staff_total": _num(st, rep.info["staff_total"])}
    if st == "stt_column":
        info_vals["unit_name"] = u.name.replace("Công ty TNHH MTV", "Cty")  # differs from the unit list: a warning
    info_rows: list[list[Any]] = [
        [f"BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH HÀNH ĐỘNG – {PERIOD_TEXT[rep.period].upper()} NĂM {rep.year}"], []]
    for col in INFO.columns:
        label = col.aliases[0] if (st == "aliases" and col.aliases) else col.header
        info_rows.append([label, info_vals.get(col.key)])
    sheets: list[tuple[str, list[list[Any]], int | None]] = [(INFO.name, info_rows, None)]

    def table(sheet, records: list[dict[str, Any]], convert) -> None:
        title = f"{sheet.name.upper()} – {sheet.description}"
        rows = _title_rows(st, title, u, rep.year, rep.period)
        headers = [_header(st, c) for c in sheet.columns]
        if st == "stt_column":
            headers = ["STT", *headers]
        hdr_index = len(rows)
        rows.append(headers)
        if st == "example_row" and sheet is ELEMENTS:
            rows.append(["Ví dụ: DOI_THOAI", 3, "Số buổi đối thoại (dòng mẫu, không tính)", None])
        for i, rec in enumerate(records, 1):
            vals = [convert(c, rec.get(c.key)) for c in sheet.columns]
            rows.append([i, *vals] if st == "stt_column" else vals)
        sheets.append((sheet.name, rows, hdr_index))

    def conv(c, v):
        if c.type == "yesno":
            return _yes(st, v)
        if c.type == "date":
            return _date(st, v)
        if c.type == "integer":
            return _num(st, v)
        if c.type == "enum" and v is not None:
            return _enum_text(st, c.enum, v)
        return v

    el_rows = []
    for el in DATA_ELEMENTS:
        v = rep.elements[el.code]
        if el.type == "yesno":
            v = _yes(st, v)
        else:
            v = _num(st, v)
        el_rows.append({"code": el.code, "raw_value": v, "content": el.label, "note": rep.notes.get(el.code)})
    table(ELEMENTS, el_rows, lambda c, v: v)  # values already written as the unit types them
    table(CELLS, rep.cells, conv)
    table(MEETINGS, rep.meetings, conv)
    table(TRAINEES, rep.trainees, conv)
    table(PETITIONS, rep.petitions, conv)
    if rep.narratives is not None:
        table(NARRATIVES, rep.narratives, lambda c, v: v)  # written already as the unit types it
    return sheets


def _enum_text(style: str, enum: str, code: str) -> str:
    if enum == "meeting_kind":
        return {"DINH_KY": "Thường kỳ" if style == "aliases" else "Định kỳ", "CHUYEN_DE": "Chuyên đề"}[code]
    if enum == "rating":
        return (ALIAS_RATING_TEXT if style == "aliases" else RATING_TEXT)[code]
    if enum == "petition_kind":
        return (ALIAS_PETITION_KIND_TEXT if style == "aliases" else PETITION_KIND_TEXT)[code]
    if enum == "petition_status":
        return (ALIAS_STATUS_TEXT if style == "aliases" else STATUS_TEXT)[code]
    if enum == "training_level":
        return LEVEL_TEXT[code]
    return code  # already text (cell kind, training mode)


def _nfd(value: Any) -> Any:
    return unicodedata.normalize("NFD", value) if isinstance(value, str) else value


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save with fixed document properties and zip timestamps (openpyxl's save stamps 'now')."""
    wb.properties.created = DOC_TIME
    wb.properties.modified = DOC_TIME
    wb.properties.creator = "Văn phòng Đảng ủy"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook: it would overwrite `modified`
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():  # re-pack: worksheet entries carry the wall-clock time
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, zin.read(item.filename))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def write_report(rep: Report, path: Path) -> None:
    """Write one report workbook in its unit's style."""
    nfd = (rep.unit.code, rep.year, rep.period) == NFD_FILE
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, rows, hdr in sheets_for(rep):
        ws = wb.create_sheet(_nfd(name) if nfd else name)
        for row in rows:
            ws.append([_nfd(v) if nfd else v for v in row])
        ws["A1"].font = Font(bold=True, size=12)
        if hdr is not None:
            width = len(rows[hdr])
            for j in range(1, width + 1):
                c = ws.cell(row=hdr + 1, column=j)
                c.font = bold
                c.alignment = Alignment(wrap_text=True, vertical="center")
                ws.column_dimensions[c.column_letter].width = 16
            if rep.unit.style == "header_row4":
                ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        else:
            ws.column_dimensions["A"].width = 36
            ws.column_dimensions["B"].width = 44
        for r in ws.iter_rows():
            for c in r:
                if isinstance(c.value, dt.datetime):
                    c.number_format = "DD/MM/YYYY"
    save_deterministic(wb, path)


def write_units(units: list[Unit], path: Path) -> None:
    """Write the unit list workbook (sheet `Đơn vị`)."""
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_LIST.name
    ws.append(["DANH SÁCH TỔ CHỨC ĐẢNG TRỰC THUỘC ĐẢNG BỘ KHỐI DOANH NGHIỆP TỈNH"])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([c.header for c in UNIT_LIST.columns])
    kind_text = {"DBCS": "Đảng bộ cơ sở", "CBCS": "Chi bộ cơ sở", "DBCT": "Đảng bộ cấp trên cơ sở"}
    for u in units:
        ws.append([u.code, u.name, kind_text[u.kind], u.parent, u.inactive_from])
    for j, w in enumerate((12, 70, 26, 20, 24), 1):
        ws.cell(row=2, column=j).font = Font(bold=True)
        ws.column_dimensions[ws.cell(row=2, column=j).column_letter].width = w
    save_deterministic(wb, path)


# ------------------------------------------------------------------ hand-countable facts
def _cell_code(unit: str, suffix: str | None) -> str:
    return unit if suffix is None else f"{unit}-{suffix}"


def expected_facts(units: list[Unit], reports: list[Report]) -> dict[str, Any]:
    """Facts the generator knows, for tests and for checking the dashboard by hand."""
    current: dict[tuple[str, int, str], Report] = {}
    for rep in reports:
        current[(rep.unit.code, rep.year, rep.period)] = rep
    reporting = {y: sorted(u.code for u in units if u.reports_in(y)) for y in YEARS}
    facts: dict[str, Any] = {
        "root": "ROOT",
        "units_in_list": len(units),
        "reporting_units": {str(y): v for y, v in reporting.items()},
        "files": len(reports),
        "current_submissions": len(current),
        "missing_reports": [f"{u}_{y}_{p}" for u, y, p in sorted(MISSING_REPORTS)],
        "resubmitted": f"{RESUBMITTED[0]}_{RESUBMITTED[1]}_{RESUBMITTED[2]}",
        "late_reports": sorted(f"{u}_{y}_{p}" for u, y, p in LATE),
        "nfd_file": f"{NFD_FILE[0]}_{NFD_FILE[1]}_{NFD_FILE[2]}",
        "cells_khtnv": sorted(f"{u}/{_cell_code(u, s)}/{y}" for (u, s, y), r in RATING_OVERRIDES.items()
                              if r == "KHTNV"),
        "missed_meeting_months": sorted(f"{_cell_code(u, s)} {m:02d}/{y}" for u, s, y, m in MISSED_MONTHS),
        "trainees": {}, "petitions": {}, "year_totals": {}, "quarter_totals": {},
    }
    for y in YEARS:
        persons: dict[str, set] = {"CAO_CAP": set(), "TRUNG_CAP": set(), "SO_CAP": set()}
        for rep in current.values():
            for p in rep.trainees:
                if p["year_sent"] == y:
                    persons[p["level"]].add((p["full_name"], p["birth_date"]))
        facts["trainees"][str(y)] = {k: len(v) for k, v in persons.items()}
        # year totals of `sum` elements over annual reports (every reporting unit has one)
        sums = {el.code: 0 for el in DATA_ELEMENTS if el.aggregation == "sum"}
        for (code, yy, p), rep in current.items():
            if yy == y and p == "Y":
                for k in sums:
                    sums[k] += rep.elements[k] or 0
        facts["year_totals"][str(y)] = {k: round(v, 1) for k, v in sums.items()}
        for q in QUARTERS:
            qs = {k: 0 for k in sums}
            for (code, yy, p), rep in current.items():
                if yy == y and p == q:
                    for k in qs:
                        qs[k] += rep.elements[k] or 0
            facts["quarter_totals"][f"{y}-{q}"] = {k: round(v, 1) for k, v in qs.items()}
    facts["narratives"] = {}
    flagged = []
    for (code, y, p), rep in sorted(current.items()):
        if rep.narratives is None:
            continue
        key = f"{y}-{p}"
        entry = facts["narratives"].setdefault(key, {"rows": 0, "units": 0})
        entry["rows"] += len(rep.narratives)
        entry["units"] += 1
        flagged += [f"{code}_{y}_{p} {r['level_code']} {r['code']}" for r in rep.narratives
                    if r["level_code"] != "BINH_THUONG"]
    facts["narrative_flagged"] = sorted(flagged)
    facts["element_notes"] = sum(len(rep.notes) for rep in current.values())
    pets = build_petitions(units)
    for y in YEARS:
        got = [p for p in pets if p.received.year == y]
        facts["petitions"][str(y)] = {
            "received": len(got),
            "over_level": sum(p.over_level for p in got),
            "resolved_late": sum(1 for p in got if p.resolved and p.resolved > p.effective_deadline),
            "pending_end_2025": sum(1 for p in got if p.closing_status == "DA_GIAI_QUYET" and p.resolved is None),
        }
    return facts


# ------------------------------------------------------------------ entry point
def generate(out: Path) -> dict[str, Any]:
    """Write units.xlsx, every workbook, manifest.csv and expected.json under `out`; return the facts."""
    units = build_units()
    reports = build_reports(units)
    for stale in sorted((out / "workbooks").glob("*/*.xlsx")):
        stale.unlink()  # a planted variation may have moved: no leftover workbook may stay behind
    write_units(units, out / "units.xlsx")
    for rep in reports:
        write_report(rep, out / rep.file)
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["file", "received_at", "uploader"])
        for rep in reports:
            w.writerow([rep.file, rep.received_at.isoformat(timespec="seconds"), rep.uploader])
    facts = expected_facts(units, reports)
    (out / "expected.json").write_text(json.dumps(facts, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                       encoding="utf-8")
    return facts


def main(argv: list[str] | None = None) -> int:
    """Command line: regenerate the sample into sample_data/ (or --out DIR)."""
    ap = argparse.ArgumentParser(description="Sinh dữ liệu mẫu của Đảng bộ Khối Doanh nghiệp tỉnh")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent), help="thư mục đích")
    args = ap.parse_args(argv)
    facts = generate(Path(args.out))
    print(f"Đã sinh {facts['files']} tệp báo cáo, {facts['units_in_list']} đơn vị vào {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
