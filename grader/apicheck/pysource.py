"""What the checked code itself says (ast only, nothing imported): its imports and aliases,
where its calls and attribute names are, in the units basedpyright and learners use."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from grader.apicheck.pyrun import bytes_to_index


@dataclass
class Source:
    """The parsed code. ``aliases`` maps a local name to what it was imported as ("np" ->
    "numpy", "loads" -> "json.loads"); ``packages`` are the top-level imported packages."""

    code: str
    tree: ast.Module
    lines: list[str]
    aliases: dict[str, str] = field(default_factory=dict)
    packages: list[str] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)   # classes and functions the code defines
    # every module path an ``import a.b.c`` statement loads: "a", "a.b", "a.b.c"
    imported: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, code: str) -> Source:
        """Parse ``code``; a SyntaxError propagates (the caller reports it)."""
        tree = ast.parse(code)
        source = cls(code, tree, code.splitlines() or [""])
        source._collect_imports()
        return source

    def _collect_imports(self) -> None:
        rebound: set[str] = set()   # a name assigned again no longer means the module
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    self.aliases[alias.asname or top] = alias.name if alias.asname else top
                    self.packages.append(top)
                    parts = alias.name.split(".")
                    self.imported.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                self.packages.append(node.module.split(".")[0])
                for alias in node.names:
                    if alias.name != "*":
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                rebound.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                rebound.add(node.name)
                self.defined.add(node.name)
        for name in rebound:
            self.aliases.pop(name, None)
        self.packages = list(dict.fromkeys(self.packages))

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) of the code, "" past its end."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def column(self, line: int, byte_offset: int) -> int:
        """The 1-based character column of an ast (UTF-8 byte) offset on ``line``."""
        return bytes_to_index(self.line_text(line), byte_offset) + 1

    def where(self, node: ast.expr | ast.keyword) -> tuple[int, int]:
        """(line, column), 1-based characters, of ``node``'s start."""
        return node.lineno, self.column(node.lineno, node.col_offset)

    def attr_where(self, node: ast.Attribute) -> tuple[int, int]:
        """(line, column) of the attribute name of ``node`` (the text after the dot)."""
        line, end = node.end_lineno or node.lineno, node.end_col_offset or 0
        return line, self.column(line, end - len(node.attr.encode("utf-8")))

    def dotted(self, expr: ast.expr) -> str | None:
        """The imported path an expression names: ``np.linalg.norm`` -> "numpy.linalg.norm";
        None when its root is not an imported name."""
        parts: list[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name) or expr.id not in self.aliases:
            return None
        return ".".join([self.aliases[expr.id], *reversed(parts)])

    def call_at(self, line: int, column: int) -> ast.Call | None:
        """The innermost call whose text contains (line, column), 1-based characters."""
        best: ast.Call | None = None
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and self._contains(node, line, column):
                if best is None or self._contains(best, *self.where(node)):
                    best = node
        return best

    def _contains(self, node: ast.expr, line: int, column: int) -> bool:
        start = self.where(node)
        end_line = node.end_lineno or node.lineno
        end = (end_line, self.column(end_line, node.end_col_offset or 0))
        return start <= (line, column) <= end

    def import_from_at(self, line: int, name: str) -> str | None:
        """The module of the ``from M import name`` statement that spans ``line``."""
        for node in ast.walk(self.tree):
            if (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    and node.lineno <= line <= (node.end_lineno or node.lineno)
                    and any(a.name == name for a in node.names)):
                return node.module
        return None


def call_shape(call: ast.Call) -> tuple[int, list[str]] | None:
    """(number of positional arguments, keyword names) of ``call``; None when it unpacks
    ``*args`` or ``**kwargs`` (then what it passes is not known from the text)."""
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None
    if any(k.arg is None for k in call.keywords):
        return None
    return len(call.args), [k.arg for k in call.keywords if k.arg is not None]
