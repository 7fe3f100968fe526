"""`FaultServer`: a local HTTP server that misbehaves on purpose, and records what it saw.

Lessons point AI-written HTTP clients (Go, JavaScript, Python) at it to show how they fail;
the grader points learners' clients at it and grades on the faults they survived and on
what the server observed: connections left open, requests in flight at once, bytes sent.

    with FaultServer() as server:
        mark = server.mark()
        run_client(server.url("latency", ms=300, id=1))
        stats = server.stats(since=mark)
        leaked = server.wait_closed(1.0, since=mark)

Why the standard library (`http.server.ThreadingHTTPServer` over plain sockets) and not a
framework: no dependency to install in every learner's environment, and the faults need
the raw socket, which higher-level servers hide: a reset is SO_LINGER 0 then close, a
trickled body is one send() per chunk, a slow response delays the status line itself, a
close-delimited body ends with a close. HTTP/1.1 keep-alive is on, so whether a client
reuses connections is visible in the records. One thread per connection (daemon threads).

It binds 127.0.0.1 only: it is a deliberately broken server and must not be reachable from
the network. The scenarios are listed in `grader.faults.scenarios`.
"""

from __future__ import annotations

import hashlib
import socket
import socketserver
import threading
import time
import traceback
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from grader.faults.handler import FaultHandler
from grader.faults.params import Value
from grader.faults.records import ConnectionRecord, Mark, Recorder, RequestRecord, Stats, _Conn
from grader.faults.scenarios import SCENARIOS, lookup

HOST = "127.0.0.1"
_POLL = 0.05  # how often the accept loop looks at the shutdown flag


class _HTTPServer(ThreadingHTTPServer):
    """The listener: one daemon thread per connection, each one recorded."""

    daemon_threads = True
    block_on_close = False  # stop() joins the threads itself, with a bound
    request_queue_size = 128

    def __init__(self, port: int, recorder: Recorder, *, idle_timeout: float,
                 io_timeout: float, max_connections: int) -> None:
        self.recorder = recorder
        self.stopping = threading.Event()
        self.idle_timeout, self.io_timeout = idle_timeout, io_timeout
        self.max_connections = max_connections
        super().__init__((HOST, port), FaultHandler)  # type: ignore[arg-type]

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call socket.getfqdn(), a DNS lookup that can hang.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        conn = self.recorder.open_connection(client_address, request, self.max_connections)
        if conn.closed is not None:  # over max_connections: refuse at once
            self.shutdown_request(request)
            return
        thread = threading.Thread(target=self._serve, args=(request, client_address, conn),
                                  name=f"fault-server-conn-{conn.id}", daemon=True)
        conn.thread = thread
        try:
            thread.start()
        except RuntimeError:  # can't start new thread
            self.recorder.note_reason(conn, "limit")
            self.shutdown_request(request)
            self.recorder.close_connection(conn, "limit")

    def _serve(self, request: socket.socket, client_address: Any, conn: _Conn) -> None:
        try:
            FaultHandler(request, client_address, self, conn)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self.recorder.close_connection(conn, "server")

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.recorder.note(f"error serving {client_address}:\n{traceback.format_exc()}")


class FaultServer:
    """A fault-injecting HTTP/1.1 server on 127.0.0.1 (see the module docstring).

    `port=0` picks a free port. `idle_timeout`: how long a kept-alive connection may sit
    between requests before the server closes it; `io_timeout`: how long a read or write
    within a request may make no progress (a client that stops reading a big body);
    `max_connections`: open connections beyond this are closed at once (one thread each);
    `stop_timeout`: how long stop() waits for the connection threads.
    """

    def __init__(self, port: int = 0, *, idle_timeout: float = 60.0, io_timeout: float = 10.0,
                 max_connections: int = 256, stop_timeout: float = 5.0) -> None:
        _check_number("port", port, 0, 65535, int)
        _check_number("idle_timeout", idle_timeout, 0.01, 3600.0, float)
        _check_number("io_timeout", io_timeout, 0.01, 3600.0, float)
        _check_number("max_connections", max_connections, 1, 10_000, int)
        _check_number("stop_timeout", stop_timeout, 0.0, 600.0, float)
        self._port = port
        self._options = {"idle_timeout": float(idle_timeout), "io_timeout": float(io_timeout),
                         "max_connections": max_connections}
        self._stop_timeout = float(stop_timeout)
        self._recorder = Recorder()
        self._state = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._dead: socket.socket | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> FaultServer:
        """Bind and serve in a daemon thread; a no-op when running. Returns self."""
        with self._state:
            if self._httpd is not None:
                return self
            try:
                httpd = _HTTPServer(self._port, self._recorder, **self._options)
            except OSError as exc:
                exc.add_note(f"FaultServer could not bind {HOST}:{self._port}; is another "
                             "server (an earlier notebook cell?) still on it? stop() it, or "
                             "use port=0 for a free port")
                raise
            try:
                dead = _reserve_dead_port()
            except OSError:
                httpd.server_close()
                raise
            thread = threading.Thread(target=httpd.serve_forever, args=(_POLL,),
                                      name=f"fault-server-{httpd.server_port}", daemon=True)
            thread.start()
            self._httpd, self._thread, self._dead = httpd, thread, dead
        return self

    def stop(self) -> None:
        """Close the listener and every open connection, wait (bounded) for the connection
        threads and release the ports. Idempotent; start() may be called again after."""
        with self._state:
            httpd, thread, dead = self._httpd, self._thread, self._dead
            self._httpd = self._thread = self._dead = None
        if httpd is None or thread is None or dead is None:
            return
        httpd.stopping.set()
        if thread.is_alive():
            httpd.shutdown()  # returns once the accept loop is out: no new connections
        httpd.server_close()
        dead.close()
        self._close_connections()
        thread.join(self._stop_timeout)

    def _close_connections(self) -> None:
        conns = self._recorder.open_connections()
        for conn in conns:  # wakes every blocked read, write, select of the handlers
            _hang_up(conn.sock)
        deadline = time.monotonic() + self._stop_timeout
        for conn in conns:
            if conn.thread is not None:
                conn.thread.join(max(0.0, deadline - time.monotonic()))
        for conn in conns:
            if conn.thread is not None and conn.thread.is_alive():
                conn.sock.close()
                self._recorder.note_reason(conn, "stop")
                self._recorder.close_connection(conn, "stop")

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        return self._running().server_port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{HOST}:{self.port}"

    # -- URLs and bodies --------------------------------------------------------------

    def url(self, scenario: str, /, **params: Value) -> str:
        """``http://127.0.0.1:PORT/<scenario>?k=v``; ValueError for an unknown scenario or a
        bad parameter (naming it and its range)."""
        return self.base_url + _target(scenario, params)

    def dead_url(self, scenario: str = "ok_json", /, **params: Value) -> str:
        """A URL on 127.0.0.1 where nothing listens: connecting gets ECONNREFUSED."""
        with self._state:
            if self._dead is None:
                raise RuntimeError(_NOT_RUNNING)
            port = self._dead.getsockname()[1]
        return f"http://{HOST}:{port}" + _target(scenario, params)

    @staticmethod
    def body(scenario: str, /, **params: Value) -> bytes:
        """The exact body bytes the server sends for this scenario and these parameters
        (for `reset` and `stall`: the part sent before the fault)."""
        return b"".join(_body_chunks(scenario, params))

    @staticmethod
    def body_sha256(scenario: str, /, **params: Value) -> str:
        """Hex SHA-256 of body(), computed piecewise (no 500 MB bytes object)."""
        digest = hashlib.sha256()
        for piece in _body_chunks(scenario, params):
            digest.update(piece)
        return digest.hexdigest()

    @staticmethod
    def scenarios() -> dict[str, str]:
        """Scenario name -> one-line summary with its parameters."""
        return {s.name: f"{s.summary} ({'; '.join(p.describe() for p in s.params) or '-'})"
                for s in SCENARIOS.values()}

    # -- records ----------------------------------------------------------------------

    def mark(self) -> Mark:
        """A point in the records; `stats(since=mark)` and friends count from here (and the
        window's max_in_flight starts from the requests in flight now)."""
        return self._recorder.mark()

    def stats(self, since: Mark | None = None) -> Stats:
        """Counts since `since` (default: since start or reset_records())."""
        return self._recorder.stats(since)

    def wait_closed(self, timeout: float, since: Mark | None = None) -> int:
        """Wait up to `timeout` s for the clients to close the connections opened since
        `since`; returns how many are still open (0 = all closed). A client that never
        closes a response body leaves its connection open."""
        _check_number("timeout", timeout, 0.0, 3600.0, float)
        return self._recorder.wait_closed(float(timeout), since)

    def wait_finished(self, timeout: float, since: Mark | None = None) -> int:
        """Wait up to `timeout` s for the requests started since `since` to be finished in the
        records; returns how many are still in flight. Call it before reading stats after a
        client returned: a client can have the last byte before the server has noted it."""
        _check_number("timeout", timeout, 0.0, 3600.0, float)
        return self._recorder.wait_finished(float(timeout), since)

    def connections(self, since: Mark | None = None) -> list[ConnectionRecord]:
        return self._recorder.connections(since)

    def requests(self, since: Mark | None = None) -> list[RequestRecord]:
        return self._recorder.requests(since)

    def reset_records(self) -> None:
        """Forget all records (marks taken before become invalid)."""
        self._recorder.reset()

    @property
    def in_flight(self) -> int:
        return self._recorder.counts()[0]

    @property
    def max_in_flight(self) -> int:
        """Most requests in flight at once since start or reset_records()."""
        return self._recorder.counts()[1]

    @property
    def open_connections(self) -> int:
        return self._recorder.counts()[2]

    @property
    def log(self) -> list[str]:
        """What the server would otherwise have printed (malformed requests, errors)."""
        return self._recorder.log_lines()

    def __repr__(self) -> str:
        httpd = self._httpd
        if httpd is None:
            return f"<FaultServer stopped, {len(self.requests())} requests recorded>"
        in_flight, _, open_now = self._recorder.counts()
        return (f"<FaultServer http://{HOST}:{httpd.server_port} running, "
                f"{open_now} open connections, {in_flight} requests in flight, "
                f"{len(self.requests())} requests recorded>")

    def _running(self) -> _HTTPServer:
        httpd = self._httpd
        if httpd is None:
            raise RuntimeError(_NOT_RUNNING)
        return httpd


_NOT_RUNNING = "FaultServer is not running: call start(), or use `with FaultServer() as s:`"


def _target(scenario: str, params: dict[str, Value]) -> str:
    """``/name?k=v`` with the parameters checked and written canonically."""
    found = lookup(scenario)
    values = found.resolve(params)
    by_name = {p.name: p for p in found.params}
    query = urlencode([(k, by_name[k].to_text(values[k])) for k in params])
    return f"/{scenario}" + (f"?{query}" if query else "")


def _body_chunks(scenario: str, params: dict[str, Value]) -> Any:
    found = lookup(scenario)
    values = found.resolve(params)
    if found.body is None:
        fixed = [s.name for s in SCENARIOS.values() if s.body is not None]
        raise ValueError(f"scenario {scenario!r} has no fixed body (it depends on the "
                         f"server's state); ones that do: {', '.join(fixed)}")
    return found.body(values)


def _reserve_dead_port() -> socket.socket:
    """A port that is bound but never listens: connecting to it is refused, and holding it
    for the server's lifetime keeps any other program from taking it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, 0))
    except OSError:
        sock.close()
        raise
    return sock


def _hang_up(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _check_number(name: str, value: object, low: float, high: float, kind: type) -> None:
    ok_type = isinstance(value, int) if kind is int else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not low <= value <= high:  # type: ignore[operator]
        raise ValueError(f"{name} must be {'an int' if kind is int else 'a number'} in "
                         f"[{low}, {high}], got {value!r}")
