"""bandit's findings on a learner's source, shown beside the attacks as information.

bandit (PyCQA) reads the code's syntax tree and runs no code, so it runs in the grading
process. Its findings never change points: it flags an f-string query whether or not a
payload can reach it, and misses what it has no rule for; the attacks decide. They are shown
because they are what a reviewer's linter would say, and learning to read them is the point.
"""

from __future__ import annotations

import html
import logging
import tempfile
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    test_id: str
    line: int
    severity: str
    text: str


@dataclass(frozen=True)
class BanditReport:
    """Displayable: a short table in Jupyter, lines in a terminal and in text feedback."""

    what: str
    findings: tuple[Finding, ...]
    error: str = ""

    def __str__(self) -> str:
        head = f"bandit on {self.what} (information, not points): "
        if self.error:
            return head + f"not run ({self.error})"
        if not self.findings:
            return head + "no findings"
        return head + "\n" + "\n".join(
            f"  line {f.line}: {f.test_id} [{f.severity}] {f.text}" for f in self.findings)

    def _repr_html_(self) -> str:
        head = f"<p><b>bandit</b> on {html.escape(self.what)} <i>(information, not points)</i>"
        if self.error or not self.findings:
            return head + f": {html.escape(self.error or 'no findings')}</p>"
        rows = "".join(f"<tr><td>{f.line}</td><td>{html.escape(f.test_id)}</td>"
                       f"<td>{html.escape(f.severity)}</td><td style='text-align:left'>"
                       f"{html.escape(f.text)}</td></tr>" for f in self.findings)
        return (head + "</p><table><thead><tr><th>line</th><th>test</th><th>severity</th>"
                "<th style='text-align:left'>finding</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")


def bandit_report(source: str, what: str) -> BanditReport:
    """bandit's findings on ``source`` (Python), labelled ``what``; never raises."""
    if not source.strip():
        return BanditReport(what, (), "the source was not found")
    findings, error = _scan(source)
    return BanditReport(what, findings, error)


@lru_cache(maxsize=64)
def _scan(source: str) -> tuple[tuple[Finding, ...], str]:
    logging.getLogger("bandit").setLevel(logging.ERROR)  # its progress lines are noise here
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        # bandit 1.9 still passes stevedore's verify_requirements (a no-op that warns) when it
        # loads its plugins, on import too: noise in every test run and kernel, nothing a
        # learner can act on.
        warnings.simplefilter("ignore", DeprecationWarning)
        path = Path(folder) / "submission.py"
        path.write_text(source, encoding="utf-8")
        try:
            from bandit.core import config, manager

            runner = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
            runner.discover_files([str(path)])
            runner.run_tests()
        except ImportError as exc:
            return (), f"bandit is not installed: {exc}"
        except Exception as exc:  # noqa: BLE001 - information only: say it did not run
            return (), f"{type(exc).__name__}: {exc}"
        if runner.skipped:
            return (), f"bandit could not parse the code ({runner.skipped[0][1]})"
        issues = runner.get_issue_list()
    return tuple(Finding(i.test_id, i.lineno, i.severity, i.text) for i in issues), ""
