"""Hidden tests of chapter 06, run only when a notebook is graded (grader/golang/grading.py).

Sizes, ids and delays are drawn per run, so that a package answering from a table of the
public tests' URLs, or recognising the test server by its port, gains nothing.
"""

from __future__ import annotations

import random
from types import ModuleType

from grader.faults import FaultServer
from grader.golang.testing import go_test
from grader.testing import TestSuite

_rng = random.SystemRandom()


def register(suite: TestSuite, checks: ModuleType) -> None:
    """Add the hidden tests to ``suite``, using the public helpers of ``checks``."""
    timeout = checks.TEST_TIMEOUT
    one, fetch_data, fetch_all = checks.one, checks.fetch_data, checks.fetch_all

    @suite.test("fetch_data_errors", timeout=timeout)
    @go_test
    def hidden_sizes_around_the_limit(fetch):
        """bodies of random sizes just under, at and over a random limit"""
        with FaultServer() as server:
            limit = _rng.randrange(2_000, 300_000)
            for size in (limit - 1, limit, limit + 1, limit + _rng.randrange(2, 5000)):
                length = _rng.randrange(2)
                url = server.url("big_body", size=size, length=length)
                what = f"FetchData(ctx, <{size:,} bytes>, {limit:,})"
                call = one(fetch_data(fetch, server, url, limit=limit, what=what))
                if size <= limit:
                    checks.expect_body(call, FaultServer.body("big_body", size=size,
                                                              length=length), what)
                else:
                    checks.expect_error(call, what)

    @suite.test("fetch_data_errors", timeout=timeout)
    @go_test
    def hidden_the_articles_eleven_megabytes(fetch):
        """the article's case: 11 MB with a limit of 1e7 is an error; MaxInt64 takes it all"""
        with FaultServer() as server:
            url = server.url("big_body", size=11_000_000, length=0)
            checks.expect_error(one(fetch_data(fetch, server, url, limit=10_000_000)),
                                "FetchData(ctx, <11 MB>, 1e7)")
            want = FaultServer.body("big_body", size=11_000_000, length=0)
            checks.expect_body(one(fetch_data(fetch, server, url, limit=2**63 - 1)), want,
                               "FetchData(ctx, <11 MB>, math.MaxInt64)")

    @suite.test("fetch_data_errors", timeout=timeout)
    @go_test
    def hidden_redirect_loop(fetch):
        """a redirect loop is an error"""
        with FaultServer() as server:
            checks.expect_error(one(fetch_data(fetch, server, server.url("redirect_loop"))),
                                "FetchData(ctx, <a redirect loop>, 1 MiB)")

    @suite.test("fetch_data_faults", timeout=timeout)
    @go_test
    def hidden_cancelled_while_reading(fetch):
        """a context cancelled while the body trickles in: an error, soon"""
        with FaultServer() as server:
            cancel_ms = _rng.randrange(300, 700)
            url = server.url("trickle", size=600, chunk=10, interval=0.05)
            what = f"FetchData(<ctx cancelled after {cancel_ms} ms>, <a body of 3 s>, 1 MiB)"
            call = one(fetch_data(fetch, server, url, cancel_after_ms=cancel_ms, what=what))
            checks.expect_error(call, what)
            assert call["ms"] <= cancel_ms * checks.GRACE + 500, \
                f"{what} returned after {call['ms'] / 1000:.1f} s"

    @suite.test("fetch_all_correct", timeout=timeout)
    @go_test
    def hidden_random_ids_and_workers(fetch):
        """random ids, delays and worker counts: every body in the order of urls"""
        with FaultServer() as server:
            n, workers = _rng.randrange(5, 14), _rng.randrange(1, 6)
            params = [dict(ms=_rng.randrange(0, 120), id=_rng.randrange(10**9))
                      for _ in range(n)]
            urls = [server.url("latency", **p) for p in params]
            got = fetch_all(fetch, server, urls, workers)
            checks.expect_bodies(one(got), [FaultServer.body("latency", **p) for p in params],
                                 f"FetchAll(ctx, <{n} urls>, {workers})")
            peak = got["stats"].max_in_flight
            assert peak <= workers, \
                f"the server saw {peak} requests in flight at once with workers={workers}"

    @suite.test("fetch_all_correct", timeout=timeout)
    @go_test
    def hidden_two_failures(fetch):
        """two failing URLs: one error comes back (a channel with room for one error would
        block the second sender for ever)"""
        with FaultServer() as server:
            urls = [server.url("not_found"), server.url("server_error"),
                    *checks.latency_urls(server, 2, 50)]
            what = "FetchAll(ctx, <a 404, a 500 and 2 good urls>, 4)"
            checks.expect_error(one(fetch_all(fetch, server, urls, 4, timeout=8.0,
                                              what=what)), what)

    @suite.test("fetch_all_concurrency", timeout=timeout)
    @go_test
    def hidden_more_workers_than_urls_and_late_failure(fetch):
        """a failure after some successes, with more workers than urls, under -race"""
        with FaultServer() as server:
            urls = checks.latency_urls(server, 3, 100) + [server.url("server_error")]
            got = fetch_all(fetch, server, urls, 9, race=True,
                            what="FetchAll(ctx, <3 urls and a 500>, 9) under -race")
            checks.expect_error(one(got), "FetchAll(ctx, <3 urls and a 500>, 9)", names="500")
            leaked = got["goroutines_after"] - got["goroutines_before"]
            assert leaked <= 0, f"{leaked} goroutines were still running after the call"

    @suite.test("fetch_item_correct", timeout=timeout)
    @go_test
    def hidden_json_shapes(fetch):
        """an array, trailing data, a fractional id and a missing name are errors; a
        charset parameter and extra fields are fine"""
        with FaultServer() as server:
            for variant in ("array", "trailing", "float_id", "missing_name"):
                what = f"FetchItem(ctx, <JSON: {variant.replace('_', ' ')}>, 1 MiB)"
                call = checks.fetch_item(fetch, server, server.url(f"json_{variant}"),
                                         what)
                checks.expect_error(call, what)
            what = "FetchItem(ctx, <application/json; charset=utf-8 with extra fields>, 1 MiB)"
            call = checks.fetch_item(fetch, server, server.url("json_charset"),
                                     what)
            if call.get("error") or call.get("panic"):
                raise AssertionError(f"{what} failed: {call.get('error') or call.get('panic')}")
            assert call.get("item") == {"id": 42, "name": "Zoë ☃"}, \
                f"{what} returned {call.get('item')}"
            checks.expect_error(checks.fetch_item(fetch, server, server.url("not_found"),
                                                  "FetchItem(ctx, <404>, 1 MiB)"),
                                "FetchItem(ctx, <404>, 1 MiB)", names="404")
