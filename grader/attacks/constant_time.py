"""Is a MAC compared in constant time? Read from the code, the one property of chapter 07
that is: ``==`` on bytes stops at the first difference, so its time says how much of a
forged signature was right. That difference is nanoseconds, far below what can be measured
through a pipe on a shared 2-core machine, so timing it would give verdicts that flip.

What counts as constant time: a call to ``compare_digest`` (``hmac`` or ``secrets``), or a
library that does it for you (itsdangerous, cryptography's HMAC, Fernet). What counts
against: ``==`` or ``!=`` with a MAC on either side: a ``.digest()`` / ``.hexdigest()`` /
``hmac.new(...)`` / ``hmac.digest(...)`` call, a name assigned from one, or a name made
of words like ``sig``, ``mac``, ``digest``, ``tag`` (``expected_sig == sig``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_WORDS = {"sig", "signature", "mac", "hmac", "digest", "hexdigest", "tag", "checksum"}
_LIBRARIES = ("itsdangerous", "cryptography.fernet", "cryptography.hazmat.primitives.hmac")


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
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_mac_call(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _looks_like_mac(node: ast.AST, macs: set[str]) -> bool:
    if _is_mac_call(node):
        return True
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    if not isinstance(name, str) or not name:
        return False
    return name in macs or bool(set(re.split(r"_+", name.lower())) & _WORDS)
