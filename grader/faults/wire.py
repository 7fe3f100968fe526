"""Byte-exact socket I/O for the handler: what the kernel delivered and accepted, counted.

Why not the socket's own makefile(): the records must hold the bytes that really crossed
the socket (including those accepted before a failed write, which sendall() does not
report), and the moment a request stops being "in flight" must come before the client
can possibly hold its whole response (see `CountingWriter`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any


class CountingReader(socket.SocketIO):
    """The raw reader under the handler's buffered `rfile`: counts bytes off the socket."""

    def __init__(self, sock: socket.socket, count: Callable[[int], None]) -> None:
        super().__init__(sock, "rb")
        self._count = count

    def readinto(self, b: Any) -> int | None:
        n = super().readinto(b)
        if n:
            self._count(n)
        return n


class CountingWriter:
    """The handler's unbuffered `wfile`, sending with send() in a loop so that exactly the
    bytes the kernel accepted are counted, also when a write fails half-way.

    A response head is held (`hold`) and goes out with the first body bytes, so a small
    response is one send(): a client cannot act on the headers before the body is on its
    way. When `finish_at` (a value of `total`) is set, `on_finish` runs just before the
    write that reaches it: the request leaves "in flight" before the client can have its
    whole response, so a client that sends requests one after another is never seen with
    two in flight, however late this thread gets the CPU back after its last send().
    """

    def __init__(self, sock: socket.socket, count: Callable[[int], None]) -> None:
        self._sock, self._count = sock, count
        self.total = 0
        self.closed = False
        self.finish_at: int | None = None
        self.on_finish: Callable[[], None] = lambda: None
        self._held = b""

    @property
    def held(self) -> int:
        return len(self._held)

    def hold(self, data: bytes) -> None:
        self._held += data

    def write(self, data: bytes) -> int:
        n = len(data)
        if self._held:
            data, self._held = self._held + bytes(data), b""
        view = memoryview(data).cast("B")
        if self.finish_at is not None and self.total + len(view) >= self.finish_at:
            self.finish_at = None
            self.on_finish()
        # Counted before they go out (and taken back if they don't), so that the records
        # never show fewer bytes than the client has already got.
        self._add(len(view))
        try:
            while view:
                view = view[self._sock.send(view):]
        finally:
            self._add(-len(view))
        return n

    def _add(self, n: int) -> None:
        if n:
            self.total += n
            self._count(n)

    def flush(self) -> None:
        """Send a held head (a response without body, or before a pause)."""
        if self._held:
            self.write(b"")

    def drop_held(self) -> None:
        self._held = b""
        self.finish_at = None

    def close(self) -> None:
        self.closed = True


def discard_unread(sock: socket.socket, count: Callable[[int], None]) -> None:
    """Read what the client sent but nobody read (the rest of a rejected request): closing
    a socket with unread input sends a RST, which can destroy the error response still on
    its way to the client. Bounded, and it never waits."""
    try:
        sock.setblocking(False)
        for _ in range(64):
            data = sock.recv(65536)
            if not data:
                return
            count(len(data))
    except OSError:
        pass  # nothing more to read now, or the socket is already closed
