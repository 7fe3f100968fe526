"""A fault-injecting HTTP server for lessons and for grading HTTP clients.

    from grader.faults import FaultServer
    with FaultServer() as server:
        server.url("slow_headers", delay=1.0)   # http://127.0.0.1:PORT/slow_headers?delay=1.0

The scenarios and their parameters are tabled in `grader.faults.scenarios`; what the
server records (connections, requests, in-flight counts) in `grader.faults.records`.
"""

from __future__ import annotations

from grader.faults.records import CLOSE_REASONS, ConnectionRecord, Mark, RequestRecord, Stats
from grader.faults.scenarios import SCENARIOS
from grader.faults.server import FaultServer

__all__ = [
    "CLOSE_REASONS",
    "SCENARIOS",
    "ConnectionRecord",
    "FaultServer",
    "Mark",
    "RequestRecord",
    "Stats",
]
