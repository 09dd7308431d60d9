"""Projector layout rules of the chart builders: value labels clear of the target marks, short axis labels
with the full name in the hover, completeness colours that colour-blind readers tell apart, symbols in
every cell, trend labels off the target line."""
from __future__ import annotations

import pandas as pd

from ui.views import scorecard
from ui import charts

LONG = "Tỷ lệ đảng viên đóng góp ý kiến trong sinh hoạt từ 6 kỳ/năm trở lên ở mọi chi bộ trực thuộc"


def rows() -> list[dict]:
    """Percent indicators: one below a '≥ 80' target, one at '= 100', one above '≥ 85', one without target."""
    def row(i, name, value, status, target):
        return {"id": f"I{i:02d}_X", "name": name, "unit": "%", "value": value, "status": status,
                "target": target}

    return [row(1, LONG, 66.7, "not_met", {"op": ">=", "value": 80}),
            row(2, "Tỷ lệ chi bộ sinh hoạt", 100.0, "met", {"op": "=", "value": 100}),
            row(3, "Tỷ lệ báo cáo nộp đúng hạn", 86.0, "met", {"op": ">=", "value": 85}),
            row(4, "Tỷ lệ khác", 40.0, "no_target", None)]


def labels_trace(fig):
    """The text-only trace that writes the values."""
    return next(t for t in fig.data if t.type == "scatter" and t.mode == "text")


def test_value_labels_sit_right_of_both_bar_and_target_mark():
    df = scorecard.value_vs_target(rows())
    for big in (False, True):
        fig = charts.value_vs_target(df, "Các tỷ lệ", unit="%", big=big)
        text = labels_trace(fig)
        for x, (_, r) in zip(text.x, df.iterrows()):
            ends = [v for v in (r["value"], r["target_low"], r["target_high"]) if v is not None and not pd.isna(v)]
            assert x > max(ends), (r["id"], x, ends)
        assert list(text.text) == list(df["value_text"])
        assert fig.layout.xaxis.range[1] >= 125  # room for '100,0%' beyond the last tick


def test_axis_labels_are_short_and_the_hover_has_the_full_name():
    df = scorecard.value_vs_target(rows())
    fig = charts.value_vs_target(df, "Các tỷ lệ", unit="%")
    bars = [t for t in fig.data if t.type == "bar"]
    shown = [y for t in bars for y in t.y]
    for y in shown:
        lines = y.split("<br>")
        assert len(lines) <= 2 and all(len(line) <= 26 for line in lines), y
    assert any(y.endswith("…") for y in shown)  # the long name is cut on the axis ...
    names = [c[2] for t in bars for c in t.customdata]
    assert LONG in names  # ... and whole in the hover
    assert all("customdata[2]" in t.hovertemplate for t in bars)


def test_axis_label_keeps_short_text_and_wraps_at_word_boundaries():
    assert charts.axis_label("I26 Báo cáo nộp đúng hạn") == "I26 Báo cáo nộp đúng hạn"
    wrapped = charts.axis_label("I04 Chi bộ triển khai mô hình Chi bộ 4 tốt", 26)
    assert wrapped == "I04 Chi bộ triển khai mô<br>hình Chi bộ 4 tốt"


def test_status_counts_labels_wrap_and_keep_the_full_label_in_the_hover():
    fig = charts.status_counts_bar({"not_met": 3, "met": 5, "exceeded": 0, "no_data": 0, "no_target": 1}, "x")
    bar = fig.data[0]
    assert "– Không đặt<br>chỉ tiêu" in list(bar.y)
    assert "– Không đặt chỉ tiêu" in list(bar.customdata)


def _lab_distance(a: str, b: str, deutan: bool) -> float:
    """CIELAB distance of two colours, optionally as a deuteranope sees them (Machado et al. 2009)."""
    import numpy as np

    m = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                  [-0.011820, 0.042940, 0.968881]]) if deutan else np.eye(3)

    def lab(hex_colour: str):
        c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        c = np.clip(m @ c, 0, 1)
        xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ c
        xyz = xyz / np.array([0.95047, 1, 1.08883])
        f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
        return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])

    return float(np.linalg.norm(lab(a) - lab(b)))


def test_late_and_missing_are_far_apart_also_for_deuteranopes():
    c = charts.COMPLETENESS_COLORS
    for deutan in (False, True):
        assert _lab_distance(c["late"], c["missing"], deutan) > 35
        assert _lab_distance(c["on_time"], c["missing"], deutan) > 35
    assert len(set(c.values())) == len(c)


def test_completeness_cells_carry_a_symbol_not_only_a_colour():
    long = pd.DataFrame({"unit_code": ["A"] * 5, "unit_name": ["A"] * 5, "period": ["Q1", "Q2", "Q3", "Q4", "Y"],
                         "status": ["on_time", "late", "missing", "waiting", "not_due"]})
    fig = charts.completeness_heatmap(long, "x")
    cells = list(fig.data[0].text[0])
    assert cells[1] != cells[2] and "✗" in cells[2] and "muộn" in cells[1]
    assert all(cells) and len(set(cells)) == 5


def test_trend_labels_below_the_target_go_under_their_point():
    series = pd.DataFrame({"year": [2023, 2024], "value": [93.3, 100.0], "value_text": ["93,3%", "100,0%"]})
    fig = charts.trend(series, "x", unit="%", target_low=100)
    assert list(fig.data[0].textposition) == ["bottom center", "top center"]


def test_one_colour_one_meaning_everywhere():
    """A report on time, a petition resolved on time and a target met share one colour; late, resolved
    late and not met another; overdue and missing a third; in progress and within the deadline a fourth.
    Categories that judge nothing never borrow a status colour (the DB01 user was once 'met' blue)."""
    from ui import theme

    met, bad, worst, pending = theme.COLORS["met"], theme.COLORS["not_met"], theme.WORST, theme.COLORS["in_progress"]
    assert theme.COMPLETENESS_COLORS["on_time"] == theme.PETITION_COLORS["Giải quyết đúng hạn"] == met
    assert theme.COMPLETENESS_COLORS["late"] == theme.PETITION_COLORS["Giải quyết muộn"] == bad
    assert theme.COMPLETENESS_COLORS["missing"] == theme.PETITION_COLORS["Quá hạn chưa giải quyết"] == worst
    assert theme.COMPLETENESS_COLORS["waiting"] == theme.PETITION_COLORS["Đang giải quyết (trong hạn)"] == pending
    assert len({met, bad, worst, pending, theme.COLORS["exceeded"]}) == 5
    judged = set(theme.COLORS.values()) | set(theme.COMPLETENESS_COLORS.values()) | set(theme.PETITION_COLORS.values())
    assert not judged & set(theme.SERIES)
    # every petition state the register can produce has its colour
    from ui.views.petitions import PETITION_STATUS

    assert set(PETITION_STATUS.values()) - {"Đã giải quyết", "Đang giải quyết"} <= set(theme.PETITION_COLORS)


def test_count_bars_have_whole_ticks_sorted_categories_and_bands_under_the_bars():
    df = pd.DataFrame({"Đơn vị": ["A", "B", "C"], "Số đơn": [1, 3, 2]})
    fig = charts.bars(df, "Đơn vị", "Số đơn", "t", unit="đơn", horizontal=True, band=(1, 2))
    assert fig.layout.xaxis.tickformat == ",d" and fig.layout.xaxis.dtick == 1
    assert fig.layout.yaxis.categoryorder == "total descending"
    assert all(s.layer == "below" for s in fig.layout.shapes)
    money = charts.bars(df, "Đơn vị", "Số đơn", "t", unit="triệu đồng", horizontal=True)
    assert money.layout.xaxis.tickformat is None
