"""What a ``scenarios`` grade cell's tests receive, built from its assignment.toml table.

    package = "fetch"                 a Go package (grader/golang), built with the harness
    script = "js/users.mjs"           a learner's ES module (node.py)
    function = "fetch_user"           a notebook function run in a child (python.py);
    cells = ["fetch_user_solution"]   with the source of these cells for static checks;
    adapter = "grader.attacks.adapters:sqlite"   and a course wrapper applied in the child
    functions = ["dump_session", "load_session"] several: a dict name -> PythonFunction

The same objects are what a notebook's ``check()`` passes in the kernel, so public tests
read them the same way on both sides. None when the submission lacks the file: the tests
then fail with "not found", never pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def subject_for(assignment: Any, settings: dict[str, Any], notebook: Path) -> Any:
    """The object the cell's tests run against (see the module docstring)."""
    folder = notebook.parent
    if "package" in settings:
        from grader.golang.package import GoPackage

        package = folder / str(settings["package"])
        harness = Path(assignment.folder) / str(settings.get("harness", "harness"))
        return GoPackage(package, harness) if package.is_dir() else None
    if "script" in settings:
        from grader.snippets.node import NodeModule

        script = folder / str(settings["script"])
        return NodeModule(script) if script.is_file() else None
    if "function" in settings or "functions" in settings:
        from grader.snippets.python import PythonFunction

        cells = [str(c) for c in settings.get("cells", [])]
        adapter = str(settings.get("adapter", ""))
        if "function" in settings:
            return PythonFunction.from_notebook(notebook, str(settings["function"]), cells,
                                                adapter=adapter)
        return {str(name): PythonFunction.from_notebook(notebook, str(name), cells,
                                                        adapter=adapter)
                for name in settings["functions"]}
    raise LookupError("a [scenarios] table names its subject with package, script, function "
                      "or functions")


def close(subject: Any) -> None:
    """Stop what the subject started (Python children); nothing for the others."""
    for each in subject.values() if isinstance(subject, dict) else [subject]:
        stop = getattr(each, "close", None)
        if callable(stop):
            stop()
