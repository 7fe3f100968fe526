# base: solution
# Parameterized, so no injection, but with LIKE: case-insensitive for ASCII, and % and _
# are wildcards, so "Alice" also finds alice and "%" finds everyone.
# %% find_user_solution
def find_user(conn, name):
    return conn.execute("SELECT id, name, email FROM users WHERE name LIKE ? ORDER BY id",
                        (name,)).fetchall()
