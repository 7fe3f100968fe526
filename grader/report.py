"""Rendering check results: an HTML table in notebooks, aligned text in terminals.

Every state is a word ("pass", "FAIL", "ready", "not yet") in a coloured badge: an emoji
alone is an empty box where no emoji font is installed, and colour alone says nothing to
a colour-blind reader. A failing row is an HTML ``<details>``: its summary is the short
reason, and opening it shows the learner's call, what came back and what was expected.
Plain HTML rather than an ipywidget because the same table must read the same in nbgrader's
HTML feedback and in a saved notebook, where no widget state survives.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from grader.testing import TestResult

PASS, FAIL = "#1a7f37", "#cf222e"
# The assertion helpers' convention (grader.testing, grader.snippets.expect):
# "<call> returned <actual>; expected <expected>" or "<call> raised <error>; expected ...".
_RETURNED = re.compile(r"^(?P<call>.+?) (?P<verb>returned|raised) (?P<actual>.+?); "
                       r"expected (?P<expected>.+)$", re.DOTALL)
# ... and "<call>: element 3 is 0.5, expected 0.25 (2 of 4 values differ)".
_ELEMENT = re.compile(r"^(?P<call>\w[^:]*\)): (?P<actual>.+?), expected (?P<expected>.+)$",
                      re.DOTALL)


def parts(message: str) -> dict[str, str]:
    """The call, the actual and the expected value in a failure message, as far as it
    follows the helpers' wording; ``{}`` when it does not."""
    for pattern in (_RETURNED, _ELEMENT):
        match = pattern.match(message)
        if match:
            found = match.groupdict()
            verb = found.pop("verb", "returned")
            expected = found["expected"].removeprefix("it ")  # "it to raise ValueError"
            return {"call": found["call"], f"{verb}": found["actual"], "expected": expected}
    return {}


def badge(word: str, color: str) -> str:
    return (f"<span style='color:#fff;background:{color};border-radius:3px;"
            f"padding:0 5px;font-weight:600;white-space:nowrap'>{html.escape(word)}</span>")


def _failure_html(result: TestResult) -> str:
    message = result.message or result.reason
    found = parts(message)
    rows = "".join(f"<tr><th style='text-align:left;vertical-align:top'>{html.escape(k)}"
                   f"</th><td style='text-align:left'><code>{html.escape(v)}</code></td></tr>"
                   for k, v in found.items())
    body = (f"<table>{rows}</table>" if found else
            f"<pre style='white-space:pre-wrap'>{html.escape(message)}</pre>")
    return (f"<details><summary>{html.escape(result.reason)}</summary>{body}</details>")


@dataclass
class CheckReport:
    """What ``check()`` returns: displays itself as a table in Jupyter."""

    exercise: str
    title: str
    results: list[TestResult]
    points: dict[str, float]
    notes: list[str] = field(default_factory=list)
    not_measured: frozenset[str] = frozenset()  # timed cells skipped by check(speed=False)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and self.passed == len(self.results)

    def cell_ready(self, grade_id: str) -> bool:
        mine = [r for r in self.results if r.grade_id == grade_id]
        return bool(mine) and all(r.passed for r in mine)

    @property
    def points_ready(self) -> float:
        return sum(p for g, p in self.points.items() if self.cell_ready(g))

    def summary(self) -> str:
        total = sum(self.points.values())
        return (f"{self.exercise}: {self.passed}/{len(self.results)} public tests pass; "
                f"{self.points_ready:g}/{total:g} points within reach (hidden tests run at "
                "grading)")

    def _cell_html(self, grade_id: str, points: float) -> list[str]:
        mine = [r for r in self.results if r.grade_id == grade_id]
        ready = self.cell_ready(grade_id)
        state = badge("ready", PASS) if ready else badge("not yet", FAIL if mine else "#6e7781")
        counts = (f"{sum(r.passed for r in mine)}/{len(mine)} pass" if mine
                  else "not measured: speed=False" if grade_id in self.not_measured
                  else "no public test")
        rows = [f"<tr style='background:rgba(127,127,127,0.12)'><th colspan=3 "
                f"style='text-align:left'>{state} {html.escape(grade_id)} "
                f"<span style='font-weight:normal'>({counts})</span></th>"
                f"<th>{points:g} pt</th></tr>"]
        for r in mine:
            mark = badge("pass", PASS) if r.passed else badge("FAIL", FAIL)
            why = _failure_html(r) if not r.passed else html.escape(r.reason)
            rows.append(f"<tr data-passed='{str(r.passed).lower()}'>"
                        f"<td style='text-align:left'>{html.escape(r.doc)}</td>"
                        f"<td>{mark}</td><td style='text-align:left'>{why}</td><td></td></tr>")
        return rows

    def _repr_html_(self) -> str:
        rows = [row for gid, pts in self.points.items() for row in self._cell_html(gid, pts)]
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        notes += "".join(r.detail._repr_html_() for r in self.results if r.detail is not None)
        verdict = (badge("pass", PASS) if self.all_passed
                   else badge("FAIL", FAIL) if self.results else badge("not checked", "#6e7781"))
        hint = ("<p style='font-size:smaller'>Open a failing row to see the call, what it "
                "returned and what was expected.</p>" if self.passed < len(self.results)
                else "")
        return (f"<div class='grader-check'><p>{verdict} <b>{html.escape(self.title)}</b> — "
                f"{html.escape(self.summary())}</p>"
                "<table><thead><tr><th style='text-align:left'>test</th><th>result</th>"
                "<th style='text-align:left'>why</th><th>points</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>{hint}{notes}</div>")

    def __str__(self) -> str:
        width = max((len(r.doc) for r in self.results), default=10)
        lines = [self.title, self.summary()]
        for r in self.results:
            mark = "pass" if r.passed else "FAIL"
            lines.append(f"  [{mark}] {r.doc:<{width}}  {r.reason}".rstrip())
        lines += self.notes
        lines += [str(r.detail) for r in self.results
                  if r.detail is not None and type(r.detail).__str__ is not object.__str__]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython terminal
        printer.text(str(self))
