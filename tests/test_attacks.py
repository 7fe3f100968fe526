"""grader/attacks: the components chapter 07 attacks with, and the readings it grades on."""

from __future__ import annotations

import pickle
import sqlite3

import pytest

from grader.attacks import database, leaks, pickles
from grader.attacks.bandit import bandit_report
from grader.attacks.constant_time import read_comparisons
from grader.attacks.cookies import NotACookie, read_set_cookie
from grader.snippets.python import PythonFunction


def _injectable(conn, name):
    return conn.execute(f"SELECT id, name, email FROM users WHERE name = '{name}'").fetchall()


def _destructive(conn, name):
    conn.executescript(f"DELETE FROM users WHERE name = '{name}'")
    return []


def _logs_and_raises(raw):
    import logging

    logging.getLogger("app").debug("got %s", raw)
    try:
        raise KeyError(raw)
    except KeyError as exc:
        raise ValueError("policy") from exc


class _Config:
    def __init__(self, url, token):
        self.url, self.token = url, token

    def __repr__(self):
        return f"Config({self.url})"


def _config(url):
    return _Config(url, "t0k3n")


# --- database ------------------------------------------------------------------------------


def test_the_database_digest_sees_any_change_and_reading_changes_nothing(tmp_path):
    path = database.make_database(tmp_path).path
    first = database.contents_digest(path)
    assert first == database.contents_digest(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE users SET email = 'x' WHERE id = 1")
    conn.commit()
    conn.close()
    assert database.contents_digest(path) != first
    path.write_bytes(b"not a database")
    assert database.contents_digest(path).startswith("unreadable")


def test_expected_rows_are_exact_ordered_and_new_in_every_database(tmp_path):
    db = database.make_database(tmp_path)
    assert [r[0] for r in db.expected_rows("bob")] == [2, 8]
    assert [r[:2] for r in db.expected_rows("Alice")] == [[6, "Alice"]]
    assert db.expected_rows("' OR '1'='1") == []
    token = db.api_keys[0][2]
    assert db.leaked_tokens([[1, "alice", token]]) == [token]
    again = database.make_database(tmp_path)
    assert not set(again.users) & set(db.users) and again.api_keys != db.api_keys


def test_the_sqlite_adapter_gives_a_connection_and_commits(tmp_path):
    db = database.make_database(tmp_path)
    path = db.path
    with PythonFunction.from_callable(_injectable, adapter="grader.attacks.adapters:sqlite") as f:
        assert f(str(path), "alice") == db.expected_rows("alice")
        assert len(f(str(path), "' OR '1'='1")) == len(db.users)
    before = database.contents_digest(path)
    with PythonFunction.from_callable(_destructive, adapter="grader.attacks.adapters:sqlite") as f:
        assert f(str(path), "x' OR '1'='1") == []
    assert database.contents_digest(path) != before  # committed, as an application would


def test_an_adapter_must_be_one_of_the_courses():
    with pytest.raises(ValueError, match="adapter"):
        PythonFunction.from_callable(_config, adapter="os:system")


# --- pickles ----------------------------------------------------------------------------------


def test_the_malicious_pickle_writes_only_its_marker_and_rings(tmp_path):
    marker = tmp_path / "pwned"
    with pickles.Alarm() as alarm, pickles.Alarm() as other:
        blob = pickles.malicious_pickle(marker, protocol=2, alarm=alarm)
        assert not marker.exists() and not alarm.rang()
        pickle.loads(blob)  # noqa: S301 - the point of the test: loading runs the code
        marker.unlink()  # what a loader hiding its tracks would do: the datagram stays
        assert alarm.rang() and not other.rang()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_a_pickle_is_found_in_each_disguise(tmp_path, protocol):
    blob = pickles.malicious_pickle(tmp_path / "m", protocol)
    for form, disguised in pickles.disguises(blob).items():
        assert pickles.carries_pickle(disguised), form


def test_json_sessions_do_not_look_like_pickles():
    import base64
    import json

    body = base64.urlsafe_b64encode(json.dumps({"user": "zoë", "n": 1}).encode()).rstrip(b"=")
    assert not pickles.carries_pickle(body + b"." + base64.urlsafe_b64encode(bytes(32)))
    assert not pickles.carries_pickle(b"")
    # A MAC that starts like a pickle (PROTO 4) is still not one: pickletools cannot read
    # it to a STOP on its last byte.
    mac = b"\x80\x04" + bytes(range(30))
    assert not pickles.carries_pickle(body + b"." + base64.urlsafe_b64encode(mac))


# --- leaks ------------------------------------------------------------------------------------


def test_a_secret_is_found_in_every_form_and_masked():
    import base64

    secret = "Pässwörd\n1"
    raw = secret.encode()
    for text in (f"x {secret} y", f"x {secret!r} y", f"x {raw!r} y", f"x {raw.hex()} y",
                 f"token={base64.b64encode(raw + b'tail').decode()}"):
        found = leaks.find_leak(secret, [("the log", text)])
        assert found.startswith("it appears in the log"), text
        assert "Pässwörd" not in found and "P\\xe4ss" not in found and leaks.MASK in found
        assert raw.hex() not in found
    assert leaks.find_leak(secret, [("the log", "nothing here")]) == ""
    assert leaks.find_leak("   ", [("the log", "a   b")]) == ""


def test_the_logged_adapter_captures_logs_tracebacks_and_describes_objects():
    secret = "Sekret-Value-42"
    with PythonFunction.from_callable(_logs_and_raises,
                                      adapter="grader.attacks.adapters:logged") as f:
        result = f.call(secret)
        assert result.error is not None and result.error.message == "policy"
        printed = f.output(limit=None)
        assert "DEBUG app: got Sekret-Value-42" in printed
        assert "KeyError: 'Sekret-Value-42'" in printed  # the chained exception's text
    with PythonFunction.from_callable(_config, adapter="grader.attacks.adapters:logged") as f:
        got = f("https://x.example")
    assert got["__object__"].endswith("_Config")
    assert got["repr"] == "Config(https://x.example)"
    assert got["attributes"] == {"url": "https://x.example", "token": "t0k3n"}


# --- cookies ----------------------------------------------------------------------------------


def test_a_set_cookie_header_is_read_like_a_browser():
    cookie = read_set_cookie("Set-Cookie: session=abc123; Path=/; Max-Age=3600; HttpOnly; "
                             "Secure; SameSite=Lax")
    assert (cookie.name, cookie.value) == ("session", "abc123")
    assert cookie.attributes == {"path": "/", "max-age": "3600", "httponly": True,
                                 "secure": True, "samesite": "Lax"}


@pytest.mark.parametrize("header", ["session=a\r\nSet-Cookie: admin=1", "session=a\nX: y",
                                    "", "a=1, b=2; c=3", "session=a; Evil=1",
                                    "session=a; Path=/; Evil", None])
def test_what_is_not_one_cookie_is_refused(header):
    with pytest.raises(NotACookie):
        read_set_cookie(header)


# --- constant time, bandit --------------------------------------------------------------------


@pytest.mark.parametrize(("source", "ok"), [
    ("import hmac\ndef f(a, b): return hmac.compare_digest(a, b)", True),
    ("from secrets import compare_digest\ndef f(a, b): return compare_digest(a, b)", True),
    ("import itsdangerous\n", True),
    ("import hmac\ndef f(k, m, sig): return hmac.new(k, m, 'sha256').digest() == sig", False),
    ("def f(given_sig, mac): return given_sig != mac", False),
    ("import hmac\ndef f(k, m, s):\n    good = hmac.digest(k, m, 'sha256')\n"
     "    assert len(s) == 32\n    return hmac.compare_digest(s, good) and s != good", False),
    ("import hmac\ndef f(k, m, s):\n    n = len(s)\n    if n == 32 and s is not None:\n"
     "        return hmac.compare_digest(s, k)", True),
    ("import base64, hmac\ndef f(k, m, given):\n    good = base64.b64encode(hmac.new(k, m, "
     "'sha256').digest())\n    other = good.rstrip(b'=')\n    return given == other", False),
    ("import hashlib, hmac\ndef f(k, m, sig):\n    good = hmac.new(k, m, 'sha256').digest()\n"
     "    if len(sig) != hashlib.sha256().digest_size or len(good) != 32:\n        return False\n"
     "    return hmac.compare_digest(sig, good)", True),
])
def test_mac_comparisons_are_read_from_the_code(source, ok):
    assert read_comparisons(source).ok is ok


def test_bandit_reports_without_deciding():
    report = bandit_report("import pickle\ndef f(b):\n    return pickle.loads(b)\n", "f")
    assert {f.test_id for f in report.findings} == {"B403", "B301"}
    assert "information, not points" in str(report) and "B301" in report._repr_html_()
    assert bandit_report("def f(:\n", "f").error
    assert bandit_report("", "f").error == "the source was not found"
    assert "no findings" in str(bandit_report("x = 1\n", "f"))


def _leaks_then_floods(secret):
    print(secret)
    print("x" * (3 << 20))
    return None


def test_a_leak_followed_by_megabytes_of_noise_is_still_found():
    secret = "Flooded-Secret-77"
    with PythonFunction.from_callable(_leaks_then_floods) as f:
        f("Flooded-Secret-77")
        assert secret not in f.output()
        assert leaks.find_leak(secret, [("the output", f.output(limit=None))])
