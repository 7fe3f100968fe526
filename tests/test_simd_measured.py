"""Chapter 04's SIMD and bandwidth cells are decided by the sandboxed measurement controller
(grader/speed/simdcheck.py, registered in grader/classgrade/speedcheck.py), never in the
learner's kernel: a kernel compiled alone from its own source, its machine code read for
packed adds inside a loop that loads whole vectors, its throughput timed against a scalar
loop, its read rate against a memory copy.

The slow tests call the controller's own entry point (``speedcheck.verdicts``) on submission
notebooks built from tests/golden/04_simd/; tests/test_simd_chapter.py grades the decoy
end to end with ``python -m grader grade``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.classgrade import speedcheck
from grader.metadata import MEASURED_KINDS, PARENT_KINDS, load_assignment
from grader.speed import simdcheck
from grader.speed.kernels import KernelCandidate, kernel_module
from grader.speedtest import TRUSTED_ENV
from tests.conftest import ROOT

SOURCE = ROOT / "solutions" / "04_simd"
SIMD_CELLS = {"sum_array_simd", "dot_simd", "sum_positive_simd"}

# What the notebook of a "patched" submission runs at module level, after the setup cell:
# every in-kernel verdict of the SIMD and bandwidth cells becomes a pass.
PATCHES = """
import grader
import grader.checking
import grader.simd
import grader.speed.simdcheck
from grader.simd import SimdReport


def _fake_report(*args, **kwargs):
    return SimdReport(True, "packed arithmetic found", packed={"vaddpd": 8})


def _always_passes(*args, **kwargs):
    return "passed"


grader.simd.simd_report_for = _fake_report
grader.speed.simdcheck.check_in_kernel = _always_passes
grader.checking.assert_checks = _always_passes
grader.assert_checks = _always_passes
"""

SCALAR_COPYING = """
import numba


@numba.njit
def sum_array(data):
    values = data.copy()  # a temporary of the whole input, every call
    total = 0.0
    for i in range(values.shape[0]):
        total += values[i]
    return total


@numba.njit
def dot(x, y):
    if x.shape[0] != y.shape[0]:
        raise ValueError("dot: x and y must have the same length")
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * y[i]
    return total


@numba.njit
def sum_positive(data):
    total = 0.0
    for i in range(data.shape[0]):
        total += max(data[i], 0.0)
    return total
"""

ITERATING = """
import numba


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_array(data):
    total = 0.0
    for x in data:
        total += x
    return total
"""


# ---- the machine-code half (fast) ---------------------------------------------------------

KERNEL = "_ZN8__main__6kernelB2v1E5ArrayIdLi1E1C7mutable7alignedE"
WRAPPER = "_ZN7cpython8__main__6kernelB2v1E5ArrayIdLi1E1C7mutable7alignedE"


def _asm(loop_body: str, after: str = "") -> str:
    return (f"{KERNEL}:\n\txorl\t%eax, %eax\n.LBB0_2:\n{loop_body}\taddq\t$16, %r8\n"
            f"\tcmpq\t%r8, %rdx\n\tjne\t.LBB0_2\n{after}\tretq\n"
            f"{WRAPPER}:\n.LBB1_1:\n\tvaddpd\t(%rax), %ymm0, %ymm0\n\tjne\t.LBB1_1\n")


def test_packed_adds_count_inside_loops_that_load_whole_vectors():
    streaming, one_by_one = simdcheck.packed_adds_in_loops(_asm(
        "\tvaddpd\t(%rcx,%r8,8), %ymm0, %ymm0\n\tvaddpd\t32(%rcx,%r8,8), %ymm1, %ymm1\n"))
    assert streaming == {"vaddpd": 2} and not one_by_one  # the wrapper's loop is not counted
    streaming, _ = simdcheck.packed_adds_in_loops(_asm(
        "\tvmovupd\t(%rax,%rsi,8), %ymm6\n\tvfmadd231pd\t%ymm6, %ymm7, %ymm0\n"))
    assert streaming == {"vfmadd231pd": 1}


def test_packed_adds_after_the_loop_or_on_single_elements_do_not_count():
    # The scalar hot loop; the packed adds only reduce the lanes afterwards.
    streaming, one_by_one = simdcheck.packed_adds_in_loops(_asm(
        "\tvaddsd\t(%rcx,%r8,8), %xmm0, %xmm0\n",
        after="\tvaddpd\t%ymm0, %ymm1, %ymm0\n\tvaddpd\t%xmm1, %xmm0, %xmm0\n"))
    assert not streaming and not one_by_one
    # `for x in data`: elements loaded one at a time (half loads, gathers, a broadcast or a
    # constant of the code), then added in lanes.
    for load in ("\tvmovsd\t(%rcx), %xmm2\n\tvmovhpd\t8(%rcx), %xmm2, %xmm2\n",
                 "\tvgatherqpd\t(%rcx,%ymm0), %ymm7 {%k1}\n",
                 "\tvaddpd\t(%rax){1to4}, %ymm0, %ymm0\n",
                 "\tvaddpd\t.LCPI0_0(%rip), %ymm0, %ymm0\n"):
        streaming, one_by_one = simdcheck.packed_adds_in_loops(_asm(
            load + "\tvaddpd\t%ymm2, %ymm0, %ymm0\n"))
        assert not streaming and one_by_one, load
    # A forward jump is no loop.
    assert not simdcheck.loops(f"{KERNEL}:\n\tjne\t.LBB0_9\n\tvaddpd\t(%rax), %ymm0, %ymm0\n"
                               ".LBB0_9:\n\tretq\n")


_BLOCKED = """
import numba


@numba.njit(fastmath={"reassoc", "nsz"})
def blocked(data):  # honest: each block vectorized, its total added to a grand total
    total = 0.0
    for start in range(0, data.shape[0], 256):
        block = 0.0
        for i in range(start, min(data.shape[0], start + 256)):
            block += data[i]
        total += block
    return total


@numba.njit(fastmath={"reassoc", "nsz"})
def hidden(data):  # four scalar chains in an outer loop, an inner dummy loop inside it
    a0 = a1 = a2 = a3 = 0.0
    k = 0
    for i in range(0, data.shape[0] - 3, 4):
        a0 += data[i]
        a1 += data[i + 1]
        a2 += data[i + 2]
        a3 += data[i + 3]
        j = 0
        while j < int(data[i] > 2.0):
            k += 1
            j += 1
    return a0 + a1 + a2 + a3 + k
"""


def _compiled_asm(source: str, name: str, *args) -> str:
    namespace: dict = {}
    exec(compile(source, f"<{name}>", "exec"), namespace)  # noqa: S102 - our own test code
    kernel = namespace[name]
    kernel(*args)
    return next(iter(kernel.inspect_asm().values()))


def test_scalar_loops_unrolled_into_several_accumulators_are_seen():
    import numpy as np

    data, other = np.random.default_rng(0).random(1000), np.ones(1000)
    golden = (ROOT / "tests" / "golden" / "04_simd" / "unrolled_decoy.py").read_text()
    # How many chains LLVM leaves depends on the CPU it compiles for (on an AVX2 EPYC it
    # vectorizes part of `hidden`, leaving 3 of its 4): the verdict's rule is "two or more".
    for name in ("sum_array", "dot", "sum_positive"):
        args = (data, other) if name == "dot" else (data,)
        assert len(simdcheck.scalar_chains(_compiled_asm(golden, name, *args))) >= 2, name
        model = _compiled_asm(_MODEL, name, *args)
        assert len(simdcheck.scalar_chains(model)) <= 1, name
    assert len(simdcheck.scalar_chains(_compiled_asm(_BLOCKED, "hidden", data))) >= 2
    assert len(simdcheck.scalar_chains(_compiled_asm(_BLOCKED, "blocked", data))) <= 1


_MODEL = """
import numba


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_array(data):
    total = 0.0
    for i in range(data.shape[0]):
        total += data[i]
    return total


@numba.njit(fastmath={"reassoc", "nsz", "contract"})
def dot(x, y):
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * y[i]
    return total


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_positive(data):
    total = 0.0
    for i in range(data.shape[0]):
        total += max(data[i], 0.0)
    return total
"""


def test_chapter_04_simd_and_bandwidth_cells_are_measured_not_kernel_only():
    assignment = load_assignment(SOURCE)
    measured = assignment.measured_ids()
    assert SIMD_CELLS | {"sum_array_bandwidth"} <= measured
    # Every kind has a measurer in the controller, but those the grading process measures.
    assert {"simd", "bandwidth"} <= set(MEASURED_KINDS) - set(PARENT_KINDS) \
        <= set(speedcheck.MEASURERS)
    for exercise, kind, settings in assignment.measured():
        if kind == "simd":  # every table builds a valid measurement plan
            simdcheck.simd_spec(SOURCE, exercise.name, settings)


def test_one_element_loads_fail_before_any_timing():
    kernel = KernelCandidate(kernel_module([ITERATING], "sum_array"), "sum_array", "iter")
    settings = load_assignment(SOURCE).exercise("sum_array").settings("simd")
    verdict = simdcheck.simd_verdict(SOURCE, "sum_array", settings, kernel)
    assert not verdict.passed
    assert "loads one element at a time" in verdict.message
    assert "for x in data" in verdict.message


def test_the_kernels_own_check_leaves_grading_to_the_measurement(monkeypatch):
    monkeypatch.setenv(TRUSTED_ENV, "1")
    said = simdcheck.check_in_kernel("simd", SOURCE, "sum_array", lambda data: 0.0)
    assert "measured by the grader outside this kernel" in said


# ---- the measurement controller on whole notebooks (slow: kernels are timed) --------------


def _notebook(folder: Path, golden: str | None, extra: list[str], source: str | None = None,
              ) -> Path:
    """A submission: the golden's functions (or those of ``source``) in the released
    notebook, ``extra`` cells after the setup cell."""
    import nbformat

    from tests.test_simd_chapter import make_submission

    notebook = make_submission(golden, folder)
    nb = nbformat.read(str(notebook), as_version=4)
    if source is not None:
        from tests.test_simd_chapter import golden_sources

        path = folder / "kernels.py"
        path.write_text(source)
        functions, _ = golden_sources(path)
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            name = meta.get("grade_id", "").removesuffix("_solution")
            if meta.get("solution") and name in functions:
                cell.source = functions[name]
    setup = next(i for i, c in enumerate(nb.cells)
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup")
    for offset, text in enumerate(extra):
        nb.cells.insert(setup + 1 + offset, nbformat.v4.new_code_cell(text))
    nbformat.write(nb, str(notebook))
    return notebook


def _failed(outputs: list[dict]) -> str:
    """The error text of a measured cell's outputs ("" when it passed)."""
    errors = [o for o in outputs if o.get("output_type") == "error"]
    return errors[-1]["evalue"] if errors else ""


def _measure(notebook: Path, cells: set[str]) -> dict[str, list[dict]]:
    """The controller's verdicts for ``cells`` only (as speedcheck.verdicts decides them)."""
    assignment = load_assignment(SOURCE)
    out = {}
    for exercise, kind, settings in assignment.measured():
        if settings["grade_id"] in cells:
            out[settings["grade_id"]] = json.loads(json.dumps(speedcheck.MEASURERS[kind](
                assignment, exercise, settings, notebook)))
    return out


@pytest.mark.slow
def test_model_passes_the_simd_and_bandwidth_cells():
    found = _measure(SOURCE / "simd.ipynb", SIMD_CELLS | {"sum_array_bandwidth"})
    failed = {gid: _failed(outputs) for gid, outputs in found.items() if _failed(outputs)}
    assert not failed, failed
    assert "SIMD: packed additions in its loop" in found["dot_simd"][0]["text"]


@pytest.mark.slow
def test_decoy_vector_loop_with_patched_grader_fails_every_simd_cell(tmp_path):
    # The golden's EXTRA_CELLS patch grader.simd, assert_speed and assert_checks in the kernel;
    # add the patches of this module (check_in_kernel) too.
    notebook = _notebook(tmp_path / "decoy", "decoy_vector_loop", [PATCHES])
    found = speedcheck.verdicts(SOURCE, notebook)  # every measured cell, as grading does
    for gid in SIMD_CELLS:
        message = _failed(found[gid])
        assert "packed additions in a loop" in message, (gid, found[gid])
        assert "the loop that does the work still handles one value at a time" in message
    for gid in ("sum_array_speed", "sum_positive_speed"):
        assert _failed(found[gid]), found[gid]


@pytest.mark.slow
def test_unrolled_accumulators_beside_a_decoy_fail_every_simd_cell(tmp_path):
    notebook = _notebook(tmp_path / "unrolled", "unrolled_decoy", [PATCHES])
    found = _measure(notebook, SIMD_CELLS)
    for gid in SIMD_CELLS:
        assert "separate scalar chains" in _failed(found[gid]), (gid, found[gid])


@pytest.mark.slow
def test_patched_grader_does_not_save_scalar_or_copying_kernels(tmp_path):
    notebook = _notebook(tmp_path / "scalar", None, [PATCHES], source=SCALAR_COPYING)
    found = _measure(notebook, SIMD_CELLS | {"sum_array_bandwidth"})
    for gid in SIMD_CELLS:
        assert "no packed arithmetic instructions found" in _failed(found[gid]), found[gid]
    message = _failed(found["sum_array_bandwidth"])
    assert "It does not stream its input" in message, found["sum_array_bandwidth"]
