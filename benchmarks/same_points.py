"""Every golden submission of every chapter, graded by `python -m grader grade` and by
`python -m grader autograde --workers 2`: the points must be the same, cell by cell.

    .venv/bin/python benchmarks/same_points.py [--only 04_simd] [--keep DIR]

Both doors run one engine (grader/classgrade/engine.py); this proves it end to end on the
golden submissions in tests/golden/ (honest alternatives, boundary bugs, cheats, bombs). Not
a unit test: it builds crates and runs every speed measurement twice, ~15 minutes on 2 cores.
Exits 1 when any cell differs. Chapter 01's short cell timeout keeps its endless loops cheap;
the others keep the course's (a grade cell that builds a crate or a Mojo file compiles it in
a fresh worker within that time). Both doors get the same timeouts.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = {"01_vectorization": 20}  # others: the course's Execute.timeout
TIMEOUT = 600.0


def _ch01(base: Path) -> dict[str, Path]:
    from tests.test_classgrade_support import ADVERSARIAL, HONEST, submit

    out = {}
    for kind in [*HONEST, *(f"adversarial/{p.stem}" for p in sorted(ADVERSARIAL.glob("*.py")))]:
        name = kind.replace("adversarial/", "x_")
        out[name] = submit(base, name, kind)
    return out


def _ch02(base: Path) -> dict[str, Path]:
    from tests.test_apis_chapter import EXPECTED, submission

    folder = base / "submitted"
    return {golden: submission(golden, base, folder / golden / "02_hallucinated_apis")
            for golden in sorted(EXPECTED)}


def _ch03(base: Path) -> dict[str, Path]:
    """Part 1's goldens, then each golden tests cell of part 2 in the model notebook."""
    import nbformat

    from tests.test_silent_logic_chapter import EXPECTED, submission
    from tests.test_silent_logic_mutation import BENCH_ONLY, SETTINGS, _source
    from tests.test_silent_logic_mutation import EXPECTED as TESTS

    folder = base / "submitted"
    out = {golden: submission(golden, folder / golden / "03_silent_logic")
           for golden in sorted(EXPECTED)}
    for golden in sorted((set(TESTS) | set(BENCH_ONLY)) - {"model"}):
        name = f"tests_{golden}"
        notebook = submission("solution", folder / name / "03_silent_logic")
        nb = nbformat.read(str(notebook), as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == SETTINGS["cell"]:
                cell.source = _source(golden)
        nbformat.write(nb, str(notebook))
        out[name] = notebook
    return out


def _ch04(base: Path) -> dict[str, Path]:
    from tests.test_simd_chapter import GOLDENS, make_submission

    out = {}
    for name, (golden, env, _) in GOLDENS.items():
        if env:  # graded with Mojo hidden: one environment per class run, so left out here
            continue
        folder = base / "submitted" / name / "04_simd"
        source = ROOT / "solutions" / "04_simd" / "simd.ipynb"
        if golden == "solution":
            folder.mkdir(parents=True)
            shutil.copy(source, folder / "simd.ipynb")
            shutil.copy(ROOT / "solutions" / "04_simd" / "sum_array.mojo", folder)
            out[name] = folder / "simd.ipynb"
        else:
            out[name] = make_submission(golden, folder)
    return out


def _ch05(base: Path) -> dict[str, Path]:
    from tests.test_rust_clones import make_rust_submission

    goldens = ["solution", None, *sorted(p.name for p in (ROOT / "tests" / "golden" /
                                                          "05_rust_clones").iterdir()
                                         if p.is_dir())]
    out = {}
    for golden in goldens:
        name = golden or "unsolved"
        out[name] = make_rust_submission(golden, base / "submitted" / name / "05_rust_clones")
    return out


def _ch06(base: Path) -> dict[str, Path]:
    from tests.test_go_chapter import EXPECTED, package_text

    out = {}
    for golden in sorted(EXPECTED):
        folder = base / "submitted" / golden / "06_go_errors"
        shutil.copytree(ROOT / "exercises" / "06_go_errors", folder)
        (folder / "fetch" / "fetch.go").write_text(package_text(golden))
        out[golden] = folder / "go_errors.ipynb"
    return out


def _ch07(base: Path) -> dict[str, Path]:
    from tests.test_insecure_defaults_chapter import EXPECTED, submission

    folder = base / "submitted"
    return {golden: submission(golden, base, folder / golden / "07_insecure_defaults")
            for golden in sorted(EXPECTED)}


BUILDERS = {"01_vectorization": _ch01, "02_hallucinated_apis": _ch02,
            "03_silent_logic": _ch03, "04_simd": _ch04,
            "05_rust_clones": _ch05, "06_go_errors": _ch06,
            "07_insecure_defaults": _ch07}


def compare(assignment: str, base: Path) -> list[str]:
    """Grade every golden both ways; the differences, one line each."""
    from grader.classgrade import Options, autograde_class
    from grader.grading import grade_notebook
    from grader.nbgrader_api import checked, make_api
    from tests.test_classgrade_support import gradebook_scores

    shutil.copytree(ROOT / "solutions" / assignment, base / "solutions" / assignment,
                    ignore=shutil.ignore_patterns("target", "__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", base)
    checked(make_api(base).generate_assignment(assignment, force=True, create=True),
            "generate_assignment")
    notebooks = BUILDERS[assignment](base)
    start = time.monotonic()
    outcome = autograde_class(base, assignment, Options(
        workers=2, feedback=False, progress=True, cell_timeout=CELL_TIMEOUT.get(assignment),
        timeout=TIMEOUT))
    print(f"{assignment}: class autograde of {len(notebooks)} in "
          f"{time.monotonic() - start:.0f} s", flush=True)
    rows = {r.student: r for r in outcome.rows}
    import tests.test_classgrade_support as support

    support.A = assignment  # gradebook_scores reads this assignment's submissions
    classed = gradebook_scores(base)
    differences = []
    for student, notebook in notebooks.items():
        graded = grade_notebook(ROOT, assignment, notebook,
                                cell_timeout=CELL_TIMEOUT.get(assignment), timeout=TIMEOUT)
        ours = {c.grade_id: c.points for c in graded.cells}
        theirs = classed.get(student, {})
        same = ours == theirs and rows.get(student) is not None and \
            rows[student].status == "graded"
        print(f"  {student:<28} grade {graded.score:5g}  autograde "
              f"{sum(theirs.values()):5g}  {'same' if same else 'DIFFERENT'}", flush=True)
        if not same:
            row = rows.get(student)
            print(f"    autograde row: {row.status if row else 'missing'}: "
                  f"{row.message if row else ''}"[:2000], flush=True)
            differences.append(f"{assignment}/{student}: " + ", ".join(
                f"{g} {ours.get(g)} vs {theirs.get(g)}" for g in sorted(set(ours) | set(theirs))
                if ours.get(g) != theirs.get(g)))
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(BUILDERS))
    parser.add_argument("--keep", type=Path, help="keep the courses here")
    args = parser.parse_args()
    differences = []
    for assignment in [args.only] if args.only else sorted(BUILDERS):
        base = Path(tempfile.mkdtemp(prefix=f"same-points-{assignment}-",
                                     dir=args.keep))
        try:
            differences += compare(assignment, base)
        finally:
            if args.keep is None:
                shutil.rmtree(base, ignore_errors=True)
    print("\n".join(differences) or "every golden: the same points from both doors")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
