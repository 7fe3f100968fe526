"""Public tests of the Rust `.clone()` assignment.

``check("get_user_name")`` runs them in your notebook against the module you built with
``users = build("users")``; the grade cells build your crate again and run them too, followed
by hidden tests. Allocations are counted by the crate's global allocator (only Rust heap
allocations: the Python ``str`` that PyO3 creates for a return value is not one of them).
Speed is measured by the course's speed engine (grader/speedtest.py, with speed.py) against
the AI version from the model solution's crate, in separate processes; when your notebook is
graded, the grader measures it again outside your kernel. Allocations are graded outside your
kernel too: counted at the C library in a fresh process that loads only your built crate,
every call on fresh inputs (cases in allocations.py).
"""

from __future__ import annotations

import random

import numpy as np

from grader.native.speed import speed_candidate
from grader.native.testing import assert_allocations, rust_test
from grader.speedtest import assert_speed
from grader.testing import TestSuite, raises

suite = TestSuite()
# A speed test's own budget is max_seconds in assignment.toml; this only stops a hang.
SPEED_TIMEOUT = 300.0


# --- get_user_name -----------------------------------------------------------------------

ROWS = [(7, "ada"), (3, "grace"), (7, "duplicate of 7"), (12, "Zoë ☃ 名前")]


@suite.test("get_user_name_correct")
@rust_test
def finds_a_name(users):
    """an id in the table gives its name"""
    table = users.UserTable(ROWS)
    got = users.get_user_name(table, 3)
    assert got == "grace", f"get_user_name(table, 3) returned {got!r}; expected 'grace'"


@suite.test("get_user_name_correct")
@rust_test
def missing_id_gives_none(users):
    """a missing id gives None (not an error, not an empty string)"""
    table = users.UserTable(ROWS)
    got = users.get_user_name(table, 4)
    assert got is None, f"get_user_name(table, 4) returned {got!r}; expected None"
    got = users.get_user_name(users.UserTable([]), 0)
    assert got is None, f"get_user_name(<empty table>, 0) returned {got!r}; expected None"


@suite.test("get_user_name_correct")
@rust_test
def first_duplicate_wins(users):
    """with duplicate ids, the first row wins (as in the AI version)"""
    table = users.UserTable(ROWS)
    got = users.get_user_name(table, 7)
    assert got == "ada", f"get_user_name(table, 7) returned {got!r}; expected 'ada' (row 0)"


@suite.test("get_user_name_correct")
@rust_test
def unicode_names_come_back_intact(users):
    """a name with non-ASCII characters comes back unchanged"""
    table = users.UserTable(ROWS)
    got = users.get_user_name(table, 12)
    assert got == "Zoë ☃ 名前", f"get_user_name(table, 12) returned {got!r}"


@suite.test("get_user_name_correct")
@rust_test
def bad_ids_raise_python_errors(users):
    """None, a negative or a too-large id, and a str id raise TypeError/ValueError"""
    table = users.UserTable(ROWS)
    raises(TypeError, users.get_user_name, table, None, match="int",
           call="get_user_name(table, None)")
    raises(ValueError, users.get_user_name, table, -1, match="64-bit",
           call="get_user_name(table, -1)")
    raises(ValueError, users.get_user_name, table, 2**64, match="64-bit",
           call="get_user_name(table, 2**64)")
    raises(TypeError, users.get_user_name, table, "3", match="int",
           call="get_user_name(table, '3')")


def _table_of(users, n: int):
    return users.UserTable([(i, f"user-{i}") for i in range(n)])


@suite.test("get_user_name_allocations")
@rust_test
def lookup_allocates_nothing_in_rust(users):
    """a lookup in 1,000 users makes 0 Rust heap allocations (found and missing id)"""
    table = _table_of(users, 1000)
    for wanted, name in ((500, "user-500"), (5000, None)):
        assert_allocations(
            users, users.get_user_name, table, wanted, max_events=0, expected=name,
            call=f"get_user_name(<UserTable of 1,000 users>, {wanted})",
            why="Each clone of the table copies the Vec and every name in it; returning a "
                "String copies the name once more. Borrow the table and return a &str.")


@suite.test("get_user_name_speed", timeout=SPEED_TIMEOUT)
@rust_test
def lookup_is_faster_than_the_clone_version(users):
    """faster than the AI version by the threshold in assignment.toml (speed engine)"""
    assert_speed("get_user_name", speed_candidate("get_user_name", users))


# --- build_report ------------------------------------------------------------------------

def _reference_report(rows) -> str:
    return "\n".join(f"{name}: {score:.2f}" for name, score in rows)


def _random_rows(rng: random.Random, n: int) -> list[tuple[str, float]]:
    alphabet = "abcdefghijklmnopqrstuvwxyz éüß☃名前🙂"
    return [("".join(rng.choices(alphabet, k=rng.randrange(1, 24))), rng.uniform(-1e6, 1e6))
            for _ in range(n)]


@suite.test("build_report_correct")
@rust_test
def two_rows(report):
    """two rows give two lines, scores with two decimals, no trailing newline"""
    got = report.build_report([("ada", 91.5), ("grace", 78.25)])
    want = "ada: 91.50\ngrace: 78.25"
    assert got == want, f"build_report([('ada', 91.5), ('grace', 78.25)]) returned {got!r}; " \
                        f"expected {want!r}"


@suite.test("build_report_correct")
@rust_test
def no_rows_give_empty_text(report):
    """no rows give an empty string"""
    got = report.build_report([])
    assert got == "", f"build_report([]) returned {got!r}; expected ''"


@suite.test("build_report_correct")
@rust_test
def unicode_names_and_rounding(report):
    """non-ASCII names, negative scores, ints and rounding match Python's f'{score:.2f}'"""
    rows = [("Zoë", -0.005), ("☃ snow", 2.675), ("名前", 3), ("🙂", 1e9 + 0.125)]
    got = report.build_report(rows)
    want = _reference_report(rows)
    assert got == want, f"build_report({rows!r}) returned {got!r}; expected {want!r}"


@suite.test("build_report_correct")
@rust_test
def random_rows_match_python(report):
    """500 random rows match the same report built in Python"""
    rows = _random_rows(random.Random(5), 500)
    got = report.build_report(rows)
    want = _reference_report(rows)
    if got != want:
        got_lines, want_lines = got.split("\n"), want.split("\n")
        bad = next((i for i, (g, w) in enumerate(zip(got_lines, want_lines, strict=False))
                    if g != w), min(len(got_lines), len(want_lines)))
        raise AssertionError(f"build_report(<500 random rows>): line {bad} is "
                             f"{got_lines[bad] if bad < len(got_lines) else None!r}, expected "
                             f"{want_lines[bad] if bad < len(want_lines) else None!r}")


@suite.test("build_report_correct")
@rust_test
def bad_rows_raise_python_errors(report):
    """None, a row of the wrong length, a non-str name and a NaN score raise clear errors"""
    raises(TypeError, report.build_report, None, match="list", call="build_report(None)")
    raises(ValueError, report.build_report, [("ada",)], match="2 items",
           call="build_report([('ada',)])")
    raises(TypeError, report.build_report, [(1, 2.0)], match="str",
           call="build_report([(1, 2.0)])")
    raises(ValueError, report.build_report, [("ada", float("nan"))], match="finite",
           call="build_report([('ada', nan)])")


@suite.test("build_report_allocations")
@rust_test
def one_allocation_per_report(report):
    """1,000 rows take at most one Rust heap allocation (one String, sized up front)"""
    rows = _random_rows(random.Random(11), 1000)
    assert_allocations(
        report, report.build_report, rows, max_events=1, call="build_report(<1,000 rows>)",
        expected=_reference_report(rows),
        why="format!, .to_string() and .clone() each allocate a new String per row, a Vec of "
            "lines grows, and a String that outgrows its capacity reallocates. Size one String "
            "with String::with_capacity and write every line into it.")


@suite.test("build_report_allocations")
@rust_test
def no_allocation_for_no_rows(report):
    """an empty report allocates nothing"""
    assert_allocations(report, report.build_report, [], max_events=0, call="build_report([])",
                       expected="", why="String::new() and String::with_capacity(0) do not "
                                        "allocate.")


# --- mean_var ----------------------------------------------------------------------------

def _assert_pair(got, want, call: str, rtol: float = 1e-12) -> None:
    if not (isinstance(got, tuple) and len(got) == 2):
        raise AssertionError(f"{call} returned {got!r}; expected a (mean, variance) tuple")
    if not np.allclose(got, want, rtol=rtol, atol=0.0, equal_nan=True):
        raise AssertionError(f"{call} returned {got!r}; expected {tuple(want)!r}")


@suite.test("mean_var_correct")
@rust_test
def mean_and_sample_variance(stats):
    """mean and sample variance (divided by n - 1) of a small array"""
    data = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    _assert_pair(stats.mean_var(data), (5.0, 32.0 / 7.0), "mean_var([2, 4, 4, 4, 5, 5, 7, 9])")


@suite.test("mean_var_correct")
@rust_test
def random_data_matches_numpy(stats):
    """100,000 random values match NumPy's mean and var(ddof=1)"""
    data = np.random.default_rng(3).normal(10.0, 3.0, 100_000)
    _assert_pair(stats.mean_var(data), (data.mean(), data.var(ddof=1)),
                 "mean_var(<100,000 random values>)", rtol=1e-9)


@suite.test("mean_var_correct")
@rust_test
def strided_array_is_read_correctly(stats):
    """a non-contiguous view (data[::3]) gives the statistics of that view"""
    data = np.random.default_rng(4).normal(size=3001)
    view = data[::3]
    _assert_pair(stats.mean_var(view), (view.mean(), view.var(ddof=1)), "mean_var(data[::3])",
                 rtol=1e-9)


@suite.test("mean_var_correct")
@rust_test
def too_few_values_raise(stats):
    """fewer than 2 values raise ValueError naming the problem"""
    raises(ValueError, stats.mean_var, np.array([1.0]), match="at least 2",
           call="mean_var(np.array([1.0]))")
    raises(ValueError, stats.mean_var, np.array([], dtype=np.float64), match="at least 2",
           call="mean_var(np.array([]))")


@suite.test("mean_var_no_copy")
@rust_test
def reads_the_array_in_place(stats):
    """1,000,000 values: at most one small Rust allocation per call (no copy of the data)"""
    data = np.random.default_rng(6).normal(size=1_000_000)
    # Allocations are only counted for a right answer.
    _assert_pair(stats.mean_var(data), (data.mean(), data.var(ddof=1)),
                 "mean_var(<1,000,000 float64>)", rtol=1e-9)
    # rust-numpy records each borrow in a small table: one allocation of ~200 bytes per call.
    assert_allocations(
        stats, stats.mean_var, data, max_events=1, max_bytes=256, calls=5,
        call="mean_var(<1,000,000 float64>)",
        why="A Vec<f64> parameter makes PyO3 copy the whole array (8 bytes per value), and "
            ".clone() or .collect() copy it again. Take a PyReadonlyArray1<f64> and read it "
            "in place.")


@suite.test("mean_var_no_copy")
@rust_test
def refuses_what_would_need_a_copy(stats):
    """a Python list or a float32 array raises TypeError instead of being copied"""
    raises(TypeError, stats.mean_var, [1.0, 2.0, 3.0], call="mean_var([1.0, 2.0, 3.0])")
    raises(TypeError, stats.mean_var, np.ones(3, dtype=np.float32),
           call="mean_var(np.ones(3, dtype=float32))")


@suite.test("mean_var_speed", timeout=SPEED_TIMEOUT)
@rust_test
def faster_than_the_copying_version(stats):
    """faster than the AI version at 10 million values by the threshold (speed engine)"""
    assert_speed("mean_var", speed_candidate("mean_var", stats))
