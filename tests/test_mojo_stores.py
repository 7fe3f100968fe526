"""Mojo libraries compiled once and shared: the grader's store of course files
(mojo.prebuild, ``prebuilt`` in assignment.toml) and a submission's modules compiled once per
grading (grader/native/learner_builds.py), and what neither may hand over."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader.metadata import MetadataError, load_assignment
from grader.native import learner_builds, mojo
from grader.sandbox import GiB, Limits
from tests.test_mojo_native import needs_mojo, write_module

ROOT = Path(__file__).resolve().parent.parent
SIMD = ROOT / "solutions" / "04_simd"


# ---- fast: what is taken from a build folder the sandbox wrote -----------------------------


def _built(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "scratch"
    (root / "mojo" / "build" / "abc").mkdir(parents=True)
    return root, tmp_path / "store" / "abc" / "m.so"


def test_a_regular_file_is_taken(tmp_path):
    root, dest = _built(tmp_path)
    (root / "mojo" / "build" / "abc" / "m.so").write_bytes(b"\x7fELF library")
    learner_builds._take(root, ["mojo", "build", "abc", "m.so"], dest)
    assert dest.read_bytes() == b"\x7fELF library"
    assert oct(dest.stat().st_mode & 0o777) == "0o755"


@pytest.mark.parametrize("plant", ["file link", "folder link", "fifo", "folder", "nothing"])
def test_links_fifos_and_missing_files_are_not_taken(tmp_path, plant):
    root, dest = _built(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "m.so").write_bytes(b"the model's library")
    where = root / "mojo" / "build" / "abc" / "m.so"
    if plant == "file link":
        where.symlink_to(elsewhere / "m.so")
    elif plant == "folder link":  # the hash folder itself points at another build
        shutil.rmtree(where.parent)
        where.parent.symlink_to(elsewhere)
    elif plant == "fifo":  # opening it for reading must not block the grader
        os.mkfifo(where)
    elif plant == "folder":
        where.mkdir()
    learner_builds._take(root, ["mojo", "build", "abc", "m.so"], dest)
    assert not dest.exists()


def test_only_top_level_modules_with_pyinit_are_built():
    files = {"sum_array.mojo": b"def PyInit_sum_array()", "numpy_buffer.mojo": b"def f()",
             "pkg/inner.mojo": b"def PyInit_inner()", "notes.txt": b"PyInit_"}
    assert learner_builds.mojo_modules(files) == ["sum_array.mojo"]


def test_store_in_is_none_until_something_compiled(tmp_path):
    assert learner_builds.store_in(tmp_path) is None
    (tmp_path / learner_builds.STORE_DIR).mkdir()
    assert learner_builds.store_in(tmp_path) is None
    (tmp_path / learner_builds.STORE_DIR / "abc").mkdir()
    assert learner_builds.store_in(tmp_path) == tmp_path / learner_builds.STORE_DIR


def test_prebuilt_must_name_a_mojo_file_of_the_folder(tmp_path):
    folder = tmp_path / "04_simd"
    shutil.copytree(SIMD, folder, ignore=shutil.ignore_patterns("solution_only"))
    assert load_assignment(folder).prebuilt == ("sum_array_python_style.mojo",)
    toml = folder / "assignment.toml"
    text = toml.read_text()
    for bad in ('"missing.mojo"', '"../04_simd/sum_array.mojo"', '"speed.py"'):
        toml.write_text(text.replace('"sum_array_python_style.mojo"]', f"{bad}]", 1))
        with pytest.raises(MetadataError, match="prebuilt names"):
            load_assignment(folder)


# ---- slow: real compiles -----------------------------------------------------------------


@pytest.mark.slow
@needs_mojo
def test_build_takes_a_stored_library_and_looks_in_the_stores_in_order(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    source = write_module(tmp_path / "src", "stored", 7)
    store = mojo.prebuild([source], tmp_path / "store")
    digest, name = mojo.build_key(source)
    assert (store / digest / name).is_file()
    monkeypatch.setenv("GRADER_MOJO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(mojo.STORE_VARIABLE, os.pathsep.join([str(tmp_path / "empty"),
                                                             str(store)]))
    assert mojo.build(source) == store / digest / name  # not compiled again
    assert not (tmp_path / "cache" / "build").exists()
    assert mojo.load_library(store / digest / name, "stored", source).answer() == 7
    edited = write_module(tmp_path / "src", "stored", 8)  # another source: compiled here
    assert mojo.build(edited).is_relative_to(tmp_path / "cache")


@pytest.mark.slow
@needs_mojo
def test_a_submission_is_compiled_once_and_what_fails_is_left_out(tmp_path):
    """The learner's module goes in the store; a module that does not compile and the
    unchanged copy of the course's baseline (its library is the grader's) do not."""
    release = ROOT / "exercises" / "04_simd"
    files = {"sum_array.mojo": (SIMD / "sum_array.mojo").read_bytes(),
             "numpy_buffer.mojo": (release / "numpy_buffer.mojo").read_bytes(),
             "sum_array_python_style.mojo":
                 (release / "sum_array_python_style.mojo").read_bytes(),
             "broken.mojo": b"def PyInit_broken() abi(\"C\") -> PythonObject:\n    fn\n"}
    base = tmp_path / "job"
    base.mkdir()
    base.chmod(0o755)
    trusted = tmp_path / "trusted"
    shutil.copytree(release, trusted)
    ran = learner_builds.build_once(files, base, trusted=trusted, timeout=300,
                                    limits=Limits(cpu_seconds=300, memory_bytes=4 * GiB))
    assert ran is not None and ran.returncode == 0, ran
    store = learner_builds.store_in(base)
    assert store is not None
    digest, name = mojo.build_key(base / "mojo-pristine" / "sum_array.mojo")
    assert [p.relative_to(store).as_posix() for p in store.rglob("*.so")] == \
        [f"{digest}/{name}"]
