"""CPU time of another process, read from outside it.

The candidate's own process can patch any clock it reads (``time.perf_counter``,
``time.process_time``), so the trusted parent reads the worker's CPU time from the kernel.

Primary source: the POSIX per-process CPU clock (``clock_getcpuclockid(pid)`` read with
``time.clock_gettime_ns``). It is the kernel's ``sum_exec_runtime`` of all threads in ns,
including threads that already exited. psutil has no such call (its ``cpu_times`` are in
10 ms clock ticks), which is why this module calls libc via ctypes.

The catch: for *another* process, that sum leaves out what its threads that are on a CPU
right now have run since their last scheduler tick or context switch (Linux 4.8, commit
a1eb1411b4e4 "sched/cputime: Improve scalability by not accounting thread group tasks
pending runtime"; with RLIMIT_CPU set, as in the sandbox, the group's cputimer is read,
which has the same lag). A worker that has just sent "done" is still on its CPU for a few
microseconds; read then, a 1 ms batch run between two ticks measured as zero (seen here:
three reads in a row returned the same nanosecond). So `WorkerClock.read_ns` first waits
until no thread of the worker is running: a thread that blocked or was preempted has had
its runtime brought up to date by the scheduler. A thread that keeps running (a
candidate's background spinner) is reported as `ClockUnsettled` instead of a number that
could be a tick short.

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


class ClockUnsettled(RuntimeError):
    """A thread of the worker kept running when its CPU time had to be read."""


def running_threads(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Thread ids of ``pid`` in state R (on a CPU or waiting for one), from /proc.

    ProcessLookupError when the process is gone; threads exiting meanwhile are skipped.
    """
    task_dir = proc / str(pid) / "task"
    try:
        tids = os.listdir(task_dir)
    except FileNotFoundError as exc:
        raise ProcessLookupError(pid) from exc
    running = []
    for tid in tids:
        try:
            text = (task_dir / tid / "stat").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # "tid (comm) S ...": comm may hold spaces and parentheses, the state follows the
        # last ")".
        state = text[text.rfind(b")") + 2:text.rfind(b")") + 3]
        if state == b"R":
            running.append(int(tid))
    return running


# How long a read waits for the worker's threads to stop running. An honest worker blocks
# within microseconds of replying; a preempted one runs again within a few scheduler
# periods even on a loaded machine.
SETTLE_SECONDS = 0.5


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

    def settle(self, limit: float = SETTLE_SECONDS) -> None:
        """Wait until no thread of the worker (and of its live descendants, once seen) is
        running, so that its CPU time is up to date; ClockUnsettled after ``limit`` s."""
        pids = [self.pid]
        if self.with_descendants:
            try:
                pids += [child.pid for child in self._proc.children(recursive=True)]
            except psutil.NoSuchProcess as exc:
                raise ProcessLookupError(self.pid) from exc
        deadline = time.monotonic() + limit
        pause = 0.0
        while True:
            busy = []
            for pid in pids:
                try:
                    busy += running_threads(pid)
                except ProcessLookupError:
                    if pid == self.pid:
                        raise
            if not busy:
                return
            if time.monotonic() >= deadline:
                raise ClockUnsettled(
                    f"thread(s) {busy} of the worker kept running for {limit:g} s when its "
                    "CPU time was read")
            time.sleep(pause)  # 0 first: just yield; then back off to 1 ms
            pause = min(0.001, pause + 0.0002)

    def read_ns(self) -> int:
        """Total CPU ns so far, read once `settle` returns; ProcessLookupError when the
        worker is gone, ClockUnsettled (see `settle`)."""
        self.settle()
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
