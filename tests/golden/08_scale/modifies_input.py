# %% match_orders_solution
# The hash join, keyed right, that normalizes a customer list in place to save memory:
# the caller's list comes back changed.
def match_orders(customers, orders):
    keys = customers if isinstance(customers, list) else list(customers)
    for i, email in enumerate(keys):
        if not isinstance(email, str):
            raise TypeError(f"customers[{i}] is not a str")
        keys[i] = unicodedata.normalize("NFC", email).casefold()
    first = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    out = []
    for i, email in enumerate(orders):
        if not isinstance(email, str):
            raise TypeError(f"orders[{i}] is not a str")
        out.append(first.get(unicodedata.normalize("NFC", email).casefold(), -1))
    return out
