"""Draws a figure from its Table only (matplotlib, Agg): every mark on the figure is a row of the
table, so the CSV written from the same table holds exactly the plotted numbers.

Layout: one panel per distinct `panel` of the table, `spec.columns` per row, each PANEL_INCHES
wide and high, plus a footer strip with the provenance; PNG at DPI dots per inch. The pixel size
is therefore fixed by the number of panels: `image_size(spec, table)`.
"""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .figures import Panel  # noqa: E402

DPI = 100
PANEL_INCHES = (4.8, 3.6)
TITLE_INCHES = 0.4
FOOTER_INCHES = 0.45
CATEGORY_COLORS = {"mean": "C0", "measured": "C0", "null": "0.45", "chance": "k", "paper": "C3", "reference": "k", "recording": "C1"}
MANY_POINTS = 16  # curves with more x values than this get a band instead of error bars


def grid(spec, table):
    """(panel names, columns, rows) of the figure."""
    names = table.panels()
    columns = max(1, min(spec.columns, len(names)))
    return names, columns, math.ceil(len(names) / columns)


def image_size(spec, table):
    """(width, height) in pixels of the figure drawn for TABLE."""
    _, columns, rows = grid(spec, table)
    return (round(PANEL_INCHES[0] * columns * DPI), round((PANEL_INCHES[1] * rows + TITLE_INCHES + FOOTER_INCHES) * DPI))


def _margins(columns, rows, width, height):
    """Fixed margins in inches (cheaper than a layout engine, and the same for every figure)."""
    left, right, top, bottom, between_x, between_y = 0.95, 0.15, TITLE_INCHES + 0.3, FOOTER_INCHES + 0.7, 1.0, 1.1
    axes_width = (width - left - right - (columns - 1) * between_x) / columns
    axes_height = (height - top - bottom - (rows - 1) * between_y) / rows
    return dict(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height,
                wspace=between_x / axes_width, hspace=between_y / axes_height)


def _panel_spec(spec, name):
    for panel in spec.panels:
        if panel.title == name:
            return panel
    base = spec.default_panel or Panel(name, "", "")
    return Panel(name, base.xlabel, base.ylabel, base.xscale, base.yscale, base.categorical, base.connect)


def _legend_label(series, kind):
    if kind in ("mean", "point", "measured", "null", "chance", "reference", "paper", "recording"):
        return series
    return f"{series} ({kind})"


def draw_table(table, spec, footer):
    """The matplotlib Figure of TABLE laid out by SPEC, with FOOTER (provenance) at the bottom."""
    names, columns, rows = grid(spec, table)
    width, height = image_size(spec, table)
    fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    fig.suptitle(spec.title, fontsize=11, y=1 - 0.1 / (height / DPI), va="top")
    fig.text(0.005, 0.005, footer, fontsize=6, va="bottom", ha="left", wrap=True, color="0.3")
    axes = fig.subplots(rows, columns, squeeze=False, gridspec_kw=_margins(columns, rows, width / DPI, height / DPI))
    colors = {}
    for row in table.rows:
        if row[2] in ("mean", "measured", "point", "fit", "predicted") and row[1] not in colors:
            colors[row[1]] = f"C{len(colors) % 10}"
    for index, name in enumerate(names):
        ax = axes[index // columns][index % columns]
        _draw_panel(ax, _panel_spec(spec, name), [r for r in table.rows if r[0] == name], colors,
                    legend=index == 0 or spec.default_panel is None)
    for index in range(len(names), rows * columns):
        axes[index // columns][index % columns].axis("off")
    return fig


def _draw_panel(ax, panel, rows, colors, legend):
    groups = {}
    for row in rows:
        groups.setdefault((row[1], row[2]), []).append(row)
    for (series, kind), items in groups.items():
        xs = [r[3] for r in items]
        ys = [r[5] for r in items]
        lows = [r[6] for r in items]
        highs = [r[7] for r in items]
        has_bars = any(math.isfinite(lo) and math.isfinite(hi) for lo, hi in zip(lows, highs))
        bars = [[y - lo if math.isfinite(lo) else 0 for y, lo in zip(ys, lows)],
                [hi - y if math.isfinite(hi) else 0 for y, hi in zip(ys, highs)]] if has_bars else None
        label = _legend_label(series, kind)
        if panel.categorical:
            color = CATEGORY_COLORS.get(kind, "C0")
            style = {"mean": dict(marker="o"), "null": dict(marker="s", markerfacecolor="none"),
                     "chance": dict(marker="x"), "paper": dict(marker="*", markersize=11), "recording": dict(marker="*", markersize=9),
                     "reference": dict(marker="", linestyle=":")}.get(kind, dict(marker="o"))
            linestyle = style.pop("linestyle", "none")
            ax.errorbar(xs, ys, yerr=bars, color=color, linestyle=linestyle, capsize=2, label=label, **style)
            continue
        color = colors.get(series, "k")
        if kind in ("reference", "chance"):
            ax.plot(xs, ys, linestyle=":", color="k", linewidth=1, label=label)
        elif kind == "fit":
            ax.plot(xs, ys, linestyle="-", color=color, linewidth=1, alpha=0.8, label=label)
        elif kind == "predicted":
            connect = panel.connect and len(xs) > 1
            ax.plot(xs, ys, linestyle="--" if connect else "none", color=color, linewidth=1.2, marker="" if connect else "x",
                    label=label)
        elif kind == "point":
            ax.errorbar(xs, ys, yerr=bars, color=color, linestyle="none", marker="o", markersize=4, capsize=2, label=label)
        elif kind == "null":
            ax.errorbar(xs, ys, yerr=bars, color=colors.get(series.rsplit(" (", 1)[0], "0.45"), linestyle="none",
                        marker="o", markerfacecolor="none", markersize=4, capsize=2, label=label)
        elif kind == "paper":
            ax.errorbar(xs, ys, yerr=bars, color="C3", linestyle="none", marker="*", markersize=10, label=label)
        elif not panel.connect:  # means or measured values as markers with error bars
            ax.errorbar(xs, ys, yerr=bars, color=color, linestyle="none", marker="o", markersize=3, capsize=2, label=label)
        else:  # mean, measured: a curve
            if has_bars and len(xs) > MANY_POINTS:
                ax.fill_between(xs, lows, highs, color=color, alpha=0.25, linewidth=0)
                ax.plot(xs, ys, color=color, marker="o", markersize=2, linewidth=1.2, label=label)
            else:
                ax.errorbar(xs, ys, yerr=bars, color=color, marker="o", markersize=3, linewidth=1.2, capsize=2, label=label)
    ax.set_title(panel.title, fontsize=9)
    ax.set_xlabel(panel.xlabel, fontsize=8)
    ax.set_ylabel(panel.ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if panel.xscale != "linear":
        ax.set_xscale(panel.xscale)
    if panel.yscale != "linear" and all(r[5] > 0 for r in rows):
        ax.set_yscale(panel.yscale)
    if panel.categorical:
        categories = {}
        for r in rows:
            if r[4]:
                categories[round(r[3])] = r[4]
        ax.set_xticks(sorted(categories))
        ax.set_xticklabels([categories[i] for i in sorted(categories)], rotation=30, ha="right", fontsize=7)
        ax.set_xlim(-0.6, max(categories, default=0) + 0.6)
    if legend and groups:
        handles, labels = ax.get_legend_handles_labels()
        if labels:
            ax.legend(fontsize=6, ncol=2 if len(labels) > 8 else 1, framealpha=0.7)
