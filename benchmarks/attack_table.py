"""Chapter 07's attacks against implementations of each exercise: which attack each survives.

    .venv/bin/python benchmarks/attack_table.py [--golden ai_version --golden solution ...]

Every public and hidden attack of every cell (checks.py, solution_only/hidden_checks.py), run
as the grading controller runs them (grader/golang/grading.py's run_cell against the subject
made from the submission), on the golden submissions in tests/golden/07_insecure_defaults/.
Prints a Markdown table: one row per attack, one column per implementation, "pass" or the
first words of why it failed. Default columns: the AI version, the model solution, the
blocklist of public payloads, and the honest alternative.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT = ("ai_version", "solution", "blocklist", "alternative")


def results(golden: str, base: Path) -> dict[tuple[str, str], str]:
    """(grade id, attack) -> "pass" or the failure's first words, for one golden."""
    from grader.golang.grading import run_cell
    from grader.snippets.subjects import close, subject_for
    from tests.test_insecure_defaults_chapter import ASSIGNMENT, SETTINGS, SOURCE, submission

    notebook = submission(golden, base)
    out = {}
    for grade_id, settings in SETTINGS.items():
        subject = subject_for(ASSIGNMENT, settings, notebook)
        try:
            for r in run_cell(SOURCE, grade_id, subject):
                out[(grade_id, r.doc)] = "pass" if r.passed else "FAIL: " + _short(r.reason)
        finally:
            close(subject)
    return out


def _short(reason: str, words: int = 9) -> str:
    parts = reason.replace("|", "/").split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", action="append", help="a golden's name (repeatable)")
    args = parser.parse_args()
    goldens = args.golden or list(DEFAULT)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        table = {g: results(g, Path(folder)) for g in goldens}
    rows = list(dict.fromkeys(key for g in goldens for key in table[g]))
    print("| cell | attack | " + " | ".join(goldens) + " |")
    print("|---|---|" + "---|" * len(goldens))
    for grade_id, doc in rows:
        cells = [table[g].get((grade_id, doc), "—") for g in goldens]
        print(f"| {grade_id} | {doc} | " + " | ".join(cells) + " |")
    print(f"\n{len(rows)} attacks × {len(goldens)} implementations in "
          f"{time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
