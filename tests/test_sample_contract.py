"""Contract of the sample organisation: every sample workbook is accepted by the real loader, stores what the
generator meant, loads once only, and regenerates byte for byte.

The sample is ingested once per module (about ten seconds) into a real DuckDB file; the tests read it back.
"""
from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.config import PROJECT_DIR
from ops.sample import META_KEY, SAMPLE_DIR, load_sample, read_manifest, sample_status
from core.storage import open_database
from tests import backends

NAME_RE = re.compile(r"^(?P<unit>[A-Z0-9]+)_(?P<year>\d{4})_(?P<period>Q[1-4]|Y)(?:_v(?P<version>\d+))?$")
MANIFEST = [r["file"] for r in csv.DictReader((SAMPLE_DIR / "manifest.csv").read_text(encoding="utf-8").splitlines())]
EXPECTED = json.loads((SAMPLE_DIR / "expected.json").read_text(encoding="utf-8"))


def _generator():
    spec = importlib.util.spec_from_file_location("sample_generate", PROJECT_DIR / "sample_data" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the file executes
    spec.loader.exec_module(mod)
    return mod


GEN = _generator()
REPORTS = {r.file: r for r in GEN.build_reports(GEN.build_units())}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A fresh database with the whole sample loaded once (rejections collected, not raised)."""
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse env isolation has not run yet
        mp.delenv("DASHBOARD_DB", raising=False)
        mp.delenv("DASHBOARD_ARCHIVE", raising=False)
        folder = tmp_path_factory.mktemp("sample")
        if backends.POSTGRES:
            mp.setenv("DASHBOARD_ARCHIVE", str(folder / "archive"))
        db = open_database(backends.new_target(folder, "sample"))
        summary = load_sample(db, strict=False)
    yield db, summary, {r["path"]: r for r in summary["results"]}
    db.close()


# ------------------------------------------------------------------ the files themselves
def test_manifest_lists_every_workbook_once_in_receipt_order():
    on_disk = sorted(p.relative_to(SAMPLE_DIR).as_posix() for p in (SAMPLE_DIR / "workbooks").rglob("*.xlsx"))
    assert sorted(MANIFEST) == on_disk
    assert len(set(MANIFEST)) == len(MANIFEST) == EXPECTED["files"]
    rows = read_manifest()
    times = [r["received_at"] for r in rows]
    assert times == sorted(times)
    assert all(r["uploader"] for r in rows)
    v1 = MANIFEST.index("workbooks/2025/DB02_2025_Q2.xlsx")
    v2 = MANIFEST.index("workbooks/2025/DB02_2025_Q2_v2.xlsx")
    assert v1 < v2


def test_generation_is_byte_for_byte_reproducible(tmp_path):
    GEN.generate(tmp_path)
    produced = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(["units.xlsx", "manifest.csv", "expected.json", *MANIFEST])
    assert produced == committed
    differing = [f for f in produced if (tmp_path / f).read_bytes() != (SAMPLE_DIR / f).read_bytes()]
    assert differing == [], "sample_data is stale: run python sample_data/generate.py and commit"


def test_planted_layout_variations_are_really_in_the_files():
    nfd = load_workbook(SAMPLE_DIR / "workbooks/2024/CB03_2024_Q2.xlsx", read_only=True)
    assert "Thông tin" not in nfd.sheetnames
    assert unicodedata.normalize("NFD", "Thông tin") in nfd.sheetnames
    row4 = load_workbook(SAMPLE_DIR / "workbooks/2024/DB03_2024_Q1.xlsx", read_only=True)
    cells_rows = list(row4["Chi bộ"].iter_rows(min_row=1, max_row=4, values_only=True))
    assert cells_rows[3][0] == "Mã chi bộ" and cells_rows[2][0] is None
    aliases = load_workbook(SAMPLE_DIR / "workbooks/2024/CB02_2024_Q2.xlsx", read_only=True)
    trainee_headers = [r for r in aliases["Đào tạo LLCT"].iter_rows(values_only=True) if "Họ tên" in r]
    petition_headers = [r for r in aliases["Đơn thư"].iter_rows(values_only=True) if "Số đơn" in r]
    assert trainee_headers and petition_headers
    x = load_workbook(SAMPLE_DIR / "workbooks/2024/DB05_2024_Q1.xlsx", read_only=True)
    values = {r[0]: r[1] for r in x["Chỉ tiêu"].iter_rows(min_row=3, values_only=True)}
    assert values["QCDC"] == "x"


# ------------------------------------------------------------------ every workbook accepted
@pytest.mark.parametrize("file", MANIFEST)
def test_sample_workbook_is_accepted_as_named(loaded, file):
    _, _, results = loaded
    r = results[file]
    assert r["status"] == "accepted", r["errors"]
    assert r["errors"] == []
    m = NAME_RE.match(Path(file).stem)
    assert m, file
    assert (r["unit"], r["year"], r["period"]) == (m["unit"], int(m["year"]), m["period"])
    assert r["replaced_previous"] == (m["version"] is not None)


@pytest.mark.parametrize("file", MANIFEST)
def test_stored_content_is_what_the_generator_wrote(loaded, file):
    db, _, results = loaded
    sid, rep = results[file]["submission_id"], REPORTS[file]
    elements = dict(db.query_rows("SELECT code, value FROM elements WHERE submission_id = ? AND known", [sid]))
    for code, want in rep.elements.items():
        if want is None:  # left blank: "not reported", never zero
            assert elements[code] is None, code
        else:
            assert elements[code] == pytest.approx(float(want)), code
    cells = db.query_rows("SELECT cell_code, members, rating FROM cells WHERE submission_id = ? ORDER BY cell_code",
                          [sid])
    assert cells == sorted((c["cell_code"], c["members"], c.get("rating")) for c in rep.cells)
    meetings = db.query_rows("SELECT count(*), coalesce(sum(attended), 0) FROM meetings WHERE submission_id = ?",
                             [sid])[0]
    assert meetings == (len(rep.meetings), sum(m["attended"] for m in rep.meetings))
    trainees = db.query_rows("SELECT full_name, birth_date, level FROM trainees WHERE submission_id = ?", [sid])
    assert sorted(trainees) == sorted((t["full_name"], t["birth_date"], t["level"]) for t in rep.trainees)
    petitions = db.query_rows(
        "SELECT petition_no, status, resolved_date, over_level FROM petitions WHERE submission_id = ?", [sid])
    assert sorted(petitions) == sorted((p["petition_no"], p["status"], p["resolved_date"], p["over_level"])
                                       for p in rep.petitions)
    member_total = db.query_value("SELECT member_total FROM submissions WHERE id = ?", [sid])
    assert member_total == sum(c["members"] for c in rep.cells)
    # sheet `Tình hình` (issue 12): every row in order, the section carried where it was written once
    narratives = db.query_rows("SELECT section, level, content FROM narratives WHERE submission_id = ? "
                               "ORDER BY excel_row", [sid])
    assert narratives == [(r["code"], r["level_code"], r["content"]) for r in rep.narratives or []]
    notes = dict(db.query_rows("SELECT code, note FROM elements WHERE submission_id = ? AND note IS NOT NULL",
                               [sid]))
    assert notes == rep.notes


# ------------------------------------------------------------------ the organisation as loaded
def test_unit_list_and_hierarchy(loaded):
    db, summary, _ = loaded
    units = {r[0]: r[1:] for r in db.query_rows("SELECT code, kind, parent_code, inactive_from FROM units")}
    assert len(units) == EXPECTED["units_in_list"] + 1  # + the root from dashboard.toml
    assert units["DBCT01"][0] == "DBCT"
    assert {c for c, u in units.items() if u[1] == "DBCT01"} == {"DB07", "CB06", "CB07"}
    assert units["CB05"][2] == 2025
    assert not db.query_value("SELECT count(*) FROM submissions WHERE unit_code = 'CB05' AND year = 2025")
    assert not db.query_value("SELECT count(*) FROM submissions WHERE unit_code = 'DBCT01'")
    assert summary["units_added"] == EXPECTED["units_in_list"]


def test_expected_facts_hold_in_the_database(loaded):
    db, summary, _ = loaded
    assert summary["rejected"] == [] and summary["accepted"] == EXPECTED["files"]
    assert db.query_value("SELECT count(*) FROM submissions WHERE status = 'current'") == \
        EXPECTED["current_submissions"]
    for name in EXPECTED["missing_reports"]:
        unit, year, period = name.split("_")
        assert not db.query_value("SELECT count(*) FROM submissions WHERE unit_code = ? AND year = ? AND period = ?",
                                  [unit, int(year), period])
    for year, levels in EXPECTED["trainees"].items():
        got = dict(db.query_rows(
            """SELECT level, count(DISTINCT (name_key, birth_date)) FROM trainees t
               JOIN submissions s ON s.id = t.submission_id
               WHERE s.status = 'current' AND t.year_sent = ? GROUP BY level""", [int(year)]))
        assert got == levels, year
    for year, facts in EXPECTED["petitions"].items():
        received, over = db.query_rows(
            """SELECT count(DISTINCT (s.unit_code, p.petition_key)),
                      count(DISTINCT (s.unit_code, p.petition_key)) FILTER (WHERE p.over_level)
               FROM petitions p JOIN submissions s ON s.id = p.submission_id
               WHERE s.status = 'current' AND year(p.received_date) = ?""", [int(year)])[0]
        assert (received, over) == (facts["received"], facts["over_level"]), year
    late = db.query_rows(
        """SELECT unit_code || '_' || year || '_' || period FROM submissions
           WHERE version = 1 AND received_at::DATE > CASE period
               WHEN 'Q1' THEN make_date(year, 3, 31) WHEN 'Q2' THEN make_date(year, 6, 30)
               WHEN 'Q3' THEN make_date(year, 9, 30) ELSE make_date(year, 12, 31) END + 15
           ORDER BY 1""")
    assert [r[0] for r in late] == EXPECTED["late_reports"]


def test_narrative_facts_hold_in_the_database(loaded):
    """Rows of sheet `Tình hình` per period and the flagged ones, as the generator planted them; the 2023
    workbooks have no such sheet and were accepted all the same."""
    db, _, _ = loaded
    got = {f"{y}-{p}": {"rows": n, "units": u} for y, p, n, u in db.query_rows(
        """SELECT s.year, s.period, count(*), count(DISTINCT s.unit_code) FROM narratives n
           JOIN submissions s ON s.id = n.submission_id WHERE s.status = 'current' GROUP BY ALL""")}
    assert got == EXPECTED["narratives"]
    flagged = db.query_rows(
        """SELECT s.unit_code || '_' || s.year || '_' || s.period || ' ' || n.level || ' ' || n.section
           FROM narratives n JOIN submissions s ON s.id = n.submission_id
           WHERE s.status = 'current' AND n.level <> 'BINH_THUONG' ORDER BY 1""")
    assert [r[0] for r in flagged] == EXPECTED["narrative_flagged"]
    assert not db.query_value("SELECT count(*) FROM narratives n JOIN submissions s ON s.id = n.submission_id "
                              "WHERE s.year = 2023")


def test_resubmission_replaces_the_figure_and_keeps_history(loaded):
    db, _, _ = loaded
    rows = db.query_rows(
        """SELECT s.version, s.status, e.value FROM submissions s JOIN elements e ON e.submission_id = s.id
           WHERE s.unit_code = 'DB02' AND s.year = 2025 AND s.period = 'Q2' AND e.code = 'NGUOI_THAM_DU'
           ORDER BY s.version""")
    assert [r[:2] for r in rows] == [(1, "replaced"), (2, "current")]
    assert rows[0][2] == 10 * rows[1][2]  # v1 had an extra zero typed


def test_carried_petition_is_current_in_its_latest_report(loaded):
    db, _, _ = loaded
    states = db.query_rows(
        """SELECT s.year, s.period, p.status, p.resolved_date FROM petitions p
           JOIN submissions s ON s.id = p.submission_id
           WHERE s.unit_code = 'DB02' AND p.received_date = DATE '2024-08-20' AND s.status = 'current'
           ORDER BY s.year, s.period""")
    assert [(y, p, st) for y, p, st, _ in states] == [
        (2024, "Q3", "DANG_GIAI_QUYET"), (2024, "Q4", "DANG_GIAI_QUYET"), (2024, "Y", "DANG_GIAI_QUYET"),
        (2025, "Q1", "DA_GIAI_QUYET"), (2025, "Y", "DA_GIAI_QUYET")]
    assert str(states[-1][3]) == "2025-01-22"


# ------------------------------------------------------------------ once only
def test_second_load_changes_nothing(loaded):
    db, _, _ = loaded
    assert sample_status(db)["files"] == EXPECTED["files"]

    def counts():
        return tuple(db.query_value(f"SELECT count(*) FROM {t}")
                     for t in ("units", "submissions", "elements", "cells", "meetings", "trainees", "petitions"))

    before, version = counts(), db.data_version
    again = load_sample(db)
    assert again["status"] == "already_loaded" and again["accepted"] == 0
    assert "đã được nạp" in again["message"]
    assert counts() == before and db.data_version == version


def test_interrupted_load_resumes_without_reviving_old_versions(loaded):
    db, _, _ = loaded
    before = db.query_value("SELECT count(*) FROM submissions")
    with db.transaction() as cur:  # as if the earlier run died before recording itself
        cur.execute("DELETE FROM meta WHERE key = ?", [META_KEY])
    resumed = load_sample(db)
    assert resumed["status"] == "loaded"
    assert resumed["skipped"] == EXPECTED["files"] and resumed["accepted"] == 0
    assert db.query_value("SELECT count(*) FROM submissions") == before
    assert db.query_value("""SELECT version FROM submissions WHERE unit_code = 'DB02' AND year = 2025
                             AND period = 'Q2' AND status = 'current'""") == 2
    assert sample_status(db) is not None


# ------------------------------------------------------------------ planted outcomes, end to end
PLANTED = {  # (year, indicator) -> (status, behind) that the planted variations of README must produce
    (2023, "I01_QUAN_TRIET_TO_CHUC"): ("not_met", ["CB04"]),
    (2023, "I05_QD_TIEP_DAN"): ("not_met", ["CB07"]),
    (2023, "I20_DOI_THOAI"): ("not_met", ["CB03"]),
    (2024, "I06_HN_NGUOI_LAO_DONG"): ("not_met", ["DB04"]),
    (2024, "I21_GOP_Y_HANG_QUY"): ("not_met", ["CB06"]),
    (2024, "I25_NOP_BAO_CAO"): ("not_met", ["DB08"]),
    (2025, "I23_KH_TU_TUONG"): ("not_met", ["CB02"]),
    (2025, "I11_CB_CO_SO_TOT"): ("not_met", ["CB04/CB04", "CB07/CB07"]),
}


def test_planted_variations_show_in_the_indicators(loaded):
    import datetime as dt

    from metrics.engine import compute

    db, _, _ = loaded
    by_year = {y: {i.id: i for i in compute(db, year=y, as_of=dt.date(2026, 3, 1)).indicators}
               for y in (2023, 2024, 2025)}
    for (year, iid), (status, behind) in PLANTED.items():
        ind = by_year[year][iid]
        assert (ind.status, sorted(ind.behind)) == (status, behind), (year, iid)
    for year, levels in EXPECTED["trainees"].items():
        assert by_year[int(year)]["I07_CAO_CAP_LLCT"].value == levels["CAO_CAP"]
        assert by_year[int(year)]["I08_TRUNG_CAP_LLCT"].value == levels["TRUNG_CAP"]
    assert by_year[2024]["I07_CAO_CAP_LLCT"].status == "not_met"
    assert by_year[2025]["I08_TRUNG_CAP_LLCT"].status == "exceeded"
    assert by_year[2024]["I13_CB_KHONG_HOAN_THANH"].value == 1
    assert by_year[2024]["I10_DON_VUOT_CAP"].value == 1
    late_2024 = sorted({n.split("_")[0] for n in EXPECTED["late_reports"] if "_2024_" in n} | {"DB08"})
    assert sorted(by_year[2024]["I26_NOP_DUNG_HAN"].behind) == late_2024
