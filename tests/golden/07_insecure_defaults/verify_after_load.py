# base: solution
# Verifies the HMAC, but only after unpickling the body: the attacker's code has run by
# the time the signature is found wrong.
# %% sessions_solution
import base64
import pickle


def dump_session(data, key):
    if len(key) < 16:
        raise ValueError("short key")
    body = base64.b64encode(json.dumps(data).encode())
    return body + b"." + base64.b64encode(hmac.new(key, body, "sha256").digest())


def load_session(blob, key):
    if len(key) < 16:
        raise ValueError("short key")
    body, _, sig = bytes(blob).partition(b".")
    raw = base64.b64decode(body)
    try:
        data = pickle.loads(raw)  # "old sessions were pickles"
    except Exception:
        try:
            data = json.loads(raw)
        except ValueError:
            raise ValueError("corrupt session") from None
    good = base64.b64encode(hmac.new(key, body, "sha256").digest())
    if not hmac.compare_digest(sig, good) or not isinstance(data, dict):
        raise ValueError("bad signature")
    return data
