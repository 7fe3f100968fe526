"""Speed and memory measurement of learner code against the AI baseline.

Public API::

    from grader.speed import SpeedSpec, measure_speed, measure_memory
    from grader.speed import CallableCandidate, ModuleCandidate, NotebookCandidate

Each function under test runs in its own worker process (``python -m
grader.speed.worker``); the parent only measures from outside and compares answers.
"""

from __future__ import annotations

from grader.speed.candidates import (
    CallableCandidate,
    Candidate,
    ModuleCandidate,
    NotebookCandidate,
)
from grader.speed.measure import measure_speed
from grader.speed.memtest import MemoryMeasurementFailed, measure_memory
from grader.speed.spec import MemoryReport, RepSample, SpeedReport, SpeedSpec

__all__ = [
    "CallableCandidate",
    "Candidate",
    "MemoryMeasurementFailed",
    "MemoryReport",
    "ModuleCandidate",
    "NotebookCandidate",
    "RepSample",
    "SpeedReport",
    "SpeedSpec",
    "measure_memory",
    "measure_speed",
]
