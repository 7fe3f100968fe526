"""Constant expressions of a learner's kernel cells, evaluated in the trusted process.

`evaluate` folds literals, containers and arithmetic on numbers into a value, refusing with
KernelSourceError what is not constant or could fail or exhaust the process (huge integers,
division by zero, float overflow); `literal` writes a value back as source. Hand-written
rather than ``ast.literal_eval``: that takes no names, no ``frozenset(...)`` and no ``*``.
"""

from __future__ import annotations

import ast
import builtins
import math
import operator
from collections.abc import Container, Mapping
from typing import Any


class KernelSourceError(ValueError):
    """The kernel cannot be compiled alone; the message says which statement and why."""


_CONSTANT_CALLS = {"frozenset", "set", "tuple", "list", "dict", "int", "float", "bool",
                   "str", "complex"}


def evaluate(node: ast.expr, known: Mapping[str, Any], shadowed: Container[str]) -> Any:
    """The value of a constant expression: literals, containers, the ``known`` constants, and
    frozenset(...)/tuple(...)... of those (unless the builtin's name is ``shadowed``).
    KernelSourceError for anything else, unhashable keys and 10,000-term sums included."""
    try:
        return _evaluate(node, known, shadowed)
    except (TypeError, RecursionError) as exc:
        raise KernelSourceError(f"not a constant ({type(exc).__name__}: {exc})") from None


def _evaluate(node: ast.expr, known: Mapping[str, Any], shadowed: Container[str]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in known:
        return known[node.id]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [_evaluate(e, known, shadowed) for e in node.elts]
        return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_evaluate(k, known, shadowed): _evaluate(v, known, shadowed)  # type: ignore[arg-type]
                for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, known, shadowed)
        if isinstance(value, int | float | complex) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult
                                                  | ast.Div | ast.FloorDiv | ast.Pow):
        left, right = _evaluate(node.left, known, shadowed), _evaluate(node.right, known, shadowed)
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
            return _arithmetic(node.op, left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in _CONSTANT_CALLS and node.func.id not in shadowed and \
            not node.keywords and len(node.args) <= 1:
        args = [_evaluate(a, known, shadowed) for a in node.args]
        try:  # int("x"), dict(5), int() of a 5000-digit string: the learner's error, not ours
            return getattr(builtins, node.func.id)(*args)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise KernelSourceError(f"not a constant: {ast.unparse(node)} ({exc})") from None
    raise KernelSourceError(f"not a constant: {ast.unparse(node)}")


# This runs in the trusted process on the learner's text: integer constants stay small
# enough that neither computing nor printing them can exhaust time or memory.
_MAX_CONSTANT_BITS = 1024


def _arithmetic(op: ast.operator, left: int | float, right: int | float) -> int | float:
    """``left op right`` for the numbers of a constant expression, refused (KernelSourceError)
    when it fails (division by zero, float overflow) or its result would be an integer
    beyond _MAX_CONSTANT_BITS; the size is checked before anything is computed."""
    if isinstance(left, int) and isinstance(right, int):
        bits = max(left.bit_length(), right.bit_length())
        if isinstance(op, ast.Mult):
            bits = left.bit_length() + right.bit_length()
        elif isinstance(op, ast.Pow) and right > 0:
            bits = left.bit_length() * right
        if bits > _MAX_CONSTANT_BITS:
            raise KernelSourceError("integer constant too large")
    if isinstance(op, ast.Pow) and abs(right) > _MAX_CONSTANT_BITS:
        raise KernelSourceError("exponent too large for a constant")
    operations = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
                  ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv,
                  ast.Pow: operator.pow}
    try:
        value = operations[type(op)](left, right)
    except (ArithmeticError, ValueError) as exc:
        raise KernelSourceError(f"constant expression fails: {exc}") from None
    if isinstance(value, complex):  # a negative number to a fractional power
        raise KernelSourceError("constant expression is not real")
    return value


def literal(value: Any) -> str:
    """Source text that evaluates to the constant ``value`` (non-finite floats too)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, set | frozenset):
        inner = ", ".join(sorted(literal(v) for v in value))
        text = "{" + inner + "}" if value else "set()"
        return f"frozenset({text})" if isinstance(value, frozenset) else text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)
