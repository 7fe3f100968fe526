"""A numba kernel compiled alone from its own source: `KernelCandidate`.

What a worker loads is a module the trusted parent writes: the kernel's ``def`` and the
numba kernels it calls, the literal constants they read, and imports of numba, numpy and
math. No other statement of the learner's runs, and the kernels' bodies are only compiled
by numba in nopython mode, never run as Python: no module state, no ``objmode`` blocks, no
``with`` blocks, decorators limited to numba's ``njit``/``jit`` with plain options (``cache``
dropped, so nothing is read from a cache the learner's own runs wrote). Such a kernel cannot
remember anything from one call to the next except through its arguments, which the speed
engine hands over read-only when calls reuse inputs; hence ``stateless``. The same module is
what the SIMD check compiles (grader/simd.py): machine code no learner statement shaped.

Written by hand on Python's ``ast`` and ``symtable`` rather than with a sandboxing library:
the rules are specific (numba decorators, literal constants), and the output is plain source
that numba compiles as usual.
"""

from __future__ import annotations

import ast
import builtins
import copy
import hashlib
import inspect
import symtable
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.speed.candidates import Candidate, notebook_code_cells
from grader.speed.kernelconst import KernelSourceError, evaluate, literal

__all__ = ["KernelCandidate", "KernelSourceError", "kernel_module", "load_kernel"]

ALLOWED_MODULES = ("numba", "numpy", "math")
_DECORATORS = {("numba", "njit"), ("numba", "jit")}
# Options a kernel may set; `cache` is accepted and dropped.
_OPTIONS = {"fastmath", "nopython", "nogil", "boundscheck", "error_model", "inline",
            "parallel", "cache"}


class KernelCandidate(Candidate):
    """Kernel ``name`` from code cells (notebook) or a live numba function, compiled alone.

    Build it with `from_notebook` or `from_function`; both raise KernelSourceError when the
    kernel is missing, is not a numba kernel, or needs names that do not come along.
    """

    stateless = True

    def __init__(self, source: str, name: str, origin: str) -> None:
        self.source, self.name, self.origin = source, name, origin

    @classmethod
    def from_notebook(cls, path: str | Path, name: str) -> KernelCandidate:
        path = Path(path).resolve()
        cells = [source for _, source in notebook_code_cells(path)]
        return cls(kernel_module(cells, name, origin=path.name), name, path.name)

    @classmethod
    def from_function(cls, func: Any, name: str | None = None) -> KernelCandidate:
        """From a numba dispatcher defined in this process (a notebook cell): its source and
        that of the kernels and constants it uses, found through its globals."""
        py_func = getattr(func, "py_func", None)
        if py_func is None:
            raise KernelSourceError(f"{getattr(func, '__name__', func)!r} is not a numba "
                                    "kernel: decorate it with @numba.njit(...)")
        name = name or py_func.__name__
        source = kernel_module(_live_sources(py_func), py_func.__name__, origin="<kernel>",
                               alias=name)
        return cls(source, name, "<kernel>")

    def payload(self) -> dict[str, Any]:
        return {"kind": "kernel", "name": self.name, "source": self.source}

    def __repr__(self) -> str:
        return f"KernelCandidate({self.name!r} from {self.origin})"


def load_kernel(source: str, name: str) -> tuple[dict[str, Any], Any]:
    """Worker side: import the generated module (a real file, so numba and inspect find the
    source) and return (its namespace, the kernel)."""
    from grader.speed.candidates import import_path
    from grader.speed.environment import cache_dir

    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    path = cache_dir("speed", "kernels") / f"kernel_{digest}.py"
    if not path.is_file():
        partial = path.with_suffix(f".{digest}.partial")
        partial.write_text(source, encoding="utf-8")
        partial.replace(path)
    module = import_path(path, siblings=False)
    return vars(module), getattr(module, name)


# ---- building the module -------------------------------------------------------------------


class _Scope:
    """What the top level of the cells binds, in order; the last binding of a name wins."""

    def __init__(self) -> None:
        self.modules: dict[str, str] = {}  # alias -> "numba" / "numba.types" / "numpy" ...
        self.members: dict[str, tuple[str, str]] = {}  # alias -> (module, attribute)
        self.constants: dict[str, Any] = {}
        self.kernels: dict[str, ast.FunctionDef] = {}
        self.sources: dict[str, str] = {}  # kernel -> the source of its cell
        self.other: dict[str, str] = {}  # name -> what else bound it last (for messages)

    def forget(self, name: str) -> None:
        for table in (self.modules, self.members, self.constants, self.kernels, self.other):
            table.pop(name, None)


def kernel_module(cells: Iterable[str], name: str, origin: str = "<cells>",
                  alias: str | None = None) -> str:
    """The source of a module holding kernel ``name`` and what it needs from ``cells``."""
    scope = _Scope()
    for source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            # A cell that does not parse (or is too deeply nested for the parser) defines
            # nothing; the notebook's own run says why.
            continue
        for statement in tree.body:
            _bind(scope, statement, source)
    if name not in scope.kernels:
        what = scope.other.get(name)
        raise KernelSourceError(
            f"{origin}: {name!r} is {what} there, not a numba kernel: define it with "
            "def under @numba.njit(...)" if what else f"{origin} defines no kernel {name!r}")
    needed: list[str] = []
    _collect(scope, name, needed, origin)
    lines = [f'"""{name} from {origin}, compiled alone (generated by grader.speed.kernels)."""',
             "import math", "import numba", "import numpy", "import numba.types"]
    used = {n for kernel in needed for n in _free_names(scope, kernel)}
    for alias_name in sorted(used & set(scope.modules)):
        lines.append(f"import {scope.modules[alias_name]} as {alias_name}")
    for alias_name in sorted(used & set(scope.members)):
        module, attribute = scope.members[alias_name]
        lines.append(f"from {module} import {attribute} as {alias_name}")
    for constant in sorted(used & set(scope.constants)):
        lines.append(f"{constant} = {literal(scope.constants[constant])}")
    for kernel in reversed(needed):  # helpers first
        lines += ["", "", ast.unparse(_clean(scope, scope.kernels[kernel], origin))]
    if alias and alias != name:
        lines += ["", f"{alias} = {name}"]
    return "\n".join(lines) + "\n"


def _bind(scope: _Scope, statement: ast.stmt, source: str) -> None:
    if isinstance(statement, ast.Import | ast.ImportFrom):
        _bind_import(scope, statement)
    elif isinstance(statement, ast.FunctionDef):
        scope.forget(statement.name)
        if any(_is_jit(scope, d) for d in statement.decorator_list):
            scope.kernels[statement.name] = statement
            scope.sources[statement.name] = source
        else:
            scope.other[statement.name] = "a plain Python function"
    elif isinstance(statement, ast.Assign | ast.AnnAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        for target_name in names:
            scope.forget(target_name)
        value = statement.value
        what = "a value computed at run time"
        if len(names) == 1 and len(targets) == 1 and value is not None:
            try:
                scope.constants[names[0]] = evaluate(value, scope.constants, scope.other)
                return
            except KernelSourceError as exc:
                what += f", {exc}"
        for target_name in names:
            scope.other[target_name] = what
    else:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) or \
                    isinstance(node, ast.FunctionDef | ast.ClassDef):
                bound = node.id if isinstance(node, ast.Name) else node.name
                if bound in scope.kernels or bound in scope.constants:
                    scope.forget(bound)
                    scope.other[bound] = "rebound by other code"


def _bind_import(scope: _Scope, statement: ast.Import | ast.ImportFrom) -> None:
    if isinstance(statement, ast.Import):
        for item in statement.names:
            bound = item.asname or item.name.split(".")[0]
            scope.forget(bound)
            root = item.name.split(".")[0]
            if root in ALLOWED_MODULES:
                scope.modules[bound] = item.name if item.asname else root
            else:
                scope.other[bound] = f"the module {item.name}"
        return
    module = statement.module or ""
    for item in statement.names:
        bound = item.asname or item.name
        scope.forget(bound)
        if module.split(".")[0] in ALLOWED_MODULES and statement.level == 0 and \
                item.name != "*":
            scope.members[bound] = (module, item.name)
        else:
            scope.other[bound] = f"{item.name} from {module or '.'}"


def _is_jit(scope: _Scope, decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return _qualified(scope, target) in _DECORATORS


def _qualified(scope: _Scope, node: ast.expr) -> tuple[str, str] | None:
    """(module, attribute) that a name or ``alias.attribute`` refers to, if allowed."""
    if isinstance(node, ast.Name) and node.id in scope.members:
        return scope.members[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
            node.value.id in scope.modules:
        return scope.modules[node.value.id], node.attr
    return None


def _free_names(scope: _Scope, kernel: str) -> set[str]:
    """Global names the kernel (decorators and body) reads."""
    node = scope.kernels[kernel]
    module = ast.Module(body=[node], type_ignores=[])
    table = symtable.symtable(ast.unparse(module), "<kernel>", "exec")
    names: set[str] = set()
    for child in table.get_children():
        if child.get_name() == kernel:
            names |= _globals_of(child)
    for decorator in node.decorator_list:
        names |= {n.id for n in ast.walk(decorator) if isinstance(n, ast.Name)}
    return names


def _globals_of(table: symtable.SymbolTable) -> set[str]:
    names = {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
    for child in table.get_children():
        names |= _globals_of(child)
    return names


def _collect(scope: _Scope, kernel: str, needed: list[str], origin: str) -> None:
    if kernel in needed:
        return
    needed.append(kernel)
    for used in sorted(_free_names(scope, kernel)):
        if used in scope.kernels:
            _collect(scope, used, needed, origin)
        elif used in scope.modules or used in scope.members or used in scope.constants:
            continue
        elif hasattr(builtins, used):
            continue
        else:
            what = scope.other.get(used, "not defined by the notebook")
            raise KernelSourceError(
                f"{origin}: kernel {kernel!r} uses {used!r} ({what}); compiled alone it can "
                "see only numba kernels, literal constants and numba, numpy and math")


def _clean(scope: _Scope, node: ast.FunctionDef, origin: str) -> ast.FunctionDef:
    """A copy of the kernel with its decorator checked and ``cache`` dropped; its body may
    hold no ``with`` block (numba runs ``with objmode`` as Python) and no ``global``."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.With | ast.AsyncWith | ast.Global | ast.Nonlocal):
            raise KernelSourceError(
                f"{origin}: kernel {node.name!r} has a {type(inner).__name__.lower()} "
                f"statement (line {inner.lineno} of its cell): graded kernels are pure "
                "nopython code")
        if isinstance(inner, ast.Attribute | ast.Name) and \
                getattr(inner, "attr", getattr(inner, "id", "")) == "objmode":
            raise KernelSourceError(f"{origin}: kernel {node.name!r} uses objmode")
    jits = [d for d in node.decorator_list if _is_jit(scope, d)]
    if len(jits) != 1 or len(node.decorator_list) != 1:
        raise KernelSourceError(f"{origin}: kernel {node.name!r} must have exactly one "
                                "decorator, @numba.njit(...) or @numba.jit(...)")
    decorator = jits[0]
    if isinstance(decorator, ast.Call):
        keywords = []
        for keyword in decorator.keywords:
            if keyword.arg not in _OPTIONS:
                raise KernelSourceError(f"{origin}: kernel {node.name!r}: option "
                                        f"{keyword.arg!r} is not allowed here")
            value = evaluate(keyword.value, scope.constants, scope.other)
            if keyword.arg == "nopython" and value is not True:
                raise KernelSourceError(f"{origin}: kernel {node.name!r} must be nopython")
            if keyword.arg != "cache":
                keywords.append(ast.keyword(keyword.arg, ast.parse(literal(value),
                                                                   mode="eval").body))
        args = [_signature(scope, a, node.name, origin) for a in decorator.args]
        decorator = ast.Call(decorator.func, args, keywords)
    clean = copy.copy(node)
    clean.decorator_list = [decorator]
    return ast.fix_missing_locations(clean)


def _signature(scope: _Scope, node: ast.expr, kernel: str, origin: str) -> ast.expr:
    """A decorator's positional argument: a signature string, or numba types built from
    names of numba (``float64(float64[::1])``); checked against the real numba here."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node
    if isinstance(node, ast.Constant) and node.value is None:
        return node

    def check(part: ast.expr) -> None:
        if isinstance(part, ast.Call):
            check(part.func)
            for arg in part.args:
                check(arg)
            if part.keywords:
                raise KernelSourceError("keywords in a signature")
        elif isinstance(part, ast.Subscript):
            check(part.value)
            for index in (part.slice.elts if isinstance(part.slice, ast.Tuple)
                          else [part.slice]):
                if not (isinstance(index, ast.Slice) and all(
                        v is None or isinstance(v, ast.Constant) for v in
                        (index.lower, index.upper, index.step))):
                    raise KernelSourceError("array types take slices only")
        elif isinstance(part, ast.List | ast.Tuple):
            for item in part.elts:
                check(item)
        else:
            _numba_type(scope, part)

    try:
        check(node)
    except KernelSourceError as exc:
        raise KernelSourceError(f"{origin}: kernel {kernel!r}: signature "
                                f"{ast.unparse(node)!r} not understood ({exc})") from None
    return node


def _numba_type(scope: _Scope, node: ast.expr) -> None:
    import numba
    from numba.core import types

    where = _qualified(scope, node)
    if where is None and isinstance(node, ast.Attribute) and \
            isinstance(node.value, ast.Attribute):
        inner = _qualified(scope, node.value)
        if inner == ("numba", "types"):
            where = ("numba.types", node.attr)
    if where is None or where[0] not in ("numba", "numba.types", "numba.core.types"):
        raise KernelSourceError(f"{ast.unparse(node)} is not a numba type")
    module = {"numba": numba, "numba.types": types, "numba.core.types": types}[where[0]]
    if where[1].startswith("_") or not isinstance(getattr(module, where[1], None),
                                                  types.Type):
        raise KernelSourceError(f"{ast.unparse(node)} is not a numba type")


# ---- a live kernel (the learner's own check() in a notebook) -------------------------------


def _live_sources(py_func: Any) -> list[str]:
    """Cells standing in for the notebook: imports and constants of the kernel's globals,
    then the sources of the kernels it uses, itself last."""
    import numba
    from numba.core.dispatcher import Dispatcher

    cells: list[str] = ["import numba"]  # the dispatcher is numba's, whatever its alias
    seen: set[str] = set()

    def add(func: Any) -> None:
        if func.__name__ in seen:
            return
        seen.add(func.__name__)
        try:
            source = textwrap.dedent(inspect.getsource(func))
        except (OSError, TypeError) as exc:
            raise KernelSourceError(f"the source of {func.__name__!r} is not available "
                                    f"({exc})") from None
        for name, value in func.__globals__.items():
            if name not in _referenced(source) or name in seen:
                continue
            if isinstance(value, Dispatcher):
                add(value.py_func)
            elif inspect.ismodule(value) and value.__name__.split(".")[0] in ALLOWED_MODULES:
                cells.insert(1, f"import {value.__name__} as {name}")
            elif getattr(value, "__module__", "").split(".")[0] == "numba" and \
                    hasattr(numba, getattr(value, "__name__", "")):
                cells.insert(1, f"from numba import {value.__name__} as {name}")
            else:
                try:
                    if ast.literal_eval(repr(value)) == value:
                        cells.insert(1, f"{name} = {value!r}")
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    pass
        cells.append(source)

    add(py_func)
    return cells


def _referenced(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
