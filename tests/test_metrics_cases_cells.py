"""Hand-checked indicator cases, part 2: cells and member ratings (I04, I11–I15, I18).

Organisation C, year 2024, as-of 2025-06-30. Every unit sits directly under the root.
"Cells counted" are the `Chi bộ` rows of each unit's latest report in the window (Năm when there is one).

    unit  kind  report  cells (kind, Số ĐV, xếp loại, ĐV xuất sắc/tốt/HT/KHT, góp ý ≥6 kỳ, 4 tốt)
    C1    CBCS  Năm     C1  CBCS 20000 HTXSNV 3000/16001/900/99  19000  Có
    C2    CBCS  Năm     C2  CBCS  5000 HTTNV   749/4000/251/0     5000  Có
    C3    CBCS  Năm     C3  CBCS     5 HTTNV   —                     5  Có
    C4    CBCS  Năm     C4  CBCS     5 HTXSNV  —                     5  Có
    C5    CBCS  Năm     C5  CBCS     5 HTNV    —                     5  Không
    DA    DBCS  Q1      DA-01…DA-11 CBTT 4 each, no ratings; 4 tốt Có except DA-11
    DA    DBCS  Năm     DA-01…DA-10 CBTT 4 each: DA-01…09 HTTNV, DA-10 HTNV; góp ý 4; 4 tốt Có except DA-10
    DB    DBCS  Năm     DB-01…DB-11 CBTT 4 each: DB-01…04 HTXSNV, DB-05…08 HTTNV, DB-09 KHTNV,
                        DB-10 HTNV, DB-11 not rated; góp ý 4; 4 tốt Có except DB-11
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.metric_fixtures import Org, cell, check, indicator, pct

AS_OF = dt.date(2025, 6, 30)
YEAR_BY_UNIT, AS_OF_BY_UNIT = 2024, AS_OF


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Org:
    """The organisation of the module docstring, built once per module."""
    o = Org(tmp_path_factory.mktemp("org_c"))
    o.units([(f"C{i}", f"Chi bộ C{i}", "CBCS", None, None) for i in range(1, 6)]
            + [("DA", "Đảng bộ A", "DBCS", None, None), ("DB", "Đảng bộ B", "DBCS", None, None)])
    y = "Y"
    o.report("C1", 2024, y, members=20000, cells=[cell("C1", "CBCS", 20000, "HTXSNV", xs=3000, tot=16001,
                                                       ht=900, kht=99, gy6=19000, m4=True)])
    o.report("C2", 2024, y, members=5000, cells=[cell("C2", "CBCS", 5000, "HTTNV", xs=749, tot=4000, ht=251,
                                                      kht=0, gy6=5000, m4=True)])
    for code, rating, m4 in (("C3", "HTTNV", True), ("C4", "HTXSNV", True), ("C5", "HTNV", False)):
        o.report(code, 2024, y, members=5, cells=[cell(code, "CBCS", 5, rating, gy6=5, m4=m4)])
    o.report("DA", 2024, "Q1", members=44,
             cells=[cell(f"DA-{i:02d}", "CBTT", 4, m4=i != 11) for i in range(1, 12)])
    o.report("DA", 2024, y, members=40,
             cells=[cell(f"DA-{i:02d}", "CBTT", 4, "HTTNV" if i < 10 else "HTNV", gy6=4, m4=i != 10)
                    for i in range(1, 11)])
    db_rating = {**{i: "HTXSNV" for i in range(1, 5)}, **{i: "HTTNV" for i in range(5, 9)},
                 9: "KHTNV", 10: "HTNV", 11: None}
    o.report("DB", 2024, y, members=44,
             cells=[cell(f"DB-{i:02d}", "CBTT", 4, db_rating[i], gy6=4, m4=i != 11) for i in range(1, 12)])
    return o


@pytest.fixture(scope="module")
def year_root(org) -> dict:
    """The root, full year 2024."""
    return org.compute(2024, as_of=AS_OF)


def test_i11_exactly_80_percent_is_not_above_80(year_root):
    # Rated cells of type Chi bộ cơ sở: C1…C5 = 5; HTXSNV or HTTNV: C1, C2, C3, C4 = 4 → 80 %.
    # Target "> 80 %" → 80 % is not above it → not_met; behind C5/C5.
    check(indicator(year_root, "I11_CB_CO_SO_TOT"), status="not_met", value=80.0, numerator=4,
          denominator=5, behind=["C5/C5"], target={"op": ">", "value": 80})


def test_i12_exactly_85_percent_meets_at_least_85(year_root):
    # Rated Chi bộ trực thuộc: DA-01…10 (10) + DB-01…10 (10; DB-11 not rated, left out) = 20.
    # Good or better: DA 9 + DB 8 = 17 → 85 % ≥ 85 % → met. Behind: rated cells below "tốt":
    # DA/DA-10 (HTNV), DB/DB-09 (KHTNV), DB/DB-10 (HTNV); the unrated DB-11 is not judged.
    check(indicator(year_root, "I12_CB_TRUC_THUOC_TOT"), status="met", value=85.0, numerator=17,
          denominator=20, behind=["DA/DA-10", "DB/DB-09", "DB/DB-10"], target={"op": ">=", "value": 85})


def test_i13_cells_not_completing(year_root):
    # Rated KHTNV: DB-09 only → 1; target = 0 → not_met. A count, not a "% of cells": behind is empty.
    check(indicator(year_root, "I13_CB_KHONG_HOAN_THANH"), status="not_met", value=1, behind=[],
          target={"op": "=", "value": 0})


def test_i14_exactly_95_percent_is_not_above_95(year_root):
    # Σ(xuất sắc + tốt) / Σ(all four) over cells with rating counts (C1, C2):
    # (3000 + 16001 + 749 + 4000) / (20000 + 5000) = 23750 / 25000 = 95 % → "> 95 %" not met.
    check(indicator(year_root, "I14_DV_HTTNV"), status="not_met", value=95.0, numerator=23750,
          denominator=25000, behind=[])


def test_i15_14_996_percent_does_not_round_up_to_15(year_root):
    # Σ xuất sắc / Σ(all four) = 3749 / 25000 = 14.996 % → compared unrounded with "≥ 15 %" → not_met
    # (rounded to two decimals it would display 15.00).
    check(indicator(year_root, "I15_DV_HTXSNV"), status="not_met", value=pct(3749, 25000), numerator=3749,
          denominator=25000, behind=[])


def test_i18_feedback_from_six_meetings_over_annual_cells(year_root):
    # Σ góp ý ≥ 6 kỳ / Σ Số đảng viên over the cells of Năm reports:
    # (19000 + 5000 + 3×5 + 10×4 + 11×4) / (20000 + 5000 + 3×5 + 10×4 + 11×4) = 24099 / 25099 → not_met.
    check(indicator(year_root, "I18_GOP_Y_6_KY"), status="not_met", value=pct(24099, 25099), numerator=24099,
          denominator=25099, behind=[])


def test_i18_without_annual_report_is_no_data(org):
    # --quarter 4: Năm reports are not used → no annual cells → no_data.
    check(org.ind("I18_GOP_Y_6_KY", 2024, quarter=4, as_of=AS_OF), status="no_data", value=None)


def test_i04_full_year_uses_cells_of_the_nam_report(year_root):
    # Cells counted: C1…C5 (5) + DA Năm (10; DA-11 of the Q1 report is gone) + DB Năm (11) = 26.
    # Mô hình 4 tốt = Có for all but C5, DA-10, DB-11 → 23/26 → not_met.
    check(indicator(year_root, "I04_MO_HINH_4_TOT"), status="not_met", value=pct(23, 26), numerator=23,
          denominator=26, behind=["C5/C5", "DA/DA-10", "DB/DB-11"])


def test_i04_quarter_window_uses_latest_quarterly_cells(org):
    # --quarter 1: only DA reported (Q1, 11 cells); Có for all but DA-11 → 10/11, behind DA/DA-11
    # (DA-10 implements the model in Q1; its Năm "Không" is outside the window).
    check(org.ind("I04_MO_HINH_4_TOT", 2024, quarter=1, as_of=AS_OF), status="not_met", value=pct(10, 11),
          numerator=10, denominator=11, behind=["DA/DA-11"])


def test_narrower_scope_cells(org):
    js = org.compute(2024, unit="DA", as_of=AS_OF)
    # Scope DA: no Chi bộ cơ sở cells → I11 no_data.
    check(indicator(js, "I11_CB_CO_SO_TOT"), status="no_data", value=None, behind=[])
    # Chi bộ trực thuộc of DA: 9/10 = 90 % ≥ 85 % → met, but DA/DA-10 is still listed as behind.
    check(indicator(js, "I12_CB_TRUC_THUOC_TOT"), status="met", value=90.0, numerator=9, denominator=10,
          behind=["DA/DA-10"])
    # No KHTNV cell in DA → 0 = target → met.
    check(indicator(js, "I13_CB_KHONG_HOAN_THANH"), status="met", value=0, behind=[])
    # Scope C5: its own cell HTNV → 0/1 = 0 % → not_met.
    check(org.ind("I11_CB_CO_SO_TOT", 2024, unit="C5", as_of=AS_OF), status="not_met", value=0.0,
          numerator=0, denominator=1, behind=["C5/C5"])


def test_overridden_target_79_996_is_not_80(org):
    # 2027: an administrator sets I14 to "≥ 80 %" for 2027. C1 reports 19 999 tốt of 25 000 rated
    # members → 79.996 % → not_met (rounded it would read 80.00); C2 reports 4 of 5 → exactly 80 % → met.
    from metrics.targets import set_target

    set_target(org.db, "I14_DV_HTTNV", 2027, {"op": ">=", "value": 80}, "Quản trị viên")
    org.report("C1", 2027, "Y", members=25000,
               cells=[cell("C1", "CBCS", 25000, "HTTNV", xs=0, tot=19999, ht=5001, kht=0, gy6=0)])
    org.report("C2", 2027, "Y", members=5, cells=[cell("C2", "CBCS", 5, "HTTNV", xs=0, tot=4, ht=1, kht=0, gy6=0)])
    as_of = dt.date(2028, 6, 30)
    check(org.ind("I14_DV_HTTNV", 2027, unit="C1", as_of=as_of), status="not_met", value=pct(19999, 25000),
          numerator=19999, denominator=25000, target={"op": ">=", "value": 80})
    check(org.ind("I14_DV_HTTNV", 2027, unit="C2", as_of=as_of), status="met", value=80.0, numerator=4,
          denominator=5)
    # Root: (19 999 + 4) / 25 005 = 79.996… % → not_met; 2024 keeps the default "> 95 %".
    check(org.ind("I14_DV_HTTNV", 2027, as_of=as_of), status="not_met", value=pct(20003, 25005))
    assert org.ind("I14_DV_HTTNV", 2024, as_of=AS_OF)["target"] == {"op": ">", "value": 95}


def test_compute_by_unit_agrees_with_compute_per_unit(org):
    # compute_by_unit's row per (unit, indicator) equals compute(unit=…) for that unit, value and status.
    from tests.metric_fixtures import by_unit_mismatches

    listed, bad = by_unit_mismatches(org, YEAR_BY_UNIT, as_of=AS_OF_BY_UNIT)
    assert listed and bad == []
