"""What a mutation run found, and how a learner reads it (a table, the survivors as diffs).

``MutationReport.score`` is the share of mutants the tests kill, and 0 when the tests fail
(or find nothing to run) on the correct module; ``verdict(threshold)`` decides one grade
cell. Hidden mutants count in the score but are never shown: only how many survived.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from grader.mutation.mutants import Mutant

_TAIL = 300
NOT_RUN = "not run"  # the grading's time budget ran out before this mutant's run


@dataclass(frozen=True)
class RunOutcome:
    """One run of the tests against one version (``original`` or a mutant's id)."""

    version: str
    status: str  # passed, failed, error (collection), no tests, timeout, crashed, not run
    tests: tuple[str, ...] = ()  # every test that ran
    failures: tuple[tuple[str, str], ...] = ()  # (test, why) of each failing test
    message: str = ""  # for error, timeout, crashed: what happened
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def killer(self) -> str:
        """The first failing test (or what stopped the run): what told this version apart."""
        return self.failures[0][0] if self.failures else self.status

    @classmethod
    def from_run(cls, version: str, report: dict[str, Any] | None, timed_out: bool,
                 killed_by: str, stderr: str, seconds: float) -> RunOutcome:
        """Read a run: its report line (None when it never printed one) and the sandbox's."""
        if report is None:
            if timed_out:
                return cls(version, "timeout", message="the tests did not finish in time",
                           seconds=seconds)
            tail = " ".join(stderr.strip().splitlines()[-2:])[-_TAIL:]
            why = f"stopped by the sandbox ({killed_by})" if killed_by else "it ended early"
            return cls(version, "crashed", message=f"{why}: {tail}".rstrip(": "),
                       seconds=seconds)
        errors = [str(e) for e in report.get("errors", []) if e][:3]
        rows = [r for r in report.get("tests", []) if isinstance(r, dict)]
        ran = tuple(dict.fromkeys(str(r.get("test", "?")) for r in rows))
        failed = tuple((str(r.get("test", "?")), str(r.get("message", ""))[:_TAIL])
                       for r in rows if r.get("outcome") == "failed")
        if errors:
            return cls(version, "error", ran, failed, "; ".join(errors)[:_TAIL], seconds)
        if not ran:
            return cls(version, "no tests", message="no test ran", seconds=seconds)
        return cls(version, "failed" if failed else "passed", ran, failed, seconds=seconds)


@dataclass(repr=False)
class MutationReport:
    mutants: list[Mutant]
    outcomes: dict[str, RunOutcome]  # mutant id -> its run
    originals: list[RunOutcome]  # the runs on the correct module
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    failure: str = ""  # why the tests could not even be run (no such cell)

    @property
    def problem(self) -> str:
        """Why nothing scores ("" when the tests pass on the correct module every time)."""
        if self.failure:
            return self.failure
        if not self.originals:
            return "the tests never ran on the correct functions"
        for run in self.originals:
            if run.status == "failed":
                failed = "; ".join(f"{t}: {why}" if why else t for t, why in run.failures[:3])
                return f"your tests fail on the correct functions: {failed}"
            if run.status == "no tests":
                return ("no tests ran: write functions named test_... in the tests cell "
                        "(pytest collects them)")
            if run.status == "error" and "NotImplementedError" in run.message:
                return ("no tests yet: write them in the tests cell, in place of "
                        "`raise NotImplementedError()`")
            if run.status == "error":
                return f"your tests cell does not run: {run.message}"
            if run.status == "timeout":
                return "your tests did not finish in time on the correct functions"
            if run.status == "crashed":
                return f"your tests crashed on the correct functions: {run.message}"
        return ""

    @property
    def tests(self) -> tuple[str, ...]:
        return self.originals[0].tests if self.originals else ()

    def killed(self, mutant: Mutant) -> bool:
        outcome = self.outcomes.get(mutant.id)
        return outcome is not None and outcome.status not in ("passed", NOT_RUN)

    @property
    def score(self) -> float:
        if self.problem or not self.mutants:
            return 0.0
        return sum(self.killed(m) for m in self.mutants) / len(self.mutants)

    def counts(self, hidden: bool) -> tuple[int, int]:
        """(killed, total) of the hidden or the visible mutants."""
        group = [m for m in self.mutants if m.hidden == hidden]
        return (0 if self.problem else sum(self.killed(m) for m in group)), len(group)

    def survivors(self) -> list[Mutant]:
        """The visible mutants the tests did not kill (all of them when the tests fail)."""
        return [m for m in self.mutants if not m.hidden and (self.problem or not self.killed(m))]

    def verdict(self, threshold: float) -> tuple[bool, str]:
        """Whether a cell needing ``threshold`` (0..1) of the mutants killed passes, and why."""
        if self.problem:
            return False, self.problem
        need, got = round(100 * threshold), self.score
        if got + 1e-9 >= threshold:
            return True, f"your tests kill {_pct(got)} of the mutants (this cell needs {need} %)"
        return False, (f"your tests kill {_pct(got)} of the mutants; this cell needs {need} %: "
                       "add a test that fails on each survivor")

    # --- rendering -----------------------------------------------------------------------

    def summary(self) -> list[str]:
        if self.problem:
            return [f"Score 0: {self.problem}"]
        shown_k, shown_n = self.counts(hidden=False)
        hidden_k, hidden_n = self.counts(hidden=True)
        lines = [f"Your {len(self.tests)} tests pass on the correct functions.",
                 f"Mutants killed: {shown_k + hidden_k} of {shown_n + hidden_n} "
                 f"({_pct(self.score)})"
                 + (f": {shown_k} of the {shown_n} shown, {hidden_k} of {hidden_n} hidden"
                    if hidden_n else "")]
        return lines + self.notes

    def by_operator(self) -> list[tuple[str, int, int]]:
        """(operator, killed, total) of the visible mutants."""
        total = Counter(m.operator for m in self.mutants if not m.hidden)
        killed = Counter(m.operator for m in self.mutants if not m.hidden and self.killed(m)
                         and not self.problem)
        return [(op, killed[op], n) for op, n in sorted(total.items())]

    def __str__(self) -> str:
        lines = self.summary()
        if not self.problem:
            lines += ["", f"  {'change':<16} killed"]
            lines += [f"  {op:<16} {k}/{n}" for op, k, n in self.by_operator()]
        survivors = self.survivors()
        if survivors and not self.problem:
            lines += ["", f"{len(survivors)} mutants survived (a test that fails on each "
                          "would kill it):"]
            for m in survivors:
                lines += [f"- {m.function}, {m.description}", _indent(m.diff)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<MutationReport: {'; '.join(self.summary())}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text form
        printer.text(str(self))

    def _repr_html_(self) -> str:
        parts = [f"<p>{'<br>'.join(html.escape(s) for s in self.summary())}</p>"]
        if not self.problem:
            rows = "".join(f"<tr><td>{html.escape(op)}</td><td>{k} / {n}</td></tr>"
                           for op, k, n in self.by_operator())
            parts.append(f"<table><tr><th>change</th><th>killed</th></tr>{rows}</table>")
            survivors = self.survivors()
            if survivors:
                parts.append(f"<p><b>{len(survivors)} mutants survived</b> "
                             "(a test that fails on each would kill it):</p>")
                parts += [f"<details><summary>{html.escape(m.function)}, "
                          f"{html.escape(m.description)}</summary>"
                          f"<pre>{html.escape(m.diff)}</pre></details>" for m in survivors]
        return "\n".join(parts)

    def outputs(self, threshold: float, *, full: bool = True,
                name: str = "MutationScoreTooLow") -> list[dict[str, Any]]:
        """nbformat outputs of a grade cell needing ``threshold``: the report (unless not
        ``full``: the first of an exercise's cells shows it), then the verdict, as an error
        output unless it passes (plain dicts: the grading parent validates them)."""
        passed, why = self.verdict(threshold)
        shown = [{"output_type": "display_data", "metadata": {},
                  "data": {"text/plain": str(self), "text/html": self._repr_html_()}}
                 ] if full else []
        if passed:
            return [*shown, {"output_type": "stream", "name": "stdout", "text": f"{why}\n"}]
        return [*shown, {"output_type": "error", "ename": name, "evalue": why,
                         "traceback": [f"{name}: {why}"]}]


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip("\n").splitlines())
