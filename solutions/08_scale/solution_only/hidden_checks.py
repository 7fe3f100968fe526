"""Hidden tests of chapter 08, run only when a notebook is graded (grader/golang/grading.py
runs every ``scenarios`` cell's public and hidden tests in the grading controller).

Counts, limits, delays and lookup patterns are drawn per run, so that code tuned to the
public tests' numbers gains nothing.
"""

from __future__ import annotations

import random
from types import ModuleType

from grader.faults import FaultServer
from grader.testing import TestSuite

_rng = random.SystemRandom()


def register(suite: TestSuite, checks: ModuleType) -> None:
    """Add the hidden tests to ``suite``, using the public helpers of ``checks``."""
    timeout = checks.TIMEOUT

    @suite.test("fetch_many_concurrency", timeout=timeout)
    def hidden_rounds(fetch_many):
        """a drawn number of URLs and limit: the limit and the rounds hold"""
        count, limit = _rng.randrange(9, 25), _rng.randrange(2, 7)
        with checks.as_function(fetch_many, "fetch_many") as f, FaultServer() as server:
            urls = [server.url("latency", ms=checks.LATENCY_MS, id=_rng.randrange(10**6))
                    for _ in range(count)]
            what = f"fetch_many(<{count} URLs at {checks.LATENCY_MS} ms>, {limit})"
            server.reset_records()
            results = checks.fetched(f, urls, limit, what)
            checks.in_rounds(server, count, limit, what)
            checks.all_closed(server, what)
            for i, url in enumerate(urls):
                ident = int(url.rsplit("id=", 1)[1].split("&")[0])
                checks.body_of(results[i], FaultServer.body(
                    "latency", ms=checks.LATENCY_MS, id=ident), what, i)

    @suite.test("fetch_many_results", timeout=timeout)
    def hidden_more_urls_than_needed(fetch_many):
        """limit larger than the URLs; a reset connection; a 503"""
        with checks.as_function(fetch_many, "fetch_many") as f, FaultServer() as server:
            urls = [server.url("reset", size=5000, after=100), server.url("unavailable"),
                    server.url("latency", ms=20, id=5)]
            what = "fetch_many([reset, 503, ok], 50)"
            results = checks.fetched(f, urls, 50, what)
            checks.error_of(results[0], results[0]["status"], what, 0)
            checks.error_of(results[1], 503, what, 1)
            checks.body_of(results[2], FaultServer.body("latency", ms=20, id=5), what, 2)
            checks.all_closed(server, what)

    @suite.test("profile_cache_hits", timeout=timeout)
    def hidden_patterns(profile_cache):
        """drawn lookup patterns and sizes: the service is asked exactly what an LRU asks"""
        with checks.as_function(profile_cache, "profile_cache",
                                adapter=checks.OVER_HTTP) as f, FaultServer() as server:
            for _ in range(3):
                maxsize = _rng.randrange(2, 9)
                keys = [_rng.randrange(0, maxsize + 4) for _ in range(_rng.randrange(20, 60))]
                what = f"profile_cache(load, {maxsize}), then {len(keys)} drawn lookups"
                answers, asked = checks.run_cache(f, server, maxsize, keys, what)
                checks.answers_are_bodies(answers, keys, what)
                checks.same_loads(asked, checks.lru_loads(maxsize, keys), what)
