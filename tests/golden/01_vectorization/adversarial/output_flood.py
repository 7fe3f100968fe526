"""Hostile (not cheating): a cell floods stdout with 26 MB. Expected: the output is capped
per cell, the run finishes, and this otherwise correct submission keeps full marks."""

import numpy as np

EXTRA_CELLS = [
    "import sys\n"
    "for _ in range(400):\n"
    "    sys.stdout.write('x' * 65536 + '\\n')",
]


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


def rolling_mean(values, window):
    from numpy.lib.stride_tricks import sliding_window_view

    if type(window) is bool or not float(window).is_integer() or isinstance(window, float):
        raise TypeError("window must be a whole number")
    data = np.asarray(values, dtype=np.float64)
    if data.ndim != 1:
        raise ValueError("values: one dimension only")
    if window < 1 or window > len(data):
        raise ValueError(f"bad window {window} for {len(data)} values")
    if not np.all(np.isfinite(data)):
        raise ValueError("non-finite value (NaN or inf) in values")
    return sliding_window_view(data, int(window)).mean(axis=1)


def group_sums(labels, values, n_groups):
    labels = np.asarray(labels)
    values = np.asarray(values, dtype=np.float64)
    if not isinstance(n_groups, int) or n_groups < 0:
        raise ValueError("n_groups must be an int >= 0")
    if len(labels) != len(values):
        raise ValueError(f"length mismatch: {len(labels)} labels, {len(values)} values")
    if labels.dtype.kind not in "iu" and len(labels):
        raise TypeError("labels must have an integer dtype")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite")
    if len(labels) and (labels < 0).any() | (labels >= n_groups).any():
        raise ValueError("label out of range")
    out = np.zeros(n_groups)
    np.add.at(out, labels.astype(np.int64), values)
    return out
