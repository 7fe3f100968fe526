"""``python -m grader.apicheck warm``: install and compile api_check's checkers at install time.

JavaScript: ``npm ci`` from the committed ``js/package-lock.json`` into ``.cache/node``
(TypeScript's checker and Node's types). Rust: ``cargo fetch`` of the template's
``Cargo.lock`` and one ``cargo check`` of the template, so a learner's first check compiles
only the snippet (a quarter of a second instead of several). A stamp keyed by the lock files'
hash makes a second run quick. A missing tool (no Node, no cargo) skips its part with a line
saying so and exit status 0, as ``grader.golang warm`` does: one chapter needs it. A step
that fails with the tool present (registry unreachable) exits 1 so ``make install`` says so.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from grader.apicheck.tools import ToolMissing, warm_js, warm_rust


def _step(label: str, action: Callable[[], str]) -> bool:
    """Run one warm-up step, print one line; False when it failed with its tool present."""
    started = time.monotonic()
    try:
        what = action()
    except ToolMissing as exc:
        print(f"apicheck warm-up ({label}): skipped: {exc}")
        return True
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"apicheck warm-up ({label}): FAILED: {exc}")
        return False
    print(f"apicheck warm-up ({label}): {what} [{time.monotonic() - started:.1f} s]")
    return True


def warm() -> int:
    """Both checkers; exit status 0 unless a step failed with its tool present."""
    results = [_step("javascript", warm_js), _step("rust", warm_rust)]
    return 0 if all(results) else 1


def main(argv: list[str]) -> int:
    if argv == ["warm"]:
        return warm()
    print("usage: python -m grader.apicheck warm", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
