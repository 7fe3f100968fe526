"""Outputs recorded during verification (grader/classgrade/capture.py), which replace the
second, kernel run of a submission: they must look like what a kernel records, stay within
the output cap, and never carry a hidden test's source."""

from __future__ import annotations

import json

import nbformat
import pytest

from grader.classgrade import capture
from grader.classgrade.job import executed_notebook
from grader.classgrade.verify import WorkerLink, _run_student


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    return capture.ShellCapture(InteractiveShell.instance(config=config), cap=4096)


def _valid(outputs):
    for out in outputs:
        nbformat.validate(out, ref="output", version=4, version_minor=4)
    return outputs


def test_a_cell_gives_the_outputs_a_kernel_records(shell):
    outputs = _valid(shell.run(
        "import sys\nfrom IPython.display import display, HTML\n"
        "print('a'); print('b'); sys.stderr.write('warn\\n')\n"
        "display(HTML('<b>x</b>'))\n40 + 2"))
    assert [o["output_type"] for o in outputs] == ["stream", "stream", "display_data",
                                                   "execute_result"]
    assert outputs[0] == {"output_type": "stream", "name": "stdout", "text": "a\nb\n"}
    assert outputs[1]["name"] == "stderr" and outputs[1]["text"] == "warn\n"
    assert outputs[2]["data"]["text/html"] == "<b>x</b>"
    assert outputs[3]["data"]["text/plain"] == "42"


def test_a_trailing_semicolon_and_none_show_nothing(shell):
    assert shell.run("1 + 1;") == []
    assert shell.run("None") == []


def test_an_exception_and_a_syntax_error_are_error_outputs(shell):
    (error,) = _valid(shell.run("def f():\n    raise KeyError('gone')\nf()"))
    assert error["ename"] == "KeyError" and error["evalue"] == "'gone'"
    assert len(error["traceback"]) > 2 and "KeyError" in error["traceback"][-1]  # as ipykernel
    (syntax,) = _valid(shell.run("def f(:"))
    assert syntax["ename"] == "SyntaxError"


def test_a_flood_is_truncated_at_the_cap_and_a_later_error_still_shows(shell):
    outputs = _valid(shell.run("for _ in range(1000):\n    print('x' * 100)\n1 / 0"))
    text = "".join(o.get("text", "") for o in outputs)
    assert len(json.dumps(outputs)) < 4096 + 2000
    assert "truncated at 4096 bytes" in text
    assert outputs[-1]["ename"] == "ZeroDivisionError"


def test_clear_output_drops_what_came_before(shell):
    outputs = shell.run("from IPython.display import clear_output\nprint('old')\n"
                        "clear_output()\nprint('new')")
    assert outputs == [{"output_type": "stream", "name": "stdout", "text": "new\n"}]


def test_a_trusted_cell_shows_its_last_expression_and_a_one_line_failure():
    ns: dict = {}
    error, outputs = capture.run_trusted("x = 2\nprint('hi')\nx * 21", "<t>", ns, 4096)
    assert error is None and ns["x"] == 2
    assert [o["output_type"] for o in _valid(outputs)] == ["stream", "execute_result"]
    assert outputs[1]["data"]["text/plain"] == "42"
    secret = "assert x == 3, 'the hidden answer is 3'"
    error, outputs = capture.run_trusted(secret, "<t>", ns, 4096)
    assert isinstance(error, AssertionError)
    (out,) = _valid(outputs)
    assert out["traceback"] == ["AssertionError: the hidden answer is 3", capture.VERIFY_NOTE]
    assert secret not in json.dumps(outputs)


def test_a_trusted_cell_stopped_by_systemexit_fails_instead_of_exiting():
    error, outputs = capture.run_trusted("raise SystemExit(0)", "<t>", {}, 4096)
    assert isinstance(error, RuntimeError) and outputs[-1]["output_type"] == "error"


class _Replies:
    """A WorkerLink stand-in answering every request with one reply (or exception)."""

    def __init__(self, reply):
        self.reply = reply

    def request(self, message, timeout):
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply


@pytest.mark.parametrize("reply", [{"outputs": "not a list"}, {"outputs": [1, 2]},
                                   {"outputs": [{"output_type": "stream", "name": "stdout",
                                                 "text": "x" * 200_000}]}, {}])
def test_malformed_or_oversized_worker_outputs_become_a_note(reply):
    (out,) = _run_student(_Replies(reply), 0, 5, 4096)  # type: ignore[arg-type]
    assert out["output_type"] == "stream" and "malformed or too large" in out["text"]


def test_a_cell_that_never_answers_records_what_nbgrader_records():
    (out,) = _run_student(_Replies(TimeoutError()), 0, 5, 4096)  # type: ignore[arg-type]
    assert out["ename"] == "CellTimeoutError"
    gone = WorkerLink(None, 0.0, "the student's code never started")
    (out,) = _run_student(gone, 0, 5, 4096)
    assert out["ename"] == "GraderNoReport" and "never started" in out["evalue"]


def test_the_executed_notebook_numbers_run_cells_in_order():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_code_cell("skipped"), nbformat.v4.new_code_cell("a")])
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale")]
    result = {"3": [{"output_type": "execute_result", "execution_count": None,
                     "data": {"text/plain": "1"}, "metadata": {}}], "1": []}
    executed = nbformat.reads(executed_notebook(nbformat.writes(nb), result), as_version=4)
    nbformat.validate(executed)
    assert [c.get("execution_count") for c in executed.cells] == [None, 1, None, 2]
    assert executed.cells[2].outputs == []  # a cell that did not run shows nothing
    assert executed.cells[3].outputs[0].execution_count == 2
