"""The review report (issue 12) on the sample organisation: the .docx read back with python-docx says exactly
what `compute()` says for 2024 Q1 and the year 2024 (activities with the change against last year, every
target with its verdict and the units behind by name, the appendix tables per unit), compiles the units'
own words with the pressing ones first, and is laid out as a Party document; its PDF (LibreOffice) is
rendered to PNG with pdftoppm and checked for the header, the title and the tables; the command line writes
both; a principal sees only its scope."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document as Docx

from core.auth import OPERATOR, Principal
from core.errors import DashboardError
from core.storage import open_database
from core.text import fmt_auto, fmt_target, status_label
from metrics import engine, history, narrative
from metrics.docx_writer import Block, Document, balanced, write_docx
from metrics.indicators import short_code
from metrics.review import (ACTIVITY_CLAUSES, change_text, date_line, next_period_text, review_docx,
                            same_day_last_year, show)
from ops.sample import load_sample

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / "test-artifacts" / "report"
AS_OF = dt.date(2025, 3, 1)
MADE_ON = dt.date(2025, 3, 3)
WINDOWS = {"2024-Q1": 1, "2024": None}


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    """A DuckDB file holding the sample organisation (closed: the command line may open a copy of it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DASHBOARD_DB", raising=False)
        mp.delenv("DASHBOARD_ARCHIVE", raising=False)
        path = tmp_path_factory.mktemp("review") / "sample.duckdb"
        db = open_database(path)
        load_sample(db)
        db.close()
    return path


@pytest.fixture(scope="module")
def db(sample_file):
    database = open_database(sample_file)
    yield database
    database.close()


@pytest.fixture(scope="module", params=list(WINDOWS), ids=list(WINDOWS))
def window(request, db):
    """(quarter, the .docx read back, its bytes, the engine's report and last year's) for one window."""
    quarter = WINDOWS[request.param]
    data = review_docx(db, year=2024, quarter=quarter, as_of=AS_OF, made_on=MADE_ON)
    report = engine.compute(db, year=2024, quarter=quarter, as_of=AS_OF)
    last = engine.compute(db, year=2023, quarter=quarter, as_of=same_day_last_year(AS_OF))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"bao-cao-{request.param}.docx").write_bytes(data)
    return quarter, Docx(io.BytesIO(data)), data, report, last


def body_text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def appendix(doc, first_header: str) -> list[list[str]]:
    """The rows of the appendix table whose first header cell is `first_header` (headers left out)."""
    for table in doc.tables:
        rows = table_rows(table)
        if rows and rows[0][0] == first_header and len(rows[0]) > 3:
            return rows[1:]
    raise AssertionError(f"no table headed {first_header}")


# ------------------------------------------------------------------ words, unit by unit
def test_change_and_date_words():
    assert change_text(110, 100, 2023, True) == "tăng 10% so với cùng kỳ năm 2023"
    assert change_text(74, 64, 2023, False) == "tăng 15,6% so với cùng kỳ"
    assert change_text(12, 13, 2023, False) == "giảm 7,7% so với cùng kỳ"
    assert change_text(15, 15, 2023, True) == "bằng cùng kỳ năm 2023"
    assert change_text(5, 0, 2023, True) == "cùng kỳ năm 2023 không có"
    assert change_text(5, None, 2023, True) == change_text(None, 5, 2023, True) == ""
    assert date_line("Thái Bình", dt.date(2024, 4, 3)) == "Thái Bình, ngày 03 tháng 04 năm 2024"
    assert same_day_last_year(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)
    assert next_period_text(2024, 4) == "Quý I năm 2025" and next_period_text(2024, None) == "năm 2025"
    assert show(100.0, "%") == "100%" and show(93.26, "%") == "93,3%" and show(4, "người") == "4 người"
    assert balanced("ĐẢNG ỦY KHỐI DOANH NGHIỆP TỈNH") == "ĐẢNG ỦY KHỐI\nDOANH NGHIỆP TỈNH"


def test_text_a_docx_cannot_hold_is_dropped():
    """Control characters a unit typed (the loader already strips them; older rows or names may not have
    been) never make the file unreadable."""
    bad = "Đề nghị\x07 hỗ trợ\x00 kinh phí\ufffe"
    doc = Document(parent=bad, issuer=bad, symbol="Số -BC/ĐU", place_date=bad, title="BÁO CÁO", subtitle=bad,
                   body=[Block("dash", [(bad, "")]), Block("table", headers=["A", bad], rows=[[bad, bad]],
                                                           widths=[2, 2])],
                   closing=bad, recipients=[bad], signer_on_behalf="T/M", signer_title="BÍ THƯ", signer_name=bad,
                   appendix=[])
    text = body_text(Docx(io.BytesIO(write_docx(doc))))
    assert "Đề nghị hỗ trợ kinh phí" in text and "\x07" not in text


# ------------------------------------------------------------------ the frame of a Party document
def test_laid_out_as_a_party_document(window):
    quarter, doc, _, _, _ = window
    head = table_rows(doc.tables[0])[0]
    assert head[0].split("\n") == ["ĐẢNG BỘ TỈNH THÁI BÌNH", "ĐẢNG ỦY KHỐI", "DOANH NGHIỆP TỈNH", "*",
                                   "Số      -BC/ĐU"]
    assert head[1].split("\n") == ["ĐẢNG CỘNG SẢN VIỆT NAM", "", "Thái Bình, ngày 03 tháng 03 năm 2025"]
    right = doc.tables[0].rows[0].cells[1].paragraphs
    assert all(r.underline and r.bold for r in right[0].runs) and all(r.italic for r in right[2].runs)
    paragraphs = [p.text for p in doc.paragraphs]
    title = paragraphs.index("BÁO CÁO")
    expected = ("Sơ kết công tác xây dựng Đảng Quý I năm 2024,\nphương hướng, nhiệm vụ Quý II năm 2024" if quarter
                else "Tổng kết công tác xây dựng Đảng năm 2024,\nphương hướng, nhiệm vụ năm 2025")
    assert paragraphs[title + 1] == expected
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 14
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.left_margin.mm) == 30
    headings = [t for t in paragraphs if re.match(r"^(I|II|III|IV)\. ", t)]
    assert headings == ["I. KẾT QUẢ ĐẠT ĐƯỢC", "II. HẠN CHẾ, KHÓ KHĂN VÀ NGUYÊN NHÂN",
                        f"III. NHIỆM VỤ TRỌNG TÂM {'QUÝ II NĂM 2024' if quarter else 'NĂM 2025'}",
                        "IV. KIẾN NGHỊ, ĐỀ XUẤT"]
    assert any(t.endswith("của Đảng ủy Khối Doanh nghiệp tỉnh./.") for t in paragraphs)
    sign = [table_rows(t)[0] for t in doc.tables if table_rows(t)[0][0].startswith("Nơi nhận:")]
    assert len(sign) == 1
    assert sign[0][0].split("\n")[-1] == "- Lưu Văn phòng Đảng ủy."
    assert sign[0][1].split("\n")[:2] == ["T/M ĐẢNG ỦY", "BÍ THƯ"]
    assert doc.sections[-1].orientation == 1  # the appendix on landscape pages


# ------------------------------------------------------------------ the figures are the engine's
def test_activities_are_the_engines_with_the_change_against_last_year(window):
    quarter, doc, _, report, last = window
    text = body_text(doc)
    para = next(p for p in doc.paragraphs if "văn bản lãnh đạo, chỉ đạo, hướng dẫn" in p.text).text
    opening = "Trong Quý I năm 2024, " if quarter else "Năm 2024, "
    assert para.startswith(opening + "các tổ chức đảng trực thuộc đã ban hành ")
    for k, (code, before, after) in enumerate(ACTIVITY_CLAUSES):
        now, then = report.activities[code], last.activities[code]
        ratio = round(abs(100.0 * (now - then) / then), 1)
        word = "tăng" if now > then else "giảm"
        versus = "so với cùng kỳ năm 2023" if k == 0 else "so với cùng kỳ"
        change = "bằng cùng kỳ" if ratio == 0 else f"{word} {fmt_auto(ratio)}% {versus}"
        clause = " ".join(w for w in (before, fmt_auto(now), after) if w) + f" ({change}"
        assert clause in para, (code, clause)
    received = fmt_auto(report.activities["DON_THU_NHAN"])
    assert f"đã tiếp nhận {received} đơn thư" in text
    assert f"còn {fmt_auto(report.activities['DON_THU_QUA_HAN'])} đơn quá hạn" in text


def test_every_target_is_written_with_its_value_verdict_and_units_behind(window, db):
    quarter, doc, _, report, last = window
    text = body_text(doc)
    names = dict(zip(*[history.units_frame(db)[c] for c in ("code", "name")]))
    verdict = {"met": "đạt mục tiêu", "exceeded": "vượt mục tiêu", "not_met": "chưa đạt mục tiêu",
               "in_progress": "đang thực hiện, mục tiêu"}
    for ind in report.indicators:
        if ind.status == "no_data":
            assert ind.name in text  # named among those without data
            continue
        line = next(p.text for p in doc.paragraphs if p.text.startswith(f"- {ind.name}: {show(ind.value, ind.unit)}"))
        if ind.status in verdict:
            assert f"{verdict[ind.status]} {fmt_target(ind.target, ind.unit)}" in line, line
        if last.by_id[ind.id].value is not None:
            assert f"(cùng kỳ năm 2023: {show(last.by_id[ind.id].value, ind.unit)})" in line
        if ind.status in ("not_met", "in_progress") and ind.behind:
            for key in ind.behind:
                assert names[key.split("/")[0]] in line, (ind.id, key)
    statuses = [i.status for i in report.indicators]
    judged = sum(s in ("met", "exceeded", "not_met", "in_progress") for s in statuses)
    assert f"{statuses.count('met') + statuses.count('exceeded')}/{judged} chỉ tiêu đạt và vượt mục tiêu" in text


def test_appendix_tables_are_the_engines_figures(window, db):
    quarter, doc, _, report, last = window
    rows = {r[0]: r for r in appendix(doc, "Mã")}
    assert list(rows) == [short_code(i.id) for i in report.indicators]
    for ind in report.indicators:
        row = rows[short_code(ind.id)]
        assert row[1:3] == [ind.name, show(ind.value, ind.unit)]
        assert row[4:7] == [fmt_target(ind.target, ind.unit), status_label(ind.status),
                            show(last.by_id[ind.id].value, ind.unit)]
    per_unit = history.activities_by_unit(db, year=2024, quarter=quarter, as_of=AS_OF)
    acts = appendix(doc, "TT")
    codes = [c for c, _, _ in ACTIVITY_CLAUSES]
    names = dict(zip(*[history.units_frame(db)[c] for c in ("code", "name")]))
    want = {names[u]: [fmt_auto(per_unit[(per_unit.unit_code == u) & (per_unit.element == c)]["value"].iloc[0])
                       for c in codes] for u in per_unit["unit_code"].unique()}
    assert {r[1]: r[2:] for r in acts[:-1]} == want
    assert acts[-1][1:] == ["Tổng cộng", *[fmt_auto(report.activities[c]) for c in codes]]
    by_unit = engine.compute_by_unit(db, year=2024, quarter=quarter, as_of=AS_OF)
    targets = [r for t in doc.tables if (r := table_rows(t))[0][:3] == ["TT", "Đơn vị", "Đạt, vượt"]][0][1:]
    for row in targets:
        code = next(c for c, n in names.items() if n == row[1])
        st = by_unit[by_unit.unit_code == code]["status"].tolist()
        assert row[2:5] == [str(st.count("met") + st.count("exceeded")), str(st.count("not_met")),
                            str(st.count("in_progress"))], code


# ------------------------------------------------------------------ the units' own words
def test_the_units_words_are_compiled_by_section_named_by_unit_pressing_first(window, db):
    quarter, doc, _, _, _ = window
    rows = narrative.narrative_rows(db, year=2024, quarter=quarter, as_of=AS_OF)
    assert len(rows) > 50
    paragraphs = [p.text for p in doc.paragraphs]
    names = dict(zip(*[history.units_frame(db)[c] for c in ("code", "name")]))
    for content, code, level in zip(rows["content"], rows["unit_code"], rows["level"]):
        # the same words flagged by one unit and not by another are two points; this row is in the one
        # carrying its own level, with its unit's name
        mark = f"- [{narrative.LEVEL_LABELS[level]}] " if level in narrative.FLAGGED else "- "
        lines = [t for t in paragraphs if t.startswith(mark + content.rstrip("."))]
        assert len(lines) == 1, content
        assert names[code] in lines[0]
    heads = {t: k for k, t in enumerate(paragraphs)}
    for section, start, end in (("TU_TUONG", "a) Tình hình tư tưởng", "b) Dư luận xã hội"),
                                ("KIEN_NGHI", "IV. KIẾN NGHỊ, ĐỀ XUẤT", None)):
        part = paragraphs[heads[start] + 1: heads[end] if end else None]
        part = [t for t in part if t.startswith("- ")][: len(rows[rows.section == section])]
        flags = [t.startswith(("- [Nổi cộm]", "- [Cần quan tâm]")) for t in part]
        assert flags == sorted(flags, reverse=True), section  # every flagged point before the others
    if quarter is None:  # DB05's year-end report: the planted Nổi cộm opens the public-opinion section
        start = paragraphs.index("b) Dư luận xã hội")
        assert paragraphs[start + 1].startswith("- [Nổi cộm] Dù đã lắp đặt hệ thống lọc bụi")


def test_a_unit_scope_speaks_as_its_own_committee(db):
    data = review_docx(db, year=2024, quarter=2, unit="DB05", as_of=AS_OF, made_on=MADE_ON)
    doc = Docx(io.BytesIO(data))
    head = table_rows(doc.tables[0])[0][0].split("\n")
    assert head[0] == "ĐẢNG BỘ KHỐI DOANH NGHIỆP TỈNH" and "ĐẢNG ỦY CÔNG TY CỔ PHẦN XI MĂNG" in " ".join(head)
    text = body_text(doc)
    assert "Trong Quý II năm 2024, đơn vị đã ban hành" in text
    assert "- [Nổi cộm] Người dân khu dân cư giáp nhà máy phản ánh bụi" in text
    assert "Đảng bộ Bưu điện tỉnh" not in text  # nothing from outside the scope


def test_a_principal_writes_only_its_scope(db):
    leader = Principal("lanhdao", "lanh_dao", "ROOT")
    assert review_docx(db, year=2024, quarter=1, as_of=AS_OF, principal=leader)[:2] == b"PK"
    unit = Principal("donvi_db01", "don_vi", "DB01")
    with pytest.raises(DashboardError, match="không có quyền xem"):
        review_docx(db, year=2024, quarter=1, unit="CB01", as_of=AS_OF, principal=unit)
    mine = Docx(io.BytesIO(review_docx(db, year=2024, quarter=1, as_of=AS_OF, principal=unit)))
    assert "ĐẢNG ỦY CÔNG TY ĐIỆN LỰC TỈNH" in table_rows(mine.tables[0])[0][0].replace("\n", " ")


# ------------------------------------------------------------------ PDF, rendered and looked at
def _non_blank(png: Path) -> float:
    """The share of pixels that are not white."""
    from PIL import Image

    with Image.open(png) as im:
        grey = im.convert("L")
        hist = grey.histogram()
        return 1 - sum(hist[245:]) / (grey.width * grey.height)


def _text(pdf: Path) -> str:
    """The PDF's text with every space removed (justified lines come out of pdftotext with spaces inside
    words), so phrases are compared letter for letter."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftoppm"),
                    reason="LibreOffice / poppler-utils không có (scripts/install_office.sh)")
def test_pdf_pages_show_the_header_the_title_and_the_tables(window, tmp_path):
    from metrics.pdf import to_pdf

    quarter, _, data, report, _ = window
    name = "bao-cao-2024-Q1" if quarter else "bao-cao-2024"
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(to_pdf(data, ".docx"))
    text = _text(pdf)
    squeeze = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    for phrase in ("ĐẢNG BỘ TỈNH THÁI BÌNH", "ĐẢNG ỦY KHỐI", "ĐẢNG CỘNG SẢN VIỆT NAM", "-BC/ĐU",
                   "Thái Bình, ngày 03 tháng 03 năm 2025", "BÁO CÁO",
                   "Sơ kết công tác xây dựng Đảng Quý I năm 2024" if quarter else "Tổng kết công tác xây dựng Đảng năm 2024",
                   "I. KẾT QUẢ ĐẠT ĐƯỢC", "Nơi nhận:", "T/M ĐẢNG ỦY", "PHỤ LỤC 1. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU",
                   "PHỤ LỤC 2", "Tổng cộng", f"ban hành {fmt_auto(report.activities['VAN_BAN_CHI_DAO'])} văn bản"):
        assert squeeze(phrase) in text, phrase
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                            check=True).stdout
    table_lines = [squeeze(line) for line in layout.splitlines()]
    for ind in report.indicators:  # the appendix table's rows: code, name, value side by side on one line
        start = squeeze(f"{short_code(ind.id)}{ind.name[:20]}")
        assert any(line.startswith(start) and squeeze(show(ind.value, ind.unit)) in line for line in table_lines), \
            ind.id
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", pages).group(1))
    assert count >= 5
    prefix = ARTIFACTS / name
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", str(count), "-l", str(count), str(pdf),
                    str(prefix) + "-last"], check=True)
    first = sorted(ARTIFACTS.glob(f"{name}-*1.png"))[0]
    last_page = sorted(ARTIFACTS.glob(f"{name}-last-*.png"))[0]
    assert _non_blank(first) > 0.02 and _non_blank(last_page) > 0.01
    from PIL import Image

    with Image.open(first) as im:
        assert im.width < im.height  # A4 portrait
    with Image.open(last_page) as im:
        assert im.width > im.height  # the appendix in landscape


# ------------------------------------------------------------------ the command line
def run_cli(*args: str, **env_over: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DB", "DASHBOARD_ARCHIVE")}
    env.update(env_over)
    return subprocess.run([sys.executable, "-m", "metrics", *args], cwd=PROJECT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=600)


def test_the_report_command_writes_the_docx_and_its_pdf(sample_file, tmp_path, db):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(sample_file, copy)  # the module's connection holds the original (one process per file)
    out = tmp_path / "so-ket.docx"
    args = ["report", "--year", "2024", "--quarter", "1", "--as-of", AS_OF.isoformat(), "--db", str(copy),
            "--out", str(out)]
    if shutil.which("soffice"):
        args.append("--pdf")
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    assert f"Đã ghi báo cáo: {out}" in r.stdout
    doc = Docx(out)
    assert "Sơ kết công tác xây dựng Đảng Quý I năm 2024" in body_text(doc)
    rows = {r[0]: r for r in appendix(doc, "Mã")}
    report = engine.compute(db, year=2024, quarter=1, as_of=AS_OF, principal=OPERATOR)
    assert all(rows[short_code(i.id)][2] == show(i.value, i.unit) for i in report.indicators)
    if shutil.which("soffice"):
        assert out.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    bad = run_cli("report", "--year", "2024", "--db", str(copy), "--out", str(tmp_path / "x.txt"))
    assert bad.returncode == 2 and "--out phải là tệp .docx" in bad.stderr and "Traceback" not in bad.stderr
    unknown = run_cli("report", "--year", "2024", "--unit", "KHONG", "--db", str(copy), "--out", str(out))
    assert unknown.returncode == 2 and "Không tìm thấy đơn vị" in unknown.stderr
    lone = tmp_path / "khong-co-office.docx"  # no LibreOffice on the PATH: the .docx, a message, exit 1
    partial = run_cli("report", "--year", "2024", "--db", str(copy), "--out", str(lone), "--pdf",
                      PATH=str(tmp_path / "khong-co"))
    assert partial.returncode == 1 and "chưa cài LibreOffice" in partial.stderr and lone.is_file()
    assert not lone.with_suffix(".pdf").exists()
    still = run_cli("--year", "2024", "--quarter", "1", "--as-of", AS_OF.isoformat(), "--db", str(copy), "--json")
    assert still.returncode == 0 and '"indicators"' in still.stdout  # the contract's command is unchanged
