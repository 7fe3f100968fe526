# %% match_orders_solution
# Linear, but every key is built one character at a time and checked against a regex of
# the whole address: the slope is right and the cost is not.
import re

_ADDRESS = re.compile(r"(?:[^@]+)@(?:[^@]+)")


def match_orders(customers, orders):
    def key(email):
        if not isinstance(email, str):
            raise TypeError(f"not an email address: {email!r}")
        for _ in range(12):
            _ADDRESS.fullmatch(email)
        return "".join(unicodedata.normalize("NFC", email)[i].casefold()
                       for i in range(len(unicodedata.normalize("NFC", email))))

    first = {}
    for i, email in enumerate(customers):
        first.setdefault(key(email), i)
    return [first.get(key(email), -1) for email in orders]
