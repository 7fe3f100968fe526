"""Fixtures of the browser tests: Debian's Chromium driven by Playwright (PyPI's playwright
cannot download its own browsers offline), and lab servers started with `make lab` (learner
mode) and `make instructor` (instructor mode), each serving a throwaway copy of the course.

``learner`` / ``instructor``: a fresh browser tab (tests/browser/lab.py's JupyterLab) on a
server of that mode. A server serves every test of one module on one xdist worker and then
stops (a module split between the two workers starts one on each, a few seconds more). A
server's output goes to .cache/browser/<target>-<worker>.log, rewritten each test session;
the learner server's must not report an error, a critical condition or a traceback (checked
when it stops).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.server import LabServer, copy_course, start_lab, stop_lab
from tests.conftest import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.browser.lab import JupyterLab

CHROMIUM = Path("/usr/bin/chromium")
# Headless as root (--no-sandbox); no GPU; and none of Chromium's own traffic to Google
# (updates, sync, field trials), which the closed network here refuses. Playwright gives it
# a fresh --user-data-dir of its own for each launch (passing one here is an error).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}
LOGS = ROOT / ".cache" / "browser"


def _unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI (env CI set), where make installs all."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the project's install must provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole session."""
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} is absent: `bash scripts/install-system-deps.sh` as root "
                     "installs Debian's chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def server_log(worker_id: str) -> Callable[[str], Path]:
    """The log file of make target ``target`` for this session (emptied on first use)."""
    started: set[str] = set()

    def path(target: str) -> Path:
        log = LOGS / f"{target}-{worker_id}.log"
        if target not in started:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("")
            started.add(target)
        return log

    return path


def _serve(target: str, tmp_path_factory: pytest.TempPathFactory,
           server_log: Callable[[str], Path]) -> LabServer:
    scratch = tmp_path_factory.mktemp(f"browser-{target}")
    return start_lab(target, copy_course(scratch / "course"), server_log(target), scratch)


@pytest.fixture(scope="module")
def learner_server(tmp_path_factory: pytest.TempPathFactory,
                   server_log: Callable[[str], Path]) -> Iterator[LabServer]:
    """`make lab` (learner mode); when it stops, its log must hold no problem line."""
    server = _serve("lab", tmp_path_factory, server_log)
    try:
        yield server
        problems = server.problem_lines()  # before stopping: SIGTERM itself logs a [C] line
    finally:
        stop_lab(server)
    if problems:
        pytest.fail(f"`make lab` logged {len(problems)} problem line(s) while the learner "
                    f"tests ran (whole log: {server.log}):\n" + "\n".join(problems[:50]),
                    pytrace=False)


@pytest.fixture(scope="module")
def instructor_server(tmp_path_factory: pytest.TempPathFactory,
                      server_log: Callable[[str], Path]) -> Iterator[LabServer]:
    """`make instructor` (instructor mode: nbgrader's formgrader and authoring tools)."""
    server = _serve("instructor", tmp_path_factory, server_log)
    try:
        yield server
    finally:
        stop_lab(server)


def _tab(browser: Browser, server: LabServer, request: pytest.FixtureRequest
         ) -> Iterator[JupyterLab]:
    from tests.browser.lab import JupyterLab

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield JupyterLab(page, server, request.node.name)
    finally:
        context.close()  # first: no page may reconnect to the kernels shut down next
        server.shut_down_kernels()


@pytest.fixture
def learner(browser: Browser, learner_server: LabServer,
            request: pytest.FixtureRequest) -> Iterator[JupyterLab]:
    """A fresh browser tab on the learner-mode server."""
    yield from _tab(browser, learner_server, request)


@pytest.fixture
def instructor(browser: Browser, instructor_server: LabServer,
               request: pytest.FixtureRequest) -> Iterator[JupyterLab]:
    """A fresh browser tab on the instructor-mode server."""
    yield from _tab(browser, instructor_server, request)
