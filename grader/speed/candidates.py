"""Where a function to be measured comes from, and how a worker loads it.

A `Candidate` is only a description (a file path, a notebook path, pickled bytes). The
parent sends ``payload()`` to a worker, and the worker calls `load_payload` to run the
code: learner code is executed only inside worker processes. ``load_here`` runs the same
loader in the calling process and is meant for trusted course code (input factories).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.util
import itertools
import os
import re
import sys
import sysconfig
import types
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cloudpickle

# A cell that calls check(...) or hint(...) talks to the grader; running it in a worker
# would recurse into grading. `\b` keeps `sanity_check(` and `my_hint(` runnable.
_GRADER_CALL = re.compile(r"\b(check|hint)\s*\(")
# Prefix of the modules notebook cells run in (see _notebook_module).
_NOTEBOOK_MODULE = "_graded_nb_"
# Marks a module `_register_globals` made from pickled globals.
_PICKLED_GLOBALS = "__graded_pickled_globals__"


class Candidate(ABC):
    """A named object (usually a function) that a worker can load.

    ``stateless``: loading it runs no code of the learner's beyond what cannot keep state
    between calls (grader/speed/kernels.py), so the speed engine may reuse inputs.
    """

    name: str
    stateless: bool = False

    @abstractmethod
    def payload(self) -> dict[str, Any]:
        """A picklable description of how to load the object (made in the trusted parent)."""

    def load_here(self) -> Any:
        """Load the object in this process. Only for trusted code: it runs the code here."""
        return load_payload(self.payload(), in_worker=False)[1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class CallableCandidate(Candidate):
    """A function object from a live kernel, shipped with cloudpickle.

    Functions from ``__main__`` (notebook cells) and from modules outside site-packages and
    the standard library (the learner's own files, which the worker may not be able to
    import) are pickled by value. ``func`` must be callable, else TypeError.
    """

    def __init__(self, func: Callable[..., Any], name: str | None = None) -> None:
        if not callable(func):
            raise TypeError(f"CallableCandidate needs a callable, got {type(func).__name__}")
        self.func = func
        self.name = name or getattr(func, "__name__", "candidate")

    def payload(self) -> dict[str, Any]:
        modules = _by_value_modules(self.func)
        # numba pickles a dispatcher's Python function with its own copy of cloudpickle.
        vendored = sys.modules.get("numba.cloudpickle")
        picklers = [cloudpickle] if vendored is None else [cloudpickle, vendored]
        for module, pickler in itertools.product(modules, picklers):
            pickler.register_pickle_by_value(module)
        try:
            blob = cloudpickle.dumps(self.func)
        finally:
            for module, pickler in itertools.product(modules, picklers):
                pickler.unregister_pickle_by_value(module)
        # The parent's import path lets the worker import, by reference, helper modules that
        # the learner imported from a notebook folder.
        return {"kind": "callable", "name": self.name, "blob": blob, "sys_path": list(sys.path),
                "submodules": submodules_used(self.func)}


class ModuleCandidate(Candidate):
    """``name`` from a .py file, imported by path. Missing file: FileNotFoundError."""

    def __init__(self, path: str | os.PathLike[str], name: str) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise FileNotFoundError(f"no such module file: {self.path}")
        self.name = name

    def payload(self) -> dict[str, Any]:
        return {"kind": "module", "name": self.name, "path": str(self.path)}

    def __repr__(self) -> str:
        return f"ModuleCandidate({str(self.path)!r}, {self.name!r})"


class NotebookCandidate(Candidate):
    """``name`` defined by a notebook's code cells, executed in the worker.

    The notebook is read here (nbformat, no code runs); the worker executes the cells.
    Skipped: nbgrader test cells (``metadata.nbgrader.grade`` is true), cells that call
    ``check(`` or ``hint(``, cells starting with a ``%%`` cell magic; lines starting with
    ``%`` or ``!`` are blanked. Cells that raise are recorded and skipped, so one broken
    demo cell does not hide the function. The cells run in a module of their own (named
    ``_graded_nb_<stem>_<hash>``, registered in sys.modules), not as ``__main__``: code under
    ``if __name__ == "__main__":`` does not run. Missing file: FileNotFoundError.
    """

    def __init__(self, path: str | os.PathLike[str], name: str) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise FileNotFoundError(f"no such notebook: {self.path}")
        self.name = name

    def payload(self) -> dict[str, Any]:
        # Parsed here, in the parent: reading JSON runs no learner code, and nbformat's
        # import (jsonschema format checkers) costs seconds that each worker would repeat.
        return {"kind": "notebook", "name": self.name, "path": str(self.path),
                "cells": notebook_code_cells(self.path)}

    def __repr__(self) -> str:
        return f"NotebookCandidate({str(self.path)!r}, {self.name!r})"


def as_candidate(obj: Candidate | Callable[..., Any]) -> Candidate:
    """Wrap a plain callable as a `CallableCandidate`; TypeError for anything else."""
    if isinstance(obj, Candidate):
        return obj
    if callable(obj):
        return CallableCandidate(obj)
    raise TypeError(f"expected a Candidate or a callable, got {type(obj).__name__}")


def notebook_code_cells(path: Path) -> list[tuple[int, str]]:
    """(cell index, runnable source) of the cells a worker executes, in order.

    Read as plain JSON rather than with nbformat: importing nbformat pulls in jsonschema,
    which costs seconds of CPU, on every first check() of a kernel. Only v4 notebooks (what
    Jupyter has written since 2015) are accepted; anything else raises ValueError.
    """
    import json

    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable notebook ({exc})") from None
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4:
        raise ValueError(f"{path}: not an nbformat 4 notebook")
    cells: list[tuple[int, str]] = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") is True:
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if _GRADER_CALL.search(source) or source.lstrip().startswith("%%"):
            continue
        lines = ["" if line.lstrip().startswith(("%", "!")) else line
                 for line in source.splitlines()]
        cells.append((index, "\n".join(lines)))
    return cells


def load_payload(payload: dict[str, Any], *, in_worker: bool = True) -> tuple[dict[str, Any], Any]:
    """Load a candidate description; returns (namespace, object).

    Raises LookupError when the name is missing (the message lists cell errors for
    notebooks) and whatever the loaded code raises for modules and pickles.
    """
    kind = payload["kind"]
    name = payload["name"]
    if kind == "callable":
        for entry in payload.get("sys_path", []):
            if entry not in sys.path:
                sys.path.append(entry)
        for module in payload.get("submodules", []):
            with contextlib.suppress(Exception):  # what the code needs fails at its call
                importlib.import_module(module)
        obj = cloudpickle.loads(payload["blob"])
        func = getattr(obj, "py_func", obj)  # a numba dispatcher keeps the Python function
        if in_worker:
            _register_globals(func)
        # By-value pickles carry only the globals the function uses, never the function
        # itself: `lookup_name` resolves the candidate's own names.
        return dict(getattr(func, "__globals__", {})), obj
    if kind == "module":
        module = import_path(Path(payload["path"]))
        if not hasattr(module, name):
            raise LookupError(f"{payload['path']} defines no {name!r}")
        return vars(module), getattr(module, name)
    if kind == "notebook":
        return _exec_notebook(Path(payload["path"]), name, payload["cells"], in_worker=in_worker)
    if kind == "kernel":
        from grader.speed.kernels import load_kernel

        return load_kernel(payload["source"], name)
    if kind == "driven":  # a learner's functions bound to a course driver (grader/growth)
        from grader.growth.drivers import load_driven

        return load_driven(payload, in_worker)
    raise ValueError(f"unknown candidate kind {kind!r}")


def lookup_name(payload: dict[str, Any], namespace: dict[str, Any], loaded: Any,
                name: str) -> Any:
    """``name`` as seen from a loaded candidate: a global of its namespace, else the loaded
    object itself when ``name`` is the candidate's name or the function's own ``__name__``.

    LookupError says where the name was looked for when it is neither.
    """
    if name in namespace:
        return namespace[name]
    func = getattr(loaded, "py_func", loaded)
    if name in {payload["name"], getattr(loaded, "__name__", None),
                getattr(func, "__name__", None)}:
        return loaded
    if payload["kind"] == "kernel":
        raise LookupError(f"the kernel module of {payload['name']!r} holds no {name!r}")
    if payload["kind"] == "callable":
        raise LookupError(
            f"{name!r} is neither the callable candidate ({payload['name']!r}) nor a global "
            f"name its code uses (a pickled function carries only those): pass the function "
            f"{name!r} itself, e.g. CallableCandidate({name}, name={name!r})")
    raise LookupError(f"{Path(payload['path']).name} defines no {name!r}")


def import_path(path: Path, siblings: bool = True) -> Any:
    """The module in the file ``path``, imported once per process; ``siblings`` puts its
    folder on sys.path (an exercise's helper modules). ImportError if it is not a module."""
    # A unique module name so two exercises' `solution.py` do not collide, registered in
    # sys.modules because dataclasses, pickling and numba's cache look modules up there.
    # The name depends on the file's resolved path alone, and every importer of a file
    # (the speed engine, an exercise's checks.py, the tests) must come through here:
    # numba's on-disk cache is keyed by the source path but pickles the importing module's
    # name, so a file imported under two names poisons the cache for one of them
    # (ModuleNotFoundError when the other process loads the entry).
    path = Path(path).resolve()
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:10]
    module_name = f"_graded_{path.stem}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    if siblings and str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))  # sibling helper modules of the exercise
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _exec_notebook(path: Path, name: str, cells: list[tuple[int, str]], *,
                   in_worker: bool) -> tuple[dict[str, Any], Any]:
    from grader.speed.environment import cache_dir

    if in_worker:
        os.chdir(path.parent)  # learner code opens data files relative to the notebook
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
    module = _notebook_module(path)
    namespace = vars(module)
    errors: list[str] = []
    cell_dir = cache_dir("speed", "cells")
    for index, source in cells:
        # Each cell becomes a real file (content-addressed) so tracebacks show its lines,
        # inspect.getsource works, and numba's cache=True finds a source file to key on.
        # The file is named after the notebook's module too: numba's cache entry for a file
        # records the module it ran in, and two notebooks with the same cell must not share
        # an entry that names the other's module.
        digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()[:16]
        cell_file = cell_dir / f"{module.__name__}_cell{index}_{digest}.py"
        if not cell_file.exists():
            cell_file.write_text(source, encoding="utf-8")
        try:
            exec(compile(source, str(cell_file), "exec"), namespace)  # noqa: S102 - worker only
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - recorded, next cell runs
            errors.append(f"cell {index}: {type(exc).__name__}: {exc}")
    if name not in namespace:
        detail = ("; errors: " + " | ".join(errors)) if errors else ""
        raise LookupError(f"{path.name} does not define {name!r}{detail}")
    return namespace, namespace[name]


def _notebook_module(path: Path) -> types.ModuleType:
    """A fresh, empty module for a notebook's cells, registered in sys.modules.

    Not a dict named "__main__": numba resolves a function's globals through
    ``sys.modules[func.__module__]`` (object-mode blocks, ``numba.objmode``), which in a worker
    is the worker's own __main__. A real module under a unique name makes those lookups find
    the notebook's names. Re-running a notebook (check() again) replaces the entry.
    """
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    module = types.ModuleType(f"{_NOTEBOOK_MODULE}{stem}_{digest}")
    sys.modules[module.__name__] = module
    return module


def _register_globals(func: Any) -> None:
    """Worker side: make ``sys.modules[func.__module__]`` a module holding the globals of a
    function pickled by value.

    numba resolves the globals of object-mode code (``with numba.objmode(...)`` blocks)
    through that entry, not through ``func.__globals__``. For notebook code it is
    "__main__", which in a worker is the worker's own script; for a learner's module it is
    missing. Replacing the worker's __main__ entry does not disturb the worker: its own
    functions keep their globals. A copy suffices: objmode code reads the helpers it names.
    A second function of the same module (a factory) adds its names, overwriting none.
    """
    name = getattr(func, "__module__", None)
    globals_ = getattr(func, "__globals__", None)
    if not name or globals_ is None:
        return
    module = sys.modules.get(name)
    if not getattr(module, _PICKLED_GLOBALS, False):
        if module is not None and name != "__main__":
            return  # a real module the worker imported: numba finds the names there
        module = types.ModuleType(name)
        setattr(module, _PICKLED_GLOBALS, True)
        sys.modules[name] = module
    for key, value in globals_.items():
        vars(module).setdefault(key, value)


def submodules_used(func: Callable[..., Any], limit: int = 200) -> list[str]:
    """Submodules loaded here of the modules ``func`` (and the functions it names) reaches
    as globals: ``urllib.error`` when the code says ``urllib.error.HTTPError``.

    cloudpickle sends a module global by name, and the worker's ``import urllib`` does not
    load ``urllib.error``: the kernel's setup cell did (``import urllib.error``), so the
    same function worked in the notebook and raised AttributeError in the worker.
    """
    seen: set[int] = set()
    modules: set[str] = set()
    used: set[str] = set()  # every name the code reads: globals and attributes
    todo = [getattr(func, "py_func", func)]
    while todo and len(seen) < limit:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, functools.partial):  # a course driver bound to learner functions
            todo += [item.func, *item.args, *item.keywords.values()]
            continue
        globals_ = getattr(item, "__globals__", {})
        names = _code_names(getattr(item, "__code__", None))
        used |= names
        cells = [c.cell_contents for c in getattr(item, "__closure__", None) or ()
                 if _has_contents(c)]
        for value in [globals_.get(name) for name in names] + cells:
            if isinstance(value, types.ModuleType):
                modules.add(value.__name__)
            elif isinstance(value, types.FunctionType):
                todo.append(value)
    # pkg.sub (and pkg.sub.deeper) when the code reads an attribute called sub
    found: set[str] = set()
    for name in list(sys.modules):
        head, _, rest = name.partition(".")
        parts = rest.split(".") if rest else []
        if head in modules and parts and all(p in used for p in parts):
            found.add(name)
    return sorted(found)[:limit]


def _has_contents(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises ValueError
    except ValueError:
        return False
    return True


def _code_names(code: Any) -> set[str]:
    """Global names a code object and the code nested in it use."""
    if not isinstance(code, types.CodeType):
        return set()
    names = set(code.co_names)
    for const in code.co_consts:
        names |= _code_names(const)
    return names


def _by_value_modules(func: Callable[..., Any]) -> list[Any]:
    target = getattr(func, "py_func", func)
    module = sys.modules.get(getattr(target, "__module__", None) or "")
    if module is None or module.__name__ == "__main__":
        return []  # cloudpickle already pickles __main__ by value
    if module.__name__.startswith(_NOTEBOOK_MODULE):
        return [module]  # notebook cells run here: no worker can import that module
    file = getattr(module, "__file__", None)
    if not file:
        return []
    resolved = str(Path(file).resolve())
    installed = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib",
                                                        "platlib")}
    if any(resolved.startswith(str(Path(p).resolve()) + os.sep) for p in installed):
        return []
    return [module]
