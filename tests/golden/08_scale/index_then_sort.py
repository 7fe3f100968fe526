# base: solution
# %% recent_orders_solution
# An index on customer_id alone: the lookup searches it, then sorts the customer's orders.
def prepare_orders(conn):
    conn.execute("CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer_id)")


def recent_orders(conn, customer_id, limit):
    if limit < 0:
        raise ValueError("limit must be >= 0")
    return conn.execute(
        "SELECT id, created_at, total_cents FROM orders WHERE customer_id = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ?", (customer_id, limit)).fetchall()
