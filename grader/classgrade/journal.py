"""The resumable state of one class's grading: a SQLite journal plus one result file each.

States of a submission (keyed by student, valid for one submission digest):

* ``executed``: the sandbox runs finished and their result is saved (results/<student>.json);
  a rerun writes the gradebook from it without running the student's code again;
* ``written``: the gradebook transaction committed and the autograded folder is in place;
* ``failed``: ungradable submission, zeroed in the gradebook, reason kept for the report.

Every step is an atomic SQLite transaction or an atomic file rename, and the gradebook write
is idempotent (same scores, same folder), so ``kill -9`` anywhere leaves each submission
either to redo or done, never half done and never counted twice.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DONE = ("written", "failed")


@dataclass(frozen=True)
class Entry:
    student: str
    digest: str
    state: str
    executions: int
    score: float | None
    max_score: float | None
    message: str
    seconds: float


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "results").mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(folder / "journal.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS submission (student TEXT PRIMARY KEY, digest TEXT,"
            " state TEXT, executions INTEGER DEFAULT 0, score REAL, max_score REAL,"
            " message TEXT DEFAULT '', seconds REAL DEFAULT 0, updated REAL)")

    def close(self) -> None:
        self.db.close()

    def get(self, student: str) -> Entry | None:
        row = self.db.execute(
            "SELECT student, digest, state, executions, score, max_score, message, seconds"
            " FROM submission WHERE student = ?", (student,)).fetchone()
        return Entry(*row) if row else None

    def entries(self) -> list[Entry]:
        rows = self.db.execute(
            "SELECT student, digest, state, executions, score, max_score, message, seconds"
            " FROM submission ORDER BY student").fetchall()
        return [Entry(*r) for r in rows]

    def result_path(self, student: str) -> Path:
        return self.folder / "results" / f"{student}.json"

    def save_result(self, student: str, digest: str, payload: dict[str, Any],
                    seconds: float) -> None:
        """Keep the sandbox result, then mark it ``executed`` (file first: a crash between
        the two leaves an orphan file that the next run overwrites)."""
        path = self.result_path(student)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, path)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            entry = self.get(student)
            executions = (entry.executions if entry and entry.digest == digest else 0) + 1
            self.db.execute(
                "INSERT OR REPLACE INTO submission (student, digest, state, executions,"
                " message, seconds, updated) VALUES (?, ?, 'executed', ?, '', ?, ?)",
                (student, digest, executions, seconds, time.time()))

    def load_result(self, student: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.result_path(student).read_text())
        except (OSError, ValueError):
            return None

    def mark(self, student: str, digest: str, state: str, *, score: float | None = None,
             max_score: float | None = None, message: str = "") -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            entry = self.get(student)
            executions = entry.executions if entry and entry.digest == digest else 0
            seconds = entry.seconds if entry else 0.0
            self.db.execute(
                "INSERT OR REPLACE INTO submission (student, digest, state, executions, score,"
                " max_score, message, seconds, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (student, digest, state, executions, score, max_score, message, seconds,
                 time.time()))
