"""Correct except at two boundaries, the article's own failure modes: partial marks expected.

* rolling_mean rejects a window equal to the data length (`>=` where `>` was meant);
* normalize casts to float64 *after* summing, so a large int64 sum wraps around.
"""

import numpy as np


def normalize(scores):
    x = np.asarray(scores)
    if x.ndim != 1:
        raise ValueError("scores must be 1-D")
    if x.size == 0:
        raise ValueError("scores is empty")
    if x.dtype.kind not in "iuf":
        raise TypeError("scores must be numbers")
    if not np.isfinite(x).all():
        raise ValueError("scores must be finite")
    if (x < 0).any():
        raise ValueError("negative scores")
    total = x.sum()
    if total == 0:
        raise ValueError("sum is zero")
    return x.astype(np.float64) / total


def rolling_mean(values, window):
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("values must be 1-D")
    if isinstance(window, bool) or not isinstance(window, int | np.integer):
        raise TypeError("window must be an integer")
    if window < 1 or window >= x.size:
        raise ValueError("window out of range")
    if not np.isfinite(x).all():
        raise ValueError("values must be finite")
    c = np.concatenate(([0.0], np.cumsum(x - x.mean())))
    return (c[window:] - c[:-window]) / window + x.mean()


def group_sums(labels, values, n_groups):
    labels = np.asarray(labels)
    values = np.asarray(values, dtype=np.float64)
    if isinstance(n_groups, bool) or not isinstance(n_groups, int) or n_groups < 0:
        raise ValueError("n_groups must be a non-negative integer")
    if labels.shape != values.shape or labels.ndim != 1:
        raise ValueError("labels and values must be 1-D of the same length")
    if labels.size and labels.dtype.kind not in "iu":
        raise TypeError("labels must be integers")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite")
    if labels.size and (labels.min() < 0 or labels.max() >= n_groups):
        raise ValueError("label out of range")
    return np.bincount(labels.astype(np.intp), weights=values, minlength=n_groups).astype(float)
