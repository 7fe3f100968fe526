"""Honest but slow versions of chapter 01's exercises: correct answers, NumPy arrays back,
and the per-element Python loop kept. benchmarks/speed_verdicts.py checks the speed test
fails every one of them."""

import numpy as np


def normalize(scores):
    scores = np.asarray(scores, dtype=np.float64)
    total = scores.sum()
    return np.fromiter((s / total for s in scores), dtype=np.float64, count=scores.size)


def rolling_mean(values, window):
    values = np.asarray(values, dtype=np.float64)
    return np.array([values[i:i + window].mean() for i in range(values.size - window + 1)])


def group_sums(labels, values, n_groups):
    out = np.zeros(n_groups)
    for label, value in zip(labels, values, strict=True):
        out[label] += value
    return out
