"""How a function's cost grows with its input, measured from outside and graded by slope.

    from grader.growth import fit_growth
    fit_growth(sizes, seconds).slope

Chapter 08 (solutions/08_scale) grades code that works today and falls over at 10x load:
a join that is quadratic, a query that scans, a cache that never forgets.
"""

from __future__ import annotations

from grader.growth.fit import GrowthFit, fit_growth

__all__ = ["GrowthFit", "fit_growth"]
