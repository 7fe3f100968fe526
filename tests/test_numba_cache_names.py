"""numba's on-disk cache (``cache=True``) is keyed by the source file's path, but each entry
records the name of the module the function was compiled in, and loading the entry imports
that name. A file imported under two names, or two notebooks sharing a cell file, poison the
cache for each other: the second process gets ``ModuleNotFoundError`` (a CI run failed this
way when checks.py and the speed engine imported speed.py under different names). Each
test runs two fresh processes on one private cache folder, so its outcome does not depend
on what else ran first."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT

SIMD = ROOT / "solutions" / "04_simd"


def _run(code: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_speed_py_compiled_by_the_engine_loads_in_the_checks(tmp_path):
    engine = _run(f"""
        from pathlib import Path
        import numpy as np
        from grader.speed.candidates import import_path
        support = import_path(Path({str(SIMD / "speed.py")!r}))
        assert support.copy_and_sum(np.ones(64)) == 64.0
    """, tmp_path)
    assert engine.returncode == 0, engine.stderr
    assert any(tmp_path.rglob("*.nbi")), "the first process wrote no cache entry"
    checks = _run(f"""
        import importlib.util, sys
        import numpy as np
        spec = importlib.util.spec_from_file_location("_any_name", {str(SIMD / "checks.py")!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules["_any_name"] = module
        spec.loader.exec_module(module)
        assert module.support.copy_and_sum(np.ones(64)) == 64.0
    """, tmp_path)
    assert checks.returncode == 0, checks.stderr


def test_two_notebooks_with_the_same_cached_cell_do_not_share_an_entry(tmp_path):
    cell = ("import numba\n\n@numba.njit(cache=True)\n"
            "def total(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n")
    cache = tmp_path / "numba"
    for folder in ("alice", "bob"):
        notebook = tmp_path / folder / "simd.ipynb"  # same stem, same cell, other path
        notebook.parent.mkdir()
        run = _run(f"""
            from pathlib import Path
            from grader.speed.candidates import _exec_notebook
            _, total = _exec_notebook(Path({str(notebook)!r}), "total", [(3, {cell!r})],
                                      in_worker=False)
            assert total(10) == 45
        """, cache)
        assert run.returncode == 0, f"{folder}: {run.stderr}"
