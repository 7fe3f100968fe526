# %% match_orders_solution
# The hash join, with the AI's key: str.lower() keeps "ß", and accents stay decomposed.
def match_orders(customers, orders):
    for seq in (customers, orders):
        for email in seq:
            if not isinstance(email, str):
                raise TypeError(f"not an email address: {email!r}")
    first = {}
    for i, email in enumerate(customers):
        first.setdefault(email.lower(), i)
    return [first.get(email.lower(), -1) for email in orders]
