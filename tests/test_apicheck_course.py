"""api_check on the course itself: it finds every call planted in chapter 02's AI snippets,
nothing in their fixed versions, and nothing in any Python or JavaScript of solutions/ (no
false positives on the course's own code)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader.apicheck import api_check
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
SOURCE = ROOT / "solutions" / "02_hallucinated_apis"
RELEASE = ROOT / "exercises" / "02_hallucinated_apis"


def cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text())["cells"]


def text(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def fenced(language: str) -> str:
    """The AI snippets as the exercise notebook shows them (its first fenced block)."""
    for cell in cells(RELEASE / "hallucinated_apis.ipynb"):
        match = re.search(rf"```{language}\n(.*?)```", text(cell), re.S)
        if cell["cell_type"] == "markdown" and match:
            return match.group(1)
    raise AssertionError(f"no ```{language} block in the exercise notebook")


def test_every_planted_call_is_found():
    python = api_check("import json\n\nimport numpy as np\nimport requests\n\n"
                       + fenced("python"))
    assert sorted(python.names()) == ["encoding", "interpolation", "json_or_raise"], python
    assert all(f.confirmed for f in python.findings), python
    javascript = api_check(fenced("javascript"), language="javascript")
    assert sorted(javascript.names()) == ["json_safe", "timeout"], javascript
    released = api_check((RELEASE / "js" / "users.mjs").read_text(), language="javascript")
    assert sorted(released.names()) == ["json_safe", "timeout"], released


def runnable(notebook: Path) -> str:
    """A notebook's code cells in order, as one module: magics and shell lines dropped."""
    parts = []
    for cell in cells(notebook):
        if cell["cell_type"] != "code":
            continue
        lines = [line for line in text(cell).splitlines()
                 if not line.lstrip().startswith(("%", "!"))]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def course_files() -> list[Path]:
    folder = ROOT / "solutions"
    return sorted([*folder.rglob("*.py"), *folder.rglob("*.ipynb"), *folder.rglob("*.mjs")])


@pytest.mark.parametrize("path", course_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_finding_in_the_course_code(path):
    if path.suffix == ".ipynb":
        report = api_check(runnable(path))
    elif path.suffix == ".mjs":
        report = api_check(path.read_text(), language="javascript")
    else:
        report = api_check(path.read_text())
    # api_check reads code alone: a module beside a notebook (chapter 03's pricing.py) is
    # "not installed" to it, rightly so for a snippet, and checked as a file of its own here.
    beside = {p.stem for p in path.parent.glob("*.py")} if path.suffix == ".ipynb" else set()
    findings = [f for f in report.findings if not (f.kind == "not-installed" and any(
        f"'{module}'" in f.message for module in beside))]
    assert not findings, str(report)
