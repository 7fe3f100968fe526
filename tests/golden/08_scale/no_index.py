# base: solution
# %% recent_orders_solution
# Right rows, right order, and no schema change: every lookup reads the whole table.
def prepare_orders(conn):
    pass


def recent_orders(conn, customer_id, limit):
    if limit < 0:
        raise ValueError("limit must be >= 0")
    return conn.execute(
        "SELECT id, created_at, total_cents FROM orders WHERE customer_id = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ?", (customer_id, limit)).fetchall()
