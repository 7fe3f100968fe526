# base: solution
# JSON and an HMAC, right in every answer, but the signature is compared with ==: a timing
# oracle that no pipe can measure, so the code is read for it.
# %% sessions_solution
import base64


def dump_session(data, key):
    if len(key) < 16:
        raise ValueError("short key")
    body = base64.urlsafe_b64encode(json.dumps(data).encode())
    return body + b"." + hmac.new(key, body, hashlib.sha256).hexdigest().encode()


def load_session(blob, key):
    if len(key) < 16:
        raise ValueError("short key")
    body, _, sig = bytes(blob).partition(b".")
    expected_sig = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    if sig != expected_sig:
        raise ValueError("bad signature")
    data = json.loads(base64.urlsafe_b64decode(body))
    if not isinstance(data, dict):
        raise ValueError("not a session")
    return data
