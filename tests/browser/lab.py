"""Page objects for JupyterLab driven by Playwright: open a notebook, wait for its kernel, run
its cells, edit a cell, read what its outputs show.

Actions go through the UI as a learner's would: URLs, clicks, keys, menus. Observations read
the DOM where it is what the learner sees (prompts, output text, images) and JupyterLab's own
model, through ``window.jupyterapp`` (``--LabApp.expose_app_in_browser``, as JupyterLab's
own UI tests do), where the DOM cannot tell: an error output renders exactly like a stderr
stream, a cell's nbgrader grade_id is not shown, cells attach to the page a few at a time.

Cell indices count every cell of the notebook (markdown too) from 0, as in the .ipynb file.
Every wait is on a condition, never a fixed sleep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tests.conftest import ROOT

if TYPE_CHECKING:  # imported for annotations only: without playwright, the tests skip
    from playwright.sync_api import Locator, Page

    from tests.browser.server import LabServer

SCREENSHOTS = ROOT / ".cache" / "browser" / "screenshots"

# Page-side prelude: `panel` is the notebook panel whose document is `path` (or undefined).
_PANEL = ("const panel = [...window.jupyterapp.shell.widgets('main')]"
          ".find(w => w.context && w.context.path === path && w.content && w.content.widgets);")


class JupyterLab:
    """One browser tab on a lab server, for one test (``name`` names its screenshots)."""

    def __init__(self, page: Page, server: LabServer, name: str) -> None:
        self.page, self.server, self.name = page, server, name
        # JupyterLab's toasts (its offer to fetch Jupyter news comes a moment after start)
        # sit over the bottom right of the notebook and would swallow a click there: close
        # any that is in the way with its x, which only hides it (no setting is changed).
        page.add_locator_handler(page.get_by_role("button", name="Dismiss notification"),
                                 _dismiss_all)

    def visit(self, url_path: str) -> None:
        """Load ``url_path`` of the server, logged in with its token (any page: /formgrader
        too); returns once the page's load event fired."""
        sep = "&" if "?" in url_path else "?"
        self.page.goto(f"{self.server.url}{url_path}{sep}token={self.server.token}")

    def goto(self, url_path: str = "/") -> None:
        """Load a JupyterLab URL (default: the server's default URL, as `make lab` opens)
        and wait until JupyterLab has started and restored its layout."""
        self.visit(url_path)
        self.page.wait_for_function("() => window.jupyterapp !== undefined")
        self.page.evaluate("() => window.jupyterapp.restored")

    def main_area_documents(self) -> list[str]:
        """Paths of the documents open in the main area, once it shows anything at all (a
        document, the launcher): what the learner sees first."""
        self.page.wait_for_function("() => [...window.jupyterapp.shell.widgets('main')].length")
        return self.page.evaluate("() => [...window.jupyterapp.shell.widgets('main')]"
                                  ".filter(w => w.context).map(w => w.context.path)")

    def open_notebook(self, path: str, timeout: float = 90) -> Notebook:
        """Open the notebook at ``path`` (relative to the served root) in a fresh layout
        (``?reset``: no other tab restored, so no other kernel started) and wait until all
        its cells are on the page and its kernel is idle."""
        self.goto(f"/lab/tree/{quote(path)}?reset")
        return self.notebook(path, timeout)

    def notebook(self, path: str, timeout: float = 90) -> Notebook:
        """The notebook at ``path``, already open (or opening) in this tab, once ready."""
        notebook = Notebook(self, path)
        notebook.wait_until_ready(timeout)
        return notebook

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """A named step of the test: if it fails, a screenshot of the page goes to
        .cache/browser/screenshots/<test>--<step>.png and the failure says so."""
        try:
            yield
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            exc.add_note(self._screenshot(name))
            raise

    def _screenshot(self, step: str) -> str:
        path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", f"{self.name}--{step}") + ".png")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=path)
        except Exception as exc:  # the page may be gone; the step's own error matters more
            return f"step {step!r} failed; no screenshot ({exc})"
        return f"step {step!r} failed; screenshot: {path}"


def _dismiss_all(close_buttons: Locator) -> None:
    while close_buttons.first.is_visible():
        close_buttons.first.click()


class Notebook:
    """A notebook open in a ``JupyterLab`` tab, found by its path."""

    def __init__(self, lab: JupyterLab, path: str) -> None:
        self.lab, self.page, self.path = lab, lab.page, path

    # --- page-side helpers ------------------------------------------------------------------

    def _js(self, body: str) -> str:
        return f"([path, arg]) => {{ {_PANEL} {body} }}"

    def _eval(self, body: str, arg: Any = None) -> Any:
        return self.page.evaluate(self._js(body), [self.path, arg])

    def _wait(self, body: str, arg: Any = None, timeout: float = 30) -> Any:
        """Wait until ``body`` (page-side JS, with `panel` and `arg`) returns a truthy value;
        return that value."""
        handle = self.page.wait_for_function(self._js(body), arg=[self.path, arg],
                                             timeout=timeout * 1000)
        return handle.json_value()

    # --- state ------------------------------------------------------------------------------

    def wait_until_ready(self, timeout: float = 90) -> None:
        """Wait until the notebook is loaded, every cell is attached to the page (they
        attach a few at a time) and its kernel is idle."""
        self._wait("return panel && panel.context.isReady && panel.content.widgets.every("
                   "c => c.node.isConnected) && panel.content.widgets.length > 0;",
                   timeout=timeout)
        self.wait_for_kernel_idle(timeout)

    def wait_for_kernel_idle(self, timeout: float = 60) -> None:
        """Wait until the kernel status the learner sees (toolbar, status bar) is Idle."""
        self._wait("return panel.sessionContext.kernelDisplayStatus === 'idle';",
                   timeout=timeout)

    @property
    def locator(self) -> Locator:
        """The notebook panel's element."""
        return self.page.locator(f'[id="{self._eval("return panel.id;")}"]')

    def cell(self, index: int) -> Locator:
        """The element of cell ``index``."""
        return self.locator.locator(f'.jp-Cell[data-windowed-list-index="{index}"]')

    def cell_count(self) -> int:
        return self._eval("return panel.content.widgets.length;")

    def cell_type(self, index: int) -> str:
        """'code', 'markdown' or 'raw'."""
        return self._eval("return panel.content.widgets[arg].model.type;", index)

    def source(self, index: int) -> str:
        """The source of cell ``index``, as its editor holds it."""
        return self._eval("return panel.content.widgets[arg].model.sharedModel.getSource();",
                          index)

    def code_cell_index(self, n: int) -> int:
        """The notebook index of the ``n``-th code cell (from 0)."""
        return [i for i in range(self.cell_count()) if self.cell_type(i) == "code"][n]

    def find_cell(self, contains: str, cell_type: str | None = "code", start: int = 0) -> int:
        """The index of the first cell from ``start`` whose source contains ``contains``
        (of ``cell_type``; None: any type). Raises LookupError when there is none."""
        found = self._eval("return panel.content.widgets.findIndex((c, i) => i >= arg.start"
                           " && (!arg.type || c.model.type === arg.type)"
                           " && c.model.sharedModel.getSource().includes(arg.text));",
                           {"start": start, "type": cell_type, "text": contains})
        if found < 0:
            raise LookupError(f"no {cell_type or ''} cell from {start} on contains {contains!r}")
        return found

    def find_cell_by_grade_id(self, grade_id: str) -> int:
        """The index of the cell whose nbgrader metadata has ``grade_id``."""
        found = self._eval("return panel.content.widgets.findIndex("
                           "c => (c.model.getMetadata('nbgrader') || {}).grade_id === arg);",
                           grade_id)
        if found < 0:
            raise LookupError(f"no cell has grade_id {grade_id!r} in {self.path}")
        return found

    def _execution_counts(self) -> list[int]:
        return self._eval("return panel.content.widgets.filter(c => c.model.type === 'code')"
                          ".map(c => c.model.executionCount || 0);")

    # --- actions ----------------------------------------------------------------------------

    def set_source(self, index: int, text: str) -> None:
        """Replace the source of code cell ``index`` as a learner would: click into its
        editor, select all, insert ``text`` (inserted as one piece, so no auto-indent or
        bracket-closing changes it). Checks the editor then holds exactly ``text``."""
        editor = self.cell(index).locator(".jp-InputArea-editor .cm-content")
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(text)
        got = self.source(index)
        assert got == text, f"cell {index} holds {got!r} after typing {text!r}"

    def run_cell(self, index: int, timeout: float = 60) -> None:
        """Run code cell ``index`` (click into it, Ctrl+Enter) and wait until it has run: a
        new execution count in its prompt, each of its outputs on the page, the kernel idle."""
        before = max(self._execution_counts(), default=0)
        self.cell(index).locator(".jp-InputArea-editor .cm-content").click()
        self.page.keyboard.press("Control+Enter")
        self._wait("const c = panel.content.widgets[arg.index];"
                   "const prompt = c.node.querySelector('.jp-InputPrompt').textContent;"
                   "return !prompt.includes('*') && (c.model.executionCount || 0) > arg.before"
                   " && c.outputArea.widgets.length === c.model.outputs.length"
                   " && panel.sessionContext.kernelDisplayStatus === 'idle';",
                   {"index": index, "before": before}, timeout=timeout)

    def run_all(self, timeout: float = 300) -> None:
        """Run > Run All Cells from the menu bar, and wait until every non-empty code cell has
        run (or one failed: Run All stops there) and the kernel is idle again."""
        before = max(self._execution_counts(), default=0)
        self.page.locator(f'.lm-TabBar-tab[data-id="{self._eval("return panel.id;")}"]').click()
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            self._wait(_RAN_ALL, before, timeout=timeout)
        except Exception as exc:
            exc.add_note(f"error outputs so far: {self.error_outputs()}")
            raise

    # --- outputs ----------------------------------------------------------------------------

    def output_text(self, index: int) -> str:
        """The text the outputs of cell ``index`` show (as rendered, tables included)."""
        area = self.cell(index).locator(".jp-Cell-outputArea")
        area.scroll_into_view_if_needed()
        return area.inner_text()

    def output_html(self, index: int) -> str:
        """The HTML of the outputs of cell ``index``, as rendered."""
        return self.cell(index).locator(".jp-Cell-outputArea").inner_html()

    def wait_for_output(self, index: int, pattern: str, timeout: float = 30) -> str:
        """Wait until the outputs of cell ``index`` show text matching ``pattern`` (a
        JavaScript regular expression, case-insensitive), for outputs that draw themselves
        after the cell has run (widgets); return the outputs' text. Reads textContent: a
        cell scrolled out of view is detached from the page (JupyterLab's windowed notebook)
        and its innerText is empty, while its widgets still redraw."""
        self._wait("const area = panel.content.widgets[arg.index].node"
                   ".querySelector('.jp-Cell-outputArea');"
                   "return area && new RegExp(arg.pattern, 'i').test(area.textContent);",
                   {"index": index, "pattern": pattern}, timeout=timeout)
        return self.output_text(index)

    def error_outputs(self) -> list[str]:
        """'cell N: ename: evalue' for each error output in the notebook (exceptions, not
        stderr streams, which look the same on the page)."""
        return self._eval(
            "const found = [];"
            "panel.content.widgets.forEach((c, i) => { if (c.model.type !== 'code') return;"
            " for (const o of c.model.outputs.toJSON()) if (o.output_type === 'error')"
            "  found.push(`cell ${i}: ${o.ename}: ${o.evalue}`); });"
            "return found;")

    def wait_for_images(self, at_least: int = 1, timeout: float = 30) -> int:
        """Wait until the outputs show ``at_least`` images (a matplotlib PNG, any <img>)
        loaded and non-empty; return how many they show."""
        return self._wait("const n = [...panel.node.querySelectorAll('.jp-OutputArea-output img')]"
                          ".filter(img => img.complete && img.naturalWidth > 0).length;"
                          "return n >= arg && n;", at_least, timeout=timeout)


# Run All is done when no prompt shows [*], the kernel is idle, and every non-empty code
# cell has an execution count from this run, or one from this run failed (Run All stops at
# an error: the cells after it are not run).
_RAN_ALL = """
if (panel.sessionContext.kernelDisplayStatus !== 'idle') return false;
const code = panel.content.widgets.filter(c => c.model.type === 'code'
    && c.model.sharedModel.getSource().trim());
if (code.some(c => c.node.querySelector('.jp-InputPrompt').textContent.includes('*')))
    return false;
const ran = code.filter(c => (c.model.executionCount || 0) > arg);
return ran.length === code.length
    || ran.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
"""


# --- grader's check() table -------------------------------------------------------------------
# check() renders one <tr data-passed="true|false"> per public test, the state in words (a
# "pass"/"FAIL" badge), and each failing row's reason as a <details> that opens to the call,
# what came back and what was expected (grader/report.py).


def read_check(notebook: Notebook, index: int) -> dict[str, int]:
    """How many rows of the check() table in cell ``index`` pass and fail, once it shows."""
    table = notebook.cell(index).locator(".jp-Cell-outputArea .grader-check")
    table.wait_for(timeout=60_000)
    rows = table.locator("tr[data-passed]")
    return {"pass": rows.and_(table.locator("tr[data-passed='true']")).count(),
            "fail": rows.and_(table.locator("tr[data-passed='false']")).count()}


def assert_check_failed(verdicts: dict[str, int]) -> None:
    """The check() table reports at least one failing test."""
    assert verdicts["fail"], f"check() shows no failing row ({verdicts})"


def assert_check_passed(verdicts: dict[str, int]) -> None:
    """The check() table reports passing tests and no failure."""
    assert verdicts["pass"] and not verdicts["fail"], \
        f"check() does not show every row passing ({verdicts})"


def open_first_failure(notebook: Notebook, index: int) -> str:
    """Click the first failing row's reason open; the text it then shows (call, returned,
    expected)."""
    row = notebook.cell(index).locator(".grader-check tr[data-passed='false']").first
    row.locator("summary").click()
    opened = row.locator("details[open] table")
    opened.wait_for(timeout=10_000)
    return opened.inner_text()
