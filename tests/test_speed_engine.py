"""The speed/memory measurement engine (grader.speed).

Verdict tests compare code whose speeds differ by one or two orders of magnitude against
thresholds far from both, so they hold on a loaded 2-core machine; no test asserts
absolute seconds.
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader.speed import (
    CallableCandidate,
    ModuleCandidate,
    NotebookCandidate,
    SpeedSpec,
    measure_memory,
    measure_speed,
)
from grader.speed.check import compare_result
from grader.speed.cpuclock import parse_schedstat, process_cpu_ns, schedstat_cpu_ns
from grader.speed.protocol import ProtocolError, decode_array, result_to_wire
from grader.speed.verdict import PhaseStats, in_grey_zone, overhead_problem

SIZE = 200_000

# ---- the example exercise: normalize(scores) -> scores / scores.sum() ---------------------


def make(rng: np.random.Generator, size: int) -> tuple[np.ndarray]:
    return (rng.random(size) + 0.5,)


def expected(scores: np.ndarray) -> np.ndarray:
    return np.asarray(scores, dtype=np.float64) / np.sum(scores, dtype=np.float64)


def ai_baseline(scores):
    total = sum(scores)
    return [s / total for s in scores]


def naive_array(scores):
    total = sum(scores)
    return np.array([s / total for s in scores])


def numpy_normalize(scores):
    return scores / scores.sum()


def fast_spec(**overrides) -> SpeedSpec:
    values = {"size": SIZE, "threshold": 10.0, "reps": 3, "best_of": 2, "warmup": 1,
              "seed": 7, "call_timeout": 20.0, "max_seconds": 120.0, "measure_memory": False}
    values.update(overrides)
    return SpeedSpec(**values)


def run(candidate, **overrides):
    return measure_speed(fast_spec(**overrides), inputs=make, expected=expected,
                         baseline=ai_baseline, candidate=candidate)


def module(tmp_path: Path, source: str, name: str = "cand.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


# ---- CPU clocks --------------------------------------------------------------------------


def test_parse_schedstat_reads_three_integers():
    assert parse_schedstat("1234567 89 12\n") == (1234567, 89, 12)


@pytest.mark.parametrize("text", ["", "1 2", "1 2 3 4", "a b c", "1 -2 3"])
def test_parse_schedstat_rejects_other_formats(text):
    with pytest.raises(ValueError, match="schedstat"):
        parse_schedstat(text)


def test_schedstat_sums_all_threads(tmp_path):
    for tid, line in (("10", "1000 5 1\n"), ("11", "250 0 3\n")):
        (tmp_path / "10" / "task" / tid).mkdir(parents=True)
        (tmp_path / "10" / "task" / tid / "schedstat").write_text(line)
    assert schedstat_cpu_ns(10, proc=tmp_path) == 1250
    with pytest.raises(ProcessLookupError):
        schedstat_cpu_ns(99, proc=tmp_path)


def test_real_schedstat_has_the_documented_format():
    text = Path(f"/proc/self/task/{os.getpid()}/schedstat").read_text()
    assert len(parse_schedstat(text)) == 3


def test_process_clock_agrees_with_the_in_process_clock():
    before, inside = process_cpu_ns(os.getpid()), time.process_time_ns()
    while time.process_time_ns() - inside < 50_000_000:
        pass
    outside = process_cpu_ns(os.getpid()) - before
    assert 45_000_000 <= outside <= 80_000_000


# ---- spec, protocol and comparison -------------------------------------------------------


@pytest.mark.parametrize("field, value", [
    ("size", 0), ("threshold", 0), ("threshold", float("nan")), ("reps", 2), ("best_of", 0),
    ("warmup", 0), ("grey_zone", 1.0), ("max_seconds", -1), ("rtol", -1e-9),
    ("dtype", "not-a-dtype"), ("max_memory_ratio", 0), ("seed", -1), ("size", 2.5),
])
def test_bad_spec_values_name_the_field(field, value):
    values = {"size": 10, "threshold": 2.0, field: value}
    with pytest.raises(ValueError, match=field):
        SpeedSpec(**values)


def test_measure_speed_rejects_wrong_argument_types():
    with pytest.raises(TypeError, match="SpeedSpec"):
        measure_speed({"size": 1}, inputs=make, expected=expected, baseline=ai_baseline,
                      candidate=numpy_normalize)
    with pytest.raises(ValueError, match="expected"):
        measure_speed(fast_spec(), inputs=make, expected=None, baseline=ai_baseline,
                      candidate=numpy_normalize)


def test_decode_array_refuses_object_dtype_and_bad_sizes():
    assert decode_array({"dtype": "<f8", "shape": [2]}, bytes(16)).tolist() == [0.0, 0.0]
    with pytest.raises(ProtocolError, match="numeric"):
        decode_array({"dtype": "|O", "shape": [1]}, bytes(8))
    with pytest.raises(ProtocolError, match="bytes"):
        decode_array({"dtype": "<f8", "shape": [3]}, bytes(16))


def test_compare_result_explains_what_differs():
    want = np.array([0.25, 0.75])
    ok = dict(dtype="float64", rtol=1e-9, atol=0.0, strict=True)
    assert compare_result(want.copy(), "numpy.ndarray", want, **ok) is None
    assert "not a numpy array" in compare_result(want.copy(), "builtins.list", want, **ok)
    assert "dtype float32" in compare_result(want.astype(np.float32), "numpy.ndarray", want,
                                             **ok)
    message = compare_result(np.array([0.25, 0.7]), "numpy.ndarray", want, **ok)
    assert "1 of 2" in message and "index 1" in message
    # The AI baseline may return a list: only its values are checked.
    assert compare_result(want.copy(), "builtins.list", want, **{**ok, "strict": False}) is None


@pytest.mark.parametrize("value, dtype", [
    (2.5, np.float64), (np.float32(1.5), np.float32), (np.float64(-0.0), np.float64),
    (3, np.int64), (True, np.bool_), (1 + 2j, np.complex128), (np.array(4.0), np.float64),
])
def test_scalar_results_round_trip_as_scalars(value, dtype):
    header, payload = result_to_wire(value)
    got = decode_array(header, bytes(payload))
    assert header["shape"] == [] and got.shape == () and got.dtype == dtype
    assert got.item() == value and type(got.item()) is type(np.asarray(value).item())


def test_arrays_keep_their_shape_and_order_on_the_wire():
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    for value in (np.array([7.0]), fortran, np.zeros((0, 3))):
        header, payload = result_to_wire(value)
        np.testing.assert_array_equal(decode_array(header, bytes(payload)), value)


def test_compare_result_keeps_scalars_and_one_element_arrays_apart():
    ok = dict(dtype=None, rtol=1e-9, atol=0.0, strict=True)
    scalar = np.asarray(2.5)
    assert compare_result(np.asarray(2.5), "builtins.float", scalar, **ok) is None
    assert compare_result(np.asarray(2.5), "numpy.float64", scalar, **ok) is None
    assert compare_result(np.array([2.5]), "numpy.ndarray", scalar, **ok) == \
        "returned an array of shape (1,), expected a scalar (float64)"
    assert compare_result(np.asarray(2.5), "builtins.float", np.array([2.5, 1.0]), **ok) == \
        "returned a scalar (float), expected an array of shape (2,)"
    assert compare_result(np.asarray(2.4), "builtins.float", scalar, **ok) == \
        "got 2.4, expected 2.5 (rtol=1e-09, atol=0)"


def test_grey_zone_band():
    assert in_grey_zone(9.0, 10.0, 0.25) and in_grey_zone(12.4, 10.0, 0.25)
    assert not in_grey_zone(7.0, 10.0, 0.25) and not in_grey_zone(13.0, 10.0, 0.25)


# ---- verdicts ----------------------------------------------------------------------------


def phases(prepare_ms: list[float], fetch_ms: list[float]) -> PhaseStats:
    """PhaseStats with the given harness-phase CPU times (run-phase times do not matter)."""
    n = len(prepare_ms)
    return PhaseStats(cpu=[1e-3] * n, wall=[1e-3] * n, prepare=[t / 1e3 for t in prepare_ms],
                      fetch=[t / 1e3 for t in fetch_ms], calls=[1] * n, inputs=[1] * n)


def test_releasing_a_large_input_after_the_call_is_not_hidden_work():
    # 1M doubles (8 MB): the input costs ~14 ms to deliver and ~2-3 ms to free after a call
    # that returns one float, on every call.
    baseline = phases([14.0, 14.5, 13.8], [0.1, 0.1, 0.1])
    candidate = phases([14.2, 13.9, 15.0], [2.2, 2.1, 3.0])
    assert overhead_problem(candidate, baseline, fetch_cost=1e-4) is None


def test_a_heap_trim_in_some_repetitions_is_not_hidden_work():
    baseline = phases([1.0, 1.1, 0.9], [0.1, 0.1, 0.1])
    candidate = phases([1.0, 1.0, 1.0], [7.0, 0.3, 6.5])  # trims hit two of three calls
    assert overhead_problem(candidate, baseline, fetch_cost=1e-3) is None


def test_work_in_every_fetch_or_delivery_is_caught():
    baseline = phases([1.0, 1.1, 0.9], [0.1, 0.1, 0.1])
    fetching = phases([1.0, 1.0, 1.0], [12.0, 11.0, 13.0])
    assert "handing back its result" in overhead_problem(fetching, baseline, fetch_cost=1e-3)
    receiving = phases([12.0, 11.0, 13.0], [0.3, 0.3, 0.3])
    assert "receiving its input" in overhead_problem(receiving, baseline, fetch_cost=1e-3)



def test_numpy_normalize_passes_and_naive_loop_fails_10x():
    fast = run(numpy_normalize)
    assert fast.passed, str(fast)
    assert fast.speedup > 20  # typically 60-200x here: far from the 10x line
    slow = run(naive_array)
    assert not slow.passed and slow.reason.startswith("failed: median speedup"), str(slow)
    assert slow.speedup < 3


def test_inputs_beyond_the_shared_segment_travel_on_the_pipe(monkeypatch):
    # In the grading sandbox RLIMIT_FSIZE caps the memfd segment (05's 80 MB inputs); arrays
    # past the cap go inline on the pipe, and the answers and the verdict are the same.
    from grader.speed import workerproc

    monkeypatch.setattr(workerproc, "SEGMENT_LIMIT", 4096)
    fast = run(numpy_normalize)
    assert fast.passed, str(fast)
    slow = run(naive_array)
    assert not slow.passed and slow.reason.startswith("failed: median speedup"), str(slow)


def test_reference_is_reported(tmp_path):
    report = measure_speed(fast_spec(), inputs=make, expected=expected, baseline=ai_baseline,
                           candidate=numpy_normalize, reference=numpy_normalize)
    assert report.passed, str(report)
    assert report.reference_speedup > 20 and 0.2 < report.vs_reference < 5
    assert all(s.reference_s is not None for s in report.samples)


def test_memoizing_cheats_get_no_speedup(tmp_path):
    path = module(tmp_path, """
        import hashlib
        import numpy as np

        _by_id, _by_hash = {}, {}

        def _slow(scores):
            total = sum(scores)
            return np.array([s / total for s in scores])

        def by_id(scores):
            if id(scores) not in _by_id:
                _by_id[id(scores)] = _slow(scores)
            return _by_id[id(scores)]

        def by_hash(scores):
            key = hashlib.sha1(scores.tobytes()).hexdigest()
            if key not in _by_hash:
                _by_hash[key] = _slow(scores)
            return _by_hash[key]
        """)
    for name in ("by_id", "by_hash"):
        report = run(ModuleCandidate(path, name), size=50_000)
        assert not report.passed, str(report)
        # Either every input is new (about 1x) or a reused id returns a stale answer.
        assert (report.speedup is not None and report.speedup < 3) or "wrong answer" in \
            report.reason, str(report)


def test_patching_clocks_inside_the_candidate_changes_nothing(tmp_path):
    path = module(tmp_path, """
        import time
        import numpy as np

        for _name in ("perf_counter", "perf_counter_ns", "process_time", "process_time_ns",
                      "thread_time", "monotonic", "time"):
            setattr(time, _name, lambda: 0)

        def slow(scores):
            total = sum(scores)
            return np.array([s / total for s in scores])

        def fast(scores):
            return scores / scores.sum()
        """)
    assert not run(ModuleCandidate(path, "slow"), size=50_000).passed
    assert run(ModuleCandidate(path, "fast")).passed


def test_work_hidden_in_the_input_delivery_is_caught(tmp_path):
    # The cheat computes each answer (slowly) while the worker is receiving the input,
    # outside the timed call, and returns it instantly when called.
    path = module(tmp_path, """
        import numpy as np
        from grader.speed import protocol

        _original = protocol.load_batch
        _answers = {}

        def _hooked(segment, described, conn=None):
            batch = _original(segment, described, conn)
            for args in batch:
                if args:
                    total = sum(args[0])
                    _answers[id(args[0])] = np.array([s / total for s in args[0]])
            return batch

        protocol.load_batch = _hooked

        def cheat(scores):
            return _answers.pop(id(scores))
        """)
    report = run(ModuleCandidate(path, "cheat"), size=50_000)
    assert not report.passed and "outside the timed call" in report.reason, str(report)


def test_work_hidden_in_the_result_delivery_is_caught(tmp_path):
    # The cheat returns at once and computes the answer (slowly) while the worker converts
    # the result for the parent, outside the timed call.
    path = module(tmp_path, """
        import numpy as np
        from grader.speed import protocol

        _original = protocol.result_to_wire
        _pending = []

        def _hooked(result):
            if _pending:
                scores = _pending.pop(0)  # first in, first out: the batch's results in order
                total = sum(scores)
                result = np.array([s / total for s in scores])
            return _original(result)

        protocol.result_to_wire = _hooked

        def cheat(scores):
            _pending.append(scores)
            return scores
        """)
    report = run(ModuleCandidate(path, "cheat"), size=50_000)
    assert not report.passed and "handing back its result" in report.reason, str(report)


def test_work_deferred_to_the_next_call_of_a_batch_gains_nothing(tmp_path):
    # Each call returns an empty buffer and does the previous call's (slow) work instead; a
    # timer thread finishes the batch's last call once the call has returned. All of it is
    # inside the timed batch except that last piece, which is either late (a wrong answer)
    # or done while the harness waits (counted, or caught as work outside the call).
    path = module(tmp_path, """
        import threading
        import numpy as np

        _pending = []

        def _finish():
            while _pending:
                scores, out = _pending.pop(0)
                total = sum(scores)
                out[:] = [s / total for s in scores]

        def deferring(scores):
            _finish()
            out = np.empty(len(scores))
            _pending.append((scores, out))
            threading.Timer(0.001, _finish).start()
            return out
        """)
    report = run(ModuleCandidate(path, "deferring"), size=50_000)
    assert not report.passed, str(report)
    assert any(words in report.reason for words in
               ("wrong answer", "outside the timed call", "median speedup")), str(report)


def test_a_candidate_that_detects_batching_gains_nothing(tmp_path):
    # It learns the batch size by hooking the worker's input code. Called alone it works
    # inline; in a batch each call hands its (slow) work to a thread and returns at once, so
    # the batch "ends" long before the work does. The clock is read only once no thread
    # runs, and CPU used after that is checked (fetch, idle), so the work is counted.
    path = module(tmp_path, """
        import threading
        import numpy as np
        from grader.speed import protocol

        _batch = [1]
        _original = protocol.load_batch

        def _hooked(segment, described, conn=None):
            batch = _original(segment, described, conn)
            _batch[0] = len(batch)
            return batch

        protocol.load_batch = _hooked

        def _work(scores, out):
            total = sum(scores)
            out[:] = [s / total for s in scores]

        def offloading(scores):
            out = np.empty(len(scores))
            if _batch[0] == 1:
                _work(scores, out)
            else:
                threading.Thread(target=_work, args=(scores, out)).start()
            return out
        """)
    report = run(ModuleCandidate(path, "offloading"), size=50_000)
    assert not report.passed, str(report)
    assert any(words in report.reason for words in
               ("median speedup", "outside the timed call", "idle between", "wrong answer")), \
        str(report)


def test_a_thread_that_never_stops_running_fails(tmp_path):
    # The worker's CPU clock is read only when none of its threads is on a CPU (the kernel
    # adds a running thread's time at the next tick); a spinning thread is reported.
    path = module(tmp_path, """
        import threading
        import numpy as np

        def _spin():
            while True:
                pass

        threading.Thread(target=_spin, daemon=True).start()

        def spinning(scores):
            return scores / scores.sum()
        """)
    report = run(ModuleCandidate(path, "spinning"), size=50_000, max_seconds=60.0)
    assert not report.passed and "kept running" in report.reason, str(report)


def test_scalar_results_are_graded_as_scalars(tmp_path):
    path = module(tmp_path, """
        import numpy as np

        def total(scores):
            return float(scores.sum())

        def boxed(scores):
            return np.array([scores.sum()])
        """)
    settings = dict(size=20_000, threshold=0.01, reps=3, best_of=1)
    report = measure_speed(fast_spec(**settings), inputs=make, expected=lambda s: float(s.sum()),
                           baseline=ModuleCandidate(path, "total"),
                           candidate=ModuleCandidate(path, "total"))
    assert report.passed, str(report)
    boxed = measure_speed(fast_spec(**settings), inputs=make, expected=lambda s: float(s.sum()),
                          baseline=ModuleCandidate(path, "total"),
                          candidate=ModuleCandidate(path, "boxed"))
    assert not boxed.passed and "expected a scalar" in boxed.reason, str(boxed)


def test_waiting_for_work_done_elsewhere_is_caught(tmp_path):
    path = module(tmp_path, """
        import time

        def sleepy(scores):
            time.sleep(0.25)  # stands in for waiting on a helper process
            return scores / scores.sum()
        """)
    report = run(ModuleCandidate(path, "sleepy"))
    assert not report.passed and "wall time" in report.reason, str(report)


def test_running_out_of_time_fails(tmp_path):
    path = module(tmp_path, """
        import time

        def dawdle(scores):
            time.sleep(0.4)
            return scores / scores.sum()
        """)
    report = run(ModuleCandidate(path, "dawdle"), size=10_000, max_seconds=2.5)
    assert not report.passed and "max_seconds" in report.reason, str(report)
    assert report.seconds < 10


def test_one_wrong_answer_fails(tmp_path):
    path = module(tmp_path, """
        calls = [0]

        def flaky(scores):
            calls[0] += 1
            result = scores / scores.sum()
            if calls[0] == 3:
                result[17] += 1e-6
            return result
        """)
    report = run(ModuleCandidate(path, "flaky"))
    assert not report.passed
    assert "wrong answer on timed batch" in report.reason and "index 17" in report.reason, \
        str(report)


def test_list_result_and_exceptions_fail(tmp_path):
    listy = run(ai_baseline, threshold=0.01)
    assert not listy.passed and "not a numpy array" in listy.reason, str(listy)
    path = module(tmp_path, "def broken(scores):\n    return 1 / 0\n")
    broken = run(ModuleCandidate(path, "broken"))
    assert not broken.passed and "raised ZeroDivisionError" in broken.reason, str(broken)


@pytest.mark.parametrize("body, words, call_timeout", [
    # Deaths get a generous call timeout: on a loaded machine, loading the worker alone can
    # take seconds, and it must die on its call, not time out while loading.
    ("import os\n    os._exit(3)", "worker died (exit code 3)", 30.0),
    ("import ctypes\n    ctypes.string_at(0)", "worker died (killed by SIGSEGV)", 30.0),
    ("while True:\n        pass", "worker timed out", 3.0),
])
def test_worker_death_and_hang_fail(tmp_path, body, words, call_timeout):
    path = module(tmp_path, f"def bad(scores):\n    {body}\n")
    start = time.monotonic()
    report = run(ModuleCandidate(path, "bad"), call_timeout=call_timeout)
    assert not report.passed and report.reason.startswith("failed:"), str(report)
    assert words in report.reason, str(report)
    assert time.monotonic() - start < 90


def test_memory_blowup_fails(tmp_path):
    path = module(tmp_path, """
        import numpy as np

        def hog(scores):
            big = np.ones(400_000_000)  # 3.2 GB against a 1.6 MB input
            return scores / big[: scores.size].sum()
        """)
    report = run(ModuleCandidate(path, "hog"), memory_limit_factor=10.0)
    assert not report.passed, str(report)
    assert "memory limit" in report.reason or "MemoryError" in report.reason, str(report)


def test_baseline_failure_is_an_error_not_a_learner_failure():
    report = measure_speed(fast_spec(), inputs=make, expected=lambda s: s * 0,
                           baseline=ai_baseline, candidate=numpy_normalize)
    assert not report.passed and report.reason.startswith("error:"), str(report)


def test_grey_zone_triggers_a_longer_rerun():
    spec = fast_spec(size=20_000, threshold=1.0, best_of=1, grey_zone=0.5)
    report = measure_speed(spec, inputs=make, expected=expected, baseline=ai_baseline,
                           candidate=naive_array, progress=True)
    assert report.grey_zone_rerun, str(report)
    assert len(report.samples) == 3 * spec.reps


# ---- candidates --------------------------------------------------------------------------


def test_notebook_candidate_skips_test_cells(tmp_path):
    import nbformat

    marker = tmp_path / "ran.txt"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Normalize"),
        nbformat.v4.new_code_cell("import numpy as np\n%matplotlib inline"),
        nbformat.v4.new_code_cell("def normalize(scores):\n    return scores / scores.sum()"),
        nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w').write('grade cell ran')",
                                  metadata={"nbgrader": {"grade": True, "grade_id": "t"}}),
        nbformat.v4.new_code_cell(f"check('normalize')\nopen({str(marker)!r}, 'w')"),
        nbformat.v4.new_code_cell("raise RuntimeError('a broken demo cell')"),
    ]
    path = tmp_path / "learner.ipynb"
    nbformat.write(nb, str(path))
    report = measure_memory(NotebookCandidate(path, "normalize"), inputs=make, size=10_000)
    assert report.ratio < 3
    assert not marker.exists()


OBJMODE_HELPER = """
import numba
import numpy as np


def total_of(x):
    return float(np.sum(x))
"""
OBJMODE_KERNEL = """
@numba.njit
def normalize(scores):
    with numba.objmode(total="float64"):
        total = total_of(scores)  # a notebook global, read in object mode
    return scores / total
"""


def test_notebook_kernel_using_objmode_runs_in_a_worker(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(OBJMODE_HELPER),
                nbformat.v4.new_code_cell(OBJMODE_KERNEL)]
    path = tmp_path / "objmode.ipynb"
    nbformat.write(nb, str(path))
    report = run(NotebookCandidate(path, "normalize"), size=20_000, threshold=0.01)
    assert report.passed, str(report)


def test_kernel_using_objmode_from_a_live_kernel_runs_in_a_worker():
    # What check() ships from a notebook kernel: a function of __main__, pickled by value.
    namespace = {"__name__": "__main__"}
    exec(OBJMODE_HELPER + OBJMODE_KERNEL, namespace)  # noqa: S102 - test code
    report = run(CallableCandidate(namespace["normalize"]), size=20_000, threshold=0.01)
    assert report.passed, str(report)


def test_callable_candidate_from_a_test_module_runs_in_a_worker():
    report = run(CallableCandidate(numpy_normalize))
    assert report.passed, str(report)


def test_missing_name_fails_with_the_reason(tmp_path):
    path = module(tmp_path, "x = 1\n")
    report = run(ModuleCandidate(path, "normalize"))
    assert not report.passed and "could not load 'normalize'" in report.reason, str(report)


# ---- memory ------------------------------------------------------------------------------


def test_memory_ratio_separates_lists_from_arrays():
    listy = measure_memory(ai_baseline, inputs=make, size=SIZE)
    arrays = measure_memory(numpy_normalize, inputs=make, size=SIZE)
    assert listy.ratio > 3, str(listy)
    assert arrays.ratio < 3, str(arrays)
    assert listy.input_bytes == arrays.input_bytes == SIZE * 8


def test_max_memory_ratio_grades_the_candidate():
    report = run(naive_array, size=50_000, threshold=0.01, measure_memory=True,
                 max_memory_ratio=3.0)
    assert not report.passed and "extra memory" in report.reason, str(report)
    assert report.memory["candidate"].ratio > 3 and "baseline" not in report.memory
