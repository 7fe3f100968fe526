"""Is a returned array the right answer? Compared in the trusted parent.

The expected value comes from the exercise's ``expected(*args)`` computed here in float64
(never from the AI baseline, which may return a list, or from the candidate).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Comparator = Callable[[np.ndarray, np.ndarray], "str | None"]

# What a production function may return: an ndarray, a numpy scalar, or a Python number.
# Lists and tuples (what the AI baseline returns) are refused for candidates.
_SCALAR_TYPES = frozenset({"builtins.float", "builtins.int", "builtins.complex",
                           "builtins.bool"})


def acceptable_type(type_name: str) -> bool:
    """True for numpy.ndarray, numpy scalars and Python numbers (the worker's type names)."""
    if type_name == "numpy.ndarray" or type_name in _SCALAR_TYPES:
        return True
    module, _, name = type_name.rpartition(".")
    return module == "numpy" and isinstance(getattr(np, name, None), type) and issubclass(
        getattr(np, name), np.generic)


def expected_value(expected: Callable[..., Any], args: tuple[Any, ...]) -> np.ndarray:
    """Run the trusted ``expected`` on the parent's own copy of the inputs.

    Raises TypeError when it returns something that is not numeric.
    """
    value = np.asarray(expected(*args))
    if value.dtype.kind not in "biufc":
        raise TypeError(f"expected() returned dtype {value.dtype}, not a numeric array")
    return value


def compare_result(got: np.ndarray, type_name: str, want: np.ndarray, *, dtype: str | None,
                   rtol: float, atol: float, strict: bool,
                   comparator: Comparator | None = None) -> str | None:
    """None when ``got`` is right, else one line saying what differed.

    ``strict`` (candidates and references) also requires an ndarray/numpy scalar type and,
    when ``dtype`` is given, exactly that dtype; the AI baseline is only checked for values.
    Shapes must always match: a scalar (0-d, what a returned float becomes) is not an array
    of one element, and the reverse.
    """
    if strict and not acceptable_type(type_name):
        return f"returned {type_name}, not a numpy array"
    if strict and dtype is not None and got.dtype != np.dtype(dtype):
        return f"returned dtype {got.dtype}, expected {np.dtype(dtype)}"
    if got.shape != want.shape:
        return _shape_problem(got, type_name, want)
    if comparator is not None:
        return comparator(got, want)
    kind = "c" if "c" in (got.dtype.kind, want.dtype.kind) else "f"
    calc = np.complex128 if kind == "c" else np.float64
    got_c, want_c = got.astype(calc), want.astype(calc)
    close = np.isclose(got_c, want_c, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    if got.ndim == 0:
        return f"got {got_c.item()!r}, expected {want_c.item()!r} (rtol={rtol:g}, atol={atol:g})"
    bad = np.flatnonzero(~close.reshape(-1))
    first = int(bad[0])
    index = np.unravel_index(first, got.shape)
    where = f" at index {index[0] if len(index) == 1 else index}"
    g, w = got_c.reshape(-1)[first].item(), want_c.reshape(-1)[first].item()
    return (f"{bad.size} of {got.size} values differ (rtol={rtol:g}, atol={atol:g}); "
            f"first{where}: got {g!r}, expected {w!r}")


def _shape_problem(got: np.ndarray, type_name: str, want: np.ndarray) -> str:
    # A scalar and an array of one element are different answers (callers do arithmetic
    # with one and index the other), so neither is accepted in place of the other.
    return (f"returned {_kind_of(got, type_name.removeprefix('builtins.'))}, expected "
            f"{_kind_of(want, str(want.dtype))}")


def _kind_of(value: np.ndarray, type_name: str) -> str:
    return f"a scalar ({type_name})" if value.ndim == 0 else f"an array of shape {value.shape}"
