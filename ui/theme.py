"""Colours of the charts: one colour, one meaning, on every page (the words are in core/text.py)."""
from __future__ import annotations

# Okabe–Ito (colour-blind safe): blue = đạt, orange = chưa đạt, bluish green = vượt
COLORS = {
    "met": "#0072B2",
    "exceeded": "#009E73",
    "not_met": "#E69F00",
    "in_progress": "#CC79A7",  # neither the orange of "not met" nor the green/blue of "met"
    "no_data": "#BBBBBB",
    "no_target": "#999999",
}
TARGET_COLOR = "#D55E00"
SERIES = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
