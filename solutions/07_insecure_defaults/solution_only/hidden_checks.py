"""Hidden attacks of chapter 07: never released (nbgrader_config.py ignores solution_only/).

They are the payloads nobody listed: a fix that blocks the public ones by name, escapes a
few characters, or matches with a regex that lets a newline through passes check() and
fails here. ``register(suite, checks)`` adds them to the grade cells of checks.py, with its
helpers.
"""

from __future__ import annotations

from typing import Any

import bcrypt


def register(suite: Any, checks: Any) -> None:
    timeout = checks.TIMEOUT

    @suite.test("find_user_safe", timeout=timeout)
    def hidden_honest_names(find_user):
        """hidden: honest names with quotes and SQL in them, and LIKE's wildcards"""
        checks.find_user_attacks(find_user, (
            "O'Brien", "Robert'); DROP TABLE users;--", "100% real", "a_b", "a%", "_lice",
            "%", "bob ", " bob", "ALICE"))

    @suite.test("find_user_safe", timeout=timeout)
    def hidden_injections(find_user):
        """hidden: payloads in other spellings, comments and UNION forms"""
        checks.find_user_attacks(find_user, (
            "' or 1=1 --", "' Or 'x'='x", "'/**/OR/**/'a'='a", "alice' --", "alice'--",
            "' UNION ALL SELECT id, owner, token FROM api_keys WHERE '1'='1",
            "' union select 1, sqlite_version(), 3 --", "' OR name LIKE '%",
            "alice' AND 1=1 UNION SELECT 99, owner, token FROM api_keys --",
            "x'; DELETE FROM users; --", "\u2019 OR \u20181\u2019=\u20181"))

    @suite.test("sessions_safe", timeout=timeout)
    def hidden_session_forgeries(namespace):
        """hidden: pickles of protocols 0, 2 and 5; blobs spliced, extended, re-keyed"""
        with checks.as_functions(namespace, checks.SESSION) as fs:
            checks.expect_pickle_never_runs(fs, (0, 2, 5))
            blob = checks.dumped(fs, checks.SESSION_DATA, checks.KEY)
            other = checks.dumped(fs, {"user": "mallory", "roles": ["admin"]}, checks.OTHER_KEY)
            forged = {"the blob with bytes appended": blob + b"xx",
                      "the blob twice": blob + blob,
                      "the blob with a newline": blob + b"\n",
                      "a blob signed with another key": other,
                      "the blob's first half and another's second":
                          blob[: len(blob) // 2] + other[len(other) // 2:],
                      "an empty blob": b"",
                      "a lone dot": b"."}
            for label, changed in forged.items():
                checks.expect_refused(fs, changed, checks.KEY, f"load_session(<{label}>, key)",
                                      checks.SESSION_DATA if label.endswith("newline") else None)
            unicode = {"name": "李雷 🔑", "quote": "\"'\\", "empty": {}, "list": [[], [1.5]]}
            again = checks.dumped(fs, unicode, checks.KEY)
            what = "load_session(dump_session(<Unicode, quotes, nesting>, key), key)"
            got = checks.expect_value(checks.call(fs["load_session"], again, checks.KEY,
                                                  what=what), what)
            if got != unicode:
                raise AssertionError(f"{what} returned {checks.short(got)}")

    @suite.test("passwords_safe", timeout=timeout)
    def hidden_password_edges(namespace):
        """hidden: 72 bytes of 'ü' fits, 19 keys do not; NFC and NFD verify alike"""
        with checks.masking(checks.PASSWORD_OK), \
                checks.as_functions(namespace, checks.PASSWORD, adapter=checks.LOGGED) as fs:
            checks.hashed(fs, "ü" * 36, "hash_password(<36 × 'ü': 72 UTF-8 bytes>)")
            for label, raw in (("19 × '🔑' (76 UTF-8 bytes)", "🔑" * 19),
                               ("11 characters", "Elevenchars"),
                               ("whitespace and a NBSP", " \u00a0" * 8)):
                what = f"hash_password(<{label}>)"
                checks.expect_error(checks.call(fs["hash_password"], raw, what=what),
                                    ("PasswordPolicyError",), what)
            composed = "Caf\u00e9-Cr\u00e8me-Br\u00fbl\u00e9e"
            decomposed = "Cafe\u0301-Cre\u0300me-Bru\u0302le\u0301e"
            stored = checks.hashed(fs, composed, "hash_password(<é composed>)")
            if not checks.verified(fs, decomposed, stored,
                                   "verify_password(<é decomposed>, <hash of é composed>)"):
                raise AssertionError("verify_password(<the same password in NFD>, <its hash "
                                     "from NFC>) is False: normalize before hashing")
            cheap = bcrypt.hashpw(checks.PASSWORD_OK.encode(), bcrypt.gensalt(4)).decode()
            if not checks.verified(fs, checks.PASSWORD_OK, cheap,
                                   "verify_password(<a password>, <its cost-4 hash>)"):
                raise AssertionError("verify_password does not accept an older hash of another "
                                     "cost: the cost is read from the stored hash")

    @suite.test("session_cookie_safe", timeout=timeout)
    def hidden_cookie_ids(session_cookie):
        """hidden: comma, space, tab, NUL, Unicode, a final newline, lengths 15/16/128/129"""
        with checks.as_function(session_cookie, "session_cookie") as f:
            base = "sess_Zx81-Qw7MmV3pT9kLr2"
            bad = {"a comma": base + ",admin=1", "a space": base + " x", "a tab": base + "\t",
                   "a vertical tab": base + "\x0b", "a NUL": base + "\x00",
                   "a final newline": base + "\n", "Unicode letters": "é" * 20,
                   "a Unicode line separator": base + "\u2028", "an equals sign": base + "=",
                   "quotes": f'"{base}"', "129 characters": "a" * 129, "15 characters": "b" * 15,
                   "URL-encoded CR LF": base + "%0d%0aSet-Cookie:x=1"}
            for label, value in bad.items():
                what = f"session_cookie(<{label}>)"
                checks.expect_error(checks.call(f, value, what=what), ("ValueError",), what)
            for label, value in (("16 characters", "A" * 16), ("128 characters", "z_-9" * 32)):
                header = checks.cookie_header(f, value)
                cookie = checks.read_set_cookie(header)
                if cookie.value != value:
                    raise AssertionError(f"session_cookie(<{label}>) set the value "
                                         f"{checks.short(cookie.value)}")

    @suite.test("config_safe", timeout=timeout)
    def hidden_config_urls(load_config):
        """hidden: URLs that fool substring checks; the rest of loopback; odd spellings"""
        refused = ("HTTP://API.EXAMPLE.COM/v1", "http://localhost.evil.example/",
                   "http://localhost@evil.example/", "http://127.0.0.1.nip.io/",
                   "http://evil.example/?next=http://localhost", "http://evil.example#127.0.0.1",
                   "https://", "http://", "ws://localhost/", "file:///etc/passwd",
                   "http://[::ffff:10.0.0.1]/", "https://user@api.example.com/")
        accepted = ("http://127.8.9.10:8000/", "HTTPS://API.EXAMPLE.COM/v1",
                    "http://LOCALHOST:8080/", "https://10.0.0.5/")
        with checks.masking(checks.TOKEN), \
                checks.as_function(load_config, "load_config", adapter=checks.LOGGED) as f:
            for url in refused:
                what = f"load_config({{'API_URL': {url!r}, 'API_TOKEN': <a token>}})"
                result = checks.call(f, {"API_URL": url, "API_TOKEN": checks.TOKEN}, what=what)
                checks.expect_error(checks.scrubbed(result, checks.TOKEN), ("ConfigError",), what)
            for url in accepted:
                what = f"load_config({{'API_URL': {url!r}, 'API_TOKEN': <a token>}})"
                checks.configured(f, {"API_URL": url, "API_TOKEN": checks.TOKEN}, what)
            found = checks.leaks.find_leak(checks.TOKEN, [("what load_config printed or logged",
                                                           f.output(limit=None))])
            if found:
                raise AssertionError(f"the token leaked: {found}")
