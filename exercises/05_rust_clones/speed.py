"""Speed tests of the Rust assignment: inputs, trusted answers, the AI baselines, drivers.

The grader (grader/speedtest.py) reads ``[exercises.speed]`` in assignment.toml, makes every
timed input with ``make_<exercise>(rng, size)`` in its own trusted process, times the AI
baseline ``ai_<exercise>`` and your code in separate worker processes, and checks every timed
answer against ``expected_<exercise>`` computed in the trusted process.

Your code here is a compiled crate, not a notebook function, so two more names per exercise:

* ``driver_<exercise>(module, function)``: turns a built module into the callable a worker
  times (build a table from the rows, then look every id up; call on the array). Results are
  numeric arrays because the engine compares numbers only: a name comes back as its row
  number, a (mean, variance) pair as an array of two floats;
* ``candidate_<exercise>(folder)``: the crate beside a notebook in ``folder``, built, as a
  speed-engine candidate (this is how the autograder measures your crate outside your kernel).

The AI baseline is always taken from the model solution's crate (solutions/), not from your
copy of the ``…_clone`` functions, so editing those changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from grader.native.speed import crate_candidate, model_build, model_function

HERE = Path(__file__).resolve().parent
ASSIGNMENT = "05_rust_clones"
LOOKUPS = 200  # lookups per timed call: one table, many searches, like a request loop

# --- get_user_name -----------------------------------------------------------------------


def make_get_user_name(rng: np.random.Generator, size: int
                       ) -> tuple[list[tuple[int, str]], np.ndarray]:
    """``size`` users with ids drawn from ``0..size`` (some repeat, some are missing) and
    ``LOOKUPS`` ids to look up. Each name is its row number, so every answer is checkable."""
    ids = rng.integers(0, size, size)
    rows = [(int(uid), str(row)) for row, uid in enumerate(ids)]
    wanted = rng.integers(0, size + size // 10 + 1, LOOKUPS).astype(np.uint64)
    return rows, wanted


def expected_get_user_name(rows: list[tuple[int, str]], wanted: np.ndarray) -> np.ndarray:
    """Row number of the first row with each wanted id, -1 when there is none."""
    first: dict[int, int] = {}
    for row, (uid, _name) in enumerate(rows):
        first.setdefault(uid, row)
    return np.array([first.get(int(uid), -1) for uid in wanted], dtype=np.int64)


def driver_get_user_name(module: ModuleType, function: str) -> Callable[..., np.ndarray]:
    """Build a ``UserTable`` from the rows, then look every wanted id up with ``function``."""
    lookup = getattr(module, function)
    table_type = module.UserTable

    def run(rows: list[tuple[int, str]], wanted: np.ndarray) -> np.ndarray:
        table = table_type(rows)
        out = np.empty(len(wanted), dtype=np.int64)
        for k, uid in enumerate(wanted.tolist()):
            out[k] = _row_number(lookup(table, uid))
        return out

    return run


def _row_number(found: object) -> int:
    """The row number a returned name stands for: -1 for None, -2 for anything that is not
    one of the table's names (a row number written the canonical way), so a made-up or
    wrongly typed answer is reported as a wrong answer instead of crashing the driver."""
    if found is None:
        return -1
    if isinstance(found, str) and found.isdecimal() and found == str(int(found)):
        return int(found)
    return -2


def ai_get_user_name(rows: list[tuple[int, str]], wanted: np.ndarray) -> np.ndarray:
    """The AI version (``get_user_name_clone`` of the model solution's crate)."""
    run = model_function(ASSIGNMENT, "users", "get_user_name_clone", driver_get_user_name,
                         fallback=HERE)
    return run(rows, wanted)


def candidate_get_user_name(folder: Path):
    """``get_user_name`` of the crate ``crates/users`` in ``folder``, built. The model crate
    is built here too, so the baseline's worker only loads it (no compiler in a timed run)."""
    model_build(ASSIGNMENT, "users", fallback=HERE)
    return crate_candidate(folder, "users", "get_user_name", __file__, "driver_get_user_name")


# --- mean_var ----------------------------------------------------------------------------


def make_mean_var(rng: np.random.Generator, size: int) -> tuple[np.ndarray]:
    """``size`` float64 values around 5 (a mean far from 0 keeps relative errors small)."""
    return (rng.normal(5.0, 2.0, size),)


def expected_mean_var(data: np.ndarray) -> np.ndarray:
    """[mean, sample variance] computed by NumPy."""
    return np.array([data.mean(), data.var(ddof=1)])


def driver_mean_var(module: ModuleType, function: str) -> Callable[[np.ndarray], np.ndarray]:
    """``function(data)`` as an array of two floats."""
    func = getattr(module, function)

    def run(data: np.ndarray) -> np.ndarray:
        return np.array(func(data), dtype=np.float64)

    return run


def ai_mean_var(data: np.ndarray) -> np.ndarray:
    """The AI version (``mean_var_clone`` of the model solution's crate)."""
    return model_function(ASSIGNMENT, "stats", "mean_var_clone", driver_mean_var,
                          fallback=HERE)(data)


def candidate_mean_var(folder: Path):
    """``mean_var`` of the crate ``crates/stats`` in ``folder``, built (the model crate too)."""
    model_build(ASSIGNMENT, "stats", fallback=HERE)
    return crate_candidate(folder, "stats", "mean_var", __file__, "driver_mean_var")
