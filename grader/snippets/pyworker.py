"""``python -P -m grader.snippets.pyworker RFD WFD``: runs one learner function, call by call.

The child side of `grader.snippets.python.PythonFunction`. It reads one ``load`` line (the
candidate's payload, pickled by the trusted parent: grader/speed/candidates.py), then
``call`` lines, and answers each on WFD with the value or the exception as data
(grader/snippets/wire.py). Learner code runs only here; the parent judges the answers and
times the calls from outside. What this process prints goes to a file, never to the pipes.
"""

from __future__ import annotations

import base64
import importlib
import os
import pickle
import sys
from typing import Any

from grader.snippets import wire


def _reply(out: Any, message: dict[str, Any]) -> None:
    out.write(wire.dumps(message))
    out.flush()


def _load(message: dict[str, Any]) -> Any:
    from grader.speed.candidates import load_payload

    payload = pickle.loads(base64.b64decode(message["payload"]))  # noqa: S301 - the parent's
    wrap = None
    if message.get("adapter"):
        # A wrapper of the course's (PythonFunction's ADAPTER pattern), taken before the
        # learner's cells run, so that they cannot swap it for another.
        module, _, name = str(message["adapter"]).partition(":")
        wrap = getattr(importlib.import_module(module), name)
    func = load_payload(payload, in_worker=True)[1]
    return wrap(func) if wrap is not None and callable(func) else func


def serve(rfd: int, wfd: int) -> int:
    source = os.fdopen(rfd, "rb", buffering=0)
    out = os.fdopen(wfd, "wb")
    first = source.readline()
    try:
        func = _load(wire.loads(first))
    except BaseException as exc:  # noqa: BLE001 - the notebook failed to define it
        _reply(out, {"loaded": False, "error": wire.exception_data(exc)})
        return 1
    if not callable(func):
        _reply(out, {"loaded": False, "error": {"types": ["builtins.TypeError"],
                     "message": f"{type(func).__name__} object is not callable"}})
        return 1
    _reply(out, {"loaded": True})
    for line in iter(source.readline, b""):
        request = wire.loads(line)
        args = wire.decode(request.get("args", []))
        kwargs = wire.decode(request.get("kwargs", {}))
        try:
            value = func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - SystemExit too: it is an answer
            _reply(out, {"error": wire.exception_data(exc)})
            continue
        try:
            _reply(out, {"value": wire.encode(value)})
        except ValueError as exc:
            _reply(out, {"error": {"types": ["builtins.ValueError"],
                         "message": f"the return value cannot be sent: {exc}"}})
    return 0


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1]), int(sys.argv[2])))
