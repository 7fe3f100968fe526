"""Hidden tests of chapter 02, run only when a notebook is graded (grader/golang/grading.py
runs every ``scenarios`` cell's public and hidden tests in the grading controller).

Ids, sizes and delays are drawn per run, so that an answer table keyed on the public tests'
inputs gains nothing.
"""

from __future__ import annotations

import json
import random
from types import ModuleType

from grader.faults import FaultServer
from grader.testing import TestSuite

_rng = random.SystemRandom()


def register(suite: TestSuite, checks: ModuleType) -> None:
    """Add the hidden tests to ``suite``, using the public helpers of ``checks``."""
    timeout = checks.TEST_TIMEOUT
    outcome, expect_value, expect_error = checks.outcome, checks.expect_value, checks.expect_error

    @suite.test("fetch_user_fixed", timeout=timeout)
    def hidden_fetch_user(fetch_user):
        """other statuses and bodies: 503, an HTML page, JSON null, a slow but timely server"""
        with checks.python_function(fetch_user, "fetch_user") as f, FaultServer() as server:
            what = "fetch_user(<503>, 5.0)"
            expect_error(outcome(f, server.url("unavailable"), 5.0, what=what), ("HTTPError",),
                         what, says="503")
            for scenario in ("wrong_type", "json_null"):
                what = f"fetch_user(<200 {scenario}>, 5.0)"
                expect_error(outcome(f, server.url(scenario), 5.0, what=what), ("ValueError",),
                             what, not_kinds=("AttributeError",))
            user_id, ms = _rng.randrange(1, 10**6), _rng.randrange(100, 400)
            what = f"fetch_user(<200 after {ms} ms>, 3.0)"
            got = expect_value(outcome(f, server.url("latency", id=user_id, ms=ms), 3.0,
                                       what=what), what)
            want = json.loads(FaultServer.body("latency", id=user_id, ms=ms))
            if got != want:
                raise AssertionError(f"{what} returned {checks.short(got)}")

    @suite.test("latency_summary_fixed", timeout=timeout)
    def hidden_latency(latency_summary):
        """one sample, random sizes, integers; 2-D and text raise"""
        with checks.python_function(latency_summary, "latency_summary") as f:
            size = _rng.randrange(3, 2000)
            cases = {"[42]": [42], f"<{size} random ints>":
                     [_rng.randrange(0, 5000) for _ in range(size)]}
            for label, samples in cases.items():
                what = f"latency_summary({label})"
                got = expect_value(outcome(f, samples, what=what), what)
                checks.expect_summary(got, checks.expected_summary(samples), what)
            for label, samples in (("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]), ("['a']", ["a"]),
                                   ("[1.0, inf]", [1.0, float("inf")])):
                what = f"latency_summary({label})"
                expect_error(outcome(f, samples, what=what), ("ValueError", "TypeError"), what)

    @suite.test("load_settings_fixed", timeout=timeout)
    def hidden_settings(load_settings):
        """nested Unicode; null and a string are not objects; an int is a TypeError"""
        want = {"name": "東京 ☃", "limits": {"rps": _rng.randrange(1, 999)}, "on": True}
        with checks.python_function(load_settings, "load_settings") as f:
            what = "load_settings(<nested UTF-8>)"
            got = expect_value(outcome(f, json.dumps(want, ensure_ascii=False).encode(),
                                       what=what), what)
            if got != want:
                raise AssertionError(f"{what} returned {checks.short(got)}")
            for raw in (b"null", b'"settings"'):
                what = f"load_settings({raw!r})"
                expect_error(outcome(f, raw, what=what), ("ValueError",), what)
            what = "load_settings(5)"
            expect_error(outcome(f, 5, what=what), ("TypeError",), what)

    @suite.test("get_user_data_fixed", timeout=timeout)
    def hidden_user_data(users_js):
        """503, an HTML page, a slow but timely server"""
        with FaultServer() as server:
            what = "getUserData(<503>)"
            checks.expect_js_error(checks.js_call(users_js, "getUserData",
                                                  server.url("unavailable"), 5000, what=what),
                                   what, says="503")
            what = "getUserData(<200 HTML>)"
            checks.expect_js_error(checks.js_call(users_js, "getUserData",
                                                  server.url("wrong_type"), 5000, what=what),
                                   what, says="JSON")
            user_id, ms = _rng.randrange(1, 10**6), _rng.randrange(100, 400)
            what = f"getUserData(<200 after {ms} ms>, 3000)"
            got = expect_value(checks.js_call(users_js, "getUserData",
                                              server.url("latency", id=user_id, ms=ms), 3000,
                                              what=what), what)
            if got != json.loads(FaultServer.body("latency", id=user_id, ms=ms)):
                raise AssertionError(f"{what} resolved to {checks.short(got)}")

    @suite.test("fetch_text_fixed", timeout=timeout)
    def hidden_text(users_js):
        """a body that stops halfway: an Error saying "timed out"; a 500 names its status"""
        slow = _rng.randrange(300, 700)
        with FaultServer() as server:
            what = f"fetchText(<a body that stalls>, {slow})"
            result = checks.js_call(users_js, "fetchText",
                                    server.url("stall", size=5000, after=100, seconds=3.0),
                                    slow, what=what)
            checks.expect_js_error(result, what, says="timed out")
            checks.expect_quick(result, checks.WITHIN, what)
            what = "fetchText(<500>, 5000)"
            checks.expect_js_error(checks.js_call(users_js, "fetchText",
                                                  server.url("server_error"), 5000, what=what),
                                   what, says="500")
