"""Public tests of the vectorization assignment.

``check("normalize")`` runs them in your notebook; the grade cells run them too, followed by
hidden tests. Each test names the call it made, so a failure says what to fix.
"""

import numpy as np

from grader.speedtest import assert_speed
from grader.testing import TestSuite, assert_array, raises

suite = TestSuite()
rng = np.random.default_rng(20261125)

# --- normalize ---------------------------------------------------------------------------


@suite.test("normalize_values")
def proportions_of_a_small_list(normalize):
    """proportions of [1, 2, 3, 4]"""
    assert_array(normalize([1, 2, 3, 4]), [0.1, 0.2, 0.3, 0.4], call="normalize([1, 2, 3, 4])")


@suite.test("normalize_values")
def random_floats_sum_to_one(normalize):
    """1,000 random floats come back as proportions summing to 1"""
    scores = rng.random(1000)
    out = normalize(scores.copy())
    assert_array(out, scores / scores.sum(), call="normalize(<1000 random floats>)")
    assert abs(out.sum() - 1.0) < 1e-12, f"proportions sum to {out.sum()!r}, not 1"


@suite.test("normalize_values")
def input_is_not_modified(normalize):
    """the input array is left unchanged"""
    scores = np.array([3.0, 1.0])
    normalize(scores)
    assert scores.tolist() == [3.0, 1.0], f"normalize changed its input to {scores.tolist()}"


@suite.test("normalize_edge_cases")
def empty_input_raises(normalize):
    """empty input raises ValueError naming the problem"""
    raises(ValueError, normalize, [], match="empty", call="normalize([])")


@suite.test("normalize_edge_cases")
def zero_sum_raises(normalize):
    """all-zero scores raise ValueError (not ZeroDivisionError, not NaN)"""
    raises(ValueError, normalize, np.zeros(3), match="zero", call="normalize([0., 0., 0.])")


@suite.test("normalize_edge_cases")
def negative_scores_raise(normalize):
    """negative scores raise ValueError"""
    raises(ValueError, normalize, [2.0, -1.0], match="negative", call="normalize([2.0, -1.0])")


@suite.test("normalize_edge_cases")
def nan_policy(normalize):
    """NaN or infinity raise ValueError (the stated policy)"""
    raises(ValueError, normalize, [1.0, np.nan], match="finite|nan", call="normalize([1.0, nan])")
    raises(ValueError, normalize, [1.0, np.inf], match="finite|inf", call="normalize([1.0, inf])")


@suite.test("normalize_edge_cases")
def wrong_shape_raises(normalize):
    """a 2-D array raises ValueError mentioning the dimension"""
    raises(ValueError, normalize, np.ones((2, 2)), match="1-?d|dimension",
           call="normalize(np.ones((2, 2)))")


@suite.test("normalize_edge_cases")
def non_numbers_raise(normalize):
    """strings are rejected with TypeError or ValueError"""
    raises((TypeError, ValueError), normalize, ["a", "b"], call="normalize(['a', 'b'])")


@suite.test("normalize_integers")
def integers_give_float64(normalize):
    """int32 input gives float64 proportions"""
    out = normalize(np.array([1, 3], dtype=np.int32))
    assert_array(out, [0.25, 0.75], call="normalize(np.array([1, 3], dtype=int32))")


@suite.test("normalize_integers")
def large_int64_do_not_overflow(normalize):
    """large int64 scores do not overflow while summing"""
    big = np.array([2**62, 2**62], dtype=np.int64)
    assert_array(normalize(big), [0.5, 0.5], call="normalize(np.array([2**62, 2**62]))")


# --- rolling_mean ------------------------------------------------------------------------


def _reference_rolling(values, window):
    import math

    return np.array([math.fsum(values[i:i + window]) / window
                     for i in range(len(values) - window + 1)])


@suite.test("rolling_mean_values")
def small_window(rolling_mean):
    """means of every full window of [1, 2, 3, 4, 5] with window 2"""
    assert_array(rolling_mean(np.array([1.0, 2, 3, 4, 5]), 2), [1.5, 2.5, 3.5, 4.5],
                 call="rolling_mean([1, 2, 3, 4, 5], 2)")


@suite.test("rolling_mean_values")
def window_equal_to_length(rolling_mean):
    """a window as long as the data gives exactly one mean"""
    assert_array(rolling_mean(np.array([2.0, 4.0, 9.0]), 3), [5.0],
                 call="rolling_mean([2, 4, 9], 3)")


@suite.test("rolling_mean_values")
def window_of_one(rolling_mean):
    """window 1 returns the values themselves, as float64"""
    assert_array(rolling_mean(np.array([1, 2, 3]), 1), [1.0, 2.0, 3.0],
                 call="rolling_mean(np.array([1, 2, 3]), 1)")


@suite.test("rolling_mean_values")
def random_data_matches_exact_sums(rolling_mean):
    """random data with a large offset matches exactly rounded sums (rtol 1e-9)"""
    values = 1e6 + rng.standard_normal(2000)
    assert_array(rolling_mean(values, 50), _reference_rolling(values, 50), rtol=1e-9,
                 call="rolling_mean(<2000 values near 1e6>, 50)")


@suite.test("rolling_mean_edge_cases")
def bad_windows_raise(rolling_mean):
    """window 0, negative, or longer than the data raises ValueError"""
    data = np.arange(5.0)
    for window in (0, -1, 6):
        raises(ValueError, rolling_mean, data, window, match="window",
               call=f"rolling_mean(<5 values>, {window})")


@suite.test("rolling_mean_edge_cases")
def non_integer_window_raises(rolling_mean):
    """a float window raises TypeError or ValueError"""
    raises((TypeError, ValueError), rolling_mean, np.arange(5.0), 2.5,
           call="rolling_mean(<5 values>, 2.5)")


@suite.test("rolling_mean_edge_cases")
def nan_values_raise(rolling_mean):
    """NaN in the data raises ValueError"""
    raises(ValueError, rolling_mean, np.array([1.0, np.nan, 2.0]), 2, match="finite|nan",
           call="rolling_mean([1, nan, 2], 2)")


# --- group_sums --------------------------------------------------------------------------


@suite.test("group_sums_values")
def three_groups(group_sums):
    """sums per label, with an empty group as 0.0"""
    out = group_sums(np.array([0, 2, 0, 2]), np.array([1.0, 2.0, 3.0, 4.0]), 4)
    assert_array(out, [4.0, 0.0, 6.0, 0.0], call="group_sums([0, 2, 0, 2], [1, 2, 3, 4], 4)")


@suite.test("group_sums_values")
def integer_values_give_float64(group_sums):
    """integer values are summed into float64"""
    out = group_sums(np.array([1, 1]), np.array([2, 3]), 2)
    assert_array(out, [0.0, 5.0], call="group_sums([1, 1], [2, 3], 2)")


@suite.test("group_sums_values")
def empty_input(group_sums):
    """no values gives n_groups zeros"""
    out = group_sums(np.array([], dtype=np.int64), np.array([]), 3)
    assert_array(out, [0.0, 0.0, 0.0], call="group_sums([], [], 3)")


@suite.test("group_sums_edge_cases")
def length_mismatch_raises(group_sums):
    """labels and values of different lengths raise ValueError (zip would truncate)"""
    raises(ValueError, group_sums, np.array([0, 1, 1]), np.array([1.0, 2.0]), 2,
           match="length|size|shape", call="group_sums(<3 labels>, <2 values>, 2)")


@suite.test("group_sums_edge_cases")
def labels_out_of_range_raise(group_sums):
    """a negative label or one >= n_groups raises ValueError"""
    raises(ValueError, group_sums, np.array([0, -1]), np.array([1.0, 2.0]), 2,
           match="label|range", call="group_sums([0, -1], [1, 2], 2)")
    raises(ValueError, group_sums, np.array([0, 2]), np.array([1.0, 2.0]), 2,
           match="label|range", call="group_sums([0, 2], [1, 2], 2)")


@suite.test("group_sums_edge_cases")
def non_integer_labels_raise(group_sums):
    """float labels raise TypeError or ValueError instead of being truncated"""
    raises((TypeError, ValueError), group_sums, np.array([0.5, 1.0]), np.array([1.0, 2.0]), 2,
           call="group_sums([0.5, 1.0], [1, 2], 2)")


# --- speed: measured in separate processes against the AI versions in speed.py ----------


@suite.test("normalize_speed", timeout=300)
def normalize_is_fast(normalize):
    """>= 10x faster than the AI loop (CPU time, separate processes, fresh inputs)"""
    return assert_speed("normalize", normalize)


@suite.test("rolling_mean_speed", timeout=300)
def rolling_mean_is_fast(rolling_mean):
    """>= 10x faster than the AI loop (CPU time, separate processes, fresh inputs)"""
    return assert_speed("rolling_mean", rolling_mean)


@suite.test("group_sums_speed", timeout=300)
def group_sums_is_fast(group_sums):
    """>= 8x faster than the dictionary loop (CPU time, separate processes, fresh inputs)"""
    return assert_speed("group_sums", group_sums)
