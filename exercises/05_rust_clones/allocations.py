"""Allocation tests of the Rust assignment, counted outside your kernel when graded.

``[exercises.allocations]`` in assignment.toml names each exercise's grade cell and crate;
grader/native/allocations.py builds your crate and runs these cases in a fresh process that
loads only the compiled module, with malloc and friends counted at the C library, on every
call (fresh inputs each time, the first call included). ``check()`` in your notebook shows
the crate's own counter on the public tests instead; both count Rust heap allocations.

Each case: ``make(rng)`` makes plain data, ``args(module, data)`` the call's arguments (a new
``UserTable`` per call), ``expected(data)`` the right answer: an allocation count only counts
for a right answer. CPython's own blocks (the ``str`` made from a returned ``String``) are
counted apart and only held to a loose limit.
"""

from __future__ import annotations

import random

import numpy as np

from grader.native.allocations import Case

LOOKUP_WHY = ("Each clone of the table copies the Vec and every name in it; returning a String "
              "copies the name once more. Borrow the table and return a &str.")
REPORT_WHY = ("format!, .to_string() and .clone() each allocate a new String per row, a Vec of "
              "lines grows, and a String that outgrows its capacity reallocates. Size one "
              "String with String::with_capacity and write every line into it.")
COPY_WHY = ("A Vec<f64> parameter makes PyO3 copy the whole array (8 bytes per value), and "
            ".clone() or .collect() copy it again. Take a PyReadonlyArray1<f64> and read it in "
            "place.")


# --- get_user_name -----------------------------------------------------------------------

def _users(n: int, modulo: int | None = None):
    def make(rng: np.random.Generator) -> list[tuple[int, str]]:
        shift = int(rng.integers(0, 1000))  # names differ from call to call
        return [(i % modulo if modulo else i, f"person number {i + shift}") for i in range(n)]
    return make


def _lookup(wanted: int, n: int, modulo: int | None = None) -> dict:
    make_rows = _users(n, modulo)
    return dict(
        function="get_user_name",
        make=lambda rng: (make_rows(rng), wanted),
        args=lambda module, data: (module.UserTable(data[0]), data[1]),
        expected=lambda data: next((name for uid, name in data[0] if uid == data[1]), None),
        max_events=0, max_bytes=0, why=LOOKUP_WHY)


GET_USER_NAME = [
    Case(call="warm-up get_user_name(<UserTable of 1 user>, 0)", warmup=True,
         **_lookup(0, 1)),
    Case(call="get_user_name(<UserTable of 1,000 users>, 500)", **_lookup(500, 1000)),
    Case(call="get_user_name(<UserTable of 1,000 users>, 5000)", **_lookup(5000, 1000)),
    Case(call="get_user_name(<UserTable of 100,000 users>, 69999)",
         **_lookup(69_999, 100_000, 70_000)),
    Case(call="get_user_name(<UserTable of 100,000 users>, 123456)",
         **_lookup(123_456, 100_000, 70_000)),
]


# --- build_report ------------------------------------------------------------------------

def _report_text(rows) -> str:
    return "\n".join(f"{name}: {score:.2f}" for name, score in rows)


def _random_rows(n: int):
    alphabet = "abcdefghijklmnopqrstuvwxyz éüß☃名前🙂"

    def make(rng: np.random.Generator) -> tuple[list[tuple[str, float]]]:
        r = random.Random(int(rng.integers(0, 2**31)))
        return ([("".join(r.choices(alphabet, k=r.randrange(1, 24))), r.uniform(-1e6, 1e6))
                 for _ in range(n)],)
    return make


def _report(n: int, max_events: int) -> dict:
    return dict(function="build_report", make=_random_rows(n),
                args=lambda module, data: (list(data[0]),),
                expected=lambda data: _report_text(data[0]), max_events=max_events,
                why=REPORT_WHY)


BUILD_REPORT = [
    Case(call="warm-up build_report([('a', 1.0)])", warmup=True, **_report(1, 1)),
    Case(call="build_report(<1,000 rows>)", **_report(1000, 1)),
    Case(call="build_report(<10,000 rows>)", **_report(10_000, 1)),
    Case(call="build_report([('one', 1.0)])", function="build_report",
         make=lambda rng: ([("one", 1.0)],), args=lambda module, data: (list(data[0]),),
         expected=lambda data: "one: 1.00", max_events=1, why=REPORT_WHY),
    Case(call="build_report([])", function="build_report", make=lambda rng: ([],),
         args=lambda module, data: ([],), expected=lambda data: "", max_events=0,
         why="String::new() and String::with_capacity(0) do not allocate."),
]


# --- mean_var ----------------------------------------------------------------------------

def _close_pair(got, want) -> bool:
    return (isinstance(got, tuple) and len(got) == 2
            and bool(np.allclose(got, want, rtol=1e-9, atol=0.0, equal_nan=True)))


def _stats(n: int, step: int = 1) -> dict:
    def make(rng: np.random.Generator) -> tuple[np.ndarray]:
        return (rng.normal(5.0, 2.0, n * step)[::step],)

    return dict(function="mean_var", make=make, args=lambda module, data: (data[0],),
                expected=lambda data: (float(data[0].mean()), float(data[0].var(ddof=1))),
                same=_close_pair, max_events=1, max_bytes=256, why=COPY_WHY)


# rust-numpy records each borrow in a small table: one allocation of ~200 bytes per call.
MEAN_VAR = [
    Case(call="warm-up mean_var(<2 float64>)", warmup=True, **_stats(2)),
    Case(call="mean_var(<1,000,000 float64>)", **_stats(1_000_000)),
    Case(call="mean_var(<1,500,001 strided float64>)", **_stats(1_500_001, step=2)),
    Case(call="mean_var(<2 float64>)", **_stats(2)),
    Case(call="mean_var([1.0, 2.0, 3.0])", function="mean_var",
         make=lambda rng: ([1.0, 2.0, 3.0],), raises="TypeError", calls=1),
    Case(call="mean_var(np.ones(3, dtype=float32))", function="mean_var",
         make=lambda rng: (np.ones(3, dtype=np.float32),), raises="TypeError", calls=1),
]

CASES = {"get_user_name": GET_USER_NAME, "build_report": BUILD_REPORT, "mean_var": MEAN_VAR}
