"""The 26 indicators of indicators-v1.md and the activity figures, declared once as data.

metrics/engine.py computes every indicator from its declaration: the type of its `params` names the engine
kind, and the fields are that kind's parameters. Adding an indicator of an existing kind is adding one
`Indicator(...)` here. Kinds:
- UnitRatio       units counted whose element value passes (op, value | "ended_quarters")
- UnitSumRatio    Σ element / Σ report field (staff_total | member_total) over units reporting both
- CellRatio       cells counted (filtered by `where`) passing `test`
- CellCount       number of cells counted (filtered by `where`) passing `test`
- CellSumRatio    Σ num columns / Σ den columns over cells counted (filtered by `where`)
- MeetingCellRatio  cells with ≥1 meeting of `meeting_kind` in every ended month|quarter of the window
- MeetingRatio    Σ num / Σ den over the window's deduplicated meetings of `meeting_kind`
- PersonCount     distinct persons (name, birth date, level) of `level` sent in the year
- PetitionRatio   in-competence petitions resolved by their deadline (pending ones not yet due excluded)
- PetitionCount   petitions received in the window passing `where`
- ReportRatio     expected (unit, period) reports that were `received` or `on_time`
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from loaders.elements import DATA_ELEMENTS, S000, S001, S002

# Page groups, in display order.
G_TUYEN_GIAO = "Tuyên giáo – Dân vận"
G_SINH_HOAT = "Sinh hoạt chi bộ"
G_XEP_LOAI = "Xếp loại chất lượng"
G_LLCT = "Đào tạo LLCT"
G_DON_THU = "Đơn thư"
G_BAO_CAO = "Báo cáo"
GROUPS: tuple[str, ...] = (G_TUYEN_GIAO, G_SINH_HOAT, G_XEP_LOAI, G_LLCT, G_DON_THU, G_BAO_CAO)

PCT = "%"
EQ100 = {"op": "=", "value": 100}
ZERO = {"op": "=", "value": 0}
GOOD = ("HTXSNV", "HTTNV")
ALL_RATINGS = ("dv_xuat_sac", "dv_tot", "dv_hoan_thanh", "dv_khong_hoan_thanh")

Predicate = tuple[str, str, Any]  # (column, op, value): op one of = >= > <= < in "is not"


# ------------------------------------------------------------------ kinds and their parameters
@dataclass(frozen=True)
class UnitRatio:
    """Units counted whose element value passes `op value` (value "ended_quarters": the window's count)."""
    KIND: ClassVar[str] = "unit_ratio"
    element: str
    op: str
    value: float | Literal["ended_quarters"]


@dataclass(frozen=True)
class UnitSumRatio:
    """Σ element / Σ a report field over units that reported both."""
    KIND: ClassVar[str] = "unit_sum_ratio"
    element: str
    den_field: Literal["staff_total", "member_total"]


@dataclass(frozen=True)
class CellRatio:
    """Cells (filtered by `where`) passing `test`, over all of them."""
    KIND: ClassVar[str] = "cell_ratio"
    test: Predicate
    where: tuple[Predicate, ...] = ()


@dataclass(frozen=True)
class CellCount:
    """The number of cells (filtered by `where`) passing `test`."""
    KIND: ClassVar[str] = "cell_count"
    test: Predicate
    where: tuple[Predicate, ...] = ()


@dataclass(frozen=True)
class CellSumRatio:
    """Σ numerator columns / Σ denominator columns over cells (filtered by `where`)."""
    KIND: ClassVar[str] = "cell_sum_ratio"
    num: tuple[str, ...]
    den: tuple[str, ...]
    where: tuple[Predicate, ...] = ()


@dataclass(frozen=True)
class MeetingCellRatio:
    """Cells with a meeting of `meeting_kind` in every ended month (or quarter) of the window."""
    KIND: ClassVar[str] = "meeting_cell_ratio"
    meeting_kind: str
    every: Literal["month", "quarter"]


@dataclass(frozen=True)
class MeetingRatio:
    """Σ num / Σ den over the window's meetings of `meeting_kind` (den None: the number of meetings)."""
    KIND: ClassVar[str] = "meeting_ratio"
    meeting_kind: str
    num: Literal["attended", "ideological"]
    den: Literal["required"] | None


@dataclass(frozen=True)
class PersonCount:
    """Distinct persons of `level` sent to training in the year."""
    KIND: ClassVar[str] = "person_count"
    level: str


@dataclass(frozen=True)
class PetitionRatio:
    """In-competence petitions received in the window, resolved by their deadline."""
    KIND: ClassVar[str] = "petition_ratio"


@dataclass(frozen=True)
class PetitionCount:
    """Petitions received in the window passing `where`."""
    KIND: ClassVar[str] = "petition_count"
    where: Predicate


@dataclass(frozen=True)
class ReportRatio:
    """Expected (unit, period) reports received (`received`) or received on time (`on_time`)."""
    KIND: ClassVar[str] = "report_ratio"
    test: Literal["received", "on_time"]


Params = (UnitRatio | UnitSumRatio | CellRatio | CellCount | CellSumRatio | MeetingCellRatio | MeetingRatio
          | PersonCount | PetitionRatio | PetitionCount | ReportRatio)


@dataclass(frozen=True)
class Indicator:
    """One indicator: contract id, Vietnamese name, the short name a projector shows, unit, parameters of its
    engine kind, default target, source seed files, page group and formula in words."""

    id: str
    name: str
    short: str  # fits an axis label or a slide row ("Chi bộ sinh hoạt định kỳ hằng tháng")
    unit: str  # "%" | "người" | "đơn" | "chi bộ"
    params: Params
    target: dict | None
    sources: tuple[str, ...]
    group: str
    formula: str  # the formula in Vietnamese words (docs, tooltips)
    root_only: bool = False  # target judged only for the root scope; narrower scopes get no_target
    target_from: int | None = None  # default target applies from this year on; before: no_target
    notes: str = ""  # edge rules shown in docs/indicators.md
    # the target is reached over a whole year: before the year is over a value short of it is in_progress
    annual: bool = False
    # the drill-down's words for an item's own figures (a unit, a cell, a meeting's cell): "" = the kind's
    # default in DRILL_WORDS; they replace "Tử số / Mẫu số", which the leadership does not use
    value_label: str = ""
    num_label: str = ""
    den_label: str = ""

    @property
    def kind(self) -> str:
        """The engine kind, named by the type of the parameters."""
        return getattr(self.params, "KIND", type(self.params).__name__)

    @property
    def code(self) -> str:
        """The short code people say: 'I01'."""
        return short_code(self.id)

    @property
    def elements(self) -> tuple[str, ...]:
        """The data elements this indicator reads."""
        element = getattr(self.params, "element", None)
        return (element,) if element else ()

    @property
    def is_percent(self) -> bool:
        """True for ratio indicators whose value is a percentage 0–100."""
        return self.unit == PCT


def short_code(indicator_id: str) -> str:
    """'I01_QUAN_TRIET_TO_CHUC' -> 'I01' (the part before the first underscore)."""
    return indicator_id.split("_", 1)[0]


def _i(id, short, name, unit, params, target, sources, group, formula, **kw) -> Indicator:
    return Indicator(id, name, short, unit, params, target, tuple(sources), group, formula, **kw)


INDICATORS: tuple[Indicator, ...] = (
    _i("I01_QUAN_TRIET_TO_CHUC", "Tổ chức đảng quán triệt Nghị quyết",
       "Tỷ lệ tổ chức đảng trực thuộc đã phổ biến, quán triệt Nghị quyết", PCT,
       UnitRatio("QUAN_TRIET_NQ", "=", 1), EQ100, [S000], G_TUYEN_GIAO,
       "Số đơn vị có QUAN_TRIET_NQ = Có / số đơn vị có báo cáo trong kỳ"),
    _i("I02_QUAN_TRIET_NGUOI", "Người được quán triệt Nghị quyết",
       "Tỷ lệ cán bộ, đảng viên, người lao động được phổ biến, quán triệt", PCT,
       UnitSumRatio("NGUOI_QUAN_TRIET", "staff_total"), EQ100, [S000], G_TUYEN_GIAO,
       "Σ NGUOI_QUAN_TRIET / Σ Tổng số cán bộ, người lao động (chỉ các đơn vị báo cáo cả hai số)",
       num_label="Số người được quán triệt", den_label="Tổng số cán bộ, người lao động"),
    _i("I03_QCDC", "Cấp ủy thực hiện Quy chế dân chủ",
       "Tỷ lệ cấp ủy ban hành và thực hiện Quy chế dân chủ ở cơ sở", PCT,
       UnitRatio("QCDC", "=", 1), EQ100, [S000], G_TUYEN_GIAO,
       "Số đơn vị có QCDC = Có / số đơn vị có báo cáo trong kỳ"),
    _i("I04_MO_HINH_4_TOT", "Chi bộ triển khai mô hình 4 tốt",
       "Tỷ lệ chi bộ triển khai mô hình \"Chi bộ 4 tốt\"", PCT,
       CellRatio(("mo_hinh_4_tot", "=", True)), EQ100, [S000], G_XEP_LOAI,
       "Số chi bộ có Mô hình 4 tốt = Có / số chi bộ trong báo cáo mới nhất của mỗi đơn vị"),
    _i("I05_QD_TIEP_DAN", "Cấp ủy có quy định tiếp dân",
       "Tỷ lệ cấp ủy ban hành quy định tiếp đảng viên và công dân", PCT,
       UnitRatio("QD_TIEP_DAN", "=", 1), EQ100, [S000], G_TUYEN_GIAO,
       "Số đơn vị có QD_TIEP_DAN = Có / số đơn vị có báo cáo trong kỳ"),
    _i("I06_HN_NGUOI_LAO_DONG", "Đơn vị tổ chức Hội nghị NLĐ",
       "Tỷ lệ đơn vị tổ chức Hội nghị người lao động hằng năm", PCT,
       UnitRatio("HN_NLD", ">=", 1), EQ100, [S000], G_TUYEN_GIAO,
       "Số đơn vị có HN_NLD ≥ 1 / số đơn vị có báo cáo trong kỳ", annual=True),
    _i("I07_CAO_CAP_LLCT", "Cử đi học Cao cấp LLCT",
       "Số đảng viên được cử đi học Cao cấp lý luận chính trị trong năm", "người",
       PersonCount("CAO_CAP"), {"op": "range", "min": 5, "max": 10}, [S000], G_LLCT,
       "Số người (họ tên, ngày sinh, trình độ) khác nhau, trình độ Cao cấp, Năm cử đi học = năm xem",
       root_only=True, annual=True),
    _i("I08_TRUNG_CAP_LLCT", "Cử đi học Trung cấp LLCT",
       "Số đảng viên được cử đi học Trung cấp lý luận chính trị trong năm", "người",
       PersonCount("TRUNG_CAP"), {"op": "range", "min": 10, "max": 20}, [S000], G_LLCT,
       "Số người (họ tên, ngày sinh, trình độ) khác nhau, trình độ Trung cấp, Năm cử đi học = năm xem",
       root_only=True, annual=True),
    _i("I09_DON_THU_DUNG_HAN", "Đơn thư giải quyết đúng hạn",
       "Tỷ lệ đơn thư được giải quyết kịp thời, đúng quy định", PCT,
       PetitionRatio(), EQ100, [S000], G_DON_THU,
       "Đơn thuộc thẩm quyền nhận trong kỳ, giải quyết xong trước hoặc đúng hạn / tất cả các đơn đó "
       "(trừ đơn đang giải quyết chưa đến hạn tại ngày xem)"),
    _i("I10_DON_VUOT_CAP", "Đơn thư vượt cấp",
       "Số đơn thư vượt cấp", "đơn",
       PetitionCount(("over_level", "=", True)), ZERO, [S000], G_DON_THU,
       "Số đơn nhận trong kỳ có Vượt cấp = Có", target_from=2026),
    _i("I11_CB_CO_SO_TOT", "Chi bộ cơ sở HTTNV trở lên",
       "Tỷ lệ chi bộ cơ sở hoàn thành tốt nhiệm vụ trở lên", PCT,
       CellRatio(("rating", "in", GOOD), (("cell_kind", "=", "CBCS"), ("rating", "is not", None))),
       {"op": ">", "value": 80}, [S001], G_XEP_LOAI,
       "Số chi bộ cơ sở xếp loại HTXSNV hoặc HTTNV / số chi bộ cơ sở được xếp loại"),
    _i("I12_CB_TRUC_THUOC_TOT", "Chi bộ trực thuộc HTTNV trở lên",
       "Tỷ lệ chi bộ trực thuộc hoàn thành tốt nhiệm vụ trở lên", PCT,
       CellRatio(("rating", "in", GOOD), (("cell_kind", "=", "CBTT"), ("rating", "is not", None))),
       {"op": ">=", "value": 85}, [S001], G_XEP_LOAI,
       "Số chi bộ trực thuộc xếp loại HTXSNV hoặc HTTNV / số chi bộ trực thuộc được xếp loại"),
    _i("I13_CB_KHONG_HOAN_THANH", "Chi bộ không hoàn thành NV",
       "Số chi bộ không hoàn thành nhiệm vụ", "chi bộ",
       CellCount(("rating", "=", "KHTNV"), (("rating", "is not", None),)),
       ZERO, [S001], G_XEP_LOAI,
       "Số chi bộ được xếp loại Không hoàn thành nhiệm vụ"),
    _i("I14_DV_HTTNV", "Đảng viên HTTNV trở lên",
       "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên", PCT,
       CellSumRatio(("dv_xuat_sac", "dv_tot"), ALL_RATINGS),
       {"op": ">", "value": 95}, [S001], G_XEP_LOAI,
       "Σ (ĐV hoàn thành xuất sắc + tốt) / Σ (bốn mức xếp loại đảng viên)",
       num_label="Số ĐV hoàn thành tốt trở lên", den_label="Số ĐV được xếp loại"),
    _i("I15_DV_HTXSNV", "Đảng viên HTXSNV",
       "Tỷ lệ đảng viên hoàn thành xuất sắc nhiệm vụ", PCT,
       CellSumRatio(("dv_xuat_sac",), ALL_RATINGS),
       {"op": ">=", "value": 15}, [S001], G_XEP_LOAI,
       "Σ ĐV hoàn thành xuất sắc / Σ (bốn mức xếp loại đảng viên)",
       num_label="Số ĐV hoàn thành xuất sắc", den_label="Số ĐV được xếp loại"),
    _i("I16_SH_DINH_KY", "Sinh hoạt định kỳ hằng tháng",
       "Tỷ lệ chi bộ sinh hoạt định kỳ đủ mỗi tháng một lần", PCT,
       MeetingCellRatio("DINH_KY", "month"), EQ100, [S001, S000], G_SINH_HOAT,
       "Số chi bộ có ít nhất 1 buổi sinh hoạt Định kỳ trong mỗi tháng đã kết thúc của kỳ / số chi bộ",
       value_label="Số tháng có sinh hoạt định kỳ"),
    _i("I17_DU_SINH_HOAT", "Đảng viên dự sinh hoạt",
       "Tỷ lệ đảng viên dự sinh hoạt chi bộ", PCT,
       MeetingRatio("DINH_KY", "attended", "required"),
       {"op": ">", "value": 90}, [S001], G_SINH_HOAT,
       "Σ Số ĐV dự / Σ Số ĐV phải dự của các buổi sinh hoạt Định kỳ trong kỳ",
       num_label="Số lượt ĐV dự", den_label="Số lượt ĐV phải dự"),
    _i("I18_GOP_Y_6_KY", "ĐV góp ý từ 6 kỳ/năm",
       "Tỷ lệ đảng viên đóng góp ý kiến trong sinh hoạt từ 6 kỳ/năm", PCT,
       CellSumRatio(("dv_gop_y_6",), ("members",), (("period", "=", "Y"),)),
       EQ100, [S001], G_SINH_HOAT,
       "Σ ĐV góp ý từ 6 kỳ trở lên / Σ Số đảng viên, trên các chi bộ của báo cáo Năm",
       num_label="Số ĐV góp ý từ 6 kỳ trở lên", den_label="Số đảng viên"),
    _i("I19_SH_CHUYEN_DE", "Sinh hoạt chuyên đề hằng quý",
       "Tỷ lệ chi bộ sinh hoạt chuyên đề mỗi quý một lần", PCT,
       MeetingCellRatio("CHUYEN_DE", "quarter"), EQ100, [S001], G_SINH_HOAT,
       "Số chi bộ có ít nhất 1 buổi sinh hoạt Chuyên đề trong mỗi quý đã kết thúc của kỳ / số chi bộ",
       value_label="Số quý có sinh hoạt chuyên đề"),
    _i("I20_DOI_THOAI", "Đơn vị tổ chức đối thoại",
       "Tỷ lệ đơn vị tổ chức đối thoại ít nhất một lần một năm", PCT,
       UnitRatio("DOI_THOAI", ">=", 1), EQ100, [S000, S002], G_TUYEN_GIAO,
       "Số đơn vị có DOI_THOAI ≥ 1 trong kỳ / số đơn vị có báo cáo trong kỳ", annual=True),
    _i("I21_GOP_Y_HANG_QUY", "Góp ý xây dựng Đảng hằng quý",
       "Tỷ lệ đơn vị tổ chức góp ý xây dựng Đảng định kỳ 3 tháng/lần", PCT,
       UnitRatio("GOP_Y_XD_DANG", ">=", "ended_quarters"), EQ100, [S000],
       G_TUYEN_GIAO,
       "Số đơn vị có GOP_Y_XD_DANG trong kỳ ≥ số quý đã kết thúc của kỳ / số đơn vị có báo cáo trong kỳ"),
    _i("I22_THU_HOACH", "Đảng viên có bài thu hoạch",
       "Tỷ lệ đảng viên có bài thu hoạch", PCT,
       UnitSumRatio("DV_THU_HOACH", "member_total"), EQ100, [S000, S002],
       G_TUYEN_GIAO,
       "Σ DV_THU_HOACH / Σ Tổng số đảng viên (chỉ các đơn vị có báo cáo DV_THU_HOACH)",
       num_label="Số ĐV có bài thu hoạch", den_label="Tổng số đảng viên"),
    _i("I23_KH_TU_TUONG", "Có kế hoạch công tác tư tưởng",
       "Tỷ lệ cấp ủy có kế hoạch công tác tư tưởng năm", PCT,
       UnitRatio("KH_TU_TUONG", "=", 1), EQ100, [S000, S002], G_TUYEN_GIAO,
       "Số đơn vị có KH_TU_TUONG = Có / số đơn vị có báo cáo trong kỳ"),
    _i("I24_NOI_DUNG_TU_TUONG", "Sinh hoạt có nội dung tư tưởng",
       "Tỷ lệ buổi sinh hoạt định kỳ có nội dung công tác tư tưởng", PCT,
       MeetingRatio("DINH_KY", "ideological", None), EQ100, [S000],
       G_SINH_HOAT,
       "Số buổi sinh hoạt Định kỳ có nội dung tư tưởng / tất cả các buổi sinh hoạt Định kỳ trong kỳ",
       num_label="Số buổi có nội dung tư tưởng", den_label="Số buổi sinh hoạt định kỳ"),
    _i("I25_NOP_BAO_CAO", "Báo cáo đã nộp",
       "Tỷ lệ báo cáo đã nộp (đầy đủ)", PCT,
       ReportRatio("received"), EQ100, [], G_BAO_CAO,
       "Số cặp (đơn vị, kỳ) đã nhận / số báo cáo phải nộp: đơn vị đang hoạt động × kỳ đã kết thúc"),
    _i("I26_NOP_DUNG_HAN", "Báo cáo nộp đúng hạn",
       "Tỷ lệ báo cáo nộp đúng hạn", PCT,
       ReportRatio("on_time"), EQ100, [], G_BAO_CAO,
       "Số cặp (đơn vị, kỳ) có lần nộp được chấp nhận đầu tiên không muộn hơn hạn nộp / số báo cáo phải nộp"),
)

INDICATORS_BY_ID: dict[str, Indicator] = {i.id: i for i in INDICATORS}

# kinds whose result lists the units (or UNIT/CELL) behind; the other kinds always give behind = []
BEHIND_KINDS = frozenset({"unit_ratio", "cell_ratio", "meeting_cell_ratio", "report_ratio"})


# What a drill-down's item-level figure columns mean, per engine kind; None: the column says nothing at
# that level (an item of a "% of units" indicator is 1 or 0, which the "Đạt" column already says).
DRILL_WORDS: dict[str, dict[str, str | None]] = {
    "unit_ratio": {"value": "Số liệu báo cáo", "numerator": None, "denominator": None},
    "unit_sum_ratio": {"value": "Tỷ lệ (%)", "numerator": "Tử số", "denominator": "Mẫu số"},
    "cell_ratio": {"value": None, "numerator": None, "denominator": None},
    "cell_count": {"value": None, "numerator": None, "denominator": None},
    "cell_sum_ratio": {"value": "Tỷ lệ (%)", "numerator": "Tử số", "denominator": "Mẫu số"},
    "meeting_cell_ratio": {"value": "Số kỳ có sinh hoạt", "numerator": None, "denominator": None},
    "meeting_ratio": {"value": "Tỷ lệ (%)", "numerator": "Tử số", "denominator": "Mẫu số"},
    "person_count": {"value": None, "numerator": None, "denominator": None},
    "petition_ratio": {"value": "Số ngày giải quyết", "numerator": None, "denominator": None},
    "petition_count": {"value": None, "numerator": None, "denominator": None},
    "report_ratio": {"value": "So với hạn nộp", "numerator": None, "denominator": None},
}


def drill_words(ind: Indicator) -> dict[str, str | None]:
    """{column: heading, or None to leave it out} for an indicator's drill-down figure columns."""
    words = dict(DRILL_WORDS.get(ind.kind, {}))
    for col, own in (("value", ind.value_label), ("numerator", ind.num_label), ("denominator", ind.den_label)):
        if own:
            words[col] = own
    return words


# ------------------------------------------------------------------ activities (seed 004's figures)
@dataclass(frozen=True)
class Activity:
    """One activity figure of the `activities` object: code, label, short label, unit counted in."""

    code: str
    label: str
    short: str
    unit: str


_ACTIVITY_WORDS = {  # code -> (short label, unit)
    "HN_NLD": ("Hội nghị người lao động", "hội nghị"), "DOI_THOAI": ("Buổi đối thoại", "buổi"),
    "GOP_Y_XD_DANG": ("Đợt góp ý xây dựng Đảng", "đợt"), "VAN_BAN_CHI_DAO": ("Văn bản chỉ đạo", "văn bản"),
    "HN_TUYEN_TRUYEN": ("Hội nghị tuyên truyền", "hội nghị"), "NGUOI_THAM_DU": ("Lượt người dự", "lượt người"),
    "TIEP_DAN": ("Buổi tiếp dân", "buổi"), "GIAM_SAT": ("Lượt giám sát", "lượt"),
    "PHAN_BIEN": ("Góp ý, phản biện", "nội dung"), "AN_SINH": ("An sinh xã hội", "triệu đồng"),
}
ACTIVITIES: tuple[Activity, ...] = tuple(
    Activity(e.code, e.label, *_ACTIVITY_WORDS.get(e.code, (e.label, ""))) for e in DATA_ELEMENTS
    if e.aggregation == "sum") + (
    Activity("DON_THU_NHAN", "Số đơn thư nhận", "Đơn thư nhận", "đơn"),
    Activity("DON_THU_QUA_HAN", "Số đơn thư quá hạn chưa giải quyết", "Đơn quá hạn", "đơn"),
    Activity("DON_THU_SO_NGAY_TB", "Số ngày giải quyết đơn thư trung bình", "Ngày giải quyết TB", "ngày"),
)
ACTIVITIES_BY_CODE: dict[str, Activity] = {a.code: a for a in ACTIVITIES}
