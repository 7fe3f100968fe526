"""The learner's progress: which exercises pass their public tests, how many hints were used.

Kept in an ignored JSON file under the course root. Writes are atomic (temp file + rename)
so a kernel killed mid-write never loses earlier progress; an unreadable file is moved aside
(not deleted) and a fresh one started, with a warning naming both files.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader.paths import state_file


def load(path: Path | None = None) -> dict[str, Any]:
    """The saved progress, ``{}`` when there is none yet."""
    path = path or state_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        backup = path.with_suffix(f".corrupt-{datetime.now(UTC):%Y%m%dT%H%M%S}.json")
        os.replace(path, backup)
        warnings.warn(f"progress file {path} was unreadable ({exc}); kept it as {backup}",
                      stacklevel=2)
        return {}
    return data if isinstance(data, dict) else {}


def save(data: dict[str, Any], path: Path | None = None) -> None:
    path = path or state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".progress-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)


def record_check(exercise: str, passed: int, total: int, path: Path | None = None, *,
                 points_ready: float | None = None) -> None:
    """Record a check() of ``exercise``: public tests passed of ``total``, and the points of
    the grade cells whose public tests all pass (the progress panel adds them up)."""
    data = load(path)
    entry = data.setdefault(exercise, {})
    entry.update(passed=passed, total=total, done=passed == total and total > 0,
                 last_check=datetime.now(UTC).isoformat(timespec="seconds"))
    if points_ready is not None:
        entry["points_ready"] = points_ready
    save(data, path)


def hints_shown(exercise: str, path: Path | None = None) -> int:
    """How many hints of ``exercise`` the learner has revealed."""
    try:
        return max(0, int(load(path).get(exercise, {}).get("hints_shown", 0)))
    except (TypeError, ValueError):
        return 0


def next_hint_index(exercise: str, n_hints: int, path: Path | None = None) -> int:
    """Advance and return the index of the hint to show (stays on the last one)."""
    data = load(path)
    entry = data.setdefault(exercise, {})
    shown = int(entry.get("hints_shown", 0))
    index = min(shown, n_hints - 1)
    entry["hints_shown"] = min(shown + 1, n_hints)
    save(data, path)
    return index
