"""A submission's Mojo modules, compiled once per grading for every sandbox of that grading.

A grading of chapter 04 compiled the learner's ``sum_array.mojo`` three times, each in an
empty build folder of its own (9-14 s each): in the verification worker (the notebook's own
cell), in the native worker the grade cells call, and in the speed controller. Now
:func:`build_once` compiles it first, in a sandbox of its own that runs nothing but the
compiler (``python -P -m grader.native.learner_builds FILE...``), and copies each result
into a folder the later sandboxes are shown read-only (``GRADER_MOJO_STORE``), where
grader.native.mojo.build finds it under the hash of its source.

What it trusts and why that is enough:

* The hash of each file is computed here, on a copy of the submission no sandbox wrote to,
  before the build runs; only ``<that hash>/<module>.so`` is taken from the build folder,
  a regular file (never a link). Whatever else the build leaves there is ignored, and so
  is the hash of any course file (an unchanged copy of the baseline a speed cell races
  against): a course file's library comes from the grader's own store or its own build.
* The library taken is the learner's code, compiled from the learner's files: loading it
  in a later sandbox is what compiling it there would have done. A notebook that writes
  another ``.mojo`` file before building gets another hash, and its sandbox compiles that.
* A file that does not compile leaves nothing: each later sandbox compiles it again and
  reports the compiler's own message, as before.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

from grader.native import mojo

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STORE_DIR = "mojo-learner-store"


def mojo_modules(files: dict[str, bytes]) -> list[str]:
    """The submission's top-level ``.mojo`` files that define a Python module (PyInit_)."""
    return sorted(rel for rel, data in files.items()
                  if rel.endswith(".mojo") and "/" not in rel and b"PyInit_" in data)


def store_in(base: Path) -> Path | None:
    """The store :func:`build_once` filled under a grading's scratch ``base``, else None."""
    store = base / STORE_DIR
    return store if store.is_dir() and any(store.iterdir()) else None


def build_once(files: dict[str, bytes], base: Path, *, trusted: Path | None, limits: Any,
               timeout: float) -> Any:
    """Compile the submission's Mojo modules (``files``: relative name -> bytes) in a
    sandbox, in folders under ``base`` (a grading's scratch), and fill ``base``'s store
    (:func:`store_in`) with what compiled. ``trusted``: the source's files, whose
    ``prebuilt`` course modules the sandbox finds compiled (an unchanged copy of the
    baseline in the learner's folder is not compiled again). Returns the SandboxResult, or
    None when nothing ran: without Mojo, or with no module in ``files``."""
    from grader.classgrade.speedcheck import native_paths, write_folder
    from grader.sandbox import run_sandboxed

    modules = mojo_modules(files)
    if not modules or not mojo.mojo_available():
        return None
    pristine = write_folder(base / "mojo-pristine", files, mode=0o700)
    hashes = {rel: _hash(pristine / rel) for rel in modules}
    # An unchanged copy of a course file has the course file's hash: never taken from a
    # sandbox, so no later lookup of the course file can meet a library the learner made.
    course = {_hash(path) for path in trusted.glob("*.mojo")} if trusted is not None else set()
    hashes = {rel: found for rel, found in hashes.items() if found not in course}
    work = write_folder(base / "mojo-build-work", files)
    native = native_paths((), base / "mojo-build-native", trusted)
    ran = run_sandboxed([sys.executable, "-P", "-m", "grader.native.learner_builds", *modules],
                        workdir=work, readable=[PACKAGE_DIR, *native.readable],
                        writable=[work, *native.writable], limits=limits,
                        env=native.env, timeout=timeout)
    scratch = base / "mojo-build-native"  # made by native_paths, here; all below it is theirs
    built = Path(native.env["GRADER_MOJO_CACHE"]).relative_to(scratch) / "build"
    store = write_folder(base / STORE_DIR, {})
    for found in hashes.values():
        if found is not None:
            _take(scratch, [*built.parts, *found], store / found[0] / found[1])
    return ran


def _hash(source: Path) -> tuple[str, str] | None:
    """(hash, library file name) of one pristine module, as mojo.build names its library."""
    try:
        return mojo.build_key(source)
    except (OSError, ValueError):
        return None  # a file name that is no module name: its sandbox says so when it builds


def _take(root: Path, parts: list[str], dest: Path) -> None:
    """Copy ``root/parts...`` to ``dest`` when it is a regular file reached through no link:
    the sandbox wrote every folder below ``root``, and a folder it turned into a link to a
    path of this machine must not hand its files over as the learner's build."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
        # O_NONBLOCK: a FIFO planted there must not hold this process forever.
        found = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    except OSError:
        return  # not built (a compile error), or a link on the way: nothing to share
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(found).st_mode):
        os.close(found)
        return
    with os.fdopen(found, "rb") as source:
        dest.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        dest.parent.chmod(0o755)
        with open(dest, "wb") as target:
            shutil.copyfileobj(source, target)
    dest.chmod(0o755)


def main(argv: list[str]) -> int:
    """In the sandbox: compile each file; a compile error is left for later sandboxes."""
    for name in argv:
        try:
            mojo.build(Path(name))
        except (mojo.MojoBuildError, OSError, ValueError) as error:
            print(f"{name}: {str(error)[:300]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
