"""``type_check(code)``: a ``mypy --strict``-like verdict for the context-drift exercise.

basedpyright in strict mode, plus ``Any`` forbidden (reportExplicitAny) and
``# type: ignore`` disabled (enableTypeIgnoreComments: false). Passing must mean the types are
right, so whatever switches the checker off without fixing a type is listed apart, as a
*silencer*, and fails the check too: ``# type: ignore``, ``# pyright: ...`` comments (which
basedpyright still honours: ``# pyright: basic`` lowers the whole file's rules), ``cast(...)``
and ``Any``. Silencers are found with tokenize (comments) and ast (names through their
imports and aliases), never by a regex over the whole text, so a string that merely contains
"# type: ignore" is not one.
"""

from __future__ import annotations

import ast
import html
import io
import re
import time
import tokenize
from dataclasses import dataclass, field

from grader.apicheck.pyrun import (
    bytes_to_index,
    python_version,
    run_basedpyright,
    utf16_to_index,
)

STRICT_CONFIG = {
    "typeCheckingMode": "strict",
    "pythonVersion": python_version(),
    "enableTypeIgnoreComments": False,     # `# type: ignore` silences nothing
    "reportExplicitAny": "error",          # `Any` written in an annotation
    # Off: the Any that the standard library hands back (json.loads) and what isinstance
    # narrows it to (dict[Unknown, Unknown]). Honest code that parses JSON, annotating the
    # result as `object` and narrowing it, cannot avoid them; the `Any` a learner writes is
    # still an error (reportExplicitAny, and a silencer), and a value typed loosely still
    # fails where it meets a precise annotation (a contract probe's assert_type).
    "reportAny": "none",
    "reportUnknownMemberType": "none",
    "reportUnknownVariableType": "none",
    "reportUnknownArgumentType": "none",
    "reportUnknownLambdaType": "none",
    # Off: a contract that says "a str id raises TypeError" needs the isinstance check that
    # the annotation makes look unnecessary; callers are not all type-checked.
    "reportUnnecessaryIsInstance": "none",
    "reportUnnecessaryComparison": "none",
    # Unreachable code is not checked at all: a `raise` at the top of a cell would hide
    # everything after it (an unsolved exercise's `raise NotImplementedError()`).
    "reportUnreachable": "error",
    # A notebook cell is checked alone: what it imports for other cells, or the probe
    # function appended to it, is not "unused".
    "reportUnusedImport": "none",
    "reportUnusedFunction": "none",
    "reportUnusedClass": "none",
    "reportUnusedVariable": "none",
    # Silencers are reported by us, once, with a reason: the checker need not repeat them.
    "reportUnnecessaryTypeIgnoreComment": "none",
    "reportIgnoreCommentWithoutRule": "none",
}
# Both rule names are basedpyright's (1.40.2 ships no config schema file; its docs'
# configuration page lists them, and pyright.js knows both).

_TYPING = ("typing", "typing_extensions")
_TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore")
_PYRIGHT = re.compile(r"#\s*(?:based)?pyright:")


@dataclass(frozen=True)
class TypeIssue:
    """One problem at ``line``:``column`` (1-based)."""

    line: int
    column: int
    rule: str         # basedpyright's rule, or "syntax", or a silencer kind (type-ignore...)
    message: str


@dataclass
class TypeReport:
    """The checker's errors and the silencers in the code; ``ok`` needs none of either."""

    errors: list[TypeIssue] = field(default_factory=list)
    silencers: list[TypeIssue] = field(default_factory=list)
    tool: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.silencers

    def __str__(self) -> str:
        head = f"type_check ({self.tool}, {self.seconds:.2f} s): "
        if self.ok:
            return head + "0 errors, no silencers"
        lines = [head + f"{len(self.errors)} error(s), {len(self.silencers)} silencer(s)"]
        lines += [_row(i) for i in self.errors]
        if self.silencers:
            lines.append("silencers (they hide errors, they do not fix them):")
            lines += [_row(i) for i in self.silencers]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        title = html.escape(f"type_check ({self.tool}, {self.seconds:.2f} s)")
        if self.ok:
            return f"<div><b>{title}</b><p>✔ 0 errors, no silencers</p></div>"
        parts = [f"<div><b>{title}</b>"]
        for caption, issues in (("errors", self.errors), ("silencers", self.silencers)):
            if issues:
                rows = "".join(
                    f"<tr><td>{i.line}:{i.column}</td><td>{html.escape(i.rule)}</td>"
                    f"<td>{html.escape(i.message)}</td></tr>" for i in issues)
                parts.append(f"<p>{caption}</p><table><thead><tr><th>where</th><th>rule</th>"
                             f"<th>message</th></tr></thead><tbody>{rows}</tbody></table>")
        return "".join(parts) + "</div>"


def _row(issue: TypeIssue) -> str:
    message = "; ".join(part.strip() for part in issue.message.splitlines())
    return f"  line {issue.line}:{issue.column}  {issue.rule}  {message}"


def type_check(code: str, *, timeout: float = 120.0) -> TypeReport:
    """Check ``code`` strictly (one basedpyright run) and list its silencers.

    Bad input: ``code`` that is not a string raises TypeError; code that does not parse gives
    one error (rule "syntax") and no run; a ``timeout`` that is not positive raises
    ValueError, a run longer than it TimeoutError; no basedpyright: RuntimeError.
    """
    if not isinstance(code, str):
        raise TypeError(f"type_check takes the code as a string, got {type(code).__name__}")
    start = time.perf_counter()
    try:
        ast.parse(code)
    except SyntaxError as exc:
        issue = TypeIssue(exc.lineno or 1, exc.offset or 1, "syntax",
                          f"does not parse: {exc.msg}")
        return TypeReport([issue], [], "python ast", time.perf_counter() - start)
    run = run_basedpyright(code, STRICT_CONFIG, timeout=timeout)
    lines = code.splitlines()
    errors = []
    for d in run.diagnostics:
        if d.severity in ("error", "warning"):
            text = lines[d.line] if d.line < len(lines) else ""
            column = utf16_to_index(text, d.character) + 1
            errors.append(TypeIssue(d.line + 1, column, d.rule or "error", d.message))
    silencers = sorted(comment_silencers(code) + code_silencers(code),
                       key=lambda i: (i.line, i.column))
    return TypeReport(errors, silencers, f"basedpyright {run.version} strict",
                      time.perf_counter() - start)


def comment_silencers(code: str) -> list[TypeIssue]:
    """``# type: ignore...`` and ``# pyright: ...`` / ``# basedpyright: ...`` comments.
    Bad input: code that does not tokenize gives the silencers found before the error."""
    found: list[TypeIssue] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type != tokenize.COMMENT:
                continue
            line, column = tok.start[0], tok.start[1] + 1
            text = tok.string.strip()
            if _TYPE_IGNORE.search(text):
                found.append(TypeIssue(line, column, "type-ignore", (
                    f"`{text}` on line {line} hides an error instead of fixing it")))
            elif _PYRIGHT.search(text):
                found.append(TypeIssue(line, column, "pyright-comment", (
                    f"`{text}` on line {line} switches the checker's rules off instead of "
                    "fixing the types")))
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def code_silencers(code: str) -> list[TypeIssue]:
    """Calls of ``typing.cast`` and uses of ``typing.Any``, however imported (``from typing
    import cast as c``, ``import typing as t; t.Any``); the import lines themselves are not
    counted. Code under ``if TYPE_CHECKING:`` is not treated specially.
    Bad input: code that does not parse gives [] (type_check reports the syntax error)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    lines = code.splitlines()
    modules, names = _typing_names(tree)
    found: list[TypeIssue] = []
    for node in ast.walk(tree):
        what = _typing_member(node, modules, names)
        if isinstance(node, ast.Call) and _typing_member(node.func, modules, names) == "cast":
            line, column = node.lineno, _column(lines, node)
            found.append(TypeIssue(line, column, "cast", (
                f"`{ast.unparse(node.func)}(...)` on line {line} asserts a type without "
                "checking it: it silences the checker, it does not fix the type")))
        elif what == "Any" and isinstance(node, ast.expr):
            line, column = node.lineno, _column(lines, node)
            found.append(TypeIssue(line, column, "Any", (
                f"`{ast.unparse(node)}` on line {line} switches type checking off for "
                "every value it touches")))
    return found


def _column(lines: list[str], node: ast.expr) -> int:
    text = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
    return bytes_to_index(text, node.col_offset) + 1


def _typing_names(tree: ast.AST) -> tuple[set[str], dict[str, str]]:
    """Local names of the typing modules, and local name -> typing member (cast, Any)."""
    modules: set[str] = set()
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name in _TYPING)
        elif isinstance(node, ast.ImportFrom) and node.module in _TYPING and node.level == 0:
            names.update({a.asname or a.name: a.name for a in node.names
                          if a.name in ("cast", "Any")})
    return modules, names


def _typing_member(node: ast.AST, modules: set[str], names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        return names.get(node.id)
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in modules and node.attr in ("cast", "Any")):
        return node.attr
    return None
