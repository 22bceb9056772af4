"""Charts of the insights as matplotlib Figures, one per insight, in one house style.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot, no global state, no backend
chosen here): the window puts one on a ``FigureCanvasQTAgg``, the report and :func:`save_png` render it with
Agg. Upheld (the denial stands) and Overturned (the treatment is found necessary) have the same colours in
every chart.

    figs = figures(insights)              # {name: Figure} in CHARTS order
    save_png(figs["by_category"], "by_category.png")
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:  # pragma: no cover
    from .insights import Insights, Table

UPHELD = "#4E79A7"  # blue: the denial stands
OVERTURNED = "#F28E2B"  # orange: the treatment is found medically necessary
TEXT = "#222222"
MUTED = "#6B6B6B"
GRID = "#E3E3E3"
RULE = "#BBBBBB"  # the axis line
FONT = "DejaVu Sans"  # ships with matplotlib: the same look on every machine and in the frozen app
WIDTH = 8.0  # inches

# name -> (title, table it draws); the order is the report's
CHARTS = {
    "overall": ("Outcome of all disputed items", None),
    "by_month": ("Disputed items by month of decision", "by_month"),
    "by_category": ("Decisions by treatment category", "by_category"),
    "by_specialty": ("Decisions by reviewer specialty", "by_specialty"),
    "by_guideline": ("Decisions by guideline family MAXIMUS cited", "by_guideline"),
    "top_treatments": ("Most disputed treatments", "top_treatments"),
}

_RC = {
    "font.family": FONT,
    "font.size": 9.5,
    "axes.edgecolor": RULE,
    "axes.labelcolor": TEXT,
    "xtick.color": MUTED,
    "ytick.color": TEXT,
}


HEADER_IN = 0.78  # the title block's height, inches
NOTE_IN = 0.32


class _Frame:
    """A chart's figure: a header (title, subtitle, legend) above the plot, an optional note below, all
    aligned on the figure's left edge; only the plot is laid out by matplotlib (constrained layout)."""

    def __init__(
        self, plot_height: float, title: str, subtitle: str = "", note: str = "", legend: bool = True
    ):
        import matplotlib

        header_in = HEADER_IN if title else (0.32 if legend else 0.08)  # inside a page: legend only
        heights = [header_in, plot_height] + ([NOTE_IN] if note else [])
        with matplotlib.rc_context(_RC):
            self.fig = Figure(figsize=(WIDTH, sum(heights)), facecolor="white", layout="constrained")
            self.fig.get_layout_engine().set(h_pad=0.06, w_pad=0.12, hspace=0, wspace=0)
            parts = self.fig.subfigures(len(heights), 1, height_ratios=heights, hspace=0)
        header, self.body = parts[0], parts[1]
        if title:
            header.text(0.012, 0.9, title, va="top", ha="left", fontsize=13, fontweight="bold", color=TEXT)
        if subtitle:
            header.text(0.012, 0.14, subtitle, va="bottom", ha="left", fontsize=9.5, color=MUTED)
        if legend:
            from matplotlib.patches import Patch

            header.legend(
                handles=[Patch(color=UPHELD, label="Upheld"), Patch(color=OVERTURNED, label="Overturned")],
                loc="lower right",
                bbox_to_anchor=(0.99, 0.02),
                frameon=False,
                fontsize=9,
                ncols=2,
                handlelength=1.2,
                columnspacing=1.2,
            )
        if note:
            parts[2].text(0.012, 0.45, note, va="center", ha="left", fontsize=8, color=MUTED)

    def axes(self):
        import matplotlib

        with matplotlib.rc_context(_RC):
            return self.body.add_subplot()

    def empty(self, message: str = "No decided items match the filters.") -> Figure:
        ax = self.axes()
        ax.set_axis_off()
        ax.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, fontsize=11, transform=ax.transAxes)
        return self.fig


def _style(ax, *, grid_axis: str) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["left" if grid_axis == "x" else "bottom"].set_color(RULE)
    ax.spines["bottom" if grid_axis == "x" else "left"].set_visible(False)
    ax.grid(axis=grid_axis, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(length=0, labelsize=9, labelcolor=TEXT)
    ax.tick_params(axis=grid_axis, labelcolor=MUTED)


def _pct(rate) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def _subtitle(ins: Insights) -> str:
    f = ins.filters or {}
    parts = []
    if f.get("date_from") or f.get("date_to"):
        parts.append(f"decided {f.get('date_from') or '…'} to {f.get('date_to') or '…'}")
    if f.get("status"):
        parts.append("status " + ", ".join(f["status"]).replace("_", " "))
    o = ins.overall
    parts.insert(0, f"{o['letters']} letters, {o['items']} disputed items")
    return " · ".join(parts)


def overall_chart(ins: Insights, *, standalone: bool = True) -> Figure:
    """One 100% bar: the shares of items upheld and overturned, labelled with percentages and counts."""
    o = ins.overall
    frame = _Frame(0.95, *_header(ins, "overall", "", standalone), legend=False)
    decided = o["upheld"] + o["overturned"]
    if not decided:
        return frame.empty()
    ax = frame.axes()
    up, over = o["upheld"] / decided, o["overturned"] / decided
    ax.barh([0], [up], color=UPHELD, height=0.5)
    ax.barh([0], [over], left=[up], color=OVERTURNED, height=0.5)
    below = -0.34
    ax.text(
        0,
        below,
        f"Upheld  {up * 100:.1f}%  ({o['upheld']})",
        ha="left",
        va="top",
        color=UPHELD,
        fontsize=10.5,
        fontweight="bold",
    )
    ax.text(
        1,
        below,
        f"Overturned  {over * 100:.1f}%  ({o['overturned']})",
        ha="right",
        va="top",
        color=OVERTURNED,
        fontsize=10.5,
        fontweight="bold",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.75, 0.3)
    ax.set_axis_off()
    return frame.fig


def month_chart(ins: Insights, *, standalone: bool = True) -> Figure:
    """Stacked columns of items per month of decision (Upheld below, Overturned above), letters on top."""
    table = ins.tables["by_month"]
    frame = _Frame(2.9, *_header(ins, "by_month", table.note, standalone))
    if not table.rows:
        return frame.empty("No dated letters match the filters.")
    ax = frame.axes()
    months = table.column("month")
    up, over = table.column("upheld"), table.column("overturned")
    letters, items = table.column("letters"), table.column("items")
    x = list(range(len(months)))
    width = 0.62 if len(x) > 2 else 0.45
    ax.bar(x, up, color=UPHELD, width=width)
    ax.bar(x, over, bottom=up, color=OVERTURNED, width=width)
    top = max(items) or 1
    for i, (n_items, n_letters) in enumerate(zip(items, letters, strict=True)):
        if not (n_items or n_letters):
            continue
        ax.text(
            i,
            n_items + top * 0.015,
            f"{n_items}",
            ha="center",
            va="bottom",
            fontsize=9,
            color=TEXT,
            fontweight="bold",
        )
        if len(x) <= 18:
            ax.text(
                i,
                n_items + top * 0.1,
                f"{n_letters} letter{'s' if n_letters != 1 else ''}",
                ha="center",
                va="bottom",
                fontsize=7.5,
                color=MUTED,
            )
    ax.set_ylim(0, top * 1.25)
    ax.set_xlim(-0.6, len(x) - 0.4)
    # the year under the first month, under January, and wherever months were left out across a year
    labels = [_month_label(m, i == 0 or m[:4] != months[i - 1][:4]) for i, m in enumerate(months)]
    step = max(1, (len(x) + 15) // 16)
    ax.set_xticks(x[::step], labels[::step])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.set_ylabel("Disputed items")
    _style(ax, grid_axis="y")
    return frame.fig


def _month_label(month: str, with_year: bool) -> str:
    import calendar

    name = calendar.month_abbr[int(month[5:7])]
    return f"{name}\n{month[:4]}" if with_year else name


def decision_bars(
    ins: Insights, name: str, *, title: str | None = None, wrap: int = 34, standalone: bool = True
) -> Figure:
    """Horizontal stacked bars of a decision table (one row per label, most items on top), each annotated
    with its items and its overturned rate."""
    table: Table = ins.tables[name]
    rows = [r for r in table.dicts() if r["items"]]
    n = len(rows)
    frame = _Frame(max(1.3, 0.55 + 0.36 * n), *_header(ins, name, table.note, standalone, title))
    if not rows:
        return frame.empty()
    ax = frame.axes()
    key = table.columns[0]
    labels = ["\n".join(textwrap.wrap(str(r[key]), wrap)[:2]) for r in rows]
    y = list(range(n))[::-1]
    up = [r["upheld"] for r in rows]
    over = [r["overturned"] for r in rows]
    ax.barh(y, up, color=UPHELD, height=0.66)
    ax.barh(y, over, left=up, color=OVERTURNED, height=0.66)
    top = max(r["items"] for r in rows) or 1
    for yi, r in zip(y, rows, strict=True):
        ax.text(
            r["items"] + top * 0.012,
            yi,
            f"{r['items']}  ·  {_pct(r['overturned_rate'])} overturned",
            va="center",
            ha="left",
            fontsize=8.5,
            color=TEXT,
        )
    # a label is a letter's words: "$" would start matplotlib's math text (and an unbalanced one raises)
    ax.set_yticks(y, [str(label).replace("$", r"\$") for label in labels])
    ax.set_xlim(0, top * 1.34)
    ax.set_ylim(-0.6, n - 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.set_xlabel("Disputed items")
    _style(ax, grid_axis="x")
    return frame.fig


def _header(ins: Insights, name: str, note: str, standalone: bool, title: str | None = None) -> tuple:
    """(title, subtitle, note) of a chart: all three on its own (a PNG, the window), none inside a page
    that prints them itself (the report)."""
    if not standalone:
        return "", "", ""
    return title or CHARTS[name][0], _subtitle(ins), note


def figure(ins: Insights, name: str, *, standalone: bool = True) -> Figure:
    """The chart ``name`` (a key of :data:`CHARTS`) of some insights; ``standalone=False`` leaves out the
    title, subtitle and note (for a page that has them as text) and keeps the legend."""
    if name == "overall":
        return overall_chart(ins, standalone=standalone)
    if name == "by_month":
        return month_chart(ins, standalone=standalone)
    if name in CHARTS:
        return decision_bars(ins, name, standalone=standalone)
    raise KeyError(f"No chart {name!r}; charts are {', '.join(CHARTS)}.")


def figures(ins: Insights) -> dict[str, Figure]:
    return {name: figure(ins, name) for name in CHARTS}


def chart_table(ins: Insights, name: str) -> Table:
    """The table a chart draws (its CSV export); ``overall`` gets a one-row table of its own."""
    from .insights import DECISION_COLUMNS, Table

    table_name = CHARTS[name][1]
    if table_name:
        return ins.tables[table_name]
    o = ins.overall
    return Table(
        "overall",
        CHARTS["overall"][0],
        ("letters", *DECISION_COLUMNS),
        [(o["letters"], o["items"], o["upheld"], o["overturned"], o["upheld_rate"], o["overturned_rate"])],
    )


# The house colours on a dark ground (the window's dark theme): text light, rules dim, the two decisions as
# they are (both read on dark). Files and the report keep the light figure: a chart on paper.
# (matplotlib's own default text colour, black, is the legend's)
ON_DARK = {TEXT: "#E6E6E6", "#000000": "#E6E6E6", MUTED: "#A8A8A8", GRID: "#3A3F47", RULE: "#5C626B"}


def on_dark(fig: Figure, background: str) -> Figure:
    """Recolour a chart for a dark window: its ground ``background``, the house's text and rule colours
    their :data:`ON_DARK` counterparts; the bars keep their colours."""
    from matplotlib.colors import to_hex
    from matplotlib.lines import Line2D
    from matplotlib.spines import Spine
    from matplotlib.text import Text

    def swap(colour) -> str | None:
        return ON_DARK.get(to_hex(colour, keep_alpha=False).upper())

    for item in fig.findobj():
        if isinstance(item, Spine):  # the axis lines
            if new := swap(item.get_edgecolor()):
                item.set_edgecolor(new)
        elif isinstance(item, (Text, Line2D)):  # titles, labels, values; grid lines and ticks
            if new := swap(item.get_color()):
                item.set_color(new)
    for part in (fig, *fig.subfigs):
        part.patch.set_facecolor(background)
    for ax in fig.get_axes():
        ax.set_facecolor(background)
    return fig


def save_png(fig: Figure, path, *, dpi: int = 150) -> Path:
    """Render a chart to a PNG file (Agg, white background)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi, facecolor="white")
    return path


def png_bytes(fig: Figure, *, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def export_chart(ins: Insights, name: str, folder, *, dpi: int = 150) -> tuple[Path, Path]:
    """A chart as ``<folder>/<name>.png`` and its data as ``<folder>/<name>.csv``."""
    folder = Path(folder)
    png = save_png(figure(ins, name), folder / f"{name}.png", dpi=dpi)
    csv = chart_table(ins, name).to_csv(folder / f"{name}.csv")
    return png, csv
