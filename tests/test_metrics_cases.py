"""Hand-checked indicator cases, part 1: "% of units" indicators, windows, activities, resubmission.

Organisation A (unit list, year 2024 unless said otherwise; as-of 2025-06-30, so every 2024 period and
deadline has passed; report deadline = period end + 15 days):

    ROOT ─┬─ DB01  Đảng bộ cơ sở        reports Q1 Q2 Q3(late) Q4 Năm
          ├─ TT1   Đảng bộ cấp trên cơ sở (intermediate, not expected to report)
          │   ├─ DB02  Đảng bộ cơ sở    reports Q1 Q2(late)            (no Năm)
          │   └─ CB02  Chi bộ cơ sở     reports Q1 Q2 Q2-resubmitted Q3 Q4 Năm
          ├─ CB01  Chi bộ cơ sở         reports Năm only
          ├─ CB03  Chi bộ cơ sở         never reports
          └─ CB04  Chi bộ cơ sở         inactive from 2024 (reports Năm 2023 only)

Element values (— = row absent / not reported; Y = Năm):

    unit  per  QT_NQ QCDC QD_TD KH_TT HN_NLD DOI_TH GOP_Y VB_CD NG_QT DV_TH AN_SINH staff members
    DB01  Q1   Không Có   Không Có    1      1      1     10    50    10    1.250,5 100   30
    DB01  Q2   Không —    —     —     —      0      1     5     80    20    —       100   30
    DB01  Q3   Có    —    —     —     —      —      1     7     —     —     —       100   30
    DB01  Q4   —     —    —     —     —      —      0     3     —     —     —       100   30
    DB01  Y    Có    Có   Có    Có    1      2      4     30    100   30    2000    100   30
    DB02  Q1   Không Có   Có    Không 0      0      1     4     60    5     —       200   20
    DB02  Q2   Có    —    —     —     0      1      1     6     150   12    —       200   20
    CB01  Y    Không Không Có   Có    2      1      3     2     —     8     —       40    10
    CB02  Q1   Có    Có   —     —     —      1      1     1     15    —     —       15    15
    CB02  Q2v1 —     —    —     —     —      5      1     100   —     —     —       15    15
    CB02  Q2v2 —     —    —     —     —      0      0     2     —     —     —       15    15
    CB02  Q3   —     —    —     —     —      —      1     3     —     —     —       15    15
    CB02  Q4   —     —    —     —     —      —      1     4     —     —     —       15    15
    CB02  Y    Không Có   Có    Có    1      0      3     10    15    15    —       15    15

Receipt times: default = period end + 5 days 10:00 (on time). DB01 Q3 at 2024-10-16 00:00:01 (one second
into the day after the deadline day 2024-10-15: late). DB02 Q2 at 2024-07-16 08:00 (late). CB02 Q1 at
2024-04-15 23:59:59 (the deadline day itself: on time). CB02 Q2 v1 at 2024-07-10 (on time), v2 at
2024-08-01 (after the deadline; the first accepted upload decides timeliness, the latest decides values).
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.metric_fixtures import ROOT, Org, check, indicator, pct

AS_OF = dt.date(2025, 6, 30)
T = dt.datetime


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Org:
    """The organisation of the module docstring, built once per module."""
    o = Org(tmp_path_factory.mktemp("org_a"))
    o.units([
        ("DB01", "Đảng bộ Công ty Một", "DBCS", None, None),
        ("TT1", "Đảng bộ Tổng công ty", "DBCT", None, None),
        ("DB02", "Đảng bộ Công ty Hai", "DBCS", "TT1", None),
        ("CB02", "Chi bộ Công ty Bốn", "CBCS", "TT1", None),
        ("CB01", "Chi bộ Công ty Ba", "CBCS", None, None),
        ("CB03", "Chi bộ Công ty Năm", "CBCS", None, None),
        ("CB04", "Chi bộ Công ty Sáu", "CBCS", None, 2024),
    ])
    r = o.report
    r("DB01", 2024, "Q1", staff=100, members=30, elements=dict(
        QUAN_TRIET_NQ=False, QCDC=True, QD_TIEP_DAN=False, KH_TU_TUONG=True, HN_NLD=1, DOI_THOAI=1,
        GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=10, NGUOI_QUAN_TRIET=50, DV_THU_HOACH=10, AN_SINH="1.250,5"))
    r("DB01", 2024, "Q2", staff=100, members=30, elements=dict(
        QUAN_TRIET_NQ=False, DOI_THOAI=0, GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=5, NGUOI_QUAN_TRIET=80,
        DV_THU_HOACH=20))
    r("DB01", 2024, "Q3", staff=100, members=30, received=T(2024, 10, 16, 0, 0, 1), elements=dict(
        QUAN_TRIET_NQ=True, GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=7))
    r("DB01", 2024, "Q4", staff=100, members=30, elements=dict(GOP_Y_XD_DANG=0, VAN_BAN_CHI_DAO=3))
    r("DB01", 2024, "Y", staff=100, members=30, elements=dict(
        QUAN_TRIET_NQ=True, QCDC=True, QD_TIEP_DAN=True, KH_TU_TUONG=True, HN_NLD=1, DOI_THOAI=2,
        GOP_Y_XD_DANG=4, VAN_BAN_CHI_DAO=30, NGUOI_QUAN_TRIET=100, DV_THU_HOACH=30, AN_SINH=2000))
    r("DB02", 2024, "Q1", staff=200, members=20, elements=dict(
        QUAN_TRIET_NQ=False, QCDC=True, QD_TIEP_DAN=True, KH_TU_TUONG=False, HN_NLD=0, DOI_THOAI=0,
        GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=4, NGUOI_QUAN_TRIET=60, DV_THU_HOACH=5))
    r("DB02", 2024, "Q2", staff=200, members=20, received=T(2024, 7, 16, 8, 0), elements=dict(
        QUAN_TRIET_NQ=True, HN_NLD=0, DOI_THOAI=1, GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=6,
        NGUOI_QUAN_TRIET=150, DV_THU_HOACH=12))
    r("CB01", 2024, "Y", staff=40, members=10, elements=dict(
        QUAN_TRIET_NQ=False, QCDC=False, QD_TIEP_DAN=True, KH_TU_TUONG=True, HN_NLD=2, DOI_THOAI=1,
        GOP_Y_XD_DANG=3, VAN_BAN_CHI_DAO=2, NGUOI_QUAN_TRIET=None, DV_THU_HOACH=8))
    r("CB02", 2024, "Q1", staff=15, members=15, received=T(2024, 4, 15, 23, 59, 59), elements=dict(
        QUAN_TRIET_NQ=True, QCDC=True, DOI_THOAI=1, GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=1,
        NGUOI_QUAN_TRIET=15))
    r("CB02", 2024, "Q2", staff=15, members=15, received=T(2024, 7, 10, 9, 0), elements=dict(
        DOI_THOAI=5, GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=100))
    r("CB02", 2024, "Q2", staff=15, members=15, received=T(2024, 8, 1, 9, 0), elements=dict(
        DOI_THOAI=0, GOP_Y_XD_DANG=0, VAN_BAN_CHI_DAO=2))
    r("CB02", 2024, "Q3", staff=15, members=15, elements=dict(GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=3))
    r("CB02", 2024, "Q4", staff=15, members=15, elements=dict(GOP_Y_XD_DANG=1, VAN_BAN_CHI_DAO=4))
    r("CB02", 2024, "Y", staff=15, members=15, elements=dict(
        QUAN_TRIET_NQ=False, QCDC=True, QD_TIEP_DAN=True, KH_TU_TUONG=True, HN_NLD=1, DOI_THOAI=0,
        GOP_Y_XD_DANG=3, VAN_BAN_CHI_DAO=10, NGUOI_QUAN_TRIET=15, DV_THU_HOACH=15))
    # 2023: only the now-inactive CB04 reported (its Năm report).
    r("CB04", 2023, "Y", staff=10, members=5, elements=dict(QUAN_TRIET_NQ=True))
    # 2025: one annual report whose ratio is 99.996 % (must not round up to the "= 100 %" target).
    r("DB01", 2025, "Y", staff=25000, members=30, elements=dict(NGUOI_QUAN_TRIET=24999, QUAN_TRIET_NQ=True))
    return o


@pytest.fixture(scope="module")
def year_root(org) -> dict:
    """The root, full year 2024."""
    return org.compute(2024, as_of=AS_OF)


@pytest.fixture(scope="module")
def q2_root(org) -> dict:
    """The root, 2024 year to date through quarter 2."""
    return org.compute(2024, quarter=2, as_of=AS_OF)


def test_report_shape_lists_every_indicator_in_id_order(year_root):
    # interfaces.md: every indicator is always present, in id order; the scope is the root.
    ids = [i["id"] for i in year_root["indicators"]]
    assert len(ids) == 26 and ids == sorted(ids)
    assert ids[0] == "I01_QUAN_TRIET_TO_CHUC" and ids[-1] == "I26_NOP_DUNG_HAN"
    assert year_root["scope"]["unit"] == ROOT and year_root["scope"]["is_root"] is True
    assert year_root["window"]["year"] == 2024 and year_root["window"]["quarter"] is None


# ------------------------------------------------------------------ I01 and the full-year rule
def test_i01_full_year_nam_supersedes_quarters(year_root):
    # Units counted = units with ≥1 accepted 2024 report: DB01, DB02, CB01, CB02 (CB03 never reported,
    # CB04 inactive) → 4. QUAN_TRIET_NQ for the year:
    #   DB01 Năm = Có → yes;  DB02 no Năm: any(Q1 Không, Q2 Có) → yes;  CB01 Năm = Không → no;
    #   CB02 Năm = Không → no, although its Q1 said Có (the Năm value is the year's value).
    # 2/4 = 50 %, target = 100 % → not_met, behind CB01, CB02.
    check(indicator(year_root, "I01_QUAN_TRIET_TO_CHUC"), status="not_met", value=50.0, numerator=2,
          denominator=4, behind=["CB01", "CB02"], target={"op": "=", "value": 100})


def test_i01_quarter_window_ignores_nam_and_later_quarters(q2_root):
    # --quarter 2: Q1–Q2 only, Năm ignored. Units counted: DB01, DB02, CB02 (CB01 has only a Năm report).
    #   DB01 any(Q1 Không, Q2 Không) → no (its Q3 and Năm say Có but are outside the window);
    #   DB02 any(Không, Có) → yes;  CB02 Q1 Có → yes.  2/3 → not_met, behind DB01.
    check(indicator(q2_root, "I01_QUAN_TRIET_TO_CHUC"), status="not_met", value=pct(2, 3), numerator=2,
          denominator=3, behind=["DB01"])


def test_i01_scope_intermediate_committee(org):
    # Scope TT1 = TT1 and below: DB02 (yes), CB02 (Năm Không → no). 1/2 → not_met, behind CB02.
    js = org.compute(2024, unit="TT1", as_of=AS_OF)
    assert js["scope"]["unit"] == "TT1" and js["scope"]["is_root"] is False
    check(indicator(js, "I01_QUAN_TRIET_TO_CHUC"), status="not_met", value=50.0, numerator=1, denominator=2,
          behind=["CB02"])


def test_i01_unit_that_never_reported_has_no_data(org):
    # Scope CB03: no report → no units counted → denominator 0 → no_data, value null, nobody behind.
    check(org.ind("I01_QUAN_TRIET_TO_CHUC", 2024, unit="CB03", as_of=AS_OF), status="no_data", value=None,
          behind=[])


# ------------------------------------------------------------------ other "% of units" indicators
def test_i03_qcdc(year_root):
    # QCDC: DB01 Năm Có; DB02 Q1 Có (Q2 blank) → yes; CB01 Năm Không; CB02 Năm Có. 3/4, behind CB01.
    check(indicator(year_root, "I03_QCDC"), status="not_met", value=75.0, numerator=3, denominator=4,
          behind=["CB01"])


def test_i05_exactly_100_percent_is_met(year_root):
    # QD_TIEP_DAN: DB01 Năm Có; DB02 Q1 Có; CB01 Có; CB02 Năm Có → 4/4 = 100 % = target → met.
    check(indicator(year_root, "I05_QD_TIEP_DAN"), status="met", value=100.0, numerator=4, denominator=4,
          behind=[])


def test_i06_workers_conference(year_root):
    # HN_NLD ≥ 1: DB01 Năm 1; DB02 Q1 0 + Q2 0 = 0 → no; CB01 2; CB02 Năm 1. 3/4, behind DB02.
    check(indicator(year_root, "I06_HN_NGUOI_LAO_DONG"), status="not_met", value=75.0, numerator=3,
          denominator=4, behind=["DB02"])


def test_i20_dialogue_nam_value_zero_wins(year_root):
    # DOI_THOAI ≥ 1 in the year: DB01 Năm 2; DB02 0 + 1 = 1; CB01 1; CB02 Năm 0 (its Q1 had 1, but the
    # Năm report is the year's value) → no. 3/4, behind CB02.
    check(indicator(year_root, "I20_DOI_THOAI"), status="not_met", value=75.0, numerator=3, denominator=4,
          behind=["CB02"])


def test_i20_quarter_window_sums_quarters(org):
    # --quarter 1: DB01 1 yes; DB02 0 no; CB02 1 yes → 2/3 behind DB02. An annual target in a window
    # before the year's end: short of it is "đang thực hiện", not "chưa đạt" (indicators v1.1).
    check(org.ind("I20_DOI_THOAI", 2024, quarter=1, as_of=AS_OF), status="in_progress", value=pct(2, 3),
          numerator=2, denominator=3, behind=["DB02"])
    # --quarter 2: DB01 1+0; DB02 0+1; CB02 1 + 0 (Q2 v2; the replaced v1 said 5) → all ≥ 1 → 3/3 met.
    check(org.ind("I20_DOI_THOAI", 2024, quarter=2, as_of=AS_OF), status="met", value=100.0, numerator=3,
          denominator=3, behind=[])


def test_i21_feedback_rounds_per_ended_quarter(year_root):
    # Full year: 4 ended quarters. GOP_Y_XD_DANG: DB01 Năm 4 ≥ 4 yes; DB02 1 + 1 = 2 no; CB01 Năm 3 no;
    # CB02 Năm 3 no. 1/4 = 25 %, behind CB01, CB02, DB02.
    check(indicator(year_root, "I21_GOP_Y_HANG_QUY"), status="not_met", value=25.0, numerator=1,
          denominator=4, behind=["CB01", "CB02", "DB02"])


def test_i21_resubmitted_quarter_only_latest_version_counts(q2_root):
    # --quarter 2: 2 ended quarters. DB01 1 + 1 = 2 yes; DB02 1 + 1 = 2 yes; CB02 Q1 1 + Q2 v2 0 = 1 → no
    # (with the replaced v1, which said 1, it would wrongly be 2). 2/3, behind CB02.
    check(indicator(q2_root, "I21_GOP_Y_HANG_QUY"), status="not_met", value=pct(2, 3), numerator=2,
          denominator=3, behind=["CB02"])


def test_i23_ideology_plan(year_root):
    # KH_TU_TUONG: DB01 Có; DB02 Q1 Không → no; CB01 Có; CB02 Năm Có. 3/4, behind DB02.
    check(indicator(year_root, "I23_KH_TU_TUONG"), status="not_met", value=75.0, numerator=3, denominator=4,
          behind=["DB02"])


# ------------------------------------------------------------------ people ratios from elements
def test_i02_people_reached_units_reporting_both(year_root):
    # Σ NGUOI_QUAN_TRIET / Σ Tổng số cán bộ, người lao động over units reporting both:
    #   DB01 Năm 100/100; DB02 latest (Q2) 150/200; CB01 did not report NGUOI_QUAN_TRIET → left out;
    #   CB02 Năm 15/15.  265 / 315 = 84.126… % → not_met. A ratio of people: behind is empty.
    check(indicator(year_root, "I02_QUAN_TRIET_NGUOI"), status="not_met", value=pct(265, 315),
          numerator=265, denominator=315, behind=[])


def test_i02_99_996_percent_is_not_100(org):
    # 2025: only DB01 reported, 24 999 of 25 000 staff → 99.996 %; compared unrounded with "= 100 %" →
    # not_met (rounded to two decimals it would read 100.00).
    check(org.ind("I02_QUAN_TRIET_NGUOI", 2025, as_of=dt.date(2026, 3, 1)), status="not_met", value=pct(24999, 25000),
          numerator=24999, denominator=25000)


def test_i22_reflections(year_root):
    # Σ DV_THU_HOACH / Σ Tổng số đảng viên: DB01 Năm 30/30; DB02 latest (Q2) 12/20; CB01 8/10;
    # CB02 Năm 15/15 → 65/75 = 86.67 % → not_met, behind empty (a ratio of members).
    check(indicator(year_root, "I22_THU_HOACH"), status="not_met", value=pct(65, 75), numerator=65,
          denominator=75, behind=[])


# ------------------------------------------------------------------ activities
def test_activities_full_year(year_root):
    # Năm supersedes quarters per unit; units without Năm sum their quarters.
    #   VAN_BAN_CHI_DAO: DB01 Năm 30 + DB02 (4+6) + CB01 2 + CB02 Năm 10 = 52
    #   DOI_THOAI: 2 + (0+1) + 1 + 0 = 4;  HN_NLD: 1 + 0 + 2 + 1 = 4;  GOP_Y_XD_DANG: 4 + 2 + 3 + 3 = 12
    #   AN_SINH: DB01 Năm 2000 (its Q1 1250.5 is superseded) = 2000.0
    act = year_root["activities"]
    assert act["VAN_BAN_CHI_DAO"] == 52
    assert act["DOI_THOAI"] == 4
    assert act["HN_NLD"] == 4
    assert act["GOP_Y_XD_DANG"] == 12
    assert act["AN_SINH"] == pytest.approx(2000.0)


def test_activities_quarter_is_that_single_quarter(org, q2_root):
    # --quarter 2 → Q2 alone: VAN_BAN_CHI_DAO DB01 5 + DB02 6 + CB02 v2 2 = 13 (v1's 100 is replaced);
    # DOI_THOAI 0 + 1 + 0 = 1; GOP_Y_XD_DANG 1 + 1 + 0 = 2.
    act = q2_root["activities"]
    assert (act["VAN_BAN_CHI_DAO"], act["DOI_THOAI"], act["GOP_Y_XD_DANG"]) == (13, 1, 2)
    # --quarter 1: VAN_BAN_CHI_DAO 10 + 4 + 1 = 15; AN_SINH "1.250,5" → 1250.5.
    q1 = org.compute(2024, quarter=1, as_of=AS_OF)["activities"]
    assert q1["VAN_BAN_CHI_DAO"] == 15
    assert q1["AN_SINH"] == pytest.approx(1250.5)


# ------------------------------------------------------------------ I25 / I26 completeness
def test_i25_full_year_expected_from_unit_list(year_root):
    # Expected: active DBCS/CBCS units of 2024 = DB01, DB02, CB01, CB02, CB03 (TT1 is an intermediate
    # committee, CB04 inactive from 2024) × 5 periods (Q1–Q4, Năm) = 25.
    # Received distinct (unit, period): DB01 5, DB02 2, CB01 1, CB02 5 (two Q2 versions count once) = 13.
    # 13/25 = 52 % → not_met; behind = units missing a report: CB01, CB03 (never reported), DB02.
    check(indicator(year_root, "I25_NOP_BAO_CAO"), status="not_met", value=52.0, numerator=13,
          denominator=25, behind=["CB01", "CB03", "DB02"])


def test_i26_deadline_day_counts_whole_day(year_root):
    # On time (received date ≤ period end + 15 days): DB01 Q1 Q2 Q4 Năm (Q3 at 2024-10-16 00:00:01 is
    # late) = 4; DB02 Q1 (Q2 late) = 1; CB01 1; CB02 Q1 at 2024-04-15 23:59:59 on time, Q2 first upload
    # 2024-07-10 on time (the late v2 does not make it late), Q3 Q4 Năm → 5.  11/25 = 44 % → not_met.
    # behind: every unit with a late or missing report: CB01, CB03, DB01, DB02 (CB02 is fully on time).
    check(indicator(year_root, "I26_NOP_DUNG_HAN"), status="not_met", value=44.0, numerator=11,
          denominator=25, behind=["CB01", "CB03", "DB01", "DB02"])


def test_i25_i26_quarter_window(q2_root):
    # --quarter 2: expected 5 units × (Q1, Q2) = 10 (no Năm in a quarter window).
    # I25: DB01 2, DB02 2, CB02 2 → 6/10, behind CB01, CB03.
    check(indicator(q2_root, "I25_NOP_BAO_CAO"), status="not_met", value=60.0, numerator=6, denominator=10,
          behind=["CB01", "CB03"])
    # I26: DB01 2, DB02 1 (Q2 late), CB02 2 → 5/10, behind CB01, CB03, DB02.
    check(indicator(q2_root, "I26_NOP_DUNG_HAN"), status="not_met", value=50.0, numerator=5,
          denominator=10, behind=["CB01", "CB03", "DB02"])


def test_i25_i26_scope_and_never_reported_unit(org):
    # Scope TT1: DB02, CB02 × 5 = 10 expected; received 2 + 5 = 7; on time 1 + 5 = 6.
    js = org.compute(2024, unit="TT1", as_of=AS_OF)
    check(indicator(js, "I25_NOP_BAO_CAO"), status="not_met", value=70.0, numerator=7, denominator=10,
          behind=["DB02"])
    check(indicator(js, "I26_NOP_DUNG_HAN"), status="not_met", value=60.0, numerator=6, denominator=10,
          behind=["DB02"])
    # Scope CB03 (on the unit list, never reported): 0/5 → 0 %, not_met, behind CB03.
    check(org.ind("I25_NOP_BAO_CAO", 2024, unit="CB03", as_of=AS_OF), status="not_met", value=0.0,
          numerator=0, denominator=5, behind=["CB03"])


def test_inactive_unit_expected_only_before_it_stopped(org):
    # 2023: CB04 (inactive from 2024) is still expected: 6 units × 5 periods = 30; received: CB04 Năm = 1.
    check(org.ind("I25_NOP_BAO_CAO", 2023, as_of=AS_OF), status="not_met", value=pct(1, 30), numerator=1,
          denominator=30, behind=["CB01", "CB02", "CB03", "DB01", "DB02", "CB04"])
    # 2024, scope CB04: nothing expected → denominator 0 → no_data.
    check(org.ind("I25_NOP_BAO_CAO", 2024, unit="CB04", as_of=AS_OF), status="no_data", value=None,
          behind=[])


@pytest.mark.parametrize("quarter", [None, 2])
def test_compute_by_unit_agrees_with_compute_per_unit(org, quarter):
    # Every grassroots unit that reported or is expected (DB01, DB02, CB01, CB02, CB03) gets a row per
    # indicator, equal in value and status to compute(unit=that unit); root-only quotas give no_target.
    from tests.metric_fixtures import by_unit_mismatches

    listed, bad = by_unit_mismatches(org, 2024, quarter=quarter, as_of=AS_OF)
    assert {"DB01", "DB02", "CB01", "CB02", "CB03"} <= listed
    assert "CB04" not in listed  # inactive in 2024, never reported in 2024
    assert bad == []


def test_annual_target_is_judged_once_the_year_is_over(org):
    # I06 full year 2024, 3/4 behind DB02 (test_i06_workers_conference): as of 30/06/2025 the year is over →
    # "chưa đạt". As of 31/12/2024 the year has ended (a period ends on its last day, as everywhere) → judged;
    # as of 30/12/2024 the year is not over → "đang thực hiện", the behind list kept.
    check(org.ind("I06_HN_NGUOI_LAO_DONG", 2024, as_of=dt.date(2024, 12, 31)), status="not_met", value=75.0)
    check(org.ind("I06_HN_NGUOI_LAO_DONG", 2024, as_of=dt.date(2024, 12, 30)), status="in_progress",
          value=75.0, behind=["DB02"])
    # A non-annual target (I01) is never in progress: Q1 and before the year's end it is plainly judged.
    assert org.ind("I01_QUAN_TRIET_TO_CHUC", 2024, quarter=1, as_of=AS_OF)["status"] == "not_met"
