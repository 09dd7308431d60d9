"""Hand-checked indicator cases, part 3: cell meetings (I16, I17, I19, I24) and the as-of date.

Organisation D: M1 (Chi bộ cơ sở, one cell M1) and M2 (Đảng bộ cơ sở, cells M2-A, M2-B), under the root.

2024 (as-of 2025-06-30), Định kỳ meetings on the 15th of the month unless said (phải dự 10):

    cell  Định kỳ months                              dự     tư tưởng        Chuyên đề
    M1    Jan–Aug in Q1–Q3 reports; 30/09 in the Q4   10     all Có          20/02, 20/05, 20/08, 20/11
          report (a date outside that report's period: it counts in September); Oct–Dec
    M2-A  Jan, Feb, 29/03, Apr–Dec                    9      all Có          10/03, 10/04, 10/07 (none Q4)
          29/03 is in the Q1 report (dự 5, tư tưởng Không) AND again in the Q2 report (dự 9, Có):
          one meeting; the later report's row wins
    M2-B  Jan–Apr, 15/06 and 28/06, Jul–Dec (no May)  8      Không on Apr,   20/01, 05/05, 05/09, 05/10
                                                             15/06, 28/06
    Chuyên đề meetings have dự 2 of 10: they must not enter I17 or I24.

2025 (the as-of cases): only Q1 reports, received 2025-04-10. M1: Định kỳ Jan–Mar, Chuyên đề Feb,
GOP_Y_XD_DANG 1. M2: M2-A Định kỳ Jan–Mar, Chuyên đề Mar; M2-B Định kỳ Jan and Mar (no Feb),
Chuyên đề Jan; GOP_Y_XD_DANG 1.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.metric_fixtures import Org, cell, check, indicator, meeting, monthly, pct

AS_OF = dt.date(2025, 6, 30)
YEAR_BY_UNIT, AS_OF_BY_UNIT = 2024, AS_OF
D = dt.date
M2_CELLS = [cell("M2-A"), cell("M2-B")]


def cd(code: str, date: dt.date) -> dict:
    """A `Chuyên đề` meeting with low attendance and no ideological content (must not enter I17/I24)."""
    return meeting(code, date, "CD", required=10, attended=2, ideological=False)


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Org:
    """The organisation of the module docstring, built once per module."""
    o = Org(tmp_path_factory.mktemp("org_d"))
    o.units([("M1", "Chi bộ M1", "CBCS", None, None), ("M2", "Đảng bộ M2", "DBCS", None, None)])
    # M1, 2024
    o.report("M1", 2024, "Q1", meetings=monthly("M1", 2024, [1, 2, 3]) + [cd("M1", D(2024, 2, 20))])
    o.report("M1", 2024, "Q2", meetings=monthly("M1", 2024, [4, 5, 6]) + [cd("M1", D(2024, 5, 20))])
    o.report("M1", 2024, "Q3", meetings=monthly("M1", 2024, [7, 8]) + [cd("M1", D(2024, 8, 20))])
    o.report("M1", 2024, "Q4", meetings=[meeting("M1", D(2024, 9, 30))] + monthly("M1", 2024, [10, 11, 12])
             + [cd("M1", D(2024, 11, 20))])
    o.report("M1", 2024, "Y")
    # M2, 2024
    a = dict(attended=9)
    b = dict(attended=8)
    o.report("M2", 2024, "Q1", cells=M2_CELLS, meetings=(
        monthly("M2-A", 2024, [1, 2], **a) + [meeting("M2-A", D(2024, 3, 29), attended=5, ideological=False)]
        + [cd("M2-A", D(2024, 3, 10))]
        + monthly("M2-B", 2024, [1, 2, 3], **b) + [cd("M2-B", D(2024, 1, 20))]))
    o.report("M2", 2024, "Q2", cells=M2_CELLS, meetings=(
        [meeting("M2-A", D(2024, 3, 29), attended=9, ideological=True)]
        + monthly("M2-A", 2024, [4, 5, 6], **a) + [cd("M2-A", D(2024, 4, 10))]
        + monthly("M2-B", 2024, [4, 6], attended=8, ideological=False)
        + [meeting("M2-B", D(2024, 6, 28), attended=8, ideological=False), cd("M2-B", D(2024, 5, 5))]))
    o.report("M2", 2024, "Q3", cells=M2_CELLS, meetings=(
        monthly("M2-A", 2024, [7, 8, 9], **a) + [cd("M2-A", D(2024, 7, 10))]
        + monthly("M2-B", 2024, [7, 8, 9], **b) + [cd("M2-B", D(2024, 9, 5))]))
    o.report("M2", 2024, "Q4", cells=M2_CELLS, meetings=(
        monthly("M2-A", 2024, [10, 11, 12], **a)
        + monthly("M2-B", 2024, [10, 11, 12], **b) + [cd("M2-B", D(2024, 10, 5))]))
    o.report("M2", 2024, "Y", cells=M2_CELLS)
    # 2025: first quarter only
    rec = dt.datetime(2025, 4, 10, 9, 0)
    o.report("M1", 2025, "Q1", received=rec, elements={"GOP_Y_XD_DANG": 1},
             meetings=monthly("M1", 2025, [1, 2, 3]) + [cd("M1", D(2025, 2, 20))])
    o.report("M2", 2025, "Q1", received=rec, elements={"GOP_Y_XD_DANG": 1}, cells=M2_CELLS, meetings=(
        monthly("M2-A", 2025, [1, 2, 3]) + [cd("M2-A", D(2025, 3, 10))]
        + monthly("M2-B", 2025, [1, 3]) + [cd("M2-B", D(2025, 1, 20))]))
    return o


@pytest.fixture(scope="module")
def year_root(org) -> dict:
    """The root, full year 2024."""
    return org.compute(2024, as_of=AS_OF)


def test_i16_monthly_meeting_in_every_month(year_root):
    # Cells counted (Năm reports): M1, M2-A, M2-B. 12 ended months.
    # M1 has all 12 (September from the 30/09 row of the Q4 report); M2-A all 12; M2-B lacks May.
    # 2/3 → not_met, behind M2/M2-B.
    check(indicator(year_root, "I16_SH_DINH_KY"), status="not_met", value=pct(2, 3), numerator=2,
          denominator=3, behind=["M2/M2-B"], target={"op": "=", "value": 100})


def test_i19_thematic_meeting_in_every_quarter(year_root):
    # M1: Chuyên đề in Q1 Q2 Q3 Q4; M2-A: Q1 Q2 Q3, none in Q4; M2-B: Q1 Q2 Q3 Q4 → 2/3, behind M2/M2-A.
    check(indicator(year_root, "I19_SH_CHUYEN_DE"), status="not_met", value=pct(2, 3), numerator=2,
          denominator=3, behind=["M2/M2-A"])


def test_i17_attendance_same_meeting_once_later_row_wins(year_root):
    # Định kỳ meetings only, 29/03 of M2-A once with the Q2 row (dự 9):
    #   M1 12 × 10/10 = 120/120;  M2-A 12 × 9/10 = 108/120;  M2-B 12 × 8/10 = 96/120.
    # 324 / 360 = 90 % → "> 90 %" not met. (Both 29/03 rows: 329/370; the Q1 row: 320/360;
    # Chuyên đề included: lower still.) A ratio of members: behind empty.
    check(indicator(year_root, "I17_DU_SINH_HOAT"), status="not_met", value=90.0, numerator=324,
          denominator=360, behind=[])


def test_i24_ideological_content(year_root):
    # 36 distinct Định kỳ meetings; tư tưởng = Có for all but M2-B's 15/04, 15/06, 28/06 (29/03 of M2-A:
    # the later row says Có) → 33/36 → not_met; a ratio of meetings: behind empty.
    check(indicator(year_root, "I24_NOI_DUNG_TU_TUONG"), status="not_met", value=pct(33, 36), numerator=33,
          denominator=36, behind=[])


def test_quarter_window_counts_only_the_windows_reports(org):
    js = org.compute(2024, quarter=3, as_of=AS_OF)
    # Months Jan–Sep. Cells counted: latest reports in the window (Q3): M1, M2-A, M2-B.
    # M1's September meeting (30/09) is first listed in the Q4 report, which is not one of the window's
    # reports (indicators v1.1): M1 lacks September in Q1–Q3; M2-B lacks May → 1/3.
    check(indicator(js, "I16_SH_DINH_KY"), status="not_met", value=pct(1, 3), numerator=1, denominator=3,
          behind=["M1/M1", "M2/M2-B"])
    # Quarters Q1–Q3: M1, M2-A, M2-B each have a Chuyên đề in every quarter → 3/3 met.
    check(indicator(js, "I19_SH_CHUYEN_DE"), status="met", value=100.0, numerator=3, denominator=3, behind=[])


def test_a_later_report_moves_only_windows_that_include_it(org):
    # Q1–Q4 takes the Q4 report in: M1's 30/09 meeting counts there and M1 has every month → 2/3.
    js = org.compute(2024, quarter=4, as_of=AS_OF)
    check(indicator(js, "I16_SH_DINH_KY"), status="not_met", value=pct(2, 3), numerator=2, denominator=3,
          behind=["M2/M2-B"])


def test_i17_quarter_one(org):
    # Q1 Định kỳ, the Q1 reports only: M1 3 × 10/10; M2-A Jan, Feb 9 + 29/03 as the Q1 report has it (dự 5;
    # the Q2 report's row, dự 9, is outside the window) = 23/30; M2-B 3 × 8 = 24/30 → 77/90 → not_met.
    check(org.ind("I17_DU_SINH_HOAT", 2024, quarter=1, as_of=AS_OF), status="not_met", value=pct(77, 90),
          numerator=77, denominator=90)


def test_i17_first_half_takes_the_later_row(org):
    # Q1–Q2: 29/03 of M2-A is listed by both of the window's reports; the later (Q2) row wins: dự 9.
    # M1 6 × 10 = 60/60; M2-A 6 × 9 = 54/60; M2-B 6 × 8 = 48/60 → 162/180 = 90 % → "> 90 %" not met.
    check(org.ind("I17_DU_SINH_HOAT", 2024, quarter=2, as_of=AS_OF), status="not_met", value=90.0,
          numerator=162, denominator=180)


def test_scope_single_cell_unit(org):
    # Scope M1: its only cell met every month and every quarter.
    js = org.compute(2024, unit="M1", as_of=AS_OF)
    check(indicator(js, "I16_SH_DINH_KY"), status="met", value=100.0, numerator=1, denominator=1, behind=[])
    check(indicator(js, "I17_DU_SINH_HOAT"), status="met", value=100.0, numerator=120, denominator=120)


# ------------------------------------------------------------------ as-of: only ended months/quarters
def test_as_of_in_april_requires_only_the_first_quarter(org):
    js = org.compute(2025, as_of=D(2025, 4, 20))
    assert js["window"]["as_of"] == "2025-04-20"
    # Ended months: Jan–Mar. M1 ✓, M2-A ✓, M2-B lacks Feb → 2/3, behind M2/M2-B.
    check(indicator(js, "I16_SH_DINH_KY"), status="not_met", value=pct(2, 3), numerator=2, denominator=3,
          behind=["M2/M2-B"])
    # Ended quarters: Q1 only; each cell has a Chuyên đề in Q1 → 3/3 met.
    check(indicator(js, "I19_SH_CHUYEN_DE"), status="met", value=100.0, numerator=3, denominator=3, behind=[])
    # GOP_Y_XD_DANG 1 ≥ 1 ended quarter for M1 and M2 → 2/2 met.
    check(indicator(js, "I21_GOP_Y_HANG_QUY"), status="met", value=100.0, numerator=2, denominator=2,
          behind=[])
    # Expected reports: 2 units × Q1 (Q2 and Năm have not ended) = 2, both received on 10/04 ≤ 15/04.
    check(indicator(js, "I25_NOP_BAO_CAO"), status="met", value=100.0, numerator=2, denominator=2, behind=[])
    check(indicator(js, "I26_NOP_DUNG_HAN"), status="met", value=100.0, numerator=2, denominator=2, behind=[])


def test_as_of_in_july_requires_the_second_quarter_too(org):
    js = org.compute(2025, as_of=D(2025, 7, 20))
    # Ended months Jan–Jun: nobody has April–June meetings → 0/3.
    check(indicator(js, "I16_SH_DINH_KY"), status="not_met", value=0.0, numerator=0, denominator=3,
          behind=["M1/M1", "M2/M2-A", "M2/M2-B"])
    # Ended quarters Q1, Q2: no Chuyên đề in Q2 → 0/3.
    check(indicator(js, "I19_SH_CHUYEN_DE"), status="not_met", value=0.0, numerator=0, denominator=3,
          behind=["M1/M1", "M2/M2-A", "M2/M2-B"])
    # GOP_Y_XD_DANG 1 < 2 ended quarters → 0/2.
    check(indicator(js, "I21_GOP_Y_HANG_QUY"), status="not_met", value=0.0, numerator=0, denominator=2,
          behind=["M1", "M2"])
    # Expected 2 units × (Q1, Q2) = 4; received 2; Q2's deadline 15/07 has passed → on time 2.
    check(indicator(js, "I25_NOP_BAO_CAO"), status="not_met", value=50.0, numerator=2, denominator=4,
          behind=["M1", "M2"])
    check(indicator(js, "I26_NOP_DUNG_HAN"), status="not_met", value=50.0, numerator=2, denominator=4,
          behind=["M1", "M2"])


def test_compute_by_unit_agrees_with_compute_per_unit(org):
    # compute_by_unit's row per (unit, indicator) equals compute(unit=…) for that unit, value and status.
    from tests.metric_fixtures import by_unit_mismatches

    listed, bad = by_unit_mismatches(org, YEAR_BY_UNIT, as_of=AS_OF_BY_UNIT)
    assert listed and bad == []


def test_as_of_between_period_end_and_deadline(org):
    # As of 05/07/2025 Q2 has ended (so it is expected: I25 = 2 of 4, behind M1 and M2) but its deadline
    # 15/07 has not: "periods, months and deadlines count only if they have ended on or before" the as-of
    # date, so the missing Q2 reports are not (yet) late: I26 judges only Q1 → 2/2 met.
    js = org.compute(2025, as_of=D(2025, 7, 5))
    check(indicator(js, "I25_NOP_BAO_CAO"), status="not_met", value=50.0, numerator=2, denominator=4,
          behind=["M1", "M2"])
    check(indicator(js, "I26_NOP_DUNG_HAN"), status="met", value=100.0, numerator=2, denominator=2, behind=[])
