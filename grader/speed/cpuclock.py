"""CPU time of another process, read from outside it.

The candidate's own process can patch any clock it reads (``time.perf_counter``,
``time.process_time``), so the trusted parent reads the worker's CPU time from the kernel.

Primary source: the POSIX per-process CPU clock (``clock_getcpuclockid(pid)`` read with
``time.clock_gettime_ns``). It is the kernel's ``sum_exec_runtime`` of all threads in ns,
including threads that already exited, and it is brought up to date for threads that are
running right now. psutil has no such call (its ``cpu_times`` are in 10 ms clock ticks),
which is why this module calls libc via ctypes.

``/proc/<pid>/task/*/schedstat`` holds the same counter per thread, but measured on this
machine (Linux 6.18) it lags by up to one scheduler tick (4.6 ms) for a thread that is on a
CPU, and it forgets threads that exited (a thread that ran 500 ms showed 52 ms). It is kept
as the fallback where the libc call is missing.

Work done in child processes is added: live descendants' clocks plus the worker's
``children_user + children_system`` (reaped children, tick resolution).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from pathlib import Path

import psutil

_libc: ctypes.CDLL | None
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    _getcpuclockid = _libc.clock_getcpuclockid
    _getcpuclockid.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    _getcpuclockid.restype = ctypes.c_int
except (OSError, AttributeError):  # not glibc/musl: fall back to schedstat
    _libc = None


def parse_schedstat(text: str) -> tuple[int, int, int]:
    """Parse one ``/proc/<pid>/task/<tid>/schedstat`` line.

    The format (Documentation/scheduler/sched-stats.rst) is three integers: time spent on
    the CPU (ns), time spent waiting on a run queue (ns), number of timeslices run.
    Raises ValueError for anything else (wrong field count, non-integers, negatives).
    """
    fields = text.split()
    if len(fields) != 3:
        raise ValueError(f"schedstat needs 3 fields, got {len(fields)}: {text!r}")
    try:
        values = tuple(int(f) for f in fields)
    except ValueError as exc:
        raise ValueError(f"schedstat fields must be integers: {text!r}") from exc
    if min(values) < 0:
        raise ValueError(f"schedstat fields must be >= 0: {text!r}")
    return values  # type: ignore[return-value]


def schedstat_cpu_ns(pid: int, proc: Path = Path("/proc")) -> int:
    """On-CPU ns summed over the live threads of ``pid`` from schedstat.

    Raises ProcessLookupError when the process is gone; threads that exit while we read
    are skipped (their time is lost anyway, see the module docstring).
    """
    task_dir = proc / str(pid) / "task"
    try:
        tids = os.listdir(task_dir)
    except FileNotFoundError as exc:
        raise ProcessLookupError(pid) from exc
    total = 0
    for tid in tids:
        try:
            total += parse_schedstat((task_dir / tid / "schedstat").read_text())[0]
        except FileNotFoundError:
            continue
    return total


def process_cpu_ns(pid: int) -> int:
    """CPU ns of all threads (live and exited) of ``pid``; ProcessLookupError if gone."""
    if _libc is None:
        return schedstat_cpu_ns(pid)
    clock = ctypes.c_int()
    err = _getcpuclockid(pid, ctypes.byref(clock))
    if err != 0:  # returns the error number instead of setting errno
        if err == 3:  # ESRCH
            raise ProcessLookupError(pid)
        return schedstat_cpu_ns(pid)
    try:
        return time.clock_gettime_ns(clock.value)
    except OSError as exc:  # the process exited between the two calls
        raise ProcessLookupError(pid) from exc


class WorkerClock:
    """CPU ns of one worker plus everything it spawned.

    Finding live descendants means scanning every process in /proc (psutil builds a
    parent map; this kernel has no /proc/<pid>/task/<tid>/children), which took 5 ms with
    ~90 processes: too slow for four reads per call. So `refresh` scans (once per
    repetition) and, once a worker has shown any descendant, every read includes them.
    Children that were started and reaped between scans are still counted, through the
    worker's children_user/children_system times.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._proc = psutil.Process(pid)
        self.with_descendants = False

    def refresh(self) -> bool:
        """Look for live descendants; returns whether reads now include them."""
        try:
            if self._proc.children(recursive=True):
                self.with_descendants = True
        except psutil.NoSuchProcess:
            pass
        return self.with_descendants

    def read_ns(self) -> int:
        """Total CPU ns so far; ProcessLookupError when the worker is gone."""
        total = process_cpu_ns(self.pid)
        try:
            times = self._proc.cpu_times()
            total += int((times.children_user + times.children_system) * 1e9)
            children = self._proc.children(recursive=True) if self.with_descendants else []
        except psutil.NoSuchProcess as exc:
            raise ProcessLookupError(self.pid) from exc
        for child in children:
            try:
                total += process_cpu_ns(child.pid)
            except ProcessLookupError:
                continue
        return total
