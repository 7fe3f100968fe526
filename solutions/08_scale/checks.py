"""Public tests of the scale assignment.

``check("match_orders")`` runs them in your notebook; the grade cells run them too, followed
by hidden tests. The growth test times your function in a separate process at sizes drawn
for each run, on fresh inputs every call, beside the AI version and the model solution, and
grades the slope of its cost (grader/growth).
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from grader.faults import FaultServer
from grader.growth.cells import assert_growth
from grader.snippets.expect import (
    as_function,
    as_functions,
    call,
    expect_error,
    expect_value,
    short,
)
from grader.speed.candidates import import_path
from grader.testing import TestSuite, raises

suite = TestSuite()
rng = np.random.default_rng(20261207)
TIMEOUT = 120.0  # seconds per test run in a child process: a server, threads, slow calls
OVER_HTTP = "grader.growth.adapters:over_http"
SQLITE = "grader.attacks.adapters:sqlite"  # a fresh connection per call, committed after
ORDERS = ("prepare_orders", "recent_orders")
# The exercise's input factory, imported by path: the notebook's folder may not be on
# sys.path when the checks run from elsewhere.
speed = import_path(Path(__file__).resolve().parent / "speed.py", siblings=False)


def key(email: str) -> str:
    return unicodedata.normalize("NFC", email).casefold()


def trusted_match(customers, orders) -> list[int]:
    first: dict[str, int] = {}
    for i, email in enumerate(customers):
        first.setdefault(key(email), i)
    return [first.get(key(email), -1) for email in orders]


def as_ints(value, call: str) -> list[int]:
    """The answer as a list of Python ints, or AssertionError saying what it was."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        return [int(v) for v in value]
    if isinstance(value, list | tuple) and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value):
        return [int(v) for v in value]
    raise AssertionError(f"{call} returned {type(value).__name__} {str(value)[:80]}; "
                         "expected a list of ints")


def same(got, want: list[int], call: str) -> None:
    got = as_ints(got, call)
    if got != want:
        if len(got) != len(want):
            raise AssertionError(f"{call} returned {len(got)} indices; expected {len(want)}, "
                                 "one per order")
        i = next(i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
        raise AssertionError(f"{call} returned {got[i]} for order {i}; expected {want[i]}")


# --- match_orders ---------------------------------------------------------------------------


@suite.test("match_orders_values")
def the_contract_example(match_orders):
    """the contract's example: first registration wins, unknown orders get -1"""
    customers = ["ada@example.com", "bob@example.com", "Ada@Example.com"]
    orders = ["bob@example.com", "ADA@EXAMPLE.COM", "eve@example.com"]
    same(match_orders(customers, orders), [1, 0, -1],
         call="match_orders(['ada@…', 'bob@…', 'Ada@…'], ['bob@…', 'ADA@…', 'eve@…'])")


@suite.test("match_orders_values")
def thousand_generated_orders(match_orders):
    """1,000 generated customers and orders, case mixed, some registered twice"""
    customers, orders = speed.make_match_orders(rng, 1000)
    same(match_orders(list(customers), list(orders)), trusted_match(customers, orders),
         call="match_orders(<1,000 customers>, <1,000 orders>)")


@suite.test("match_orders_edge_cases")
def empty_inputs(match_orders):
    """empty orders give []; no customers give -1 for every order"""
    same(match_orders(["a@x.test"], []), [], call="match_orders(['a@x.test'], [])")
    same(match_orders([], ["a@x.test", "b@x.test"]), [-1, -1],
         call="match_orders([], ['a@x.test', 'b@x.test'])")


@suite.test("match_orders_edge_cases")
def casefold_not_lower(match_orders):
    """"STRASSE@X.TEST" is the customer "straße@x.test" (casefold, not lower)"""
    same(match_orders(["stra\u00dfe@x.test"], ["STRASSE@X.TEST"]), [0],
         call="match_orders(['straße@x.test'], ['STRASSE@X.TEST'])")


@suite.test("match_orders_edge_cases")
def composed_and_decomposed_accents(match_orders):
    """"rene\\u0301@x.test" (decomposed é) is the customer "ren\\u00e9@x.test" (NFC)"""
    same(match_orders(["ren\u00e9@x.test"], ["RENE\u0301@X.TEST"]), [0],
         call="match_orders(['rené@x.test'], ['RENÉ@X.TEST' with a combining accent])")


@suite.test("match_orders_edge_cases")
def not_a_string_raises_type_error(match_orders):
    """a customer or order that is not a str raises TypeError"""
    raises(TypeError, match_orders, ["a@x.test", None], ["a@x.test"],
           call="match_orders(['a@x.test', None], ['a@x.test'])")
    raises(TypeError, match_orders, ["a@x.test"], [b"a@x.test"],
           call="match_orders(['a@x.test'], [b'a@x.test'])")


@suite.test("match_orders_edge_cases")
def inputs_are_not_modified(match_orders):
    """the two lists are left as they were"""
    customers, orders = ["B@x.test", "b@x.test"], ["b@X.test"]
    match_orders(customers, orders)
    assert customers == ["B@x.test", "b@x.test"] and orders == ["b@X.test"], (
        f"match_orders changed its inputs to {customers}, {orders}")


@suite.test("match_orders_growth", timeout=300)
def match_orders_grows_linearly(match_orders):
    """its cost grows about linearly with the data, not like the AI version's n^2"""
    return assert_growth("match_orders", match_orders)


# --- profile_cache ---------------------------------------------------------------------------


def lru_loads(maxsize: int, keys: list[int]) -> list[int]:
    """The keys a least-recently-used cache of ``maxsize`` loads, in order."""
    from collections import OrderedDict

    cache: OrderedDict[int, None] = OrderedDict()
    loads = []
    for key in keys:
        if key in cache:
            cache.move_to_end(key)
            continue
        loads.append(key)
        cache[key] = None
        if len(cache) > maxsize:
            cache.popitem(last=False)
    return loads


def run_cache(function, server: FaultServer, maxsize, keys: list[int], what: str,
              urls: dict[int, str] | None = None):
    """Look ``keys`` up through the learner's cache, each load a request to ``server``: the
    answers, and the keys the server was asked for, in order (its own record)."""
    urls = urls or {k: server.url("latency", ms=0, id=k) for k in set(keys)}
    server.reset_records()
    answers = expect_value(call(function, {str(k): u for k, u in urls.items()}, maxsize,
                                keys, what=what, deadline=60.0), what)
    server.wait_finished(5.0)
    asked = [int(r.params.get("id", -1)) for r in server.requests()]
    return answers, asked


def same_loads(asked: list[int], want: list[int], what: str) -> None:
    if asked != want:
        raise AssertionError(f"{what}: the service was asked for {short(asked, 120)}; a "
                             f"least-recently-used cache asks for {short(want, 120)}")


def answers_are_bodies(answers, keys: list[int], what: str) -> None:
    for key, answer in zip(keys, answers, strict=False):
        want = FaultServer.body("latency", ms=0, id=key).decode()
        if answer != {"value": want}:
            raise AssertionError(f"{what}: get({key}) returned {short(answer)}; expected "
                                 f"what load({key}) returned, {want!r}")
    if len(answers) != len(keys):
        raise AssertionError(f"{what}: {len(answers)} answers for {len(keys)} lookups")


@suite.test("profile_cache_hits", timeout=TIMEOUT)
def each_user_is_loaded_once_while_it_fits(profile_cache):
    """5 users asked for 4 times each, maxsize 5: 5 loads, answers are what load returned"""
    keys = [1, 2, 3, 4, 5] * 4
    with as_function(profile_cache, "profile_cache", adapter=OVER_HTTP) as f, \
            FaultServer() as server:
        what = "profile_cache(load, 5), then get(k) for 1..5 four times"
        answers, asked = run_cache(f, server, 5, keys, what)
        answers_are_bodies(answers, keys, what)
        same_loads(asked, lru_loads(5, keys), what)


@suite.test("profile_cache_hits", timeout=TIMEOUT)
def evicts_the_least_recently_used(profile_cache):
    """maxsize 2, lookups 1 2 1 3 1 2: a hit on 1 makes 2 the one to evict (LRU, not FIFO)"""
    keys = [1, 2, 1, 3, 1, 2]
    with as_function(profile_cache, "profile_cache", adapter=OVER_HTTP) as f, \
            FaultServer() as server:
        what = "profile_cache(load, 2), then get(k) for 1 2 1 3 1 2"
        answers, asked = run_cache(f, server, 2, keys, what)
        answers_are_bodies(answers, keys, what)
        same_loads(asked, lru_loads(2, keys), what)


@suite.test("profile_cache_hits", timeout=TIMEOUT)
def a_failed_load_is_not_cached(profile_cache):
    """a load that fails (503) raises to the caller and is tried again on the next get"""
    with as_function(profile_cache, "profile_cache", adapter=OVER_HTTP) as f, \
            FaultServer() as server:
        urls = {7: server.url("flaky", fails=1, id=7)}
        what = "get(7) three times, the first load failing with 503"
        answers, asked = run_cache(f, server, 4, [7, 7, 7], what, urls)
        if not (isinstance(answers[0], dict) and answers[0].get("error") == "HTTPError"):
            raise AssertionError(f"{what}: the first get returned {short(answers[0])}; "
                                 "expected load's HTTPError, raised to the caller")
        if len(asked) != 2 or answers[1] != answers[2] or "value" not in answers[1]:
            raise AssertionError(f"{what}: the service was asked {len(asked)} times and the "
                                 f"answers were {short(answers, 160)}; expected 2 requests "
                                 "(the failure is not cached) and the same value twice")


@suite.test("profile_cache_hits", timeout=TIMEOUT)
def maxsize_must_be_a_positive_int(profile_cache):
    """maxsize 0, -1, None, True or 2.5 raises ValueError or TypeError"""
    with as_function(profile_cache, "profile_cache", adapter=OVER_HTTP) as f, \
            FaultServer() as server:
        for bad in (0, -1, None, True, 2.5):
            what = f"profile_cache(load, {bad!r})"
            expect_error(call(f, {"1": server.url("latency", ms=0, id=1)}, bad, [1],
                              what=what), ("ValueError", "TypeError"), what)


@suite.test("profile_cache_memory", timeout=300)
def memory_stays_flat(profile_cache):
    """memory stays flat over a stream of users seen once (the AI's dict keeps them all)"""
    return assert_growth("profile_cache", profile_cache)


# --- fetch_many --------------------------------------------------------------------------------

LATENCY_MS = 300


def fetched(function, urls: list[str], limit, what: str, *, timeout: float | None = None):
    """The call's answer (a list, checked to hold one result per URL)."""
    args = (urls, limit) if timeout is None else (urls, limit, timeout)
    results = expect_value(call(function, *args, what=what, deadline=60.0), what)
    if not isinstance(results, list) or len(results) != len(urls):
        raise AssertionError(f"{what} returned {short(results)}; expected a list with one "
                             f"result per URL ({len(urls)})")
    for i, result in enumerate(results):
        if not isinstance(result, dict) or not {"url", "status", "body", "error"} <= set(result):
            raise AssertionError(f"{what}: result {i} is {short(result)}; expected a dict "
                                 "with url, status, body and error")
        if result["url"] != urls[i]:
            raise AssertionError(f"{what}: result {i} is for {short(result['url'])}; results "
                                 f"must be in the order of the URLs ({urls[i]!r} there)")
    return results


def body_of(result: dict, want: bytes, what: str, i: int) -> None:
    if result["status"] != 200 or result["body"] != want or result["error"] is not None:
        raise AssertionError(f"{what}: result {i} is {short(result, 160)}; expected status "
                             f"200 and the body {short(want)} with error None")


def error_of(result: dict, status: int | None, what: str, i: int) -> None:
    if result["status"] != status or result["body"] is not None or \
            not isinstance(result["error"], str) or not result["error"].strip():
        raise AssertionError(f"{what}: result {i} is {short(result, 160)}; expected status "
                             f"{status}, body None and an error message saying what failed")


def in_rounds(server: FaultServer, count: int, limit: int, what: str) -> None:
    """The server's record: never more than ``limit`` requests at once, and all of them in
    about ceil(count / limit) latencies (one latency and 0.4 s of slack allowed)."""
    server.wait_finished(5.0)
    if server.max_in_flight > limit:
        raise AssertionError(f"{what}: the server saw {server.max_in_flight} requests in "
                             f"flight at once; at most limit={limit} are allowed")
    records = server.requests()
    if len(records) != count:
        raise AssertionError(f"{what}: the server got {len(records)} requests for {count} URLs")
    span = max(r.finished or 0.0 for r in records) - min(r.started for r in records)
    rounds = -(-count // limit)
    allowed = (rounds + 1) * LATENCY_MS / 1000 + 0.4
    if span > allowed:
        raise AssertionError(f"{what}: the requests took {span:.2f} s from first to last; "
                             f"{count} URLs at {LATENCY_MS} ms with {limit} at a time take "
                             f"about {rounds * LATENCY_MS / 1000:.1f} s (allowed {allowed:.1f} s)")


def all_closed(server: FaultServer, what: str) -> None:
    """Nothing of the call is left running when it returned: no request still in flight
    (a thread or task given up on, not stopped), no connection left open (a keep-alive
    client never closed)."""
    running = server.wait_finished(1.0)
    if running:
        raise AssertionError(f"{what}: {running} request(s) still running after it returned: "
                             "every request must be finished or given up (timeout) first")
    still = server.wait_closed(2.0)
    if still:
        raise AssertionError(f"{what}: {still} connection(s) still open after it returned: "
                             "close every response (with urlopen(...) as response:)")


@suite.test("fetch_many_results", timeout=TIMEOUT)
def bodies_in_order(fetch_many):
    """8 URLs answered at different speeds: each body in the order of the URLs"""
    with as_function(fetch_many, "fetch_many") as f, FaultServer() as server:
        delays = [400, 50, 300, 10, 200, 0, 100, 250]
        urls = [server.url("latency", ms=ms, id=i) for i, ms in enumerate(delays)]
        what = "fetch_many(<8 URLs, slowest first>, 4)"
        results = fetched(f, urls, 4, what)
        for i, ms in enumerate(delays):
            body_of(results[i], FaultServer.body("latency", ms=ms, id=i), what, i)


@suite.test("fetch_many_results", timeout=TIMEOUT)
def errors_per_url(fetch_many):
    """404, 500, a refused connection and a timeout are reported per URL, not swallowed"""
    with as_function(fetch_many, "fetch_many") as f, FaultServer() as server:
        urls = [server.url("latency", ms=0, id=1), server.url("not_found"),
                server.url("server_error"), server.dead_url(),
                server.url("slow_headers", delay=5.0), server.url("latency", ms=0, id=2)]
        what = "fetch_many([ok, 404, 500, refused, too slow, ok], 3, timeout=0.5)"
        results = fetched(f, urls, 3, what, timeout=0.5)
        body_of(results[0], FaultServer.body("latency", ms=0, id=1), what, 0)
        error_of(results[1], 404, what, 1)
        error_of(results[2], 500, what, 2)
        error_of(results[3], None, what, 3)
        error_of(results[4], None, what, 4)
        body_of(results[5], FaultServer.body("latency", ms=0, id=2), what, 5)
        all_closed(server, what)


@suite.test("fetch_many_results", timeout=TIMEOUT)
def bad_limits_raise(fetch_many):
    """limit 0, -2, True or 2.5 raises ValueError or TypeError; no URLs give []"""
    with as_function(fetch_many, "fetch_many") as f, FaultServer() as server:
        url = server.url("latency", ms=0)
        for bad in (0, -2, True, 2.5):
            what = f"fetch_many([url], {bad!r})"
            expect_error(call(f, [url], bad, what=what), ("ValueError", "TypeError"), what)
        what = "fetch_many([], 4)"
        got = expect_value(call(f, [], 4, what=what), what)
        if got != []:
            raise AssertionError(f"{what} returned {short(got)}; expected []")


@suite.test("fetch_many_concurrency", timeout=TIMEOUT)
def twelve_urls_in_three_rounds(fetch_many):
    """12 URLs at 300 ms, limit 4: about 0.9 s, never more than 4 in flight, all closed"""
    with as_function(fetch_many, "fetch_many") as f, FaultServer() as server:
        urls = [server.url("latency", ms=LATENCY_MS, id=i) for i in range(12)]
        what = "fetch_many(<12 URLs at 300 ms>, 4)"
        fetched(f, urls[:1], 4, "a first call (warm-up)")
        server.reset_records()
        results = fetched(f, urls, 4, what)
        in_rounds(server, 12, 4, what)
        all_closed(server, what)
        for i in range(12):
            body_of(results[i], FaultServer.body("latency", ms=LATENCY_MS, id=i), what, i)


@suite.test("fetch_many_concurrency", timeout=TIMEOUT)
def limit_one_is_one_at_a_time(fetch_many):
    """limit 1: one request at a time, in order"""
    with as_function(fetch_many, "fetch_many") as f, FaultServer() as server:
        urls = [server.url("latency", ms=50, id=i) for i in range(4)]
        what = "fetch_many(<4 URLs at 50 ms>, 1)"
        server.reset_records()
        fetched(f, urls, 1, what)
        server.wait_finished(5.0)
        if server.max_in_flight != 1:
            raise AssertionError(f"{what}: the server saw {server.max_in_flight} requests "
                                 "in flight at once; limit=1 allows one")
        all_closed(server, what)


# --- prepare_orders / recent_orders ----------------------------------------------------------

DAY = 86_400
# (id, customer_id, created_at, total_cents): customer 1 has two orders on one day (the
# higher id is the newer), customer 2 one order, customer 3 none; customer 4 five.
SMALL_ORDERS = [
    (1, 1, 1_700_000_000, 1200), (2, 2, 1_700_000_000 + DAY, 500),
    (3, 1, 1_700_000_000 + 2 * DAY, 900), (4, 1, 1_700_000_000 + 2 * DAY, 4100),
    (5, 4, 1_700_000_000 + 3 * DAY, 100), (6, 4, 1_700_000_000 + 1 * DAY, 200),
    (7, 4, 1_700_000_000 + 5 * DAY, 300), (8, 4, 1_700_000_000 + 4 * DAY, 400),
    (9, 4, 1_700_000_000 + 5 * DAY, 500), (10, 1, 1_700_000_000 - DAY, 50),
]
PLAN_QUERY = ("SELECT id, created_at, total_cents FROM orders WHERE customer_id = ? "
              "ORDER BY created_at DESC, id DESC LIMIT ?")


def recent_of(rows, customer: int, limit: int) -> list[list[int]]:
    """The contract's answer: newest first, the higher id first on the same created_at."""
    mine = sorted((r for r in rows if r[1] == customer), key=lambda r: (r[2], r[0]),
                  reverse=True)
    return [[r[0], r[2], r[3]] for r in mine[:limit]]


@contextlib.contextmanager
def orders_file(rows) -> Iterator[Path]:
    """A database file with the table of the contract and ``rows``, in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="orders-") as folder:
        path = Path(folder) / "orders.db"
        conn = sqlite3.connect(path)
        try:
            conn.execute(speed.ORDERS_SCHEMA)
            conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", rows)
            conn.commit()
        finally:
            conn.close()
        yield path


def read_only(path: Path) -> sqlite3.Connection:
    """The grader's own connection to a database the learner's code has written: read-only,
    and no function named in the schema may run."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.execute("PRAGMA trusted_schema = OFF")
    return conn


def table_rows(path: Path) -> list[tuple]:
    conn = read_only(path)
    try:
        return conn.execute("SELECT * FROM orders ORDER BY id").fetchall()
    finally:
        conn.close()


def prepared(functions, path: Path, what: str) -> None:
    """Run the learner's prepare_orders on ``path``; it must leave every row as it was."""
    before = table_rows(path)
    expect_value(call(functions["prepare_orders"], str(path), what=what), what)
    if table_rows(path) != before:
        raise AssertionError(f"{what} changed the orders' rows; a schema change must not")


def plan_of(path: Path, customer: int = 1, limit: int = 3) -> list[str]:
    conn = read_only(path)
    try:
        return [row[-1] for row in conn.execute(f"EXPLAIN QUERY PLAN {PLAN_QUERY}",
                                                (customer, limit))]
    finally:
        conn.close()


@suite.test("recent_orders_rows", timeout=TIMEOUT)
def newest_first_with_ties(namespace):
    """newest orders first, the higher id first on the same day, at most limit rows"""
    with as_functions(namespace, ORDERS, adapter=SQLITE) as f, orders_file(SMALL_ORDERS) as db:
        prepared(f, db, "prepare_orders(conn)")
        for customer, limit in ((1, 3), (4, 2), (4, 10), (2, 5)):
            what = f"recent_orders(conn, {customer}, {limit})"
            got = expect_value(call(f["recent_orders"], str(db), customer, limit, what=what),
                               what)
            want = recent_of(SMALL_ORDERS, customer, limit)
            if got != want:
                raise AssertionError(f"{what} returned {short(got, 160)}; expected "
                                     f"{short(want, 160)} (id, created_at, total_cents)")


@suite.test("recent_orders_rows", timeout=TIMEOUT)
def nobody_and_zero_give_nothing(namespace):
    """a customer with no orders, or limit 0, gives []; a negative limit raises ValueError"""
    with as_functions(namespace, ORDERS, adapter=SQLITE) as f, orders_file(SMALL_ORDERS) as db:
        prepared(f, db, "prepare_orders(conn)")
        for customer, limit in ((3, 5), (1, 0)):
            what = f"recent_orders(conn, {customer}, {limit})"
            got = expect_value(call(f["recent_orders"], str(db), customer, limit, what=what),
                               what)
            if got != []:
                raise AssertionError(f"{what} returned {short(got)}; expected []")
        what = "recent_orders(conn, 1, -1)"
        expect_error(call(f["recent_orders"], str(db), 1, -1, what=what), ("ValueError",),
                     what)


@suite.test("recent_orders_rows", timeout=TIMEOUT)
def prepare_twice_is_harmless(namespace):
    """prepare_orders can run again on a database it already prepared"""
    with as_functions(namespace, ORDERS, adapter=SQLITE) as f, orders_file(SMALL_ORDERS) as db:
        prepared(f, db, "prepare_orders(conn)")
        prepared(f, db, "prepare_orders(conn), a second time")


@suite.test("recent_orders_plan", timeout=TIMEOUT)
def the_planner_uses_an_index(namespace):
    """after prepare_orders, EXPLAIN QUERY PLAN searches an index and sorts nothing"""
    with as_functions(namespace, ORDERS, adapter=SQLITE) as f, orders_file(SMALL_ORDERS) as db:
        before = plan_of(db)
        prepared(f, db, "prepare_orders(conn)")
        plan = plan_of(db)
        shown = "; ".join(plan)
        if not any(step.startswith("SEARCH orders USING") and "INDEX" in step
                   for step in plan):
            raise AssertionError(f"after prepare_orders, EXPLAIN QUERY PLAN of the lookup says "
                                 f"{shown!r} (before: {'; '.join(before)!r}): it reads the "
                                 "whole table; it needs an index whose first column is "
                                 "customer_id")
        if any("TEMP B-TREE" in step for step in plan):
            raise AssertionError(f"after prepare_orders, EXPLAIN QUERY PLAN of the lookup says "
                                 f"{shown!r}: the index finds the customer, but the newest "
                                 "orders are then sorted; put created_at in the index too")


@suite.test("recent_orders_growth", timeout=300)
def lookups_do_not_grow_with_the_table(namespace):
    """one lookup per 20 orders grows like the data (the AI's table scans, like its square)"""
    functions = [namespace.get(name) if isinstance(namespace, dict) else None for name in ORDERS]
    return assert_growth("recent_orders", *functions)
