"""Growth tests of the scale assignment: inputs, the AI versions, trusted answers.

The grader (grader/growth) reads ``[exercises.growth]`` in assignment.toml, makes every
timed input with ``make_<exercise>(rng, n)`` in its own trusted process, times the AI
version ``ai_<exercise>``, the model ``expected_<exercise>`` and your function in separate
worker processes at sizes drawn for the run, and checks every answer against
``expected_<exercise>`` computed in the trusted process.
"""

from __future__ import annotations

import unicodedata

import numpy as np

# --- the AI version, verbatim from the exercise text -------------------------------------


def ai_match_orders(customers, orders):
    result = []
    for email in orders:
        match = -1
        for i, customer in enumerate(customers):
            if customer.lower() == email.lower():
                match = i
                break
        result.append(match)
    return result


# --- inputs: valid under the contract, never seen before by the candidate -----------------

# Pieces of the local part of an address. Some are spelled differently by case-insensitive
# rules than by str.lower(): "ß" casefolds to "ss" (so "STRASSE" matches it), and "é" may
# arrive composed (U+00E9) or decomposed ("e" + U+0301), which NFC makes one.
_PIECES = ["an", "bo", "ca", "de", "el", "fa", "gu", "hi", "jo", "ka", "li", "mo", "ne",
           "or", "pa", "qu", "ri", "su", "ta", "ul", "ve", "wi", "xa", "yo", "ze",
           "stra\u00dfe", "ren\u00e9", "rene\u0301", "m\u00fcller", "\u00f8ye"]
_DOMAINS = ["example.com", "mail.test", "shop.example", "corp.test"]
_SHAPES = (str.lower, str.upper, str.title, str)


def _address(identity: int, salt: int) -> str:
    x = (identity * 2_654_435_761 + salt) % 1_000_003
    local = _PIECES[x % 30] + _PIECES[(x // 30) % 30] + str(identity)
    return f"{local}@{_DOMAINS[(x // 900) % 4]}"


def _spelled(address: str, shape: int, decompose: bool) -> str:
    """One way a person might type ``address``: another case, maybe decomposed accents."""
    text = _SHAPES[shape](address)
    return unicodedata.normalize("NFD", text) if decompose else text


def make_match_orders(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    """n customers (about a quarter of them the same person registered twice, spelled
    differently) and n orders (four in five by a customer, spelled any way; the rest by
    nobody registered)."""
    salt = int(rng.integers(0, 1 << 30))
    pool = max(1, (3 * n) // 4)
    who = rng.integers(0, pool, n)
    buyer = np.where(rng.random(n) < 0.8, who[rng.integers(0, n, n)], pool + np.arange(n))
    shapes = rng.integers(0, 4, 2 * n)
    decompose = rng.random(2 * n) < 0.1
    customers = [_spelled(_address(int(i), salt), int(s), bool(d))
                 for i, s, d in zip(who, shapes[:n], decompose[:n], strict=True)]
    orders = [_spelled(_address(int(i), salt), int(s), bool(d))
              for i, s, d in zip(buyer, shapes[n:], decompose[n:], strict=True)]
    return customers, orders


# --- trusted answer, computed in the grader's own process (and timed as the model) ---------


def expected_match_orders(customers, orders):
    first: dict[str, int] = {}
    for i, email in enumerate(customers):
        first.setdefault(unicodedata.normalize("NFC", email).casefold(), i)
    return np.array([first.get(unicodedata.normalize("NFC", email).casefold(), -1)
                     for email in orders], dtype=np.int64)


# --- profile_cache: a stream of user ids through a cache in front of a slow service --------

CACHE_SIZE = 1_000
HOT_KEYS = 200


def ai_profile_cache(load, maxsize=CACHE_SIZE):
    cache = {}

    def get(user_id):
        if user_id not in cache:
            cache[user_id] = load(user_id)
        return cache[user_id]

    return get


def model_profile_cache(load, maxsize):
    import functools

    return functools.lru_cache(maxsize=maxsize)(load)


def make_profile_cache(rng: np.random.Generator, n: int) -> tuple[int, list[int]]:
    """n requests: seven in ten for users seen once (a crawler, a batch job: the stream that
    fills an unbounded cache), three in ten for a few hundred regulars (what a cache is for)."""
    fresh = rng.permutation(n * 10)[:n] + HOT_KEYS
    hot = rng.integers(0, HOT_KEYS, n)
    keys = np.where(rng.random(n) < 0.3, hot, fresh)
    return CACHE_SIZE, keys.tolist()


def expected_profile_cache(maxsize: int, keys: list[int]) -> np.ndarray:
    """For each get of a least-recently-used cache of ``maxsize`` entries: the serial
    number of the load behind its answer, and the key (grader/growth/drivers.py,
    cache_stream, numbers the loads)."""
    from collections import OrderedDict

    cache: OrderedDict[int, int] = OrderedDict()
    serial = 0
    out = np.empty((len(keys), 2), dtype=np.int64)
    for i, key in enumerate(keys):
        if key in cache:
            cache.move_to_end(key)
        else:
            serial += 1
            cache[key] = serial
            if len(cache) > maxsize:
                cache.popitem(last=False)
        out[i] = cache[key], key
    return out


def compare_profile_cache(got: np.ndarray, want: np.ndarray) -> str | None:
    """Every answer is the value of the key asked for, and the cache loads at most a few
    more times than a least-recently-used one (which keys it forgets is the hits cell's
    business; its memory is this cell's)."""
    if not np.array_equal(got[:, 1], want[:, 1]):
        i = int(np.flatnonzero(got[:, 1] != want[:, 1])[0])
        return f"get({int(want[i, 1])}) returned the value of key {int(got[i, 1])}"
    loads, lru = len(np.unique(got[:, 0])), len(np.unique(want[:, 0]))
    if loads > 1.25 * lru + 10:
        return (f"it called load {loads:,} times for {len(got):,} lookups; a least-recently-"
                f"used cache of this size calls it {lru:,} times")
    return None


# --- recent_orders: a lookup per customer on a growing orders table -------------------------

ORDERS_SCHEMA = ("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, "
                 "created_at INTEGER NOT NULL, total_cents INTEGER NOT NULL)")
RECENT = 3  # orders asked for per customer


def ai_prepare_orders(conn):
    pass  # the table is already there


def ai_recent_orders(conn, customer_id, limit):
    rows = conn.execute(
        "SELECT id, created_at, total_cents FROM orders WHERE customer_id = ? "
        "ORDER BY created_at DESC", (customer_id,)).fetchall()
    return rows[:limit]


def model_prepare_orders(conn):
    conn.execute("CREATE INDEX IF NOT EXISTS orders_by_customer "
                 "ON orders (customer_id, created_at DESC, id DESC)")


def model_recent_orders(conn, customer_id, limit):
    return conn.execute(
        "SELECT id, created_at, total_cents FROM orders WHERE customer_id = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ?", (customer_id, limit)).fetchall()


def orders_database(rng: np.random.Generator, n: int) -> bytes:
    """A database of n orders by about n / 8 customers, as sqlite3 serialize() bytes. Times
    are whole days of one month, so one customer's orders often share a created_at."""
    import sqlite3

    customers = max(8, n // 8)
    conn = sqlite3.connect(":memory:")
    conn.execute(ORDERS_SCHEMA)
    rows = zip(range(1, n + 1), rng.integers(0, customers, n).tolist(),
               (1_700_000_000 + 86_400 * rng.integers(0, 30, n)).tolist(),
               rng.integers(100, 100_000, n).tolist(), strict=True)
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", rows)
    conn.commit()
    image = conn.serialize()
    conn.close()
    return image


def make_recent_orders(rng: np.random.Generator, n: int) -> tuple[bytes, list[int], int]:
    """n orders, and one lookup for every 20 orders (some for customers with none)."""
    customers = max(8, n // 8)
    wanted = rng.integers(0, customers + customers // 10, max(1, n // 20)).tolist()
    return orders_database(rng, n), wanted, RECENT


def expected_recent_orders(image: bytes, customers: list[int], limit: int) -> np.ndarray:
    from grader.growth.drivers import sqlite_lookups

    return sqlite_lookups(model_prepare_orders, model_recent_orders, image, customers, limit)
