"""grader/snippets: a learner's function called in a child process, answers as data only."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from grader.snippets import CallCrashed, CallFailed, Foreign, NodeModule, PythonFunction, wire
from grader.snippets.python import cell_sources, defining_source
from grader.snippets.subjects import close, subject_for


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def roundtrip(value):
    return wire.decode(json.loads(wire.dumps({"v": wire.encode(value)}))["v"])


def test_wire_keeps_data_and_turns_the_rest_into_data():
    assert roundtrip({"a": (1, 2), 7: "seven", (1, 2): None}) == {"a": [1, 2], 7: "seven",
                                                                  (1, 2): None}
    assert roundtrip(b"\x00\xff") == b"\x00\xff"
    assert roundtrip(2**70) == 2**70
    assert math.isnan(roundtrip(float("nan"))) and roundtrip(float("-inf")) == -math.inf
    assert roundtrip(np.float64(2.5)) == 2.5 and type(roundtrip(np.float64(2.5))) is float
    assert roundtrip(np.arange(3)) == [0, 1, 2]
    assert roundtrip(Point(1, 2)) == {"__type__": f"{__name__}.Point", "x": 1, "y": 2}
    foreign = roundtrip(Hostile())
    assert isinstance(foreign, Foreign) and "failing repr" in foreign.text
    assert roundtrip({"__t__": "dict", "x": 1}) == {"__t__": "dict", "x": 1}  # no forgery


def test_wire_refuses_what_is_not_an_answer():
    with pytest.raises(ValueError):
        wire.loads(b"[1, 2]")
    nested: list = []
    for _ in range(wire.MAX_DEPTH + 10):
        nested = [nested]
    assert "nested too deep" in json.dumps(wire.encode(nested))
    failure = wire.failure("garbage")
    assert isinstance(failure, CallFailed) and failure.type_names == ("error",)


def _add(a, b=1):
    return {"sum": a + b}


def _raise_http():
    import requests

    raise requests.HTTPError("404 Client Error")


def _misbehave(how):
    import os
    import sys
    import time

    print("noise on stdout", flush=True)
    if how == "hang":
        time.sleep(60)
    if how == "exit":
        os._exit(3)
    if how == "sysexit":
        sys.exit(2)
    return how


def test_python_function_answers_raises_and_survives_its_child():
    with PythonFunction.from_callable(_add) as add:
        result = add.call(2, b=5)
        assert result.value == {"sum": 7} and result.error is None and result.seconds >= 0
        assert add(1) == {"sum": 2}
    with PythonFunction.from_callable(_raise_http) as fail:
        error = fail.call().error
        assert error is not None and error.is_a("HTTPError", "OSError")
        assert error.type_name == "HTTPError" and "404" in error.message
        with pytest.raises(CallFailed):
            fail()
    with PythonFunction.from_callable(_misbehave) as odd:
        assert odd("fine") == "fine"  # a print does not corrupt the answer
        assert "noise on stdout" in odd.output()
        started = time.monotonic()
        with pytest.raises(CallCrashed) as hang:
            odd.call("hang", deadline=1.0)
        assert hang.value.kind == "timeout" and time.monotonic() - started < 10
        with pytest.raises(CallCrashed) as died:
            odd.call("exit")
        assert died.value.kind == "died" and "exit code 3" in str(died.value)
        assert odd.call("sysexit").error.is_a("SystemExit")
        assert odd("again") == "again"  # a fresh child after each crash


def test_a_notebook_function_and_its_cells(tmp_path):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "solution"}},
         "source": "def double(x):\n    return 2 * x\n", "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": "t"}},
         "source": "assert double(2) == 4", "outputs": [], "execution_count": None}]}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    with PythonFunction.from_notebook(path, "double", ["solution"]) as double:
        assert double(21) == 42
        assert double.source.startswith("def double")
    with PythonFunction.from_notebook(path, "triple") as missing, \
            pytest.raises(CallCrashed) as exc:
        missing(1)
    assert exc.value.kind == "missing" and "triple" in str(exc.value)
    with pytest.raises(ValueError, match="no code cell with id nope"):
        cell_sources(path, ["nope"])


def test_defining_source_of_a_class_is_its_whole_file():
    assert "def test_defining_source_of_a_class" in defining_source(Point)
    assert defining_source(len) == ""


JS = """
export async function ok(x) { return { x, list: [1, 2] }; }
export async function bad() { throw new RangeError("nope"); }
export async function later() { Promise.reject(new Error("too late")); return 1; }
export async function hang() { await new Promise(() => setInterval(() => {}, 1000)); }
export function noisy() { console.log("noise"); return "fine"; }
export const notAFunction = 3;
"""


@pytest.fixture
def js(tmp_path):
    path = tmp_path / "m.mjs"
    path.write_text(JS)
    return NodeModule(path)


def test_node_module_answers_rejects_and_crashes(js):
    assert js.call("ok", 5).value == {"x": 5, "list": [1, 2]}
    error = js.call("bad").error
    assert error is not None and error.is_a("RangeError") and error.message == "nope"
    assert js.call("noisy").value == "fine" and "noise" in js.last_output
    with pytest.raises(CallCrashed) as crash:
        js.call("later")
    assert crash.value.kind == "crash" and "unhandled rejection" in str(crash.value)
    started = time.monotonic()
    with pytest.raises(CallCrashed) as hang:
        js.call("hang", deadline=1.0)
    assert hang.value.kind == "timeout" and time.monotonic() - started < 10
    for name in ("missing", "notAFunction"):
        with pytest.raises(CallCrashed) as missing:
            js.call(name)
        assert missing.value.kind == "missing"


def test_node_module_bad_input(tmp_path, js):
    with pytest.raises(ValueError, match="identifier"):
        js.call("not a name")
    with pytest.raises(FileNotFoundError):
        NodeModule(tmp_path / "absent.mjs")
    broken = tmp_path / "broken.mjs"
    broken.write_text("export function (")
    with pytest.raises(CallCrashed) as exc:
        NodeModule(broken).call("f")
    assert exc.value.kind == "missing" and "SyntaxError" in str(exc.value)


def test_subjects_from_assignment_tables(tmp_path):
    class Assignment:
        folder = tmp_path

    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "u.mjs").write_text(JS)
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps({"nbformat": 4, "cells": []}))
    assert isinstance(subject_for(Assignment, {"script": "js/u.mjs"}, notebook), NodeModule)
    assert subject_for(Assignment, {"script": "js/absent.mjs"}, notebook) is None
    function = subject_for(Assignment, {"function": "f"}, notebook)
    assert isinstance(function, PythonFunction) and function.source == ""
    both = subject_for(Assignment, {"functions": ["f", "g"], "adapter":
                                    "grader.attacks.adapters:logged"}, notebook)
    assert sorted(both) == ["f", "g"] and both["g"].adapter.endswith(":logged")
    close(both)
    with pytest.raises(LookupError, match="package, script, function or functions"):
        subject_for(Assignment, {}, notebook)
    assert Path(__file__).is_file()
