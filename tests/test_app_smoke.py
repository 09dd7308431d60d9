"""AppTest over every page of the dashboard on a small organisation loaded through the real loader.

The organisation (built once per module into a DuckDB file in tmp): a Đảng bộ cơ sở with two cells
(DB01), a second one (DB02), a Chi bộ cơ sở (CB03) and a Đảng bộ cơ sở (DB04) under an intermediate
committee (DBCT01); reports for 2023 and 2024, one late, one resubmitted, petitions and trainees.
"""
from __future__ import annotations

import datetime as dt
import html
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from streamlit.testing.v1 import AppTest

from core.auth import ensure_demo_accounts
from core.config import load_config
from loaders.store import ingest_bytes
from loaders.schema import UNIT_LIST
from core.storage import open_database
from loaders.units import load_unit_list_bytes
from tests.builders import info_values, sign_in, write_workbook

APP = Path(__file__).resolve().parent.parent / "app.py"
ROOT = load_config().root_code
UNITS = [  # code, name, kind label, parent
    ("DB01", "Đảng bộ Công ty Điện lực", "Đảng bộ cơ sở", None),
    ("DB02", "Đảng bộ Công ty Cấp thoát nước", "Đảng bộ cơ sở", None),
    ("CB03", "Chi bộ Công ty Xổ số kiến thiết", "Chi bộ cơ sở", None),
    ("DBCT01", "Đảng bộ Tổng công ty Thương mại", "Đảng bộ cấp trên cơ sở", None),
    ("DB04", "Đảng bộ Công ty Bia", "Đảng bộ cơ sở", "DBCT01"),
]
PAGES = ["pages/tong_quan.py", "pages/nop_bao_cao.py", "pages/sinh_hoat.py", "pages/dao_tao.py",
         "pages/don_thu.py", "pages/tuyen_giao.py", "pages/so_sanh.py", "pages/tinh_hinh.py", "pages/quan_tri.py",
         "pages/don_doc.py", "pages/don_vi.py"]


def unit_list_bytes(rows=UNITS) -> bytes:
    """A unit-list workbook (sheet `Đơn vị`) written with openpyxl."""
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_LIST.name
    ws.append(["Mã đơn vị", "Tên đơn vị", "Loại hình", "Mã đơn vị cấp trên", "Ngừng hoạt động từ năm"])
    for code, name, kind, parent in rows:
        ws.append([code, name, kind, parent, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def elements(qcdc: str = "Có", dialogues: int = 2, docs: int = 5) -> dict:
    """`Chỉ tiêu` values of a plausible quarterly report."""
    return {"QUAN_TRIET_NQ": "Có", "NGUOI_QUAN_TRIET": 100, "DV_THU_HOACH": 18, "QCDC": qcdc,
            "QD_TIEP_DAN": "Có", "KH_TU_TUONG": "Có", "HN_NLD": 1, "DOI_THOAI": dialogues, "GOP_Y_XD_DANG": 1,
            "VAN_BAN_CHI_DAO": docs, "HN_TUYEN_TRUYEN": 3, "NGUOI_THAM_DU": 250, "TIEP_DAN": 4,
            "GIAM_SAT": 2, "PHAN_BIEN": 3, "AN_SINH": "12,5", "CTV_DLXH": 3}


def cells_for(unit: str, kind: str, annual: bool) -> list[dict]:
    """The `Chi bộ` rows of a unit (with ratings in an annual report)."""
    if kind == "Chi bộ cơ sở":
        rows = [{"cell_code": unit, "cell_name": f"Chi bộ {unit}", "cell_kind": "Chi bộ cơ sở", "members": 15,
                 "mo_hinh_4_tot": "Có"}]
    else:
        rows = [{"cell_code": f"{unit}-CB{i}", "cell_name": f"Chi bộ Phòng {i}", "cell_kind": "Chi bộ trực thuộc",
                 "members": 10, "mo_hinh_4_tot": "Có" if i == 1 else "Không"} for i in (1, 2)]
    if annual:
        for i, r in enumerate(rows):
            r.update({"rating": "Hoàn thành tốt nhiệm vụ" if i == 0 else "Hoàn thành nhiệm vụ",
                      "dv_xuat_sac": 2, "dv_tot": 6, "dv_hoan_thanh": 2, "dv_khong_hoan_thanh": 0, "dv_gop_y_6": 9})
    return rows


def meetings_for(cells: list[dict], year: int, months: range) -> list[dict]:
    """One regular meeting per month per cell and one thematic meeting in the quarter's first month."""
    out = []
    for c in cells:
        for m in months:
            out.append({"cell_code": c["cell_code"], "meeting_date": dt.date(year, m, 10), "kind": "Định kỳ",
                        "required": 10, "attended": 9, "ideological": "Có"})
        out.append({"cell_code": c["cell_code"], "meeting_date": dt.date(year, months[0], 20),
                    "kind": "Chuyên đề", "required": 10, "attended": 10, "ideological": "Có"})
    return out


def workbook_bytes(tmp: Path, unit: str, year: int, period: str, **over) -> bytes:
    """A valid v1 workbook for the unit and period, written by tests.builders with openpyxl."""
    kind = next(k for c, _, k, _ in UNITS if c == unit)
    name = next(n for c, n, _, _ in UNITS if c == unit)
    annual = period == "Y"
    cells = cells_for(unit, kind, annual)
    months = {"Q1": range(1, 4), "Q2": range(4, 7), "Q3": range(7, 10), "Q4": range(10, 13), "Y": range(10, 13)}[period]
    args = dict(
        info=info_values(unit, year, period, unit_name=name, unit_kind=kind, member_total=20, staff_total=100),
        elements=elements(), cells=cells, meetings=[] if annual else meetings_for(cells, year, months),
        trainees=[{"full_name": f"Nguyễn Văn {unit}", "birth_date": dt.date(1980, 1, 2), "level": "Cao cấp",
                   "year_sent": year}] if period == "Q1" else [],
        petitions=[{"petition_no": f"{unit}-{year}-01", "received_date": dt.date(year, 2, 1), "kind": "Khiếu nại",
                    "over_level": "Không", "status": "Đang giải quyết"}] if period == "Q1" else [],
    )
    args.update(over)
    path = tmp / f"{unit}_{year}_{period}.xlsx"
    write_workbook(path, **args)
    return path.read_bytes()


def received(year: int, period: str, late: bool = False) -> dt.datetime:
    """A time of receipt before the deadline (or 10 days after it)."""
    end = {"Q1": dt.date(year, 3, 31), "Q2": dt.date(year, 6, 30), "Q3": dt.date(year, 9, 30),
           "Q4": dt.date(year, 12, 31), "Y": dt.date(year, 12, 31)}[period]
    return dt.datetime.combine(end + dt.timedelta(days=25 if late else 5), dt.time(9, 30))


def build_org(path: Path, work: Path) -> None:
    """Load the unit list and the reports of the small organisation through the real loader."""
    db = open_database(path)
    load_unit_list_bytes(db, unit_list_bytes(), "don_vi.xlsx")
    plan = [("DB01", 2023, "Q1", False), ("DB01", 2024, "Q1", False), ("DB02", 2024, "Q1", True),
            ("CB03", 2024, "Q1", False), ("DB04", 2024, "Q1", False), ("DB01", 2024, "Q2", False),
            ("DB01", 2024, "Y", False), ("DB02", 2024, "Y", False)]
    for unit, year, period, late in plan:
        r = ingest_bytes(db, workbook_bytes(work, unit, year, period), f"{unit}_{year}_{period}.xlsx",
                         received_at=received(year, period, late), uploader="Trần Thị Văn Phòng")
        assert r.status == "accepted", (unit, year, period, [i.message for i in r.errors])
    # a resubmission of DB01 2024 Q1 with a corrected figure: version 2 replaces version 1
    data = workbook_bytes(work, "DB01", 2024, "Q1", elements=elements(docs=9))
    r = ingest_bytes(db, data, "DB01_2024_Q1_v2.xlsx", received_at=received(2024, "Q1") + dt.timedelta(days=3),
                     uploader="Lê Văn Sửa")
    assert r.status == "accepted" and r.replaced_previous
    ensure_demo_accounts(db)  # the AppTests sign in as the demo administrator


def checkpointed_org(tmp_path_factory, name: str) -> Path:
    """The small organisation in a file of its own folder, checkpointed: another process (or a copy of the
    file) reads it whole, without the write-ahead log."""
    base = tmp_path_factory.mktemp(name)
    path = base / "org.duckdb"
    build_org(path, base)
    open_database(path).cursor().execute("CHECKPOINT")
    return path


@pytest.fixture(scope="module")
def org_db(tmp_path_factory) -> Path:
    """Path of a DuckDB file holding the small organisation (built once per module)."""
    base = tmp_path_factory.mktemp("org")
    path = base / "org.duckdb"
    build_org(path, base)
    return path


def signed_in_app(db_path, monkeypatch):
    """A fresh AppTest of app.py on this database, year 2024 in the link, signed in as the demo admin."""
    monkeypatch.setenv("DASHBOARD_DB", str(db_path))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["year"] = "2024"
    return sign_in(at, db_path)


@pytest.fixture
def app(org_db, monkeypatch):
    """A fresh AppTest of app.py pointed at the organisation's database."""
    return signed_in_app(org_db, monkeypatch)


def readable(value: str) -> str:
    """What the reader sees of a Markdown value holding user text (ui.literal): the numeric character
    references decoded, the invisible word joiners left out."""
    from ui.literal import WORD_JOINER

    return html.unescape(value).replace(WORD_JOINER, "")


def texts(at: AppTest) -> str:
    """Every text the page shows (titles, markdown, captions, subheaders, metrics labels, infos), as the
    reader sees it (`readable`)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.label for e in at.expander]
    return readable("\n".join(parts))


def open_page(at: AppTest, page: str) -> AppTest:
    """Run the app once, switch to a page and run it."""
    at.run()
    at.switch_page(page)
    return at.run()


# key elements each page must show on the sample organisation (title + texts that prove data arrived)
EXPECTED = {
    "pages/tong_quan.py": ["Tổng quan", "chỉ tiêu chưa đạt năm 2024", "Bảng chỉ tiêu", "So với các năm trước"],
    "pages/nop_bao_cao.py": ["Nộp báo cáo", "Tình hình nộp báo cáo năm 2024", "Lịch sử nộp báo cáo", "Nộp muộn 1"],
    "pages/sinh_hoat.py": ["Sinh hoạt chi bộ & xếp loại", "Chi tiết theo đơn vị và báo cáo"],
    "pages/dao_tao.py": ["Đào tạo lý luận chính trị", "Qua các năm", "Theo đơn vị"],
    "pages/don_thu.py": ["Đơn thư", "Đơn nhận 4", "Quá hạn chưa giải quyết 4", "mục tiêu năm 2026"],
    "pages/tuyen_giao.py": ["Tuyên giáo – Dân vận", "Kết quả hoạt động năm 2024", "Văn bản chỉ đạo"],
    "pages/so_sanh.py": ["So sánh đơn vị", "Xếp hạng đơn vị", "Một chỉ tiêu giữa các đơn vị"],
    "pages/tinh_hinh.py": ["Tình hình đơn vị", "Chưa có đơn vị nào báo cáo tình hình", "báo cáo Năm của mỗi đơn vị"],
    "pages/quan_tri.py": ["Quản trị", "Danh sách đơn vị", "Mục tiêu năm 2024", "Lịch sử thay đổi mục tiêu"],
    "pages/don_doc.py": ["Đôn đốc & duyệt", "Cần đôn đốc — năm 2024", "Duyệt báo cáo — năm 2024"],
    "pages/don_vi.py": ["Đơn vị của tôi", "Việc cần làm", "Tải mẫu báo cáo đã điền sẵn", "Báo cáo đã nộp năm 2024"],
}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(app, page):
    """Each page runs on real data with no exception, no error box, and shows its key elements."""
    at = open_page(app, page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    for expected in EXPECTED[page]:
        assert expected in shown, (page, expected)
    assert at.sidebar.selectbox  # the shared filters are present on every page


def overview_counts(at: AppTest) -> dict[str, int]:
    """The overview's status counts as its caption under the headline says them ('Đạt 10 · Chưa đạt 4')."""
    from core.text import STATUS

    by_label = {label: code for code, (label, _) in STATUS.items()}
    line = next(c.value for c in at.caption if any(c.value.startswith(lab) for lab in by_label))
    out = {code: 0 for code in STATUS}
    for part in line.split(" · "):
        label, _, n = part.rpartition(" ")
        out[by_label[label]] = int(n)
    return out


def test_overview_counts_match_the_engine(app, org_db):
    """The overview states exactly the engine's status counts for the window, lists every missed target
    above the fold, then the whole scorecard."""
    from metrics.engine import compute

    at = app.run()
    report = compute(open_database(org_db), year=2024)
    statuses = [i.status for i in report.indicators]
    counts = overview_counts(at)
    for status in ("met", "exceeded", "not_met", "in_progress", "no_data"):
        assert counts[status] == statuses.count(status), status
    missed = next(d.value for d in at.dataframe if "Chênh lệch" in d.value.columns)
    assert len(missed) == statuses.count("not_met") + statuses.count("in_progress")
    full = next(d.value for d in at.dataframe if "Nhóm" in d.value.columns)
    assert len(full) == len(report.indicators)
    labels = [b.label for b in at.get("download_button")]
    assert {"Bảng chỉ tiêu (Excel)", "Tài liệu họp (PowerPoint)", "Tài liệu họp (PDF)"} <= set(labels)


def test_empty_database_pages_do_not_crash(tmp_path, monkeypatch):
    """A brand-new empty database: every page still renders (no data messages, no exceptions)."""
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "empty.duckdb"))
    for page in PAGES:
        at = open_page(sign_in(AppTest.from_file(str(APP), default_timeout=60), tmp_path / "empty.duckdb"), page)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
        if page == "pages/tong_quan.py":
            assert any("Chưa có báo cáo nào" in i.value for i in at.info)


def test_activity_cards_show_the_engine_totals(app, org_db):
    """The Tuyên giáo cards print the engine's activity totals in Vietnamese number format."""
    from metrics.engine import compute
    from core.text import fmt_auto

    at = open_page(app, "pages/tuyen_giao.py")
    acts = compute(open_database(org_db), year=2024).activities
    shown = {m.label: m.value for m in at.metric}
    assert shown["Văn bản chỉ đạo"] == fmt_auto(acts["VAN_BAN_CHI_DAO"])
    assert shown["Lượt người dự"] == fmt_auto(acts["NGUOI_THAM_DU"]) and "." in shown["Lượt người dự"]
    assert shown["An sinh xã hội (triệu đồng)"] == fmt_auto(acts["AN_SINH"])
