"""Does a numba kernel really use SIMD? Read its machine code and count.

Proof means packed floating-point *arithmetic* (``vaddpd``, ``vmulps``, ``vfmadd231pd``,
``vdivpd`` ...) on xmm/ymm/zmm registers: several lanes computed by one instruction. Not
proof: the scalar forms (``vaddsd``/``vaddss`` use xmm registers but compute one lane),
packed compares, blends and min/max (``vcmpltpd``, ``vblendvpd``, ``vmaxpd``: LLVM uses
``vblendvpd`` to select one value at a time in a branchy loop whose additions stay
``vaddsd``; these are counted and reported, but prove nothing), vector *moves*
(``vmovupd`` appears in plain copies), and logic ops (``vxorpd %xmm0,%xmm0,%xmm0`` is how
compilers zero a register).

numba 0.68 and its on-disk cache: an overload loaded with ``cache=True`` has no LLVM module
left; ``inspect_asm`` then warns "Inspection disabled for cached code. Invalid result is
returned." and returns a 59-character stub. This module notices that and compiles a fresh,
uncached copy of ``py_func`` with the same options for the same signature.

`simd_report` inspects in the calling process; `simd_report_for` does the compiling and
inspection in a worker process and the counting in the parent, so a learner cannot fake
the verdict from inside the notebook kernel.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from grader.speed.machine import cpu_flags, isa_level

# Packed forms of these compute in every lane: the proof of SIMD.
_ARITH_OPS = r"add|sub|mul|div|sqrt|hadd|hsub|addsub|dp|f(?:n?m(?:add|sub)|maddsub|msubadd)\d{3}"
# Packed forms of these only pick, compare or bound values (see the module docstring).
_SELECT_OPS = r"max|min|rcp|rsqrt|round|blendv?|cmp[a-z]*"
_FP_ARITH = re.compile(rf"^v?(?:{_ARITH_OPS})(pd|ps|sd|ss)$")
_FP_SELECT = re.compile(rf"^v?(?:{_SELECT_OPS})(pd|ps|sd|ss)$")
_REGISTER = re.compile(r"%([xyz])mm\d+")
_LANES = {("x", "pd"): 2, ("x", "ps"): 4, ("y", "pd"): 4, ("y", "ps"): 8, ("z", "pd"): 8,
          ("z", "ps"): 16}
_WIDTH_NAMES = {"x": "xmm (128-bit)", "y": "ymm (256-bit, AVX/AVX2)", "z": "zmm (512-bit, AVX-512)"}
# Wrappers numba adds around every kernel; their code is not the learner's loop.
_WRAPPER_PREFIXES = ("_ZN7cpython", "cfunc.", "_ZN8cpython")


@dataclass
class SimdReport:
    """What the machine code of one compiled signature contains.

    packed: instruction -> count of packed arithmetic (add/sub/mul/div/sqrt/FMA), the proof.
    packed_other: packed compares, blends, min/max: counted, not proof.
    scalar: scalar floating-point instructions (arithmetic and the others).
    widest: "zmm", "ymm", "xmm" or None, over the packed arithmetic.
    isa: the widest vector ISA this CPU supports; target_cpu: what LLVM compiled for.
    recompiled: the overload came from numba's cache and a fresh copy was compiled.
    asm: the assembly text counted (for further analysis, e.g. grader/speed/simdcheck.py).
    """

    uses_simd: bool
    reason: str
    packed: dict[str, int] = field(default_factory=dict)
    scalar: dict[str, int] = field(default_factory=dict)
    packed_other: dict[str, int] = field(default_factory=dict)
    widest: str | None = None
    isa: str = ""
    target_cpu: str = ""
    signature: str = ""
    recompiled: bool = False
    in_worker: bool = False
    asm: str = field(default="", repr=False)

    def __str__(self) -> str:
        return (f"{'SIMD' if self.uses_simd else 'no SIMD'}: {self.reason} "
                f"[CPU supports {self.isa}; compiled for {self.target_cpu}; "
                f"signature {self.signature}]")


class InstructionCounts(NamedTuple):
    """Floating-point instructions of a kernel, by kind (instruction -> count)."""

    packed: Counter[str]  # packed arithmetic: the proof
    packed_other: Counter[str]  # packed compares, blends, min/max
    scalar: Counter[str]
    widest: str | None  # "x", "y" or "z": the widest register of the packed arithmetic


def count_instructions(asm: str) -> InstructionCounts:
    """Count the floating-point instructions in the kernel's own functions.

    Assembler directives, labels and numba's Python/cfunc wrappers are skipped.
    """
    counts = InstructionCounts(Counter(), Counter(), Counter(), None)
    widest = None
    for line in _kernel_lines(asm):
        mnemonic = line.split(None, 1)[0]
        match = _FP_ARITH.match(mnemonic) or _FP_SELECT.match(mnemonic)
        if not match:
            continue
        if match.group(1) in ("sd", "ss"):
            counts.scalar[mnemonic] += 1
        elif match.re is _FP_SELECT:
            counts.packed_other[mnemonic] += 1
        else:
            counts.packed[mnemonic] += 1
            for letter in _REGISTER.findall(line):
                if widest is None or "xyz".index(letter) > "xyz".index(widest):
                    widest = letter
    return counts._replace(widest=widest)


def _kernel_lines(asm: str) -> Iterator[str]:
    """Instruction lines of the kernel's own functions (comments stripped)."""
    skipping = False
    for raw in asm.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith(":") and not line.startswith("."):
            skipping = line[:-1].startswith(_WRAPPER_PREFIXES)  # a new function begins
            continue
        if not skipping and not line.startswith("."):
            yield line


def analyse_asm(asm: str, *, fastmath: bool | None = None, signature: str = "",
                recompiled: bool = False, in_worker: bool = False,
                target_cpu: str | None = None) -> SimdReport:
    """Turn assembly text into a `SimdReport` with a reason a learner can act on."""
    packed, other, scalar, widest = count_instructions(asm)
    report = SimdReport(uses_simd=bool(packed), reason="", packed=dict(packed),
                        scalar=dict(scalar), packed_other=dict(other),
                        widest=None if widest is None else f"{widest}mm",
                        isa=_isa_note(), target_cpu=target_cpu or _target_cpu(),
                        signature=signature, recompiled=recompiled, in_worker=in_worker,
                        asm=asm)
    if packed:
        report.reason = _packed_reason(packed, widest, report.isa)
    elif scalar or other:
        report.reason = _scalar_reason(scalar, other, fastmath)
    else:
        report.reason = "no floating-point arithmetic found in the compiled kernel"
    return report


def _top(counts: Counter[str], n: int) -> str:
    return ", ".join(f"{name} x{count}" for name, count in counts.most_common(n))


def _packed_reason(packed: Counter[str], widest: str | None, isa: str) -> str:
    kind = "pd" if any(name.endswith("pd") for name in packed) else "ps"
    lanes = _LANES.get((widest or "x", kind), 2)
    reason = (f"packed arithmetic found ({_top(packed, 4)}) on {_WIDTH_NAMES[widest or 'x']}: "
              f"{lanes} {'doubles' if kind == 'pd' else 'floats'} per instruction")
    if widest == "x" and isa.startswith(("AVX2", "AVX-512")):
        reason += f"; only half the width this {isa} CPU offers"
    return reason


def _scalar_reason(scalar: Counter[str], other: Counter[str], fastmath: bool | None) -> str:
    reason = "no packed arithmetic instructions found"
    if scalar:
        reason += f": the loop stayed scalar ({_top(scalar, 3)})"
    if other:
        reason += (f"; the packed {_top(other, 3)} only select or compare values, the "
                   "arithmetic itself is done one value at a time")
    if fastmath is False and any(name.startswith(("vadd", "add", "vmul", "mul"))
                                 for name in scalar):
        return reason + ("; a floating-point reduction may only be reordered into SIMD "
                         "lanes with fastmath=True")
    return reason + ("; loops with an early exit (break/return), an `if` on each element, "
                     "function calls or possibly overlapping arrays stay scalar")


def _isa_note() -> str:
    flags = cpu_flags()
    return isa_level(flags) + ("+FMA" if "fma" in flags else "")


def _target_cpu() -> str:
    try:
        import llvmlite.binding as llvm
        import numba

        return str(numba.config.CPU_NAME or llvm.get_host_cpu_name())
    except ImportError:
        return "unknown"


# ---- getting the assembly ---------------------------------------------------------------

def _require_dispatcher(obj: Any) -> Any:
    from numba.core.dispatcher import Dispatcher

    if not isinstance(obj, Dispatcher):
        raise TypeError(f"{getattr(obj, '__name__', obj)!r} is a {type(obj).__name__}, "
                        "not a numba @njit function")
    return obj


def _pick_signature(dispatcher: Any, args: tuple[Any, ...] | None) -> tuple[Any, ...]:
    if args is not None:
        import numba

        wanted = tuple(numba.typeof(a) for a in args)
        if wanted in dispatcher.overloads:
            return wanted
    signatures = list(dispatcher.signatures)
    if not signatures:
        raise ValueError("the kernel has not been compiled yet: pass args or a signature")
    return signatures[-1]  # the overload compiled (or loaded) for the latest call


def asm_for(dispatcher: Any, signature: tuple[Any, ...]) -> tuple[str, bool]:
    """(assembly of ``signature``, whether a fresh copy had to be compiled).

    A cache-loaded overload cannot be inspected (see module docstring); then the same
    ``py_func`` is compiled again with the same target options, without ``cache``.
    """
    library = dispatcher.overloads[signature].library
    if not getattr(library, "_disable_inspection", False):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            asm = dispatcher.inspect_asm(signature)
        if not any("Inspection disabled" in str(w.message) for w in caught):
            return asm, False
    import numba

    options = {k: v for k, v in dispatcher.targetoptions.items() if k != "nopython"}
    fresh = numba.njit(**options)(dispatcher.py_func)
    fresh.compile(signature)
    return fresh.inspect_asm(signature), True


def compiled_asm(obj: Any, factory: Any, size: int, seed: int | None) -> dict[str, Any]:
    """Worker side of `simd_report_for`: compile ``obj`` on factory inputs, return its asm."""
    import numpy as np

    dispatcher = _require_dispatcher(obj)
    args = None
    if factory is not None:
        args = tuple(factory(np.random.default_rng(seed), size))
        dispatcher(*args)  # compiles (or loads from cache) the overload for these types
    signature = _pick_signature(dispatcher, args)
    asm, recompiled = asm_for(dispatcher, signature)
    return {"asm": asm, "recompiled": recompiled, "signature": str(signature),
            "fastmath": bool(dispatcher.targetoptions.get("fastmath")),
            "target_cpu": _target_cpu()}


def simd_report(dispatcher: Any, args: tuple[Any, ...] | None = None, *,
                signature: tuple[Any, ...] | str | None = None) -> SimdReport:
    """Inspect ``dispatcher`` here, in this process.

    ``args``: call the kernel with them first (compiles the matching overload).
    ``signature``: numba types (``(numba.float64[::1],)``) or a string (``"(float64[::1],)"``)
    to compile without running. Neither: the last compiled signature. A non-numba object
    raises TypeError; a kernel never compiled and given neither raises ValueError.
    """
    dispatcher = _require_dispatcher(dispatcher)
    if signature is not None:
        from numba.core import sigutils

        if isinstance(signature, str):
            signature = sigutils.normalize_signature(signature)[0]
        dispatcher.compile(signature)
        sig = tuple(signature)
    else:
        if args is not None:
            dispatcher(*args)
        sig = _pick_signature(dispatcher, args)
    asm, recompiled = asm_for(dispatcher, sig)
    return analyse_asm(asm, fastmath=bool(dispatcher.targetoptions.get("fastmath")),
                       signature=str(sig), recompiled=recompiled)


def simd_report_for(candidate: Any, name: str, arg_factory: Any, *, size: int = 1000,
                    seed: int | None = 0, timeout: float = 120.0) -> SimdReport:
    """Compile and dump kernel ``name`` from ``candidate``'s namespace in a worker process.

    ``candidate``: a `grader.speed` Candidate whose module/notebook defines ``name`` (a
    `CallableCandidate` is itself ``name`` when that is its name or its ``__name__``), or the
    kernel itself (a callable, then known as ``name``); ``arg_factory``:
    ``make(rng, size) -> tuple`` (Candidate or callable), whose arguments fix the compiled
    types. The assembly is counted here, in the parent. Failures (not a numba function, no
    such name, load error, worker died) give ``uses_simd=False`` with the reason.
    """
    from grader.speed.candidates import CallableCandidate, Candidate, as_candidate
    from grader.speed.session import CallFailed, Contestant
    from grader.speed.workerproc import WorkerFailure

    # A bare callable is the kernel the caller means, whatever its __name__.
    subject = (candidate if isinstance(candidate, Candidate)
               else CallableCandidate(candidate, name=name))
    factory = None if arg_factory is None else as_candidate(arg_factory).payload()
    worker = Contestant("simd")
    try:
        worker.start_load(subject.payload(), None)
        worker.finish_load(timeout)
        reply = worker.handle.request({"op": "simd", "name": name, "factory": factory,
                                       "size": size, "seed": seed}, timeout)
    except (CallFailed, WorkerFailure) as exc:
        return SimdReport(False, f"could not inspect {name!r}: {exc}", isa=_isa_note(),
                          in_worker=True)
    finally:
        worker.close()
    if not reply.get("ok") or not isinstance(reply.get("asm"), str):
        return SimdReport(False, f"could not inspect {name!r}: {reply.get('error')}",
                          isa=_isa_note(), in_worker=True)
    # Only the text came from the worker; the counting and the verdict happen here.
    return analyse_asm(reply["asm"], fastmath=bool(reply.get("fastmath")),
                       signature=str(reply.get("signature", "")),
                       recompiled=bool(reply.get("recompiled")), in_worker=True,
                       target_cpu=str(reply.get("target_cpu", "unknown")))
