"""The named fault scenarios: the URL path is the name, parameters go in the query string.

=================  ================================  ========================================
scenario           parameters: default [range]       what the client gets
=================  ================================  ========================================
``ok_json``        size=0 [0, 10_000_000]            200 application/json
                                                     ``{"id": 7, "name": "ada", "tags": ..}``,
                                                     padded to at least `size` bytes
``not_found``      (none)                            404, a short JSON error body
``server_error``   (none)                            500, a short JSON error body
``unavailable``    retry_after=2 [0, 86_400]         503, ``Retry-After: <retry_after>``
``invalid_json``   (none)                            200 application/json, the JSON cut off
                                                     mid-string (Content-Length is right)
``wrong_type``     (none)                            200 text/html: a proxy's login page
``slow_headers``   delay=2.0 [0, 60]                 nothing for `delay` s, then ok_json's
                                                     response (for client timeouts)
``trickle``        size=200 [1, 10_000_000]          200, Content-Length `size`; the body
                   chunk=10 [1, 1_048_576]           comes `chunk` bytes at a time,
                   interval=0.05 [0, 10]             `interval` s apart
``big_body``       size=11_000_000 [0, 536_870_912]  200, `size` pattern bytes; length=0:
                   length=1 [0 or 1]                 no Content-Length, the server closes
                                                     the connection to end the body
``reset``          size=100_000 [1, 100_000_000]     headers with Content-Length `size`,
                   after=1000 [0, size - 1]          `after` body bytes, `delay` s, then a
                   delay=0.05 [0, 10]                TCP RST (SO_LINGER 0, then close)
``redirect_loop``  hop=0 [0, 1_000_000]              302 to ``/redirect_loop?hop=<hop+1>``,
                                                     for ever
``latency``        ms=200 [0, 60_000]                after `ms` ms, 200 application/json
                   id=0 [0, 2**31 - 1]               ``{"id": <id>, "ms": <ms>, "ok": true}``
``stall``          size=1000 [1, 1_000_000_000]      headers with Content-Length `size`,
                   after=0 [0, size - 1]             `after` body bytes, then nothing until
                   seconds=60.0 [0, 600]             the client gives up, the server stops
                                                     or `seconds` pass (then it closes)
``json_*``         (none)                            200 JSON shapes a careless decoder
                                                     accepts: ``json_null``, ``json_array``,
                                                     ``json_string_id``, ``json_float_id``,
                                                     ``json_missing_id``, ``json_missing_name``,
                                                     ``json_empty_name``, ``json_trailing``,
                                                     ``json_charset`` (valid, with a charset)
``flaky``          fails=2 [0, 1000]                 the first `fails` requests with this
                   id=0 [0, 2**31 - 1]               `id` get 503 + Retry-After, later ones
                   retry_after=0 [0, 86_400]         200 ``{"id", "attempt", "ok": true}``
=================  ================================  ========================================

``GET /`` lists the scenarios; any other path is a 404 naming them, a bad parameter a 400
naming it. Every delay watches the connection: when the client hangs up (its timeout fired)
the server stops at once and records the request as aborted. ``FaultServer.dead_url()``
covers "nothing listening" (connection refused). Why a registry of small functions: the
server, `FaultServer.url()` and `FaultServer.body()` all read the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from grader.faults import bodies
from grader.faults.params import Param, Value, resolve

JSON = "application/json"
Params = dict[str, Any]


class ExchangeAborted(Exception):
    """The response cannot go on; `reason` is a records.CLOSE_REASONS key for the connection."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Responder(Protocol):
    """What a scenario may do to the connection it answers (implemented by the handler)."""

    def send_head(self, status: int, headers: Sequence[tuple[str, str]]) -> None:
        """Status line and headers (Server and Date are added)."""

    def send_body(self, data: bytes) -> None:
        """Body bytes, written at once (nothing is written for HEAD)."""

    def pause(self, seconds: float) -> None:
        """Wait; raise ExchangeAborted as soon as the client hangs up or the server stops."""

    def close_after(self) -> None:
        """Close the connection after this response (a close-delimited body)."""

    def reset(self) -> None:
        """Abort the connection with a TCP RST; never returns."""

    def bump(self, key: object) -> int:
        """Count one more use of `key` on this server; returns the new count."""


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    params: tuple[Param, ...]
    serve: Callable[[Responder, Params], None]
    body: Callable[[Params], Iterable[bytes]] | None = None  # None: no fixed body
    check: Callable[[Params], None] | None = None  # checks across parameters

    def resolve(self, given: Mapping[str, object], *, text: bool = False) -> dict[str, Value]:
        """Parameters with defaults; ValueError naming the scenario, parameter and range."""
        try:
            params = resolve(self.params, given, text=text)
            if self.check:
                self.check(params)
        except ValueError as exc:
            raise ValueError(f"scenario {self.name!r}: {exc}") from None
        return params


class UnknownScenario(ValueError):
    pass


def lookup(name: str) -> Scenario:
    """The scenario called `name`, or a ValueError listing the known ones."""
    try:
        return SCENARIOS[name]
    except (KeyError, TypeError):
        raise UnknownScenario(f"unknown scenario {name!r}; known scenarios: "
                              f"{', '.join(SCENARIOS)}") from None


def index_text() -> bytes:
    """What ``GET /`` answers: one line per scenario with its parameters."""
    lines = ["fault server scenarios (GET /<name>?param=value):", ""]
    for s in SCENARIOS.values():
        params = "; ".join(p.describe() for p in s.params) or "no parameters"
        lines.append(f"{s.name:14} {s.summary} ({params})")
    return ("\n".join(lines) + "\n").encode()


def respond(r: Responder, status: int, content_type: str, body: bytes,
            extra: Sequence[tuple[str, str]] = ()) -> None:
    """A whole response with a Content-Length."""
    r.send_head(status, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                         *extra])
    r.send_body(body)


def _fixed(status: int, content_type: str, body: bytes) -> Callable[[Responder, Params], None]:
    return lambda r, p: respond(r, status, content_type, body)


def _unavailable(r: Responder, p: Params) -> None:
    respond(r, 503, JSON, bodies.UNAVAILABLE, [("Retry-After", str(p["retry_after"]))])


def _slow_headers(r: Responder, p: Params) -> None:
    r.pause(p["delay"])
    respond(r, 200, JSON, bodies.ok_json())


def _trickle(r: Responder, p: Params) -> None:
    r.send_head(200, [("Content-Type", "application/octet-stream"),
                      ("Content-Length", str(p["size"]))])
    for i, piece in enumerate(bodies.pattern_chunks(p["size"], p["chunk"])):
        if i:
            r.pause(p["interval"])
        r.send_body(piece)


def _big_body(r: Responder, p: Params) -> None:
    headers = [("Content-Type", "application/octet-stream")]
    if p["length"]:
        headers.append(("Content-Length", str(p["size"])))
    else:
        headers.append(("Connection", "close"))
        r.close_after()
    r.send_head(200, headers)
    for piece in bodies.pattern_chunks(p["size"]):
        r.send_body(piece)


def _partial_then(r: Responder, p: Params, wait: float) -> None:
    r.send_head(200, [("Content-Type", "application/octet-stream"),
                      ("Content-Length", str(p["size"]))])
    if p["after"]:
        r.send_body(bodies.pattern(0, p["after"]))
    r.pause(wait)


def _reset(r: Responder, p: Params) -> None:
    _partial_then(r, p, p["delay"])
    r.reset()


def _stall(r: Responder, p: Params) -> None:
    _partial_then(r, p, p["seconds"])
    r.close_after()  # the body stays short: the handler records the response as cut short


def _redirect_location(p: Params) -> str:
    return f"/redirect_loop?hop={min(p['hop'] + 1, _MAX_HOP)}"


def _redirect_loop(r: Responder, p: Params) -> None:
    location = _redirect_location(p)
    respond(r, 302, "text/plain", bodies.redirect_text(location), [("Location", location)])


def _latency(r: Responder, p: Params) -> None:
    r.pause(p["ms"] / 1000)
    respond(r, 200, JSON, bodies.latency_json(p["id"], p["ms"]))


def _flaky(r: Responder, p: Params) -> None:
    attempt = r.bump(("flaky", p["id"]))
    if attempt <= p["fails"]:
        respond(r, 503, JSON, bodies.UNAVAILABLE, [("Retry-After", str(p["retry_after"]))])
    else:
        respond(r, 200, JSON, bodies.flaky_json(p["id"], attempt))


def _after_below_size(p: Params) -> None:
    if p["after"] >= p["size"]:
        raise ValueError(f"parameter after={p['after']} must be less than size={p['size']} "
                         "(the body must stay incomplete)")


_MAX_HOP = 1_000_000
_MAX_ID = 2**31 - 1


def _p(name: str, kind: type, default: Value, low: Value, high: Value) -> Param:
    return Param(name, kind, default, low, high)


_ID = _p("id", int, 0, 0, _MAX_ID)
_RETRY_AFTER = _p("retry_after", int, 2, 0, 86_400)

_ALL = [
    Scenario("ok_json", "200 application/json, a small object padded to `size`",
             (_p("size", int, 0, 0, 10_000_000),),
             lambda r, p: respond(r, 200, JSON, bodies.ok_json(p["size"])),
             body=lambda p: [bodies.ok_json(p["size"])]),
    Scenario("not_found", "404 with a short JSON body", (),
             _fixed(404, JSON, bodies.NOT_FOUND), body=lambda p: [bodies.NOT_FOUND]),
    Scenario("server_error", "500 with a short JSON body", (),
             _fixed(500, JSON, bodies.SERVER_ERROR), body=lambda p: [bodies.SERVER_ERROR]),
    Scenario("unavailable", "503 with Retry-After", (_RETRY_AFTER,),
             _unavailable, body=lambda p: [bodies.UNAVAILABLE]),
    Scenario("invalid_json", "200 application/json with broken JSON", (),
             _fixed(200, JSON, bodies.INVALID_JSON), body=lambda p: [bodies.INVALID_JSON]),
    Scenario("wrong_type", "200 text/html login page instead of JSON", (),
             _fixed(200, "text/html; charset=utf-8", bodies.LOGIN_PAGE),
             body=lambda p: [bodies.LOGIN_PAGE]),
    Scenario("slow_headers", "status line only after `delay` seconds",
             (_p("delay", float, 2.0, 0.0, 60.0),),
             _slow_headers, body=lambda p: [bodies.ok_json()]),
    Scenario("trickle", "body sent `chunk` bytes every `interval` seconds",
             (_p("size", int, 200, 1, 10_000_000), _p("chunk", int, 10, 1, 1_048_576),
              _p("interval", float, 0.05, 0.0, 10.0)),
             _trickle, body=lambda p: bodies.pattern_chunks(p["size"])),
    Scenario("big_body", "`size` bytes, with or without Content-Length (length=0/1)",
             (_p("size", int, 11_000_000, 0, 536_870_912), _p("length", bool, True, 0, 1)),
             _big_body, body=lambda p: bodies.pattern_chunks(p["size"])),
    Scenario("reset", "part of the body, then a TCP reset",
             (_p("size", int, 100_000, 1, 100_000_000), _p("after", int, 1000, 0, 99_999_999),
              _p("delay", float, 0.05, 0.0, 10.0)),
             _reset, body=lambda p: [bodies.pattern(0, p["after"])], check=_after_below_size),
    Scenario("redirect_loop", "302 to itself, forever", (_p("hop", int, 0, 0, _MAX_HOP),),
             _redirect_loop, body=lambda p: [bodies.redirect_text(_redirect_location(p))]),
    Scenario("latency", "200 JSON after `ms` milliseconds, echoing `id`",
             (_p("ms", int, 200, 0, 60_000), _ID),
             _latency, body=lambda p: [bodies.latency_json(p["id"], p["ms"])]),
    Scenario("stall", "headers and `after` bytes, then the body never comes",
             (_p("size", int, 1000, 1, 1_000_000_000), _p("after", int, 0, 0, 999_999_999),
              _p("seconds", float, 60.0, 0.0, 600.0)),
             _stall, body=lambda p: [bodies.pattern(0, p["after"])], check=_after_below_size),
    Scenario("flaky", "503 for the first `fails` requests of an `id`, then 200",
             (_p("fails", int, 2, 0, 1000), _ID, _p("retry_after", int, 0, 0, 86_400)),
             _flaky),
]

# JSON that decodes without an error into a Go struct, or nearly: the shapes a decoder
# that throws its error away (or trusts Unmarshal alone) turns into a zero or wrong value.
JSON_SHAPES: dict[str, tuple[str, bytes]] = {
    "json_null": (JSON, b"null"),
    "json_array": (JSON, b'[{"id": 7, "name": "ada"}]'),
    "json_string_id": (JSON, b'{"id": "7", "name": "ada"}'),
    "json_float_id": (JSON, b'{"id": 7.5, "name": "ada"}'),
    "json_missing_id": (JSON, b'{"name": "ada"}'),
    "json_missing_name": (JSON, b'{"id": 7}'),
    "json_empty_name": (JSON, b'{"id": 7, "name": ""}'),
    "json_trailing": (JSON, b'{"id": 7, "name": "ada"} {"id": 8, "name": "eve"}'),
    "json_charset": ("application/json; charset=utf-8",
                     '{"id": 42, "name": "Zoë ☃", "extra": [1, 2, {"deep": null}]}'.encode()),
}
_ALL += [Scenario(name, f"200 {ctype}: {body.decode()[:40]}", (),
                  _fixed(200, ctype, body), body=lambda p, b=body: [b])
         for name, (ctype, body) in JSON_SHAPES.items()]

#: Every scenario by name, in the order of the table above.
SCENARIOS: dict[str, Scenario] = {s.name: s for s in _ALL}
