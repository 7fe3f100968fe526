"""Turn cargo's JSON diagnostics into a short message a learner can read.

Cargo run with ``--message-format=json`` prints one JSON object per line. The ones whose
``reason`` is ``"compiler-message"`` carry a rustc diagnostic: ``level``, ``code``,
``message``, ``spans`` (file, line, column) and ``rendered`` (the text rustc would have
printed, snippet and all; plain text in this format, ANSI codes are stripped anyway in case a
colour format was used). Everything else on stdout (artifacts, build-script output) is
ignored, so a learner never sees a wall of build log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
MAX_ERRORS = 3
MAX_SNIPPET_LINES = 20
MAX_TAIL_LINES = 15


@dataclass(frozen=True)
class Diagnostic:
    """One rustc error, located at its primary span."""

    level: str
    code: str | None
    message: str
    file: str | None
    line: int | None
    column: int | None
    rendered: str

    def headline(self) -> str:
        """``file:line:col: error[E0382]: message`` (location left out when rustc gave none)."""
        kind = f"{self.level}[{self.code}]" if self.code else self.level
        where = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        return f"{where}{kind}: {self.message}"


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes."""
    return ANSI_ESCAPE.sub("", text)


def _primary_span(spans: list[dict]) -> dict | None:
    for span in spans:
        if span.get("is_primary"):
            return span
    return spans[0] if spans else None


def _diagnostic(message: dict) -> Diagnostic:
    span = _primary_span(message.get("spans") or [])
    code = message.get("code") or {}
    return Diagnostic(
        level=message.get("level", "error"),
        code=code.get("code"),
        message=message.get("message", ""),
        file=span.get("file_name") if span else None,
        line=span.get("line_start") if span else None,
        column=span.get("column_start") if span else None,
        rendered=strip_ansi(message.get("rendered") or ""),
    )


def parse_cargo_json(lines: Iterable[str]) -> list[Diagnostic]:
    """Errors (not warnings, not the "aborting due to" summary) in the order rustc gave them.

    Non-JSON lines are skipped; the same diagnostic reported twice is kept once.
    """
    errors: list[Diagnostic] = []
    seen: set[tuple] = set()
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("reason") != "compiler-message":
            continue
        message = record.get("message") or {}
        if message.get("level") not in ("error", "error: internal compiler error"):
            continue
        diagnostic = _diagnostic(message)
        if diagnostic.file is None and diagnostic.message.startswith("aborting due to"):
            continue
        key = (diagnostic.code, diagnostic.message, diagnostic.file, diagnostic.line)
        if key not in seen:
            seen.add(key)
            errors.append(diagnostic)
    return errors


def _snippet(rendered: str) -> str:
    """The rendered text minus its first line (which repeats the headline), capped."""
    lines = rendered.rstrip().splitlines()[1:]
    if len(lines) > MAX_SNIPPET_LINES:
        lines = [*lines[:MAX_SNIPPET_LINES], "   ..."]
    return "\n".join(lines)


def format_diagnostics(diagnostics: list[Diagnostic], limit: int = MAX_ERRORS) -> str:
    """The first ``limit`` errors, each as a headline followed by rustc's snippet."""
    blocks = []
    for diagnostic in diagnostics[:limit]:
        snippet = _snippet(diagnostic.rendered)
        blocks.append(diagnostic.headline() + (f"\n{snippet}" if snippet else ""))
    hidden = len(diagnostics) - limit
    if hidden > 0:
        blocks.append(f"... and {hidden} more error{'s' if hidden > 1 else ''}")
    return "\n\n".join(blocks)


def tail(text: str, lines: int = MAX_TAIL_LINES) -> str:
    """The last non-empty ``lines`` lines of ``text``, without colour codes."""
    kept = [line for line in strip_ansi(text).splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
