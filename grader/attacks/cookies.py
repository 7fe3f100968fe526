"""A Set-Cookie header read the way a browser's cookie parser reads it.

``http.cookies.SimpleCookie`` does the parsing. It reads an unknown ``name=value`` part as a
second cookie and gives up on the whole text at a part it cannot read, without an error:
both are what an injected value smuggles in, so anything but exactly one cookie is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class SetCookie:
    """One cookie: its name, value and attributes as the parser read them."""

    name: str
    value: str
    attributes: dict[str, str | bool]  # lower-case names: path, max-age, httponly, ...


class NotACookie(ValueError):
    """The text is not one Set-Cookie header value (the message says why)."""


def read_set_cookie(header: object) -> SetCookie:
    """The single cookie of a Set-Cookie header value (``"Set-Cookie: "`` in front is allowed).
    NotACookie for a non-string, control characters (CR and LF end a header: what follows
    would be a header of the attacker's), no cookie, or more than one."""
    if not isinstance(header, str):
        raise NotACookie(f"expected the header as a str, got {type(header).__name__}")
    if _CONTROL.search(header):
        raise NotACookie(f"the header contains a control character "
                         f"({_CONTROL.search(header).group()!r}): CR or LF start a new header")
    text = re.sub(r"(?i)^\s*set-cookie\s*:\s*", "", header)
    jar = SimpleCookie()
    try:
        jar.load(text)
    except CookieError as exc:
        raise NotACookie(f"http.cookies cannot read it: {exc}") from None
    if not jar:
        raise NotACookie("http.cookies reads no cookie in it: a part it cannot read "
                         "(an unknown flag, a bad character) makes it drop the whole header")
    if len(jar) > 1:
        raise NotACookie(f"http.cookies reads {len(jar)} cookies in it ({', '.join(jar)}): "
                         f"an unknown name=value part is a cookie of its own")
    morsel = next(iter(jar.values()))
    attributes = {k: v for k, v in morsel.items() if v not in ("", False)}
    return SetCookie(morsel.key, morsel.value, attributes)
