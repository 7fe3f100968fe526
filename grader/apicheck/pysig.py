"""Does a call fit the *installed* function? ``inspect.signature(...).bind`` plus one step more:
following ``**kwargs`` to where the function hands them on.

``requests.get(url, **kwargs)`` takes any keyword by its signature, yet ``requests.get(url,
timout=5)`` fails inside ``Session.request``; ``json.loads(s, **kw)`` hands ``kw`` to
``JSONDecoder`` and so rejects ``encoding=``. Reading the function's source (ast) for the calls
that receive its ``**kwargs``, and their signatures, tells which keywords really work. Whenever
a step cannot be known for sure (C code, ``kwargs`` used some other way, a callee we cannot
resolve) the answer is None, "cannot confirm": never a guess.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Sequence
from dataclasses import dataclass

from grader.apicheck.pyresolve import (
    Context,
    Target,
    callees,
    function_ast,
    parents_of,
    signature_of,
)

_P = inspect.Parameter
_KEYWORDABLE = (_P.POSITIONAL_OR_KEYWORD, _P.KEYWORD_ONLY)
_DEPTH = 4      # requests.get -> request -> Session.request is 2 hops; more is rarely sound
# Methods of the kwargs dict that read or add keys without sending any elsewhere.
_HARMLESS = frozenset({"get", "setdefault", "update", "keys", "__contains__"})


@dataclass(frozen=True)
class CallCheck:
    """The verdict on one call: ``fits`` False = raises TypeError at runtime, None = unknown."""

    fits: bool | None
    problem: str = ""                   # "got an unexpected keyword 'timout'", bind's message
    bad_keywords: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()    # the names it takes ("**kwargs" when open-ended)


def check_call(callee: object, n_positional: int, keywords: Sequence[str]) -> CallCheck:
    """Would ``callee(*n_positional args, **keywords)`` raise TypeError from its arguments?

    Bad input: a negative ``n_positional`` raises ValueError; a callee without a Python
    signature (C code, not callable) gives ``fits=None``.
    """
    if n_positional < 0:
        raise ValueError(f"n_positional must be >= 0, got {n_positional}")
    sig = signature_of(callee)
    if sig is None:
        return CallCheck(None)
    params = list(sig.parameters.values())
    named = [p.name for p in params if p.kind in _KEYWORDABLE]
    var_kw = next((p.name for p in params if p.kind is _P.VAR_KEYWORD), None)
    direct = [k for k in keywords if k in named]
    extra = [k for k in keywords if k not in named]
    try:
        sig.bind(*([None] * n_positional), **dict.fromkeys(direct))
        bind_error = ""
    except TypeError as exc:
        bind_error = str(exc)
    forwarded: tuple[str, ...] | None = ()
    if var_kw is not None:
        given = _bound_names(sig, n_positional, direct)
        forwarded = _forwarded(Target(callee), given, _DEPTH)
    if forwarded is None:
        parameters = (*named, f"**{var_kw}")
    else:
        parameters = tuple(dict.fromkeys([*named, *forwarded]))
    bad = tuple(k for k in extra if k not in parameters) if forwarded is not None else ()
    if bad:
        return CallCheck(False, f"got an unexpected keyword '{bad[0]}'", bad, parameters)
    if bind_error:
        return CallCheck(False, bind_error, (), parameters)
    return CallCheck(None if extra and forwarded is None else True, "", (), parameters)


def forwarded_keywords(func: object) -> tuple[str, ...] | None:
    """The keywords that ``func``'s ``**kwargs`` accept without TypeError (None: unknowable,
    including a function without ``**kwargs``)."""
    return _forwarded(Target(func), frozenset(), _DEPTH)


# ---- internals ------------------------------------------------------------------------------


def _bound_names(sig: inspect.Signature, n_positional: int,
                 keywords: Sequence[str]) -> frozenset[str]:
    try:
        bound = sig.bind_partial(*([None] * n_positional), **dict.fromkeys(keywords))
    except TypeError:
        return frozenset(keywords)
    return frozenset(k for k in bound.arguments if sig.parameters[k].kind in _KEYWORDABLE)


def _forwarded(target: Target, given: frozenset[str], depth: int) -> tuple[str, ...] | None:
    """Keywords the ``**kwargs`` of ``target`` take: those of every call it forwards them to
    (minus the ones that call already passes), plus keys it pops."""
    fn, owner = _python_function(target)
    tree = function_ast(fn) if fn is not None else None
    if depth <= 0 or tree is None or tree.args.kwarg is None:
        return None
    ctx = Context(fn, tree, owner, given, parents_of(tree))
    uses = _kwargs_uses(ctx, tree.args.kwarg.arg)
    if uses is None or not uses[0]:
        return None         # swallowed or used some other way: an unknown key may not fail
    calls, names = uses
    for call in calls:
        targets = callees(call.func, ctx)
        if targets is None or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        explicit = [k.arg for k in call.keywords if k.arg is not None]
        for callee in targets:
            taken = _taken(callee, len(call.args), explicit, depth - 1)
            if taken is None:
                return None
            names += taken
    return tuple(dict.fromkeys(names))


def _taken(target: Target, n_positional: int, explicit: list[str], depth: int) -> list[str] | None:
    sig = signature_of(target.obj, target.drop_self)
    if sig is None:
        return None
    bound = _bound_names(sig, n_positional, explicit)
    names = [p.name for p in sig.parameters.values() if p.kind in _KEYWORDABLE
             and p.name not in bound]
    if any(p.kind is _P.VAR_KEYWORD for p in sig.parameters.values()):
        more = _forwarded(target, bound, depth)
        if more is None:
            return None
        names += [n for n in more if n not in bound]
    return names


def _python_function(target: Target) -> tuple[object | None, type | None]:
    obj = target.obj
    if isinstance(obj, type):
        init = inspect.getattr_static(obj, "__init__", None)
        return (init, obj) if inspect.isfunction(init) else (None, None)
    if inspect.ismethod(obj):
        this = obj.__self__
        owner = this if isinstance(this, type) else type(this)
        return _python_function(Target(obj.__func__, owner))
    fn = inspect.unwrap(obj) if callable(obj) else None
    return (fn, target.owner) if inspect.isfunction(fn) else (None, None)


def _kwargs_uses(ctx: Context, name: str) -> tuple[list[ast.Call], list[str]] | None:
    """The calls that receive ``**name`` and the keys popped from it; None when ``name`` is
    used in a way that could let an unknown key through (iterated, passed on as a dict...)."""
    calls: list[ast.Call] = []
    popped: list[str] = []
    for node in ast.walk(ctx.tree):
        if not (isinstance(node, ast.Name) and node.id == name):
            continue
        parent = ctx.parents.get(node)
        grand = ctx.parents.get(parent) if parent is not None else None
        if isinstance(parent, ast.keyword) and parent.arg is None and isinstance(grand, ast.Call):
            calls.append(grand)
        elif isinstance(parent, ast.Attribute) and parent.attr == "pop":
            key = grand.args[0] if isinstance(grand, ast.Call) and grand.args else None
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                return None
            popped.append(key.value)
        elif isinstance(parent, ast.Attribute) and parent.attr in _HARMLESS:
            continue
        elif isinstance(parent, ast.Subscript):
            key = parent.slice
            if isinstance(parent.ctx, ast.Del):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    return None
                popped.append(key.value)
        elif not isinstance(parent, ast.UnaryOp | ast.BoolOp | ast.Compare | ast.If | ast.IfExp):
            return None
    return calls, popped
