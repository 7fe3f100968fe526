"""Shared fixtures: the course root, and golden submissions built from the exercise notebook."""

from __future__ import annotations

import ast
import fnmatch
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def _go_missing() -> str | None:
    """Why no Go toolchain is usable here, or None (make installs one when the machine has
    none, so in CI this skips nothing)."""
    from grader.golang import GoNotFound, go_binary

    try:
        go_binary()
    except GoNotFound as exc:
        return str(exc)
    return None


needs_go = pytest.mark.skipif(_go_missing() is not None, reason=str(_go_missing()))


def grade_json(assignment: str, notebook: Path) -> dict:
    """``python -m grader grade ASSIGNMENT NOTEBOOK --json`` (the whole door: nbgrader, the
    sandbox, the verifier, the controller), its JSON answer."""
    import json
    import subprocess
    import sys

    env = dict(os.environ, GRADER_SANDBOX_KIND="bubblewrap")
    done = subprocess.run([sys.executable, "-m", "grader", "grade", assignment, str(notebook),
                           "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.stdout.strip(), done.stderr[-3000:]
    return json.loads(done.stdout)


def golden_cells(folder: Path, golden: str) -> tuple[dict[str, str], str]:
    """(cell id -> source, base) of the golden file ``folder/<golden>.py``: its
    ``# %% <cell id>`` sections; the base is the model solution when its first line says
    ``# base: solution``, else the release (no file: the solution itself, or the release)."""
    import re

    path = folder / f"{golden}.py"
    if not path.is_file():
        return {}, "solution" if golden == "solution" else "release"
    text = path.read_text()
    base = "solution" if text.startswith("# base: solution") else "release"
    parts = re.split(r"^# %% (\w+)\n", text, flags=re.M)
    return dict(zip(parts[1::2], (p.rstrip() + "\n" for p in parts[2::2]), strict=True)), base


def golden_notebook(release: Path, source: Path, notebook: str, golden_dir: Path, golden: str,
                    folder: Path) -> Path:
    """The released assignment folder ``release`` copied to ``folder``, with the solution
    cells of the golden ``golden_dir/<golden>.py`` (`golden_cells`); the other solution
    cells from the model in ``source`` (markers removed) when the golden's base is the
    solution, else as released. The notebook's path."""
    import re
    import shutil

    import nbformat

    shutil.copytree(release, folder)
    cells, base = golden_cells(golden_dir, golden)
    model = nbformat.read(str(source / notebook), as_version=4)
    model_cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in model.cells}
    nb = nbformat.read(str(folder / notebook), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        if meta["grade_id"] in cells:
            cell.source = cells[meta["grade_id"]]
        elif base == "solution":
            cell.source = "\n".join(line for line in model_cells[meta["grade_id"]].splitlines()
                                    if not re.match(r"\s*### (BEGIN|END) SOLUTION", line))
    nbformat.write(nb, str(folder / notebook))
    return folder / notebook


@pytest.fixture(autouse=True)
def _private_state(tmp_path, monkeypatch):
    """No test touches the developer's own progress file."""
    monkeypatch.setenv("GRADER_STATE_FILE", str(tmp_path / "progress.json"))


@pytest.fixture
def root() -> Path:
    return ROOT


def golden_functions(path: Path) -> dict[str, str]:
    """Top-level function sources of a golden file, by name (imports go with each one)."""
    text = path.read_text()
    tree = ast.parse(text)
    imports = [ast.get_source_segment(text, n) for n in tree.body
               if isinstance(n, ast.Import | ast.ImportFrom)]
    header = "\n".join(imports) + ("\n\n" if imports else "")
    return {n.name: header + ast.get_source_segment(text, n) for n in tree.body
            if isinstance(n, ast.FunctionDef)}


def _module_list(path: Path, name: str) -> list[str]:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return list(ast.literal_eval(node.value))
    return []


def extra_cells(path: Path) -> list[str]:
    """A golden file's module-level ``EXTRA_CELLS = [...]``: cells a cheat adds."""
    return _module_list(path, "EXTRA_CELLS")


def deleted_cells(path: Path) -> list[str]:
    """A golden file's ``DELETED_CELLS = [...]``: fnmatch patterns of the grade ids of the
    grade (test) cells a cheat deletes, e.g. ``["*"]`` for all of them."""
    return _module_list(path, "DELETED_CELLS")


def make_submission(exercise_nb: Path, golden: Path, out: Path) -> Path:
    """The exercise notebook with each solution cell replaced by the golden file's function
    of the same name (what a learner who wrote that code would hand in), plus any extra
    cells a cheat adds right after the setup cell, minus any grade cells it deletes."""
    functions = golden_functions(golden)
    nb = nbformat.read(str(exercise_nb), as_version=4)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            name = meta["grade_id"].removesuffix("_solution")
            if name in functions:
                cell.source = functions[name]
    for offset, source in enumerate(extra_cells(golden)):
        nb.cells.insert(2 + offset, nbformat.v4.new_code_cell(source))
    deleted = deleted_cells(golden)
    nb.cells = [c for c in nb.cells if not (
        c.get("metadata", {}).get("nbgrader", {}).get("grade") and any(
            fnmatch.fnmatch(c["metadata"]["nbgrader"]["grade_id"], p) for p in deleted))]
    nbformat.write(nb, str(out))
    return out


os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
