"""Helpers of lesson 08 (course/08_scale.ipynb): measure how a cost grows, say it in human
units, and draw it on log-log axes with its fitted line carried out to 100M rows.

    curve = time_curve("list", ai_dedupe, make_emails, [1_000, 2_000, 4_000], cap=1.0)
    curve.fit.slope                          # ~2: the cost grows like n^2
    human_time(curve.fit.predict(100e6))     # "about 5 years"
    fig, ax = plt.subplots()
    plot_curves(ax, [curve], extend_to=100e6)

Why CPU time (`time.process_time`) and not the wall clock: another program busy on the same
machine stretches the wall clock but not the CPU time this process spent, and a slope is
only as good as its points. The lesson's HTTP section measures waiting, and uses the wall
clock on purpose.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.growth.fit import GrowthFit, fit_growth
from grader.speed.charts import GREEN, GREY, RED, duration

YEAR = 365.25 * 86400
# Longest unit first; human_time picks the first one the value reaches.
_TIME_UNITS = [(YEAR, "year"), (86400.0, "day"), (3600.0, "hour"), (60.0, "minute")]
# Horizontal guides on a seconds axis: a reader knows "a day" better than "1e5 s".
_TIME_MARKS = [(1.0, "1 s"), (60.0, "1 min"), (3600.0, "1 hour"), (86400.0, "1 day"),
               (YEAR, "1 year")]


@dataclass
class Curve:
    """One version's cost (seconds or bytes) at each size it was measured at."""

    name: str
    sizes: list[int] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)

    @property
    def fit(self) -> GrowthFit:
        return fit_growth(self.sizes, self.costs)

    def add(self, n: int, cost: float) -> None:
        # A cost of 0 (a clock that did not tick) would break the log-log fit.
        self.sizes.append(int(n))
        self.costs.append(max(float(cost), 1e-9))


def human_time(seconds: float) -> str:
    """"about 4.7 years", "about 12 minutes", "about 40.1 s", "about 3.2 ms"."""
    for size, unit in _TIME_UNITS:
        if seconds >= size:
            value = seconds / size
            number = f"{value:.1f}" if value < 10 else f"{value:,.0f}"
            return f"about {number} {unit}{'' if number == '1.0' else 's'}"
    if seconds >= 1:
        return f"about {seconds:.1f} s" if seconds < 10 else f"about {seconds:.0f} s"
    return f"about {duration(seconds)}"


def human_bytes(count: float) -> str:
    """Decimal units, 3 significant digits: "512 B", "1.71 MB", "17.2 GB"."""
    for size, unit in [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")]:
        if abs(count) >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count:.0f} B"


def best_time(func: Callable[..., Any], make_input: Callable[[int], Sequence[Any]], n: int,
              *, min_time: float = 0.1, repeats: int = 20) -> float:
    """The fastest of up to ``repeats`` calls ``func(*make_input(n))`` (fewer once
    ``min_time`` CPU seconds were spent; always one), each on a fresh input. Fresh, because a
    second call on the same input is not the same work: the strings' hashes are cached in
    them and the data is warm in the CPU's caches, so small sizes (many calls) would look
    cheaper than large ones (one call) and tilt the slope. The fastest, because it is the
    call least disturbed by the rest of the machine."""
    best, spent, calls = math.inf, 0.0, 0
    while calls == 0 or (calls < repeats and spent < min_time):
        args = make_input(n)  # not timed
        start = time.process_time()
        func(*args)
        took = time.process_time() - start
        best, spent, calls = min(best, took), spent + took, calls + 1
    return best


def next_cost(curve: Curve, n: int) -> float:
    """The cost at ``n`` predicted from the last point with the slope fitted so far (all
    points: two alone are too noisy), and at least linear growth (a flat start, where a
    call is mostly overhead, must not hide a quadratic)."""
    if not curve.sizes:
        return 0.0
    slope = max(1.0, curve.fit.slope) if len(curve.sizes) >= 2 else 1.0
    return curve.costs[-1] * (n / curve.sizes[-1]) ** slope


def time_curve(name: str, func: Callable[..., Any], make_input: Callable[[int], Sequence[Any]],
               sizes: Sequence[int], *, cap: float = 1.0, rounds: int = 3) -> Curve:
    """CPU seconds of one call ``func(*make_input(n))`` at each size: the best over
    ``rounds`` passes through all sizes (`best_time` in each; making the input is not timed).
    Passes, not one long stay per size, because a machine's load comes and goes: every size
    gets its chances at a quiet moment, so a busy spell cannot tilt the slope. The first
    pass stops before a size whose predicted time (`next_cost`) is over ``cap`` seconds, so
    a quadratic never runs away. Prints a line per size, then one per later pass."""
    curve = Curve(name)
    for n in sizes:
        if next_cost(curve, n) > cap:
            print(f"  {name}: stopped before n={n:,}: one call would take about "
                  f"{duration(next_cost(curve, n))} (over the {duration(cap)} cap)")
            break
        curve.add(n, best_time(func, make_input, n))
        print(f"  {name}: n={n:>11,}  {duration(curve.costs[-1])} per call")
    for done in range(2, rounds + 1):
        for i, n in enumerate(curve.sizes):
            curve.costs[i] = min(curve.costs[i], best_time(func, make_input, n))
        print(f"  {name}: pass {done} of {rounds} done")
    return curve


def plot_curves(ax: Any, curves: Sequence[Curve], *, extend_to: float | None = None,
                unit: str = "seconds",
                colors: Sequence[str] = (RED, GREEN, "#0969da", "#bf8700")) -> None:
    """Each curve's points, its fitted line over the measured sizes (solid) and on to
    ``extend_to`` (dashed), log-log. ``unit`` "seconds" adds guides at 1 s .. 1 year,
    "bytes" writes the y ticks as kB, MB, GB. The caller labels the axes and the title."""
    if unit not in ("seconds", "bytes"):
        raise ValueError(f"unit must be 'seconds' or 'bytes', got {unit!r}")
    for curve, color in zip(curves, colors, strict=False):
        fit = curve.fit
        ax.plot(curve.sizes, curve.costs, "o", color=color, markersize=5,
                label=f"{curve.name}: {fit.words()}")
        lo, hi = min(curve.sizes), max(curve.sizes)
        ax.plot([lo, hi], [fit.predict(lo), fit.predict(hi)], "-", color=color, linewidth=1.5)
        if extend_to is not None and extend_to > hi:
            ax.plot([hi, extend_to], [fit.predict(hi), fit.predict(extend_to)], "--",
                    color=color, linewidth=1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _ticks(ax.xaxis, lambda value: f"{value:,.0f}")  # 1,000,000 reads better than 10^6
    if extend_to is not None:
        ax.set_xlim(right=extend_to * 5)  # room right of the line for the guides' labels
        ax.axvline(extend_to, color=GREY, linewidth=0.8, linestyle=":")
        ax.annotate(f"{extend_to:,.0f} ", (extend_to, 0), xycoords=("data", "axes fraction"),
                    va="bottom", ha="right", fontsize="x-small", color=GREY, rotation=90)
    if unit == "seconds":
        _mark_times(ax)
    else:
        _ticks(ax.yaxis, human_bytes)
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(loc="upper left", fontsize="small")


def _mark_times(ax: Any) -> None:
    """Dotted guides at the human durations that fall inside the plotted range."""
    low, high = ax.get_ylim()
    for seconds, label in _TIME_MARKS:
        if low < seconds < high:
            ax.axhline(seconds, color=GREY, linewidth=0.6, linestyle=":")
            ax.annotate(label, (1, seconds), xycoords=("axes fraction", "data"),
                        xytext=(-3, 2), textcoords="offset points", ha="right",
                        fontsize="x-small", color=GREY)


def _ticks(axis: Any, words: Callable[[float], str]) -> None:
    """Major ticks of a log axis written by ``words``; no labels on the minor ticks."""
    from matplotlib.ticker import FuncFormatter, NullFormatter  # only plots need matplotlib

    axis.set_major_formatter(FuncFormatter(lambda value, _: words(value)))
    axis.set_minor_formatter(NullFormatter())
