"""An instructor's `make instructor`: Formgrader lists the course's assignments."""

from __future__ import annotations

import pytest

from tests.browser.lab import JupyterLab

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.timeout(300)]


def test_formgrader_lists_the_assignments(instructor: JupyterLab) -> None:
    # Formgrader lists the source assignments: the folders of solutions/ with a notebook.
    expected = sorted(p.name for p in (instructor.server.root / "solutions").iterdir()
                      if any(p.glob("*.ipynb")))
    assert expected, "the course copy has no assignment"
    with instructor.step("open formgrader"):
        instructor.visit("/formgrader")
    for name in expected:
        with instructor.step(f"row {name}"):
            row = instructor.page.get_by_role("row").filter(has_text=name)
            row.first.wait_for(state="visible")
