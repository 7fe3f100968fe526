"""Course code of the SIMD exercises: the AI's kernels, inputs, exact answers, yardsticks.

The speed tests (grader/speedtest.py) read ``[exercises.speed]`` in assignment.toml, make
every timed input with ``make_<exercise>(rng, size)`` in the trusted grading process, time
the AI's kernel ``ai_<exercise>`` and yours in separate worker processes, and check every
timed answer against ``expected_<exercise>``. For the Mojo exercise, ``ai_mojo_sum_array`` is
the article's Python-style loop in sum_array_python_style.mojo, and
``candidate_mojo_sum_array(folder)`` is the sum_array.mojo of a submission folder.
checks.py uses the rest: the exact references and tolerance of the value tests, the input
factories of the SIMD tests, and ``copy_and_sum``, the memory copy the bandwidth test
measures your kernel against.

Grading restores this file from the course: editing your copy changes only your own runs.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numba
import numpy as np

# ---- the AI's versions, verbatim from the exercise notebook: scalar ------------------------


@numba.njit(cache=True)
def ai_sum_array(data):
    total = 0.0
    for val in data:
        total += val
    return total


@numba.njit(cache=True)
def ai_dot(x, y):
    total = 0.0
    for i in range(len(x)):
        total += x[i] * y[i]
    return total


@numba.njit(cache=True)
def ai_sum_positive(data):
    total = 0.0
    for val in data:
        if val > 0:
            total += val
    return total


# ---- the best plain scalar loop where the AI's is worse for another reason: a yardstick ----


@numba.njit(cache=True)
def scalar_sum_positive(data):
    """Indexed, branch-free, no fastmath: ~2x the AI's branchy loop without any SIMD."""
    total = 0.0
    for i in range(data.shape[0]):
        total += max(data[i], 0.0)
    return total


# ---- inputs and exact answers ---------------------------------------------------------------


def make_sum_array(rng: np.random.Generator, size: int) -> tuple[np.ndarray]:
    """Uniform values in [0, 1): a sum with no cancellation, so a relative tolerance is fair."""
    return (rng.random(size),)


def make_sum_positive(rng: np.random.Generator, size: int) -> tuple[np.ndarray]:
    """Standard normal values: half of them negative."""
    return (rng.standard_normal(size),)


def expected_sum_array(data: np.ndarray) -> np.ndarray:
    """The trusted answer of a speed test, in the shape the engine gives a returned float."""
    return scalar_result(np.sum(data))  # pairwise: ~1e-16 relative here, the rtol is 1e-9


def expected_sum_positive(data: np.ndarray) -> np.ndarray:
    return scalar_result(np.sum(data[data > 0]))


def scalar_result(value: float) -> np.ndarray:
    """``value`` shaped like a float returned by a timed function.

    grader.speed sends a returned scalar as shape (1,) (np.ascontiguousarray of a 0-d
    array); asking its protocol which shape it uses keeps this right if that changes.
    """
    from grader.speed import protocol

    header, _ = protocol.result_to_wire(0.0)
    return np.full(tuple(header["shape"]), value)


def make_dot(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    return (rng.random(size), rng.random(size))


def expected_dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return scalar_result(np.dot(x, y))  # products of values in [0, 1): no cancellation


def exact_sum(values: np.ndarray) -> float:
    """The correctly rounded sum (math.fsum); NaN when any value is NaN."""
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).any():
        return math.nan
    return math.fsum(values)


def exact_sum_positive(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    if np.isnan(values).any():
        return math.nan
    return math.fsum(values[values > 0])


def exact_dot(x: np.ndarray, y: np.ndarray) -> float:
    """fsum of the products; each product is rounded once (an FMA skips that rounding, which
    the tolerance allows for)."""
    return math.fsum(np.asarray(x, dtype=np.float64) * np.asarray(y, dtype=np.float64))


def sum_tolerance(terms: np.ndarray) -> float:
    """The error any summation order may make: ``len * 2**-52 * sum(|term|)``.

    A plain left-to-right loop, a SIMD loop with 4 or 16 partial sums and NumPy's pairwise
    sum all stay inside it; dropping or double-counting an element does not.
    """
    terms = np.abs(np.asarray(terms, dtype=np.float64))
    return (terms.size + 1) * 2.0**-52 * math.fsum(terms)


def vector_width() -> int:
    """float64 values per SIMD register on this CPU: 8 (AVX-512), 4 (AVX/AVX2) or 2."""
    from grader.speed.machine import vector_bits

    return vector_bits() // 64


def awkward_lengths(width: int, large: int = 1_000_003) -> list[int]:
    """Lengths where a vector loop's tail handling shows: empty, one, around one vector and
    around one unrolled block of four vectors, an odd mid size, and a large odd one."""
    lengths = [0, 1, width - 1, width, width + 1, 4 * width - 1, 4 * width + 1, 1001, large]
    return sorted(set(n for n in lengths if n >= 0))


# ---- the memory-bandwidth yardstick --------------------------------------------------------


@numba.njit(fastmath={"reassoc", "nsz"}, cache=True)
def _copy_and_sum(src, dst):
    total = 0.0
    for i in range(src.shape[0]):
        value = src[i]
        dst[i] = value
        total += value
    return total


_COPY_TARGET = [np.empty(0)]


def copy_and_sum(data: np.ndarray) -> float:
    """A copy of ``data`` (every byte read once and written once), summed on the way.

    The bandwidth test times it in the same rounds as your kernel, so both meet the same
    load; its copy bandwidth is ``2 * data.nbytes / time`` (read + write). The SIMD sum
    hides behind the memory traffic, and it makes the answer checkable like any other.
    The target buffer is allocated and touched by the first (untimed) call.
    """
    target = _COPY_TARGET[0]
    if target.shape != data.shape:
        target = _COPY_TARGET[0] = np.ones_like(data)
    return _copy_and_sum(data, target)


# ---- the Mojo exercise ------------------------------------------------------------------------

HERE = Path(__file__).resolve().parent
MOJO_BASELINE = "sum_array_python_style.mojo"
MOJO_ANSWER = "sum_array.mojo"

make_mojo_sum_array = make_sum_array
expected_mojo_sum_array = expected_sum_array


def mojo_shim(mojo_file: Path) -> Path:
    """A Python file whose ``sum_array`` is the one of ``mojo_file``, built and imported.

    A speed worker imports it by path, so the compiled Mojo code runs in the worker, not in
    the grading process. Content-addressed under .cache/speed/mojo.
    """
    from grader.speed.environment import cache_dir

    text = ("from pathlib import Path\n\nfrom grader.native.mojo import build_and_import\n\n"
            f"sum_array = build_and_import(Path({str(mojo_file)!r})).sum_array\n")
    path = cache_dir("speed", "mojo") / f"shim_{hashlib.sha256(text.encode()).hexdigest()[:16]}.py"
    if not path.is_file():
        path.write_text(text, encoding="utf-8")
    return path


def prebuild_mojo(mojo_file: Path) -> None:
    """Compile ``mojo_file`` here, once (cached), so workers only load it; a missing Mojo or a
    compile error raises AssertionError with the reason (Mojo's own message)."""
    from grader.native import mojo

    if not mojo.mojo_available():
        raise AssertionError("not attempted: Mojo not installed (run `make mojo`, then "
                             "restart the kernel)")
    if not mojo_file.is_file():
        raise AssertionError(f"{mojo_file.name} not found beside the notebook")
    try:
        mojo.build(mojo_file)
    except mojo.MojoBuildError as exc:
        raise AssertionError(f"{mojo_file.name} does not compile. Mojo says:\n"
                             f"{exc.summary}") from None


def candidate_mojo_sum_array(folder: str | Path) -> Any:
    """The speed candidate of the Mojo exercise: ``folder``/sum_array.mojo (grader hook)."""
    from grader.speed import ModuleCandidate

    answer = Path(folder).resolve() / MOJO_ANSWER
    prebuild_mojo(answer)
    prebuild_mojo(HERE / MOJO_BASELINE)  # the baseline's worker then only loads it
    return ModuleCandidate(mojo_shim(answer), "sum_array")


def __getattr__(name: str) -> Any:
    """``ai_mojo_sum_array``: the Python-style Mojo baseline, built on first use (it needs
    the optional Mojo compiler, so it is not built when this module is imported)."""
    if name == "ai_mojo_sum_array":
        from grader.native.mojo import build_and_import

        return build_and_import(HERE / MOJO_BASELINE).sum_array
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
