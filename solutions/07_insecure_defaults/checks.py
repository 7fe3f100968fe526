"""Public tests of chapter 07: insecure defaults, graded by attacks.

``check("find_user")`` (and the others) run them in your notebook. Your functions run in a
separate process (grader/snippets), and the tests attack them with real things: a sqlite
database in a temporary folder and injection payloads, a pickle that runs code, tampered
and truncated blobs, passwords searched for in everything your code printed, logged or
raised, Set-Cookie headers read by Python's cookie parser, and URLs built to fool string
checks. What the attack did is read from outside your process (the database's contents,
a marker file, the captured output). When your notebook is graded, the same tests run
outside your kernel on the files you hand in, followed by hidden attacks. bandit's
findings on your code are shown under the table, as information, not points.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt

from grader.attacks import database, leaks, pickles
from grader.attacks.bandit import bandit_report
from grader.attacks.constant_time import read_comparisons
from grader.attacks.cookies import NotACookie, read_set_cookie
from grader.snippets import CallFailed, CallResult
from grader.snippets.expect import (
    as_function,
    as_functions,
    call,
    expect_error,
    expect_value,
    short,
)
from grader.testing import TestSuite

suite = TestSuite()
TIMEOUT = 120.0  # seconds per test: a child process, bcrypt at cost 12, hundreds of calls
SQLITE = "grader.attacks.adapters:sqlite"
LOGGED = "grader.attacks.adapters:logged"
SESSION = ("dump_session", "load_session")
PASSWORD = ("hash_password", "verify_password")


def with_bandit(source: str, what: str, test: Any) -> Any:
    """Run ``test()``; bandit's findings on ``source`` go under the table whether it passes
    (returned) or fails (attached to the AssertionError)."""
    __tracebackhide__ = True
    report = bandit_report(source, what)
    try:
        test()
    except AssertionError as exc:
        exc.report = report
        raise
    return report


@contextlib.contextmanager
def masking(*secrets_shown: str) -> Iterator[None]:
    """Failure messages with every form of these secrets masked: feedback never repeats a
    password or a token, even one a submission echoed in its own error."""
    __tracebackhide__ = True
    try:
        yield
    except AssertionError as exc:
        text = str(exc)
        for secret in secrets_shown:
            text = leaks.mask(secret, text) if secret.strip() else text
        if text == str(exc):
            raise
        masked = AssertionError(text)
        masked.report = getattr(exc, "report", None)  # bandit's findings, shown under the table
        raise masked from None


def scrubbed(result: CallResult, secret: str) -> CallResult:
    """``result`` with ``secret`` masked in what a failure message may quote (a returned
    object's repr and str, an error's message), before any quoting cuts it short."""
    value, error = result.value, result.error
    if isinstance(value, dict) and "__object__" in value:
        value = {**value, "repr": leaks.mask(secret, str(value.get("repr"))),
                 "str": leaks.mask(secret, str(value.get("str")))}
    if error is not None:
        error = CallFailed(error.type_names, leaks.mask(secret, error.message))
    return CallResult(value, error, result.seconds)


# --- 1. find_user(conn, name) on a real database -------------------------------------------

HONEST = ("alice", "bob", "Zoë", "李雷", "Alice", "nobody")
INJECTIONS = ("' OR '1'='1", "x' UNION SELECT id, owner, token FROM api_keys --",
              "'; DROP TABLE users; --")


def expect_rows(f: Any, db: database.Database, name: str) -> None:
    """Exactly the users named ``name``, by id, and the database unchanged."""
    __tracebackhide__ = True
    before = database.contents_digest(db.path)
    what = f"find_user(conn, {name!r})"
    result = call(f, str(db.path), name, what=what)
    if result.error is not None:
        why = (" (the name reached the SQL parser as SQL: pass it as a parameter)"
               if result.error.is_a("sqlite3.Error") else "")
        raise AssertionError(f"{what} raised {result.error.type_name}: "
                             f"{result.error.message[:160]}{why}")
    want = db.expected_rows(name)
    got = result.value
    if isinstance(got, list):
        got = [list(r) if isinstance(r, list | tuple) else r for r in got]
    stolen = db.leaked_tokens(got)
    if stolen:
        raise AssertionError(f"{what} returned rows of the api_keys table ({len(stolen)} "
                             f"secret tokens): {short(got)}")
    if got != want:
        raise AssertionError(f"{what} returned {short(got, 160)}; expected {short(want, 160)}")
    if database.contents_digest(db.path) != before:
        raise AssertionError(f"{what} changed the database (its contents' checksum differs)")


def find_user_attacks(find_user: Any, names: tuple[str, ...]) -> Any:
    __tracebackhide__ = True
    with as_function(find_user, "find_user", adapter=SQLITE) as f, \
            tempfile.TemporaryDirectory() as folder:
        db = database.make_database(Path(folder))

        def attack() -> None:
            for name in names:
                expect_rows(f, db, name)

        return with_bandit(f.source, "find_user", attack)


@suite.test("find_user_safe", timeout=TIMEOUT)
def honest_names(find_user):
    """honest names get exactly their rows: two bobs, Unicode, case, nobody"""
    return find_user_attacks(find_user, HONEST)


@suite.test("find_user_safe", timeout=TIMEOUT)
def injections(find_user):
    """injection payloads get no rows, no tokens, no error, and change nothing"""
    find_user_attacks(find_user, INJECTIONS)


# --- 2. dump_session(data, key) / load_session(blob, key) -----------------------------------

KEY = secrets.token_bytes(32)  # new in every run, like every value below that an answer
OTHER_KEY = secrets.token_bytes(32)  # could be hard-coded against
SESSION_DATA = {"user": "zoë", "roles": ["admin", "dev"], "visits": 3, "ratio": 0.5,
                "active": True, "note": None, "prefs": {"theme": "dark", "tz": "Europe/Berlin"}}


def dumped(fs: dict[str, Any], data: Any, key: bytes) -> bytes:
    __tracebackhide__ = True
    what = f"dump_session({short(data, 40)}, key)"
    blob = expect_value(call(fs["dump_session"], data, key, what=what), what)
    if not isinstance(blob, bytes):
        raise AssertionError(f"{what} returned {type(blob).__name__}; expected bytes")
    return blob


def expect_refused(fs: dict[str, Any], blob: bytes, key: bytes, what: str,
                   original: Any = None) -> None:
    """``load_session`` raises ValueError for ``blob``, or (``original`` given) returns
    exactly it: a change in bits an encoding ignores is not a forgery."""
    __tracebackhide__ = True
    result = call(fs["load_session"], blob, key, what=what)
    if result.error is None:
        if original is not None and result.value == original:
            return
        raise AssertionError(f"{what} returned {short(result.value)}; expected ValueError "
                             f"(the blob was not made by dump_session with this key)")
    if not result.error.is_a("ValueError"):
        raise AssertionError(f"{what} raised {result.error.type_name}: "
                             f"{result.error.message[:120]}; expected ValueError")


@suite.test("sessions_safe", timeout=TIMEOUT)
def session_round_trip(namespace):
    """a session round-trips; another key, a short key and non-bytes are refused"""
    with as_functions(namespace, SESSION) as fs:
        def attack() -> None:
            blob = dumped(fs, SESSION_DATA, KEY)
            what = "load_session(dump_session(data, key), key)"
            got = expect_value(call(fs["load_session"], blob, KEY, what=what), what)
            if got != SESSION_DATA:
                raise AssertionError(f"{what} returned {short(got)}; expected "
                                     f"{short(SESSION_DATA)}")
            expect_refused(fs, blob, OTHER_KEY, "load_session(blob, <another key>)")
            what = "dump_session(data, b'short key')"
            expect_error(call(fs["dump_session"], SESSION_DATA, b"short key", what=what),
                         ("ValueError",), what)

        return with_bandit(fs["load_session"].source, "dump_session and load_session", attack)


@suite.test("sessions_safe", timeout=TIMEOUT)
def session_tampering(namespace):
    """every changed byte and every truncation of a blob is refused"""
    with as_functions(namespace, SESSION) as fs:
        blob = dumped(fs, SESSION_DATA, KEY)
        for i in range(len(blob)):
            changed = blob[:i] + bytes([blob[i] ^ 0x01]) + blob[i + 1:]
            expect_refused(fs, changed, KEY, f"load_session(<byte {i} of the blob changed>, "
                           f"key)", SESSION_DATA)
        for n in range(len(blob)):
            expect_refused(fs, blob[:n], KEY, f"load_session(<the first {n} of "
                           f"{len(blob)} bytes>, key)", SESSION_DATA)


def expect_pickle_never_runs(fs: dict[str, Any], protocols: tuple[int, ...]) -> None:
    __tracebackhide__ = True
    with tempfile.TemporaryDirectory() as folder, pickles.Alarm() as alarm:
        marker = Path(folder) / "pwned"
        for protocol in protocols:
            evil = pickles.malicious_pickle(marker, protocol, alarm)
            for form, blob in pickles.disguises(evil).items():
                what = f"load_session(<a malicious pickle, protocol {protocol}, {form}>, key)"
                call(fs["load_session"], blob, KEY, what=what)
                wrote, rang = marker.exists(), alarm.rang()
                if wrote or rang:
                    how = "created a file" if wrote else "sent a datagram (its file is gone)"
                    raise AssertionError(f"{what} ran the attacker's code: it {how}. Never "
                                         f"unpickle what a client sent.")
                expect_refused(fs, blob, KEY, what)


@suite.test("sessions_safe", timeout=TIMEOUT)
def malicious_pickle(namespace):
    """a malicious pickle, raw or base64, never runs and is refused"""
    with as_functions(namespace, SESSION) as fs:
        expect_pickle_never_runs(fs, (4,))


@suite.test("sessions_safe", timeout=TIMEOUT)
def data_not_code(namespace):
    """the blob carries data, not a pickle, and the MAC is compared in constant time"""
    with as_functions(namespace, SESSION) as fs:
        blob = dumped(fs, SESSION_DATA, KEY)
        if pickles.carries_pickle(blob):
            raise AssertionError("dump_session's blob carries a pickle: anyone who gets the "
                                 "key can make load_session run code. Use JSON.")
        source = fs["load_session"].source
        if not source.strip():
            raise AssertionError("the source of load_session was not found")
        try:
            found = read_comparisons(source)
        except SyntaxError as exc:
            raise AssertionError(f"the code does not parse: {exc}") from None
        if found.unsafe:
            raise AssertionError(f"a MAC is compared with == or != ({found.unsafe[0]}): the "
                                 f"time it takes tells an attacker how many bytes matched. "
                                 f"Use hmac.compare_digest.")
        if not found.constant_time:
            raise AssertionError("no constant-time comparison (hmac.compare_digest) in the "
                                 "code: how is the signature checked?")


# --- 3. hash_password(raw) / verify_password(raw, stored) -----------------------------------

PASSWORD_OK = f"Pw-{secrets.token_urlsafe(12)}"
UNICODE_OK = "Zoë's Pässwörd 2026 ☂"
BCRYPT = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")
POLICY = {  # label -> a password the policy rejects
    "the empty string": "",
    "16 spaces": " " * 16,
    "tabs and newlines": "\t \n" * 5,
    "8 characters": "Xq7#vL2p",
    "73 ASCII bytes": "Qz" + "x" * 71,
    "40 × 'ü' (40 characters, 80 UTF-8 bytes)": "ü" * 40,
    "a NUL character": "Nul\x00Byte-Password-9",
}


def hashed(fs: dict[str, Any], raw: str, what: str) -> str:
    """The bcrypt hash text of ``hash_password(raw)``'s result, checked to be bcrypt at cost
    12 of this very password (by bcrypt, here)."""
    __tracebackhide__ = True
    got = expect_value(call(fs["hash_password"], raw, what=what), what)
    if not isinstance(got, dict) or "__object__" not in got:
        raise AssertionError(f"{what} returned {type(got).__name__}; expected a "
                             f"HashedPassword (the struct, with the hash in .value)")
    value = got["attributes"].get("value")
    match = BCRYPT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise AssertionError(f"{what}.value is {short(value)}; expected a bcrypt hash "
                             f"'$2b$12$' + 53 characters")
    if match.group(1) != "12":
        raise AssertionError(f"{what}.value has cost {match.group(1)}; the spec says cost "
                             f"factor 12")
    if not bcrypt.checkpw(unicodedata.normalize("NFC", raw).encode(), value.encode()):
        raise AssertionError(f"{what}.value is not a bcrypt hash of the password")
    return value


def verified(fs: dict[str, Any], raw: str, stored: str, what: str) -> Any:
    __tracebackhide__ = True
    got = expect_value(call(fs["verify_password"], raw, stored, what=what), what)
    if not isinstance(got, bool):
        raise AssertionError(f"{what} returned {short(got)}; expected True or False")
    return got


@suite.test("passwords_safe", timeout=TIMEOUT)
def bcrypt_at_cost_12(namespace):
    """a bcrypt hash at cost 12, salted each time; verify says True and False"""
    with masking(PASSWORD_OK, *POLICY.values()), \
            as_functions(namespace, PASSWORD, adapter=LOGGED) as fs:
        def attack() -> None:
            first = hashed(fs, PASSWORD_OK, "hash_password(<a good password>)")
            second = hashed(fs, PASSWORD_OK, "hash_password(<the same password again>)")
            if first == second:
                raise AssertionError("two hashes of the same password are equal: no salt")
            if not verified(fs, PASSWORD_OK, first, "verify_password(<it>, <its hash>)"):
                raise AssertionError("verify_password(<the password>, <its hash>) is False")
            for label, other in (("another password", PASSWORD_OK[:-1] + "!"),
                                 ("it with a trailing space", PASSWORD_OK + " ")):
                if verified(fs, other, first, f"verify_password(<{label}>, <the hash>)"):
                    raise AssertionError(f"verify_password(<{label}>, <the hash>) is True")

        return with_bandit(fs["hash_password"].source, "hash_password and verify_password",
                           attack)


@suite.test("passwords_safe", timeout=TIMEOUT)
def password_policy(namespace):
    """policy: short, blank, NUL, over 72 UTF-8 bytes raise; 72 bytes and Unicode pass"""
    with masking(PASSWORD_OK, *POLICY.values()), \
            as_functions(namespace, PASSWORD, adapter=LOGGED) as fs:
        for label, raw in POLICY.items():
            what = f"hash_password(<{label}>)"
            expect_error(call(fs["hash_password"], raw, what=what), ("PasswordPolicyError",),
                         what)
        for label, raw in (("72 ASCII bytes", "Qz" + "x" * 70), ("a Unicode password",
                                                                   UNICODE_OK)):
            hashed(fs, raw, f"hash_password(<{label}>)")
        what = "hash_password(b'bytes-not-a-str-1234')"
        expect_error(call(fs["hash_password"], b"bytes-not-a-str-1234", what=what),
                     ("TypeError",), what)


@suite.test("passwords_safe", timeout=TIMEOUT)
def verify_never_raises_for_a_password(namespace):
    """verify is False for a password the policy rejects; ValueError for a non-bcrypt hash"""
    with masking(PASSWORD_OK, *POLICY.values()), \
            as_functions(namespace, PASSWORD, adapter=LOGGED) as fs:
        stored = bcrypt.hashpw(PASSWORD_OK.encode(), bcrypt.gensalt(12)).decode()
        for label, raw in POLICY.items():
            if verified(fs, raw, stored, f"verify_password(<{label}>, <a hash>)"):
                raise AssertionError(f"verify_password(<{label}>, <a hash>) is True")
        what = "verify_password(<a password>, 'md5$5f4dcc3b5aa765d6')"
        expect_error(call(fs["verify_password"], PASSWORD_OK, "md5$5f4dcc3b5aa765d6",
                          what=what), ("ValueError",), what)


def leak_sources(fs: dict[str, Any], results: list[Any], allowed: tuple[str, ...] = ()
                 ) -> list[tuple[str, str]]:
    """Where a secret may show: what the children printed and logged (with tracebacks),
    and every value and error message they answered. A returned object counts by its repr,
    its str and its fields, except the fields named in ``allowed`` (a config's token)."""
    texts = [(f"what {name} printed or logged", f.output(limit=None))
             for name, f in fs.items()]
    for what, result in results:
        value = result.value
        if result.error is not None:
            texts.append((f"the message of the error {what} raised", result.error.message))
        elif isinstance(value, dict) and "__object__" in value:
            fields = {k: v for k, v in value.get("attributes", {}).items() if k not in allowed}
            texts += [(f"repr() of what {what} returned", str(value.get("repr"))),
                      (f"str() of what {what} returned", str(value.get("str"))),
                      (f"the fields of what {what} returned", repr(fields))]
        else:
            texts.append((f"what {what} returned", repr(value)))
    return texts


@suite.test("passwords_safe", timeout=TIMEOUT)
def password_never_shown(namespace):
    """the password appears nowhere: not in logs at DEBUG, output, errors or the struct"""
    secrets = {"a good password": "Tr0ub4dor&3-Horse-Staple", "a too-long one": "Lg" * 40,
               "a too-short one": "Sh0rt!x9", "a password with a NUL": "Nul\x00Leak-Password-5"}
    with masking(PASSWORD_OK, *POLICY.values()), \
            as_functions(namespace, PASSWORD, adapter=LOGGED) as fs:
        stored = bcrypt.hashpw(b"Something-Else-Entirely-1", bcrypt.gensalt(4)).decode()
        results = []
        for label, raw in secrets.items():
            for name, args in (("hash_password", (raw,)), ("verify_password", (raw, stored))):
                what = f"{name}(<{label}>)"
                results.append((what, call(fs[name], *args, what=what)))
        for label, raw in secrets.items():
            found = leaks.find_leak(raw, leak_sources(fs, results))
            if found:
                raise AssertionError(f"<{label}> leaked: {found}")


# --- 4. session_cookie(session_id) -----------------------------------------------------------

SESSION_ID = f"sess_{secrets.token_urlsafe(16)}"
BAD_IDS = {
    "a CR LF and a second Set-Cookie": "sess_Zx81-Qw7MmV3pT\r\nSet-Cookie: admin=1",
    "an LF and a header": "sess_Zx81-Qw7MmV3pT\nX-Injected: 1",
    "'; Domain=evil.example'": "sess_Zx81-Qw7MmV3pT; Domain=evil.example",
    "15 characters": "sess_Zx81-Qw7Mm",
    "the empty string": "",
}


def cookie_header(f: Any, session_id: Any) -> str:
    __tracebackhide__ = True
    what = f"session_cookie({short(session_id)})"
    header = expect_value(call(f, session_id, what=what), what)
    if not isinstance(header, str):
        raise AssertionError(f"{what} returned {type(header).__name__}; expected the header "
                             f"value as a str")
    return header


@suite.test("session_cookie_safe", timeout=TIMEOUT)
def cookie_attributes(session_cookie):
    """the header parses to one cookie: HttpOnly, Secure, SameSite, Path=/, Max-Age=3600"""
    with as_function(session_cookie, "session_cookie") as f:
        def attack() -> None:
            header = cookie_header(f, SESSION_ID)
            try:
                cookie = read_set_cookie(header)
            except NotACookie as exc:
                raise AssertionError(f"session_cookie(<an id>) = {short(header)}: {exc}"
                                     ) from None
            got = cookie.attributes
            problems = []
            if (cookie.name, cookie.value) != ("session", SESSION_ID):
                problems.append(f"the cookie is {cookie.name}={short(cookie.value)}, not "
                                f"session=<the id>")
            for flag, shown in (("httponly", "HttpOnly"), ("secure", "Secure")):
                if got.get(flag) is not True:
                    problems.append(f"no {shown} flag")
            if str(got.get("samesite", "")).lower() not in ("lax", "strict"):
                problems.append(f"SameSite is {got.get('samesite', 'missing')!r}, not Lax "
                                f"or Strict")
            if got.get("path") != "/":
                problems.append(f"Path is {got.get('path', 'missing')!r}, not '/'")
            if str(got.get("max-age", "")) != "3600":
                problems.append(f"Max-Age is {got.get('max-age', 'missing')!r}, not 3600")
            if "domain" in got:
                problems.append(f"a Domain ({got['domain']!r}) widens who receives it")
            if problems:
                raise AssertionError(f"{short(header, 120)}: " + "; ".join(problems))

        return with_bandit(f.source, "session_cookie", attack)


@suite.test("session_cookie_safe", timeout=TIMEOUT)
def cookie_injection(session_cookie):
    """ids that would inject a header or an attribute, or are too short, raise ValueError"""
    with as_function(session_cookie, "session_cookie") as f:
        for label, bad in BAD_IDS.items():
            what = f"session_cookie(<{label}>)"
            expect_error(call(f, bad, what=what), ("ValueError",), what)
        what = "session_cookie(None)"
        expect_error(call(f, None, what=what), ("ValueError", "TypeError"), what)


# --- 5. load_config(env) ----------------------------------------------------------------------

TOKEN = f"tok_{secrets.token_urlsafe(16)}"
ACCEPTED = ("https://api.example.com/v1", "http://localhost:8080/v1", "http://127.0.0.1:9000",
            "http://[::1]:8443/x")
REFUSED = ("http://api.example.com/v1", "http://10.0.0.5/", "ftp://api.example.com/",
           "api.example.com", "http://user:pw@localhost/")


def configured(f: Any, env: dict[str, str], what: str) -> dict[str, Any]:
    __tracebackhide__ = True
    got = expect_value(call(f, env, what=what), what)
    if not isinstance(got, dict) or "__object__" not in got:
        raise AssertionError(f"{what} returned {type(got).__name__}; expected an ApiConfig")
    return got


@suite.test("config_safe", timeout=TIMEOUT)
def config_accepts(load_config):
    """https anywhere, and http to loopback (localhost, 127.0.0.0/8, ::1), are accepted"""
    with masking(TOKEN), as_function(load_config, "load_config", adapter=LOGGED) as f:
        def attack() -> None:
            for url in ACCEPTED:
                what = f"load_config({{'API_URL': {url!r}, 'API_TOKEN': <a token>}})"
                got = configured(f, {"API_URL": url, "API_TOKEN": TOKEN}, what)
                fields = got["attributes"]
                if fields.get("url") != url or fields.get("token") != TOKEN:
                    raise AssertionError(f"{what} has url={short(fields.get('url'))}, token "
                                         f"{'right' if fields.get('token') == TOKEN else 'wrong'}"
                                         f"; expected the URL and the token as given")

        return with_bandit(f.source, "load_config", attack)


@suite.test("config_safe", timeout=TIMEOUT)
def config_refuses(load_config):
    """http:// to another host, other schemes and credentials in the URL: ConfigError"""
    with masking(TOKEN), as_function(load_config, "load_config", adapter=LOGGED) as f:
        for url in REFUSED:
            what = f"load_config({{'API_URL': {url!r}, 'API_TOKEN': <a token>}})"
            expect_error(scrubbed(call(f, {"API_URL": url, "API_TOKEN": TOKEN}, what=what),
                                  TOKEN), ("ConfigError",), what)


@suite.test("config_safe", timeout=TIMEOUT)
def config_missing(load_config):
    """a missing or blank setting raises ConfigError naming the variable"""
    url = "https://api.example.com/v1"
    cases = (({"API_URL": url}, "API_TOKEN"), ({"API_TOKEN": TOKEN}, "API_URL"),
             ({"API_URL": url, "API_TOKEN": "   "}, "API_TOKEN"), ({}, "API_(URL|TOKEN)"))
    with masking(TOKEN), as_function(load_config, "load_config", adapter=LOGGED) as f:
        for env, names in cases:
            shown = {k: ("<a token>" if v == TOKEN else v) for k, v in env.items()}
            what = f"load_config({shown})"
            expect_error(scrubbed(call(f, env, what=what), TOKEN), ("ConfigError",), what,
                         says=names)


@suite.test("config_safe", timeout=TIMEOUT)
def config_never_shows_token(load_config):
    """the token appears nowhere: repr, str, error messages, logs or output"""
    with masking(TOKEN), as_function(load_config, "load_config", adapter=LOGGED) as f:
        results = []
        for url in ("https://api.example.com/v1", *REFUSED[:2], ""):
            what = f"load_config(<API_URL={url!r} and a token>)"
            results.append((what, call(f, {"API_URL": url, "API_TOKEN": TOKEN}, what=what)))
        found = leaks.find_leak(TOKEN, leak_sources({"load_config": f}, results, ("token",)))
        if found:
            raise AssertionError(f"the token leaked: {found}")
