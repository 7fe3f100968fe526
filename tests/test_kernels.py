"""grader.speed.kernels: a numba kernel compiled alone from its own source.

Honest ways of writing a kernel (aliases, constants, helpers, signatures) compile alone;
everything that would let learner code run or keep state between calls is refused with a
message naming it; and in the speed engine a kernel that reuses inputs cannot remember an
answer or write into them.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from grader.speed import ModuleCandidate, SpeedSpec, measure_speed
from grader.speed.candidates import load_payload
from grader.speed.kernels import KernelCandidate, KernelSourceError, kernel_module
from tests.conftest import ROOT

SPEED = ROOT / "solutions" / "04_simd" / "speed.py"


def load(cells: list[str], name: str = "total"):
    """The kernel as a worker would load it (here, in this process: test code only)."""
    return load_payload(KernelCandidate(kernel_module(cells, name), name, "test").payload(),
                        in_worker=False)[1]


@pytest.mark.parametrize("cells", [
    ["import numba\n@numba.njit(fastmath={'reassoc', 'nsz'})\n"
     "def total(x):\n    s = 0.0\n    for i in range(x.shape[0]):\n        s += x[i]\n"
     "    return s\n"],
    ["import numba as nb\nMATH = set(['reassoc', 'nsz'])\n",
     "@nb.njit(fastmath=MATH, cache=True)\ndef total(x):\n    return _add(x, 0.0)\n",
     "from numba import njit\n@njit\ndef _add(x, s):\n    for v in x:\n        s += v\n"
     "    return s\n"],
    ["import numba\nimport numpy as np\n@numba.njit('float64(float64[::1])')\n"
     "def total(x):\n    return np.sum(x)\n"],
    ["from numba import njit, float64\n@njit(float64(float64[::1]))\n"
     "def total(x):\n    return x.sum()\n"],
    ["import numba\nSCALE = 2 ** 3\n@numba.njit\ndef total(x):\n"
     "    return x.sum() * SCALE / SCALE\n",
     "print('other cells are never part of the kernel module')\n"],
])
def test_honest_kernels_compile_alone(cells):
    data = np.arange(10.0)
    assert load(cells)(data) == pytest.approx(45.0)


def test_cache_is_dropped_and_only_needed_code_comes_along():
    source = kernel_module([
        "import os\nimport numba\nos.environ['X'] = '1'\nLIMIT = 3\nBIG = [0] * 10\n",
        "@numba.njit(cache=True)\ndef total(x):\n    return x[:LIMIT].sum()\n",
        "@numba.njit\ndef unused(x):\n    return 0.0\n",
    ], "total")
    assert "cache" not in source and "os" not in source.split("import numba")[1]
    assert "LIMIT = 3" in source and "BIG" not in source and "unused" not in source


@pytest.mark.parametrize("cells, words", [
    (["import numba\n@numba.njit\ndef total(x):\n"
      "    with numba.objmode(y='float64'):\n        y = 1.0\n    return y\n"], "with"),
    (["import numba\n@numba.njit(forceobj=True)\ndef total(x):\n    return 0.0\n"],
     "forceobj"),
    (["import numba\n@numba.njit(nopython=False)\ndef total(x):\n    return 0.0\n"],
     "nopython"),
    (["import numba, functools\n@functools.lru_cache\n@numba.njit\n"
      "def total(x):\n    return 0.0\n"], "functools"),
    (["def total(x):\n    return sum(x)\n"], "plain Python function"),
    (["import numba\n@numba.njit\ndef total(x):\n    return 0.0\n", "total = len\n"],
     "not a numba kernel"),
    (["import numba\nimport numpy as np\nmemo = np.zeros(1)\nmemo += 1\n"
      "@numba.njit\ndef total(x):\n    return memo[0]\n"], "memo"),
    (["import numba\n@numba.njit\ndef total(x):\n    return helper(x)\n",
      "def helper(x):\n    return 0.0\n"], "'helper' (a plain Python function)"),
    (["import numba\n@numba.njit(__import__('os').getpid())\ndef total(x):\n    return 0.0\n"],
     "signature"),
    (["import numba\nimport numba.misc\n@numba.njit(numba.misc.os)\ndef total(x):\n"
      "    return 0.0\n"], "not a numba type"),
    (["import numba\n@numba.njit\ndef total(x):\n    global y\n    return 0.0\n"], "global"),
    (["import numba\n@numba.njit\ndef first(x):\n    return 0.0\n",
      "import numba\n@numba.njit\n@numba.njit\ndef total(x):\n    return first(x)\n"],
     "exactly one decorator"),
], ids=["objmode", "forceobj", "object-mode", "two-decorators", "plain", "rebound",
        "runtime-global", "python-helper", "code-in-decorator", "module-in-signature",
        "global-statement", "stacked-jit"])
def test_what_could_run_or_keep_state_is_refused(cells, words):
    with pytest.raises(KernelSourceError, match=words.replace("(", r"\(").replace(")", r"\)")):
        kernel_module(cells, "total")


@pytest.mark.parametrize("constant, words", [
    ("1 / 0", "division by zero"),
    ("((((9 ** 64) ** 64) ** 64) ** 64) ** 64", "too large"),
    ("2.0 ** 1000 * 2.0 ** 1000 * 1e308 ** 2", "fails"),
    ("int('" + "9" * 5000 + "')", "not a constant"),
    ("int('abc')", "not a constant"),
    ("(-8) ** 0.5", "not real"),
    ("{[1]: 2}", "unhashable"),
    (" + ".join(["1"] * 1500), "RecursionError"),
], ids=["zero-division", "huge-power", "float-overflow", "long-digits", "bad-int", "complex",
        "unhashable-key", "long-sum"])
def test_constants_that_would_crash_or_exhaust_the_trusted_process_are_refused(constant, words):
    """The module is built in the trusted process: a learner's constant may fail, but only
    as a KernelSourceError naming it, quickly, never as a crash or a memory bomb."""
    cells = [f"import numba\nX = {constant}\n@numba.njit\ndef total(x):\n    return X\n"]
    with pytest.raises(KernelSourceError, match=words):
        kernel_module(cells, "total")


def test_a_cell_too_deep_for_the_parser_defines_nothing():
    with pytest.raises(KernelSourceError, match="defines no kernel 'total'"):
        kernel_module(["X = " + "-" * 100_000 + "1\n"], "total")


def test_a_missing_kernel_says_so():
    with pytest.raises(KernelSourceError, match="defines no kernel 'total'"):
        kernel_module(["x = 1\n"], "total")


def test_a_live_kernel_is_rebuilt_from_its_source():
    @numba.njit(fastmath={"reassoc", "nsz"})
    def live_sum(data):
        total = 0.0
        for i in range(data.shape[0]):
            total += data[i]
        return total

    candidate = KernelCandidate.from_function(live_sum, "sum_array")
    assert candidate.stateless and "def live_sum" in candidate.source
    func = load_payload(candidate.payload(), in_worker=False)[1]
    assert func(np.ones(7)) == 7.0
    with pytest.raises(KernelSourceError, match="not a numba kernel"):
        KernelCandidate.from_function(len)


def _measure(cells: list[str], name: str):
    spec = SpeedSpec(size=4096, threshold=1.0, reps=3, best_of=1, warmup=1, reuse=2,
                     batch_ms=2.0, grey_zone=0.0, measure_memory=False, seed=3)
    candidate = KernelCandidate(kernel_module(cells, name), name, "test")
    return measure_speed(spec, inputs=ModuleCandidate(SPEED, "make_sum_array"),
                         expected=ModuleCandidate(SPEED, "expected_sum_array").load_here(),
                         baseline=ModuleCandidate(SPEED, "ai_sum_array"), candidate=candidate)


def test_reused_inputs_are_read_only_so_no_answer_can_be_left_in_them():
    # The kernel would stash its answer in the array for the next call on the same input.
    report = _measure(["import numba\n@numba.njit\ndef sum_array(data):\n"
                       "    if data[0] == -1.0:\n        return data[1]\n"
                       "    total = data.sum()\n    data[0] = -1.0\n    data[1] = total\n"
                       "    return total\n"], "sum_array")
    assert not report.passed and "read" in report.reason.lower(), str(report)


def test_reuse_needs_a_stateless_candidate():
    spec = SpeedSpec(size=100, threshold=1.0, reuse=2)
    with pytest.raises(ValueError, match="KernelCandidate"):
        measure_speed(spec, inputs=ModuleCandidate(SPEED, "make_sum_array"),
                      expected=ModuleCandidate(SPEED, "expected_sum_array").load_here(),
                      baseline=ModuleCandidate(SPEED, "ai_sum_array"),
                      candidate=ModuleCandidate(SPEED, "ai_sum_array"))


def test_a_correct_kernel_passes_with_reused_inputs():
    report = _measure(["import numba\n@numba.njit(fastmath={'reassoc', 'nsz'})\n"
                       "def sum_array(data):\n    total = 0.0\n"
                       "    for i in range(data.shape[0]):\n        total += data[i]\n"
                       "    return total\n"], "sum_array")
    assert report.passed, str(report)
    assert report.batches["candidate"][1] == 2, report.batches
