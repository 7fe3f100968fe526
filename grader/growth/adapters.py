"""Wrappers chapter 08's functions run inside, in their child process (grader/snippets,
named by ``adapter = "grader.growth.adapters:<name>"`` in assignment.toml). They adapt a
call to what crosses a pipe; they decide nothing. The tests judge in the grading process,
from the answers and from the fault server's own record of requests.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any

LOAD_TIMEOUT = 10.0  # seconds one load's request may take


def over_http(profile_cache: Callable[..., Any]) -> Callable[..., Any]:
    """``profile_cache(load, maxsize)`` called as ``call(urls, maxsize, keys)``: ``load(key)``
    fetches ``urls[str(key)]`` (the fault server, which records every request) and returns
    the body as text; the keys are looked up in order with the returned ``get``. Each
    answer is ``{"value": ...}`` or ``{"error": <class name>, "message": ...}``, so one
    failing load does not hide the next lookups."""

    def call(urls: dict[str, str], maxsize: Any, keys: list[int]) -> list[dict[str, Any]]:
        def load(key: int) -> str:
            with urllib.request.urlopen(urls[str(key)], timeout=LOAD_TIMEOUT) as response:
                return response.read().decode("utf-8")

        get = profile_cache(load, maxsize)
        answers: list[dict[str, Any]] = []
        for key in keys:
            try:
                answers.append({"value": get(key)})
            except Exception as exc:  # noqa: BLE001 - an answer, judged by the test
                answers.append({"error": type(exc).__name__, "message": str(exc)[:200]})
        return answers

    return call
