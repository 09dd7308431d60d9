"""Data elements of indicators-v1.md (sheet `Chỉ tiêu`), declared once as data.

The loader validates `Chỉ tiêu` rows against these types; the engine aggregates them by `aggregation`.
Sources are seed file names in ../shared/seeds/.
"""
from __future__ import annotations

from dataclasses import dataclass

S000 = "000_a7b9f1726d7cbe11.txt"
S001 = "001_64c2e156f5a86ec1.txt"
S002 = "002_958b683d31464fa5.txt"
S003 = "003_f419a87c4d8ad39d.txt"
S004 = "004_95172dd7090c906d.txt"
# how a person names each source document (its number, as written on it): pages show these, not file names
SOURCE_NAMES = {
    S000: "Chương trình hành động số 26-CTtr/ĐU",
    S001: "Chương trình hành động nâng cao chất lượng sinh hoạt chi bộ (Đảng ủy Khối các cơ quan tỉnh)",
    S002: "Kế hoạch số 05-KH/ĐUK",
    S003: "Kế hoạch số 205-KH/BTCTW",
    S004: "Hội nghị giao ban Tuyên giáo, Dân vận Quý I/2024 (Đảng ủy Khối Doanh nghiệp Trung ương)",
}
SOURCE_SHORT = {S000: "26-CTtr/ĐU", S001: "CTHĐ sinh hoạt chi bộ", S002: "05-KH/ĐUK", S003: "205-KH/BTCTW",
                S004: "Giao ban Quý I/2024"}


@dataclass(frozen=True)
class DataElement:
    """One reported figure: code, Vietnamese label, value type, how reports of one unit combine, sources."""

    code: str
    label: str
    type: str  # "integer" | "money" | "yesno"
    aggregation: str  # "sum" | "latest" | "any"
    sources: tuple[str, ...]


DATA_ELEMENTS: tuple[DataElement, ...] = (
    DataElement("QUAN_TRIET_NQ", "Cấp ủy đã tổ chức phổ biến, quán triệt Nghị quyết", "yesno", "any", (S000,)),
    DataElement("NGUOI_QUAN_TRIET", "Số cán bộ, đảng viên, người lao động được phổ biến, quán triệt", "integer", "latest", (S000,)),
    DataElement("DV_THU_HOACH", "Số đảng viên có bài thu hoạch sau học tập", "integer", "latest", (S000, S002)),
    DataElement("QCDC", "Ban hành và thực hiện Quy chế dân chủ ở cơ sở", "yesno", "any", (S000,)),
    DataElement("QD_TIEP_DAN", "Ban hành và thực hiện quy định tiếp đảng viên và công dân", "yesno", "any", (S000,)),
    DataElement("KH_TU_TUONG", "Có kế hoạch công tác tư tưởng năm", "yesno", "any", (S000, S002)),
    DataElement("HN_NLD", "Số hội nghị người lao động đã tổ chức", "integer", "sum", (S000,)),
    DataElement("DOI_THOAI", "Số buổi đối thoại với cán bộ, người lao động", "integer", "sum", (S000, S002, S004)),
    DataElement("GOP_Y_XD_DANG", "Số đợt góp ý xây dựng Đảng", "integer", "sum", (S000,)),
    DataElement("VAN_BAN_CHI_DAO", "Số văn bản lãnh đạo, chỉ đạo, hướng dẫn đã ban hành", "integer", "sum", (S004,)),
    DataElement("HN_TUYEN_TRUYEN", "Số hội nghị, cuộc họp tuyên truyền, quán triệt", "integer", "sum", (S004,)),
    DataElement("NGUOI_THAM_DU", "Số lượt người tham dự hội nghị tuyên truyền", "integer", "sum", (S004,)),
    DataElement("TIEP_DAN", "Số buổi tiếp dân", "integer", "sum", (S004,)),
    DataElement("GIAM_SAT", "Số lượt giám sát của Công đoàn, Đoàn Thanh niên", "integer", "sum", (S004,)),
    DataElement("PHAN_BIEN", "Số nội dung góp ý, phản biện", "integer", "sum", (S004,)),
    DataElement("AN_SINH", "Kinh phí hỗ trợ an sinh xã hội (triệu đồng)", "money", "sum", (S004,)),
    DataElement("CTV_DLXH", "Số cộng tác viên dư luận xã hội", "integer", "latest", (S000, S002)),
)

ELEMENTS_BY_CODE: dict[str, DataElement] = {e.code: e for e in DATA_ELEMENTS}

# A reported count larger than this is a typing slip, not a figure (the largest, people reached by
# propaganda meetings across a province, stays far below). Element values are stored as DOUBLE, which
# holds whole numbers exactly only up to 2**53; the bound keeps them well inside.
ELEMENT_INTEGER_MAX = 1_000_000_000
