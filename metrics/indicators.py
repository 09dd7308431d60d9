"""The 26 indicators of indicators-v1.md, declared once as data; metrics/engine.py computes them by kind.

Adding an indicator of an existing kind is adding one `Indicator(...)` here. Kinds and their params:
- unit_ratio      units counted whose element value passes `test` (element, op, value|"ended_quarters")
- unit_sum_ratio  Σ element / Σ report field (staff_total | member_total) over units reporting both
- cell_ratio      cells counted (filtered by `where`) passing `test`
- cell_count      number of cells counted (filtered by `where`) passing `test`
- cell_sum_ratio  Σ num columns / Σ den columns over cells counted (filtered by `where`)
- meeting_cell_ratio  cells with ≥1 meeting of `meeting_kind` in every ended month|quarter of the window
- meeting_ratio   Σ num / Σ den over the window's deduplicated meetings of `meeting_kind`
- person_count    distinct persons (name, birth date, level) of `level` sent in the year
- petition_ratio  in-competence petitions resolved by their deadline (pending ones not yet due excluded)
- petition_count  petitions received in the window passing `where`
- report_ratio    expected (unit, period) reports that were `received` or `on_time`
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loaders.elements import S000, S001, S002

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


@dataclass(frozen=True)
class Indicator:
    """One indicator: contract id, Vietnamese name and formula, unit, engine kind with its parameters,
    default target, target rules, source seed files and page group."""

    id: str
    name: str
    unit: str  # "%" | "người" | "đơn" | "chi bộ"
    kind: str
    params: dict[str, Any]
    target: dict | None
    sources: tuple[str, ...]
    group: str
    formula: str  # the formula in Vietnamese words (docs, tooltips)
    root_only: bool = False  # target judged only for the root scope; narrower scopes get no_target
    target_from: int | None = None  # default target applies from this year on; before: no_target
    notes: str = ""  # edge rules shown in docs/indicators.md
    elements: tuple[str, ...] = field(default=())  # data elements read (checked against elements.py)

    @property
    def is_percent(self) -> bool:
        """True for ratio indicators whose value is a percentage 0–100."""
        return self.unit == PCT


def _i(id, name, unit, kind, params, target, sources, group, formula, **kw) -> Indicator:
    elements = tuple(v for k, v in params.items() if k in ("element",))
    return Indicator(id, name, unit, kind, params, target, tuple(sources), group, formula,
                     elements=elements, **kw)


INDICATORS: tuple[Indicator, ...] = (
    _i("I01_QUAN_TRIET_TO_CHUC", "Tỷ lệ tổ chức đảng trực thuộc đã phổ biến, quán triệt Nghị quyết", PCT,
       "unit_ratio", {"element": "QUAN_TRIET_NQ", "op": "=", "value": 1}, EQ100, [S000], G_TUYEN_GIAO,
       "Số đơn vị có QUAN_TRIET_NQ = Có / số đơn vị có báo cáo trong kỳ"),
    _i("I02_QUAN_TRIET_NGUOI", "Tỷ lệ cán bộ, đảng viên, người lao động được phổ biến, quán triệt", PCT,
       "unit_sum_ratio", {"element": "NGUOI_QUAN_TRIET", "den_field": "staff_total"}, EQ100, [S000], G_TUYEN_GIAO,
       "Σ NGUOI_QUAN_TRIET / Σ Tổng số cán bộ, người lao động (chỉ các đơn vị báo cáo cả hai số)"),
    _i("I03_QCDC", "Tỷ lệ cấp ủy ban hành và thực hiện Quy chế dân chủ ở cơ sở", PCT,
       "unit_ratio", {"element": "QCDC", "op": "=", "value": 1}, EQ100, [S000], G_TUYEN_GIAO,
       "Số đơn vị có QCDC = Có / số đơn vị có báo cáo trong kỳ"),
    _i("I04_MO_HINH_4_TOT", "Tỷ lệ chi bộ triển khai mô hình \"Chi bộ 4 tốt\"", PCT,
       "cell_ratio", {"where": (), "test": ("mo_hinh_4_tot", "=", True)}, EQ100, [S000], G_XEP_LOAI,
       "Số chi bộ có Mô hình 4 tốt = Có / số chi bộ trong báo cáo mới nhất của mỗi đơn vị"),
    _i("I05_QD_TIEP_DAN", "Tỷ lệ cấp ủy ban hành quy định tiếp đảng viên và công dân", PCT,
       "unit_ratio", {"element": "QD_TIEP_DAN", "op": "=", "value": 1}, EQ100, [S000], G_TUYEN_GIAO,
       "Số đơn vị có QD_TIEP_DAN = Có / số đơn vị có báo cáo trong kỳ"),
    _i("I06_HN_NGUOI_LAO_DONG", "Tỷ lệ đơn vị tổ chức Hội nghị người lao động hằng năm", PCT,
       "unit_ratio", {"element": "HN_NLD", "op": ">=", "value": 1}, EQ100, [S000], G_TUYEN_GIAO,
       "Số đơn vị có HN_NLD ≥ 1 / số đơn vị có báo cáo trong kỳ"),
    _i("I07_CAO_CAP_LLCT", "Số đảng viên được cử đi học Cao cấp lý luận chính trị trong năm", "người",
       "person_count", {"level": "CAO_CAP"}, {"op": "range", "min": 5, "max": 10}, [S000], G_LLCT,
       "Số người (họ tên, ngày sinh, trình độ) khác nhau, trình độ Cao cấp, Năm cử đi học = năm xem",
       root_only=True),
    _i("I08_TRUNG_CAP_LLCT", "Số đảng viên được cử đi học Trung cấp lý luận chính trị trong năm", "người",
       "person_count", {"level": "TRUNG_CAP"}, {"op": "range", "min": 10, "max": 20}, [S000], G_LLCT,
       "Số người (họ tên, ngày sinh, trình độ) khác nhau, trình độ Trung cấp, Năm cử đi học = năm xem",
       root_only=True),
    _i("I09_DON_THU_DUNG_HAN", "Tỷ lệ đơn thư được giải quyết kịp thời, đúng quy định", PCT,
       "petition_ratio", {}, EQ100, [S000], G_DON_THU,
       "Đơn thuộc thẩm quyền nhận trong kỳ, giải quyết xong trước hoặc đúng hạn / tất cả các đơn đó "
       "(trừ đơn đang giải quyết chưa đến hạn tại ngày xem)"),
    _i("I10_DON_VUOT_CAP", "Số đơn thư vượt cấp", "đơn",
       "petition_count", {"where": ("over_level", "=", True)}, ZERO, [S000], G_DON_THU,
       "Số đơn nhận trong kỳ có Vượt cấp = Có", target_from=2026),
    _i("I11_CB_CO_SO_TOT", "Tỷ lệ chi bộ cơ sở hoàn thành tốt nhiệm vụ trở lên", PCT,
       "cell_ratio", {"where": (("cell_kind", "=", "CBCS"), ("rating", "is not", None)),
                      "test": ("rating", "in", GOOD)},
       {"op": ">", "value": 80}, [S001], G_XEP_LOAI,
       "Số chi bộ cơ sở xếp loại HTXSNV hoặc HTTNV / số chi bộ cơ sở được xếp loại"),
    _i("I12_CB_TRUC_THUOC_TOT", "Tỷ lệ chi bộ trực thuộc hoàn thành tốt nhiệm vụ trở lên", PCT,
       "cell_ratio", {"where": (("cell_kind", "=", "CBTT"), ("rating", "is not", None)),
                      "test": ("rating", "in", GOOD)},
       {"op": ">=", "value": 85}, [S001], G_XEP_LOAI,
       "Số chi bộ trực thuộc xếp loại HTXSNV hoặc HTTNV / số chi bộ trực thuộc được xếp loại"),
    _i("I13_CB_KHONG_HOAN_THANH", "Số chi bộ không hoàn thành nhiệm vụ", "chi bộ",
       "cell_count", {"where": (("rating", "is not", None),), "test": ("rating", "=", "KHTNV")},
       ZERO, [S001], G_XEP_LOAI,
       "Số chi bộ được xếp loại Không hoàn thành nhiệm vụ"),
    _i("I14_DV_HTTNV", "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên", PCT,
       "cell_sum_ratio", {"num": ("dv_xuat_sac", "dv_tot"), "den": ALL_RATINGS, "where": ()},
       {"op": ">", "value": 95}, [S001], G_XEP_LOAI,
       "Σ (ĐV hoàn thành xuất sắc + tốt) / Σ (bốn mức xếp loại đảng viên)"),
    _i("I15_DV_HTXSNV", "Tỷ lệ đảng viên hoàn thành xuất sắc nhiệm vụ", PCT,
       "cell_sum_ratio", {"num": ("dv_xuat_sac",), "den": ALL_RATINGS, "where": ()},
       {"op": ">=", "value": 15}, [S001], G_XEP_LOAI,
       "Σ ĐV hoàn thành xuất sắc / Σ (bốn mức xếp loại đảng viên)"),
    _i("I16_SH_DINH_KY", "Tỷ lệ chi bộ sinh hoạt định kỳ đủ mỗi tháng một lần", PCT,
       "meeting_cell_ratio", {"meeting_kind": "DINH_KY", "every": "month"}, EQ100, [S001, S000], G_SINH_HOAT,
       "Số chi bộ có ít nhất 1 buổi sinh hoạt Định kỳ trong mỗi tháng đã kết thúc của kỳ / số chi bộ"),
    _i("I17_DU_SINH_HOAT", "Tỷ lệ đảng viên dự sinh hoạt chi bộ", PCT,
       "meeting_ratio", {"meeting_kind": "DINH_KY", "num": "attended", "den": "required"},
       {"op": ">", "value": 90}, [S001], G_SINH_HOAT,
       "Σ Số ĐV dự / Σ Số ĐV phải dự của các buổi sinh hoạt Định kỳ trong kỳ"),
    _i("I18_GOP_Y_6_KY", "Tỷ lệ đảng viên đóng góp ý kiến trong sinh hoạt từ 6 kỳ/năm", PCT,
       "cell_sum_ratio", {"num": ("dv_gop_y_6",), "den": ("members",), "where": (("period", "=", "Y"),)},
       EQ100, [S001], G_SINH_HOAT,
       "Σ ĐV góp ý từ 6 kỳ trở lên / Σ Số đảng viên, trên các chi bộ của báo cáo Năm"),
    _i("I19_SH_CHUYEN_DE", "Tỷ lệ chi bộ sinh hoạt chuyên đề mỗi quý một lần", PCT,
       "meeting_cell_ratio", {"meeting_kind": "CHUYEN_DE", "every": "quarter"}, EQ100, [S001], G_SINH_HOAT,
       "Số chi bộ có ít nhất 1 buổi sinh hoạt Chuyên đề trong mỗi quý đã kết thúc của kỳ / số chi bộ"),
    _i("I20_DOI_THOAI", "Tỷ lệ đơn vị tổ chức đối thoại ít nhất một lần một năm", PCT,
       "unit_ratio", {"element": "DOI_THOAI", "op": ">=", "value": 1}, EQ100, [S000, S002], G_TUYEN_GIAO,
       "Số đơn vị có DOI_THOAI ≥ 1 trong kỳ / số đơn vị có báo cáo trong kỳ"),
    _i("I21_GOP_Y_HANG_QUY", "Tỷ lệ đơn vị tổ chức góp ý xây dựng Đảng định kỳ 3 tháng/lần", PCT,
       "unit_ratio", {"element": "GOP_Y_XD_DANG", "op": ">=", "value": "ended_quarters"}, EQ100, [S000],
       G_TUYEN_GIAO,
       "Số đơn vị có GOP_Y_XD_DANG trong kỳ ≥ số quý đã kết thúc của kỳ / số đơn vị có báo cáo trong kỳ"),
    _i("I22_THU_HOACH", "Tỷ lệ đảng viên có bài thu hoạch", PCT,
       "unit_sum_ratio", {"element": "DV_THU_HOACH", "den_field": "member_total"}, EQ100, [S000, S002],
       G_TUYEN_GIAO,
       "Σ DV_THU_HOACH / Σ Tổng số đảng viên (chỉ các đơn vị có báo cáo DV_THU_HOACH)"),
    _i("I23_KH_TU_TUONG", "Tỷ lệ cấp ủy có kế hoạch công tác tư tưởng năm", PCT,
       "unit_ratio", {"element": "KH_TU_TUONG", "op": "=", "value": 1}, EQ100, [S000, S002], G_TUYEN_GIAO,
       "Số đơn vị có KH_TU_TUONG = Có / số đơn vị có báo cáo trong kỳ"),
    _i("I24_NOI_DUNG_TU_TUONG", "Tỷ lệ buổi sinh hoạt định kỳ có nội dung công tác tư tưởng", PCT,
       "meeting_ratio", {"meeting_kind": "DINH_KY", "num": "ideological", "den": None}, EQ100, [S000],
       G_SINH_HOAT,
       "Số buổi sinh hoạt Định kỳ có nội dung tư tưởng / tất cả các buổi sinh hoạt Định kỳ trong kỳ"),
    _i("I25_NOP_BAO_CAO", "Tỷ lệ báo cáo đã nộp (đầy đủ)", PCT,
       "report_ratio", {"test": "received"}, EQ100, [], G_BAO_CAO,
       "Số cặp (đơn vị, kỳ) đã nhận / số báo cáo phải nộp: đơn vị đang hoạt động × kỳ đã kết thúc"),
    _i("I26_NOP_DUNG_HAN", "Tỷ lệ báo cáo nộp đúng hạn", PCT,
       "report_ratio", {"test": "on_time"}, EQ100, [], G_BAO_CAO,
       "Số cặp (đơn vị, kỳ) có lần nộp được chấp nhận đầu tiên không muộn hơn hạn nộp / số báo cáo phải nộp"),
)

INDICATORS_BY_ID: dict[str, Indicator] = {i.id: i for i in INDICATORS}

# kinds whose result lists the units (or UNIT/CELL) behind; the other kinds always give behind = []
BEHIND_KINDS = frozenset({"unit_ratio", "cell_ratio", "meeting_cell_ratio", "report_ratio"})
