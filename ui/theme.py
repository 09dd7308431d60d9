"""Colours of the charts: one colour, one meaning, on every page and chart (the words are in core/text.py).

Four meanings carry every judgement the dashboard shows — a target met, exceeded, not met, still in
progress — and every other category that judges something (a report on time or late, a petition resolved
on time or overdue, a cell's rating) borrows the colour of the meaning it has. Categories that judge
nothing (a training level, a unit) take the neutral series colours, never a status colour. Okabe–Ito
(colour-blind safe); colour is never the only cue: every status has its icon or text mark too.
"""
from __future__ import annotations

GOOD = "#0072B2"  # met: Okabe–Ito blue
BETTER = "#009E73"  # exceeded: bluish green
BAD = "#E69F00"  # not met: orange
WORST = "#B2182B"  # not met and past every deadline (missing, overdue): a dark red deuteranopes tell from BAD
PENDING = "#CC79A7"  # in progress / still within its deadline: reddish purple, neither red nor green
NONE = "#BBBBBB"  # nothing to judge (no data)
QUIET = "#999999"  # not judged (no target), closed without a verdict

COLORS = {"met": GOOD, "exceeded": BETTER, "not_met": BAD, "in_progress": PENDING, "no_data": NONE,
          "no_target": QUIET}
COMPLETENESS_COLORS = {"on_time": GOOD, "late": BAD, "missing": WORST, "waiting": PENDING, "not_due": "#E8E8E8"}
PETITION_COLORS = {"Giải quyết đúng hạn": GOOD, "Giải quyết muộn": BAD, "Quá hạn chưa giải quyết": WORST,
                   "Đang giải quyết (trong hạn)": PENDING, "Chuyển cơ quan có thẩm quyền": QUIET,
                   "Lưu đơn": QUIET}
RATING_COLORS = {"Hoàn thành xuất sắc nhiệm vụ": BETTER, "Hoàn thành tốt nhiệm vụ": GOOD,
                 "Hoàn thành nhiệm vụ": BAD, "Không hoàn thành nhiệm vụ": WORST}
TARGET_COLOR = "#D55E00"  # the target mark or band (vermillion), drawn under the bars
# series that judge nothing: slate and warm greys, never a status colour
SERIES = ("#3C4A5C", "#8C96A3", "#5F6B3A", "#A88F6E", "#2F6F73", "#6B5B7B", "#B0A8A0", "#202020")
