"""The generated gradebook and release that `grade` reuses (fast: no nbgrader run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import grading
from tests.conftest import ROOT


@pytest.fixture
def course(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    source = tmp_path / "solutions" / "demo"
    source.mkdir(parents=True)
    (source / "demo.ipynb").write_text("{}")
    (source / "helper.py").write_text("X = 1\n")
    return tmp_path


def test_the_key_follows_the_source_config_and_nothing_nbgrader_ignores(course):
    key = grading.source_key(course, "demo")
    assert grading.source_key(course, "demo") == key
    # What nbgrader ignores (build output, caches) leaves the key alone.
    for ignored in ("target/debug/big.bin", "__pycache__/helper.pyc", ".cache/x", "a.so"):
        path = course / "solutions" / "demo" / ignored
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * 100)
    assert grading.source_key(course, "demo") == key
    (course / "solutions" / "demo" / "helper.py").write_text("X = 2\n")
    edited = grading.source_key(course, "demo")
    assert edited != key
    (course / "solutions" / "demo" / "helper.py").rename(course / "solutions" / "demo" / "h.py")
    assert grading.source_key(course, "demo") not in (key, edited)  # names count too
    renamed = grading.source_key(course, "demo")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("\nc.Autograde.exclude_overwriting = {}\n")
    assert grading.source_key(course, "demo") != renamed


def test_generation_runs_once_per_source_and_old_ones_are_dropped(course, monkeypatch):
    made: list[Path] = []

    def fake_generate(root, assignment, folder, cached):
        made.append(cached)
        (cached / "release" / assignment).mkdir(parents=True)
        (cached / "gradebook.db").write_text(f"db {len(made)}")

    monkeypatch.setattr(grading, "_generate", fake_generate)
    for n in range(2):
        target = course / f"course{n}"
        target.mkdir()
        grading._copy_generated(course, "demo", target)
        assert (target / "gradebook.db").read_text() == "db 1"
        assert (target / "release" / "demo").is_dir()
    assert len(made) == 1
    (course / "solutions" / "demo" / "helper.py").write_text("X = 3\n")
    target = course / "course2"
    target.mkdir()
    grading._copy_generated(course, "demo", target)
    assert (target / "gradebook.db").read_text() == "db 2"
    kept = [p.name for p in (course / ".cache" / "grade" / "demo").iterdir() if p.is_dir()]
    assert kept == [made[1].name]
