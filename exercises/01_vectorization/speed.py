"""Speed tests of the vectorization assignment: inputs, the AI baselines, trusted answers.

The grader (grader/speedtest.py) reads ``[exercises.speed]`` in assignment.toml, makes every
timed input with ``make_<exercise>(rng, size)`` in its own trusted process, times the AI
baseline ``ai_<exercise>`` and your function in separate worker processes, and checks every
timed answer against ``expected_<exercise>`` computed in the trusted process.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

ROLLING_WINDOW = 16
GROUPS = 1000

# --- the AI versions, verbatim from the exercise text -----------------------------------


def ai_normalize(scores):
    total = sum(scores)
    return [s / total for s in scores]


def ai_rolling_mean(values, window):
    out = []
    for i in range(len(values) - window + 1):
        out.append(sum(values[i:i + window]) / window)
    return out


def ai_group_sums(labels, values, n_groups):
    sums = {}
    for label, value in zip(labels, values, strict=False):
        sums[label] = sums.get(label, 0) + value
    return [sums.get(g, 0) for g in range(n_groups)]


# --- inputs: valid under each contract, never seen before by the candidate ---------------


def make_normalize(rng, size):
    return (rng.random(size) + 0.01,)


def make_rolling_mean(rng, size):
    return (1e3 + rng.standard_normal(size), ROLLING_WINDOW)


def make_group_sums(rng, size):
    return (rng.integers(0, GROUPS, size), rng.standard_normal(size), GROUPS)


# --- trusted answers, computed in the grader's own process -------------------------------


def expected_normalize(scores):
    return scores / scores.sum()


def expected_rolling_mean(values, window):
    return sliding_window_view(values, window).mean(axis=1)


def expected_group_sums(labels, values, n_groups):
    out = np.zeros(n_groups)
    np.add.at(out, labels, values)
    return out
