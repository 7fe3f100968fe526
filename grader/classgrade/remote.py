"""Compiled modules for the trusted verifier, built and run in the sandboxed worker.

A grade cell such as ``users = build("users", raise_error=True)`` (grader.native.crates) or
``build_and_import(MOJO_FILE)`` (grader.native.mojo) runs in the verifier, which never runs
learner code and never compiles native code (``GRADER_VERIFIER``). There, those functions
call :func:`remote_build` instead: a worker (grader/classgrade/worker.py, op ``build``)
builds and imports the learner's code inside the sandbox with the grader's own build
functions and keeps the module in a table of handles. Under the grading engine that worker
is a second one, started with the submission's files and none of its notebook cells
(``JobSpec.native_worker``): no notebook statement runs where the module is built.
The verifier gets a :class:`RemoteObject`: attribute access (op ``getattr``) and calls (op
``rcall``) cross the socket; arguments go as data or as handles, and whatever comes back is
data, or another handle when it has no data form (a ``UserTable`` instance, a function).
Exceptions raised by the learner's code come back as built-in exceptions, PyO3's
``PanicException`` by name (grader/classgrade/codec.py); a failed build comes back as the
grader's own error class (RustBuildError, CrateNotFound, MojoBuildError, MojoNotInstalled)
rebuilt here from its message, so grade cells and checks.py read it as in a kernel.

What a handle does is decided in the worker, so everything it returns is untrusted data,
judged here by the trusted cell. The learner's compiled code runs in that worker (its module
init included) and can still make it lie; what a correctness cell proves is that the module
built from the submitted files behaves right on the hidden tests. Allocations and speed are
measured apart, from the crate's files, in fresh processes (grader/classgrade/speedcheck.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.classgrade import codec

_LINK: Any = None  # grader.classgrade.verify.WorkerLink while the verifier runs
_TIMEOUT = 180.0
# Dunder names a proxy forwards; every other ``__x__`` lookup (IPython's display probes,
# NumPy's ``__array__``...) is answered here with AttributeError, without a round trip.
_FORWARDED_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__"})


def install(link: Any, timeout: float) -> None:
    """Route remote builds through ``link`` (None: none; builds then fail as before)."""
    global _LINK, _TIMEOUT
    _LINK, _TIMEOUT = link, float(timeout)


def active() -> bool:
    return _LINK is not None


class RemoteObject:
    """A trusted-side stand-in for an object that lives in the sandboxed worker."""

    __slots__ = ("_handle", "_link", "_type")

    def __init__(self, handle: int, type_name: str, link: Any = None) -> None:
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type", type_name)
        # The worker that holds the object: a notebook object's handle lives in the notebook's
        # worker, a built module's in the build worker (None: the installed link).
        object.__setattr__(self, "_link", link)

    def __repr__(self) -> str:
        return f"<{self._type} object (in the sandboxed worker)>"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name not in _FORWARDED_DUNDERS or \
                name.startswith(("_repr_", "_ipython_")):
            raise AttributeError(name)
        return _request({"op": "getattr", "ref": self._handle, "name": name}, self._link)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self!r} is read-only here")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self._handle, None, args, kwargs, self._link)

    def __len__(self) -> int:
        value = _call(self._handle, "__len__", (), {}, self._link)
        if type(value) is not int or value < 0:
            raise TypeError(f"__len__ of {self!r} returned {value!r}")
        return value

    def __bool__(self) -> bool:
        return True


def _handle_of(value: Any) -> int | None:
    return value._handle if type(value) is RemoteObject else None


def _proxy(handle: int, type_name: str) -> RemoteObject:
    return RemoteObject(handle, type_name)


def proxies(link: Any) -> Any:
    """A ``refs`` function for codec.decode: handles that live in ``link``'s worker."""
    return lambda handle, type_name: RemoteObject(handle, type_name, link)


def _request(message: dict[str, Any], link: Any = None) -> Any:
    link = link if link is not None else _LINK
    if link is None:
        raise RuntimeError("no sandboxed worker to run native code in")
    reply = link.request(message, _TIMEOUT)
    if "exc" in reply:
        raise codec.decode_exception(reply["exc"])
    return codec.decode(reply.get("value"), refs=proxies(link))


def _call(handle: int, attr: str | None, args: tuple, kwargs: dict[str, Any],
          link: Any = None) -> Any:
    return _request({"op": "rcall", "ref": handle, "attr": attr,
                     "args": codec.encode(list(args), refs=_handle_of),
                     "kwargs": codec.encode(dict(kwargs), refs=_handle_of)}, link)


def _build_error(kind: str, target: str, error: dict[str, Any]) -> BaseException:
    """The grader's own error class for a failed build, rebuilt from data."""
    name = str(error.get("name", ""))
    message = str(error.get("message", ""))[:codec.MAX_MESSAGE]
    summary = str(error.get("summary") or message)[:codec.MAX_MESSAGE]
    if kind == "rust":
        from grader.native.crates import CrateNotFound
        from grader.native.rust import RustBuildError

        if name == "RustBuildError":
            return RustBuildError(str(error.get("crate") or target)[:200], summary)
        if name == "CrateNotFound":
            return CrateNotFound(message)
    else:
        from grader.native.mojo import MojoBuildError, MojoNotInstalled

        if name == "MojoBuildError":
            return MojoBuildError(Path(target), summary)
        if name == "MojoNotInstalled":
            return MojoNotInstalled()
    return codec.decode_exception(error.get("exc"))


def remote_build(kind: str, target: Any, module_name: str | None = None) -> RemoteObject:
    """Build and import ``target`` (a crate name or folder for ``kind="rust"``, a ``.mojo``
    path for ``"mojo"``) in the worker; its module as a RemoteObject. A failed build raises
    the grader's error class for it, anything else as :func:`_request` does."""
    if kind not in ("rust", "mojo"):
        raise ValueError(f"unknown native kind {kind!r}")
    if _LINK is None:
        from grader.native.rust import refuse_in_verifier

        refuse_in_verifier(target)  # raises: no worker, so nothing may build here
    reply = _LINK.request({"op": "build", "kind": kind, "target": str(target),
                           "module_name": module_name}, _TIMEOUT)
    if isinstance(reply.get("build_error"), dict):
        raise _build_error(kind, str(target), reply["build_error"])
    if "exc" in reply:
        raise codec.decode_exception(reply["exc"])
    value = codec.decode(reply.get("value"), refs=_proxy)
    if type(value) is not RemoteObject:
        raise ImportError(f"building {target} in the sandbox gave no module")
    return value
