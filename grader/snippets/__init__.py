"""Learner functions in other processes and languages, called from a grading process.

``PythonFunction`` (python.py) runs a notebook's function in a child Python process;
``NodeModule`` (node.py) calls a learner's ES module's exports, one fresh Node process per
call. Both answer with data only (wire.py) and are timed and stopped from the calling side.
``lesson.py`` holds the chapter 02 lesson's helpers.
"""

from __future__ import annotations

from grader.snippets.node import NodeModule, NodeNotFound
from grader.snippets.python import CallResult, PythonFunction
from grader.snippets.wire import CallCrashed, CallFailed, Foreign

__all__ = ["CallCrashed", "CallFailed", "CallResult", "Foreign", "NodeModule", "NodeNotFound",
           "PythonFunction"]
