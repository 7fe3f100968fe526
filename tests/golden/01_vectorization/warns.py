"""A correct submission whose functions emit warnings on stderr: full marks expected
(stock nbgrader would zero every grade cell that writes to stderr)."""

import warnings

import numpy as np


def normalize(scores):
    warnings.warn("normalize: this implementation is deprecated", DeprecationWarning,
                  stacklevel=1)
    warnings.warn("normalize: slow path", RuntimeWarning, stacklevel=1)
    x = np.asarray(scores)
    if x.ndim != 1:
        raise ValueError("scores must be 1-D")
    if x.size == 0:
        raise ValueError("scores is empty")
    if x.dtype.kind not in "iuf":
        raise TypeError("scores must be numbers")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("scores must be finite")
    if (x < 0).any():
        raise ValueError("negative scores")
    total = x.sum()
    if total == 0:
        raise ValueError("sum is zero")
    return x / total
