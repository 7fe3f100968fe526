"""The chain of small programs that turns "root, full limits" into "student code".

    setpriv (drop to the run's uid, clear groups/caps, no_new_privs)
      -> prlimit (setrlimit, as that uid: it can only lower limits)
        -> /bin/sh prelude (create HOME and the Jupyter runtime dir, 0700, as that uid)
          -> the caller's argv

exec-ing util-linux tools rather than using subprocess's preexec_fn keeps the grader
free of preexec_fn, which is unsafe in a multi-threaded parent (Jupyter/zmq threads).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .identity import Identity
from .limits import Limits, prlimit_argv

# Make the directories the environment points at before the student's program runs.
# Failure is ignored on purpose: if a caller points HOME somewhere read-only, the
# program should see that itself rather than the sandbox refusing to start.
_PRELUDE = (
    'for d in "$HOME" "$JUPYTER_RUNTIME_DIR"; do '
    '[ -n "$d" ] && mkdir -p -m 700 "$d" 2>/dev/null; '
    "done; "
    'exec "$@"'
)


def find_tool(name: str) -> str | None:
    """Absolute path of a system tool, looked up in the system dirs only (the
    sandbox binds /usr, so a tool from elsewhere on PATH would not exist inside)."""
    return shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")


def untraversable_dir(program: str, search_path: str) -> Path | None:
    """A directory on the way to ``program`` that an unrelated uid cannot enter.

    Only rlimits-only mode needs this: without bwrap's fresh mount tree a dropped uid
    sees the host's real /root (0700), so e.g. a pyenv interpreter there cannot be
    exec'd.  Checks o+x on every ancestor of both the named and the resolved path.
    """
    found = shutil.which(program, path=search_path) if "/" not in program else program
    if found is None:
        return None  # let exec report "not found" the usual way
    for p in (Path(found).absolute(), Path(found).resolve()):
        for d in reversed(p.parents):
            try:
                if not d.stat().st_mode & 0o001:
                    return d
            except OSError:
                return d
    return None


def drop_privileges_argv(identity: Identity, *, pdeathsig: bool) -> list[str]:
    setpriv = find_tool("setpriv")
    if setpriv is None:
        raise FileNotFoundError("setpriv (util-linux) is required to drop privileges")
    argv = [
        setpriv,
        f"--reuid={identity.uid}",
        f"--regid={identity.gid}",
        "--clear-groups",
        # Empty the inheritable and bounding sets too, so no later execve can regain
        # a capability even through a file capability.
        "--inh-caps=-all",
        "--bounding-set=-all",
        # setuid-root binaries (su, mount...) are visible under /usr: make their
        # setuid bit inert.  bwrap sets this as well; here it covers rlimits-only.
        "--no-new-privs",
    ]
    if pdeathsig:
        # rlimits-only mode has no --die-with-parent: if the grader dies, so does the run.
        argv.append("--pdeathsig=KILL")
    return [*argv, "--"]


def inner_argv(
    argv: list[str],
    *,
    identity: Identity | None,
    limits: Limits,
    pdeathsig: bool,
) -> list[str]:
    """The full command to exec inside the sandbox (or directly, rlimits-only)."""
    if not argv:
        raise ValueError("argv must not be empty")
    prlimit = find_tool("prlimit")
    if prlimit is None:
        raise FileNotFoundError("prlimit (util-linux) is required to set resource limits")
    chain: list[str] = []
    if identity is not None:
        chain += drop_privileges_argv(identity, pdeathsig=pdeathsig)
    chain += prlimit_argv(limits, prlimit)
    chain += ["/bin/sh", "-c", _PRELUDE, "sandbox-init", *argv]
    return chain
