"""A cell's notebook outputs, recorded as a Jupyter kernel would record them.

Used on both sides of verification (grader/classgrade/verify.py), so that one sandboxed run
of the student's code gives both the verdicts and the executed notebook (no second run in a
kernel):

* ``ShellCapture`` (inside the sandboxed worker): a student cell run in an IPython shell;
  stdout/stderr, ``display()``, the last expression's value and the traceback become
  ``stream``, ``display_data``, ``execute_result`` and ``error`` outputs. IPython's own
  ``capture_output`` turns the last expression into a display and tracebacks into stdout
  text, so the three hooks a kernel overrides (``ipykernel.zmqshell``) are overridden here:
  ``display_pub.publish``, ``displayhook.write_format_data`` and ``_showtraceback``;
* ``run_trusted`` (the verifier): a trusted grade cell run with ``exec``, stdout/stderr and
  its last expression recorded the same way.

Every cell's outputs are capped at ``cap`` bytes, so a flood costs the student the rest of
that cell's output, never the run.
Everything the worker records is untrusted: the parent validates each output
(grader/classgrade/gradebook.py) and takes nothing else from it.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
from typing import Any

TRUNCATED = "\n[grader: output of this cell truncated at {cap} bytes]\n"
# The second traceback line of a grade cell that failed in the trusted verifier.
VERIFY_NOTE = "(checked outside the notebook's kernel, where student code cannot reach)"


def error_output(ename: str, evalue: str, *traceback: str) -> dict[str, Any]:
    """An nbformat-v4 error output; its traceback is ``Name: message`` unless given."""
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": [str(line) for line in traceback] or [f"{ename}: {evalue}"]}


class Recorder:
    """The outputs of one cell, in order, within a byte budget."""

    def __init__(self, cap: int) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.cap, self.used, self.full = cap, 0, False

    def _fits(self, size: int) -> bool:
        if self.full:
            return False
        self.used += size
        if self.used <= self.cap:
            return True
        self.full = True
        self.outputs.append({"output_type": "stream", "name": "stdout",
                             "text": TRUNCATED.format(cap=self.cap)})
        return False

    def stream(self, name: str, text: str) -> None:
        if not text or not self._fits(len(text.encode("utf-8", "replace"))):
            return
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text  # consecutive writes are one output, as nbclient keeps them
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def rich(self, kind: str, data: dict, metadata: dict | None) -> None:
        output = {"output_type": kind, "data": _jsonable(data), "metadata":
                  _jsonable(metadata or {})}
        if kind == "execute_result":
            output["execution_count"] = None  # numbered by the parent, cell by cell
        if self._fits(len(json.dumps(output))):
            self.outputs.append(output)

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        output = error_output(ename, evalue, *traceback)
        if not self._fits(len(json.dumps(output))):
            # An error must survive a flood: it is what tells a failing cell from a quiet one.
            output = error_output(ename, evalue[:2000])
        self.outputs.append(output)

    def clear(self) -> None:
        self.outputs.clear()


def _jsonable(value: Any) -> Any:
    """Mime bundles as JSON data (a formatter may return bytes or odd types)."""
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return {"text/plain": str(value)}


class _Stream(io.TextIOBase):
    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder, self.name = recorder, name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        self.recorder.stream(self.name, text)
        return len(text)


class ShellCapture:
    """Hooks on one ``InteractiveShell`` that send a cell's outputs to a ``Recorder``."""

    def __init__(self, shell: Any, cap: int) -> None:
        self.shell, self.cap = shell, cap
        self.recorder = Recorder(cap)
        shell.display_pub.publish = self._publish
        shell.display_pub.clear_output = lambda wait=False: self.recorder.clear()
        shell.displayhook.write_output_prompt = lambda: None
        shell.displayhook.write_format_data = self._result
        shell.displayhook.quiet = self._quiet
        shell._showtraceback = self._traceback
        self.source = ""

    def _publish(self, data: dict, metadata: dict | None = None, *args: Any,
                 **kwargs: Any) -> None:
        self.recorder.rich("display_data", data, metadata)

    def _result(self, format_dict: dict, md_dict: dict | None = None) -> None:
        self.recorder.rich("execute_result", format_dict, md_dict)

    def _quiet(self) -> bool:
        """A trailing ";" hides the result (IPython reads it from its history, off here)."""
        try:
            return bool(self.shell.displayhook.semicolon_at_end_of_expression(self.source))
        except Exception:  # tokenize errors: show the value rather than fail the cell
            return False

    def _traceback(self, etype: type, evalue: BaseException, stb: list[str]) -> None:
        self.recorder.error(getattr(etype, "__name__", str(etype)), str(evalue), stb)

    def run(self, source: str) -> list[dict[str, Any]]:
        """Run ``source`` in the shell; its outputs."""
        self.recorder, self.source = Recorder(self.cap), source
        out, err = _Stream(self.recorder, "stdout"), _Stream(self.recorder, "stderr")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            self.shell.run_cell(source, store_history=False)
        return self.recorder.outputs


def run_trusted(code_source: str, filename: str, ns: dict, cap: int
                ) -> tuple[BaseException | None, list[dict[str, Any]]]:
    """``exec`` a trusted cell in ``ns`` as a kernel would: its last expression is shown.
    Returns the exception it raised (None when it passed) and its outputs; a traceback is
    ``Name: message`` and ``VERIFY_NOTE``, so hidden test source never appears in an output."""
    recorder = Recorder(cap)
    try:
        tree = ast.parse(code_source, filename)
    except SyntaxError as exc:
        recorder.error("SyntaxError", str(exc), [f"SyntaxError: {exc}", VERIFY_NOTE])
        return exc, recorder.outputs
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    error: BaseException | None = None
    with contextlib.redirect_stdout(_Stream(recorder, "stdout")), \
            contextlib.redirect_stderr(_Stream(recorder, "stderr")):
        try:
            exec(compile(tree, filename, "exec"), ns)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), filename, "eval"), ns)
                if value is not None:
                    _show(recorder, value)
        except BaseException as exc:  # a failing test is data here, whatever it raised
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                exc = RuntimeError(f"grade cell stopped: {exc!r}")
            error = exc
    if error is not None:
        text = str(error)
        recorder.error(type(error).__name__, text,
                       [f"{type(error).__name__}: {text}", VERIFY_NOTE])
    return error, recorder.outputs


def _show(recorder: Recorder, value: Any) -> None:
    from IPython.core.formatters import DisplayFormatter

    data, metadata = DisplayFormatter().format(value)
    recorder.rich("execute_result", data, metadata)
