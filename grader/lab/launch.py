"""Start JupyterLab in a mode: write its config, trust the notebooks, exec ``jupyter lab``.

``make lab`` and ``make instructor`` run this (through ``python -m grader lab``) with the
Makefile's environment, so Jupyter's config, data and runtime folders are the project's
``.cache/jupyter/``; the mode's folder goes first on ``JUPYTER_CONFIG_PATH``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from grader.lab.config import write_mode_config

# The notebooks the project ships: lessons, exercises, and nbgrader's sources.
TRUSTED_FOLDERS = ("course", "exercises", "solutions")


def project_notebooks(root: Path) -> Iterator[Path]:
    """Every notebook in the project's own folders (not checkpoints or caches)."""
    for folder in TRUSTED_FOLDERS:
        for path in sorted((root / folder).rglob("*.ipynb")):
            if not any(part.startswith(".") for part in path.relative_to(root).parts):
                yield path


def trust_notebooks(root: Path) -> int:
    """Sign the project's notebooks in Jupyter's trust database (as ``jupyter trust`` does);
    return how many were newly signed. The files themselves are not touched.

    Unsigned, every notebook logs "Notebook ... is not trusted" when opened, and its HTML
    and JavaScript outputs stay hidden. A learner's own edits saved from JupyterLab are
    signed by the server anyway; this adds the notebooks as the project ships them.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    signed = 0
    with NotebookNotary() as notary:
        for path in project_notebooks(root):
            try:
                # As the server reads it (nbformat 4), so the signatures match.
                nb = nbformat.read(path, as_version=4)
            except (OSError, ValueError) as exc:
                # A notebook mid-edit or broken stays untrusted; the lab still starts.
                print(f"lab: not trusting {path.relative_to(root)}: {exc}", file=sys.stderr)
                continue
            if not notary.check_signature(nb):
                notary.sign(nb)
                signed += 1
    return signed


def jupyter_command(extra: Sequence[str] = ()) -> list[str]:
    """The ``jupyter lab`` command line: this interpreter's JupyterLab, then ``extra``
    (e.g. ``--no-browser --port=N``), which override the mode's config files."""
    return [sys.executable, "-m", "jupyterlab", *extra]


def lab_environment(config_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with ``config_dir`` first on JUPYTER_CONFIG_PATH,
    where it outranks every other Jupyter config folder."""
    result = dict(os.environ if env is None else env)
    rest = result.get("JUPYTER_CONFIG_PATH", "")
    result["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(config_dir), rest) if p)
    return result


def start_lab(root: Path, mode: str, extra: Sequence[str] = ()) -> NoReturn:
    """Replace this process with ``jupyter lab`` in ``mode`` (so Ctrl-C reaches the server
    directly, as with a plain ``jupyter lab``)."""
    config_dir = write_mode_config(root, mode)
    try:
        trust_notebooks(root)
    except sqlite3.Error as exc:
        # A locked or damaged trust database costs only the "not trusted" warnings.
        print(f"lab: could not record trusted notebooks: {exc}", file=sys.stderr)
    command = jupyter_command(extra)
    sys.stdout.flush()
    os.chdir(root)  # nbgrader's server extensions read nbgrader_config.py from the cwd
    os.execve(command[0], command, lab_environment(config_dir))
