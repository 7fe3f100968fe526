"""What of the host filesystem the sandbox sees: an allow-list, nothing else.

bwrap starts from an empty tmpfs root; every path below is put there explicitly.  So
a course's solutions, the gradebook, other students' folders and /root are simply
absent unless the caller lists them in ``readable``/``writable``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

# The OS: programs and shared libraries.  Read-only.
SYSTEM_DIRS = ("/usr",)
# On merged-/usr Debian these are symlinks into /usr; elsewhere real directories.
TOP_LEVEL_MAYBE_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The few /etc entries that libc, Python, numpy and matplotlib consult.  Deliberately
# not /etc as a whole: it holds host secrets (shadow, ssh keys, app configs).
# passwd, group and hosts are synthesised instead (see identity.py / bwrap.py).
ETC_ENTRIES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/mime.types",
    "/etc/os-release",
    "/etc/debian_version",
    "/etc/alternatives",  # /usr/bin/* commands often resolve through here
    "/etc/ssl",  # CA bundle: harmless, and some libraries read it at import time
    "/etc/ca-certificates",
    "/etc/fonts",  # fontconfig, for matplotlib text rendering
)
# Never allowed as writable: a writable /usr or interpreter would let one run poison
# the next, and "/" would expose everything.
_FORBIDDEN_WRITABLE = ("/", "/usr", "/etc", "/bin", "/lib", "/lib64", "/sbin", "/proc", "/dev")


@dataclass(frozen=True)
class Bind:
    src: Path
    dest: Path
    writable: bool


def python_prefixes() -> list[Path]:
    """The grader's own interpreter: venv (sys.prefix) and the base install.

    The base install is typically /root/.pyenv/versions/X, under a 0700 /root.  bwrap
    binds it at the same path inside a fresh root, where the parent directories are
    created 0755, so the unprivileged sandbox user reaches it without anyone
    chmod'ing the real /root.
    """
    seen: list[Path] = []
    for raw in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix):
        p = Path(raw)
        for candidate in (p, p.resolve()):
            if candidate not in seen:
                seen.append(candidate)
    # Drop entries nested in another one: binding the parent already shows them.
    return [p for p in seen if not any(p != q and p.is_relative_to(q) for q in seen)]


def _absolute(p: Path) -> Path:
    # abspath normalises ".." without resolving symlinks: the sandbox gets the same
    # path the caller named, bound to wherever it really points.
    return Path(os.path.abspath(p))


def user_binds(
    readable: list[Path], writable: list[Path], workdir: Path
) -> tuple[list[Bind], list[str]]:
    """Validate the caller's paths; return binds in mount order, plus warnings."""
    warnings: list[str] = []
    binds: dict[Path, Bind] = {}
    for paths, rw in ((readable, False), (writable, True)):
        for raw in paths:
            dest = _absolute(raw)
            src = dest.resolve(strict=True)  # a missing path is a caller bug: raise
            if rw and (str(dest) in _FORBIDDEN_WRITABLE or str(src) in _FORBIDDEN_WRITABLE):
                raise ValueError(f"refusing to make {dest} writable in the sandbox")
            # Directories need r+x for "other", files r: the sandbox uid is "other".
            needed = 0o005 if src.is_dir() else 0o004
            if not rw and (src.stat().st_mode & needed) != needed:
                warnings.append(
                    f"readable path {dest} is not world-readable/searchable; the "
                    "unprivileged sandbox user will likely get EACCES on it"
                )
            # writable wins over readable when the same path is listed twice.
            if rw or dest not in binds:
                binds[dest] = Bind(src=src, dest=dest, writable=rw)
    wd = _absolute(workdir)
    if not any(wd.is_relative_to(b.dest) for b in binds.values()):
        # Binding it implicitly would silently widen what the code can see (a workdir
        # of /tmp would expose the host's /tmp), so make the caller say it.
        raise ValueError(f"workdir {wd} must be inside one of the readable/writable paths")
    # Parents before children: binding /a after /a/b would hide /a/b.
    ordered = sorted(binds.values(), key=lambda b: (len(b.dest.parts), str(b.dest)))
    return ordered, warnings
