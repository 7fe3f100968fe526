"""Cheat: every grade (test) cell deleted from the notebook; normalize is correct, the rest is
not solved. Expected: nbgrader's add_missing_cells restores the tests from the gradebook and
they run: the 6 normalize points, nothing else."""

import numpy as np

DELETED_CELLS = ["*"]


def normalize(scores):
    try:
        arr = np.array(scores, dtype=np.float64, ndmin=1)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"scores must be numbers: {exc}") from None
    if np.ndim(scores) != 1:
        raise ValueError("expected a one-dimensional sequence of scores")
    if len(arr) == 0:
        raise ValueError("cannot normalize an empty sequence")
    if np.isnan(arr).any() or np.isinf(arr).any():
        raise ValueError("scores contain NaN/inf; only finite values are allowed")
    if arr.min() < 0:
        raise ValueError("negative score found")
    total = np.sum(arr)
    if not total:
        raise ValueError("total is zero")
    return np.divide(arr, total)
