"""Unit tests of grader/growth: the slope fit, the sizes drawn per run, the spec's checks, the
verdict's words, and one quick measurement end to end."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from grader.growth import fit_growth
from grader.growth.cells import settings_problems
from grader.growth.measure import measure_growth
from grader.growth.sizes import fractions, sizes_at
from grader.growth.spec import Curve, GrowthReport, GrowthSpec
from grader.growth.view import GrowthView

# --- the fit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("power", [0.0, 1.0, 2.0, 0.5])
def test_fit_recovers_the_exponent_of_a_power_law(power):
    sizes = [1_000, 3_000, 10_000, 30_000, 100_000]
    fit = fit_growth(sizes, [2e-6 * n ** power for n in sizes])
    assert fit.slope == pytest.approx(power, abs=1e-9)
    assert fit.predict(1e8) == pytest.approx(2e-6 * 1e8 ** power, rel=1e-6)
    assert fit.spread == pytest.approx(1.0)


def test_fit_of_n_log_n_is_a_little_above_one():
    sizes = [1_000, 10_000, 100_000]
    assert 1.0 < fit_growth(sizes, [n * math.log(n) for n in sizes]).slope < 1.2


def test_spread_says_how_far_the_worst_point_is_off_the_line():
    fit = fit_growth([10, 100, 1000], [1.0, 10.0 * 3, 100.0])
    assert fit.spread > 1.5


@pytest.mark.parametrize(("sizes", "costs", "problem"), [
    ([1, 2], [1.0], "same length"),
    ([0, 2], [1.0, 2.0], "sizes must be finite and > 0"),
    ([1, 2], [1.0, 0.0], "costs must be finite and > 0"),
    ([1, 2], [1.0, float("nan")], "costs must be finite"),
    ([5, 5], [1.0, 2.0], "two distinct sizes"),
])
def test_fit_names_bad_input(sizes, costs, problem):
    with pytest.raises(ValueError, match=problem):
        fit_growth(sizes, costs)


def test_predict_refuses_a_size_that_is_not_positive():
    with pytest.raises(ValueError, match="n must be > 0"):
        fit_growth([1, 10], [1.0, 10.0]).predict(0)


# --- sizes -----------------------------------------------------------------------------------


def test_sizes_are_distinct_increasing_in_range_and_new_every_run():
    seen = set()
    for seed in range(200):
        where = fractions(np.random.default_rng(seed), 5)
        sizes = sizes_at(1_000, 100_000, where)
        assert sizes == sorted(set(sizes)) and 1_000 <= sizes[0] and sizes[-1] <= 100_000
        # consecutive sizes stay at least 0.2 of a grid step apart (a factor of ~1.26 here)
        assert all(b / a > 100 ** (0.2 / 4) - 1e-9 for a, b in itertools.pairwise(sizes))
        seen.add(tuple(sizes))
    assert len(seen) == 200  # no two runs share their sizes


def test_sizes_of_a_narrow_range_stay_distinct():
    assert sizes_at(1, 4, [0.0, 0.01, 0.02, 1.0]) == [1, 2, 3, 4]


@pytest.mark.parametrize(("call", "problem"), [
    (lambda: fractions(np.random.default_rng(0), 1), "points must be >= 2"),
    (lambda: fractions(np.random.default_rng(0), 5, jitter=0.5), "jitter"),
    (lambda: sizes_at(10, 10, [0.0]), "low < high"),
])
def test_sizes_name_bad_input(call, problem):
    with pytest.raises(ValueError, match=problem):
        call()


# --- the spec --------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "problem"), [
    ({"min_size": 0}, "min_size must be an int >= 1"),
    ({"max_size": 4_000}, "at least 8 x min_size"),
    ({"points": 3}, "points must be an int >= 4"),
    ({"points": 9}, "points must be at most 8"),
    ({"max_slope": 0}, "max_slope must be > 0"),
    ({"max_slope": float("inf")}, "max_slope must be a finite number"),
    ({"baseline_min_size": 100, "baseline_max_size": 200}, "at least 4 x baseline_min_size"),
    ({"max_slowdown": -1}, "max_slowdown must be > 0"),
    ({"best_of": 0}, "best_of must be an int >= 1"),
    ({"strict": "yes"}, "strict must be a bool"),
    ({"seed": -1}, "seed must be None"),
    ({"min_size": True}, "min_size must be an int"),
])
def test_spec_names_the_bad_field(fields, problem):
    good = {"min_size": 1_000, "max_size": 100_000, "max_slope": 1.5}
    with pytest.raises(ValueError, match=problem):
        GrowthSpec(**(good | fields))


def test_metadata_problems_name_unknown_fields_and_bad_values():
    assert settings_problems({"grade_id": "g", "min_size": 1, "max_size": 100,
                              "max_slope": 1.2}) == []
    assert "unknown fields ['max_slop']" in settings_problems(
        {"grade_id": "g", "min_size": 1, "max_size": 100, "max_slop": 1.2})[0]
    assert "max_slope" in settings_problems({"grade_id": "g", "min_size": 1, "max_size": 100})[0]
    assert "slope_margin" in settings_problems(
        {"grade_id": "g", "min_size": 1, "max_size": 100, "max_slope": 1, "slope_margin": -1})[0]


# --- the view --------------------------------------------------------------------------------


def _report(passed: bool) -> GrowthReport:
    curves = {"baseline": Curve("baseline", "AI version", [100, 400], [0.001, 0.016]),
              "candidate": Curve("candidate", "yours", [1_000, 8_000], [0.001, 0.008])}
    for curve in curves.values():
        curve.fit = fit_growth(curve.sizes, curve.seconds)
    reason = ("passed: grows like n^1.0 (allowed up to 1.5)" if passed
              else "failed: grows like n^2.0 (allowed up to 1.5)")
    return GrowthReport(passed, reason, 1.5, curves, machine="test machine")


def test_view_says_pass_or_fail_in_words_with_a_plot_and_a_table():
    good, bad = GrowthView("f", _report(True), "f_growth"), GrowthView("f", _report(False))
    assert good.message() == "pass f_growth — grows like n^1.0 (allowed up to 1.5)"
    assert bad.message().startswith("FAIL growth of f — grows like n^2.0")
    text, page = str(good), good._repr_html_()
    assert "AI version" in text and "n^2.00" in text and "yours" in text
    assert "data:image/png;base64," in page and "<table>" in page and ">pass<" in page


def test_view_of_an_unmeasured_report_has_no_plot():
    report = GrowthReport(False, "error: the AI version failed", 1.5,
                          {"candidate": Curve("candidate", "yours")})
    view = GrowthView("f", report)
    assert not view.measured and view.state() == "ERROR"
    assert "data:image/png" not in view._repr_html_()


# --- one quick measurement --------------------------------------------------------------------


def _make(rng, n):
    return (rng.integers(0, 4 * n, n).tolist(), rng.integers(0, 4 * n, n).tolist())


def _expected(a, b):
    seen = set(a)
    return np.array([x in seen for x in b])


def _set_lookup(a, b):
    seen = set(a)
    return [x in seen for x in b]


def _list_lookup(a, b):
    return [x in a for x in b]


def _wrong(a, b):
    return [True for _ in b]


# Sizes where the list scan's n^2 dominates its per-call overhead (below a few hundred the
# overhead flattens it), and calls stay short.
QUICK = GrowthSpec(min_size=400, max_size=12_800, max_slope=1.5, points=4,
                   baseline_min_size=300, baseline_max_size=2_400, max_slowdown=10,
                   call_limit=0.5, best_of=2, batch_ms=10)


def test_a_linear_function_passes_and_a_quadratic_one_fails():
    good = measure_growth(QUICK, inputs=_make, expected=_expected, baseline=_list_lookup,
                          candidate=_set_lookup, yardstick=_set_lookup)
    assert good.passed, str(good)
    assert good.curves["baseline"].fit.slope > 1.7, str(good)
    assert good.slope < 1.5 and good.slowdown is not None
    bad = measure_growth(QUICK, inputs=_make, expected=_expected, baseline=_list_lookup,
                         candidate=_list_lookup, yardstick=_set_lookup)
    assert not bad.passed and bad.reason.startswith("failed:"), str(bad)
    assert "grows like n^" in bad.reason


def test_a_wrong_answer_fails_with_the_size_and_the_difference():
    report = measure_growth(QUICK, inputs=_make, expected=_expected, baseline=_list_lookup,
                            candidate=_wrong, yardstick=_set_lookup)
    assert not report.passed
    assert "wrong answer at n=" in report.reason, report.reason


def test_max_slowdown_needs_a_yardstick():
    with pytest.raises(ValueError, match="max_slowdown needs a yardstick"):
        measure_growth(QUICK, inputs=_make, expected=_expected, baseline=_list_lookup,
                       candidate=_set_lookup)


# --- drivers and the metadata that names them -------------------------------------------------


def test_settings_name_a_driver_of_the_growth_package_only():
    base = {"grade_id": "g", "min_size": 1, "max_size": 100, "max_slope": 1.0}
    assert settings_problems(base | {"driver": "grader.growth.drivers:cache_stream",
                                     "functions": ["profile_cache"]}) == []
    assert "driver must name a function of grader.growth.drivers" in settings_problems(
        base | {"driver": "os:system"})[0]
    assert "no driver 'nope'" in settings_problems(
        base | {"driver": "grader.growth.drivers:nope"})[0]
    assert "functions needs a driver" in settings_problems(base | {"functions": ["f"]})[0]
    assert "functions must be a list" in settings_problems(
        base | {"driver": "grader.growth.drivers:cache_stream", "functions": "f"})[0]


def test_cache_stream_numbers_the_loads_and_names_the_keys():
    import functools

    from grader.growth.drivers import cache_stream

    got = cache_stream(lambda load, size: functools.lru_cache(size)(load), 2, [1, 2, 1, 3, 2])
    assert got.tolist() == [[1, 1], [2, 2], [1, 1], [3, 3], [4, 2]]
    with pytest.raises(TypeError, match="not the value load returned"):
        cache_stream(lambda load, size: (lambda key: "cached"), 2, [1])


def test_sqlite_lookups_prepares_once_and_pads_short_answers():
    import sqlite3

    from grader.growth.drivers import sqlite_lookups

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(1, 5), (2, 5), (3, 6)])
    conn.commit()
    image = conn.serialize()
    prepared = []

    def prepare(db):
        prepared.append(db)

    def query(db, key, limit):
        return db.execute("SELECT id FROM t WHERE k = ? ORDER BY id LIMIT ?", (key, limit))

    got = sqlite_lookups(prepare, query, image, [5, 6, 7], 2)
    assert len(prepared) == 1
    assert got.tolist() == [[1, 2], [3, -1], [-1, -1]]
    with pytest.raises(ValueError, match="returned 3 rows"):
        sqlite_lookups(prepare, lambda db, k, n: [(1,), (2,), (3,)], image, [5], 2)


def test_view_lists_memory_rows_and_draws_two_panels():
    report = _report(True)
    for curve in report.curves.values():
        curve.memory_sizes, curve.memory = list(curve.sizes), [1_000_000, 1_050_000]
        curve.memory_fit = fit_growth(curve.memory_sizes, curve.memory)
    text = str(GrowthView("f", report))
    assert "yours, memory" in text and "1.0 MB to 1.1 MB" in text
    assert "n^-0.0" not in text


def test_a_kernel_function_takes_the_submodules_its_code_reads_to_the_worker():
    """A setup cell's `import urllib.error` loads a submodule that a worker's plain
    `import urllib` (how cloudpickle sends a module) does not: the payload names it."""
    import concurrent.futures
    import functools
    import urllib.error
    import urllib.request

    from grader.speed.candidates import submodules_used

    def fetch(url):
        with concurrent.futures.ThreadPoolExecutor(1):
            try:
                return urllib.request.urlopen(url)
            except urllib.error.HTTPError:
                return np.zeros(1)

    assert submodules_used(fetch) == ["concurrent.futures", "urllib.error", "urllib.request"]
    # bound to a driver, as check() sends a driven exercise's functions
    assert "urllib.error" in submodules_used(functools.partial(len, fetch))
