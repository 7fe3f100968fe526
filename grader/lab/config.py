"""Each lab mode as Jupyter configuration: one folder per mode under ``.cache/jupyter/modes/``.

The folder holds what Jupyter reads from any config directory, so every setting here is one
of Jupyter's own (and shows in ``jupyter lab --show-config`` once the folder is on
``JUPYTER_CONFIG_PATH``, which ranks above every other config directory):

* ``jupyter_server_config.json``: which server extensions load, the URL the server opens and
  prints, what the file browser hides, the kernels' transport, the terminal's log filter;
* ``labconfig/page_config.json``: which JupyterLab plugins are disabled (``disabledExtensions``,
  as ``jupyter labextension disable`` would write it, but for this mode only);
* ``nbgrader_config.json`` (instructor): nbgrader's exchange directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

MODES = ("learner", "instructor")
FIRST_LESSON = "course/01_vectorization.ipynb"

# nbgrader 0.9.6's server extensions, as its etc/jupyter/jupyter_server_config.d/nbgrader.json
# enables them. The package is an extension point too, which loads the same four again
# (every handler twice): it stays off in both modes.
NBGRADER_PACKAGE_EXTENSION = "nbgrader"
NBGRADER_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.validate_assignment",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
# nbgrader's JupyterLab plugins (ids from its labextension bundle). JupyterLab disables a
# whole package by its name too; the ids say what goes.
NBGRADER_LAB_PACKAGE = "@jupyter/nbgrader"
NBGRADER_LAB_PLUGINS = tuple(
    f"{NBGRADER_LAB_PACKAGE}:{plugin}"
    for plugin in ("validate-assignment", "create-assignment", "assignment-list",
                   "course-list", "formgrader", "menu")
)
# jupyter-lsp comes with JupyterLab's dependencies, but no language server is installed and
# JupyterLab's LSP client is off by default: it would only log the servers it did not find.
LSP_SERVER_EXTENSION = "jupyter_lsp"
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"


def mode_dir(root: Path, mode: str) -> Path:
    """The config folder of ``mode`` (not created)."""
    if mode not in MODES:
        raise ValueError(f"unknown lab mode {mode!r}; expected one of {MODES}")
    return root / ".cache" / "jupyter" / "modes" / mode


def exchange_dir(root: Path) -> Path:
    """nbgrader's exchange in instructor mode: inside the project, writable, never shared."""
    return root / ".cache" / "nbgrader" / "exchange"


def default_url(lesson: str = FIRST_LESSON) -> str:
    """The lab URL that opens ``lesson``; the server redirects ``/`` there and prints it."""
    return "/lab/tree/" + lesson


def _hidden_globs() -> list[str]:
    # hide_globs replaces the server's list, so start from the installed default.
    from jupyter_server.services.contents.manager import ContentsManager

    defaults = list(ContentsManager.class_traits()["hide_globs"].default())
    # Installs made before the Makefile moved egg-info into .cache/ (or by `pip install -e .`
    # by hand, or conda's environment.yml) leave it at the root: build metadata, not the
    # workbook.
    return [*defaults, "*.egg-info"]


def _kernel_encryption() -> str:
    # ipykernel warns on every start that a kernel over TCP is unencrypted; with "auto" the
    # server gives each kernel CurveZMQ keys (the python3 kernelspec declares support), so
    # there is nothing to warn about. "auto" is refused where libzmq lacks curve.
    import zmq

    return "auto" if zmq.has("curve") else "disabled"


def logging_config() -> dict[str, Any]:
    """ServerApp.logging_config: the console handler gets grader.lab.quiet's filter."""
    return {
        "filters": {"quiet": {"()": "grader.lab.quiet.QuietFilter"}},
        "handlers": {"console": {"filters": ["quiet"]}},
    }


def server_config(root: Path, mode: str) -> dict[str, Any]:
    """The mode's ``jupyter_server_config.json`` as a dict."""
    instructor = mode == "instructor"
    extensions = {name: instructor for name in NBGRADER_SERVER_EXTENSIONS}
    extensions[NBGRADER_PACKAGE_EXTENSION] = False
    extensions[LSP_SERVER_EXTENSION] = False
    server: dict[str, Any] = {
        "root_dir": str(root),
        "jpserver_extensions": extensions,
        "logging_config": logging_config(),
    }
    if os.geteuid() == 0:
        # Containers and CI run as root; Jupyter refuses to without this (the Makefile
        # passed --allow-root for uid 0 before).
        server["allow_root"] = True
    return {
        "ServerApp": server,
        # `jupyter lab` copies LabApp.default_url into ServerApp.default_url, from which the
        # server builds the URL it prints and the browser it starts opens.
        "LabApp": {"default_url": default_url()},
        "ContentsManager": {"hide_globs": _hidden_globs()},
        "MappingKernelManager": {"transport_encryption": _kernel_encryption()},
    }


def page_config(mode: str) -> dict[str, Any]:
    """The mode's ``labconfig/page_config.json``: nbgrader's plugins off for learners.

    Instructor mode says False for each explicitly, so that a plugin disabled in a lower
    config directory (``jupyter labextension disable``) still shows for the instructor.
    """
    disabled = mode == "learner"
    names = (NBGRADER_LAB_PACKAGE, *NBGRADER_LAB_PLUGINS)
    # In both modes: JupyterLab's "get notified about official Jupyter news?" toast, which
    # asks to fetch a feed from the internet over the learner's first lesson.
    return {"disabledExtensions": {name: disabled for name in names} | {NEWS_PLUGIN: True}}


def nbgrader_config(root: Path) -> dict[str, Any]:
    """Instructor mode's ``nbgrader_config.json``: the exchange in ``.cache/``.

    nbgrader's default, /usr/local/share/nbgrader/exchange, is not writable for a user, so
    its Assignment List failed with an ExchangeError on every visit.
    """
    return {"Exchange": {"root": str(exchange_dir(root))}}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    # Write then rename: a lab of the same mode starting at the same moment (a test, the
    # browser tests) never reads half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_mode_config(root: Path, mode: str) -> Path:
    """Write ``mode``'s config folder (and, for instructors, create the exchange); return it."""
    folder = mode_dir(root, mode)
    _write_json(folder / "jupyter_server_config.json", server_config(root, mode))
    _write_json(folder / "labconfig" / "page_config.json", page_config(mode))
    nbgrader_file = folder / "nbgrader_config.json"
    if mode == "instructor":
        exchange_dir(root).mkdir(parents=True, exist_ok=True)
        _write_json(nbgrader_file, nbgrader_config(root))
    else:
        nbgrader_file.unlink(missing_ok=True)
    return folder
