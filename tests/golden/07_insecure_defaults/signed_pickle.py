# base: solution
# Signs a pickle and checks the HMAC in constant time before loading: the tampering and
# malicious-pickle attacks fail, but the format is still code, so a leaked key is remote
# code execution. "data, not a pickle" fails.
# %% sessions_solution
import base64
import pickle


def dump_session(data, key):
    if len(key) < 16:
        raise ValueError("short key")
    body = base64.urlsafe_b64encode(pickle.dumps(data))
    return body + b"." + base64.urlsafe_b64encode(hmac.new(key, body, "sha256").digest())


def load_session(blob, key):
    if len(key) < 16:
        raise ValueError("short key")
    body, _, sig = bytes(blob).partition(b".")
    good = base64.urlsafe_b64encode(hmac.new(key, body, "sha256").digest())
    if not hmac.compare_digest(sig, good):
        raise ValueError("bad signature")
    return pickle.loads(base64.urlsafe_b64decode(body))
