"""grader.native.mojo against the real Mojo compiler, and the chapter's Mojo files.

Builds take 10-30 s each on two cores, so every test that compiles is marked slow and is
skipped (with the reason) when Mojo is not installed. Builds are cached by content under
.cache/mojo/build, so a second run only recompiles what changed; the rebuild test puts a
fresh token in its source to force real compiles every time.
"""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from grader.native import mojo

ROOT = Path(__file__).resolve().parent.parent
SIMD_DIR = ROOT / "solutions" / "04_simd"
RELEASE_DIR = ROOT / "exercises" / "04_simd"
REFERENCE = SIMD_DIR / "solution_only" / "sum_array_reference.mojo"
COURSE_DIR = ROOT / "course" / "mojo"

needs_mojo = pytest.mark.skipif(
    not mojo.mojo_available(), reason="Mojo is not installed (make mojo, or pip install mojo)"
)

MODULE_TEMPLATE = """\
# {token}
from std.os import abort
from std.python import PythonObject
from std.python.bindings import PythonModuleBuilder


@export
def PyInit_{name}() abi("C") -> PythonObject:
    try:
        var module = PythonModuleBuilder("{name}")
        module.def_function[answer]("answer")
        module.def_function[add]("add")
        return module.finalize()
    except e:
        abort(String("failed to create module: ", e))


def answer() raises -> PythonObject:
    return PythonObject({answer})


def add(a: PythonObject, b: PythonObject) raises -> PythonObject:
    return a + b
"""


def write_module(folder: Path, name: str, answer: int, token: str = "") -> Path:
    """A minimal extension module ``name`` whose ``answer()`` returns ``answer``."""
    path = folder / f"{name}.mojo"
    path.write_text(MODULE_TEMPLATE.format(name=name, answer=answer, token=token))
    return path


def within_bound(got: float, values: np.ndarray) -> bool:
    """|got - fsum| <= n * 2**-52 * sum|x|: the worst-case error of any summation order."""
    exact = math.fsum(values)
    bound = max(len(values), 1) * 2.0**-52 * float(np.abs(values).sum())
    return abs(got - exact) <= bound


@pytest.fixture(scope="module", params=["reference", "marked solution"])
def simd(request: pytest.FixtureRequest) -> ModuleType:
    """The model solution, twice: the self-contained reference in solution_only/, and the
    exercise's sum_array.mojo as the solution source has it (its starter lines are comments,
    so it compiles as the solution)."""
    if request.param == "reference":
        return mojo.build_and_import(REFERENCE)
    return mojo.build_and_import(SIMD_DIR / "sum_array.mojo")


@pytest.mark.slow
@needs_mojo
def test_good_module_builds_imports_and_is_cached(tmp_path: Path) -> None:
    source = write_module(tmp_path, "good_mod", 42)
    module = mojo.build_and_import(source)
    assert module.__name__ == "good_mod"
    assert module.answer() == 42
    assert module.add(2, 3) == 5
    assert Path(module.__file__).is_relative_to(mojo.cache_root() / "build")
    assert mojo.build_and_import(source) is module


@pytest.mark.slow
@needs_mojo
def test_rebuild_after_edit_gives_new_behaviour_in_same_process(tmp_path: Path) -> None:
    token = f"run {uuid.uuid4()}"  # new content every run: both builds really compile
    source = write_module(tmp_path, "edited_mod", 1, token)
    first = mojo.build_and_import(source)
    assert first.answer() == 1
    write_module(tmp_path, "edited_mod", 2, token)
    second = mojo.build_and_import(source)
    assert second.answer() == 2
    assert first.answer() == 1, "the old build stays loaded and unchanged"
    assert first.__file__ != second.__file__


@pytest.mark.slow
@needs_mojo
def test_compile_error_gives_the_compilers_own_message(tmp_path: Path) -> None:
    source = tmp_path / "broken.mojo"
    source.write_text("fn answer() -> Int:\n    return 1\n\n\ndef other() -> Int:\n    return y\n")
    with pytest.raises(mojo.MojoBuildError) as caught:
        mojo.build_and_import(source)
    message = str(caught.value)
    # Paths are shown relative to the file's folder: a learner reads `broken.mojo:1:1`, not
    # a temporary grading folder.
    assert "broken.mojo:1:1: error: 'fn' has been removed; use 'def' instead" in message
    assert "broken.mojo:6:12: error: use of unknown declaration 'y'" in message
    assert str(tmp_path) not in message
    assert "Traceback" not in message
    assert "failed to parse the provided Mojo source module" not in message
    assert "failed to parse" in caught.value.stderr, "the full output is kept"
    assert not list((mojo.cache_root() / "build").glob("*/broken.so"))


@pytest.mark.slow
@needs_mojo
def test_module_name_must_match_pyinit(tmp_path: Path) -> None:
    source = write_module(tmp_path, "declared", 7)
    renamed = source.rename(tmp_path / "renamed.mojo")
    with pytest.raises(mojo.MojoBuildError, match=r"PyInit_renamed"):
        mojo.build_and_import(renamed)
    assert mojo.build_and_import(renamed, module_name="declared").answer() == 7


def test_disable_variable_hides_an_installed_mojo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mojo.DISABLE_VARIABLE, "1")
    assert mojo.mojo_version() is None and not mojo.mojo_available()
    with pytest.raises(mojo.MojoNotInstalled, match="make mojo"):
        mojo.build_and_import(write_module(tmp_path, "hidden", 0))
    monkeypatch.setenv(mojo.DISABLE_VARIABLE, "0")
    assert mojo.mojo_version() == mojo.mojo_version()  # "0" means not disabled


def test_cache_key_covers_imported_siblings_only(tmp_path: Path) -> None:
    main = tmp_path / "main.mojo"
    main.write_text("from helper import f\nfrom std.python import PythonObject\n")
    (tmp_path / "helper.mojo").write_text("from inner import g\n")
    (tmp_path / "inner.mojo").write_text("def g(): pass\n")
    (tmp_path / "unrelated.mojo").write_text("def h(): pass\n")
    assert [p.name for p in mojo.local_imports(main)] == ["helper.mojo", "inner.mojo",
                                                          "main.mojo"]
    before = mojo._digest(main, "main")
    (tmp_path / "unrelated.mojo").write_text("def h(): return\n")
    assert mojo._digest(main, "main") == before, "an unrelated edit must not force a rebuild"
    (tmp_path / "inner.mojo").write_text("def g(): return\n")
    assert mojo._digest(main, "main") != before, "an edit to an imported file must"
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("main.mojo", "helper.mojo", "inner.mojo"):
        (copy / name).write_bytes((tmp_path / name).read_bytes())
    assert mojo._digest(copy / "main.mojo", "main") == mojo._digest(main, "main")


def test_missing_mojo_raises_with_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_module(tmp_path, "anything", 0)
    monkeypatch.setattr(mojo, "mojo_version", lambda: None)
    assert not mojo.mojo_available()
    with pytest.raises(mojo.MojoNotInstalled, match=r"make mojo.*pip install mojo"):
        mojo.build_and_import(source)


def test_bad_paths_are_rejected_before_building(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        mojo.build_and_import(tmp_path / "missing.mojo")
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(ValueError, match="not a .mojo file"):
        mojo.build_and_import(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="not a Python identifier"):
        mojo.build_and_import(write_module(tmp_path, "ok", 0), module_name="not-valid")


def test_trim_diagnostics_keeps_errors_and_drops_noise() -> None:
    stderr = (
        "/w/a.mojo:5:26: warning: 'UnsafePointer' is deprecated, use 'Pointer' instead\n"
        "def f(data: UnsafePointer[Float64], n: Int) -> Float64:\n"
        "                         ^~~~~~~~~~~~~\n"
        "<unknown>:0: note: 'UnsafePointer' declared here\n"
        "/w/a.mojo:10:1: error: 'fn' has been removed; use 'def' instead\n"
        "fn main():\n"
        "^~\n"
        "def\n"
        "/venv/bin/mojo: error: failed to parse the provided Mojo source module\n"
    )
    assert mojo.trim_diagnostics(stderr) == (
        "/w/a.mojo:10:1: error: 'fn' has been removed; use 'def' instead\nfn main():\n^~\ndef"
    )
    assert mojo.trim_diagnostics("ld.lld: error: undefined symbol: foo\n") == (
        "ld.lld: error: undefined symbol: foo"
    )


LENGTHS = {
    "empty": lambda w: 0,
    "one": lambda w: 1,
    "width-1": lambda w: w - 1,
    "width": lambda w: w,
    "width+1": lambda w: w + 1,
    "4*width-1": lambda w: 4 * w - 1,
    "4*width+1": lambda w: 4 * w + 1,
    "1001": lambda w: 1001,
    "10M": lambda w: 10_000_000,
}


@pytest.mark.slow
@needs_mojo
@pytest.mark.parametrize("length", list(LENGTHS.values()), ids=list(LENGTHS))
def test_simd_sum_matches_fsum_on_awkward_lengths(simd: ModuleType, length) -> None:
    n = length(simd.simd_width())
    values = np.random.default_rng(n).standard_normal(n)
    got = simd.sum_array(values)
    assert isinstance(got, float)
    assert within_bound(got, values)
    if n >= 3:  # a view that starts mid-buffer: the data pointer, not the buffer start
        assert within_bound(simd.sum_array(values[2:]), values[2:])


@pytest.mark.slow
@needs_mojo
def test_simd_sum_sees_the_callers_memory(simd: ModuleType) -> None:
    values = np.ones(simd.simd_width() + 1)
    assert simd.sum_array(values) == len(values)
    values[-1] = 100.0  # the tail element the article's loop drops
    assert simd.sum_array(values) == len(values) - 1 + 100.0


@pytest.mark.slow
@needs_mojo
@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ([1.0, 2.0], "got list"),
        (np.ones(4, dtype=np.float32), "'<f4'"),
        (np.ones((2, 2)), "1-D"),
        (np.ones(8)[::2], "C-contiguous"),
    ],
    ids=["list", "float32", "2-D", "strided"],
)
def test_simd_sum_rejects_what_it_cannot_read(simd: ModuleType, bad, expected: str) -> None:
    with pytest.raises(Exception, match=expected):
        simd.sum_array(bad)


@pytest.mark.slow
@needs_mojo
def test_python_style_baseline_agrees() -> None:
    baseline = mojo.build_and_import(SIMD_DIR / "sum_array_python_style.mojo")
    for n in (0, 1, 5, 1001):
        values = np.random.default_rng(n).standard_normal(n)
        assert within_bound(baseline.sum_array(values), values)


@pytest.mark.slow
@needs_mojo
def test_released_starter_compiles_and_raises_not_implemented() -> None:
    starter = mojo.build_and_import(RELEASE_DIR / "sum_array.mojo")
    with pytest.raises(Exception, match="not implemented"):
        starter.sum_array(np.ones(3))
    assert starter.simd_width() >= 1


@pytest.mark.slow
@needs_mojo
def test_articles_ai_version_does_not_compile_and_its_port_runs() -> None:
    result = mojo.run_file(COURSE_DIR / "article_ai_version.mojo")
    assert result.returncode != 0
    assert "error: use of unknown declaration 'list'" in mojo.trim_diagnostics(result.stderr)
    result = mojo.run_file(COURSE_DIR / "article_ai_version_ported.mojo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sum_array: 11.5"


@pytest.mark.slow
@needs_mojo
def test_article_human_fix_does_not_compile_any_more() -> None:
    result = mojo.run_file(COURSE_DIR / "article_human_fix.mojo")
    assert result.returncode != 0
    errors = mojo.trim_diagnostics(result.stderr, base=COURSE_DIR)
    assert "article_human_fix.mojo:1:6: error: unable to locate module 'math'" in errors
    assert "error: unable to locate module 'memory'" in errors
    assert "article_human_fix.mojo:3:1: error: 'fn' has been removed; use 'def' instead" in errors
    assert "error: use of unknown declaration 'DTypePointer'" in errors


@pytest.mark.slow
@needs_mojo
def test_article_fix_ported_drops_the_tail() -> None:
    result = mojo.run_file(COURSE_DIR / "article_fix_ported.mojo")
    assert result.returncode == 0, result.stderr
    width = int(result.stdout.split("SIMD width for float64:")[1].split()[0])
    assert f"sum of {width + 1} ones: {float(width)}  expected: {float(width + 1)}" in result.stdout
    assert f"sum of {width} ones: 0.0  expected: {float(width)}" in result.stdout


@pytest.mark.slow
@needs_mojo
def test_lesson_module_drops_the_tail_from_python() -> None:
    sums = mojo.build_and_import(COURSE_DIR / "lesson_sums.mojo")
    width = sums.simd_width()
    for n in (1, width, width + 1, 3 * width + 2):
        values = np.ones(n)
        dropped = n - sums.sum_article_simd(values)
        assert 1 <= dropped <= width, (n, dropped)
        assert sums.sum_python_style(values) == n
