"""Public tests of the Go errors assignment.

``check("fetch_data")`` runs them in your notebook against the package you built with
``fetch = build_go("fetch")``. Each test starts a local server that injects one fault
(grader/faults: an error status, a body over the limit, headers that never come, a
connection reset...) and runs your function through the course's harness in a fresh
process, one process per request, so a panic, a hang or a deadlock costs only that test.
What the server saw (connections your code left open, requests in flight at once) is part
of the verdict. When your notebook is graded, the same tests run outside your kernel, on the
files you hand in, followed by hidden ones.
"""

from __future__ import annotations

import hashlib
from typing import Any

from grader.faults import FaultServer
from grader.golang.testing import answer, go_test
from grader.testing import TestSuite

suite = TestSuite()
TEST_TIMEOUT = 120.0  # seconds per test: several fresh processes, some slow on purpose
LIMIT = 1 << 20  # bytes: what the tests allow unless a test is about the limit
GRACE = 2.0  # a deadline is honoured when the call returns within GRACE x the deadline


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_data(pkg: Any, server: FaultServer, url: str, *, limit: int = LIMIT,
               timeout_ms: int = 0, repeat: int = 1, what: str = "",
               **run: Any) -> dict[str, Any]:
    """Call FetchData through the harness; the answer, with ``still_open``: connections
    opened during the call that the server still saw open after it returned."""
    mark = server.mark()
    result = pkg.request("FetchData", url=url, limit=limit, timeout_ms=timeout_ms,
                         repeat=repeat, timeout=20.0 + repeat * 0.5 + timeout_ms / 500,
                         inspect=lambda _resp: server.wait_closed(1.0, since=mark), **run)
    got = answer(result, what or f"FetchData(ctx, {short_url(url)}, {limit})")
    got["still_open"] = result.inspected
    got["stats"] = server.stats(since=mark)
    return got


def short_url(url: str) -> str:
    return "http://…/" + url.split("/", 3)[-1] if url.startswith("http://") else url


def one(got: dict[str, Any]) -> dict[str, Any]:
    return got["calls"][0]


def expect_body(call: dict[str, Any], want: bytes, what: str) -> None:
    if call.get("panic"):
        raise AssertionError(f"{what} panicked: {call['panic']}")
    if call.get("error"):
        raise AssertionError(f"{what} returned the error {call['error']!r}; expected the "
                             f"{len(want):,}-byte body")
    body = call.get("body") or {"len": 0, "sha256": sha(b""), "head": ""}
    if body["sha256"] != sha(want):
        raise AssertionError(f"{what} returned {body['len']:,} bytes starting "
                             f"{body['head'][:40]!r}; expected the server's {len(want):,} bytes")


def returned(call: dict[str, Any]) -> str:
    """What a call gave back, in a few words."""
    if call.get("op") == "FetchItem":
        item = call.get("item") or {}
        return f"Item{{ID: {item.get('id', 0)}, Name: {item.get('name', '')!r}}}"
    if call.get("op") == "FetchAll":
        return f"{len(call.get('bodies') or [])} bodies"
    body = call.get("body") or {"len": 0}
    return f"{body['len']:,} bytes"


def expect_error(call: dict[str, Any], what: str, *, names: str = "",
                 why: str = "") -> str:
    if call.get("panic"):
        raise AssertionError(f"{what} panicked: {call['panic']}; expected an error")
    error = call.get("error") or ""
    if not error:
        raise AssertionError(f"{what} returned {returned(call)} and no error; expected an "
                             f"error{': ' + why if why else ''}")
    if names and names not in error:
        raise AssertionError(f"{what} returned the error {error!r}, which does not say "
                             f"{names!r}")
    return error


# --- fetch_data: errors -------------------------------------------------------------------


@suite.test("fetch_data_errors", timeout=TEST_TIMEOUT)
@go_test
def returns_the_body(fetch):
    """a 200 response gives its body, byte for byte"""
    with FaultServer() as server:
        call = one(fetch_data(fetch, server, server.url("ok_json")))
        expect_body(call, FaultServer.body("ok_json"), "FetchData(ctx, <ok_json>, 1 MiB)")


@suite.test("fetch_data_errors", timeout=TEST_TIMEOUT)
@go_test
def error_statuses_are_errors(fetch):
    """404, 500 and 503 are errors whose message names the status code"""
    with FaultServer() as server:
        for scenario, code in (("not_found", "404"), ("server_error", "500"),
                               ("unavailable", "503")):
            call = one(fetch_data(fetch, server, server.url(scenario)))
            expect_error(call, f"FetchData(ctx, <a {code} response>, 1 MiB)", names=code,
                         why=f"a {code} page is not the data")


@suite.test("fetch_data_errors", timeout=TEST_TIMEOUT)
@go_test
def nothing_listening_is_an_error(fetch):
    """a URL where nothing listens is an error, not a panic"""
    with FaultServer() as server:
        call = one(fetch_data(fetch, server, server.dead_url()))
        expect_error(call, "FetchData(ctx, <nothing listening>, 1 MiB)")


@suite.test("fetch_data_errors", timeout=TEST_TIMEOUT)
@go_test
def a_body_over_the_limit_is_an_error(fetch):
    """a body one byte over the limit is an error, with or without Content-Length"""
    with FaultServer() as server:
        for length in (1, 0):
            url = server.url("big_body", size=1001, length=length)
            sent = 'sent' if length else 'not sent'
            what = f"FetchData(ctx, <1,001 bytes, Content-Length {sent}>, 1000)"
            call = one(fetch_data(fetch, server, url, limit=1000))
            expect_error(call, what, why="returning the first 1,000 bytes as if they were "
                         "the whole body is the article's silent truncation")


@suite.test("fetch_data_errors", timeout=TEST_TIMEOUT)
@go_test
def a_body_at_the_limit_is_fine(fetch):
    """a body of exactly the limit is returned whole"""
    with FaultServer() as server:
        for length in (1, 0):
            url = server.url("big_body", size=1000, length=length)
            call = one(fetch_data(fetch, server, url, limit=1000))
            expect_body(call, FaultServer.body("big_body", size=1000, length=length),
                        "FetchData(ctx, <1,000 bytes>, 1000)")


@suite.test("fetch_data_errors", timeout=TEST_TIMEOUT)
@go_test
def a_negative_limit_is_an_error(fetch):
    """a negative limit is an error"""
    with FaultServer() as server:
        call = one(fetch_data(fetch, server, server.url("ok_json"), limit=-1))
        expect_error(call, "FetchData(ctx, <ok_json>, -1)")


# --- fetch_data: faults -------------------------------------------------------------------


@suite.test("fetch_data_faults", timeout=TEST_TIMEOUT)
@go_test
def headers_that_never_come_respect_the_deadline(fetch):
    """headers slower than the context's deadline: an error within 2x the deadline"""
    with FaultServer() as server:
        call = one(fetch_data(fetch, server, server.url("slow_headers", delay=3.0),
                              timeout_ms=1000))
        what = "FetchData(<ctx with a 1 s deadline>, <headers after 3 s>, 1 MiB)"
        expect_error(call, what)
        assert call["ms"] <= 1000 * GRACE, \
            f"{what} returned after {call['ms'] / 1000:.1f} s; the deadline was 1 s"


@suite.test("fetch_data_faults", timeout=TEST_TIMEOUT)
@go_test
def a_trickling_body_respects_the_deadline(fetch):
    """a body that trickles past the deadline: an error within 2x the deadline"""
    with FaultServer() as server:
        url = server.url("trickle", size=600, chunk=10, interval=0.05)
        call = one(fetch_data(fetch, server, url, timeout_ms=1000))
        what = "FetchData(<ctx with a 1 s deadline>, <a body of 3 s>, 1 MiB)"
        expect_error(call, what, why="the deadline passed while the body was arriving")
        assert call["ms"] <= 1000 * GRACE, \
            f"{what} returned after {call['ms'] / 1000:.1f} s; the deadline was 1 s"


@suite.test("fetch_data_faults", timeout=TEST_TIMEOUT)
@go_test
def a_reset_mid_body_is_an_error(fetch):
    """a connection reset in the middle of the body is an error, not half a body"""
    with FaultServer() as server:
        call = one(fetch_data(fetch, server, server.url("reset", size=50_000, after=5000)))
        expect_error(call, "FetchData(ctx, <reset after 5,000 of 50,000 bytes>, 1 MiB)")


@suite.test("fetch_data_faults", timeout=TEST_TIMEOUT)
@go_test
def error_responses_leave_no_connection_open(fetch):
    """50 calls answered with 500 leave no connection open and no goroutine running"""
    with FaultServer() as server:
        got = fetch_data(fetch, server, server.url("server_error"), repeat=50,
                         what="FetchData(ctx, <a 500 response>, 1 MiB), 50 times")
        for call in got["calls"]:
            expect_error(call, "FetchData(ctx, <a 500 response>, 1 MiB)")
        assert got["still_open"] == 0, (
            f"after 50 calls answered with 500, {got['still_open']} connections were still "
            "open: close the response body on every path (defer its Close right after the "
            "error check of Do)")
        assert got["goroutines_after"] <= got["goroutines_before"], (
            f"{got['goroutines_after'] - got['goroutines_before']} goroutines were still "
            "running after the calls returned")


@suite.test("fetch_data_faults", timeout=TEST_TIMEOUT)
@go_test
def bodies_over_the_limit_leave_no_connection_open(fetch):
    """20 calls refused for a body over the limit leave no connection open"""
    with FaultServer() as server:
        url = server.url("big_body", size=200_000, length=0)
        got = fetch_data(fetch, server, url, limit=1000, repeat=20,
                         what="FetchData(ctx, <200,000 bytes>, 1000), 20 times")
        for call in got["calls"]:
            expect_error(call, "FetchData(ctx, <200,000 bytes>, 1000)")
        assert got["still_open"] == 0, (
            f"after 20 calls refused for their size, {got['still_open']} connections were "
            "still open: the body must be closed on that path too")


# --- fetch_all ----------------------------------------------------------------------------


def fetch_all(pkg: Any, server: FaultServer, urls: list[str], workers: int, *,
              limit: int = LIMIT, what: str = "", timeout: float = 60.0,
              **run: Any) -> dict[str, Any]:
    """Call FetchAll through the harness (``timeout``: seconds before its process is
    killed); the answer, with ``still_open`` and the server's ``stats`` as fetch_data's."""
    mark = server.mark()
    result = pkg.request("FetchAll", urls=urls, workers=workers, limit=limit,
                         timeout=timeout,
                         inspect=lambda _resp: server.wait_closed(1.0, since=mark), **run)
    got = answer(result, what or f"FetchAll(ctx, <{len(urls)} urls>, {workers})")
    got["still_open"] = result.inspected
    got["stats"] = server.stats(since=mark)
    return got


def latency_urls(server: FaultServer, n: int, ms: int) -> list[str]:
    return [server.url("latency", ms=ms, id=i) for i in range(n)]


def expect_bodies(call: dict[str, Any], wants: list[bytes], what: str) -> None:
    if call.get("panic"):
        raise AssertionError(f"{what} panicked: {call['panic']}")
    if call.get("error"):
        raise AssertionError(f"{what} returned the error {call['error']!r}")
    bodies = call.get("bodies") or []
    if len(bodies) != len(wants):
        raise AssertionError(f"{what} returned {len(bodies)} bodies; expected {len(wants)}")
    for i, (body, want) in enumerate(zip(bodies, wants, strict=True)):
        if body is None or body["sha256"] != sha(want):
            head = body["head"][:40] if body else None
            raise AssertionError(f"{what}: body {i} is {head!r}…, expected the body of "
                                 f"urls[{i}]: results must be in the order of urls")


@suite.test("fetch_all_correct", timeout=TEST_TIMEOUT)
@go_test
def bodies_come_back_in_input_order(fetch):
    """8 URLs (the first ones slowest) with 3 workers: every body, in the order of urls"""
    with FaultServer() as server:
        urls = [server.url("latency", ms=400 - 50 * i, id=i) for i in range(8)]
        got = fetch_all(fetch, server, urls, 3)
        wants = [FaultServer.body("latency", ms=400 - 50 * i, id=i) for i in range(8)]
        expect_bodies(one(got), wants, "FetchAll(ctx, <8 urls>, 3)")


@suite.test("fetch_all_correct", timeout=TEST_TIMEOUT)
@go_test
def no_urls_and_bad_workers(fetch):
    """no URLs give no bodies and no error; workers < 1 is an error"""
    with FaultServer() as server:
        call = one(fetch_all(fetch, server, [], 2))
        expect_bodies(call, [], "FetchAll(ctx, [], 2)")
        call = one(fetch_all(fetch, server, [server.url("ok_json")], 0))
        expect_error(call, "FetchAll(ctx, <1 url>, 0)")


@suite.test("fetch_all_correct", timeout=TEST_TIMEOUT)
@go_test
def a_failing_url_is_an_error(fetch):
    """one URL answering 404 makes the call an error that names the status"""
    with FaultServer() as server:
        urls = latency_urls(server, 3, 50) + [server.url("not_found")]
        call = one(fetch_all(fetch, server, urls, 2))
        expect_error(call, "FetchAll(ctx, <3 good urls and a 404>, 2)", names="404")


@suite.test("fetch_all_concurrency", timeout=TEST_TIMEOUT)
@go_test
def at_most_workers_requests_at_once(fetch):
    """12 URLs of 300 ms with 4 workers: never more than 4 in flight, and more than 1"""
    with FaultServer() as server:
        got = fetch_all(fetch, server, latency_urls(server, 12, 300), 4)
        call = one(got)
        expect_bodies(call, [FaultServer.body("latency", ms=300, id=i) for i in range(12)],
                      "FetchAll(ctx, <12 urls>, 4)")
        peak = got["stats"].max_in_flight
        assert peak <= 4, f"the server saw {peak} requests in flight at once with workers=4"
        assert peak >= 2, "the server never saw two requests at once: the calls ran one by one"


@suite.test("fetch_all_concurrency", timeout=TEST_TIMEOUT)
@go_test
def the_first_error_stops_the_rest(fetch):
    """a 404 among slow URLs: the call returns early, nothing keeps running after it"""
    with FaultServer() as server:
        urls = [server.url("not_found")] + latency_urls(server, 6, 2000)
        got = fetch_all(fetch, server, urls, 3)
        what = "FetchAll(ctx, <a 404 and 6 urls of 2 s>, 3)"
        call = one(got)
        expect_error(call, what, names="404")
        assert call["ms"] < 1500, (
            f"{what} returned after {call['ms'] / 1000:.1f} s: the first error must cancel "
            "the requests still running")
        started = got["stats"].requests
        assert started <= 3, (
            f"{started} requests reached the server; with 3 workers no request may start "
            "after the first error")
        leaked = got["goroutines_after"] - got["goroutines_before"]
        assert leaked <= 0, f"{leaked} goroutines were still running after {what} returned"
        assert got["still_open"] == 0, \
            f"{got['still_open']} connections were still open after {what} returned"


@suite.test("fetch_all_concurrency", timeout=TEST_TIMEOUT)
@go_test
def same_answers_with_one_two_and_eight_threads(fetch):
    """GOMAXPROCS 1, 2 and 8, and the race detector: same bodies, no data race"""
    with FaultServer() as server:
        urls = [server.url("latency", ms=20 * (i % 4), id=i) for i in range(10)]
        wants = [FaultServer.body("latency", ms=20 * (i % 4), id=i) for i in range(10)]
        for procs in (1, 2, 8):
            got = fetch_all(fetch, server, urls, 3, gomaxprocs=procs)
            expect_bodies(one(got), wants, f"FetchAll(ctx, <10 urls>, 3) with GOMAXPROCS={procs}")
        got = fetch_all(fetch, server, urls, 3, race=True,
                        what="FetchAll(ctx, <10 urls>, 3) under the race detector")
        expect_bodies(one(got), wants, "FetchAll(ctx, <10 urls>, 3) under the race detector")


# --- fetch_item ---------------------------------------------------------------------------


def fetch_item(pkg: Any, server: FaultServer, url: str, what: str) -> dict[str, Any]:
    result = pkg.request("FetchItem", url=url, limit=LIMIT, timeout_ms=10_000, timeout=30.0)
    return one(answer(result, what))


@suite.test("fetch_item_correct", timeout=TEST_TIMEOUT)
@go_test
def decodes_an_item(fetch):
    """a JSON object with id and name gives that Item (other fields ignored)"""
    with FaultServer() as server:
        what = "FetchItem(ctx, <ok_json>, 1 MiB)"
        call = fetch_item(fetch, server, server.url("ok_json"), what)
        if call.get("error") or call.get("panic"):
            raise AssertionError(f"{what} failed: {call.get('error') or call.get('panic')}")
        assert call.get("item") == {"id": 7, "name": "ada"}, \
            f"{what} returned {call.get('item')}; expected Item{{ID: 7, Name: \"ada\"}}"


@suite.test("fetch_item_correct", timeout=TEST_TIMEOUT)
@go_test
def bad_json_is_an_error_not_a_zero_item(fetch):
    """invalid JSON, JSON null and an HTML page are errors, never a zero Item"""
    with FaultServer() as server:
        for url, what in ((server.url("invalid_json"), "<broken JSON>"),
                          (server.url("json_null"), "<the JSON null>"),
                          (server.url("wrong_type"), "<an HTML page>")):
            call = fetch_item(fetch, server, url, f"FetchItem(ctx, {what}, 1 MiB)")
            expect_error(call, f"FetchItem(ctx, {what}, 1 MiB)",
                         why="a zero Item{} looks like real data to the caller")


@suite.test("fetch_item_correct", timeout=TEST_TIMEOUT)
@go_test
def fields_are_checked(fetch):
    """a missing id, an id that is a string, and an empty name are errors"""
    with FaultServer() as server:
        for variant in ("missing_id", "string_id", "empty_name"):
            what = f"FetchItem(ctx, <JSON with {variant.replace('_', ' ')}>, 1 MiB)"
            call = fetch_item(fetch, server, server.url(f"json_{variant}"), what)
            expect_error(call, what)
