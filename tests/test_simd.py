"""SIMD proof from numba's machine code (grader.simd)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest

from grader.simd import analyse_asm, count_instructions, simd_report, simd_report_for
from grader.speed import CallableCandidate, ModuleCandidate

ARRAY = np.linspace(0.0, 1.0, 1000)

KERNELS = '''
import numba
import numpy as np


@numba.njit(fastmath=True, cache=True)
def cached_sum(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


@numba.njit
def plain_sum(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


def not_jitted(a):
    return a.sum()


def make(rng, size):
    return (rng.random(size),)
'''


@numba.njit(fastmath=True)
def fast_sum(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


@numba.njit
def strict_sum(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


@numba.njit(fastmath=True)
def sum_until_negative(a):
    s = 0.0
    for i in range(a.shape[0]):
        if a[i] < 0.0:
            break
        s += a[i]
    return s


# ---- counting on hand-written assembly ---------------------------------------------------

ASM = """
\t.type\tkernel,@function
kernel:
\tvxorpd\t%xmm0, %xmm0, %xmm0
\tvmovupd\t(%rdi), %ymm1
\tvaddsd\t(%rcx,%rdx,8), %xmm0, %xmm0
.LBB0_2:
\tvfmadd231pd\t(%rax), %ymm2, %ymm3
\tvaddpd\t%zmm1, %zmm0, %zmm0
\tvcmpltpd\t%xmm1, %xmm0, %xmm2
\t.type\t_ZN7cpython8__main__6kernel,@function
_ZN7cpython8__main__6kernel:
\tvmulpd\t%ymm1, %ymm0, %ymm0
"""


def test_counts_only_packed_arithmetic_in_the_kernel():
    counts = count_instructions(ASM)
    assert counts.packed == {"vfmadd231pd": 1, "vaddpd": 1}  # the wrapper's vmulpd skipped
    assert counts.packed_other == {"vcmpltpd": 1}
    assert counts.scalar == {"vaddsd": 1}
    assert counts.widest == "z"


# The hot loop LLVM makes of `if x > 0: total += x` without fastmath: vblendvpd on xmm picks
# the value to add, the addition itself stays scalar.
BRANCHY_ASM = """
kernel:
.LBB0_4:
	vmovsd	(%rdx), %xmm1
	vcmpltsd	%xmm1, %xmm2, %xmm3
	vblendvpd	%xmm3, %xmm1, %xmm2, %xmm1
	vaddsd	%xmm1, %xmm0, %xmm0
	vcmpltpd	%xmm1, %xmm2, %xmm3
	vmaxpd	%xmm1, %xmm2, %xmm3
"""


def test_blends_and_compares_are_not_simd_proof():
    report = analyse_asm(BRANCHY_ASM, fastmath=False)
    assert not report.uses_simd and report.packed == {} and report.widest is None, str(report)
    assert report.packed_other == {"vblendvpd": 1, "vcmpltpd": 1, "vmaxpd": 1}
    assert report.scalar == {"vcmpltsd": 1, "vaddsd": 1}
    assert "no packed arithmetic instructions found" in report.reason
    assert "vblendvpd x1" in report.reason and "vaddsd x1" in report.reason
    assert "fastmath=True" in report.reason


def test_moves_and_zeroing_are_not_simd_proof():
    asm = "kernel:\n\tvmovupd\t(%rdi), %ymm0\n\tvxorpd\t%ymm1, %ymm1, %ymm1\n"
    report = analyse_asm(asm)
    assert not report.uses_simd and report.packed == {}
    assert "no floating-point arithmetic" in report.reason


def test_xmm_packed_counts_as_two_lanes():
    report = analyse_asm("kernel:\n\taddpd\t%xmm1, %xmm0\n")
    assert report.uses_simd and report.widest == "xmm"
    assert "2 doubles" in report.reason


# ---- real kernels ------------------------------------------------------------------------


def test_fastmath_reduction_is_vectorized():
    report = simd_report(fast_sum, (ARRAY,))
    assert report.uses_simd, str(report)
    assert report.packed.get("vaddpd", 0) + report.packed.get("addpd", 0) > 0
    assert report.isa and report.target_cpu


def test_reduction_without_fastmath_stays_scalar_and_says_why():
    report = simd_report(strict_sum, (ARRAY,))
    assert not report.uses_simd, str(report)
    assert "scalar" in report.reason and "fastmath=True" in report.reason
    assert report.scalar.get("vaddsd", 0) + report.scalar.get("addsd", 0) > 0


def test_early_exit_loop_stays_scalar():
    report = simd_report(sum_until_negative, (ARRAY,))
    assert not report.uses_simd, str(report)
    assert "early exit" in report.reason


@numba.njit
def branchy_positive_sum(a):
    s = 0.0
    for i in range(a.shape[0]):
        if a[i] > 0.0:
            s += a[i]
    return s


def test_branchy_reduction_with_packed_blends_stays_scalar():
    report = simd_report(branchy_positive_sum, (ARRAY - 0.5,))
    assert not report.uses_simd and not report.packed, str(report)
    assert report.scalar.get("vaddsd", 0) + report.scalar.get("addsd", 0) > 0, str(report)


def test_signature_string_compiles_without_running():
    report = simd_report(strict_sum, signature="(float64[::1],)")
    assert not report.uses_simd and "float64" in report.signature


def test_non_numba_functions_are_refused():
    with pytest.raises(TypeError, match="not a numba"):
        simd_report(np.sum)


def _kernel_file(tmp_path: Path) -> Path:
    path = tmp_path / "kernels.py"
    path.write_text(KERNELS)
    return path


def test_cache_loaded_kernel_is_still_inspected(tmp_path):
    path = _kernel_file(tmp_path)
    # A first process compiles and writes numba's cache, exactly as a learner's kernel would.
    script = textwrap.dedent(f"""
        import numpy as np
        from grader.speed import CallableCandidate, ModuleCandidate
        ModuleCandidate({str(path)!r}, "cached_sum").load_here()(np.ones(10))
        """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    kernel = ModuleCandidate(path, "cached_sum").load_here()
    kernel(ARRAY)
    assert kernel.stats.cache_hits, "precondition: the overload must come from the cache"
    report = simd_report(kernel)
    assert report.recompiled and report.uses_simd, str(report)


def test_worker_inspects_a_kernel_object_from_this_process():
    report = simd_report_for(fast_sum, "fast_sum", lambda rng, size: (rng.random(size),))
    assert report.in_worker and report.uses_simd, str(report)


renamed_sum = numba.njit(fastmath=True)(fast_sum.py_func)  # its __name__ is "fast_sum"


def test_worker_finds_a_callable_candidate_by_its_own_name():
    make = _make
    by_name = simd_report_for(CallableCandidate(fast_sum, name="sum_array"), "fast_sum", make)
    assert by_name.uses_simd, str(by_name)
    bare = simd_report_for(renamed_sum, "sum_array", make)  # a bare kernel is `name`
    assert bare.uses_simd, str(bare)
    missing = simd_report_for(CallableCandidate(fast_sum), "sum_array", make)
    assert not missing.uses_simd, str(missing)
    assert "'sum_array' is neither the callable candidate ('fast_sum')" in missing.reason


def _make(rng, size):
    return (rng.random(size),)


def test_worker_refuses_a_non_numba_name(tmp_path):
    path = _kernel_file(tmp_path)
    report = simd_report_for(ModuleCandidate(path, "not_jitted"), "not_jitted",
                             ModuleCandidate(path, "make"))
    assert report.in_worker and not report.uses_simd and "not a numba" in report.reason
    missing = simd_report_for(ModuleCandidate(path, "make"), "no_such_kernel", None)
    assert not missing.uses_simd and "no_such_kernel" in missing.reason


@pytest.mark.slow
def test_worker_inspects_cached_and_scalar_kernels(tmp_path):
    path = _kernel_file(tmp_path)
    make = ModuleCandidate(path, "make")
    first = simd_report_for(ModuleCandidate(path, "cached_sum"), "cached_sum", make)
    second = simd_report_for(ModuleCandidate(path, "cached_sum"), "cached_sum", make)
    assert first.in_worker and first.uses_simd and second.uses_simd, (str(first), str(second))
    assert second.recompiled  # the second worker loaded the overload from numba's cache
    plain = simd_report_for(ModuleCandidate(path, "plain_sum"), "plain_sum", make)
    assert not plain.uses_simd and "fastmath" in plain.reason
