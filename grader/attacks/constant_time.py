"""Is a MAC compared in constant time? Read from the code, the one property of chapter 07
that is: ``==`` on bytes stops at the first difference, so its time says how much of a
forged signature was right. That difference is nanoseconds, far below what can be measured
through a pipe on a shared 2-core machine, so timing it would give verdicts that flip.

What counts as constant time: a call to ``compare_digest`` (``hmac`` or ``secrets``), or a
library that does it for you (itsdangerous, cryptography's HMAC, Fernet). What counts
against: ``==`` or ``!=`` with a MAC on either side: an expression holding a ``.digest()`` /
``.hexdigest()`` / ``hmac.new(...)`` / ``hmac.digest(...)`` call, or a name assigned from
one (followed through further assignments: ``good = b64encode(mac.digest())``), or a name
made of words like ``sig``, ``mac``, ``digest``, ``tag`` (``expected_sig == sig``). A
length or type test of a MAC (``len(sig) != 32``) is not a comparison of its bytes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_WORDS = {"sig", "signature", "mac", "hmac", "digest", "hexdigest", "tag", "checksum"}
_LIBRARIES = ("itsdangerous", "cryptography.fernet", "cryptography.hazmat.primitives.hmac")
_NOT_BYTES = {"len", "isinstance", "type", "bool", "int", "hasattr"}  # calls that read no byte


@dataclass(frozen=True)
class Comparison:
    """What the code says about comparing MACs."""

    constant_time: bool  # compare_digest is called, or a library that does it is imported
    unsafe: tuple[str, ...]  # "line N: <source>" of each == / != on a MAC

    @property
    def ok(self) -> bool:
        return self.constant_time and not self.unsafe


def read_comparisons(source: str) -> Comparison:
    """SyntaxError (from ``ast.parse``) for code that does not parse."""
    tree = ast.parse(source)
    constant = any(_is_compare_digest(n) for n in ast.walk(tree)) or _imports_library(tree)
    macs = _names_assigned_macs(tree)
    unsafe = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            continue
        if any(_looks_like_mac(side, macs) for side in [node.left, *node.comparators]):
            text = ast.get_source_segment(source, node) or ast.unparse(node)
            unsafe.append(f"line {node.lineno}: {text}")
    return Comparison(constant, tuple(unsafe))


def _is_compare_digest(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "compare_digest"


def _imports_library(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        if any(n == lib or n.startswith(lib + ".") for n in names for lib in _LIBRARIES):
            return True
    return False


def _is_mac_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    attr, owner = node.func.attr, node.func.value
    if attr in ("digest", "hexdigest"):
        return True
    return attr in ("new", "digest") and getattr(owner, "id", "") == "hmac"


def _names_assigned_macs(tree: ast.AST) -> set[str]:
    """Names that hold a MAC: assigned from an expression holding a MAC call or such a name,
    to a fixed point (a chain of assignments in any order)."""
    assigns = [n for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign)]
    names: set[str] = set()
    while True:
        before = len(names)
        for node in assigns:
            if node.value is not None and _holds_mac(node.value, names):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if len(names) == before:
            return names


def _holds_mac(node: ast.AST, macs: set[str]) -> bool:
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") in _NOT_BYTES:
        return False
    return any(_is_mac_call(n) or (isinstance(n, ast.Name) and n.id in macs)
               for n in ast.walk(node))


def _looks_like_mac(node: ast.AST, macs: set[str]) -> bool:
    if _holds_mac(node, macs):
        return True
    return isinstance(node, ast.Name) and bool(set(re.split(r"_+", node.id.lower())) & _WORDS)
