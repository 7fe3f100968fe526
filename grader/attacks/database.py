"""The database the SQL exercise is attacked on: a sqlite file in a temporary folder.

Two tables: ``users(id, name, email)``, which ``find_user`` reads, and ``api_keys(id, owner,
token)``, which no honest query touches (a UNION payload that returns a token has read
it). Some honest names are hard on string-built SQL: a quote (``O'Brien``), Unicode, two
users named alike, and a user named like an injection payload, so that a blocklist of
payloads turns an honest user away. The emails and tokens are new in every database: the
rows can only be known by reading it, never from this module.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

NAMES = ("alice", "bob", "O'Brien", "Zoë", "Robert'); DROP TABLE users;--", "Alice", "李雷",
         "bob", "100% real", "a_b")  # ids 1, 2, ...
OWNERS = ("alice", "bob")
SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
CREATE TABLE api_keys (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, token TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Database:
    """A database file and the rows written into it."""

    path: Path
    users: tuple[tuple[int, str, str], ...]
    api_keys: tuple[tuple[int, str, str], ...]

    def expected_rows(self, name: str) -> list[list[object]]:
        """The rows ``find_user`` must return for ``name``: exact, case-sensitive, by id."""
        return [list(row) for row in self.users if row[1] == name]

    def leaked_tokens(self, value: object) -> list[str]:
        """The api_keys tokens found anywhere in ``value`` (what a function returned)."""
        text = repr(value)
        return [token for _, _, token in self.api_keys if token in text]


def make_database(folder: Path) -> Database:
    """A new database file ``folder/users.db``: `NAMES` with fresh emails, and a fresh API
    token for each of `OWNERS`."""
    users = tuple((i, name, f"user{i}.{secrets.token_hex(4)}@example.com")
                  for i, name in enumerate(NAMES, 1))
    keys = tuple((i, owner, f"sk_live_{secrets.token_urlsafe(12)}")
                 for i, owner in enumerate(OWNERS, 1))
    path = Path(folder) / "users.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO users VALUES (?, ?, ?)", users)
        conn.executemany("INSERT INTO api_keys VALUES (?, ?, ?)", keys)
        conn.commit()
    finally:
        conn.close()
    return Database(path, users, keys)


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
