"""Hostile: the function under test ends the process with os._exit(0), a "clean" exit,
hoping the grade cells that never ran count as passed (nbgrader #427). rolling_mean and
group_sums are correct but their cells come after the kernel's death. Expected: every grade
cell that did not report scores 0."""

import numpy as np


def normalize(scores):
    import os

    os._exit(0)


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
