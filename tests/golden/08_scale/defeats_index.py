# base: solution
# %% recent_orders_solution
# The right index, and a query that cannot use it: customer_id + 0 is an expression, so the
# planner scans. The plan of the course's own query looks fine; the growth shows the scan.
def prepare_orders(conn):
    conn.execute("CREATE INDEX IF NOT EXISTS orders_by_customer "
                 "ON orders (customer_id, created_at)")


def recent_orders(conn, customer_id, limit):
    if limit < 0:
        raise ValueError("limit must be >= 0")
    return conn.execute(
        "SELECT id, created_at, total_cents FROM orders WHERE customer_id + 0 = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ?", (customer_id, limit)).fetchall()
