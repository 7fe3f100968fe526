"""Tracebacks a learner can read: their own call and the message, not the grader's frames.

IPython hides a frame only when it sets ``__tracebackhide__`` and is not the last one, so
an ``AssertionError`` raised inside ``grader.checking`` still shows three grader frames
and a chain of ``During handling ...`` blocks. ``install()`` registers a custom exception
handler with the kernel's shell (``InteractiveShell.set_custom_exc``, IPython's own hook
for this) that drops every frame of the ``grader`` package from the traceback and from
each chained exception, then lets IPython render what is left as usual: the learner's
cell, and the learner's own functions when the grader called them. A ``NameError`` for
one of the names the setup cell imports (``check`` before the setup cell ran) says so.

Nothing here decides a verdict: it changes what an error looks like in the kernel, after
the fact. ``GRADER_TRACEBACKS=full`` turns it off, for whoever debugs the grader itself.
``make install`` writes an IPython startup file (``startup_file``) so that the handler is
there before ``import grader`` runs (importing ``grader`` installs it too); the same file
quiets one kernel log line (grader.lab.quiet.quiet_kernel_log).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
FULL_VARIABLE = "GRADER_TRACEBACKS"
# Names a notebook's setup cell imports from grader, for the NameError hint.
SETUP_NAMES = frozenset({"check", "hint", "assert_checks", "progress_panel"})
STARTUP_NAME = "00-grader-tracebacks.py"
_STARTUP_SOURCE = '''\
# Written by `make install` (grader/tracebacks.py): tracebacks in this project's kernels
# show the learner's call and message without the grader's internal frames.
try:
    import grader.tracebacks as _grader_tracebacks
    from grader.lab.quiet import quiet_kernel_log as _quiet_kernel_log
    _grader_tracebacks.install()
    _quiet_kernel_log()  # no ERROR line in the lab's terminal for a clean kernel shutdown
    del _grader_tracebacks, _quiet_kernel_log
except Exception:  # a kernel must start even where grader is not importable
    pass
'''


def is_internal(filename: str) -> bool:
    """Whether ``filename`` is a module of the grader package."""
    try:
        return Path(filename).resolve().is_relative_to(PACKAGE_DIR)
    except (OSError, ValueError):
        return False


def trimmed(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without the grader package's frames (the others keep their order)."""
    kept: list[TracebackType] = []
    while tb is not None:
        if not is_internal(tb.tb_frame.f_code.co_filename):
            kept.append(tb)
        tb = tb.tb_next
    chain: TracebackType | None = None
    for entry in reversed(kept):
        chain = TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain


def trim_exception(value: BaseException) -> None:
    """Trim ``value``'s traceback and those of the exceptions chained to it, in place."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [value]
    while todo:
        exc = todo.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        exc.__traceback__ = trimmed(exc.__traceback__)
        todo += [exc.__cause__, exc.__context__]


def setup_hint(value: BaseException) -> None:
    """Add "run the setup cell" to a NameError for a name the setup cell imports."""
    name = getattr(value, "name", None)
    if isinstance(value, NameError) and name in SETUP_NAMES and len(value.args) == 1:
        value.args = (f"{value.args[0]}: run the setup cell at the top of this notebook "
                      f"first (it imports {name} from grader)",)


def _handler(shell: Any, etype: type[BaseException], value: BaseException,
             tb: TracebackType | None, tb_offset: int | None = None) -> None:
    if issubclass(etype, SyntaxError):  # the cell did not parse: IPython's own display
        shell.showsyntaxerror()
        return
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %debug
    if os.environ.get(FULL_VARIABLE) != "full":
        value.__traceback__ = tb
        trim_exception(value)
        tb = value.__traceback__
        setup_hint(value)
    stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    shell._showtraceback(etype, value, stb)  # what showtraceback does after formatting


def install(shell: Any = None) -> bool:
    """Register the handler with ``shell`` (default: the running IPython, if any); True
    when a shell got it. Leaves a shell alone that already has another custom handler."""
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if getattr(shell, "_grader_tracebacks", False):
        return True
    if getattr(shell, "custom_exceptions", ()):
        return False  # someone else's handler: theirs wins
    shell.set_custom_exc((Exception,), _handler)
    shell._grader_tracebacks = True
    return True


def startup_file(ipython_dir: Path) -> Path:
    """Write the IPython startup file into ``ipython_dir``'s default profile; its path."""
    folder = Path(ipython_dir) / "profile_default" / "startup"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STARTUP_NAME
    if not path.is_file() or path.read_text() != _STARTUP_SOURCE:
        path.write_text(_STARTUP_SOURCE)
    return path


if __name__ == "__main__":  # python -m grader.tracebacks IPYTHONDIR (make install)
    if len(sys.argv) != 2:
        sys.exit("usage: python -m grader.tracebacks IPYTHONDIR")
    print(f"IPython startup file: {startup_file(Path(sys.argv[1]))}")
