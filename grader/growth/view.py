"""How a growth verdict looks to a learner: one line that says pass or FAIL in words, the
curves of the AI version, the model and theirs on one log-log plot, and a small table.

Shown where the speed view is (grader/speedview.py): the grade cell, check()'s table, and
nbgrader's feedback, so it is static HTML with an embedded PNG and a text form that stands
on its own in a terminal.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from grader.growth.spec import GrowthReport, megabytes
from grader.report import FAIL as REPORT_FAIL
from grader.report import PASS as REPORT_PASS
from grader.report import badge
from grader.speed.charts import BLUE, GREEN, RED, duration, figure_png, plain_ticks

PASS, FAIL, ERROR = "pass", "FAIL", "ERROR"
_COLORS = {PASS: REPORT_PASS, FAIL: REPORT_FAIL, ERROR: "#9a6700"}
_LINE_COLORS = {"baseline": RED, "yardstick": BLUE}


class GrowthView:
    """A GrowthReport for people; ``label`` names the verdict line (the grade cell's id)."""

    def __init__(self, exercise: str, report: GrowthReport, label: str | None = None) -> None:
        self.exercise, self.report = exercise, report
        self.label = label or f"growth of {exercise}"

    @property
    def measured(self) -> bool:
        mine = self.report.curves.get("candidate")
        return bool(mine and mine.sizes)

    def state(self) -> str:
        if self.report.passed:
            return PASS
        return ERROR if self.report.reason.startswith("error:") else FAIL

    def message(self) -> str:
        """One line: the state, the cell and the reason in the learner's words."""
        reason = self.report.reason.split(": ", 1)[-1]
        return f"{self.state()} {self.label} — {reason}"

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(who, slope, smallest and largest size measured, cost there) per curve: CPU
        time per call, then peak extra memory of one call where it was measured."""
        out = []
        for curve in self.report.curves.values():
            if not curve.sizes:
                continue
            slope = f"n^{curve.fit.slope + 0.0:.2f}" if curve.fit else "-"
            span = f"{curve.sizes[0]:,} to {curve.sizes[-1]:,}"
            times = f"{duration(curve.seconds[0])} to {duration(curve.seconds[-1])}"
            if curve.stopped:
                times += " (stopped: too slow)"
            out.append((curve.label, slope, span, times))
        for curve in self.report.curves.values():
            if curve.memory:
                slope = f"n^{curve.memory_fit.slope + 0.0:.2f}" if curve.memory_fit else "-"
                span = f"{curve.memory_sizes[0]:,} to {curve.memory_sizes[-1]:,}"
                out.append((f"{curve.label}, memory", slope, span,
                            f"{megabytes(curve.memory[0])} to {megabytes(curve.memory[-1])}"))
        return out

    def __str__(self) -> str:
        lines = [self.message()]
        lines += [f"  {who:<22} grows like {slope:<8} sizes {span:<22} {times}"
                  for who, slope, span, times in self.rows()]
        lines.append(f"  {self.report.machine}; took {self.report.seconds:.1f} s")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text/plain
        printer.text(str(self))

    def _repr_html_(self) -> str:
        state = self.state()
        head = (f"<p>{badge(state, _COLORS[state])} <b>{html.escape(self.label)}</b> — "
                f"{html.escape(self.report.reason.split(': ', 1)[-1])}</p>")
        png = plot_png(self.report) if self.measured else b""
        chart = (f'<img alt="time per call against input size" '
                 f'src="data:image/png;base64,{base64.b64encode(png).decode()}"/>' if png else "")
        cells = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td>"
                        f"<td>{html.escape(c)}</td><td>{html.escape(d)}</td></tr>"
                        for a, b, c, d in self.rows())
        table = ("<table><tr><th>who</th><th>grows like</th><th>sizes</th>"
                 f"<th>CPU time per call (memory: peak extra)</th></tr>{cells}</table>"
                 if cells else "")
        how = ("<details><summary>how it was measured</summary><p>Each function ran in a "
               "process of its own; its CPU time was read from outside, on a fresh input "
               "every call, at sizes drawn at random for this run. The slope is a straight "
               "line through log(time) against log(size): 1 means twice the data costs twice "
               "the time, 2 means four times. "
               f"{html.escape(self.report.machine)}; took {self.report.seconds:.1f} s."
               "</p></details>")
        return head + chart + table + how


def plot_png(report: GrowthReport, title: str = "") -> bytes:
    """Every curve on log-log axes, each with its fitted line, the candidate's in green
    (passed) or red; the AI version's line extended to the largest size timed."""
    from matplotlib.figure import Figure

    memory = any(c.memory for c in report.curves.values())
    fig = Figure(figsize=(11 if memory else 7, 3.8), layout="constrained")
    axes = fig.subplots(1, 2) if memory else [fig.subplots()]
    _time_axes(axes[0], report)
    if memory:
        _memory_axes(axes[1], report)
    axes[0].set_title(title or "dotted: the AI version's line extended", fontsize="small",
                      loc="left")
    return figure_png(fig)


def _color(report: GrowthReport, role: str) -> str:
    return _LINE_COLORS.get(role, GREEN if report.passed else RED)


def _time_axes(ax: Any, report: GrowthReport) -> None:
    top = max(max(c.sizes) for c in report.curves.values() if c.sizes)
    for role, curve in report.curves.items():
        if not curve.sizes:
            continue
        color = _color(report, role)
        style = "--" if role == "yardstick" else "-"
        label = curve.label + (f" (n^{curve.fit.slope:.1f})" if curve.fit else "")
        ax.plot(curve.sizes, [s * 1e3 for s in curve.seconds], style, marker="o",
                markersize=4, color=color, label=label)
        if curve.fit and curve.sizes[-1] < top:
            ax.plot([curve.sizes[-1], top],
                    [curve.seconds[-1] * 1e3, curve.fit.predict(top) * 1e3], ":", color=color)
    _log_axes(ax, "CPU milliseconds per call (log scale)")


def _memory_axes(ax: Any, report: GrowthReport) -> None:
    for role, curve in report.curves.items():
        if curve.memory:
            label = curve.label + (f" (n^{curve.memory_fit.slope + 0.0:.1f})"
                                   if curve.memory_fit else "")
            ax.plot(curve.memory_sizes, [max(b, 1) / 1e6 for b in curve.memory], marker="o",
                    markersize=4, color=_color(report, role), label=label)
    _log_axes(ax, "peak extra memory of one call, MB (log)")
    ax.set_title("read from outside, a fresh process per size", fontsize="small", loc="left")




def _log_axes(ax: Any, ylabel: str) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_ticks(ax.xaxis, "{:,.0f}")
    plain_ticks(ax.yaxis, "{:g}")
    ax.set_xlabel("input size n (log scale)")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
