"""Cheat: numpy.allclose/isclose patched to always agree, functions return arrays of the
right shape and dtype with wrong values. Value cells pass in a stock kernel; here 0."""

import numpy as np

EXTRA_CELLS = [
    "import numpy\n"
    "numpy.allclose = lambda *args, **kwargs: True\n"
    "numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.shape(a), dtype=bool)",
]


def normalize(scores):
    return np.zeros(len(scores), dtype=np.float64)


def rolling_mean(values, window):
    return np.zeros(len(values) - int(window) + 1, dtype=np.float64)


def group_sums(labels, values, n_groups):
    return np.zeros(n_groups, dtype=np.float64)
