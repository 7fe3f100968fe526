"""How a cost grows with the input: the slope of log(cost) against log(n).

    fit = fit_growth([1_000, 4_000, 16_000], [0.002, 0.031, 0.5])
    fit.slope            # 1.99: the cost grows like n^2
    fit.predict(100e6)   # the cost at 100M rows, on the fitted line

A least-squares line through the points in log-log space. Its slope is the exponent of a
power law (a cost that grows like n log n fits a slope a little above 1 over a few decades),
and it is what the growth check grades: constant factors (a faster or slower machine, a
busier core) move the line up or down but do not tilt it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GrowthFit:
    """``cost ~ scale * n ** slope``, fitted on ``points`` sizes; ``spread`` is the largest
    distance of a point from the line, as a factor (1.0 = every point on it)."""

    slope: float
    log_scale: float
    points: int
    spread: float

    def predict(self, n: float) -> float:
        """The fitted cost at size ``n`` (> 0)."""
        if not n > 0:
            raise ValueError(f"n must be > 0, got {n!r}")
        return math.exp(self.log_scale + self.slope * math.log(n))

    def words(self) -> str:
        """"grows like n^1.0"."""
        return f"grows like n^{round(self.slope, 1) + 0.0:.1f}"  # + 0.0: never "n^-0.0"


def fit_growth(sizes: Sequence[float], costs: Sequence[float]) -> GrowthFit:
    """Fit ``costs`` (seconds, bytes: anything > 0) measured at ``sizes`` (> 0, at least
    two distinct). Bad input raises ValueError naming the problem."""
    n = np.asarray(sizes, dtype=float)
    c = np.asarray(costs, dtype=float)
    if n.ndim != 1 or c.shape != n.shape:
        raise ValueError(f"sizes and costs must be two lists of the same length, got "
                         f"{n.shape} and {c.shape}")
    if not (np.all(np.isfinite(n)) and np.all(n > 0)):
        raise ValueError(f"sizes must be finite and > 0, got {list(sizes)}")
    if not (np.all(np.isfinite(c)) and np.all(c > 0)):
        raise ValueError(f"costs must be finite and > 0, got {list(costs)}")
    if len(np.unique(n)) < 2:
        raise ValueError(f"a slope needs at least two distinct sizes, got {list(sizes)}")
    x, y = np.log(n), np.log(c)
    slope, intercept = np.polyfit(x, y, 1)
    spread = float(np.exp(np.max(np.abs(y - (intercept + slope * x)))))
    return GrowthFit(float(slope), float(intercept), int(len(n)), spread)
