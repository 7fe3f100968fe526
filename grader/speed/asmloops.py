"""Loops in a numba kernel's machine code, read as text (AT&T syntax, LLVM's layout).

What grader/speed/simdcheck.py decides the SIMD cells with: which loops hold packed adds and
load whole vectors (``packed_adds_in_loops``), and whether a loop adds loaded elements into
several scalar accumulators by hand (``scalar_chains``). Plain text processing of the
listing numba returns; the listing itself comes from a worker where the kernel was compiled
alone (grader/simd.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

# A packed add or fused multiply-add on doubles or floats: a reduction in SIMD lanes. A packed
# compare, blend or max alone is not enough (LLVM uses vblendvpd on one value at a time).
PACKED_ADD = re.compile(r"^v?(?:add|f(?:n?m(?:add|sub)|maddsub|msubadd)\d*)p[sd]$")
_JUMP = re.compile(r"^j[a-z]{1,4}$")
# Full-vector loads (AT&T syntax: the source operand comes first).
_VECTOR_MOVE = re.compile(r"^v?mov(?:u|a)p[sd]$|^v?movdq[au](?:8|16|32|64)?$|^v?lddqu$")
_PACKED_OP = re.compile(r"^v?(?:add|sub|mul|div|max|min|f(?:n?m(?:add|sub)|maddsub|msubadd)"
                        r"\d*)p[sd]$")
_MEMORY_FIRST = re.compile(r"^[-\w.+]*\(")
# Wrappers numba adds around every kernel (as grader/simd.py skips them).
_WRAPPER_PREFIXES = ("_ZN7cpython", "cfunc.", "_ZN8cpython")

# ---- loops -----------------------------------------------------------


@dataclass
class Loop:
    """A backward jump in the kernel's code: the instructions from ``label`` to the jump."""

    label: str
    instructions: list[str]

    def packed_adds(self) -> Counter[str]:
        return Counter(m for m in (line.split(None, 1)[0] for line in self.instructions)
                       if PACKED_ADD.match(m))

    def vector_loads(self) -> int:
        """Instructions that load a whole vector of adjacent elements from memory: a packed
        move or packed arithmetic whose source operand is memory (not a constant of the
        code, ``(%rip)``). Gathers, broadcasts and the half loads ``vmovhpd``/``vmovlpd``
        that ``for x in data`` compiles to are not."""
        return sum(1 for line in self.instructions if _is_vector_load(line))


def _is_vector_load(line: str) -> bool:
    parts = line.split(None, 1)
    if len(parts) < 2 or not _MEMORY_FIRST.match(parts[1]) or "(%rip)" in parts[1] \
            or "{1to" in parts[1]:  # a constant of the code, or one value broadcast
        return False
    return bool(_VECTOR_MOVE.match(parts[0]) or _PACKED_OP.match(parts[0]))


def _lines(asm: str) -> Iterator[tuple[str, str]]:
    """("function", name), ("label", name) and ("insn", text) of the kernel's own code."""
    skipping = False
    for raw in asm.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith(":"):
            name = line[:-1]
            if not name.startswith("."):  # a new function
                skipping = name.startswith(_WRAPPER_PREFIXES)
                if not skipping:
                    yield "function", name
            elif not skipping:
                yield "label", name
            continue
        if not skipping and not line.startswith("."):
            yield "insn", line


def loops(asm: str) -> list[Loop]:
    """Every backward jump of the kernel's own functions, with the code it repeats (in
    layout order: LLVM lays a loop's blocks out together, the latch jumping back up)."""
    found: list[Loop] = []
    body: list[str] = []
    labels: dict[str, int] = {}
    for kind, text in _lines(asm):
        if kind == "function":
            body, labels = [], {}
        elif kind == "label":
            labels[text] = len(body)
        else:
            body.append(text)
            parts = text.split()
            if len(parts) == 2 and _JUMP.match(parts[0]) and parts[1] in labels:
                found.append(Loop(parts[1], body[labels[parts[1]]:]))
    return found


def hot_loop_candidates(asm: str) -> list[list[str]]:
    """The instructions of every loop of the kernel's own code that could run for each
    element: a region from a label to a later jump back to it, without a return or a call
    (such a region is an exit path laid out around a loop, with the loop's final reduction,
    not a loop). Nested loops count as well as the loops inside them, so an inner dummy loop
    cannot hide what its outer loop accumulates."""
    out: list[list[str]] = []
    for body, regions in _functions(asm):
        for a, b in regions:
            region = body[a:b]
            if not any(line.split(None, 1)[0].startswith(("ret", "call")) for line in region):
                out.append(region)
    return out


def _functions(asm: str) -> list[tuple[list[str], list[tuple[int, int]]]]:
    """(instructions, loop regions as (start, end) indexes) of each of the kernel's functions."""
    found: list[tuple[list[str], list[tuple[int, int]]]] = []
    labels: dict[str, int] = {}
    for kind, text in _lines(asm):
        if kind == "function":
            found.append(([], []))
            labels = {}
        elif not found:
            continue
        elif kind == "label":
            labels[text] = len(found[-1][0])
        else:
            body, regions = found[-1]
            body.append(text)
            parts = text.split()
            if len(parts) == 2 and _JUMP.match(parts[0]) and parts[1] in labels:
                regions.append((labels[parts[1]], len(body)))
    return found


# A scalar add, subtract or fused multiply-add: one lane (``vaddsd``, ``vfmadd231sd``...).
SCALAR_ACCUMULATE = re.compile(r"^v?(?:add|sub|f(?:n?m(?:add|sub))\d*)s[sd]$")


def scalar_chains(asm: str) -> list[str]:
    """The registers the busiest loop of ``asm`` (``hot_loop_candidates``) adds *array
    elements* into, one lane at a time: scalar adds/FMAs (destination: AT&T's last operand)
    fed by a scalar load of the same loop, directly or through scalar ``max``/``mul``...
    Two or more is a reduction split by hand into independent scalar accumulators:
    instruction-level parallelism, which lets a scalar loop run several times faster than
    the AI's single chain without any SIMD. LLVM's own loops never do it here: a vectorized
    loop's scalar remainder, and the AI loop it unrolls by 8, keep one accumulator; a blocked
    loop adding each block's (packed) total into a grand total adds no element itself."""
    widest: list[str] = []
    for loop in hot_loop_candidates(asm):
        chains = _element_chains(loop)
        if len(chains) > len(widest):
            widest = sorted(chains)
    return widest


def _operands(text: str) -> list[str]:
    """AT&T operands split on the commas outside parentheses (``8(%rax,%rcx,8), %xmm0``)."""
    out, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += char
    return [*out, current.strip()] if current.strip() else out


def _element_chains(loop: list[str]) -> set[str]:
    """Accumulator registers of ``loop`` that scalar elements loaded in it are added into."""
    fresh: set[str] = set()  # registers holding one element just loaded (or max/mul of it)
    chains: set[str] = set()
    for line in loop:
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue
        op, operands = parts[0], _operands(parts[1].split("{", 1)[0])
        if not operands:
            continue
        dest, sources = operands[-1], operands[:-1]
        loaded = any("(" in o and "(%rip)" not in o for o in sources)
        if SCALAR_ACCUMULATE.match(op):
            if loaded or any(o in fresh for o in sources if o != dest):
                chains.add(dest)
            fresh.discard(dest)
        elif op.endswith(("sd", "ss")) and (loaded or any(o in fresh for o in sources)):
            # a scalar load (vmovsd), or max/mul/convert of a loaded or fresh element
            fresh.add(dest)
        else:
            fresh.discard(dest)
    return chains


def packed_adds_in_loops(asm: str) -> tuple[Counter[str], Counter[str]]:
    """Packed add/FMA mnemonic -> count, over the loops of ``asm`` (each loop once): in
    loops that load whole vectors, and in loops that do not (one element at a time)."""
    streaming: Counter[str] = Counter()
    one_by_one: Counter[str] = Counter()
    seen: set[tuple[str, int]] = set()
    for loop in loops(asm):
        key = (loop.label, len(loop.instructions))
        if key in seen:
            continue
        seen.add(key)
        if loop.vector_loads():
            streaming += loop.packed_adds()
        else:
            one_by_one += loop.packed_adds()
    return streaming, one_by_one
