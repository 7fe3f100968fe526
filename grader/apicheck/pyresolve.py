"""Where does a function send its ``**kwargs``? What the callee expression of a call inside
an installed function's source can be, found from the function's own ast and globals: a
module-level function (``request``), a class (``JSONDecoder`` assigned to the ``cls``
parameter), a method of an instance (``with sessions.Session() as session: session.request``),
``super().__init__``. Used by pysig.py; anything not followed gives None ("cannot know").
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import textwrap
from dataclasses import dataclass
from types import ModuleType

_P = inspect.Parameter


@dataclass(frozen=True)
class Target:
    """Something that may be called, with what is needed to read its signature."""

    obj: object
    owner: type | None = None       # the class of `self` inside it
    drop_self: bool = False         # a method looked up on an instance: `self` is bound


@dataclass(frozen=True)
class Instance:
    cls: type


@dataclass(frozen=True)
class Super:
    after: type                     # super() inside a method defined on this class


@dataclass
class Context:
    """The function being read: its object, ast, class of `self`, and what its caller passed."""

    fn: object
    tree: ast.FunctionDef | ast.AsyncFunctionDef
    owner: type | None
    given: frozenset[str]           # parameters the caller passed: their defaults do not apply
    parents: dict[ast.AST, ast.AST]


def signature_of(obj: object, drop_self: bool = False) -> inspect.Signature | None:
    """``inspect.signature(obj)``, without its first parameter when ``drop_self``; None for
    what has none (not callable, C code without a text signature)."""
    if not callable(obj):
        return None
    try:
        sig = inspect.signature(obj)
    except (ValueError, TypeError):
        return None
    if drop_self:
        params = list(sig.parameters.values())
        if not params or params[0].kind not in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD):
            return None
        sig = sig.replace(parameters=params[1:])
    return sig


@functools.lru_cache(maxsize=256)
def function_ast(fn: object) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The ast of a Python function's own source; None for anything else or no source."""
    if not inspect.isfunction(fn):
        return None
    try:
        module = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    node = module.body[0] if module.body else None
    return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None


def parents_of(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Each node of ``tree`` -> the node that holds it."""
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def callees(expr: ast.expr, ctx: Context) -> list[Target] | None:
    """Every callable the callee ``expr`` of a call in ``ctx``'s function can be; None when
    one possibility is unknown (then no keyword can be said to fail)."""
    values = _values(expr, ctx, 4)
    if not values:
        return None
    targets = []
    for value in values:
        if isinstance(value, Target):
            targets.append(value)
        elif callable(value) and not isinstance(value, Instance | Super):
            targets.append(Target(value))
        else:
            return None
    return targets


def _values(expr: ast.expr, ctx: Context, depth: int) -> list[object] | None:
    """What ``expr`` inside the function can be: runtime objects, `Instance`s of a class,
    `Target`s (methods); None when any possibility is unknown."""
    if depth < 0:
        return None
    if isinstance(expr, ast.Name):
        return _name_values(expr.id, ctx, depth)
    if isinstance(expr, ast.Attribute):
        bases = _values(expr.value, ctx, depth - 1)
        found = [_attribute(b, expr.attr, ctx) for b in bases or ()]
        return None if not found or None in found else [v for f in found for v in f or ()]
    if isinstance(expr, ast.Call) and not expr.args and not expr.keywords and isinstance(
            expr.func, ast.Name) and expr.func.id == "super" and ctx.owner is not None:
        defining = _defining_class(ctx.owner, ctx.fn)
        return [Super(defining)] if defining is not None else None
    if isinstance(expr, ast.Call):
        funcs = _values(expr.func, ctx, depth - 1)
        if not funcs or not all(isinstance(f, type) for f in funcs):
            return None     # only `Class(...)` has a known result: an instance of it
        return [Instance(f) for f in funcs if isinstance(f, type)]
    return None


def _name_values(name: str, ctx: Context, depth: int) -> list[object] | None:
    args = ctx.tree.args
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if params[:1] == [name] and name == "self" and ctx.owner is not None:
        return [Instance(ctx.owner)]
    assigned = _assignments(name, ctx)
    if assigned is None:
        return None
    values: list[object] = []
    if name in params:
        if name in ctx.given:
            return None         # the caller chose it: its default says nothing
        sig = signature_of(ctx.fn)
        default = sig.parameters[name].default if sig and name in sig.parameters else None
        if default not in (None, _P.empty):
            values.append(default)
    elif not assigned:
        glob = getattr(ctx.fn, "__globals__", {})
        if name in glob:
            return [glob[name]]
        return [getattr(builtins, name)] if hasattr(builtins, name) else None
    for value_expr, via_with in assigned:
        sub = _values(value_expr, ctx, depth - 1)
        if sub is None or (via_with and not all(
                isinstance(v, Instance) and _enter_returns_self(v.cls) for v in sub)):
            return None
        values += sub
    return values or None


def _assignments(name: str, ctx: Context) -> list[tuple[ast.expr, bool]] | None:
    """The values bound to local ``name`` (``x = v``, ``with v as x``); None when it is bound
    some way we do not follow (loop, unpacking, walrus...)."""
    found: list[tuple[ast.expr, bool]] = []
    for node in ast.walk(ctx.tree):
        if not (isinstance(node, ast.Name) and node.id == name
                and isinstance(node.ctx, ast.Store)):
            continue
        parent = ctx.parents.get(node)
        if isinstance(parent, ast.Assign) and parent.targets == [node]:
            found.append((parent.value, False))
        elif isinstance(parent, ast.AnnAssign) and parent.value is not None:
            found.append((parent.value, False))
        elif isinstance(parent, ast.withitem):
            found.append((parent.context_expr, True))
        else:
            return None
    return found


def _attribute(base: object, attr: str, ctx: Context) -> list[object] | None:
    if isinstance(base, ModuleType | type):
        try:
            value = getattr(base, attr)
        except Exception:
            return None
        return [value]
    classes = [base.cls] if isinstance(base, Instance) else (
        list(base.after.__mro__[1:]) if isinstance(base, Super) else [])
    for klass in classes:
        static = (vars(klass).get(attr) if isinstance(base, Super)
                  else inspect.getattr_static(klass, attr, None))
        if static is None:
            continue
        owner = ctx.owner if isinstance(base, Super) else klass
        if isinstance(static, staticmethod):
            return [Target(static.__func__, owner)]
        if isinstance(static, classmethod):
            return [Target(static.__func__, owner, drop_self=True)]
        return [Target(static, owner, drop_self=True)] if inspect.isfunction(static) else None
    return None


def _defining_class(owner: type, fn: object) -> type | None:
    for klass in owner.__mro__:
        for value in vars(klass).values():
            if value is fn or getattr(value, "__func__", None) is fn:
                return klass
    return None


def _enter_returns_self(cls: type) -> bool:
    """``with cls() as x`` binds the instance itself: its ``__enter__`` returns ``self``."""
    enter = inspect.getattr_static(cls, "__enter__", None)
    tree = function_ast(enter) if inspect.isfunction(enter) else None
    if tree is None or not tree.args.args:
        return False
    me = tree.args.args[0].arg
    returns = [n for n in ast.walk(tree) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(r.value, ast.Name) and r.value.id == me
                                 for r in returns)
