"""The database the SQL exercise is attacked on: a sqlite file in a temporary folder.

Two tables: ``users(id, name, email)``, which ``find_user`` reads, and ``api_keys(id, owner,
token)``, which no honest query touches (a UNION payload that returns a token has read
it). Some honest names are hard on string-built SQL: a quote (``O'Brien``), Unicode, two
users named alike, and a user named like an injection payload, so that a blocklist of
payloads turns an honest user away.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

USERS: tuple[tuple[int, str, str], ...] = (
    (1, "alice", "alice@example.com"),
    (2, "bob", "bob@example.com"),
    (3, "O'Brien", "obrien@example.com"),
    (4, "Zoë", "zoe@example.com"),
    (5, "Robert'); DROP TABLE users;--", "bobby.tables@example.com"),
    (6, "Alice", "alice.upper@example.com"),
    (7, "李雷", "lilei@example.com"),
    (8, "bob", "bob.two@example.com"),
    (9, "100% real", "percent@example.com"),
    (10, "a_b", "underscore@example.com"),
)
API_KEYS: tuple[tuple[int, str, str], ...] = (
    (1, "alice", "sk_live_7Qm2ZpR9xW4vT1nB"),
    (2, "bob", "sk_live_Hd83LsK2qPz0Yc6E"),
)
SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
CREATE TABLE api_keys (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, token TEXT NOT NULL);
"""


def make_database(folder: Path) -> Path:
    """A new database file ``folder/users.db`` with `USERS` and `API_KEYS`."""
    path = Path(folder) / "users.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO users VALUES (?, ?, ?)", USERS)
        conn.executemany("INSERT INTO api_keys VALUES (?, ?, ?)", API_KEYS)
        conn.commit()
    finally:
        conn.close()
    return path


def expected_rows(name: str) -> list[list[object]]:
    """The rows ``find_user`` must return for ``name``: exact, case-sensitive, by id."""
    return [list(row) for row in USERS if row[1] == name]


def contents_digest(path: Path) -> str:
    """sha256 of the database's schema and rows (read-only: the reading changes nothing), or
    a sentence saying why it cannot be read (a payload may have broken the file)."""
    try:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return f"unreadable: {exc}"
    try:
        digest = hashlib.sha256()
        for line in conn.iterdump():
            digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
        return digest.hexdigest()
    except sqlite3.Error as exc:
        return f"unreadable: {exc}"
    finally:
        conn.close()


def leaked_tokens(value: object) -> list[str]:
    """The api_keys tokens found anywhere in ``value`` (what a function returned)."""
    text = repr(value)
    return [token for _, _, token in API_KEYS if token in text]
