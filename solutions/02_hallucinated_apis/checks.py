"""Public tests of chapter 02: hallucinated APIs and a drifting contract.

``check("fetch_user")`` (and the others) run them in your notebook. Your functions run in a
separate process (grader/snippets): Python ones in a child Python, JavaScript ones in a fresh
Node process per call, each against a local server that injects faults (grader/faults), timed
from outside. Each fixed snippet must also pass ``api_check``: no call that the installed
libraries lack. When your notebook is graded, the same tests run outside your kernel on the
files you hand in, followed by hidden ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from typing import Any

import numpy as np

from grader.apicheck import api_check
from grader.faults import FaultServer
from grader.snippets import CallCrashed, CallResult, NodeModule, PythonFunction
from grader.snippets.expect import as_function, expect_error, expect_value, short
from grader.testing import TestSuite

suite = TestSuite()
TEST_TIMEOUT = 120.0  # seconds per test: child processes, a type checker, slow servers
DELAY = 3.0  # seconds the server holds its headers in the timeout tests
SHORT = 0.5  # seconds: the timeout those tests pass
WITHIN = 2.5  # seconds: how soon a call with a SHORT timeout must have given up

# --- exercise 1: which call does not exist ------------------------------------------------
SNIPPETS = ("fetch_user", "latency_summary", "load_settings", "getUserData", "fetchText")
# sha256 of "<snippet>:<name>": check() can say right or wrong without printing the answer.
_ANSWERS = {
    "fetch_user": "b2bfdbded46b91f5198b216abc0e0e0c0e6ea78bccf26e9be80e802c60133e7a",
    "latency_summary": "3f6699a38f9e28d56e06a52349b6b508ef1ab5a4b5f0dd20d5d42179761200ed",
    "load_settings": "630e8834fc9e511833a603c34f933d685741858f069d4ac2f572937af3245602",
    "getUserData": "a36cc46a332011038d9c3ef950de5aae793aa42b49df7fe56ba4354bb811f45e",
    "fetchText": "e658d85fe22e70e0260edf023aa31526703a426f69a7bce234654ecc61f88279",
}
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def named(answer: Any) -> str:
    """The name an answer gives: its last identifier (``resp.json_safe()`` -> json_safe)."""
    found = _IDENT.findall(answer) if isinstance(answer, str) else []
    return found[-1] if found else ""


def digest(snippet: str, name: str) -> str:
    return hashlib.sha256(f"{snippet}:{name}".encode()).hexdigest()


@suite.test("hallucinated_names")
def names_the_five_calls(answers):
    """HALLUCINATED names, for each snippet, the call or keyword that does not exist"""
    if not isinstance(answers, dict):
        raise AssertionError(f"HALLUCINATED must be a dict of snippet -> name, got "
                             f"{type(answers).__name__}")
    missing = [s for s in SNIPPETS if s not in answers]
    if missing:
        raise AssertionError(f"HALLUCINATED has no entry for {', '.join(missing)}")
    wrong = [s for s in SNIPPETS if digest(s, named(answers[s])) != _ANSWERS[s]]
    if wrong:
        raise AssertionError(
            f"{len(wrong)} of {len(SNIPPETS)} are not the name that does not exist: "
            f"{', '.join(f'{s} ({answers[s]!r})' for s in wrong)}. Run api_check on the "
            f"AI's snippet, or read the installed library's signature.")


# --- running a learner's function -------------------------------------------------------------


def python_function(obj: Any, name: str) -> contextlib.AbstractContextManager[PythonFunction]:
    """``obj`` as a function run in a child process: a PythonFunction as given (when graded),
    or the kernel's function, pickled into a child (check() in a notebook)."""
    return as_function(obj, name)


def node_module(obj: Any) -> NodeModule:
    if not isinstance(obj, NodeModule):
        raise AssertionError("js/users.mjs is not loaded: run `users_js = NodeModule("
                             "\"js/users.mjs\")` (is the file still there?)")
    return obj


def outcome(function: Any, *args: Any, what: str, deadline: float = 20.0,
            export: str = "") -> CallResult:
    """One call, Python or JavaScript; a crash, a hang or a missing function is a failure."""
    __tracebackhide__ = True
    try:
        if export:
            return function.call(export, *args, deadline=deadline)
        return function.call(*args, deadline=deadline)
    except CallCrashed as exc:
        raise AssertionError(f"{what}: {exc}") from None


def expect_quick(result: CallResult, limit: float, what: str) -> None:
    __tracebackhide__ = True
    if result.seconds > limit:
        raise AssertionError(f"{what} took {result.seconds:.1f} s; a timeout of {SHORT} s "
                             f"must end it within {limit} s")


def clean_api(source: str, language: str, what: str) -> None:
    """api_check finds nothing in ``source``."""
    __tracebackhide__ = True
    if not source.strip():
        raise AssertionError(f"the source of {what} was not found")
    report = api_check(source, language)
    if not report.ok:
        lines = [f"  line {f.line}: {f.message}" for f in report.findings[:5]]
        raise AssertionError(f"api_check finds calls the installed libraries lack in {what}:\n"
                             + "\n".join(lines))


# --- fetch_user(url, timeout) ----------------------------------------------------------------


@suite.test("fetch_user_fixed", timeout=TEST_TIMEOUT)
def fetch_user_answers(fetch_user):
    """a 200 gives the object; 404 and 500 raise HTTPError; a non-object body ValueError"""
    with python_function(fetch_user, "fetch_user") as f, FaultServer() as server:
        got = expect_value(outcome(f, server.url("ok_json"), 5.0, what="fetch_user(<200>)"),
                           "fetch_user(<200 JSON>, 5.0)")
        if got != json.loads(FaultServer.body("ok_json")):
            raise AssertionError(f"fetch_user(<200 JSON>) returned {short(got)}")
        for scenario, code in (("not_found", "404"), ("server_error", "500")):
            what = f"fetch_user(<{code}>, 5.0)"
            expect_error(outcome(f, server.url(scenario), 5.0, what=what), ("HTTPError",),
                         what, says=code)
        for scenario in ("invalid_json", "json_array"):
            what = f"fetch_user(<200 {scenario}>, 5.0)"
            expect_error(outcome(f, server.url(scenario), 5.0, what=what), ("ValueError",),
                         what, not_kinds=("AttributeError",))


@suite.test("fetch_user_fixed", timeout=TEST_TIMEOUT)
def fetch_user_gives_up(fetch_user):
    """slow headers raise requests.Timeout in time; nothing listening, ConnectionError"""
    with python_function(fetch_user, "fetch_user") as f, FaultServer() as server:
        what = f"fetch_user(<headers after {DELAY:g} s>, {SHORT})"
        result = outcome(f, server.url("slow_headers", delay=DELAY), SHORT, what=what)
        expect_error(result, ("Timeout",), what)
        expect_quick(result, WITHIN, what)
        what = "fetch_user(<nothing listening>, 5.0)"
        expect_error(outcome(f, server.dead_url(), 5.0, what=what), ("ConnectionError",), what)


@suite.test("fetch_user_fixed", timeout=TEST_TIMEOUT)
def fetch_user_api_check(fetch_user):
    """api_check finds nothing in fetch_user"""
    with python_function(fetch_user, "fetch_user") as f:
        clean_api(f.source, "python", "fetch_user")


# --- latency_summary(samples) -----------------------------------------------------------------


def expected_summary(samples: Any) -> dict[str, float]:
    x = np.asarray(samples, dtype=np.float64)
    p50, p95, p99 = np.percentile(x, [50, 95, 99], method="nearest")
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(x.mean())}


def expect_summary(got: Any, want: dict[str, float], what: str) -> None:
    __tracebackhide__ = True
    if not isinstance(got, dict) or set(got) != set(want):
        raise AssertionError(f"{what} returned {short(got)}; expected a dict with keys "
                             f"{sorted(want)}")
    for key, value in want.items():
        if not isinstance(got[key], float) or not np.isclose(got[key], value, rtol=1e-12):
            raise AssertionError(f"{what}[{key!r}] is {got[key]!r}; expected {value!r} "
                                 f"(a float)")


@suite.test("latency_summary_fixed", timeout=TEST_TIMEOUT)
def latency_percentiles(latency_summary):
    """p50/p95/p99 by NumPy's "nearest" method and the mean, as floats"""
    rng = np.random.default_rng(2026)
    cases = {"[12, 15, 11, 250, 14]": [12, 15, 11, 250, 14],
             "<200 lognormal samples>": list(rng.lognormal(3.0, 0.6, 200).round(2))}
    with python_function(latency_summary, "latency_summary") as f:
        for label, samples in cases.items():
            what = f"latency_summary({label})"
            got = expect_value(outcome(f, samples, what=what), what)
            expect_summary(got, expected_summary(samples), what)


@suite.test("latency_summary_fixed", timeout=TEST_TIMEOUT)
def latency_rejects(latency_summary):
    """empty, NaN and negative samples raise ValueError"""
    with python_function(latency_summary, "latency_summary") as f:
        for label, samples in (("[]", []), ("[1.0, nan]", [1.0, float("nan")]),
                               ("[3.0, -1.0]", [3.0, -1.0])):
            what = f"latency_summary({label})"
            expect_error(outcome(f, samples, what=what), ("ValueError",), what)


@suite.test("latency_summary_fixed", timeout=TEST_TIMEOUT)
def latency_api_check(latency_summary):
    """api_check finds nothing in latency_summary"""
    with python_function(latency_summary, "latency_summary") as f:
        clean_api(f.source, "python", "latency_summary")


# --- load_settings(raw) -----------------------------------------------------------------------


@suite.test("load_settings_fixed", timeout=TEST_TIMEOUT)
def settings_parse(load_settings):
    """UTF-8 bytes (with or without a BOM) and str give the JSON object"""
    want = {"name": "Zoë", "retries": 3, "hosts": ["a", "b"]}
    text = json.dumps(want, ensure_ascii=False)
    with python_function(load_settings, "load_settings") as f:
        for label, raw in (("<UTF-8 bytes>", text.encode()), ("<str>", text),
                           ("<UTF-8 bytes with a BOM>", b"\xef\xbb\xbf" + text.encode())):
            what = f"load_settings({label})"
            got = expect_value(outcome(f, raw, what=what), what)
            if got != want:
                raise AssertionError(f"{what} returned {short(got)}; expected {short(want)}")


@suite.test("load_settings_fixed", timeout=TEST_TIMEOUT)
def settings_reject(load_settings):
    """broken JSON, a JSON array and bytes that are not UTF-8 raise ValueError"""
    with python_function(load_settings, "load_settings") as f:
        for label, raw in (("b'{\"a\": '", b'{"a": '), ("b'[1, 2]'", b"[1, 2]"),
                           ("b'\\xff\\xfe{}'", b"\xff{}")):
            what = f"load_settings({label})"
            expect_error(outcome(f, raw, what=what), ("ValueError",), what,
                         not_kinds=("TypeError",))


@suite.test("load_settings_fixed", timeout=TEST_TIMEOUT)
def settings_api_check(load_settings):
    """api_check finds nothing in load_settings"""
    with python_function(load_settings, "load_settings") as f:
        clean_api(f.source, "python", "load_settings")


# --- getUserData(url, timeoutMs) and fetchText(url, timeoutMs), js/users.mjs -----------------


def js_call(users: Any, export: str, url: str, *args: Any, what: str) -> CallResult:
    return outcome(node_module(users), url, *args, export=export, what=what)


def expect_js_error(result: CallResult, what: str, *, says: str = "") -> str:
    """A rejection with an Error of the function's own, not a TypeError or SyntaxError that
    leaked from fetch or JSON.parse."""
    __tracebackhide__ = True
    return expect_error(result, ("Error",), what, says=says,
                        not_kinds=("TypeError", "SyntaxError"))


def function_lines(source: str, name: str) -> range:
    """The lines (1-based) of the top-level ``function name`` in a module: from its
    declaration (and the doc comment just above) to the next top-level declaration."""
    lines = source.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if re.match(rf"(export\s+)?(async\s+)?function\s+{name}\b", line)), None)
    if start is None:
        raise AssertionError(f"js/users.mjs has no top-level function {name}")
    end = next((i for i in range(start + 1, len(lines))
                if re.match(r"(export\s|function\s|async\s+function\s|/\*\*)", lines[i])),
               len(lines))
    return range(start + 1, end + 1)


def clean_js_function(users: Any, name: str) -> None:
    """api_check finds nothing in the lines of ``name`` in js/users.mjs."""
    __tracebackhide__ = True
    module = node_module(users)
    span = function_lines(module.source, name)
    report = api_check(module.source, "javascript")
    found = [f for f in report.findings if f.line in span or f.kind == "syntax"]
    if found:
        lines = [f"  line {f.line}: {f.message}" for f in found[:5]]
        raise AssertionError(f"api_check finds calls Node 20 lacks in {name}:\n"
                             + "\n".join(lines))


@suite.test("get_user_data_fixed", timeout=TEST_TIMEOUT)
def user_data_answers(users_js):
    """the object for a 200; an Error naming the status for 404 and 500"""
    with FaultServer() as server:
        what = "getUserData(<200 JSON>)"
        got = expect_value(js_call(users_js, "getUserData", server.url("ok_json"), 5000,
                                   what=what), what)
        if got != json.loads(FaultServer.body("ok_json")):
            raise AssertionError(f"{what} resolved to {short(got)}")
        for scenario, code in (("not_found", "404"), ("server_error", "500")):
            what = f"getUserData(<{code}>)"
            url = server.url(scenario)
            message = expect_js_error(js_call(users_js, "getUserData", url, 5000, what=what),
                                      what, says=code)
            if url not in message:
                raise AssertionError(f"{what}: the message {message[:120]!r} does not name "
                                     f"the URL")


@suite.test("get_user_data_fixed", timeout=TEST_TIMEOUT)
def user_data_bad_bodies(users_js):
    """an Error saying "JSON" for a broken body, JSON null and a JSON array"""
    with FaultServer() as server:
        for scenario in ("invalid_json", "json_null", "json_array"):
            what = f"getUserData(<200 {scenario}>)"
            expect_js_error(js_call(users_js, "getUserData", server.url(scenario), 5000,
                                    what=what), what, says="JSON")


@suite.test("get_user_data_fixed", timeout=TEST_TIMEOUT)
def user_data_network(users_js):
    """an Error saying "timed out" within the timeout; the cause when nothing listens"""
    with FaultServer() as server:
        what = f"getUserData(<headers after {DELAY:g} s>, {int(SHORT * 1000)})"
        result = js_call(users_js, "getUserData", server.url("slow_headers", delay=DELAY),
                         int(SHORT * 1000), what=what)
        expect_js_error(result, what, says="timed out")
        expect_quick(result, WITHIN, what)
        what = "getUserData(<nothing listening>)"
        expect_js_error(js_call(users_js, "getUserData", server.dead_url(), 5000, what=what),
                        what, says="ECONNREFUSED|refused")


@suite.test("get_user_data_fixed", timeout=TEST_TIMEOUT)
def user_data_api_check(users_js):
    """api_check finds nothing in getUserData"""
    clean_js_function(users_js, "getUserData")


@suite.test("fetch_text_fixed", timeout=TEST_TIMEOUT)
def text_answers(users_js):
    """the body for a 200; an Error naming the status for a 404"""
    with FaultServer() as server:
        what = "fetchText(<200>, 5000)"
        got = expect_value(js_call(users_js, "fetchText", server.url("ok_json"), 5000,
                                   what=what), what)
        if got != FaultServer.body("ok_json").decode():
            raise AssertionError(f"{what} resolved to {short(got)}")
        what = "fetchText(<404>, 5000)"
        expect_js_error(js_call(users_js, "fetchText", server.url("not_found"), 5000,
                                what=what), what, says="404")


@suite.test("fetch_text_fixed", timeout=TEST_TIMEOUT)
def text_gives_up(users_js):
    """slow headers, or a body that trickles: an Error saying "timed out", in time"""
    slow = int(SHORT * 1000)
    with FaultServer() as server:
        for label, url in (
                (f"headers after {DELAY:g} s", server.url("slow_headers", delay=DELAY)),
                ("a body trickling for 4 s",
                 server.url("trickle", size=400, chunk=10, interval=0.1))):
            what = f"fetchText(<{label}>, {slow})"
            result = js_call(users_js, "fetchText", url, slow, what=what)
            expect_js_error(result, what, says="timed out")
            expect_quick(result, WITHIN, what)


@suite.test("fetch_text_fixed", timeout=TEST_TIMEOUT)
def text_api_check(users_js):
    """api_check finds nothing in fetchText"""
    clean_js_function(users_js, "fetchText")


# --- exercise 2: UserStore, a contract that drifted --------------------------------------------

ADA = (7, "Ada@Example.org", "Ada")
GRACE = (12, "grace@navy.mil", "Grace")


def new_store(user_store: Any, *users: tuple[int, str, str]) -> Any:
    __tracebackhide__ = True
    if user_store is None:
        raise AssertionError("UserStore is not defined: run the cell that defines it")
    store = user_store()
    for user in users:
        store.add(*user)
    return store


def expect_user(user: Any, want: tuple[int, str, str], what: str) -> None:
    __tracebackhide__ = True
    if user is None:
        raise AssertionError(f"{what} returned None; expected the user {want[0]}")
    got = (user.id, user.email, user.name)
    if type(got[0]) is not int:
        raise AssertionError(f"{what}.id is {got[0]!r} ({type(got[0]).__name__}); ids are "
                             f"ints everywhere")
    if got != want:
        raise AssertionError(f"{what} is {got}; expected {want}")


@suite.test("drift_roundtrip")
def ids_stay_ints(UserStore):  # noqa: N803 - the notebook's class name
    """find_by_email (any case) gives the user with an int id, and get() finds it again"""
    store = new_store(UserStore, ADA, GRACE)
    expect_user(store.add(3, "x@y.org", "X"), (3, "x@y.org", "X"), "add(3, ...)")
    found = store.find_by_email("ada@EXAMPLE.org")
    expect_user(found, ADA, "find_by_email('ada@EXAMPLE.org')")
    expect_user(store.get(found.id), ADA, "get(find_by_email(...).id)")
    if store.get(99) is not None:
        raise AssertionError("get(99) of a store without user 99 is not None")


@suite.test("drift_roundtrip")
def json_round_trip(UserStore):  # noqa: N803
    """to_json gives {"users": [...]} with numeric ids, and from_json reads it back"""
    store = new_store(UserStore, ADA, GRACE)
    text = store.to_json()
    data = json.loads(text) if isinstance(text, str) else None
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, list) or len(users) != 2:
        raise AssertionError(f"to_json() gave {short(text)}; expected "
                             f'{{"users": [<2 users>]}}')
    ids = sorted(u.get("id") for u in users if isinstance(u, dict))
    if ids != [7, 12] or not all(type(i) is int for i in ids):
        raise AssertionError(f"to_json() has the ids {ids!r}; expected the numbers [7, 12]")
    again = UserStore.from_json(text)
    expect_user(again.get(7), ADA, "from_json(to_json()).get(7)")
    expect_user(again.find_by_email("GRACE@navy.mil"), GRACE,
                "from_json(to_json()).find_by_email('GRACE@navy.mil')")


@suite.test("drift_roundtrip")
def drift_rejects(UserStore):  # noqa: N803
    """a str or bool id: TypeError; from_json of bad JSON or a str id: ValueError"""
    from grader.testing import raises

    store = new_store(UserStore)
    raises(TypeError, store.add, "7", "a@b.c", "A", call="add('7', 'a@b.c', 'A')")
    raises(TypeError, store.add, True, "a@b.c", "A", call="add(True, 'a@b.c', 'A')")
    raises(ValueError, UserStore.from_json, "{not json", call="UserStore.from_json('{not json')")
    bad = '{"users": [{"id": "7", "email": "a@b.c", "name": "A"}]}'
    raises(ValueError, UserStore.from_json, bad, call=f"UserStore.from_json({bad!r})")


# The contract's signatures, checked by the type checker on the learner's code with these
# lines appended: a method typed loosely (object, no annotation) fails here, not at runtime.
CONTRACT_PROBE = '''

from typing import assert_type as _grader_assert_type


def grader_contract_probe(store: UserStore, text: str) -> None:
    _grader_assert_type(store.add(7, "a@example.org", "Ada"), User)
    _grader_assert_type(store.get(7), User | None)
    _grader_assert_type(store.find_by_email("A@example.org"), User | None)
    _grader_assert_type(store.to_json(), str)
    _grader_assert_type(UserStore.from_json(text), UserStore)
    found = store.find_by_email("a@example.org")
    if found is not None:
        user_id: int = found.id
        _grader_assert_type(store.get(user_id), User | None)
        _email: str = found.email
        _name: str = found.name
'''


@suite.test("drift_types", timeout=TEST_TIMEOUT)
def strict_types(UserStore):  # noqa: N803
    """strict types with the contract's signatures, nothing silenced (ignore, Any, cast)"""
    from grader.apicheck.pytypes import type_check

    with python_function(UserStore, "UserStore") as f:
        source = f.source
    if not source.strip():
        raise AssertionError("the source of UserStore was not found")
    defined = top_level_names(source)
    missing = [name for name in ("User", "UserStore") if name not in defined]
    if missing:
        raise AssertionError(f"the cell defines no {' and no '.join(missing)}")
    unannotated = missing_annotations(source)
    if unannotated:
        raise AssertionError("not annotated: " + ", ".join(unannotated[:6]))
    report = type_check(source + CONTRACT_PROBE)
    own = len(source.splitlines())
    if report.silencers:
        messages = list(dict.fromkeys(s.message for s in report.silencers))
        raise AssertionError("switched off instead of fixed: " + "; ".join(messages[:4]))
    if report.errors:
        lines = [f"  {'contract' if e.line > own else f'line {e.line}'}: {e.message}"
                 for e in report.errors[:6]]
        raise AssertionError(f"{len(report.errors)} type error(s):\n" + "\n".join(lines))


def missing_annotations(source: str) -> list[str]:
    """Functions of ``source`` whose parameters (but self/cls) or return lack a type."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"the cell does not parse ({exc.msg}, line {exc.lineno})"]
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                *filter(None, [node.args.vararg, node.args.kwarg])]
        bare = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
        if bare or node.returns is None:
            what = f"parameters {', '.join(bare)}" if bare else "the return type"
            found.append(f"{node.name} ({what}, line {node.lineno})")
    return found


def top_level_names(source: str) -> set[str]:
    """Classes, functions and names assigned at the top level of ``source``."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names
