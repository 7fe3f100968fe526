"""A pickle that runs code when it is loaded, and the forms it can arrive in.

The code it runs only writes a marker file at a path the test chose, inside the test's
temporary folder: the marker appearing is the proof that loading ran code, and it is
checked by the test, not by the process that loaded the bytes.
"""

from __future__ import annotations

import base64
import pickle
from pathlib import Path


class _RunsCode:
    """Pickled as "call exec on this source": what any attacker's pickle can say."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (self.source,)


def malicious_pickle(marker: Path, protocol: int = pickle.DEFAULT_PROTOCOL) -> bytes:
    """Bytes that, given to ``pickle.loads``, create ``marker`` (and do nothing else)."""
    source = (f"with open({str(marker)!r}, 'w') as marker: "
              f"marker.write('this file was written by pickle.loads')")
    return pickle.dumps(_RunsCode(source), protocol=protocol)


def disguises(blob: bytes) -> dict[str, bytes]:
    """``blob`` as it could reach a loader that decodes before it verifies: raw, base64 and
    URL-safe base64 (alone, and with a fake signature after a dot), and hex."""
    b64 = base64.b64encode(blob)
    url = base64.urlsafe_b64encode(blob)
    fake = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=")
    return {"raw": blob, "base64": b64, "urlsafe base64": url,
            "urlsafe base64 without padding": url.rstrip(b"="),
            "base64 + '.' + a fake signature": url.rstrip(b"=") + b"." + fake,
            "a fake signature + '.' + base64": fake + b"." + url.rstrip(b"="),
            "hex": blob.hex().encode()}


def carries_pickle(blob: bytes) -> bool:
    """True when ``blob``, or a base64 / hex piece of it (split at dots, colons, pipes),
    starts like a pickle of protocol 2 or later: a session format that loads code."""
    pieces = [blob, *(p for sep in b".:|" for p in blob.split(bytes([sep])))]
    for piece in pieces:
        for decoded in _decodings(piece.strip()):
            if len(decoded) > 2 and decoded[0] == 0x80 and 2 <= decoded[1] <= 5:
                return True
    return False


def _decodings(piece: bytes) -> list[bytes]:
    out = [piece]
    padded = piece + b"=" * (-len(piece) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            out.append(decode(padded))
        except ValueError:
            pass
    try:
        out.append(bytes.fromhex(piece.decode("ascii")))
    except (ValueError, UnicodeDecodeError):
        pass
    return out
