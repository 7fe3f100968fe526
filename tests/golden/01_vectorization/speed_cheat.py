"""Correct but slow, dressed up as fast: a Python loop that memoizes on the input, patched
timers, and the grader's speed helper replaced in the kernel. Full marks on correctness,
zero on speed expected (speed is re-measured outside the kernel on fresh inputs)."""

EXTRA_CELLS = [
    "import time\n"
    "time.perf_counter = time.process_time = time.monotonic = lambda: 0.0\n"
    "import grader.speedtest\n"
    "grader.speedtest.assert_speed = lambda *args, **kwargs: None",
]


def normalize(scores):
    import numpy as np

    cache = normalize.__dict__.setdefault("cache", {})
    x = np.asarray(scores)
    key = (id(scores), x.shape, x.dtype.str, x.tobytes()[:64])
    if key in cache:
        return cache[key].copy()
    if x.ndim != 1:
        raise ValueError("scores must be 1-D")
    if x.size == 0:
        raise ValueError("scores is empty")
    if x.dtype.kind not in "iuf":
        raise TypeError("scores must be numbers")
    values = [float(v) for v in x]
    for v in values:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("scores must be finite")
        if v < 0:
            raise ValueError("negative scores are not allowed")
    total = 0.0
    for v in values:
        total += v
    if total == 0:
        raise ValueError("scores sum to zero")
    result = np.array([v / total for v in values])
    cache[key] = result
    return result.copy()
