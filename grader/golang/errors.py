"""Build failures a learner can read: the exceptions, and go build's output made short.

``go build`` prints ``# gradeharness/calc`` headers and ``calc/calc.go:5:2: message``
lines (paths relative to the temporary module, sometimes absolute).  A learner wrote
``calc.go``, not ``/tmp/gradeharness-x/gradeharness/calc/calc.go``, so every path is
mapped back to the learner's own file name, and errors located in the course's harness
(an exported name missing or with another signature) become a sentence about the
learner's package instead of a line number in a file they have never seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_ERROR_LINES = 10

_LOCATED = re.compile(
    r"^(?:\./)?(?P<path>[^\s:]+\.go):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<msg>.*)$"
)
_UNDEFINED = re.compile(r"^undefined: (?P<pkg>\w+)\.(?P<name>\w+)$")
_ARITY = re.compile(r"^(?:too many|not enough) arguments in call to (?P<pkg>\w+)\.(?P<name>\w+)$")


class GoBuildError(RuntimeError):
    """The learner's package did not build; ``str(error)`` is short and readable.

    ``summary`` holds at most ~10 lines, each ``file:line:col: message`` with the learner's
    own file names or a sentence; ``log`` is go's whole output, for the course's own eyes.
    """

    def __init__(self, package: str, summary: str, *, log: str = "") -> None:
        self.package = package
        self.summary = summary
        self.log = log
        super().__init__(f"Go build of package '{package}' failed:\n{summary}")


class GoImportRefused(GoBuildError):
    """The learner's package imports (or ships) something outside the allow-list.

    ``import_path`` is the refused import (``"C"`` for cgo), or None when the refused
    thing is a non-Go source file (assembly, C, a ``.syso`` object) named by ``file``.
    """

    def __init__(
        self, package: str, file: str, import_path: str | None, allowed: Iterable[str]
    ) -> None:
        self.file = file
        self.import_path = import_path
        self.allowed = tuple(sorted(allowed))
        listing = ", ".join(self.allowed)
        if import_path is None:
            what = f"{file}: only Go source files may be handed in (no assembly, C or .syso)"
        elif import_path == "C":
            what = f'{file}: import "C" (cgo) is not allowed'
        else:
            what = f'{file}: import "{import_path}" is not allowed'
        super().__init__(package, f"{what}; packages you may import: {listing}")


@dataclass(frozen=True)
class Layout:
    """Where things sit in the temporary module, to map go's paths back to the learner's."""

    module_dir: str  # absolute path of the temporary module
    package: str  # the learner's package folder inside it (= its import name)
    learner_files: tuple[str, ...]
    harness_sources: dict[str, str]  # harness file name -> text, to look at a failing call

    def learner_label(self) -> str:
        """How a sentence names the learner's code: its only file, else the package."""
        if len(self.learner_files) == 1:
            return self.learner_files[0]
        return f"package {self.package}"


def strip_paths(text: str, layout: Layout) -> str:
    """``text`` with the temporary module's absolute paths made relative to it."""
    text = text.replace(f"{layout.module_dir}/{layout.package}/", "")
    return text.replace(f"{layout.module_dir}/", "").replace(layout.module_dir, ".")


def _harness_line(layout: Layout, path: str, line: int) -> str:
    source = layout.harness_sources.get(path, "").splitlines()
    return source[line - 1] if 0 < line <= len(source) else ""


def _called_with_parens(layout: Layout, path: str, line: int, name: str) -> bool:
    text = _harness_line(layout, path, line)
    return bool(re.search(rf"\b{layout.package}\.{name}\s*\(", text))


def _harness_sentence(layout: Layout, path: str, line: int, msg: str, detail: list[str]) -> str:
    """A harness-side error as a sentence about the learner's package (where easy)."""
    label = layout.learner_label()
    undefined = _UNDEFINED.match(msg)
    if undefined and undefined["pkg"] == layout.package:
        name = undefined["name"]
        call = "(...)" if _called_with_parens(layout, path, line, name) else ""
        return f"{label} must define {name}{call} (the course's tests call it)"
    arity = _ARITY.match(msg)
    if arity and arity["pkg"] == layout.package:
        have = next((d.split(None, 1)[1] for d in detail if d.startswith("have ")), "")
        want = next((d.split(None, 1)[1] for d in detail if d.startswith("want ")), "")
        if have and want:
            return (
                f"{label}: {arity['name']} must take {have} (the course's tests call it "
                f"so); yours takes {want}"
            )
    used = set(re.findall(rf"\b{layout.package}\.(\w+)", _harness_line(layout, path, line)))
    what = f"{used.pop()} from {label}" if len(used) == 1 else label
    extra = "; ".join(detail)
    return f"the course's harness could not use {what} ({path}:{line}): {msg}" + (
        f"; {extra}" if extra else ""
    )


def compile_summary(output: str, layout: Layout) -> str:
    """The first errors of go build's ``output``, with learner file names; see the module doc."""
    # (harness file or None, line, text, detail lines such as "have (int)" that follow)
    entries: list[tuple[str | None, int, str, list[str]]] = []
    for raw in strip_paths(output, layout).splitlines():
        if not raw.strip() or raw.startswith("# "):
            continue
        if raw.startswith("\t") and entries:
            entries[-1][3].append(raw.strip())
            continue
        located = _LOCATED.match(raw)
        if not located:
            entries.append((None, 0, raw.strip(), []))
            continue
        path, line, msg = located["path"], int(located["line"]), located["msg"]
        if "/" not in path and path in layout.harness_sources:
            entries.append((path, line, msg, []))
            continue
        path = path.removeprefix(f"{layout.package}/")
        col = f":{located['col']}" if located["col"] else ""
        entries.append((None, 0, f"{path}:{line}{col}: {msg}", []))
    finished: list[str] = []
    for harness_file, line, text, detail in entries:
        if harness_file is not None:
            text = _harness_sentence(layout, harness_file, line, text, detail)
        elif detail:
            text += " (" + "; ".join(detail) + ")"
        if text not in finished:
            finished.append(text)
    if len(finished) > MAX_ERROR_LINES:
        hidden = len(finished) - MAX_ERROR_LINES
        finished = [*finished[:MAX_ERROR_LINES], f"... and {hidden} more"]
    return "\n".join(finished) or "go build failed without saying why"
