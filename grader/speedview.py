"""How a speed verdict looks to a learner: one line that says pass or FAIL in words, a chart
of the speed-up with the line to clear, and a small table of CPU times per call.

The same object is shown in three places: the speed grade cell in the kernel
(`grader.speedtest.assert_speed`), under check()'s table (a TestResult's ``detail``, which
grader/report.py shows with ``_repr_html_()`` and ``str()``), and in nbgrader's feedback,
where the grading controller (grader/classgrade/speedcheck.py) stores both forms as the
cell's output. No widgets: the feedback is static HTML, so the chart is an embedded PNG and
the text form stands on its own in a terminal. States are words, never only a symbol or a
colour: emoji render as empty boxes where no emoji font is installed.
"""

from __future__ import annotations

import base64
import html
import re
import statistics
from typing import Any

from grader.report import FAIL as REPORT_FAIL
from grader.report import PASS as REPORT_PASS
from grader.report import badge
from grader.speed.charts import Bar, duration, speedup_png

PASS, FAIL, ERROR = "pass", "FAIL", "ERROR"
_STATE_COLORS = {PASS: REPORT_PASS, FAIL: REPORT_FAIL, ERROR: "#9a6700"}
_FIRST_CALL = " on warm-up call 1"
# The measurement's reasons name its roles and processes (grader/speed/measure.py, tested
# there word for word); a learner reads them as the AI version, the model and their own.
_PLAIN_WORDS = [
    ("the baseline (course code, not the learner's)", "the AI version (course code, not yours)"),
    ("the reference (course code, not the learner's)",
     "the model solution (course code, not yours)"),
    ("the candidate's worker", "the process running your function"),
    ("candidate worker", "the process running your function"),
    ("baseline worker", "the AI version's process"),
    ("reference worker", "the model solution's process"),
    ("the candidate's", "your function's"),
    ("the candidate", "your function"),
]


class SpeedView:
    """A grader.speed SpeedReport for people. ``grade_id`` names the verdict line (the
    grade cell's id); without it the line says "speed of EXERCISE"."""

    def __init__(self, exercise: str, report: Any, grade_id: str | None = None) -> None:
        self.exercise = exercise
        self.report = report
        self.label = grade_id or f"speed of {exercise}"

    # ---- words --------------------------------------------------------------------------

    @property
    def measured(self) -> bool:
        """True once at least one repetition was timed (there is something to chart)."""
        return bool(self.report.samples)

    def state(self) -> str:
        if self.report.passed:
            return PASS
        # "error:" = the course's own code failed (grader/speed/spec.py), not the learner's.
        return ERROR if self.report.reason.startswith("error:") else FAIL

    def speedup(self) -> float | None:
        """The verdict's median speed-up; for a measurement cut short, of what was timed."""
        if self.report.speedup is not None:
            return float(self.report.speedup)
        samples = self.report.samples
        return statistics.median(s.speedup for s in samples) if samples else None

    def outcome(self) -> str:
        """What happened, in a learner's words: the verdict line after the state."""
        _, _, body = self.report.reason.partition(": ")  # after "passed:"/"failed:"/"error:"
        speedup = self.speedup()
        if speedup is not None and (self.report.passed or body.startswith("median speedup")):
            return _speed_words(speedup, self.report.threshold, self.report.passed)
        body = _plain(body or self.report.reason or "no result")
        if body.startswith("raised NotImplementedError"):
            return f"not implemented yet ({self.exercise} raises NotImplementedError)"
        if body.startswith("raised ") and body.endswith(_FIRST_CALL):
            return f"{self.exercise} {body.removesuffix(_FIRST_CALL)} on its first call"
        if body.startswith("raised "):
            return f"{self.exercise} {body}"
        return body

    def verdict(self) -> str:
        """One line: "normalize_speed: pass — 41.2x faster than the AI version (needs 10x)"."""
        return f"{self.label}: {self.state()} — {self.outcome()}"

    def message(self) -> str:
        """The failed grade cell's AssertionError text: complete on its own, no internals."""
        text = f"{self.label}: {self.outcome()}"
        if self.state() == ERROR:
            text += "; this is a problem of the course, not of your code: tell your instructor"
        return text

    # ---- numbers ------------------------------------------------------------------------

    def bars(self) -> list[Bar]:
        """AI version, model solution (when it was timed) and yours; [] before any timing."""
        samples = self.report.samples
        if not samples:
            return []
        rows = [Bar("AI version", statistics.median(s.baseline_s for s in samples), 1.0)]
        refs = [s for s in samples if s.reference_s]
        if refs:
            ref_speedup = self.report.reference_speedup or statistics.median(
                s.baseline_s / s.reference_s for s in refs)
            rows.append(Bar("model solution", statistics.median(s.reference_s for s in refs),
                            float(ref_speedup)))
        rows.append(Bar("yours", statistics.median(s.candidate_s for s in samples),
                        self.speedup() or 0.0))
        return rows

    def details(self) -> list[str]:
        """How it was measured: the spread, memory, notes, machine (under the table)."""
        report, lines = self.report, []
        if report.speedup_min is not None and report.speedup_max is not None:
            lines.append(f"speed-up of yours ranged from {report.speedup_min:.1f}x to "
                         f"{report.speedup_max:.1f}x over {len(report.samples)} repetitions"
                         + (", measured again because it was close to the line"
                            if report.grey_zone_rerun else ""))
        names = {"candidate": "yours", "reference": "model solution", "baseline": "AI version"}
        lines += [f"memory of one call ({names.get(who, who)}): {mem}"
                  for who, mem in report.memory.items()]
        lines += [_plain(note) for note in report.notes]
        if report.machine:
            lines.append(f"{report.machine}; took {report.seconds:.1f} s")
        return lines

    def chart_png(self) -> bytes | None:
        bars = self.bars()
        if not bars:
            return None
        return speedup_png(bars, self.report.threshold, self.verdict(), self.report.passed)

    # ---- display ------------------------------------------------------------------------

    def __str__(self) -> str:
        lines = [self.verdict()]
        bars = self.bars()
        if not bars:
            return lines[0]
        width = max(len(bar.who) for bar in bars)
        lines.append(f"  {'':<{width}}  {'CPU time per call':>17}  {'speed-up':>9}")
        for bar in bars:
            needs = f"   (needs {self.report.threshold:g}x)" if bar.who == "yours" else ""
            lines.append(f"  {bar.who:<{width}}  {duration(bar.seconds):>17}  "
                         f"{bar.speedup:>8.1f}x{needs}")
        lines.append(f"  (medians of {len(self.report.samples)} repetitions; each version runs "
                     "in its own process on fresh inputs)")
        lines += [f"  {line}" for line in self.details()]
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text/plain
        printer.text(str(self))

    def _repr_html_(self) -> str:
        state = self.state()
        state_badge = badge(state, _STATE_COLORS[state])
        head = (f"<p style='margin:2px 0'>{state_badge} <b>{html.escape(self.label)}</b> — "
                f"{html.escape(self.outcome())}</p>")
        png = self.chart_png()
        if png is None:
            return f"<div>{head}</div>"
        alt = html.escape(str(self), quote=True)
        img = (f"<img alt='{alt}' style='max-width:100%' "
               f"src='data:image/png;base64,{base64.b64encode(png).decode()}'/>")
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(bar.who)}</td>"
            f"<td>{html.escape(duration(bar.seconds))}</td><td>{bar.speedup:.1f}x</td></tr>"
            for bar in self.bars())
        table = ("<table><thead><tr><th style='text-align:left'>who</th>"
                 "<th>CPU time per call (median)</th><th>speed-up over the AI version "
                 f"(needs {self.report.threshold:g}x)</th></tr></thead><tbody>{rows}</tbody>"
                 "</table>")
        details = "<br/>".join(html.escape(line) for line in self.details())
        return (f"<div>{head}{img}{table}<details><summary>how it was measured</summary>"
                f"<p style='font-size:smaller'>{details}</p></details></div>")


def _speed_words(speedup: float, threshold: float, passed: bool) -> str:
    if speedup < 1:
        return f"{1 / speedup:.1f}x slower than the AI version (needs {threshold:g}x faster)"
    only = "" if passed else "only "
    return f"{only}{speedup:.1f}x faster than the AI version (needs {threshold:g}x)"


def _plain(text: str) -> str:
    for internal, plain in _PLAIN_WORDS:
        text = text.replace(internal, plain)
    # "did not finish within max_seconds=300" is a setting's name; say what it means.
    return re.sub(r"within max_seconds=([\d.]+)", r"within its time budget of \1 s", text)
