"""A secret searched for in what a function wrote, raised or returned.

A secret counts as leaked in any form a program would write it in: as it is, escaped as
``repr`` writes it (``\\xfc``, ``\\n``), as its UTF-8 bytes' repr (``b'\\xc3\\xbc'``), and
encoded in base64 or hex, which hide nothing.
Where it is found, the excerpt shown to the learner has the secret masked, so feedback
never repeats it either.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

MASK = "<the secret>"
_CONTEXT = 40  # characters of context either side of a find


def forms(secret: str) -> list[str]:
    """The texts that show ``secret``: longest first, so the excerpt masks the whole."""
    raw = secret.encode("utf-8", "surrogatepass")
    found = {secret, repr(secret)[1:-1], repr(raw)[2:-1],
             secret.encode("unicode_escape").decode("ascii"), raw.hex(),
             _b64_prefix(base64.b64encode(raw)), _b64_prefix(base64.urlsafe_b64encode(raw))}
    return sorted((f for f in found if f), key=len, reverse=True)


def _b64_prefix(encoded: bytes) -> str:
    """The base64 characters fixed by the secret alone: with padding, the last character
    before it also holds bits of whatever follows the secret in a longer text."""
    text = encoded.decode("ascii")
    stripped = text.rstrip("=")
    return stripped[:-1] if len(stripped) < len(text) else stripped


def find_leak(secret: str, texts: Iterable[tuple[str, str]]) -> str:
    """"" when ``secret`` appears in none of ``texts`` ((where, text) pairs); else a sentence
    naming where, with the secret masked in a short excerpt."""
    if not secret.strip():
        return ""  # nothing distinctive to look for (the empty or a blank password)
    for where, text in texts:
        for form in forms(secret):
            at = text.find(form)
            if at < 0:
                continue
            start, end = max(at - _CONTEXT, 0), at + len(form) + _CONTEXT
            excerpt = mask(secret, text[start:end])
            return f"it appears in {where}: …{' '.join(excerpt.split())}…"
    return ""


def mask(secret: str, text: str) -> str:
    """``text`` with every form of ``secret`` replaced by `MASK`."""
    for form in forms(secret):
        text = text.replace(form, MASK)
    return text
