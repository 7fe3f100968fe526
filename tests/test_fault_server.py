"""The fault-injecting HTTP server (grader.faults): every scenario, the records, stop().

Timing is never asserted tightly (the machine is shared and loaded): tests assert orderings,
lower bounds that sleeps guarantee, and upper bounds far below what a hang would take.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from grader.faults import CLOSE_REASONS, SCENARIOS, FaultServer, Stats
from grader.faults import scenarios as scenarios_module
from grader.faults.bodies import PERIOD

HOST = "127.0.0.1"


@pytest.fixture
def server():
    with FaultServer() as s:
        yield s


def target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fetch(server: FaultServer, path: str, *, method: str = "GET",
          timeout: float = 10) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, server.port, timeout=timeout)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def raw_exchange(port: int, data: bytes) -> bytes:
    """Send bytes as they are and read until the server closes."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def only(items: list):
    assert len(items) == 1, items
    return items[0]


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


# -- binding and URLs ------------------------------------------------------------------


def test_binds_loopback_only_and_builds_urls(server):
    assert server.base_url == f"http://127.0.0.1:{server.port}"
    assert server.url("ok_json") == server.base_url + "/ok_json"
    assert server.url("trickle", size=5, interval=0.5) == (
        server.base_url + "/trickle?size=5&interval=0.5")
    assert server.url("big_body", length=False).endswith("/big_body?length=0")
    assert server.url("latency", ms=1e3).endswith("?ms=1000")
    if sys.platform.startswith("linux"):  # all of 127/8 is local there; only .1 is bound
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.2", server.port), timeout=5).close()


def test_not_running_repr_and_restart():
    s = FaultServer()
    assert "stopped" in repr(s)
    for call in (lambda: s.url("ok_json"), lambda: s.base_url, lambda: s.dead_url()):
        with pytest.raises(RuntimeError, match="start"):
            call()
    with s:
        assert s.base_url in repr(s) and "running" in repr(s)
        assert s.start() is s  # a second start is a no-op
    s.stop()  # idempotent
    try:
        assert s.start().running and fetch(s, "/ok_json")[0] == 200  # records are kept:
        assert [r.scenario for r in s.requests()] == ["ok_json"]
    finally:
        s.stop()


def test_index_and_docstring_table_cover_every_scenario(server):
    status, _, body = fetch(server, "/")
    assert status == 200
    doc = re.sub(r"(?<=\d)_(?=\d)", "", scenarios_module.__doc__)
    for name, scenario in SCENARIOS.items():
        assert name.encode() in body
        assert f"``{name}``" in doc
        for p in scenario.params:
            assert f"{p.name}={p.to_text(p.default)}" in doc, (name, p.name)
    assert set(FaultServer.scenarios()) == set(SCENARIOS)


# -- the scenarios ---------------------------------------------------------------------


def test_ok_json(server):
    with urllib.request.urlopen(server.url("ok_json"), timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        body = resp.read()
    assert json.loads(body)["name"] == "ada" and body == FaultServer.body("ok_json")
    padded = fetch(server, target(server.url("ok_json", size=5000)))[2]
    assert len(padded) == 5000 and json.loads(padded)["id"] == 7
    assert padded == FaultServer.body("ok_json", size=5000)


@pytest.mark.parametrize(("scenario", "params", "status", "retry_after"), [
    ("not_found", {}, 404, None),
    ("server_error", {}, 500, None),
    ("unavailable", {}, 503, "2"),
    ("unavailable", {"retry_after": 30}, 503, "30"),
])
def test_error_statuses(server, scenario, params, status, retry_after):
    got, headers, body = fetch(server, target(server.url(scenario, **params)))
    assert got == status
    assert headers["Retry-After"] == retry_after
    assert "error" in json.loads(body) and body == FaultServer.body(scenario, **params)


def test_invalid_json_and_wrong_type(server):
    status, headers, body = fetch(server, "/invalid_json")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    status, headers, body = fetch(server, "/wrong_type")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert body.startswith(b"<!DOCTYPE html>") and body == FaultServer.body("wrong_type")


def test_slow_headers_fires_client_timeout_and_server_sees_it_leave(server):
    mark = server.mark()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib.request.urlopen(server.url("slow_headers", delay=1.0), timeout=0.2)
    assert server.wait_closed(10, since=mark) == 0
    req = only(server.requests(since=mark))
    assert (req.scenario, req.status, req.complete) == ("slow_headers", None, False)
    assert "client closed" in req.error
    assert only(server.connections(since=mark)).closed_by == "client"
    # given time, the same scenario answers
    status, _, body = fetch(server, "/slow_headers?delay=0.05")
    assert status == 200 and body == FaultServer.body("slow_headers")


def test_slow_headers_does_not_block_other_connections(server):
    mark = server.mark()
    slow = socket.create_connection((HOST, server.port), timeout=10)
    slow.sendall(b"GET /slow_headers?delay=30 HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_until(lambda: server.in_flight == 1)
    assert fetch(server, "/ok_json")[0] == 200
    slow.setblocking(False)
    with pytest.raises(BlockingIOError):
        slow.recv(1)  # still nothing for the slow one
    slow.close()
    assert server.wait_finished(10, since=mark) == 0
    by_scenario = {r.scenario: r for r in server.requests(since=mark)}
    slow_req, ok_req = by_scenario["slow_headers"], by_scenario["ok_json"]
    assert ok_req.complete and not slow_req.complete
    assert ok_req.finished < slow_req.finished


def test_trickle_sends_the_body_slowly(server):
    mark = server.mark()
    params = {"size": 50, "chunk": 10, "interval": 0.05}
    status, headers, body = fetch(server, target(server.url("trickle", **params)))
    assert (status, headers["Content-Length"]) == (200, "50")
    assert body == FaultServer.body("trickle", **params)
    assert server.wait_finished(10, since=mark) == 0
    req = only(server.requests(since=mark))
    assert req.complete and req.body_bytes == 50
    assert req.finished - req.started >= 4 * 0.05 * 0.99  # four pauses between five chunks


@pytest.mark.parametrize("length", [True, False])
def test_big_body_with_and_without_content_length(server, length):
    mark = server.mark()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    conn.request("GET", target(server.url("big_body", length=length)))
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    expected = FaultServer.body("big_body", length=length)
    assert len(expected) == 11_000_000 and data == expected
    assert hashlib.sha256(data).hexdigest() == FaultServer.body_sha256("big_body")
    assert resp.headers["Content-Length"] == ("11000000" if length else None)
    assert server.wait_closed(10, since=mark) == 0
    req = only(server.requests(since=mark))
    assert req.complete and req.body_bytes == 11_000_000
    assert only(server.connections(since=mark)).closed_by == ("client" if length else "server")


def test_body_pattern_does_not_repeat_with_common_buffer_sizes():
    data = FaultServer.body("big_body", size=3 * PERIOD)
    assert data[:PERIOD] == data[PERIOD:2 * PERIOD]
    for shift in (1, 4096, 8192, 32768, 65536):
        assert data[:4096] != data[shift:shift + 4096]


def test_reset_gives_the_client_an_error(server):
    mark = server.mark()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
    conn.request("GET", "/reset?size=100000&after=1000")
    resp = conn.getresponse()
    assert (resp.status, resp.headers["Content-Length"]) == (200, "100000")
    with pytest.raises((ConnectionResetError, http.client.IncompleteRead)):
        resp.read()
    conn.close()
    assert server.wait_closed(10, since=mark) == 0
    assert only(server.connections(since=mark)).closed_by == "server_reset"
    req = only(server.requests(since=mark))
    assert (req.complete, req.body_bytes) == (False, 1000)
    assert FaultServer.body("reset") == FaultServer.body("big_body", size=1000)


def test_redirect_loop(server):
    status, headers, _ = fetch(server, "/redirect_loop?hop=41")
    assert (status, headers["Location"]) == (302, "/redirect_loop?hop=42")
    mark = server.mark()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server.url("redirect_loop"), timeout=10)
    err.value.close()
    assert err.value.code == 302
    assert server.wait_finished(10, since=mark) == 0
    hops = [r.params["hop"] for r in server.requests(since=mark)]
    assert len(hops) >= 5 and hops == list(range(len(hops)))


def test_latency_counts_requests_in_flight_at_once(server):
    conns = [http.client.HTTPConnection(HOST, server.port, timeout=30) for _ in range(4)]
    for conn in conns:
        conn.connect()
    mark = server.mark()
    for i, conn in enumerate(conns):  # all sent before any is read
        conn.request("GET", target(server.url("latency", ms=800, id=i)))
    replies = [json.loads(conn.getresponse().read()) for conn in conns]
    assert [r["id"] for r in replies] == [0, 1, 2, 3]
    assert replies[0] == json.loads(FaultServer.body("latency", ms=800, id=0))
    assert server.wait_finished(10, since=mark) == 0
    stats = server.stats(since=mark)
    assert (stats.max_in_flight, stats.requests_complete) == (4, 4)
    reqs = server.requests(since=mark)
    assert max(r.started for r in reqs) < min(r.finished for r in reqs)
    assert all(r.finished - r.started >= 0.8 * 0.99 for r in reqs)
    one = server.mark()  # a new window starts from what is in flight now
    conns[0].request("GET", "/latency?ms=0")
    conns[0].getresponse().read()
    assert server.wait_finished(10, since=one) == 0
    assert server.stats(since=one).max_in_flight == 1 and server.max_in_flight == 4
    for conn in conns:
        conn.close()


def test_requests_one_after_another_are_never_counted_in_flight_together(server):
    mark = server.mark()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
    for i in range(20):  # back to back on one connection, then each on a new one
        conn.request("HEAD" if i % 5 == 4 else "GET", f"/latency?ms=0&id={i}")
        conn.getresponse().read()
        assert fetch(server, "/not_found" if i % 2 else "/ok_json")[2]
    conn.close()
    assert server.wait_finished(10, since=mark) == 0
    stats = server.stats(since=mark)
    assert (stats.requests, stats.requests_complete, stats.max_in_flight) == (40, 40, 1)


def read_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length, as raw bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head = data.split(b"\r\n\r\n", 1)[0]
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(data) < len(head) + 4 + length:
        data += sock.recv(65536)
    return data


def test_records_are_exact_as_soon_as_the_client_has_its_response(server):
    request = b"GET /latency?ms=0&id=%d HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection((HOST, server.port), timeout=10) as sock:
        sent = received = 0
        for i in range(10):
            mark = server.mark()
            sock.sendall(request % i)
            sent += len(request % i)
            received += len(read_response(sock))
            assert server.wait_finished(10, since=mark) == 0
            stats = server.stats()
            assert (stats.bytes_sent, stats.bytes_received) == (received, sent)
    assert server.wait_closed(10) == 0
    conn = only(server.connections())
    assert (conn.bytes_sent, conn.bytes_received, conn.requests) == (received, sent, 10)


def test_stall_until_client_gives_up_or_time_runs_out(server):
    mark = server.mark()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=0.3)
    conn.request("GET", "/stall?size=1000&after=10")
    resp = conn.getresponse()
    assert resp.status == 200
    with pytest.raises(TimeoutError):
        resp.read()
    conn.close()
    assert server.wait_closed(10, since=mark) == 0
    req = only(server.requests(since=mark))
    assert not req.complete and req.body_bytes == 10 and "client" in req.error
    mark = server.mark()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
    conn.request("GET", "/stall?size=1000&after=5&seconds=0.1")
    with pytest.raises(http.client.IncompleteRead) as err:
        conn.getresponse().read()
    conn.close()
    assert err.value.partial == FaultServer.body("stall", size=1000, after=5)
    assert server.wait_closed(10, since=mark) == 0
    assert only(server.connections(since=mark)).closed_by == "server"
    assert "cut short" in only(server.requests(since=mark)).error


def test_flaky_fails_then_succeeds_per_id(server):
    got = [fetch(server, "/flaky?fails=2&id=9&retry_after=1") for _ in range(3)]
    assert [g[0] for g in got] == [503, 503, 200]
    assert got[0][1]["Retry-After"] == "1" and json.loads(got[2][2])["attempt"] == 3
    assert fetch(server, "/flaky?id=10")[0] == 503  # each id counts on its own
    server.reset_records()
    assert fetch(server, "/flaky?fails=2&id=9")[0] == 503
    with pytest.raises(ValueError, match="no fixed body"):
        FaultServer.body("flaky")


def test_dead_url_is_refused(server):
    url = server.dead_url()
    port = urlsplit(url).port
    assert url.startswith("http://127.0.0.1:") and port != server.port
    assert server.dead_url("latency", ms=5).endswith("/latency?ms=5")
    for _ in range(2):
        with pytest.raises(urllib.error.URLError) as err:
            urllib.request.urlopen(url, timeout=5)
        assert isinstance(err.value.reason, ConnectionRefusedError)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((HOST, port), timeout=5)


# -- what the server records ---------------------------------------------------------


def test_keep_alive_reuse_is_one_connection_with_two_requests(server):
    mark = server.mark()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
    for path in ("/ok_json", "/latency?ms=0&id=3"):
        conn.request("GET", path, headers={"X-Lesson": "reuse"})
        assert conn.getresponse().read()
    assert server.wait_finished(10, since=mark) == 0
    stats = server.stats(since=mark)
    assert isinstance(stats, Stats)
    assert (stats.requests, stats.connections_opened, stats.still_open) == (2, 1, 1)
    assert stats.by_scenario == {"ok_json": 1, "latency": 1}
    assert stats.bytes_sent > 0 and stats.bytes_received > 0
    record = only(server.connections(since=mark))
    assert record.requests == 2 and record.is_open
    first, second = server.requests(since=mark)
    assert first.connection_id == second.connection_id == record.id
    assert second.params == {"ms": 0, "id": 3} and second.headers["x-lesson"] == "reuse"
    conn.close()
    assert server.wait_closed(10, since=mark) == 0
    assert only(server.connections(since=mark)).closed_by == "client"


def test_connection_left_open_is_counted_and_a_closed_one_is_not(server):
    leaky_mark = server.mark()
    leaky = http.client.HTTPConnection(HOST, server.port, timeout=10)
    leaky.request("GET", "/ok_json")
    leaky.getresponse().read()  # ... and never closed
    tidy_mark = server.mark()
    tidy = http.client.HTTPConnection(HOST, server.port, timeout=10)
    tidy.request("GET", "/ok_json")
    tidy.getresponse().read()
    tidy.close()
    assert server.wait_closed(10, since=tidy_mark) == 0
    assert server.wait_closed(0.2, since=leaky_mark) == 1
    stats = server.stats(since=leaky_mark)
    assert (stats.connections_opened, stats.connections_closed, stats.still_open) == (2, 1, 1)
    assert server.open_connections == 1
    leaky.close()
    assert server.wait_closed(10, since=leaky_mark) == 0
    assert {c.closed_by for c in server.connections()} == {"client"}
    assert "client" in CLOSE_REASONS


def test_request_bodies_and_head_keep_the_connection_in_step(server):
    mark = server.mark()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
    conn.request("POST", "/ok_json", body=b"x" * 5000)
    assert conn.getresponse().read() == FaultServer.body("ok_json")
    conn.request("POST", "/latency?ms=0&id=5", body=iter([b"abc", b"defg"]), encode_chunked=True)
    assert json.loads(conn.getresponse().read())["id"] == 5
    conn.request("HEAD", "/big_body?size=1000")
    resp = conn.getresponse()
    assert resp.read() == b"" and resp.headers["Content-Length"] == "1000"
    conn.request("GET", "/ok_json")
    assert conn.getresponse().status == 200
    conn.close()
    assert server.wait_closed(10, since=mark) == 0
    assert only(server.connections(since=mark)).requests == 4
    reqs = server.requests(since=mark)
    assert [r.body_received for r in reqs] == [5000, 7, 0, 0]
    assert [r.method for r in reqs] == ["POST", "POST", "HEAD", "GET"]
    assert all(r.complete for r in reqs)


def test_marks_and_reset_records(server):
    mark = server.mark()
    fetch(server, "/ok_json")
    assert server.wait_finished(10, since=mark) == 0
    assert server.stats(since=mark).requests == 1 == server.stats().requests
    server.reset_records()
    assert server.stats().requests == 0 and server.requests() == []
    with pytest.raises(ValueError, match="reset_records"):
        server.stats(since=mark)
    with FaultServer() as other, pytest.raises(ValueError, match="another server"):
        server.stats(since=other.mark())


def test_timeouts_close_idle_and_stuck_connections():
    with FaultServer(idle_timeout=0.2, io_timeout=0.3) as server:
        mark = server.mark()
        idle = http.client.HTTPConnection(HOST, server.port, timeout=10)
        idle.request("GET", "/ok_json")
        idle.getresponse().read()
        stuck = http.client.HTTPConnection(HOST, server.port, timeout=10)
        stuck.request("GET", "/big_body?size=200000000")
        stuck.getresponse()  # headers only; the body is never read
        assert server.wait_closed(20, since=mark) == 0
        first, second = server.connections(since=mark)
        assert (first.closed_by, second.closed_by) == ("timeout", "timeout")
        big = server.requests(since=mark)[1]
        assert not big.complete and 0 < big.body_bytes < 200_000_000
        idle.close()
        stuck.close()


def test_max_connections_refuses_extra_connections():
    with FaultServer(max_connections=2) as server:
        held = [socket.create_connection((HOST, server.port), timeout=10) for _ in range(2)]
        wait_until(lambda: server.open_connections == 2)
        with socket.create_connection((HOST, server.port), timeout=10) as extra:
            assert extra.recv(1) == b""
        assert [c.closed_by for c in server.connections()] == [None, None, "limit"]
        for sock in held:
            sock.close()


def test_stop_with_clients_connected_returns_promptly():
    server = FaultServer(idle_timeout=60, io_timeout=60).start()
    port = server.port
    idle = socket.create_connection((HOST, port), timeout=10)
    slow = socket.create_connection((HOST, port), timeout=10)
    slow.sendall(b"GET /slow_headers?delay=60 HTTP/1.1\r\nHost: x\r\n\r\n")
    hog = socket.create_connection((HOST, port), timeout=10)
    hog.sendall(b"GET /big_body?size=500000000 HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_until(lambda: server.in_flight == 2 and server.open_connections == 3)
    sent = [-1]

    def hog_blocked() -> bool:  # its bytes_sent no longer grows: the write is blocked
        now = max(c.bytes_sent for c in server.connections())
        done, sent[0] = now == sent[0] and now > 0, now
        time.sleep(0.1)
        return done

    wait_until(hog_blocked)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5  # the timeouts are 60 s: only closing ended them
    server.stop()
    assert not server.running and server.in_flight == 0 and server.open_connections == 0
    assert [c.closed_by for c in server.connections()] == ["stop"] * 3
    assert not any(r.complete for r in server.requests())
    for sock in (idle, slow, hog):
        try:
            while sock.recv(1 << 20):
                pass  # the hog's buffered body, then EOF
        except ConnectionResetError:
            pass
        sock.close()
    with FaultServer(port=port) as again:  # the port was released
        assert fetch(again, "/ok_json")[0] == 200


def test_threads_are_daemons_and_end_with_stop():
    before = set(threading.enumerate())
    with FaultServer() as server:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
        conn.request("GET", "/ok_json")
        conn.getresponse().read()
        ours = [t for t in threading.enumerate() if t not in before]
        assert ours and all(t.daemon for t in ours)
    assert not any(t.is_alive() for t in ours)
    conn.close()


# -- bad input -------------------------------------------------------------------------


def test_unknown_scenario(server):
    with pytest.raises(ValueError, match="unknown scenario 'nope'.*ok_json.*latency"):
        server.url("nope")
    with pytest.raises(ValueError, match="known scenarios"):
        FaultServer.body("nope")
    mark = server.mark()
    status, _, body = fetch(server, "/nope")
    assert status == 404 and b"ok_json" in body and b"latency" in body
    assert server.wait_finished(10, since=mark) == 0
    req = only(server.requests(since=mark))
    assert (req.scenario, req.status, req.complete) == (None, 404, True)


@pytest.mark.parametrize(("scenario", "params", "named"), [
    ("big_body", {"size": -1}, "size"),
    ("big_body", {"size": 10**12}, "size"),
    ("big_body", {"length": 2}, "length"),
    ("ok_json", {"bogus": 1}, "bogus"),
    ("slow_headers", {"delay": "soon"}, "delay"),
    ("slow_headers", {"delay": float("nan")}, "delay"),
    ("latency", {"ms": 1.5}, "ms"),
    ("latency", {"id": True}, "id"),
    ("reset", {"size": 10, "after": 10}, "after"),
])
def test_bad_parameters_raise_value_error(server, scenario, params, named):
    for call in (server.url, FaultServer.body):
        with pytest.raises(ValueError, match=named) as err:
            call(scenario, **params)
        assert scenario in str(err.value)


@pytest.mark.parametrize(("path", "named"), [
    ("/big_body?size=abc", b"size"),
    ("/latency?ms=1&ms=2", b"more than once"),
    ("/ok_json?x=1", b"'x'"),
    ("/trickle?interval=1e9", b"interval"),
])
def test_bad_parameters_get_400_from_the_server(server, path, named):
    status, _, body = fetch(server, path)
    assert status == 400 and named in body


@pytest.mark.parametrize("kwargs", [
    {"port": 70000}, {"port": "80"}, {"io_timeout": 0}, {"idle_timeout": float("inf")},
    {"max_connections": 0}, {"stop_timeout": -1},
])
def test_bad_server_options(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        FaultServer(**kwargs)


def test_malformed_requests_do_not_crash_or_print(server, capfd):
    junk = [
        b"GARBAGE\r\n\r\n",
        b"\x00\xff\xfe binary\r\n\r\n",
        b"GET /ok_json HTTP/9.9\r\n\r\n",
        b"GET /ok_json HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"BREW /ok_json HTTP/1.1\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n",
        b"POST /ok_json HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]
    for data in junk:
        reply = raw_exchange(server.port, data)
        assert re.match(rb"HTTP/1\.[01] [45]\d\d ", reply), (data[:40], reply[:80])
    assert fetch(server, "/ok_json")[0] == 200
    assert server.wait_finished(10) == 0 and server.log
    assert capfd.readouterr().err == ""
