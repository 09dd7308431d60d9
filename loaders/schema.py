"""The workbook of template-v1.md declared as data: sheets, headers, aliases, types, enumerations, rules.

Nothing here reads a file. `loaders/validate.py` is the backend that applies these declarations;
`loaders/template.py` writes the blank workbook from them. Stored enum values are the ASCII codes below;
the first label of each enum member is the canonical Vietnamese text shown to users.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------- enumerations
# enum name -> {stored code: [canonical label, aliases...]}
ENUMS: dict[str, dict[str, list[str]]] = {
    "unit_kind": {
        "DBCS": ["Đảng bộ cơ sở"],
        "CBCS": ["Chi bộ cơ sở"],
    },
    "unit_list_kind": {
        "DBCS": ["Đảng bộ cơ sở"],
        "CBCS": ["Chi bộ cơ sở"],
        "DBCT": ["Đảng bộ cấp trên cơ sở"],
    },
    "period": {
        "Q1": ["Quý I", "Quý 1", "Q1", "I"],
        "Q2": ["Quý II", "Quý 2", "Q2", "II"],
        "Q3": ["Quý III", "Quý 3", "Q3", "III"],
        "Q4": ["Quý IV", "Quý 4", "Q4", "IV"],
        "Y": ["Năm", "Cả năm"],  # "Năm 2024" etc. handled by the period parser
    },
    "cell_kind": {
        "CBCS": ["Chi bộ cơ sở"],
        "CBTT": ["Chi bộ trực thuộc"],
    },
    "rating": {
        "HTXSNV": ["Hoàn thành xuất sắc nhiệm vụ", "HTXSNV", "Xuất sắc"],
        "HTTNV": ["Hoàn thành tốt nhiệm vụ", "HTTNV", "Tốt"],
        "HTNV": ["Hoàn thành nhiệm vụ", "HTNV"],
        "KHTNV": ["Không hoàn thành nhiệm vụ", "KHTNV"],
    },
    "meeting_kind": {
        "DINH_KY": ["Định kỳ", "Thường kỳ"],
        "CHUYEN_DE": ["Chuyên đề"],
    },
    "training_level": {
        "CAO_CAP": ["Cao cấp"],
        "TRUNG_CAP": ["Trung cấp"],
        "SO_CAP": ["Sơ cấp"],
    },
    "training_mode": {
        "TAP_TRUNG": ["Tập trung"],
        "KHONG_TAP_TRUNG": ["Không tập trung"],
    },
    "petition_kind": {
        "KHIEU_NAI": ["Khiếu nại"],
        "TO_CAO": ["Tố cáo"],
        "KIEN_NGHI": ["Kiến nghị, phản ánh", "Kiến nghị", "Phản ánh"],
    },
    "petition_status": {
        "DA_GIAI_QUYET": ["Đã giải quyết"],
        "DANG_GIAI_QUYET": ["Đang giải quyết"],
        "CHUYEN_DON": ["Chuyển cơ quan có thẩm quyền", "Chuyển đơn"],
        "LUU_DON": ["Lưu đơn"],
    },
    # sheet `Tình hình`: the sections a unit writes about (seeds 000, 001, 002 and 004's review), in the
    # order the review report compiles them
    "narrative_section": {
        "TU_TUONG": ["Tình hình tư tưởng", "Tư tưởng", "Tình hình tư tưởng cán bộ, đảng viên"],
        "DU_LUAN": ["Dư luận xã hội", "Dư luận", "Tình hình dư luận xã hội"],
        "KET_QUA": ["Kết quả nổi bật, cách làm hay", "Kết quả nổi bật", "Cách làm hay",
                    "Kết quả nổi bật và cách làm hay", "Mô hình, cách làm hay"],
        "HAN_CHE": ["Hạn chế, khó khăn và nguyên nhân", "Hạn chế, khó khăn", "Hạn chế", "Khó khăn",
                    "Hạn chế và nguyên nhân", "Hạn chế, nguyên nhân", "Tồn tại, hạn chế"],
        "BAI_HOC": ["Bài học kinh nghiệm", "Bài học"],
        "KIEN_NGHI": ["Kiến nghị, đề xuất", "Kiến nghị", "Đề xuất", "Kiến nghị và đề xuất"],
        "NHIEM_VU": ["Nhiệm vụ trọng tâm kỳ tới", "Nhiệm vụ kỳ tới", "Nhiệm vụ trọng tâm",
                     "Phương hướng, nhiệm vụ kỳ tới", "Phương hướng nhiệm vụ", "Nhiệm vụ trọng tâm quý tới",
                     "Nhiệm vụ trọng tâm năm tới"],
    },
    "narrative_level": {
        "BINH_THUONG": ["Bình thường"],
        "CAN_QUAN_TAM": ["Cần quan tâm", "Quan tâm"],
        "NOI_COM": ["Nổi cộm"],
    },
}

PERIOD_LABELS = {code: labels[0] for code, labels in ENUMS["period"].items()}


def enum_label(enum: str, code: str | None) -> str | None:
    """The canonical Vietnamese label of a stored enum code."""
    if code is None:
        return None
    return ENUMS[enum][code][0]


# ---------------------------------------------------------------- bounds of whole numbers
# Integer cells are stored in 32-bit INTEGER columns (core/tables.py): a larger number used to pass
# validation and then fail the INSERT. Counts of people get a bound the domain suggests instead; anything
# above it is a typing slip (the whole Party has about 5.5 million members, and the largest enterprise
# of a province a few hundred thousand staff).
INTEGER_MAX = 2_147_483_647  # the INTEGER column's range: the bound of an integer column that names none
MAX_MEMBERS = 1_000_000  # members of one unit or cell, people expected at or attending one meeting
MAX_STAFF = 10_000_000  # staff of one unit

# ---------------------------------------------------------------- limits of written text (sheet `Tình hình`)
# A unit's narrative is read by people and compiled into the committee's review report: a cell holds one
# point (a paragraph or a few), not a pasted document. About a page of A4 at 13 pt is ~3,000 characters;
# ten pages per report is more than any unit writes for a quarter. Excel itself stops a cell at 32,767.
MAX_NARRATIVE_CELL = 3_000  # characters in one `Nội dung` cell (after trimming; line breaks count)
MAX_NARRATIVE_TOTAL = 30_000  # characters in the whole sheet of one workbook


# ---------------------------------------------------------------- declarations
@dataclass(frozen=True)
class Column:
    """One column of a table sheet (or one label of the key/value sheet)."""

    key: str  # stored column name
    header: str  # canonical Vietnamese header / label
    type: str  # code | text | longtext | integer | money | yesno | date | enum | year | period
    required: bool = False  # header must be present and every row must have a value
    aliases: tuple[str, ...] = ()
    enum: str | None = None
    annual_only: bool = False  # ignored with a warning in a quarterly report
    default: Any = None  # value used when the cell is empty
    min: int | None = None
    max: int | None = None  # year: the range; integer: the largest value (INTEGER_MAX when None);
    # longtext: the most characters a cell may hold
    # an empty cell takes the value of the row above (a section written once for several rows, or merged
    # cells, whose value belongs to the top-left cell only); empty on the first row: as any empty cell
    carry: bool = False
    width: int = 18  # column width in the blank template
    note: str = ""  # instruction line in the blank template

    @property
    def names(self) -> list[str]:
        """Every accepted spelling: the header and its aliases."""
        return [self.header, *self.aliases]


@dataclass(frozen=True)
class Rule:
    """A row or sheet rule applied after the cells were coerced; `kind` names the backend check.

    kinds: le (a <= b), sum_le (sum(cols) <= b), unique (cols unique in the sheet),
    not_before (a >= b when both present), required_if (a present when col == value),
    exists_in (a is a key of another sheet's column), total_length_le (the characters of a text column
    over the whole sheet at most `value`).
    """

    kind: str
    columns: tuple[str, ...]
    other: str | None = None
    value: Any = None
    sheet: str | None = None
    message: str = ""
    severity: str = "error"


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook: its name and aliases, layout, columns and rules."""

    key: str  # stored table name
    name: str  # canonical sheet name
    layout: str  # "keyvalue" | "table"
    required: bool
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    aliases: tuple[str, ...] = ()
    description: str = ""

    @property
    def names(self) -> list[str]:
        """Every accepted sheet name."""
        return [self.name, *self.aliases]

    def column(self, key: str) -> Column:
        """The declared column with this key."""
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


INFO = Sheet(
    key="info",
    name="Thông tin",
    layout="keyvalue",
    required=True,
    description="Thông tin chung về đơn vị và kỳ báo cáo",
    columns=(
        Column("unit_code", "Mã đơn vị", "code", required=True, note="Mã do Văn phòng Đảng ủy cấp, ví dụ DB01"),
        Column("unit_name", "Tên đơn vị", "text", required=True),
        Column("unit_kind", "Loại hình", "enum", required=True, aliases=("Loại tổ chức",), enum="unit_kind"),
        Column("parent_code", "Mã đơn vị cấp trên", "code", note="Để trống nếu trực thuộc Đảng ủy cấp trên trực tiếp"),
        Column("year", "Năm báo cáo", "year", required=True, aliases=("Năm",), min=2000, max=2100),
        Column("period", "Kỳ báo cáo", "period", required=True, aliases=("Kỳ",), enum="period"),
        Column("report_date", "Ngày lập báo cáo", "date"),
        Column("preparer", "Người lập", "text"),
        Column("member_total", "Tổng số đảng viên", "integer", required=True, max=MAX_MEMBERS,
               note="Tại thời điểm cuối kỳ báo cáo"),
        Column("staff_total", "Tổng số cán bộ, người lao động", "integer", aliases=("Tổng số người lao động",),
               max=MAX_STAFF, note="Toàn bộ cán bộ, người lao động, kể cả đảng viên"),
    ),
)

ELEMENTS = Sheet(
    key="elements",
    name="Chỉ tiêu",
    layout="table",
    required=True,
    description="Giá trị các chỉ tiêu trong kỳ; để trống nghĩa là không báo cáo (không phải số 0)",
    columns=(
        Column("code", "Mã chỉ tiêu", "code", required=True, width=20),
        Column("raw_value", "Giá trị", "element_value", required=True, width=14),
        Column("content", "Nội dung", "text", width=60),
        Column("note", "Ghi chú", "text", width=30),
    ),
    rules=(Rule("unique", ("code",), message="Mã chỉ tiêu bị trùng"),),
)

CELLS = Sheet(
    key="cells",
    name="Chi bộ",
    layout="table",
    required=True,
    description="Mỗi chi bộ một dòng; Chi bộ cơ sở chỉ có một dòng là chính mình",
    columns=(
        Column("cell_code", "Mã chi bộ", "code", required=True),
        Column("cell_name", "Tên chi bộ", "text", required=True, width=32),
        Column("cell_kind", "Loại chi bộ", "enum", required=True, enum="cell_kind", width=20),
        Column("members", "Số đảng viên", "integer", required=True, max=MAX_MEMBERS, width=12),
        Column("rating", "Xếp loại chi bộ", "enum", enum="rating", annual_only=True, width=30),
        Column("dv_xuat_sac", "ĐV hoàn thành xuất sắc", "integer", annual_only=True, max=MAX_MEMBERS, width=14),
        Column("dv_tot", "ĐV hoàn thành tốt", "integer", annual_only=True, max=MAX_MEMBERS, width=14),
        Column("dv_hoan_thanh", "ĐV hoàn thành nhiệm vụ", "integer", annual_only=True, max=MAX_MEMBERS, width=14),
        Column("dv_khong_hoan_thanh", "ĐV không hoàn thành", "integer", annual_only=True, max=MAX_MEMBERS,
               width=14),
        Column("dv_gop_y_6", "ĐV góp ý từ 6 kỳ trở lên", "integer", annual_only=True, max=MAX_MEMBERS, width=14),
        Column("mo_hinh_4_tot", "Mô hình 4 tốt", "yesno", width=12),
    ),
    rules=(
        Rule("unique", ("cell_code",), message="Mã chi bộ bị trùng trong sheet"),
        Rule("sum_le", ("dv_xuat_sac", "dv_tot", "dv_hoan_thanh", "dv_khong_hoan_thanh"), other="members",
             message="Tổng số đảng viên được xếp loại lớn hơn Số đảng viên của chi bộ"),
        Rule("le", ("dv_gop_y_6",), other="members", message="Số ĐV góp ý từ 6 kỳ trở lên lớn hơn Số đảng viên"),
    ),
)

MEETINGS = Sheet(
    key="meetings",
    name="Sinh hoạt",
    layout="table",
    required=False,
    description="Các buổi sinh hoạt chi bộ đã tổ chức trong kỳ",
    columns=(
        Column("cell_code", "Mã chi bộ", "code", required=True),
        Column("meeting_date", "Ngày sinh hoạt", "date", required=True, width=14),
        Column("kind", "Loại sinh hoạt", "enum", required=True, enum="meeting_kind", width=14),
        Column("required", "Số ĐV phải dự", "integer", required=True, max=MAX_MEMBERS, width=12),
        Column("attended", "Số ĐV dự", "integer", required=True, max=MAX_MEMBERS, width=12),
        Column("ideological", "Có nội dung tư tưởng", "yesno", width=14),
        Column("topic", "Chủ đề", "text", width=40),
    ),
    rules=(
        Rule("exists_in", ("cell_code",), sheet="cells", other="cell_code",
             message="Mã chi bộ không có trong sheet Chi bộ"),
        Rule("le", ("attended",), other="required", message="Số ĐV dự lớn hơn Số ĐV phải dự"),
    ),
)

TRAINEES = Sheet(
    key="trainees",
    name="Đào tạo LLCT",
    layout="table",
    required=False,
    description="Đảng viên được cử đi học lý luận chính trị",
    columns=(
        Column("full_name", "Họ và tên", "text", required=True, aliases=("Họ tên",), width=28),
        Column("birth_date", "Ngày sinh", "date", required=True, width=14),
        Column("cell_code", "Mã chi bộ", "code"),
        Column("level", "Trình độ đào tạo", "enum", required=True, aliases=("Hệ đào tạo",), enum="training_level"),
        Column("year_sent", "Năm cử đi học", "year", required=True, min=2000, max=2100, width=12),
        Column("mode", "Hình thức", "enum", enum="training_mode"),
        Column("institution", "Cơ sở đào tạo", "text", width=32),
    ),
)

PETITIONS = Sheet(
    key="petitions",
    name="Đơn thư",
    layout="table",
    required=False,
    description="Sổ theo dõi đơn thư; đơn chưa giải quyết xong được chuyển sang báo cáo kỳ sau",
    columns=(
        Column("petition_no", "Số hiệu đơn", "text", required=True, aliases=("Số đơn",), width=14),
        Column("received_date", "Ngày nhận", "date", required=True, width=14),
        Column("kind", "Loại đơn", "enum", required=True, enum="petition_kind", width=20),
        Column("over_level", "Vượt cấp", "yesno", default=False, width=10),
        Column("in_competence", "Thuộc thẩm quyền", "yesno", default=True, width=12),
        Column("deadline", "Hạn giải quyết", "date", width=14, note="Để trống: Ngày nhận + 30 ngày"),
        Column("resolved_date", "Ngày giải quyết xong", "date", width=14),
        Column("status", "Tình trạng", "enum", required=True, enum="petition_status", width=26),
        Column("summary", "Nội dung tóm tắt", "text", width=40),
    ),
    rules=(
        Rule("unique", ("petition_no",), message="Số hiệu đơn bị trùng trong đơn vị"),
        Rule("not_before", ("resolved_date",), other="received_date", message="Ngày giải quyết xong trước Ngày nhận"),
        Rule("required_if", ("resolved_date",), other="status", value="DA_GIAI_QUYET",
             message="Đơn có Tình trạng “Đã giải quyết” phải có Ngày giải quyết xong"),
    ),
)

NARRATIVES = Sheet(
    key="narratives",
    name="Tình hình",
    layout="table",
    required=False,
    description=("Tình hình, kết quả, hạn chế, kiến nghị và nhiệm vụ kỳ tới bằng lời; mỗi ý một dòng, "
                 "nhiều dòng cho một mục, theo thứ tự"),
    columns=(
        Column("section", "Mục", "enum", required=True, enum="narrative_section", carry=True, width=34,
               aliases=("Mục báo cáo",),
               note="Chọn trong danh sách; để trống: cùng mục với dòng trên"),
        Column("content", "Nội dung", "longtext", required=True, max=MAX_NARRATIVE_CELL, width=90,
               aliases=("Nội dung báo cáo",),
               note=f"Tối đa {MAX_NARRATIVE_CELL:,} ký tự một ô".replace(",", ".")),
        Column("level", "Mức độ", "enum", enum="narrative_level", default="BINH_THUONG", width=16,
               note="Bình thường (để trống), Cần quan tâm hoặc Nổi cộm"),
    ),
    rules=(Rule("total_length_le", ("content",), value=MAX_NARRATIVE_TOTAL,
                message=(f"Tổng nội dung sheet Tình hình vượt quá {MAX_NARRATIVE_TOTAL:,} ký tự; hãy viết "
                         "ngắn gọn hơn").replace(",", ".")),),
)

SHEETS: tuple[Sheet, ...] = (INFO, ELEMENTS, CELLS, MEETINGS, TRAINEES, PETITIONS, NARRATIVES)
SHEETS_BY_KEY: dict[str, Sheet] = {s.key: s for s in SHEETS}
TABLE_SHEETS: tuple[Sheet, ...] = tuple(s for s in SHEETS if s.layout == "table")

# The unit list workbook of interfaces.md (`python -m loaders units`).
UNIT_LIST = Sheet(
    key="units",
    name="Đơn vị",
    layout="table",
    required=True,
    columns=(
        Column("code", "Mã đơn vị", "code", required=True),
        Column("name", "Tên đơn vị", "text", required=True, width=40),
        Column("kind", "Loại hình", "enum", required=True, enum="unit_list_kind", width=24),
        Column("parent_code", "Mã đơn vị cấp trên", "code"),
        Column("inactive_from", "Ngừng hoạt động từ năm", "year", min=2000, max=2100),
        Column("active_from", "Hoạt động từ năm", "year", min=2000, max=2100),
        # optional contacts for the office's reminders (issue 13); a list without these columns leaves the
        # stored contacts as they are
        Column("contact_name", "Người liên hệ", "text", width=26, note="Người nhận công văn đôn đốc"),
        Column("contact_email", "Email", "text", aliases=("Thư điện tử", "E-mail"), width=28,
               note="Địa chỉ nhận e-mail đôn đốc"),
        Column("contact_phone", "Điện thoại", "text", aliases=("Số điện thoại", "SĐT"), width=16),
    ),
    rules=(Rule("unique", ("code",), message="Mã đơn vị bị trùng"),),
)
CONTACT_KEYS = ("contact_name", "contact_email", "contact_phone")

HEADER_SEARCH_ROWS = 15
EXAMPLE_PREFIX = "ví dụ"

# Plausibility checks between a `Chỉ tiêu` figure and a `Thông tin` total: a warning, never a rejection
# (DHIS2-style validation rules). The people reached cannot outnumber the staff, nor the members who
# wrote a reflection the members; a breach usually means a typing slip or a wrong total.
ELEMENT_CEILINGS: tuple[tuple[str, str], ...] = (
    ("NGUOI_QUAN_TRIET", "staff_total"),
    ("DV_THU_HOACH", "member_total"),
)
