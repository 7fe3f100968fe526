# base: solution
# An allowlist, but with re.match and "$" (which matches before a final newline) and \w
# (which matches Unicode letters): passes the public ids, fails hidden ones.
# %% cookie_solution
def session_cookie(session_id):
    if not isinstance(session_id, str) or not re.match(r"^[\w-]{16,128}$", session_id):
        raise ValueError("bad session id")
    return f"session={session_id}; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax"
