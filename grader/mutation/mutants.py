"""Mutants of a trusted module: the same source with one small, plausible change each.

    for m in generate(source, ["order_total"]):
        print(m.id, m.description)      # order_total:14:boundary  line 14: `>=` became `>`
        exec(compile(m.source, "pricing.py", "exec"), namespace)

The changes are the silent bugs of chapter 03, one per mutant: a boundary swap (``<`` and
``<=``), an off-by-one in a constant (``18`` to ``17`` or ``19``, ``Decimal("50.00")`` to a
cent either side), swapped operands, an arithmetic operator replaced, a sign flipped, ``and``
and ``or`` exchanged, a negation dropped, a branch dropped (its test made ``False``), a
rounding mode replaced, a NumPy ``axis=`` changed, ``min`` and ``max`` exchanged, a boolean
return inverted.

Why hand-written and not mutmut: mutmut 3 is a command-line tool that mutates a project on
disk and runs its whole pytest suite per mutant, with its own process and state model. Here
the mutants are of one trusted module, the tests are a learner's notebook cell, and every
run must happen in a fresh sandbox that cannot tell a mutant from the original
(grader/mutation/engine.py): what is needed from a mutation tool is only the list of
mutants, which this module makes from Python's own ``ast`` in ~200 lines.

Each mutant edits the source *text* at the changed expression's span (``ast`` positions),
so the rest of the module, comments included, stays as the learner read it, and the diff
shows exactly one changed line. Code inside ``raise`` statements, docstrings and f-strings is
never mutated: a changed error message is not a bug a test should have to catch.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import decimal
import difflib
from collections.abc import Iterator
from dataclasses import dataclass

ROUNDING_MODES = ("ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_HALF_DOWN", "ROUND_UP",
                  "ROUND_DOWN", "ROUND_CEILING", "ROUND_FLOOR", "ROUND_05UP")
_BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_NEGATED = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
            ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
               ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}
_NOT_COMMUTATIVE = (ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is",
            ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
            ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**", ast.And: "and", ast.Or: "or"}


@dataclass(frozen=True)
class Mutant:
    """One change to the module: ``source`` is the whole mutated module."""

    id: str  # "<function>:<line>:<col>:<operator>[:n]", stable while the source is
    function: str
    operator: str  # boundary, off-by-one, swap-operands, arithmetic, sign, logic, ...
    line: int
    description: str  # "line 14: `total >= limit` became `total > limit`"
    source: str
    diff: str  # unified diff of the module, one hunk
    hidden: bool = False


def generate(source: str, functions: list[str] | tuple[str, ...]) -> list[Mutant]:
    """Every mutant of the named top-level functions of ``source``, in source order.

    ValueError when the source does not parse, a function is missing, or a mutant would not
    compile (a bug here, never silently skipped)."""
    tree = _parse(source)
    found = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    missing = [f for f in functions if f not in found]
    if missing:
        raise ValueError(f"the module defines no top-level function {', '.join(missing)}")
    lines = source.splitlines(keepends=True)
    out: list[Mutant] = []
    seen: set[str] = set()
    counts: dict[str, int] = {}
    for name in functions:
        parents = {child: node for node in ast.walk(found[name])
                   for child in ast.iter_child_nodes(node)}
        for node, new, operator in _changes(found[name], parents):
            text = _replace(lines, node, new, parents.get(node))
            if text == source or text in seen:
                continue  # a change that changes nothing, or one already made
            seen.add(text)
            _parse(text)  # must still compile: a broken mutant would be "killed" by anything
            old_code, new_code = ast.get_source_segment(source, node), _unparsed(new)
            ident = f"{name}:{node.lineno}:{node.col_offset}:{operator}"
            counts[ident] = count = counts.get(ident, 0) + 1
            out.append(Mutant(
                id=ident if count == 1 else f"{ident}:{count}", function=name,
                operator=operator, line=node.lineno,
                description=f"line {node.lineno}: `{old_code}` became `{new_code}`",
                source=text, diff=unified_diff(source, text)))
    return out


def from_replacement(source: str, function: str, old: str, new: str, *, description: str,
                     operator: str = "hand-written", hidden: bool = True) -> Mutant:
    """A mutant made by hand: the text ``old``, which must occur exactly once in
    ``function``, replaced by ``new`` (a change no single-node operator makes, like the tax
    charged before the coupon). ValueError naming what does not fit."""
    tree = _parse(source)
    target = next((n for n in tree.body if isinstance(n, ast.FunctionDef)
                   and n.name == function), None)
    if target is None or target.end_lineno is None:
        raise ValueError(f"the module defines no top-level function {function}")
    lines = source.splitlines(keepends=True)
    before, body = "".join(lines[:target.lineno - 1]), "".join(lines[target.lineno - 1:
                                                                      target.end_lineno])
    if body.count(old) != 1:
        raise ValueError(f"{description!r}: its text occurs {body.count(old)} times in "
                         f"{function}, not once")
    text = before + body.replace(old, new) + "".join(lines[target.end_lineno:])
    _parse(text)
    slug = "-".join(description.lower().split())[:40]
    return Mutant(id=f"{function}:hidden:{slug}", function=function, operator=operator,
                  line=target.lineno, description=description, source=text,
                  diff=unified_diff(source, text), hidden=hidden)


def unified_diff(before: str, after: str, name: str = "module") -> str:
    """The change as a unified diff with one line of context."""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        f"{name} (correct)", f"{name} (mutant)", n=1))


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"not valid Python: line {exc.lineno}: {exc.msg}") from None


def _unparsed(node: ast.AST) -> str:
    return ast.unparse(node)


def _changes(func: ast.FunctionDef | ast.AsyncFunctionDef, parents: dict[ast.AST, ast.AST]
             ) -> Iterator[tuple[ast.AST, ast.AST, str]]:
    """(original expression, its replacement, operator name) for each mutation point of
    ``func``'s body, in source order, outside raise statements, asserts, the docstring,
    f-strings and annotations."""
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Raise | ast.JoinedStr | ast.Assert):
            continue
        if isinstance(node, ast.If):  # a branch dropped: its test made False
            yield node.test, ast.Constant(False), "dropped-branch"
        if isinstance(node, ast.AugAssign) and type(node.op) in _ARITHMETIC:  # `+=` -> `-=`
            yield node, ast.AugAssign(node.target, _ARITHMETIC[type(node.op)](),  # type: ignore[arg-type]
                                      node.value), "arithmetic"
        if isinstance(node, ast.expr) and not _is_precision(node, parents.get(node)):
            step = _outward(node, parents.get(node))
            yield from (c for c in _node_changes(node)
                        if c[2] != "off-by-one" or step is None or _moved(c, step))
        children = [c for c in ast.iter_child_nodes(node)
                    if not (isinstance(node, ast.AnnAssign) and c is node.annotation)]
        stack.extend(reversed(children))


def _node_changes(node: ast.expr) -> Iterator[tuple[ast.expr, ast.expr, str]]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for table, name in ((_BOUNDARY, "boundary"), (_NEGATED, "negation")):
                if type(op) in table:
                    new = copy.deepcopy(node)
                    new.ops[i] = table[type(op)]()
                    yield node, new, name
    elif isinstance(node, ast.BinOp):
        if type(node.op) in _ARITHMETIC:
            yield node, ast.BinOp(node.left, _ARITHMETIC[type(node.op)](), node.right), \
                "arithmetic"
        if isinstance(node.op, _NOT_COMMUTATIVE):
            yield node, ast.BinOp(node.right, node.op, node.left), "swap-operands"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.Not):
        yield node, node.operand, "sign" if isinstance(node.op, ast.USub) else "negation"
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield node, ast.BoolOp(other, node.values), "logic"
    elif isinstance(node, ast.Constant):
        yield from _constant_changes(node)
    elif isinstance(node, ast.Call):
        yield from _call_changes(node)
    elif isinstance(node, ast.Name | ast.Attribute):
        yield from _rounding_changes(node)


def _constant_changes(node: ast.Constant) -> Iterator[tuple[ast.expr, ast.expr, str]]:
    value = node.value
    if isinstance(value, bool):
        yield node, ast.Constant(not value), "negation"
    elif isinstance(value, int):
        for delta in (-1, 1):
            yield node, ast.Constant(value + delta), "off-by-one"


def _call_changes(node: ast.Call) -> Iterator[tuple[ast.expr, ast.expr, str]]:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    yield from _precision_changes(node)
    if name in ("min", "max"):
        new = copy.deepcopy(node)
        new.func = ast.Name("max" if name == "min" else "min", ast.Load())
        yield node, new, "boundary"
    if name == "Decimal" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        yield from _decimal_changes(node, node.args[0].value)
    for i, kw in enumerate(node.keywords):
        if kw.arg == "axis" and isinstance(kw.value, ast.Constant) \
                and type(kw.value.value) is int:
            new = copy.deepcopy(node)
            axis = kw.value.value
            new.keywords[i].value = ast.Constant(0 if axis in (1, -1) else 1)
            yield node, new, "axis"


# A constant compared against: of its two neighbours, one gives the same code as the boundary
# swap (for whole numbers `x < 18` -> `x <= 18` is `x < 19`), so only the other one, the
# boundary moved the other way, is a mutant of its own. Keyed by the operator with the
# constant on the right; the sign says which neighbour to keep.
_KEEP_STEP = {ast.Lt: -1, ast.LtE: 1, ast.Gt: 1, ast.GtE: -1}


def _outward(node: ast.expr, parent: ast.AST | None) -> int | None:
    """For a constant that one side of a single comparison is, the step of the off-by-one
    mutant to keep (+1 or -1); None when it is not such a constant."""
    if not isinstance(parent, ast.Compare) or len(parent.ops) != 1:
        return None
    step = _KEEP_STEP.get(type(parent.ops[0]))
    if step is None:
        return None
    return step if parent.comparators[0] is node else -step if parent.left is node else None


def _moved(change: tuple[ast.expr, ast.expr, str], step: int) -> bool:
    """Whether an off-by-one change moved the constant by ``step`` (in its last digit)."""
    old, new = _number(change[0]), _number(change[1])
    return old is not None and new is not None and (new > old) == (step > 0)


def _number(node: ast.expr) -> decimal.Decimal | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return decimal.Decimal(node.value)
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        with contextlib.suppress(decimal.InvalidOperation, TypeError, ValueError):
            return decimal.Decimal(node.args[0].value)
    return None


def _is_precision(node: ast.expr, parent: ast.AST | None) -> bool:
    """The ``Decimal("0.01")`` of ``x.quantize(Decimal("0.01"))``: only its exponent counts,
    so a cent either side would be the same code; ``_call_changes`` changes the exponent."""
    return isinstance(parent, ast.Call) and _quantize_arg(parent) is node


def _quantize_arg(node: ast.Call) -> ast.Call | None:
    if not (isinstance(node.func, ast.Attribute) and node.func.attr == "quantize" and node.args):
        return None
    arg = node.args[0]
    is_decimal = isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and \
        arg.func.id == "Decimal" and len(arg.args) == 1 and \
        isinstance(arg.args[0], ast.Constant) and isinstance(arg.args[0].value, str)
    return arg if is_decimal else None


def _precision_changes(node: ast.Call) -> Iterator[tuple[ast.expr, ast.expr, str]]:
    """``quantize(Decimal("0.01"))`` to one digit fewer and one more: "0.1", "0.001"."""
    arg = _quantize_arg(node)
    if arg is None:
        return
    text = arg.args[0].value  # type: ignore[attr-defined]
    try:
        exponent = decimal.Decimal(text).as_tuple().exponent
    except decimal.InvalidOperation:
        return
    if not isinstance(exponent, int):
        return
    for shift in (1, -1):
        new = copy.deepcopy(node)
        new.args[0].args[0] = ast.Constant(str(decimal.Decimal((0, (1,), exponent + shift))))  # type: ignore[attr-defined]
        yield node, new, "rounding"


def _decimal_changes(node: ast.Call, text: str) -> Iterator[tuple[ast.expr, ast.expr, str]]:
    """``Decimal("50.00")`` one unit of its last digit either side: ``49.99``, ``50.01``."""
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return
    if not value.is_finite():
        return
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    step = decimal.Decimal((0, (1,), exponent))
    for new_value in (value - step, value + step):
        new = copy.deepcopy(node)
        new.args[0] = ast.Constant(str(new_value))
        yield node, new, "off-by-one"


def _rounding_changes(node: ast.Name | ast.Attribute
                      ) -> Iterator[tuple[ast.expr, ast.expr, str]]:
    name = node.id if isinstance(node, ast.Name) else node.attr
    if name not in ROUNDING_MODES or not isinstance(node.ctx, ast.Load):
        return
    other = "ROUND_HALF_EVEN" if name != "ROUND_HALF_EVEN" else "ROUND_HALF_UP"
    new = copy.deepcopy(node)
    if isinstance(new, ast.Name):
        new.id = other
    else:
        new.attr = other
    yield node, new, "rounding"


# Where a replacement must be parenthesized: inside an operator, or as the object of an
# attribute, subscript or call, unless parentheses already surround it.
_TIGHT_PARENTS = (ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Attribute,
                  ast.Subscript, ast.Await)


def _replace(lines: list[str], node: ast.AST, new: ast.AST, parent: ast.AST | None) -> str:
    """The module text with ``node``'s span replaced by the source of ``new``."""
    assert node.end_lineno is not None and node.end_col_offset is not None
    first, last = node.lineno - 1, node.end_lineno - 1
    head = lines[first].encode()[:node.col_offset].decode()
    tail = lines[last].encode()[node.end_col_offset:].decode()
    code = _unparsed(new)
    atom = isinstance(new, ast.Name | ast.Constant | ast.Call | ast.Attribute | ast.Subscript)
    wrapped = head.rstrip().endswith("(") and tail.lstrip().startswith(")")
    if isinstance(parent, _TIGHT_PARENTS) and not atom and not wrapped:
        code = f"({code})"
    return "".join(lines[:first]) + head + code + tail + "".join(lines[last + 1:])
