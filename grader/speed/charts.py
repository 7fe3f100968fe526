"""Charts of speed measurements, drawn as PNG bytes.

Figures are made with ``matplotlib.figure.Figure``, never pyplot: pyplot would register
them with the kernel's backend (the inline backend shows every open pyplot figure at the
end of the cell, a second copy) and switching the backend to Agg, as an earlier version
did, silenced the learner's own plots for the rest of the session.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GREY, BLUE, GREEN, RED = "#8c959f", "#0969da", "#1a7f37", "#cf222e"


@dataclass(frozen=True)
class Bar:
    """One row of the speed chart: who, median CPU seconds per call, speed-up over the AI
    version (the verdict's number for "yours", not a ratio of the medians)."""

    who: str
    seconds: float
    speedup: float


def duration(seconds: float) -> str:
    """A time per call in the unit that keeps 3 significant digits readable."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def figure_png(fig: Any, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def speedup_png(bars: Sequence[Bar], threshold: float, title: str, passed: bool) -> bytes:
    """Horizontal bars of speed-up over the AI version (log scale) with the needed speed-up
    as a dashed line; each bar says its CPU time per call. Speed-up, not time, because the
    verdict is a median of per-repetition speed-ups: a bar of the median time could sit on
    the other side of the line than the verdict says."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 1.3 + 0.45 * len(bars)), layout="constrained")
    ax = fig.subplots()
    colors = {"AI version": GREY, "model solution": BLUE}
    values = [bar.speedup for bar in bars]
    ax.barh([bar.who for bar in bars], values,
            color=[colors.get(bar.who, GREEN if passed else RED) for bar in bars])
    ax.set_xscale("log")
    plain_ticks(ax.xaxis, "{:g}x")
    low = min([*values, threshold, 1.0]) / 2
    high = max([*values, threshold]) * 8  # room for the labels right of the bars
    ax.set_xlim(low, high)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1.2)
    ax.text(threshold, -0.6, f" needed: {threshold:g}x", va="bottom", fontsize="small")
    for y, bar in enumerate(bars):
        ax.text(bar.speedup * 1.1, y, f"{bar.speedup:.1f}x  ({duration(bar.seconds)} per call)",
                va="center", fontsize="small")
    ax.invert_yaxis()  # the AI version on top, yours at the bottom
    ax.set_ylim(len(bars) - 0.5, -0.9)
    ax.set_xlabel("speed-up over the AI version: its CPU time per call ÷ this one's\n"
                  "(median of the repetitions, log scale; longer is faster)", fontsize="small")
    ax.set_title(title, fontsize="medium", loc="left")
    return figure_png(fig)


def plain_ticks(axis: Any, template: str) -> None:
    """Log-axis ticks written out (1x, 10x; 1,000; 0.01), not as powers of ten."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda value, _: template.format(value)))
    axis.set_minor_formatter(NullFormatter())


def scaling_png(sizes: Sequence[int], times: dict[str, Sequence[float]],
                at: int | None = None, title: str = "") -> bytes:
    """Seconds against input size on log-log axes, one line per variant; ``at`` marks one
    of ``sizes`` with a vertical line and each variant's time there."""
    from matplotlib.figure import Figure

    # Fixed margins, not a layout engine: this one is redrawn at every move of the lesson's
    # slider, and constrained layout costs ~40 % more per draw.
    fig = Figure(figsize=(7, 3.6))
    fig.subplots_adjust(left=0.12, right=0.97, top=0.91, bottom=0.14)
    ax = fig.subplots()
    palette = [RED, GREEN, BLUE, "#bf8700", GREY]  # the slow one first, as in the lesson
    for (name, seconds), color in zip(times.items(), palette * 3, strict=False):
        ax.plot(sizes, [s * 1e3 for s in seconds], marker="o", markersize=4, color=color,
                label=name)
        if at is not None:
            value = seconds[list(sizes).index(at)]
            ax.plot([at], [value * 1e3], marker="o", markersize=9, color=color)
            ax.annotate(duration(value), (at, value * 1e3), textcoords="offset points",
                        xytext=(8, -4), fontsize="small", color=color)
    if at is not None:
        ax.axvline(at, color="black", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_ticks(ax.xaxis, "{:,.0f}")
    plain_ticks(ax.yaxis, "{:g}")
    ax.set_xlabel("input size (elements, log scale)")
    ax.set_ylabel("milliseconds per call (log scale)")
    ax.set_xlim(min(sizes) / 1.5, max(sizes) * 3)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium", loc="left")
    return figure_png(fig)

