"""``build("users")``: the one call a notebook makes to compile and load a Rust crate.

::

    from grader.native import build
    users = build("users")        # crates/users beside this notebook, release mode
    users.get_user_name(table, 1)

The crate is found beside the notebook (the kernel's working folder), built with maturin in
release mode (``grader.native.rust.build_crate``) and loaded fresh, so an edited crate is
picked up without restarting the kernel. When it does not compile, rustc's first errors are
printed (file, line, error code, rustc's snippet) and ``build`` returns None: no traceback.
Grade cells pass ``raise_error=True`` so that a build failure fails the cell, with the same
short message.

Builds are remembered by the content of their sources: the crate's files, the files of its
``path`` dependencies (``alloc_counter``), the interpreter and the Rust compiler's version.
Building the same sources again (a grade cell after the learner's own cell, the autograder's
copy of an unchanged submission, the model solution in every speed test) loads the library
built the first time without running cargo at all. A failure to compile is remembered the
same way, so each grade cell of a broken crate does not pay for the compiler again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import asdict
from functools import cache
from pathlib import Path
from types import ModuleType

from grader.native.cargo_errors import Diagnostic
from grader.native.rust import (
    BuiltExtension,
    RustBuildError,
    _cargo_bin_dir,
    build_crate,
    cargo_cache,
    import_fresh,
    read_crate,
)

# Where a crate named NAME may sit, relative to the notebook's folder.
SEARCH = ("crates/{name}", "{name}")
SKIPPED_PARTS = {"target", ".git", "__pycache__", ".ipynb_checkpoints"}
CACHE_VERSION = "1"


class CrateNotFound(FileNotFoundError):
    """No crate of that name beside the notebook; the message lists where we looked."""


def locate_crate(crate: str | os.PathLike[str], folder: Path | None = None) -> Path:
    """The folder of ``crate``: a path to a folder holding ``Cargo.toml``, or a name looked up
    as ``crates/NAME`` then ``NAME`` under ``folder`` (default: the working folder, which is the
    notebook's own in Jupyter and in nbgrader).

    A non-string raises TypeError; a crate that is not there raises CrateNotFound.
    """
    if not isinstance(crate, str | os.PathLike):
        raise TypeError(f"build() takes the crate's name, e.g. build('users'); got {crate!r}")
    base = (folder or Path.cwd()).resolve()
    text = os.fspath(crate)
    if not text.strip():
        raise CrateNotFound("build() needs a crate name, e.g. build('users')")
    direct = Path(text)
    candidates = [direct if direct.is_absolute() else base / direct]
    if len(direct.parts) == 1:
        candidates = [base / pattern.format(name=text) for pattern in SEARCH]
    for candidate in candidates:
        if (candidate / "Cargo.toml").is_file():
            return candidate.resolve()
    looked = ", ".join(str(c / "Cargo.toml") for c in candidates)
    raise CrateNotFound(f"no crate {text!r} beside this notebook: looked for {looked}")


def _crate_files(crate_dir: Path) -> list[Path]:
    return sorted(
        p for p in crate_dir.rglob("*")
        if p.is_file() and not SKIPPED_PARTS.intersection(p.relative_to(crate_dir).parts)
    )


def _path_dependencies(crate_dir: Path) -> list[Path]:
    """Folders of the crate's ``path = ...`` dependencies, recursively (no cycles)."""
    seen: list[Path] = []
    todo = [crate_dir]
    while todo:
        current = todo.pop()
        try:
            manifest = tomllib.loads((current / "Cargo.toml").read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue  # cargo will report it; the digest just covers what is there
        for section in ("dependencies", "build-dependencies"):
            for spec in manifest.get(section, {}).values():
                if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                    dep = (current / spec["path"]).resolve()
                    if dep not in seen and dep != crate_dir:
                        seen.append(dep)
                        todo.append(dep)
    return seen


@cache
def _toolchain() -> str:
    """``rustc -vV`` (version, commit, host): a new compiler must not reuse old builds."""
    rustc = _cargo_bin_dir() / "rustc"
    try:
        out = subprocess.run([str(rustc), "-vV"], capture_output=True, text=True, timeout=60,
                             check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"rustc unavailable: {exc}"
    return out.stdout


def source_digest(crate_dir: Path) -> str:
    """SHA-256 over everything that decides what a build produces."""
    digest = hashlib.sha256()
    digest.update(f"v{CACHE_VERSION}\n{sys.executable}\n{sys.version}\n{_toolchain()}".encode())
    for folder in [crate_dir, *_path_dependencies(crate_dir)]:
        for path in _crate_files(folder):
            # Relative names: two copies of the same sources share a build.
            digest.update(f"\n{folder.name}/{path.relative_to(folder)}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _index_file(cache: Path, package: str, digest: str) -> Path:
    return cache / "built" / package / f"{digest[:32]}.json"


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    os.replace(partial, path)


def cached_build(crate_dir: Path) -> BuiltExtension:
    """:func:`build_crate`, skipped when these exact sources were built (or failed) before.

    Raises RustBuildError like ``build_crate``; a remembered compile failure is raised again
    with the same message and diagnostics.
    """
    info = read_crate(crate_dir)
    digest = source_digest(info.crate_dir)
    index = _index_file(cargo_cache(), info.package, digest)
    if index.is_file():
        try:
            entry = json.loads(index.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entry = {}
        if "error" in entry:
            diagnostics = [Diagnostic(**d) for d in entry.get("diagnostics", [])]
            raise RustBuildError(info.package, entry["error"], diagnostics)
        library = Path(entry.get("library", ""))
        if library.is_file() and entry.get("module_name") == info.module_name:
            return BuiltExtension(info.crate_dir, info.module_name, library, entry["sha256"], 0.0)
    try:
        built = build_crate(info.crate_dir)
    except RustBuildError as error:
        if error.diagnostics:  # a compile error is a property of the sources: remember it
            _write_json(index, {"error": error.summary,
                                "diagnostics": [asdict(d) for d in error.diagnostics]})
        raise
    _write_json(index, {"library": str(built.library), "sha256": built.sha256,
                        "module_name": built.module_name})
    return built


def _remote_build(crate: str | os.PathLike[str], raise_error: bool) -> ModuleType | None:
    """In the class autograder's verifier (which never compiles): the crate built and
    loaded in the sandboxed worker, as a remote module (grader/classgrade/remote.py)."""
    from grader.classgrade.remote import remote_build

    try:
        return remote_build("rust", os.fspath(crate))  # type: ignore[return-value]
    except (RustBuildError, FileNotFoundError) as error:
        if raise_error:
            raise
        print(str(error))
        return None


def build(crate: str | os.PathLike[str], *, raise_error: bool = False, quiet: bool = False,
          folder: Path | None = None) -> ModuleType | None:
    """Build the crate ``crate`` beside the notebook and return its freshly loaded module.

    On a compile error (or a crate that is not there) the short message is printed and None
    is returned; with ``raise_error=True`` the error is raised instead (RustBuildError or
    CrateNotFound), which is what grade cells want. ``quiet`` skips the one-line success note.
    """
    __tracebackhide__ = True  # IPython: show the message, not the grader's frames
    if os.environ.get("GRADER_VERIFIER") and folder is None:
        return _remote_build(crate, raise_error)
    try:
        crate_dir = locate_crate(crate, folder)
        built = cached_build(crate_dir)
        module = import_fresh(built)
    except (RustBuildError, FileNotFoundError) as error:  # incl. CrateNotFound, no cargo
        if raise_error:
            raise
        print(str(error))
        return None
    from grader.native.testing import remember_counter

    remember_counter(module)
    if not quiet:
        how = "up to date" if built.seconds == 0.0 else f"compiled in {built.seconds:.1f} s"
        print(f"crate {crate_dir.name!r}: {how}; module {module.__name__!r} loaded")
    return module
