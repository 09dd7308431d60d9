"""Plotly chart builders: a title that states the message, axis units, target lines and bands,
Vietnamese number format (separators ',.'), a colour-blind-safe palette, large fonts for the projector.

Every builder takes plain data (from ui/views) and returns a go.Figure; nothing here reads the DB. Every
figure leaves through `style`, which makes every text in it literal (unit and cell names are user text,
and Plotly renders a subset of HTML in titles, labels and hovers).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.text import STATUS, STATUS_ORDER, fmt_status
from ui.literal import literal
from ui.theme import COLORS, COMPLETENESS_COLORS, SERIES, TARGET_COLOR

COMPLETENESS_TEXT = {"on_time": "✓", "late": "◔ muộn", "missing": "✗ chưa nộp", "waiting": "… còn hạn",
                     "not_due": "·"}


def style(fig: go.Figure, title: str, *, big: bool = False, height: int | None = None) -> go.Figure:
    """Common layout: message title, Vietnamese separators, readable fonts (larger when presenting)."""
    base = 20 if big else 14
    text = wrap(title, 60 if big else 50)
    lines = text.count("<br>") + 1
    top, bottom = 30 + (base + 12) * lines, 40 + 5 * base
    total = int((height or 400) * (1.3 if big else 1)) + 22 * (lines - 1) + 4 * base
    fig.update_layout(
        title={"text": text, "font": {"size": base + 6}, "x": 0, "xanchor": "left"},
        separators=",.",
        font={"size": base, "family": "Inter, 'Segoe UI', 'DejaVu Sans', sans-serif"},
        template="plotly_white",
        margin={"l": 10, "r": 40, "t": top, "b": bottom},
        # the legend sits at the very bottom of the figure (below tick labels and axis title)
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "xanchor": "left", "x": 0},
        hoverlabel={"font_size": base},
        height=total,
    )
    return literal_figure(fig)


BREAK = "<br>"  # the one tag the builders put into texts themselves (wrap, axis_label)
# trace properties Plotly draws as text (templates are written here, so they are left as they are)
TEXT_PROPERTIES = ("x", "y", "text", "hovertext", "customdata", "name", "labels")


def _literal_text(value):
    """A text made literal, keeping the line breaks the builders inserted; other values unchanged."""
    if isinstance(value, str):
        return literal(value).replace(literal(BREAK), BREAK)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "OUS":  # numbers, dates: nothing to escape
            return value
        return np.array([_literal_text(v) for v in value], dtype=object) if value.ndim else value
    if isinstance(value, (list, tuple)):
        return [_literal_text(v) for v in value]
    return value


def literal_figure(fig: go.Figure) -> go.Figure:
    """Make every text of the figure literal: traces (categories, texts, hovers, legend names), the title,
    axis titles and category lists, annotations. A user-typed "<br>" stays a line break, nothing more."""
    for trace in fig.data:
        for prop in TEXT_PROPERTIES:
            if prop in trace and trace[prop] is not None:
                trace[prop] = _literal_text(trace[prop])
    if fig.layout.title.text:
        fig.layout.title.text = _literal_text(fig.layout.title.text)

    def axis(a) -> None:
        if a.title.text:
            a.title.text = _literal_text(a.title.text)
        for prop in ("categoryarray", "ticktext"):
            if a[prop] is not None:
                a[prop] = _literal_text(a[prop])

    fig.for_each_xaxis(axis)
    fig.for_each_yaxis(axis)
    for note in fig.layout.annotations:
        if note.text:
            note.text = _literal_text(note.text)
    return fig


def wrap(text: str, width: int) -> str:
    """Break a long title into lines (Plotly does not wrap titles)."""
    import textwrap

    return "<br>".join(textwrap.wrap(text, width)) if len(text) > width else text


def status_counts_bar(counts: dict[str, int], title: str, *, big: bool = False) -> go.Figure:
    """How many indicators are đạt / chưa đạt / vượt / không có dữ liệu (labels and icons, not colour alone)."""
    order = [s for s in STATUS_ORDER if counts.get(s)]
    # two-word labels on two lines: the chart sits in a narrow column and long labels squeeze the bars
    labels = [wrap(fmt_status(s), 12) for s in order]
    fig = go.Figure(go.Bar(
        x=[counts[s] for s in order], y=labels, orientation="h",
        marker_color=[COLORS[s] for s in order], text=[counts[s] for s in order], textposition="outside",
        cliponaxis=False, customdata=[fmt_status(s) for s in order],
        hovertemplate="%{customdata}: %{x} chỉ tiêu<extra></extra>",
    ))
    fig.update_xaxes(title="Số chỉ tiêu", rangemode="tozero")
    whole_numbers(fig, max([counts[s] for s in order], default=0), axis="x")
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    return style(fig, title, big=big, height=90 + 50 * max(len(order), 1))


def axis_label(label: str, width: int = 26, lines: int = 2) -> str:
    """An axis category label on at most `lines` lines of `width` characters (cut with '…'), joined by <br>."""
    import textwrap

    parts = textwrap.wrap(label, width)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1].rstrip() + "…"
    return "<br>".join(parts)


def value_vs_target(df: pd.DataFrame, title: str, *, unit: str = "%", big: bool = False) -> go.Figure:
    """Horizontal bars of each indicator's value coloured by status, with its target as a marker
    (a band for a range target); the value is written just right of the bar or the target mark, whichever
    ends further right, so it never sits on the mark."""
    df = df.reset_index(drop=True)
    # short wrapped labels give the bars the width; the full name is in the hover
    df["axis"] = [axis_label(t, 22 if big else 26) for t in df["label"]]
    fig = go.Figure()
    for status in STATUS_ORDER:
        part = df[df["status"] == status]
        if part.empty:
            continue
        fig.add_trace(go.Bar(
            x=part["value"].fillna(0), y=part["axis"], orientation="h", name=fmt_status(status),
            marker_color=COLORS[status],
            customdata=part[["target_text", "status_text", "name", "value_text"]].to_numpy(),
            hovertemplate="%{customdata[2]}<br>Kết quả: %{customdata[3]}<br>Mục tiêu: %{customdata[0]}"
                          "<br>%{customdata[1]}<extra></extra>",
        ))
    for i, r in df.iterrows():
        low, high = r["target_low"], r["target_high"]
        if low is None or pd.isna(low):
            continue
        if high is not None and not pd.isna(high) and high != low:
            fig.add_shape(type="rect", x0=low, x1=high, y0=i - 0.45, y1=i + 0.45, yref="y", layer="below",
                          fillcolor=TARGET_COLOR, opacity=0.15, line_width=0)
        fig.add_shape(type="line", x0=low, x1=low, y0=i - 0.45, y1=i + 0.45, yref="y",
                      line={"color": TARGET_COLOR, "width": 3, "dash": "dot"})
    ends = pd.concat([df["value"], df["target_low"], df["target_high"]], axis=1).astype(float).max(axis=1).fillna(0)
    top = float(ends.max()) if len(ends) else 0.0
    span = 100.0 if unit == "%" else max(top, 1.0)
    fig.add_trace(go.Scatter(  # the value labels, a little right of the bar end or the target mark
        x=ends + span * 0.015, y=df["axis"], mode="text", text=df["value_text"], textposition="middle right",
        textfont={"size": 20 if big else 14}, cliponaxis=False, showlegend=False, hoverinfo="skip",
    ))
    if df["target_low"].notna().any():  # a legend entry for the target marks, only when there are some
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="Mục tiêu",
                                 line={"color": TARGET_COLOR, "width": 3, "dash": "dot"}))
    axis = "Tỷ lệ (%)" if unit == "%" else f"Số lượng ({unit})"
    if unit == "%":  # ticks stop at 100; the room beyond is for the value labels
        fig.update_xaxes(title=axis, range=[0, max(125, top * 1.25)], tickvals=[0, 25, 50, 75, 100])
    else:
        fig.update_xaxes(title=axis, rangemode="tozero")
        whole_numbers(fig, top, axis="x")
        fig.update_xaxes(range=[0, max(top * 1.3, 1.5)])
    fig.update_yaxes(categoryorder="array", categoryarray=list(df["axis"]), autorange="reversed",
                     type="category", automargin=True)
    fig.update_layout(barmode="overlay", bargap=0.5 if len(df) < 3 else 0.3)
    lines = max((a.count("<br>") + 1 for a in df["axis"]), default=1)
    return style(fig, title, big=big, height=max(220, 130 + (30 + 16 * lines) * len(df)))


def whole_numbers(fig: go.Figure, top, axis: str = "y") -> None:
    """Counts get whole-number ticks (no 0,2 đơn) and some head room above the largest value."""
    top = 0 if top is None or pd.isna(top) else float(top)
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    update(tickformat=",d", dtick=1 if top <= 6 else None, range=[0, max(top * 1.15, 1.5)])


def trend(df: pd.DataFrame, title: str, *, unit: str, target_low=None, target_high=None,
          big: bool = False) -> go.Figure:
    """A value per year (columns year, value) with its target line or band."""
    fig = go.Figure()
    if target_low is not None:
        if target_high is not None and target_high != target_low:
            fig.add_hrect(y0=target_low, y1=target_high, fillcolor=TARGET_COLOR, opacity=0.12, line_width=0, layer="below",
                          annotation_text="Khoảng mục tiêu", annotation_position="top left")
        else:
            fig.add_hline(y=target_low, line={"color": TARGET_COLOR, "dash": "dot", "width": 3},
                          annotation_text="Mục tiêu", annotation_position="top left")
    # a value below the target line is labelled under its point, so the label never sits on the line
    below = [target_low is not None and v is not None and not pd.isna(v) and v < target_low for v in df["value"]]
    fig.add_trace(go.Scatter(
        x=df["year"].astype(str), y=df["value"], mode="lines+markers+text", name="Kết quả",
        line={"color": SERIES[0], "width": 4}, marker={"size": 12},
        text=df.get("value_text"), textposition=["bottom center" if b else "top center" for b in below],
        hovertemplate="Năm %{x}: %{y:,.1f}<extra></extra>",
    ))
    fig.update_xaxes(title="Năm", type="category")
    fig.update_yaxes(title="Tỷ lệ (%)" if unit == "%" else f"Số lượng ({unit})", rangemode="tozero",
                     range=[0, 115] if unit == "%" else None)
    if unit != "%":
        whole_numbers(fig, max(df["value"].max(skipna=True) if len(df) else 0, target_high or 0, target_low or 0))
    return style(fig, title, big=big, height=380)


def status_by_year(df: pd.DataFrame, title: str, *, big: bool = False) -> go.Figure:
    """Stacked bars: indicators by status for each year (columns year, status, count)."""
    fig = go.Figure()
    for status in STATUS_ORDER:
        part = df[df["status"] == status]
        if part.empty or part["count"].sum() == 0:
            continue
        fig.add_trace(go.Bar(x=part["year"].astype(str), y=part["count"], name=fmt_status(status),
                             marker_color=COLORS[status], text=part["count"], textposition="inside",
                             hovertemplate="Năm %{x}: %{y} chỉ tiêu<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="Năm", type="category")
    fig.update_yaxes(title="Số chỉ tiêu")
    return style(fig, title, big=big, height=380)


def bars(df: pd.DataFrame, x: str, y: str, title: str, *, color: str | None = None, unit: str = "",
         x_title: str = "", horizontal: bool = False, band: tuple | None = None, big: bool = False,
         height: int | None = None, stack: bool = False, palette: dict | None = None,
         counts: bool = True) -> go.Figure:
    """Plain, grouped or stacked bars (one series per value of `color`), optional target band (low, high);
    `counts`: the values are whole counts (whole-number ticks; False for amounts such as money)."""
    fig = go.Figure()
    groups = [(None, df)] if color is None else list(df.groupby(color, sort=False))
    for i, (name, part) in enumerate(groups):
        xs, ys = (part[y], part[x]) if horizontal else (part[x], part[y])
        fig.add_trace(go.Bar(
            x=xs, y=ys, name=str(name) if name is not None else y, orientation="h" if horizontal else "v",
            marker_color=(palette or {}).get(name, SERIES[i % len(SERIES)]), text=part[y], cliponaxis=False,
            texttemplate="%{text:,.1f}%" if unit == "%" else "%{text:,.0f}",
            textposition="outside" if color is None else "auto",
            hovertemplate=f"%{{{'y' if horizontal else 'x'}}}: %{{{'x' if horizontal else 'y'}:,.1f}} {unit}<extra></extra>",
        ))
    if band is not None:
        low, high = band
        add = fig.add_vrect if horizontal else fig.add_hrect
        kw = {"x0": low, "x1": high} if horizontal else {"y0": low, "y1": high}
        add(**kw, fillcolor=TARGET_COLOR, opacity=0.12, line_width=0, layer="below",
            annotation_text=f"Mục tiêu {low:g}–{high:g} {unit}".strip(), annotation_position="top left")
    value_axis = "Tỷ lệ (%)" if unit == "%" else f"Số lượng ({unit})" if unit else "Số lượng"
    top = df.groupby(x)[y].sum().max() if stack and len(df) else (df[y].max() if len(df) else 0)
    if horizontal:  # units and other categories: the largest total on top
        fig.update_xaxes(title=value_axis, rangemode="tozero")
        fig.update_yaxes(title=x_title, autorange="reversed", type="category", categoryorder="total descending",
                         automargin=True)
    else:  # quarters and years keep their order
        fig.update_yaxes(title=value_axis, rangemode="tozero")
        fig.update_xaxes(title=x_title, type="category")
    if unit not in ("%", "triệu đồng") and counts:
        whole_numbers(fig, top, axis="x" if horizontal else "y")
    fig.update_layout(barmode="stack" if stack else "group", showlegend=color is not None, legend_traceorder="normal")
    return style(fig, title, big=big, height=height or 400)


def _category_heatmap(trace: dict, categories: dict[str, tuple[str, str]], title: str, *, big: bool,
                      rows: int, row_px: int) -> go.Figure:
    """A heatmap whose z holds category indexes in the order of `categories` ({code: (colour, legend
    label)}): one solid colour per category, a legend entry each, categorical axes with the columns on top."""
    n = len(categories)
    scale = []
    for i, (colour, _) in enumerate(categories.values()):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    fig = go.Figure(go.Heatmap(**trace, colorscale=scale, zmin=-0.5, zmax=n - 0.5, showscale=False, xgap=2, ygap=2))
    for colour, label in categories.values():  # a legend for the category colours
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label,
                                 marker={"size": 14, "color": colour, "symbol": "square"}))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(side="top", type="category")
    fig = style(fig, title, big=big, height=190 + row_px * max(rows, 1))
    fig.update_layout(margin_t=fig.layout.margin.t + 30)
    return fig


def status_heatmap(matrix: pd.DataFrame, text: pd.DataFrame, title: str, *, big: bool = False) -> go.Figure:
    """Indicators (rows, by short name) × units (columns) coloured by status code; the cell text shows the
    value; every column keeps its label (slanted, wrapped), however many units there are."""
    codes = list(STATUS_ORDER)
    z = matrix.apply(lambda col: col.map(lambda s: codes.index(s) if s in codes else None))
    hover = matrix.apply(lambda col: col.map(lambda s: STATUS.get(s, ("—", ""))[0]))
    # values fit in the cells only when there are few columns; otherwise a status symbol (not colour alone)
    marks = text if matrix.shape[1] <= 12 else matrix.apply(lambda col: col.map(lambda s: STATUS.get(s, ("", ""))[1]))
    trace = dict(
        z=z.to_numpy(dtype=float), x=list(matrix.columns), y=list(matrix.index), text=marks.to_numpy(),
        texttemplate="%{text}", textfont={"size": 16 if big else 12}, hovertext=text.to_numpy(),
        customdata=hover.to_numpy(), hovertemplate="%{y}<br>%{x}: %{hovertext}<br>%{customdata}<extra></extra>",
    )
    trace["x"] = [axis_label(str(c), 16, 4) for c in matrix.columns]  # whole names: codes tell twins apart
    trace["y"] = [axis_label(str(r), 34, 1) for r in matrix.index]
    categories = {s: (COLORS[s], fmt_status(s)) for s in codes}
    fig = _category_heatmap(trace, categories, title, big=big, rows=len(matrix), row_px=36)
    # every column keeps its label: ticks at each category, read back from the trace `style` made literal
    shown_x, shown_y = list(fig.data[0].x), list(fig.data[0].y)
    fig.update_xaxes(tickmode="array", tickvals=shown_x, ticktext=shown_x, tickangle=-40, automargin=True)
    fig.update_yaxes(tickmode="array", tickvals=shown_y, ticktext=shown_y, automargin=True)
    return fig


def completeness_heatmap(long: pd.DataFrame, title: str, *, big: bool = False) -> go.Figure:
    """Units × periods: đúng hạn / nộp muộn / chưa nộp, with text marks so colour is not the only cue."""
    from core.text import PERIOD_LABELS
    from ui.views.submissions import COMPLETENESS_LABELS
    from ui.views.unit_tree import unique_labels

    order = list(COMPLETENESS_COLORS)
    labels = unique_labels(long["unit_code"], long["unit_name"])  # keyed by code: two units may share a name
    wide = long.pivot(index="unit_code", columns="period", values="status").reindex(columns=list(PERIOD_LABELS))
    z = wide.apply(lambda col: col.map(lambda s: order.index(s) if s in order else None)).to_numpy(dtype=float)
    marks = wide.apply(lambda col: col.map(lambda s: COMPLETENESS_TEXT.get(s, ""))).to_numpy()
    hover = wide.apply(lambda col: col.map(lambda s: COMPLETENESS_LABELS.get(s, ""))).to_numpy()
    trace = dict(
        z=z, x=[PERIOD_LABELS[p] for p in wide.columns], y=[labels[c] for c in wide.index], text=marks,
        texttemplate="%{text}",
        textfont={"size": 16 if big else 13}, customdata=hover,
        hovertemplate="%{y} — %{x}: %{customdata}<extra></extra>",
    )
    categories = {s: (COMPLETENESS_COLORS[s], COMPLETENESS_LABELS[s]) for s in order}
    return _category_heatmap(trace, categories, title, big=big, rows=len(wide), row_px=32)
