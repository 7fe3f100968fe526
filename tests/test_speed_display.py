"""What a learner sees of a speed test: the verdict line in words, the chart, the table, the
message of a failed grade cell, the progress bar, memory in words, and the lesson's
scaling curve. Fake reports where possible; tests that start workers or a kernel are slow."""

from __future__ import annotations

import base64
import time

import pytest

from grader import speedtest
from grader.speed import progressbar
from grader.speed.charts import duration
from grader.speed.lesson import ScalingExplorer, scaling_explorer
from grader.speed.spec import MemoryReport, RepSample, SpeedReport, megabytes
from grader.speedtest import TRUSTED_ENV, SpeedFailure, assert_speed
from grader.speedview import SpeedView
from tests.conftest import ROOT

SYMBOLS = ("✅", "❌", "✔", "✘", "⚠")


def timed(speedup: float, reference: bool, reps: int = 5, **fields) -> SpeedReport:
    """A measured report: the AI version at 50 ms per call, yours ``speedup`` times faster."""
    samples = [RepSample(baseline_s=0.05, candidate_s=0.05 / speedup,
                         reference_s=0.05 / 60 if reference else None, speedup=speedup,
                         candidate_wall_s=0.05 / speedup) for _ in range(reps)]
    passed = speedup >= 10
    reason = (f"passed: median speedup {speedup:.1f}x >= required 10x" if passed else
              f"failed: median speedup {speedup:.1f}x < required 10x (range 1x to 2x)")
    values = dict(passed=passed, reason=reason, threshold=10, speedup=speedup,
                  speedup_min=speedup * 0.9, speedup_max=speedup * 1.1,
                  reference_speedup=60.0 if reference else None, samples=samples,
                  machine="test machine, 2 CPUs", seconds=4.2,
                  memory={"candidate": MemoryReport(2_400_000, 2_400_000, 0, 1.0)})
    return SpeedReport(**values | fields)


def failed_early(reason: str) -> SpeedReport:
    return SpeedReport(passed=False, reason=reason, threshold=10, machine="m", seconds=0.4)


# ---- the verdict in words -------------------------------------------------------------


def test_a_pass_is_one_line_in_words_with_chart_table_and_model_row():
    view = SpeedView("normalize", timed(41.2, reference=True), "normalize_speed")
    assert view.verdict() == ("normalize_speed: pass — 41.2x faster than the AI version "
                              "(needs 10x)")
    text, page = str(view), view._repr_html_()
    assert text.splitlines()[0] == view.verdict()
    for who in ("AI version", "model solution", "yours"):
        assert who in text and who in page
    assert "50 ms" in text and "1.21 ms" in text  # CPU time per call, median
    assert ">pass</span>" in page and "data:image/png;base64," in page
    assert "CPU time per call (median)" in page and "needs 10x" in page
    png = base64.b64decode(page.split("base64,")[1].split("'")[0])
    assert png.startswith(b"\x89PNG")
    assert not any(symbol in text + page for symbol in SYMBOLS)


def test_a_slow_function_fails_in_words_and_has_no_model_row_without_a_reference():
    view = SpeedView("normalize", timed(3.1, reference=False), "normalize_speed")
    assert view.state() == "FAIL"
    assert view.verdict() == ("normalize_speed: FAIL — only 3.1x faster than the AI version "
                              "(needs 10x)")
    assert view.message() == "normalize_speed: only 3.1x faster than the AI version (needs 10x)"
    text, page = str(view), view._repr_html_()
    assert "model solution" not in text and "model solution" not in page
    assert [bar.who for bar in view.bars()] == ["AI version", "yours"]
    assert ">FAIL</span>" in page and "<img" in page
    assert view.chart_png().startswith(b"\x89PNG")


def test_slower_than_the_ai_version_says_slower():
    view = SpeedView("normalize", timed(0.5, reference=False))
    assert view.outcome() == "2.0x slower than the AI version (needs 10x faster)"
    assert view.verdict().startswith("speed of normalize: FAIL — ")


@pytest.mark.parametrize("reason, words", [
    ("failed: raised NotImplementedError on warm-up call 1",
     "not implemented yet (normalize raises NotImplementedError)"),
    ("failed: raised ZeroDivisionError: division by zero on warm-up call 1",
     "normalize raised ZeroDivisionError: division by zero on its first call"),
    ("failed: candidate worker died (exit code 3) on warm-up call 1",
     "the process running your function died (exit code 3) on warm-up call 1"),
    ("failed: the measurement did not finish within max_seconds=300 (0 of 5 repetitions "
     "done); the code is too slow or the machine too busy",
     "the measurement did not finish within its time budget of 300 s (0 of 5 repetitions "
     "done); the code is too slow or the machine too busy"),
])
def test_an_early_failure_is_one_line_without_table_or_chart(reason, words):
    view = SpeedView("normalize", failed_early(reason), "normalize_speed")
    assert view.verdict() == f"normalize_speed: FAIL — {words}"
    assert str(view) == view.verdict()  # one line: no empty table
    assert view.chart_png() is None and view.bars() == []
    page = view._repr_html_()
    assert "<img" not in page and "<table" not in page and ">FAIL</span>" in page
    assert view.message() == f"normalize_speed: {words}"


def test_a_failure_of_the_course_code_is_an_error_not_the_learners():
    view = SpeedView("normalize", failed_early(
        "error: the baseline (course code, not the learner's) failed: raised KeyError on "
        "warm-up call 1"), "normalize_speed")
    assert view.state() == "ERROR"
    assert view.verdict().startswith("normalize_speed: ERROR — the AI version (course code, "
                                     "not yours) failed")
    assert "tell your instructor" in view.message()


def test_a_memory_failure_keeps_its_reason_and_its_chart():
    report = timed(41.2, reference=True, passed=False, reason=(
        "failed: one call needs 4.0x the input's size in extra memory (limit 3x): ..."))
    view = SpeedView("normalize", report, "normalize_speed")
    assert view.verdict().startswith("normalize_speed: FAIL — one call needs 4.0x")
    assert view.chart_png() is not None


def test_memory_is_never_a_misleading_zero():
    assert megabytes(None) == "not measured"
    assert megabytes(0) == megabytes(40_000) == "< 0.1 MB"
    assert megabytes(2_400_000) == "2.4 MB"
    text = str(MemoryReport(2_400_000, 2_400_000, 0, 1.0))
    assert "0.0 MB" not in text and "peak RSS growth < 0.1 MB" in text
    assert "peak RSS growth not measured" in str(MemoryReport(800_000, 900_000, None, 1.1))
    view = str(SpeedView("normalize", timed(41.2, reference=False)))
    assert "memory of one call (yours)" in view and "0.0 MB" not in view


def test_durations_keep_their_unit():
    assert (duration(2.5), duration(0.0523), duration(0.000812)) == ("2.50 s", "52.3 ms",
                                                                     "812 µs")


def test_charts_leave_pyplot_and_its_backend_alone():
    import matplotlib
    import matplotlib.pyplot as plt

    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    SpeedView("normalize", timed(41.2, reference=True)).chart_png()
    ScalingExplorer([10, 100], {"loop": [1e-4, 1e-3], "numpy": [1e-6, 2e-6]}).png()
    assert matplotlib.get_backend() == backend and plt.get_fignums() == figures


# ---- the grade cell (assert_speed) ----------------------------------------------------


@pytest.fixture
def no_measurement(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the measurement must not start")

    monkeypatch.setattr(speedtest, "run_speed", refuse)


def stub(scores):
    raise NotImplementedError()


def test_a_stub_fails_at_once_in_one_line_without_starting_workers(no_measurement):
    start = time.monotonic()
    with pytest.raises(SpeedFailure) as caught:
        assert_speed("normalize", stub)
    assert str(caught.value) == ("normalize_speed: not implemented yet (normalize raises "
                                 "NotImplementedError)")
    assert caught.value.report is None  # nothing under check()'s table
    assert time.monotonic() - start < 10


def test_any_exception_on_the_first_call_is_named(no_measurement):
    with pytest.raises(SpeedFailure, match=r"^normalize_speed: normalize raised "
                       r"ZeroDivisionError: division by zero on its first call$"):
        assert_speed("normalize", lambda scores: 1 / 0)


def test_the_kernel_does_not_measure_while_the_grader_does(no_measurement, monkeypatch,
                                                           capsys):
    monkeypatch.setenv(TRUSTED_ENV, "1")
    assert assert_speed("normalize", stub) is None
    assert "measured by the grader outside this kernel" in capsys.readouterr().out


def fake_run(report: SpeedReport):
    return lambda setup, func: report


def shown(monkeypatch) -> list[SpeedView]:
    views: list[SpeedView] = []
    monkeypatch.setattr(speedtest, "show_view", views.append)
    return views


def good(scores):
    return scores / scores.sum()


def test_a_passing_grade_cell_shows_its_verdict_and_chart(monkeypatch):
    monkeypatch.setattr(speedtest, "run_speed", fake_run(timed(41.2, reference=True)))
    views = shown(monkeypatch)
    assert assert_speed("normalize", good, show=True) is None  # shown once, not twice
    assert [v.verdict() for v in views] == [
        "normalize_speed: pass — 41.2x faster than the AI version (needs 10x)"]
    assert views[0].chart_png() is not None


def test_inside_check_the_view_is_returned_not_shown(monkeypatch):
    monkeypatch.setattr(speedtest, "run_speed", fake_run(timed(41.2, reference=True)))
    views = shown(monkeypatch)
    view = assert_speed("normalize", good)  # called from a module, as checks.py does
    assert views == [] and view.verdict().startswith("normalize_speed: pass")


def test_a_notebook_cell_shows_by_default(monkeypatch):
    monkeypatch.setattr(speedtest, "run_speed", fake_run(timed(41.2, reference=True)))
    views = shown(monkeypatch)
    cell = {"__name__": "__main__", "assert_speed": assert_speed, "good": good}
    exec('_speed = assert_speed("normalize", good)', cell)
    assert cell["_speed"] is None and len(views) == 1


def test_a_failing_grade_cell_shows_the_chart_then_raises_one_line(monkeypatch):
    monkeypatch.setattr(speedtest, "run_speed", fake_run(timed(3.1, reference=True)))
    views = shown(monkeypatch)
    with pytest.raises(SpeedFailure) as caught:
        assert_speed("normalize", good, show=True)
    assert str(caught.value) == ("normalize_speed: only 3.1x faster than the AI version "
                                 "(needs 10x)")
    assert "\n" not in str(caught.value) and "failed:" not in str(caught.value)
    assert views and views[0].state() == "FAIL"
    assert caught.value.report is views[0]  # check() shows the chart under its table


def test_check_reports_a_stub_in_one_row(no_measurement, monkeypatch, tmp_path):
    from grader.checking import check

    monkeypatch.setenv("GRADER_STATE_FILE", str(tmp_path / "progress.json"))
    monkeypatch.chdir(ROOT / "exercises" / "01_vectorization")
    row = [r for r in check("normalize", stub).results if r.grade_id == "normalize_speed"]
    assert [(r.passed, r.reason, r.detail) for r in row] == [
        (False, "normalize_speed: not implemented yet (normalize raises NotImplementedError)",
         None)]


# ---- the progress bar -----------------------------------------------------------------


class RecordingBar(progressbar.NotebookBar):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shown: list[dict[str, str]] = []

    def _show(self, bundle: dict[str, str]) -> None:
        self.handle = "handle"
        self.shown.append(bundle)


def test_the_notebook_bar_waits_then_shows_then_empties_itself():
    quick = RecordingBar(33, "timing normalize", delay=60)
    quick.update(1)
    quick.close()
    assert quick.shown == []  # a stub that fails at once never shows a bar
    bar = RecordingBar(33, "timing normalize", delay=0)
    bar.update(1)
    assert "1 of 33 timed batches" in bar.shown[-1]["text/plain"]
    assert "<progress value='1' max='33'" in bar.shown[-1]["text/html"]
    bar.close()
    bar.close()
    assert bar.shown[-1] == {"text/plain": ""} and len(bar.shown) == 2
    bar.update(1)
    assert len(bar.shown) == 2  # nothing after closing


def test_outside_a_kernel_the_bar_is_text_that_erases_itself():
    bar = progressbar.open_bar(33, "timing normalize", enabled=True)
    assert not isinstance(bar, progressbar.NotebookBar) and bar.leave is False
    bar.update(1)
    bar.close()  # stopped at 1 of 33: closes all the same
    assert bar.disable


# ---- the lesson's scaling curve -------------------------------------------------------

SIZES = [1_000, 10_000, 100_000]
TIMES = {"AI loop": [1e-4, 1e-3, 1e-2], "NumPy": [4e-6, 1e-5, 6e-5]}


def test_the_scaling_curve_reads_one_size_and_the_ratio():
    explorer = scaling_explorer(SIZES, TIMES, at=10_000)
    assert explorer.text() == ("at 10,000 elements: AI loop takes 100x as long as NumPy "
                               "(AI loop: 1 ms, NumPy: 10 µs per call)")
    bundle = explorer._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    slider = explorer.widget(b"")
    slider.children[0].value = 100_000  # what moving the slider does
    assert explorer.at == 100_000 and "at 100,000 elements" in slider.children[1].value
    assert bytes(slider.children[2].value).startswith(b"\x89PNG")


@pytest.mark.parametrize("sizes, times, at", [
    ([10, 10], {"a": [1, 2]}, None),
    ([10, 100], {"a": [1]}, None),
    ([10, 100], {}, None),
    ([10, 100], {"a": [1, 2]}, 50),
])
def test_the_scaling_curve_refuses_data_it_cannot_draw(sizes, times, at):
    with pytest.raises(ValueError):
        ScalingExplorer(sizes, times, at)


@pytest.mark.slow
def test_headless_the_scaling_curve_is_a_static_plot():
    """nbclient has no widget front end: the cell still ends with the PNG."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from grader.speed.lesson import scaling_explorer\n"
        f"scaling_explorer({SIZES!r}, {TIMES!r})")])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    (output,) = nb.cells[0].outputs
    assert base64.b64decode(output.data["image/png"]).startswith(b"\x89PNG")
    assert output.data["text/plain"].startswith("at 100,000 elements")


# ---- with workers ---------------------------------------------------------------------


def ai_normalize(scores):
    total = sum(scores)
    return [s / total for s in scores]


@pytest.mark.slow
def test_a_stub_measured_in_a_worker_closes_its_bar_and_says_so(tmp_path, monkeypatch):
    from grader.speed import ModuleCandidate, SpeedSpec, measure_speed

    bars = []
    real_open = progressbar.open_bar

    def recording(*args, **kwargs):
        bars.append(real_open(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(progressbar, "open_bar", recording)
    path = tmp_path / "cand.py"
    path.write_text("def normalize(scores):\n    raise NotImplementedError()\n")
    spec = SpeedSpec(size=50_000, threshold=10, reps=3, best_of=1, warmup=1, seed=1,
                     measure_memory=False, max_seconds=120)
    report = measure_speed(spec, inputs=lambda rng, n: (rng.random(n) + 0.5,),
                           expected=lambda s: s / s.sum(),
                           baseline=ai_normalize,
                           candidate=ModuleCandidate(path, "normalize"), progress=True)
    assert report.reason == "failed: raised NotImplementedError on warm-up call 1"
    assert len(bars) == 1 and bars[0].disable  # closed
    view = SpeedView("normalize", report, "normalize_speed")
    assert str(view) == ("normalize_speed: FAIL — not implemented yet (normalize raises "
                         "NotImplementedError)")
