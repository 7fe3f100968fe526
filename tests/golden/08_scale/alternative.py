# %% match_orders_solution
import numpy as np


def _key(address):
    if type(address) is not str and not isinstance(address, str):
        raise TypeError(f"expected an email address (str), got {address!r}")
    return str.casefold(unicodedata.normalize("NFC", address))


def match_orders(customers, orders):
    customers, orders = list(customers), list(orders)
    index = {}
    # Walking backwards, the last write for a key is its first customer.
    for position in range(len(customers) - 1, -1, -1):
        index[_key(customers[position])] = position
    keys = [_key(order) for order in orders]
    return np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))

# %% recent_orders_solution
def prepare_orders(conn):
    # Two statements, the second a no-op when the index is there.
    names = {row[1] for row in conn.execute("PRAGMA index_list(orders)")}
    if "ix_orders_customer_time" not in names:
        conn.execute("CREATE INDEX ix_orders_customer_time ON orders "
                     "(customer_id ASC, created_at DESC, id DESC)")


def recent_orders(conn, customer_id, limit):
    if type(limit) is not int or limit < 0:
        raise ValueError(f"limit must be a non-negative int, got {limit!r}")
    cursor = conn.execute(
        "SELECT id, created_at, total_cents FROM orders WHERE customer_id = :who "
        "ORDER BY created_at DESC, id DESC LIMIT :n", {"who": customer_id, "n": limit})
    return [tuple(row) for row in cursor]

# %% fetch_many_solution
import asyncio
import http.client


def fetch_many(urls, limit, timeout=5.0):
    """asyncio with a semaphore; each blocking request in a worker thread."""
    if type(limit) is not int:
        raise TypeError("limit must be an int")
    if limit <= 0:
        raise ValueError("limit must be positive")

    def one(url):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return {"url": url, "status": response.status, "body": response.read(),
                        "error": None}
        except urllib.error.HTTPError as exc:
            with exc:
                return {"url": url, "status": exc.code, "body": None,
                        "error": f"{exc.code} {exc.reason}"}
        except (OSError, http.client.HTTPException) as exc:
            return {"url": url, "status": None, "body": None, "error": repr(exc)}

    async def run():
        gate = asyncio.Semaphore(limit)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=limit)
        loop = asyncio.get_running_loop()

        async def guarded(url):
            async with gate:
                return await loop.run_in_executor(pool, one, url)

        try:
            return await asyncio.gather(*(guarded(u) for u in urls))
        finally:
            pool.shutdown(wait=True)

    return list(asyncio.run(run())) if urls else []

# %% profile_cache_solution
def profile_cache(load, maxsize):
    """An OrderedDict kept in order of use."""
    if not isinstance(maxsize, int) or isinstance(maxsize, bool):
        raise TypeError("maxsize must be an int")
    if maxsize <= 0:
        raise ValueError("maxsize must be at least 1")
    entries = collections.OrderedDict()

    def get(key):
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
        value = load(key)
        entries[key] = value
        if len(entries) > maxsize:
            entries.popitem(last=False)
        return value

    return get
