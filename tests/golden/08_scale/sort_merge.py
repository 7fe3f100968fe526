# %% match_orders_solution
from bisect import bisect_left


def match_orders(customers, orders):
    """Sort the customers by key once, then binary-search each order: n log n."""
    def key(email):
        if not isinstance(email, str):
            raise TypeError(f"not an email address: {email!r}")
        return unicodedata.normalize("NFC", email).casefold()

    ranked = sorted((key(email), i) for i, email in enumerate(customers))
    keys = [k for k, _ in ranked]
    out = []
    for email in orders:
        k = key(email)
        at = bisect_left(keys, k)
        out.append(ranked[at][1] if at < len(keys) and keys[at] == k else -1)
    return out
