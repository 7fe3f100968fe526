"""A pickle that runs code when it is loaded, and the forms it can arrive in.

The code it runs writes a marker file at a path the test chose, inside the test's temporary
folder, and sends one UDP datagram to the test's `Alarm` on 127.0.0.1: either is the proof
that loading ran code, and both are checked by the test, not by the process that loaded the
bytes. A loader that deletes files after the fact cannot take back a datagram.
"""

from __future__ import annotations

import base64
import pickle
import pickletools
import secrets
import socket
from pathlib import Path


class _RunsCode:
    """Pickled as "call exec on this source": what any attacker's pickle can say."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (self.source,)


class Alarm:
    """A UDP socket on 127.0.0.1 that a malicious pickle reports to: ``rang()`` says whether a
    datagram with this alarm's nonce arrived (nothing waits: the loader's call is over)."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(8)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.setblocking(False)
        self.port = self._sock.getsockname()[1]

    def rang(self) -> bool:
        while True:
            try:
                data = self._sock.recv(256)
            except BlockingIOError:
                return False
            if data == self.nonce.encode():
                return True

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Alarm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def malicious_pickle(marker: Path, protocol: int = pickle.DEFAULT_PROTOCOL,
                     alarm: Alarm | None = None) -> bytes:
    """Bytes that, given to ``pickle.loads``, create ``marker`` and ring ``alarm`` (and do
    nothing else)."""
    source = (f"with open({str(marker)!r}, 'w') as marker: "
              f"marker.write('this file was written by pickle.loads')")
    if alarm is not None:
        source += (f"\nimport socket\nwith socket.socket(socket.AF_INET, socket.SOCK_DGRAM) "
                   f"as s: s.sendto({alarm.nonce!r}.encode(), ('127.0.0.1', {alarm.port}))")
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
    """True when ``blob``, or a base64 / hex piece of it (split at dots, colons, pipes), is a
    whole pickle of any protocol: a session format that loads code. Whole means that
    ``pickletools`` reads it opcode by opcode (running nothing) to a STOP on its last byte:
    random bytes, such as a MAC that happens to start like a pickle, never do."""
    pieces = [blob, *(p for sep in b".:|" for p in blob.split(bytes([sep])))]
    return any(_is_pickle(decoded) for piece in pieces for decoded in _decodings(piece.strip()))


def _is_pickle(data: bytes) -> bool:
    if len(data) < 2:
        return False
    try:
        ops = list(pickletools.genops(data))  # stops at the first STOP
    except Exception:  # noqa: BLE001 - not a pickle: a bad opcode, a truncated argument
        return False
    return bool(ops) and ops[-1][0].name == "STOP" and ops[-1][2] == len(data) - 1


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
