"""One connection of the fault server: HTTP/1.1 keep-alive, every byte counted.

Built on `http.server.BaseHTTPRequestHandler` for request parsing, but reading and writing
go through the counting wrappers of `grader.faults.wire` so the records hold the exact
bytes the kernel delivered and accepted, and `handle_one_request` is our own so that
every request is recorded from its request line to the end (or abandonment) of its
response.

Timeouts: a socket timeout of `idle_timeout` while waiting for the next request and of
`io_timeout` while reading one and writing its response, so a client that stops reading
cannot hold a thread for ever; `FaultServer.stop()` also shuts every socket down, which
wakes any blocked read, write or pause at once.
"""

from __future__ import annotations

import io
import selectors
import socket
import struct
import time
import traceback
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from grader.faults.params import parse_query
from grader.faults.scenarios import ExchangeAborted, UnknownScenario, index_text, lookup
from grader.faults.wire import CountingReader, CountingWriter, discard_unread

if TYPE_CHECKING:
    from grader.faults.records import _Conn
    from grader.faults.server import _HTTPServer

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_REQUEST_BODY = 64 * 1024 * 1024
_WATCH_STEP = 0.5  # longest a pause goes without looking at the stop flag


class FaultHandler(BaseHTTPRequestHandler):
    """Serves the scenarios on one connection; implements scenarios.Responder."""

    protocol_version = "HTTP/1.1"
    server_version = "FaultServer/1.0"
    # Errors for unparseable request lines get a real status line (not bare HTTP/0.9 HTML).
    default_request_version = "HTTP/1.1"
    server: _HTTPServer

    def __init__(self, request: socket.socket, client_address: Any, server: _HTTPServer,
                 conn: _Conn) -> None:
        self.conn = conn
        self.recorder = server.recorder
        self._status: int | None = None
        self._declared: int | None = None
        super().__init__(request, client_address, server)

    def setup(self) -> None:
        self.connection = self.request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = io.BufferedReader(CountingReader(
            self.connection, lambda n: self.recorder.received(self.conn, n)))
        self.wfile = CountingWriter(  # type: ignore[assignment]
            self.connection, lambda n: self.recorder.sent(self.conn, n))
        self.wfile.on_finish = self._response_written

    # -- one request ----------------------------------------------------------------

    def handle_one_request(self) -> None:
        self.close_connection = True
        line = self._next_request_line()
        if line is None:
            return
        self._begin(line)
        try:
            self._exchange(line)
            self.wfile.flush()  # a response without body still holds its head
        except ExchangeAborted as exc:
            self._abort(exc.reason, str(exc))
        except OSError as exc:
            self._abort(self._reason_for(exc), f"connection failed: {exc!r}")
        except Exception as exc:  # a bug in a scenario must not kill the server
            self.recorder.note("".join(traceback.format_exception(exc)))
            self._internal_error(exc)
        finally:
            self._finish()

    def _next_request_line(self) -> bytes | None:
        """The next request line, or None when the connection is over (and why)."""
        try:
            self.connection.settimeout(self.server.idle_timeout)
            line = self.rfile.readline(65537)
        except OSError as exc:
            self.recorder.note_reason(self.conn, self._reason_for(exc))
            return None
        if not line:
            self.recorder.note_reason(self.conn, "stop" if self._stopping() else "client")
            return None
        return line

    def _begin(self, line: bytes) -> None:
        self.connection.settimeout(self.server.io_timeout)
        self._req = self.recorder.begin_request(self.conn)
        self._status = self._declared = None
        self._head_end: int | None = None
        self._error: str | None = None
        self.wfile.finish_at = None
        self.command, self.path = "", ""
        self.recorder.describe(self._req, method=line.split(b" ", 1)[0][:16].decode("latin-1"))

    def _exchange(self, line: bytes) -> None:
        self.raw_requestline = line
        if len(line) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():  # it has sent the error response
            return
        self.recorder.describe(self._req, method=self.command, path=self.path,
                               headers=_header_dict(self.headers))
        if self.command not in METHODS:
            self.send_error(501, f"Unsupported method ({self.command!r})")
            return
        if self._drain_request_body():
            self._dispatch()

    def _dispatch(self) -> None:
        name, query = _split_target(self.path)
        if not name:
            self._send_text(200, index_text())
            return
        try:
            scenario = lookup(name)
            params = scenario.resolve(parse_query(query), text=True)
        except UnknownScenario as exc:
            self._send_text(404, f"{exc}\n".encode())
            return
        except ValueError as exc:
            self._send_text(400, f"{exc}\n".encode())
            return
        self.recorder.describe(self._req, scenario=name, params=params)
        scenario.serve(self, params)

    def _response_written(self) -> None:
        """The write that completes a response of known length is about to start (see
        wire.CountingWriter): the request is finished. _finish() corrects the record if
        that write fails."""
        body = self._declared if self._has_body() else 0
        self.recorder.finish_request(self._req, status=self._status, body_bytes=body or 0,
                                     complete=True, error=None)

    def _finish(self) -> None:
        self.wfile.finish_at = None  # nothing may report this request complete any more
        body = max(0, self.wfile.total - (self._head_end or self.wfile.total))
        short = self._has_body() and self._declared is not None and body < self._declared
        if short and self._error is None:
            self._error = f"response cut short: {body} of {self._declared} body bytes sent"
            self.close_connection = True
        complete = self._error is None and self._status is not None
        self.recorder.finish_request(self._req, status=self._status, body_bytes=body,
                                     complete=complete, error=self._error)

    def _has_body(self) -> bool:
        status = self._status or 0
        return self.command != "HEAD" and status >= 200 and status not in (204, 304)

    def _abort(self, reason: str, message: str) -> None:
        self._error = message
        self.close_connection = True
        self.recorder.note_reason(self.conn, reason)
        self.wfile.drop_held()  # a head not yet sent stays unsent: the connection closes

    def _internal_error(self, exc: Exception) -> None:
        self._abort("server", f"fault server bug: {exc!r}")
        if self._status is None:  # nothing sent yet: say so
            try:
                self.send_error(500, "fault server bug")
            except OSError:
                pass

    def _reason_for(self, exc: BaseException) -> str:
        if self._stopping():
            return "stop"
        return "timeout" if isinstance(exc, TimeoutError) else "client_reset"

    def _stopping(self) -> bool:
        return self.server.stopping.is_set()

    def finish(self) -> None:
        super().finish()
        discard_unread(self.connection, lambda n: self.recorder.received(self.conn, n))

    # -- request bodies ----------------------------------------------------------------

    def _drain_request_body(self) -> bool:
        """Read and discard the request body so the next request on the connection parses;
        False when an error response was sent instead."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            total = self._drain_chunked()
        else:
            length = self.headers.get("Content-Length", "0").strip() or "0"
            if not length.isdigit():
                self.send_error(400, "Bad Content-Length")
                return False
            if int(length) > MAX_REQUEST_BODY:
                self.send_error(413)
                return False
            total = self._read_exactly(int(length))
        if total is None:
            return False
        self.recorder.describe(self._req, body_received=total)
        return True

    def _read_exactly(self, n: int) -> int:
        left = n
        while left:
            data = self.rfile.read(min(left, 65536))
            if not data:
                raise ExchangeAborted("client", "client closed the connection mid request body")
            left -= len(data)
        return n

    def _drain_chunked(self) -> int | None:
        total = 0
        while True:
            size_line = self.rfile.readline(1026)
            size = size_line.split(b";", 1)[0].strip()
            if not size_line.endswith(b"\n") or not _is_hex(size):
                self.send_error(400, "Bad chunked request body")
                return None
            n = int(size, 16)
            total += n
            if total > MAX_REQUEST_BODY:
                self.send_error(413)
                return None
            if n == 0:
                break
            self._read_exactly(n)
            self.rfile.readline(3)  # the CRLF after the chunk
        while self.rfile.readline(65537).strip():  # trailer fields
            pass
        return total

    # -- scenarios.Responder -------------------------------------------------------------

    def send_head(self, status: int, headers: Sequence[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def send_body(self, data: bytes) -> None:
        if self.command != "HEAD":
            self.wfile.write(data)

    def pause(self, seconds: float) -> None:
        self.wfile.flush()
        deadline = time.monotonic() + seconds
        watching = True
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            while True:
                if self._stopping():
                    raise ExchangeAborted("stop", "the server stopped")
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                step = min(left, _WATCH_STEP)
                if not watching:
                    self.server.stopping.wait(step)
                elif selector.select(step) and not self._stopping():
                    watching = self._client_is_idle()

    def _client_is_idle(self) -> bool:
        """The socket is readable: EOF or an error means the client gave up (raise); data
        (a pipelined request) means it is still there, but we can watch no further."""
        try:
            data = self.connection.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError as exc:
            raise ExchangeAborted(self._reason_for(exc), f"client went away: {exc!r}") from None
        if not data:
            raise ExchangeAborted("client", "client closed the connection before the "
                                  "response was complete")
        return False

    def close_after(self) -> None:
        self.close_connection = True

    def reset(self) -> None:
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        raise ExchangeAborted("server_reset", "connection reset by the reset scenario")

    def bump(self, key: object) -> int:
        return self.recorder.bump(key)

    # -- BaseHTTPRequestHandler hooks ---------------------------------------------------

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "content-length" and self._status is not None:
            self._declared = int(value)
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        """The final response's head is held to go out with the body (wire.CountingWriter),
        and where the response ends is noted when its length is known."""
        if self._status is None:  # an interim "100 Continue": now
            super().end_headers()
            return
        lines = getattr(self, "_headers_buffer", [])
        head = b"".join(lines) + (b"\r\n" if self.request_version != "HTTP/0.9" else b"")
        self._headers_buffer = []
        self._head_end = self.wfile.total + self.wfile.held + len(head)
        body = self._declared if self._has_body() else 0
        if body is not None:  # None: close-delimited, it ends when the server closes
            self.wfile.finish_at = self._head_end + body
        self.wfile.hold(head)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        self.recorder.note(f"{self.client_address[0]}:{self.client_address[1]} "
                           f"{format % args}")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # every request is in the records already

    def _send_text(self, status: int, body: bytes) -> None:
        self.send_head(status, [("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(body)))])
        self.send_body(body)


def _split_target(target: str) -> tuple[str, str]:
    """('ok_json', 'size=3') from '/ok_json?size=3' (or an absolute-form target)."""
    if "://" in target.split("?", 1)[0]:
        parts = urlsplit(target)
        target = parts.path + ("?" + parts.query if parts.query else "")
    path, _, query = target.split("#", 1)[0].partition("?")
    return unquote(path).strip("/"), query


def _header_dict(headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _is_hex(text: bytes) -> bool:
    return 0 < len(text) <= 16 and all(c in b"0123456789abcdefABCDEF" for c in text)
