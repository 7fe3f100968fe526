# base: solution
# A cheat aimed at the marker file: it unpickles before verifying, then deletes every file
# named like the public checks' marker. The attacker's code has run all the same, and the
# datagram it sent to the test cannot be deleted.
# %% sessions_solution
import base64
import pickle
import tempfile
from pathlib import Path


def dump_session(data, key):
    if len(key) < 16:
        raise ValueError("short key")
    body = base64.b64encode(json.dumps(data).encode())
    return body + b"." + base64.b64encode(hmac.new(key, body, "sha256").digest())


def load_session(blob, key):
    if len(key) < 16:
        raise ValueError("short key")
    body, _, sig = bytes(blob).partition(b".")
    try:
        raw = base64.b64decode(body)
        data = pickle.loads(raw)
    except Exception:
        data = None
    finally:
        for marker in Path(tempfile.gettempdir()).glob("*/pwned"):
            marker.unlink(missing_ok=True)
    good = base64.b64encode(hmac.new(key, body, "sha256").digest())
    if not hmac.compare_digest(sig, good):
        raise ValueError("bad signature")
    data = json.loads(base64.b64decode(body))
    if not isinstance(data, dict):
        raise ValueError("not a session")
    return data
