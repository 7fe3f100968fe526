"""Public tests of the SIMD assignment.

``check("sum_array")`` runs them in your notebook; the grade cells run them too, followed by
hidden tests. What is graded, per kernel:

* values: against the exactly rounded sum (``math.fsum``) on awkward lengths, within the
  error any summation order may make (``speed.sum_tolerance``); NaN stays NaN;
* SIMD: the kernel's machine code, compiled in a separate worker process from the kernel's
  own source alone (grader/speed/kernels.py), has packed floating-point additions
  (``vaddpd``, ``vfmadd231pd`` ...) inside a loop that loads whole vectors, and on
  cache-resident inputs the kernel beats a plain scalar loop by a factor no plain scalar
  loop reaches (the ``simd`` tables in assignment.toml): packed instructions in a listing are not
  enough, the loop that does the work must be the SIMD one;
* speed: grader.speedtest times that same kernel against the AI's scalar loop (speed.py) on
  cache-resident inputs, in worker processes, CPU time read from outside (threshold and size
  in assignment.toml); at grading time it is measured again outside your kernel;
* bandwidth (sum_array): the kernel streams its input, no copy or temporary array: at 6M
  elements its read speed is a fair fraction of a memory copy's speed (read + write), both
  timed in the same rounds. At that size a scalar loop waits for memory too, so this test does
  not tell SIMD from scalar; the SIMD test does.

SIMD and bandwidth are decided by grader/speed/simdcheck.py, here and at grading time alike;
at grading time they are measured outside your kernel, as the speed tests are.

The Mojo exercise takes the path of your ``.mojo`` file: it is compiled (Mojo's own error
message when it does not compile), imported and called on NumPy arrays.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.speed.candidates import import_path
from grader.speed.simdcheck import PACKED_ADD, check_in_kernel
from grader.speedtest import assert_speed
from grader.testing import TestSuite, raises, short

HERE = Path(__file__).resolve().parent
SUPPORT = HERE / "speed.py"
SPEED_TIMEOUT = 400.0  # seconds a speed test may take (workers start, JIT, grey-zone rerun)
MOJO_TIMEOUT = 600.0  # a first Mojo build takes 10-60 s on a busy machine, then the timing

suite = TestSuite()
rng = np.random.default_rng(20261125)


def _support() -> ModuleType:
    """speed.py of this folder, imported by path (the notebook's folder may not be on
    sys.path when checks run from elsewhere) under the one name the speed engine also uses:
    its numba kernels are cached on disk, and the cache records the importing module's name."""
    return import_path(SUPPORT, siblings=False)


support = _support()


# ---- values -------------------------------------------------------------------------------


def assert_close_sum(got: Any, exact: float, terms: np.ndarray, call: str) -> None:
    """``got`` is a float within ``sum_tolerance(terms)`` of ``exact`` (NaN when exact is)."""
    if isinstance(got, np.ndarray) or not isinstance(got, float | np.floating):
        raise AssertionError(f"{call} returned {short(got)} ({type(got).__name__}); "
                             "expected a float")
    got = float(got)
    if math.isnan(exact):
        if not math.isnan(got):
            raise AssertionError(f"{call} returned {got!r}; expected nan: a NaN in the data "
                                 "must not disappear from the result")
        return
    allowed = support.sum_tolerance(terms)
    if not abs(got - exact) <= allowed:
        raise AssertionError(f"{call} returned {got!r}, expected {exact!r} (math.fsum); off by "
                             f"{abs(got - exact):.3g}, allowed {allowed:.3g}")


def _lengths() -> list[int]:
    return support.awkward_lengths(support.vector_width())


def _nan_input(n: int = 1001, where: int = 517) -> np.ndarray:
    data = rng.standard_normal(n)
    data[where] = np.nan  # in the middle of the vector loop, not in the tail
    return data


# ---- SIMD and bandwidth: decided by grader/speed/simdcheck.py --------------------------------
# At grading time these cells are measured outside your kernel, by a process that never runs
# your code, with the same functions; here they run on your kernel's own source, compiled alone.

_PACKED_ADD = PACKED_ADD  # a packed add or FMA: what must sit in the loop


def _require_numba(kernel: Any, name: str) -> None:
    from numba.core.dispatcher import Dispatcher

    if not isinstance(kernel, Dispatcher):
        raise AssertionError(f"{name} is a {type(kernel).__name__}, not a numba kernel: "
                             f"decorate it with @numba.njit(...) directly")


def assert_simd(kernel: Any, name: str) -> str:
    """Packed additions inside a loop of ``kernel``'s machine code (compiled alone, in a
    worker), and a throughput on cache-resident data that no scalar loop reaches (the
    ``simd`` table in assignment.toml); else AssertionError saying which is missing."""
    _require_numba(kernel, name)
    return check_in_kernel("simd", HERE, name, kernel)


# ---- speed --------------------------------------------------------------------------------


def _call_once(func: Any, *args: Any) -> None:
    """One cheap call in this kernel first: an unfinished exercise fails in a second with
    "not implemented yet" instead of after starting worker processes."""
    func(*args)


# ==== sum_array ============================================================================


@suite.test("sum_array_values")
def sums_awkward_lengths(sum_array):
    """awkward lengths (0, 1, around the vector width, 1M+3) match math.fsum"""
    for n in _lengths():
        data = rng.standard_normal(n)
        assert_close_sum(sum_array(data), support.exact_sum(data), data,
                         call=f"sum_array(<{n} values>)")


@suite.test("sum_array_values")
def sums_a_view_that_starts_mid_buffer(sum_array):
    """a view starting at element 3 (not aligned to a vector) is summed completely"""
    data = rng.standard_normal(4 * support.vector_width() + 8)[3:]
    assert_close_sum(sum_array(data), support.exact_sum(data), data,
                     call=f"sum_array(<view of {data.size} values>)")


@suite.test("sum_array_values")
def nan_gives_nan(sum_array):
    """a NaN in the data gives NaN (as np.sum does), never a number"""
    data = _nan_input()
    assert_close_sum(sum_array(data), math.nan, data, call="sum_array(<1001 values, one NaN>)")


@suite.test("sum_array_simd", timeout=SPEED_TIMEOUT)
def sum_array_uses_simd(sum_array):
    """packed SIMD additions in the loop, and a speed no scalar loop reaches"""
    _call_once(sum_array, np.ones(3))
    assert_simd(sum_array, "sum_array")


@suite.test("sum_array_speed", timeout=SPEED_TIMEOUT)
def sum_array_beats_the_scalar_loop(sum_array):
    """faster than the AI's scalar loop by the threshold in assignment.toml"""
    _call_once(sum_array, np.ones(3))
    return assert_speed("sum_array", sum_array)


@suite.test("sum_array_bandwidth", timeout=SPEED_TIMEOUT)
def sum_array_streams_its_input(sum_array):
    """streams its input (no copy, no temporary): 6M elements read at a fair fraction of the
    speed of a memory copy"""
    _call_once(sum_array, np.ones(3))
    check_in_kernel("bandwidth", HERE, "sum_array", sum_array)


# ==== dot ==================================================================================


@suite.test("dot_values")
def dot_awkward_lengths(dot):
    """awkward lengths match math.fsum of the products"""
    for n in _lengths():
        x, y = rng.standard_normal(n), rng.standard_normal(n)
        assert_close_sum(dot(x, y), support.exact_dot(x, y), x * y, call=f"dot(<{n}>, <{n}>)")


@suite.test("dot_values")
def dot_nan_gives_nan(dot):
    """a NaN in either input gives NaN"""
    x = _nan_input()
    y = rng.standard_normal(x.size)
    assert_close_sum(dot(y, x), math.nan, x, call="dot(<1001>, <1001 with a NaN>)")


@suite.test("dot_values")
def dot_rejects_different_lengths(dot):
    """inputs of different lengths raise ValueError (numba does not check bounds)"""
    raises(ValueError, dot, np.ones(5), np.ones(4), match="length",
           call="dot(<5 values>, <4 values>)")


@suite.test("dot_simd", timeout=SPEED_TIMEOUT)
def dot_uses_simd(dot):
    """packed SIMD multiply-adds in the loop, and a speed no scalar loop reaches"""
    _call_once(dot, np.ones(3), np.ones(3))
    assert_simd(dot, "dot")


# ==== sum_positive =========================================================================


@suite.test("sum_positive_values")
def sum_positive_awkward_lengths(sum_positive):
    """awkward lengths match math.fsum of the positive values"""
    for n in _lengths():
        data = rng.standard_normal(n)
        assert_close_sum(sum_positive(data), support.exact_sum_positive(data), data,
                         call=f"sum_positive(<{n} values>)")


@suite.test("sum_positive_values")
def no_positive_values_give_zero(sum_positive):
    """all negative or zero data sums to 0.0"""
    data = -np.abs(rng.standard_normal(37))
    data[::5] = 0.0
    assert_close_sum(sum_positive(data), 0.0, data, call="sum_positive(<37 values <= 0>)")


@suite.test("sum_positive_values")
def sum_positive_nan_gives_nan(sum_positive):
    """a NaN in the data gives NaN: it is missing data, not a non-positive value"""
    data = _nan_input()
    assert_close_sum(sum_positive(data), math.nan, data,
                     call="sum_positive(<1001 values, one NaN>)")


@suite.test("sum_positive_simd", timeout=SPEED_TIMEOUT)
def sum_positive_uses_simd(sum_positive):
    """packed SIMD additions in the loop, and a speed no scalar loop reaches"""
    _call_once(sum_positive, np.ones(3))
    assert_simd(sum_positive, "sum_positive")


@suite.test("sum_positive_speed", timeout=SPEED_TIMEOUT)
def sum_positive_beats_the_branchy_loop(sum_positive):
    """faster than the AI's branchy scalar loop by the threshold in assignment.toml"""
    _call_once(sum_positive, np.ones(3))
    return assert_speed("sum_positive", sum_positive)


# ==== Mojo =================================================================================


def mojo_module(path: Any, module_name: str | None = None) -> ModuleType:
    """Build and import the Mojo file at ``path``; AssertionError saying why when it cannot
    (Mojo missing: "not attempted"; a compile error: Mojo's own message)."""
    from grader.native import mojo

    path = Path(path)
    not_installed = AssertionError("not attempted: Mojo not installed (run `make mojo`, then "
                                   "restart the kernel); the other exercises are graded as usual")
    if not mojo.mojo_available():
        raise not_installed
    # Under `python -m grader autograde` this builds in the sandboxed worker, beside the
    # learner's notebook (grader/classgrade/remote.py): whether the file is there is asked
    # of the build, not of this process's folder.
    try:
        return mojo.build_and_import(path, module_name)
    except mojo.MojoNotInstalled:
        raise not_installed from None
    except FileNotFoundError:
        raise AssertionError(f"{path} not found: the Mojo exercise is the file sum_array.mojo "
                             "beside the notebook") from None
    except mojo.MojoBuildError as exc:
        raise AssertionError(f"{path.name} does not compile. Mojo says:\n{exc.summary}") from None


def _mojo_call(module: ModuleType, data: np.ndarray) -> Any:
    try:
        return module.sum_array(data)
    except Exception as exc:  # a Mojo `raise Error(...)` arrives as a plain Exception
        if str(exc).startswith("not implemented"):
            raise NotImplementedError(str(exc)) from None
        raise


def _mojo_lengths(module: ModuleType) -> list[int]:
    widths = {support.vector_width()}
    try:
        claimed = int(module.simd_width())
        if 1 <= claimed <= 64:
            widths.add(claimed)  # the width the module was compiled with, if it says
    except Exception:  # noqa: BLE001 - the width is a hint; the machine's is always tested
        pass
    lengths = {n for w in widths for n in support.awkward_lengths(w, large=10_000_000)}
    return sorted(lengths)


@suite.test("mojo_sum_values", timeout=MOJO_TIMEOUT)
def mojo_sum_awkward_lengths(mojo_file):
    """compiles; lengths 0, 1, width-1, width, width+1 ... 10M match math.fsum"""
    module = mojo_module(mojo_file)
    for n in _mojo_lengths(module):
        data = rng.standard_normal(n)
        assert_close_sum(_mojo_call(module, data), support.exact_sum(data), data,
                         call=f"sum_array(<{n} values>)")


@suite.test("mojo_sum_values", timeout=MOJO_TIMEOUT)
def mojo_sum_reads_the_arrays_own_memory(mojo_file):
    """a view that starts mid-buffer, and a changed last element, are summed as they are"""
    module = mojo_module(mojo_file)
    data = rng.standard_normal(4 * support.vector_width() + 9)[2:]
    assert_close_sum(_mojo_call(module, data), support.exact_sum(data), data,
                     call=f"sum_array(<view of {data.size} values>)")
    data = np.ones(support.vector_width() + 1)
    data[-1] = 100.0  # exactly the element the article's loop drops
    assert_close_sum(_mojo_call(module, data), float(data.size - 1 + 100), data,
                     call=f"sum_array(<{data.size - 1} ones and 100.0>)")


@suite.test("mojo_sum_speed", timeout=MOJO_TIMEOUT)
def mojo_sum_beats_the_python_style_loop(mojo_file):
    """faster than the article's Python-style Mojo loop by the threshold in assignment.toml"""
    mojo_file = Path(mojo_file).resolve()
    if mojo_file.name != support.MOJO_ANSWER:
        raise AssertionError(f"the Mojo answer file is {support.MOJO_ANSWER}, got {mojo_file}")
    _mojo_call(mojo_module(mojo_file), np.ones(3))
    return assert_speed("mojo_sum_array", support.candidate_mojo_sum_array(mojo_file.parent))
