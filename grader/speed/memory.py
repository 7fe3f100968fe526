"""Peak extra memory of one call: tracemalloc inside the worker, peak RSS from outside.

tracemalloc sees every Python object and every numpy buffer (numpy reports its data
allocations to tracemalloc), so a list of 1M Python floats shows up as ~32 MB against the
8 MB of the float64 input. It runs inside the worker, so candidate code could tamper with
it; the parent therefore also reads the worker's peak RSS (VmHWM) after resetting it through
/proc/<pid>/clear_refs. psutil exposes RSS but not the resettable high-water mark, which is
why that part reads /proc directly.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from grader.speed.spec import MemoryReport


def input_bytes(args: tuple[Any, ...]) -> int:
    """Bytes of the array arguments (scalars count as 0)."""
    return int(sum(a.nbytes for a in args if isinstance(a, np.ndarray)))


def traced_peak_bytes(func: Callable[..., Any], args: tuple[Any, ...]) -> int:
    """Worker side: peak bytes allocated during ``func(*args)`` (result included).

    The result stays alive until the peak is read because it is part of what the call
    costs (normalize's output array is its one legitimate O(n) allocation).
    """
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = func(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return max(0, peak - base)


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_peak_rss(pid: int) -> int | None:
    """Parent side: reset the worker's VmHWM to its current RSS; returns RSS bytes or None.

    Writing "5" to clear_refs resets the peak-RSS counter (proc(5)); None when that is not
    permitted or /proc is missing, so the RSS opinion is simply absent.
    """
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return None
    rss = _status_kb(pid, "VmRSS")
    return None if rss is None else rss * 1024


def peak_rss(pid: int) -> int | None:
    """Parent side: the worker's peak RSS (VmHWM) in bytes, or None."""
    hwm = _status_kb(pid, "VmHWM")
    return None if hwm is None else hwm * 1024


def memory_report(in_bytes: int, traced: int, rss_before: int | None,
                  rss_peak: int | None) -> MemoryReport:
    """Combine both opinions; the ratio uses the larger one (either can under-count: RSS
    misses reused freed pages, tracemalloc misses allocations made outside Python/numpy)."""
    rss_extra = None if rss_before is None or rss_peak is None else max(0, rss_peak - rss_before)
    worst = max(traced, rss_extra or 0)
    return MemoryReport(input_bytes=in_bytes, tracemalloc_bytes=traced, rss_bytes=rss_extra,
                        ratio=worst / max(in_bytes, 1))
