"""The sizes a growth check times, drawn afresh for every run.

A grid spread geometrically over [low, high], each point moved by up to ``jitter`` of a grid
step in log space: the points stay in order and spread out (so the slope is well defined),
but no run uses the sizes of another, so a function tuned to (or special-casing) the sizes it
once saw meets different ones. ``fractions`` returns the positions in [0, 1] so that the AI
version, timed over its own smaller range, is timed at the same relative positions.
"""

from __future__ import annotations

import math

import numpy as np

JITTER = 0.4  # of a grid step: neighbours never cross, and never come closer than 0.2 step


def fractions(rng: np.random.Generator, points: int, jitter: float = JITTER) -> list[float]:
    """``points`` increasing positions in [0, 1]: i/(points-1) moved by +-jitter/(points-1),
    clipped at the ends."""
    if points < 2:
        raise ValueError(f"points must be >= 2, got {points}")
    if not 0 <= jitter < 0.5:
        raise ValueError(f"jitter must be in [0, 0.5), got {jitter}")
    step = 1.0 / (points - 1)
    moved = [(i + rng.uniform(-jitter, jitter)) * step for i in range(points)]
    return [min(1.0, max(0.0, f)) for f in moved]


def sizes_at(low: int, high: int, where: list[float]) -> list[int]:
    """The integer sizes at positions ``where`` of a log scale from ``low`` to ``high``,
    made distinct (a position that rounds onto its neighbour moves up by one)."""
    if not 1 <= low < high:
        raise ValueError(f"need 1 <= low < high, got {low}, {high}")
    span = math.log(high / low)
    out: list[int] = []
    for f in where:
        n = max(low, min(high, round(low * math.exp(f * span))))
        if out and n <= out[-1]:
            n = out[-1] + 1
        out.append(n)
    return out
