"""Hand-checked indicator cases, part 4: training quotas (I07, I08) and petitions (I09, I10, activities).

Organisation E, all units directly under the root: T1, T2 (Đảng bộ cơ sở) send members to political-
theory courses; P1 (Đảng bộ cơ sở), P2, P3 (Chi bộ cơ sở) keep petition registers.

Training (person = name folded, birth date, level; counted once, in Năm cử đi học):
    2020  Z listed only in T1's 2021 Q1 report with Năm cử đi học 2020: counted in no window (a 2020
          window has only 2020's reports, and 2021 is not the year sent; indicators v1.1)
    2021  T1 Năm: p0…p3 Cao cấp                                                 → I07(2021) = 4  not_met
    2022  T1 Q2: p4 p5; T1 Năm: p4 p5 p6; T2 Năm: p6 (typed "  LÊ   VĂN  p6 " style, upper case, extra
          spaces), p7, p9; p8 Trung cấp; p4 again as Trung cấp (another level: another identity)
                                                                                → I07(2022) = 5  met
    2023  T1 Năm p10…p15; T2 Năm p16…p19 and p12 again in decomposed (NFD) Unicode   → I07(2023) = 10 met
          T2 Năm p50…p58 Trung cấp                                              → I08(2023) = 9  not_met
    2024  T1 Năm p20…p30 Cao cấp, p32 Sơ cấp, p40 Trung cấp; T1 Q2 v1 lists p20 and p31 Cao cấp,
          its replacement v2 only p20; T2 Năm p40…p49 Trung cấp                  → I07(2024) = 11 exceeded
                                                                                → I08(2024) = 10 met

Petitions (deadline blank → Ngày nhận + 30 days):
    P1 2026 Q1 (received 05/04): A1 recv 10/01 resolved 09/02 (= its default deadline);
        A2 recv 01/02 deadline 01/03 pending; A3 recv 20/03 deadline 19/04 pending;
        A4 recv 25/03 not in competence, Chuyển đơn; A5 recv 15/02 over-level, resolved 20/02.
    P1 2026 Q2 (received 05/07): A2 resolved 10/04 (late); A3 resolved 01/04 (on time);
        A6 recv 01/05 deadline 31/05 pending; A7 recv 20/06 deadline 15/08 pending.
    P2 2025 Q4: B2 recv 20/12/2025 over-level, resolved 28/12/2025.
    P2 2026 Q2: B1 recv 02/04 over-level, resolved 20/04; B2 carried over unchanged.
    P3 2026 Q2: C1 recv 05/05 resolved 06/05.

Receipt (deadline day of Q1 2026: 15/04; of Q2: 15/07): P1 Q1 05/04, Q2 05/07. P2 Q1 at 15/04 18:30 UTC
= 16/04 01:30 local time (late), Q2 10/07. P3 Q1 first uploaded 10/04 but rejected (Số ĐV dự > phải dự),
accepted on 20/04 (late), the identical file again on 25/04 (duplicate); Q2 10/07.
"""
from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from tests.metric_fixtures import Org, check, indicator, meeting, pct, petition, trainee

D = dt.date
AS_OF = dt.date(2026, 7, 20)
YEAR_BY_UNIT, AS_OF_BY_UNIT = 2026, AS_OF
SURNAMES = ["Nguyễn Văn", "Trần Thị", "Lê Văn", "Phạm Thị", "Hoàng Văn", "Vũ Thị", "Đặng Văn", "Bùi Thị"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Hải", "Hoa", "Khánh", "Lan", "Minh", "Nga", "Phúc", "Quyên",
         "Sơn", "Thảo", "Uyên", "Vinh"]


def person(i: int) -> tuple[str, dt.date]:
    """Person p<i>: a Vietnamese name and a birth date, both unique to i."""
    return f"{SURNAMES[i % 8]} {GIVEN[i % 16]} {'Anh' * (i // 16)}".strip(), D(1975, 1, 1) + dt.timedelta(days=37 * i)


def tr(i: int, level: str, year: int, name: str | None = None) -> dict:
    """Person p<i> as a `Đào tạo LLCT` row (name: the same person typed differently)."""
    n, b = person(i)
    return trainee(name or n, b, level, year)


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Org:
    """The organisation of the module docstring, built once per module."""
    o = Org(tmp_path_factory.mktemp("org_e"))
    o.units([("T1", "Đảng bộ T1", "DBCS", None, None), ("T2", "Đảng bộ T2", "DBCS", None, None),
             ("P1", "Đảng bộ P1", "DBCS", None, None), ("P2", "Chi bộ P2", "CBCS", None, None),
             ("P3", "Chi bộ P3", "CBCS", None, None)])
    z = trainee("Ngô Thị Zung", D(1980, 5, 5), "CC", 2020)
    o.report("T1", 2021, "Q1", trainees=[z])
    o.report("T1", 2021, "Y", trainees=[tr(i, "CC", 2021) for i in range(4)])
    o.report("T1", 2022, "Q2", trainees=[tr(4, "CC", 2022), tr(5, "CC", 2022)])
    o.report("T1", 2022, "Y", trainees=[tr(i, "CC", 2022) for i in (4, 5, 6)])
    p6_typed = "  " + "   ".join(person(6)[0].upper().split()) + " "
    o.report("T2", 2022, "Y", trainees=[tr(6, "CC", 2022, name=p6_typed), tr(7, "CC", 2022),
                                        tr(9, "CC", 2022), tr(8, "TC", 2022), tr(4, "TC", 2022)])
    o.report("T1", 2023, "Y", trainees=[tr(i, "CC", 2023) for i in range(10, 16)])
    p12_nfd = unicodedata.normalize("NFD", person(12)[0])
    o.report("T2", 2023, "Y", trainees=[tr(i, "CC", 2023) for i in range(16, 20)]
             + [tr(12, "CC", 2023, name=p12_nfd)] + [tr(i, "TC", 2023) for i in range(50, 59)])
    o.report("T1", 2024, "Q2", trainees=[tr(20, "CC", 2024), tr(31, "CC", 2024)])
    o.report("T1", 2024, "Q2", received=dt.datetime(2024, 7, 12, 9), trainees=[tr(20, "CC", 2024)])
    o.report("T1", 2024, "Y", trainees=[tr(i, "CC", 2024) for i in range(20, 31)]
             + [tr(32, "SC", 2024), tr(40, "TC", 2024)])
    o.report("T2", 2024, "Y", trainees=[tr(i, "TC", 2024) for i in range(40, 50)])

    o.report("P1", 2026, "Q1", received=dt.datetime(2026, 4, 5, 9), petitions=[
        petition("A1", D(2026, 1, 10), resolved=D(2026, 2, 9)),
        petition("A2", D(2026, 2, 1), "pending", deadline=D(2026, 3, 1)),
        petition("A3", D(2026, 3, 20), "pending", deadline=D(2026, 4, 19)),
        petition("A4", D(2026, 3, 25), "moved", in_competence=False),
        petition("A5", D(2026, 2, 15), resolved=D(2026, 2, 20), over_level=True)])
    o.report("P1", 2026, "Q2", received=dt.datetime(2026, 7, 5, 9), petitions=[
        petition("A2", D(2026, 2, 1), deadline=D(2026, 3, 1), resolved=D(2026, 4, 10)),
        petition("A3", D(2026, 3, 20), deadline=D(2026, 4, 19), resolved=D(2026, 4, 1)),
        petition("A6", D(2026, 5, 1), "pending", deadline=D(2026, 5, 31)),
        petition("A7", D(2026, 6, 20), "pending", deadline=D(2026, 8, 15))])
    b2 = petition("B2", D(2025, 12, 20), resolved=D(2025, 12, 28), over_level=True)
    o.report("P2", 2025, "Q4", received=dt.datetime(2026, 1, 5, 9), petitions=[b2])
    o.report("P2", 2026, "Q2", received=dt.datetime(2026, 7, 10, 9), petitions=[
        petition("B1", D(2026, 4, 2), resolved=D(2026, 4, 20), over_level=True), b2])
    o.report("P3", 2026, "Q2", received=dt.datetime(2026, 7, 10, 9), petitions=[
        petition("C1", D(2026, 5, 5), resolved=D(2026, 5, 6))])
    # Timeliness of the first accepted upload, in local time.
    o.report("P2", 2026, "Q1", received=dt.datetime(2026, 4, 15, 18, 30, tzinfo=dt.timezone.utc))
    o.report("P3", 2026, "Q1", received=dt.datetime(2026, 4, 10, 9), expect="rejected",
             meetings=[meeting("P3", D(2026, 2, 10), attended=11, required=10)])
    ok = o.report("P3", 2026, "Q1", received=dt.datetime(2026, 4, 20, 9))
    assert o.upload(ok.path, dt.datetime(2026, 4, 25, 9)).status == "duplicate"
    return o


# ------------------------------------------------------------------ I07 / I08 range targets
@pytest.mark.parametrize("year, count, status", [
    (2021, 4, "not_met"),   # below the 5–10 range (Z, sent in 2020, is not counted here)
    (2022, 5, "met"),       # p4 p5 p6 p7 p9: p4/p5 listed in two reports, p6 by two units → once each
    (2023, 10, "met"),      # the top of the range is still met; p12 typed in NFD counts once
    (2024, 11, "exceeded"),  # above the range; p31 of the replaced Q2 version is not counted
])
def test_i07_advanced_course_range_target(org, year, count, status):
    check(org.ind("I07_CAO_CAP_LLCT", year, as_of=D(year + 1, 6, 30)), status=status, value=count,
          numerator=count, denominator=None, behind=[], target={"op": "range", "min": 5, "max": 10})


def test_a_trainee_counts_only_when_a_windows_report_lists_them_in_the_year_sent(org):
    # Z is listed only in a 2021 report but was sent in 2020: no 2020 report lists Z, so 2020 has nobody
    # (and no report at all: no_data); 2021 counts p0…p3 only (Z was not sent in 2021).
    check(org.ind("I07_CAO_CAP_LLCT", 2020, as_of=D(2021, 6, 30)), status="no_data", value=None)
    check(org.ind("I07_CAO_CAP_LLCT", 2021, as_of=D(2022, 6, 30)), status="not_met", value=4)


def test_a_trainee_listed_later_does_not_move_an_earlier_window(org):
    # 2024 Q1–Q2: T1's Q2 v2 lists p20 only (v1's p31 was replaced); the Năm report's p21…p30 are outside
    # the window → 1 person. The year is not over: below the 5–10 range is "đang thực hiện".
    check(org.ind("I07_CAO_CAP_LLCT", 2024, quarter=2, as_of=D(2025, 6, 30)), status="in_progress", value=1)


@pytest.mark.parametrize("year, count, status", [(2023, 9, "not_met"), (2024, 10, "met")])
def test_i08_intermediate_course(org, year, count, status):
    # 2024: p40…p49 by T2, p40 again by T1 → 10 (Sơ cấp p32 and Cao cấp rows not counted).
    check(org.ind("I08_TRUNG_CAP_LLCT", year, as_of=D(year + 1, 6, 30)), status=status, value=count,
          behind=[], target={"op": "range", "min": 10, "max": 20})


def test_root_only_quotas_have_no_target_in_a_narrower_scope(org):
    js = org.compute(2024, unit="T1", as_of=D(2025, 6, 30))
    # T1 alone: 11 Cao cấp (p20…p30), 1 Trung cấp (p40): shown, not judged.
    check(indicator(js, "I07_CAO_CAP_LLCT"), status="no_target", value=11, target=None, behind=[])
    check(indicator(js, "I08_TRUNG_CAP_LLCT"), status="no_target", value=1, target=None, behind=[])
    # T2 in 2022: p6, p7, p9 → 3, no_target (at the root it would be judged).
    check(org.ind("I07_CAO_CAP_LLCT", 2022, unit="T2", as_of=D(2023, 6, 30)), status="no_target", value=3,
          target=None)


# ------------------------------------------------------------------ I09 / I10 and petition activities
def test_i09_pending_before_deadline_excluded(org):
    # Received in 2026, in competence: A1 A2 A3 A5 A6 A7 B1 C1 (A4 not in competence; B2 received 2025).
    # As of 20/07: A7 pending, deadline 15/08 not passed → excluded. A6 pending, deadline 31/05 passed →
    # counted, not on time. A2 resolved 10/04 after 01/03 → late. A1 resolved on its deadline day → on time.
    # On time: A1 A3 A5 B1 C1 = 5 of 7 → not_met; behind empty (a ratio of petitions).
    check(org.ind("I09_DON_THU_DUNG_HAN", 2026, as_of=AS_OF), status="not_met", value=pct(5, 7), numerator=5,
          denominator=7, behind=[], target={"op": "=", "value": 100})


def test_i09_pending_after_deadline_counted_as_late(org):
    # As of 01/09: A7's deadline 15/08 has passed, still pending → counted, not on time: 5/8.
    check(org.ind("I09_DON_THU_DUNG_HAN", 2026, as_of=D(2026, 9, 1)), status="not_met", value=pct(5, 8),
          numerator=5, denominator=8)


def test_i09_small_scopes(org):
    # P2 in 2026: B1 on time (B2 was received in 2025) → 1/1 met. P2 in 2025: B2 on time → 1/1 met.
    check(org.ind("I09_DON_THU_DUNG_HAN", 2026, unit="P2", as_of=AS_OF), status="met", value=100.0,
          numerator=1, denominator=1)
    check(org.ind("I09_DON_THU_DUNG_HAN", 2025, unit="P2", as_of=AS_OF), status="met", value=100.0,
          numerator=1, denominator=1)


def test_i10_over_level_judged_from_2026(org):
    # 2026, received in 2026 with Vượt cấp: A5, B1 → 2 (B2 was received in 2025); target = 0 → not_met.
    check(org.ind("I10_DON_VUOT_CAP", 2026, as_of=AS_OF), status="not_met", value=2, behind=[],
          target={"op": "=", "value": 0})
    # 2026, scope P3: C1 is not over-level → 0 = target → met.
    check(org.ind("I10_DON_VUOT_CAP", 2026, unit="P3", as_of=AS_OF), status="met", value=0,
          target={"op": "=", "value": 0})
    # 2025: B2 → 1, shown but not judged before 2026.
    check(org.ind("I10_DON_VUOT_CAP", 2025, as_of=AS_OF), status="no_target", value=1, target=None)


def test_petition_activities_received_and_mean_days(org):
    act = org.compute(2026, as_of=AS_OF)["activities"]
    # Received in 2026 (by Ngày nhận): A1…A7, B1, C1 = 9 (B2 was received in 2025).
    assert act["DON_THU_NHAN"] == 9
    # Days from receipt to resolution of the resolved ones: A1 30, A2 68, A3 12, A5 5, B1 18, C1 1.
    days = [(D(2026, 2, 9) - D(2026, 1, 10)).days, (D(2026, 4, 10) - D(2026, 2, 1)).days,
            (D(2026, 4, 1) - D(2026, 3, 20)).days, 5, 18, 1]
    assert days == [30, 68, 12, 5, 18, 1]
    assert act["DON_THU_SO_NGAY_TB"] == pytest.approx(sum(days) / 6, abs=0.05)  # 22.33


@pytest.mark.parametrize("as_of, overdue", [
    # As of 20/07: A6 (Đang giải quyết, deadline 31/05) only. A7's deadline 15/08 has not passed; A4 was
    # transferred (Chuyển đơn, not in competence): not "still pending", so never overdue.
    (AS_OF, 1),
    # As of 01/09: A7 (Đang giải quyết, deadline 15/08) is overdue too.
    (D(2026, 9, 1), 2),
])
def test_petition_activities_overdue_still_pending(org, as_of, overdue):
    assert org.compute(2026, as_of=as_of)["activities"]["DON_THU_QUA_HAN"] == overdue


def test_a_petitions_state_in_a_window_is_its_row_in_the_windows_latest_report(org):
    # Q1 2026 window: only P1's Q1 report speaks for A1…A5. A2 (deadline 01/03) and A3 (deadline 19/04) are
    # pending there; the Q2 report that resolves them is outside the window. As of 20/07 both deadlines have
    # passed → counted, not on time. In competence: A1 A2 A3 A5 → on time A1 A5 = 2/4.
    check(org.ind("I09_DON_THU_DUNG_HAN", 2026, quarter=1, as_of=AS_OF), status="not_met", value=50.0,
          numerator=2, denominator=4)
    # Q1–Q2: the Q2 rows win: A2 late, A3 on time; A6 pending past 31/05; A7 not yet due → 5/7 as the year.
    check(org.ind("I09_DON_THU_DUNG_HAN", 2026, quarter=2, as_of=AS_OF), status="not_met", value=pct(5, 7),
          numerator=5, denominator=7)
    # The quarter's activities follow the same rows: Q1 alone has A2 and A3 overdue (still pending in Q1's
    # report); Q2 alone: A6 only.
    assert org.compute(2026, quarter=1, as_of=AS_OF)["activities"]["DON_THU_QUA_HAN"] == 2
    assert org.compute(2026, quarter=2, as_of=AS_OF)["activities"]["DON_THU_QUA_HAN"] == 1


def test_petitions_received_per_single_quarter(org):
    # --quarter 1 → Q1 alone: A1…A5 = 5; --quarter 2 → Q2 alone: A6, A7, B1, C1 = 4.
    assert org.compute(2026, quarter=1, as_of=AS_OF)["activities"]["DON_THU_NHAN"] == 5
    assert org.compute(2026, quarter=2, as_of=AS_OF)["activities"]["DON_THU_NHAN"] == 4


def test_compute_by_unit_agrees_with_compute_per_unit(org):
    # compute_by_unit's row per (unit, indicator) equals compute(unit=…) for that unit, value and status.
    from tests.metric_fixtures import by_unit_mismatches

    listed, bad = by_unit_mismatches(org, YEAR_BY_UNIT, as_of=AS_OF_BY_UNIT)
    assert listed and bad == []


@pytest.mark.parametrize("unit, on_time, behind", [
    ("P1", 2, []),        # Q1 05/04, Q2 05/07: both on time
    ("P2", 1, ["P2"]),    # Q1 at 15/04 18:30 UTC is 16/04 01:30 in Hồ Chí Minh time → late
    ("P3", 1, ["P3"]),    # Q1: the on-time upload was rejected; the first accepted one (20/04) is late
])
def test_i26_first_accepted_upload_in_local_time(org, unit, on_time, behind):
    js = org.compute(2026, unit=unit, as_of=AS_OF)
    # Expected: Q1 and Q2 (ended by 20/07); both received → I25 2/2 met.
    check(indicator(js, "I25_NOP_BAO_CAO"), status="met", value=100.0, numerator=2, denominator=2, behind=[])
    check(indicator(js, "I26_NOP_DUNG_HAN"), status="met" if on_time == 2 else "not_met",
          value=pct(on_time, 2), numerator=on_time, denominator=2, behind=behind)


def test_the_register_is_the_engines_petitions(org):
    """metrics.history.petition_register lists the engine's own rows: the same count and overdue count as
    the activities, and a transferred petition without a resolution date (A4) is plainly not overdue (no
    unknown value for a page to trip on)."""
    from metrics.history import petition_register

    reg = petition_register(org.db, year=2026, as_of=AS_OF)
    act = org.compute(2026, as_of=AS_OF)["activities"]
    assert len(reg) == act["DON_THU_NHAN"] == 9
    assert reg["overdue"].tolist().count(True) == act["DON_THU_QUA_HAN"] == 1
    assert reg["overdue"].isna().sum() == 0 and reg["late"].isna().sum() == 0
    a4 = reg[reg["petition_no"] == "A4"].iloc[0]
    assert (a4["overdue"], a4["late"], a4["status"]) == (False, False, "CHUYEN_DON")
