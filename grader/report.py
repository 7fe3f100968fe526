"""Rendering check results: an HTML table in notebooks, aligned text in terminals."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from grader.testing import TestResult


@dataclass
class CheckReport:
    """What ``check()`` returns: displays itself as a table in Jupyter."""

    exercise: str
    title: str
    results: list[TestResult]
    points: dict[str, float]
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and self.passed == len(self.results)

    def cell_ready(self, grade_id: str) -> bool:
        mine = [r for r in self.results if r.grade_id == grade_id]
        return bool(mine) and all(r.passed for r in mine)

    def summary(self) -> str:
        ready = sum(p for g, p in self.points.items() if self.cell_ready(g))
        total = sum(self.points.values())
        return (f"{self.exercise}: {self.passed}/{len(self.results)} public tests pass; "
                f"{ready:g}/{total:g} points within reach (hidden tests run at grading)")

    def _repr_html_(self) -> str:
        rows = []
        for gid, pts in self.points.items():
            mine = [r for r in self.results if r.grade_id == gid]
            state = "✅" if self.cell_ready(gid) else "❌"
            rows.append(f"<tr style='background:#f3f3f3'><th colspan=3 style='text-align:left'>"
                        f"{state} {html.escape(gid)}</th><th>{pts:g} pt</th></tr>")
            for r in mine:
                mark = "✅ pass" if r.passed else "❌ fail"
                color = "#1a7f37" if r.passed else "#cf222e"
                rows.append(f"<tr><td style='text-align:left'>{html.escape(r.doc)}</td>"
                            f"<td style='color:{color};white-space:nowrap'>{mark}</td>"
                            f"<td style='text-align:left'>{html.escape(r.reason)}</td>"
                            "<td></td></tr>")
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        notes += "".join(r.detail._repr_html_() for r in self.results if r.detail is not None)
        return (f"<div><b>{html.escape(self.title)}</b> — {html.escape(self.summary())}"
                "<table><thead><tr><th style='text-align:left'>test</th><th>result</th>"
                "<th style='text-align:left'>why</th><th>points</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>{notes}</div>")

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
