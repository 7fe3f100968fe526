"""Runtime side of the Python checker: ask the *installed* modules, imported in this process.

Type stubs can lag the code they describe (typeshed has no ``re.Scanner``, numpy's stubs no
``numpy.random.get_bit_generator``), so every finding of basedpyright is confirmed here before
a learner reads it. Safety first: a module is imported only when it, and every package above
it, comes from the standard library or site-packages (`safe_import`); nothing from the current
folder or the code's folder is ever imported, since that would run the learner's code.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import functools
import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import pkgutil
import platform
import site
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType

# Importing these has effects beyond defining names (a browser opens, a poem is printed).
_NEVER_IMPORT = frozenset({"antigravity", "this", "__hello__", "__phello__"})


@functools.lru_cache(maxsize=1)
def _trusted_roots() -> tuple[str, ...]:
    """The standard library and site-packages folders (resolved), where installed code lives."""
    paths = sysconfig.get_paths()
    roots = [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths]
    # Distributions that put site-packages elsewhere (Debian's dist-packages) name it here.
    roots += [*getattr(site, "getsitepackages", list)()]
    return tuple(dict.fromkeys(os.path.realpath(r) for r in roots if r))


@functools.lru_cache(maxsize=4096)
def _inside_roots(path: str) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root + os.sep) for root in _trusted_roots())


def _trusted(spec: object) -> bool:
    """True when the module of ``spec`` is built in or lies inside the trusted roots."""
    origin = getattr(spec, "origin", None)
    if origin in ("built-in", "frozen"):
        return True
    places = [origin] if isinstance(origin, str) else []
    places += [str(p) for p in (getattr(spec, "submodule_search_locations", None) or [])]
    return bool(places) and all(_inside_roots(p) for p in places)


def safe_import(name: str) -> ModuleType | None:
    """The installed module ``name``, imported here only if it and each package above it come
    from the standard library or site-packages. None, never an exception, for anything else:
    not a dotted name, not installed, found only in the current folder, or failing to import.
    """
    if not isinstance(name, str) or not all(p.isidentifier() for p in name.split(".")):
        return None
    parts = name.split(".")
    if parts[0] in _NEVER_IMPORT:
        return None
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        loaded = sys.modules.get(prefix)
        if loaded is not None:
            if not _trusted(getattr(loaded, "__spec__", None)):
                return None
            continue
        try:    # find_spec of a top-level name only looks; a parent was imported (trusted) above
            spec = importlib.util.find_spec(prefix)
        except (ImportError, ValueError):
            return None
        if spec is None or not _trusted(spec):
            return None
        try:
            importlib.import_module(prefix)
        except (Exception, SystemExit):  # a broken install: "cannot confirm", not a crash
            return None
    module = sys.modules.get(name)
    return module if isinstance(module, ModuleType) else None


def resolve_dotted(path: str) -> object | None:
    """The object at ``path`` ("numpy.linalg.norm", "json.JSONDecoder"), walking attributes of
    modules and classes only (never properties of arbitrary objects); submodules are imported
    through `safe_import`. None when any step is missing or untrusted."""
    parts = path.split(".") if isinstance(path, str) else []
    obj: object | None = safe_import(parts[0]) if parts else None
    for part in parts[1:]:
        if obj is None or not isinstance(obj, ModuleType | type):
            return None
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = safe_import(f"{obj.__name__}.{part}") if isinstance(obj, ModuleType) else None
        except Exception:   # a module __getattr__ that fails differently: cannot tell
            return None
    return obj


@dataclass(frozen=True)
class Lookup:
    """Whether the installed ``owner`` has a name: True / False / None (cannot tell)."""

    present: bool | None
    hint: str = ""          # the library's own words when it explains (numpy's removed names)


def lookup(owner: object, name: str) -> Lookup:
    """Does the installed ``owner`` (a module or a class) have ``name``? For a class this
    includes instance attributes its methods assign (``self.status_code = ...``); a class with
    its own ``__getattr__`` or that sets attributes by computed name gives None. Any other
    ``owner`` gives None."""
    if isinstance(owner, ModuleType):
        return _module_lookup(owner, name)
    if isinstance(owner, type):
        if hasattr(owner, name):
            return Lookup(True)
        names, dynamic = instance_attributes(owner)
        if name in names:
            return Lookup(True)
        custom_getattr = any("__getattr__" in vars(k) for k in owner.__mro__[:-1])
        return Lookup(None if dynamic or custom_getattr else False)
    return Lookup(None)


def _module_lookup(module: ModuleType, name: str) -> Lookup:
    try:
        value = getattr(module, name)
    except AttributeError as exc:
        standard = f"module '{module.__name__}' has no attribute '{name}'"
        hint = str(exc) if str(exc) and str(exc) != standard else ""
        return Lookup(False, hint)
    except Exception:
        return Lookup(None)
    sub = f"{module.__name__}.{name}"
    if isinstance(value, ModuleType) and value.__name__ == sub:
        # A submodule is an attribute only once something imported it: in this process many
        # things did, so ask a fresh, isolated interpreter whether `import pkg` alone is enough.
        return Lookup(_fresh_has_attribute(module.__name__, name),
                      f"'{name}' is a submodule: it needs `import {sub}`")
    return Lookup(True)


def _fresh_has_attribute(module: str, name: str) -> bool | None:
    code = f"import {module} as m; print(hasattr(m, {name!r}))"
    try:    # -I: no current folder, no user site, no PYTHON* variables; run from an empty folder
        with tempfile.TemporaryDirectory() as empty:
            out = subprocess.run([sys.executable, "-I", "-c", code], cwd=empty, timeout=30,
                                 capture_output=True, text=True, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"True": True, "False": False}.get(out)


@functools.lru_cache(maxsize=512)
def instance_attributes(cls: type) -> tuple[frozenset[str], bool]:
    """Names that instances of ``cls`` get in its methods (``self.x = ...``, annotations) over
    its Python bases, and whether some are set by computed name (``setattr(self, k, v)``
    outside ``__setstate__``, which only restores what pickling saved)."""
    names: set[str] = set()
    dynamic = False
    for klass in cls.__mro__:
        if klass.__module__ == "builtins":
            continue
        if "__annotations__" in vars(klass):
            names.update(vars(klass)["__annotations__"])
        tree = _class_ast(klass)
        for func in ast.walk(tree) if tree else ():
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                found, computed = _self_assignments(func)
                names |= found
                dynamic = dynamic or (computed and func.name != "__setstate__")
    return frozenset(names), dynamic


def _self_assignments(func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[set[str], bool]:
    names: set[str] = set()
    computed = False
    for node in ast.walk(func):
        targets = [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else (
            node.targets if isinstance(node, ast.Assign) else [])
        names.update(t.attr for t in targets if isinstance(t, ast.Attribute)
                     and isinstance(t.value, ast.Name) and t.value.id == "self")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "setattr" and len(node.args) >= 2):
            key = node.args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
            else:
                computed = True
    return names, computed


def _class_ast(klass: type) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(klass)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None     # a class written in C: its attributes are descriptors, seen by hasattr


def find_classes(name: str, packages: Iterable[str]) -> list[type]:
    """The classes called ``name`` (or aliases of a class, such as numpy's ``NDArray``) in the
    builtins and in the loaded modules of ``packages`` (top-level names, imported safely);
    when those have none, in every loaded trusted module. [] when there is none."""
    found: list[type] = []
    if isinstance(getattr(builtins, name, None), type):
        return [getattr(builtins, name)]
    tops = [p for p in dict.fromkeys(packages) if safe_import(p) is not None]
    for scope in (tops, None):
        for modname, module in list(sys.modules.items()):
            inside = scope is None or any(modname == t or modname.startswith(t + ".")
                                          for t in scope)
            if inside and (scope is not None or _trusted(getattr(module, "__spec__", None))):
                _add_class(found, getattr(module, "__dict__", {}).get(name))
        if found:
            break
    return found


def _add_class(found: list[type], obj: object) -> None:
    try:
        cls = obj if isinstance(obj, type) else getattr(obj, "__origin__", None)
    except Exception:   # an exotic lazy object: not a class we can use
        return
    if isinstance(cls, type) and cls not in found:
        found.append(cls)


def public_path(obj: type | ModuleType) -> str:
    """How a learner names it: "requests.Response" (not requests.models.Response), "str",
    "numpy.linalg"."""
    if isinstance(obj, ModuleType):
        return obj.__name__
    module = obj.__module__
    if module == "builtins":
        return obj.__qualname__
    top = module.split(".")[0]
    if getattr(sys.modules.get(top), obj.__name__, None) is obj:
        return f"{top}.{obj.__qualname__}"
    return f"{module}.{obj.__qualname__}"


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def library_of(obj: object) -> tuple[str, str]:
    """("numpy", "2.4.6") for what ``obj`` (a module, class or function) belongs to;
    ("Python", "3.11.9") for the standard library; ("", "") when unknown."""
    module = obj.__name__ if isinstance(obj, ModuleType) else getattr(obj, "__module__", None)
    if not isinstance(module, str) or not module:
        return "", ""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return "Python", platform.python_version()
    for dist in _distributions().get(top, []):
        try:
            return dist, importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "", ""


def member_names(owner: object) -> list[str]:
    """Every name ``owner`` has: dir() plus, for a class, its instances' attributes."""
    try:
        names = set(dir(owner))
    except Exception:
        return []
    if isinstance(owner, type):
        names |= instance_attributes(owner)[0]
    return sorted(names)


def close_names(name: str, candidates: Iterable[str]) -> tuple[str, ...]:
    """Up to three of ``candidates`` closest to ``name``, best first; public names only (unless
    ``name`` is itself private). difflib at 0.6 ('timeout' for 'timout', 'trapezoid' for
    'trapz'), plus names that ``name`` extends at a word break ('json' for 'json_or_raise',
    ratio 0.47: a cutoff that low would also offer 'proxies' for 'retries')."""
    pool = sorted({c for c in candidates if isinstance(c, str)
                   and (not c.startswith("_") or (name.startswith("_") and c[:2] != "__"))})
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.6)
    stems = [c for c in pool if len(c) >= 3 and c != name
             and (name.startswith(c + "_") or c.startswith(name + "_"))]
    return tuple(dict.fromkeys([*close, *stems]))[:3]


def spec_exists(name: str) -> bool:
    """Whether a top-level module ``name`` can be found at all (anywhere, current folder
    included); only looks, never imports."""
    try:
        return "." not in name and importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def submodule_names(module: ModuleType) -> list[str]:
    """The submodules a package has on disk, and the names it has."""
    names = member_names(module)
    try:
        names += [m.name for m in pkgutil.iter_modules(getattr(module, "__path__", []))]
    except Exception:   # an exotic __path__: the names above are enough for suggestions
        pass
    return names


def plain_python(callee: object) -> bool:
    """Whether ``inspect.signature`` of ``callee`` is the truth: a Python function (through
    decorators that keep ``__wrapped__``), a method of one, or a class whose construction is
    its Python ``__init__`` (no custom ``__new__`` or metaclass ``__call__``)."""
    try:
        if isinstance(callee, type):
            init = inspect.getattr_static(callee, "__init__", None)
            return (type(callee).__call__ is type.__call__ and callee.__new__ is object.__new__
                    and inspect.isfunction(init))
        if inspect.ismethod(callee):
            return inspect.isfunction(callee.__func__)
        return callable(callee) and inspect.isfunction(inspect.unwrap(callee))
    except Exception:   # unwrap loops, odd descriptors: not plain
        return False
