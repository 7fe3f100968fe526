"""The class table: one row per submission, as CSV and as a short summary."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

STATUS = {"written": "graded", "failed": "error", "error": "not graded", "executed": "pending"}


@dataclass(frozen=True)
class Row:
    student: str
    status: str  # graded | error (ungradable, scored 0) | not graded (retry) | pending
    score: float | None
    max_score: float | None
    executions: int
    seconds: float
    message: str

    @classmethod
    def from_entry(cls, entry: Any) -> Row:
        return cls(entry.student, STATUS.get(entry.state, entry.state), entry.score,
                   entry.max_score, entry.executions, round(entry.seconds, 1), entry.message)


def write_csv(path: Path, rows: list[Row]) -> None:
    """The report as CSV (header + one row per student); overwrites ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[f.name for f in fields(Row)])
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))


def summarize(outcome: Any) -> str:
    rows = outcome.rows
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    lines = [f"{len(rows)} submissions: " + ", ".join(f"{n} {s}" for s, n in
                                                       sorted(counts.items())),
             f"executed now: {outcome.graded_now}, already graded: {outcome.skipped}, "
             f"wall time {outcome.seconds:.1f} s"]
    for row in rows:
        if row.status != "graded" or row.message:
            lines.append(f"  {row.student}: {row.status}: {row.message}")
    for warning in outcome.sandbox_warnings:
        lines.append(f"WARNING: {warning}")
    for student, error in outcome.feedback_failures.items():
        lines.append(f"  {student}: feedback failed: {error.strip().splitlines()[-1:]}")
    return "\n".join(lines)
