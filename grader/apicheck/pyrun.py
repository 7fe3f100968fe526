"""One basedpyright run on a piece of code: shared by ``check_python`` (python.py) and
``type_check`` (pytypes.py).

The code goes to a fresh temporary folder (under ``$TMPDIR``) next to a ``pyrightconfig.json``,
so the checker sees nothing of the learner's folder (a stray ``numpy.py`` there cannot shadow
the installed numpy), and resolves imports through this interpreter (``--pythonpath``): the
venv's numpy and requests, the versions the learner will run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.apicheck.tools import venv_tool

SNIPPET = "snippet_under_check.py"   # not a name a snippet is likely to import


@dataclass(frozen=True)
class Diagnostic:
    """One basedpyright diagnostic; ``line`` 0-based, ``character`` in UTF-16 units (LSP)."""

    rule: str
    severity: str
    message: str
    line: int
    character: int
    end_line: int
    end_character: int


@dataclass(frozen=True)
class PyrightRun:
    version: str              # "1.40.2", read from the JSON output
    diagnostics: list[Diagnostic]
    seconds: float


def find_basedpyright() -> str:
    """The venv's basedpyright (next to this interpreter), else the one on PATH; RuntimeError
    when there is none (the message says how to install it)."""
    found = venv_tool("basedpyright")
    if found is None:
        raise RuntimeError("api_check needs basedpyright: run `make install`")
    return found


def python_version() -> str:
    """The running interpreter's "3.11": the stubs' version gates must match the runtime the
    findings are confirmed against."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


GRADER_PARENT = str(Path(__file__).resolve().parents[2])  # the folder holding grader/


def run_basedpyright(code: str, config: dict[str, Any], *, timeout: float) -> PyrightRun:
    """Check ``code`` once with ``config`` as its pyrightconfig.json.

    Bad input: a ``timeout`` that is not a positive number raises ValueError; a run that takes
    longer raises TimeoutError; a missing basedpyright or a run that fails (config error,
    crash: exit status other than 0 or 1, or output that is not its JSON) raises RuntimeError
    with basedpyright's own words.
    """
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    exe = find_basedpyright()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="apicheck-") as tmp:
        folder = Path(tmp)
        (folder / SNIPPET).write_text(code, encoding="utf-8")
        # The course's own package resolves wherever it is: `pip install -e` puts it on the
        # path through an import hook (setuptools' editable finder), which the checker,
        # reading site-packages as files, cannot follow.
        config = {**config, "extraPaths": [*config.get("extraPaths", []), GRADER_PARENT]}
        (folder / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
        cmd = [exe, "--outputjson", "--pythonpath", sys.executable, SNIPPET]
        returncode, stdout, stderr = _run(cmd, folder, timeout)
    seconds = time.perf_counter() - start
    # 0: no errors, 1: errors found; anything else is the tool failing, not the code.
    if returncode not in (0, 1):
        raise RuntimeError(f"basedpyright failed (exit {returncode}): "
                           f"{(stderr or stdout).strip()[:2000]}")
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"basedpyright gave no JSON: {stdout[:500]!r}") from exc
    diagnostics = [_diagnostic(d) for d in data.get("generalDiagnostics", [])]
    return PyrightRun(str(data.get("version", "")), diagnostics, seconds)


def _run(cmd: list[str], cwd: Path, timeout: float) -> tuple[int, str, str]:
    """Run ``cmd`` in its own process group: the basedpyright script starts Node, and on a
    timeout both must go (killing the script alone leaves Node holding the pipes)."""
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, start_new_session=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, AttributeError):  # gone / no killpg
                proc.kill()
            proc.communicate()
            raise TimeoutError(f"basedpyright took longer than {timeout:g} s") from exc
    return proc.returncode, stdout, stderr


def _diagnostic(raw: dict[str, Any]) -> Diagnostic:
    start, end = raw["range"]["start"], raw["range"]["end"]
    # basedpyright indents the lines of a long message with no-break spaces.
    message = str(raw.get("message", "")).replace("\xa0", " ")
    return Diagnostic(str(raw.get("rule", "")), str(raw.get("severity", "")), message,
                      int(start["line"]), int(start["character"]),
                      int(end["line"]), int(end["character"]))


# ---- positions: basedpyright counts UTF-16 units, ast counts UTF-8 bytes, we count characters


def utf16_to_index(text: str, units: int) -> int:
    """The character index in ``text`` (one line) of the LSP column ``units``."""
    return len(text.encode("utf-16-le")[: 2 * units].decode("utf-16-le", errors="ignore"))


def bytes_to_index(text: str, offset: int) -> int:
    """The character index in ``text`` (one line) of the ast column ``offset`` (UTF-8)."""
    return len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))


def identifier_at(text: str, index: int) -> str:
    """The Python identifier that starts at ``text[index]`` ("" when there is none)."""
    end = index
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[index:end]
    return word if word.isidentifier() else ""
