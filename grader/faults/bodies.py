"""The bytes the scenarios send, as pure functions of their parameters.

Why separate: the server streams exactly these generators, and `FaultServer.body()` joins
them, so a test or a grader compares what a client received with what was sent without
any second source of truth.

Long bodies repeat a pattern whose period is a prime number of bytes (65 521): a client
that drops, repeats or reorders a buffer of any usual size (a power of two, a chunk size)
shifts the pattern and no longer matches.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator

PERIOD = 65_521
_ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

USER = {"id": 7, "name": "ada", "tags": ["admin", "ops"]}

NOT_FOUND = b'{"error": "not found"}'
SERVER_ERROR = b'{"error": "internal server error"}'
UNAVAILABLE = b'{"error": "service unavailable, try again later"}'
# Cut off in the middle of a string, with a correct Content-Length: the transport is fine,
# the JSON is not (what a crashed upstream or a size-limited proxy produces).
INVALID_JSON = b'{"id": 7, "name": "ada", "tags": ["admin", "op'
# What a captive portal or corporate proxy answers instead of the API, with status 200.
LOGIN_PAGE = b"""<!DOCTYPE html>
<html>
<head><title>Sign in - Corporate Web Proxy</title></head>
<body>
<h1>Your session has expired</h1>
<p>Please sign in to continue to the requested page.</p>
<form method="post" action="/login">
<input name="user"> <input name="password" type="password"> <button>Sign in</button>
</form>
</body>
</html>
"""


@functools.cache
def _twice() -> bytes:
    one = bytes(_ALPHABET[(i * i + 11 * i) % PERIOD % len(_ALPHABET)] for i in range(PERIOD))
    return one + one


def pattern(offset: int, n: int) -> bytes:
    """Bytes [offset, offset + n) of the endless pattern used by long bodies."""
    twice, parts = _twice(), []
    while n > 0:
        start, take = offset % PERIOD, min(n, PERIOD)
        parts.append(twice[start:start + take])
        offset, n = offset + take, n - take
    return b"".join(parts)


def pattern_chunks(size: int, chunk: int = PERIOD) -> Iterator[bytes]:
    """The first `size` bytes of the pattern in pieces of at most `chunk` bytes."""
    for offset in range(0, size, chunk):
        yield pattern(offset, min(chunk, size - offset))


def ok_json(size: int = 0) -> bytes:
    """The small JSON user object, padded with a "pad" string to at least `size` bytes."""
    body = json.dumps(USER).encode()
    if size <= len(body):
        return body
    bare = json.dumps({**USER, "pad": ""}).encode()
    return json.dumps({**USER, "pad": "x" * max(0, size - len(bare))}).encode()


def latency_json(ident: int, ms: int) -> bytes:
    return json.dumps({"id": ident, "ms": ms, "ok": True}).encode()


def flaky_json(ident: int, attempt: int) -> bytes:
    return json.dumps({"id": ident, "attempt": attempt, "ok": True}).encode()


def redirect_text(location: str) -> bytes:
    return f"redirecting to {location}\n".encode()
