"""What the fault server observed: connections, requests and counters, kept under one lock.

Why one lock: the grader grades on these numbers (connections a client left open, requests
it had in flight at once, bytes it was sent), so every record and counter changes inside
one critical section and every snapshot (the frozen records, `Stats`) is consistent with
itself. Timestamps are `time.monotonic()` seconds: comparable with each other and with a
client's own `time.monotonic()` in the same process, never with wall-clock time.

The handler threads hold mutable `_Conn` / `_Req` objects and change them only through
`Recorder`; callers only ever see frozen copies.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: Values of `ConnectionRecord.closed_by`, and what each means.
CLOSE_REASONS: dict[str, str] = {
    "client": "the client closed its end (the server read EOF)",
    "client_reset": "the client reset the connection or a write to it failed (RST, EPIPE)",
    "server": "the server closed it after a response (Connection: close, close-delimited "
    "body, malformed request, a response cut short)",
    "server_reset": "the `reset` scenario aborted it with a TCP RST",
    "timeout": "no progress for the server's idle_timeout (between requests) or io_timeout",
    "stop": "FaultServer.stop() closed it",
    "limit": "refused at once because max_connections were already open",
}

# Unique across all recorders, so a mark from another server (or from before a reset) is
# recognised instead of silently indexing the wrong records.
_GENERATIONS = itertools.count(1)


@dataclass(frozen=True)
class ConnectionRecord:
    """One TCP connection as the server saw it (`closed` is None while it is open)."""

    id: int
    peer: tuple[str, int]
    opened: float
    closed: float | None
    requests: int
    bytes_received: int
    bytes_sent: int
    closed_by: str | None

    @property
    def is_open(self) -> bool:
        return self.closed is None


@dataclass(frozen=True)
class RequestRecord:
    """One request: in flight (`finished` is None) from its request line being read until
    its response is written or abandoned; for a response of known length `finished` is
    taken just before the write that completes it, so a client never holds the whole
    response of a request still counted in flight. `body_bytes` counts response body bytes
    the kernel accepted; `complete` is False when the client went away, a write failed or
    timed out, or the scenario cut the response short (see `error`). `headers` has
    lower-case names. `scenario` is None for requests that named no valid scenario."""

    id: int
    connection_id: int
    scenario: str | None
    params: dict[str, Any]
    method: str
    path: str
    headers: dict[str, str]
    started: float
    finished: float | None
    status: int | None
    body_bytes: int
    body_received: int
    complete: bool
    error: str | None


@dataclass(frozen=True)
class Stats:
    """What happened since a `Mark`. Connection counts are over the connections opened since
    the mark (a request on a connection kept from before the mark counts as a request, not
    as a connection). `requests` = complete + aborted + in flight."""

    elapsed: float
    requests: int
    by_scenario: dict[str, int]
    requests_complete: int
    requests_aborted: int
    requests_in_flight: int
    max_in_flight: int
    connections_opened: int
    connections_closed: int
    still_open: int
    bytes_sent: int
    bytes_received: int


class _Peak:
    """The highest in-flight count seen since a mark (mutable, shared with the recorder)."""

    __slots__ = ("value", "__weakref__")

    def __init__(self, value: int) -> None:
        self.value = value


@dataclass(frozen=True)
class Mark:
    """A point in the records; pass it as `since=` to measure one call of a client."""

    time: float
    generation: int = field(repr=False)
    connections: int = field(repr=False)
    requests: int = field(repr=False)
    bytes_sent: int = field(repr=False)
    bytes_received: int = field(repr=False)
    peak: _Peak = field(repr=False, compare=False)


class _Conn:
    __slots__ = ("id", "peer", "opened", "closed", "requests", "received", "sent",
                 "closed_by", "pending_reason", "sock", "thread")

    def __init__(self, conn_id: int, peer: tuple[str, int], sock: socket.socket) -> None:
        self.id, self.peer, self.sock = conn_id, peer, sock
        self.opened = time.monotonic()
        self.closed: float | None = None
        self.requests = self.received = self.sent = 0
        self.closed_by: str | None = None
        self.pending_reason: str | None = None
        self.thread: threading.Thread | None = None

    def record(self) -> ConnectionRecord:
        return ConnectionRecord(self.id, self.peer, self.opened, self.closed, self.requests,
                                self.received, self.sent, self.closed_by)


class _Req:
    __slots__ = ("id", "conn_id", "scenario", "params", "method", "path", "headers",
                 "started", "finished", "status", "body_bytes", "body_received", "complete",
                 "error")

    def __init__(self, req_id: int, conn_id: int) -> None:
        self.id, self.conn_id = req_id, conn_id
        self.scenario: str | None = None
        self.params: dict[str, Any] = {}
        self.method = self.path = ""
        self.headers: dict[str, str] = {}
        self.started = time.monotonic()
        self.finished: float | None = None
        self.status: int | None = None
        self.body_bytes = self.body_received = 0
        self.complete = False
        self.error: str | None = None

    def record(self) -> RequestRecord:
        return RequestRecord(self.id, self.conn_id, self.scenario, dict(self.params),
                             self.method, self.path, dict(self.headers), self.started,
                             self.finished, self.status, self.body_bytes, self.body_received,
                             self.complete, self.error)


class Recorder:
    """All records and counters of one FaultServer, behind one lock (see module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._conn_ids = itertools.count(1)
        self._req_ids = itertools.count(1)
        self._open: dict[int, _Conn] = {}
        self._peaks: weakref.WeakSet[_Peak] = weakref.WeakSet()
        self._in_flight = 0
        self.log: deque[str] = deque(maxlen=1000)
        self._clear()

    def _clear(self) -> None:
        self._generation = next(_GENERATIONS)
        self._since = time.monotonic()
        self._conns: list[_Conn] = []
        self._reqs: list[_Req] = []
        self._max_in_flight = self._in_flight
        self._sent = self._received = 0
        self._counters: dict[object, int] = {}

    # -- written by the server threads -------------------------------------------------

    def open_connection(self, peer: tuple[str, int], sock: socket.socket,
                        limit: int) -> _Conn:
        """Record an accepted connection; it is born closed ("limit") when `limit` are open."""
        with self._changed:
            conn = _Conn(next(self._conn_ids), peer, sock)
            self._conns.append(conn)
            if len(self._open) >= limit:
                conn.closed, conn.closed_by = conn.opened, "limit"
            else:
                self._open[conn.id] = conn
            return conn

    def note_reason(self, conn: _Conn, reason: str) -> None:
        """Remember why the connection is about to close; the first reason given wins."""
        with self._lock:
            if conn.pending_reason is None:
                conn.pending_reason = reason

    def close_connection(self, conn: _Conn, default_reason: str) -> None:
        with self._changed:
            if conn.closed is None:
                conn.closed = time.monotonic()
                conn.closed_by = conn.pending_reason or default_reason
                self._open.pop(conn.id, None)
                self._changed.notify_all()

    def received(self, conn: _Conn, n: int) -> None:
        with self._lock:
            conn.received += n
            self._received += n

    def sent(self, conn: _Conn, n: int) -> None:
        with self._lock:
            conn.sent += n
            self._sent += n

    def begin_request(self, conn: _Conn) -> _Req:
        """A request line was read: the request is in flight from now."""
        with self._lock:
            req = _Req(next(self._req_ids), conn.id)
            self._reqs.append(req)
            conn.requests += 1
            self._in_flight += 1
            now = self._in_flight
            self._max_in_flight = max(self._max_in_flight, now)
            for peak in self._peaks:
                peak.value = max(peak.value, now)
            return req

    def describe(self, req: _Req, **fields: Any) -> None:
        """Fill in what was parsed (method, path, headers, scenario, params, body_received)."""
        with self._lock:
            for name, value in fields.items():
                setattr(req, name, value)

    def finish_request(self, req: _Req, *, status: int | None, body_bytes: int,
                       complete: bool, error: str | None) -> None:
        """The request is no longer in flight; a second call only corrects the outcome
        (the handler finishes a request just before its last byte, see handler.py)."""
        with self._changed:
            if req.finished is None:
                req.finished = time.monotonic()
                self._in_flight -= 1
            req.status, req.body_bytes, req.complete, req.error = (
                status, body_bytes, complete, error)
            self._changed.notify_all()

    def bump(self, key: object) -> int:
        """Count one more use of `key` (for scenarios with state, e.g. flaky); returns the count."""
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def note(self, message: str) -> None:
        """Keep a log line (instead of printing to stderr, which a notebook would show)."""
        with self._lock:
            self.log.append(message)

    def log_lines(self) -> list[str]:
        with self._lock:
            return list(self.log)

    # -- read by callers --------------------------------------------------------------

    def open_connections(self) -> list[_Conn]:
        with self._lock:
            return list(self._open.values())

    def counts(self) -> tuple[int, int, int]:
        """(requests in flight now, max in flight since reset, connections open now)."""
        with self._lock:
            return self._in_flight, self._max_in_flight, len(self._open)

    def mark(self) -> Mark:
        with self._lock:
            peak = _Peak(self._in_flight)
            self._peaks.add(peak)
            return Mark(time.monotonic(), self._generation, len(self._conns), len(self._reqs),
                        self._sent, self._received, peak)

    def connections(self, since: Mark | None = None) -> list[ConnectionRecord]:
        with self._lock:
            return [c.record() for c in self._conns_since(since)]

    def requests(self, since: Mark | None = None) -> list[RequestRecord]:
        with self._lock:
            return [r.record() for r in self._reqs_since(since)]

    def stats(self, since: Mark | None = None) -> Stats:
        with self._lock:
            conns, reqs = self._conns_since(since), self._reqs_since(since)
            return Stats(
                elapsed=time.monotonic() - (since.time if since else self._since),
                requests=len(reqs),
                by_scenario=_by_scenario(reqs),
                requests_complete=sum(r.complete for r in reqs),
                requests_aborted=sum(r.finished is not None and not r.complete for r in reqs),
                requests_in_flight=sum(r.finished is None for r in reqs),
                max_in_flight=since.peak.value if since else self._max_in_flight,
                connections_opened=len(conns),
                connections_closed=sum(c.closed is not None for c in conns),
                still_open=sum(c.closed is None for c in conns),
                bytes_sent=self._sent - (since.bytes_sent if since else 0),
                bytes_received=self._received - (since.bytes_received if since else 0),
            )

    def wait_closed(self, timeout: float, since: Mark | None = None) -> int:
        """Wait up to `timeout` s for the connections opened since `since` to close; returns
        how many are still open."""
        return self._wait(timeout, lambda: sum(c.closed is None
                                               for c in self._conns_since(since)))

    def wait_finished(self, timeout: float, since: Mark | None = None) -> int:
        """Wait up to `timeout` s for the requests started since `since` to finish; returns
        how many are still in flight."""
        return self._wait(timeout, lambda: sum(r.finished is None
                                               for r in self._reqs_since(since)))

    def _wait(self, timeout: float, pending: Callable[[], int]) -> int:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                still = pending()
                left = deadline - time.monotonic()
                if still == 0 or left <= 0:
                    return still
                self._changed.wait(left)

    def reset(self) -> None:
        """Forget all records and counters (open connections and in-flight requests carry on,
        uncounted); marks taken before are no longer valid."""
        with self._lock:
            self._clear()

    def _conns_since(self, since: Mark | None) -> list[_Conn]:
        return self._conns[self._index(since, "connections"):]

    def _reqs_since(self, since: Mark | None) -> list[_Req]:
        return self._reqs[self._index(since, "requests"):]

    def _index(self, since: Mark | None, what: str) -> int:
        if since is None:
            return 0
        if not isinstance(since, Mark):
            raise TypeError(f"since must be a Mark from server.mark(), got {since!r}")
        if since.generation != self._generation:
            raise ValueError("this mark was taken before reset_records() or on another "
                             "server; take a new one with server.mark()")
        return getattr(since, what)


def _by_scenario(reqs: Iterable[_Req]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for req in reqs:
        if req.scenario is not None:
            counts[req.scenario] = counts.get(req.scenario, 0) + 1
    return counts
