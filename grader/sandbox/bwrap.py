"""Build the bubblewrap command line, and check once that bwrap works here.

Two modes, chosen by who runs the grader:

* root (CI, the grading server): bwrap runs *without* a user namespace; root may
  create mount/pid/net namespaces itself.  It keeps only CAP_SETUID/SETGID/SETPCAP
  for pid 2, which is setpriv, which drops to the run's dedicated uid (identity.py
  says why not ``--unshare-user --uid``).
* unprivileged caller: bwrap must use a user namespace (``--unshare-user``), and the
  code runs as uid 65534 inside it, which is the caller's uid outside.

Flags were checked against bwrap(1) of bubblewrap 0.8 (Debian 12).
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .environment import build_env
from .identity import Identity, claim_identity, group_text, passwd_text
from .launcher import find_tool, inner_argv
from .layout import ETC_ENTRIES, SYSTEM_DIRS, TOP_LEVEL_MAYBE_LINKS, Bind, python_prefixes
from .limits import Limits
from .seccomp import build_filter

USERNS_UID = 65534  # the in-namespace uid for the unprivileged-caller mode
_HOSTS = "127.0.0.1 localhost sandbox\n::1 localhost ip6-localhost\n"


@dataclass
class BwrapCommand:
    argv: list[str]
    # Read ends of pipes holding synthetic /etc files and the seccomp filter; bwrap
    # reads them at start-up.
    pass_fds: tuple[int, ...] = field(default_factory=tuple)
    warnings: list[str] = field(default_factory=list)

    def close(self) -> None:
        for fd in self.pass_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.pass_fds = ()


def _data_fd(data: str | bytes) -> int:
    """A pipe pre-filled with data (small: well under the 64 KiB pipe buffer)."""
    r, w = os.pipe()
    try:
        os.write(w, data.encode() if isinstance(data, str) else data)
    finally:
        os.close(w)
    return r


class _Parents:
    """Emit ``--perms 0755 --dir`` for each missing ancestor of a mount point.

    bwrap 0.8 creates missing parents of a bind destination with mode 0700 (seen
    here, and reported in the wild), which would lock the unprivileged uid out of
    e.g. /root/.pyenv/... and /work/...; creating them ourselves first fixes the mode.
    """

    def __init__(self) -> None:
        self._done: set[str] = {"/"}

    def __call__(self, dest: str) -> list[str]:
        out: list[str] = []
        for parent in reversed(Path(dest).parents):
            p = str(parent)
            if p not in self._done:
                self._done.add(p)
                out += ["--perms", "0755", "--dir", p]
        return out


def _system_args(parents: _Parents) -> list[str]:
    args: list[str] = []
    for d in SYSTEM_DIRS:
        args += ["--ro-bind", d, d]
    for top in TOP_LEVEL_MAYBE_LINKS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    # Recreate symlinks as symlinks (e.g. /etc/localtime -> zoneinfo): some libraries
    # read the link target itself to learn the time zone name.
    for entry in ETC_ENTRIES:
        args += parents(entry)
        if os.path.islink(entry):
            args += ["--symlink", os.readlink(entry), entry]
        else:
            args += ["--ro-bind-try", entry, entry]
    args += [
        "--proc", "/proc",  # a fresh procfs showing only this pid namespace
        "--dev", "/dev",  # a minimal /dev: null, zero, random, urandom, tty, pts
    ]  # fmt: skip
    return args


def build_command(
    argv: list[str],
    *,
    chdir: Path,
    binds: list[Bind],
    limits: Limits,
    env: dict[str, str] | None,
    identity: Identity | None,
    bwrap: str = "bwrap",
) -> BwrapCommand:
    """identity given: root mode (drop to that uid); None: user-namespace mode."""
    cmd = BwrapCommand(argv=[bwrap])
    try:
        _fill(cmd, argv, chdir=chdir, binds=binds, limits=limits, env=env, identity=identity)
    except BaseException:
        cmd.close()  # a bad argument must not leak the data pipes
        raise
    return cmd


def _fill(
    cmd: BwrapCommand,
    argv: list[str],
    *,
    chdir: Path,
    binds: list[Bind],
    limits: Limits,
    env: dict[str, str] | None,
    identity: Identity | None,
) -> None:
    inside = identity or Identity(uid=USERNS_UID, gid=USERNS_UID)
    args = cmd.argv

    def data(payload: str | bytes) -> str:
        fd = _data_fd(payload)
        cmd.pass_fds = (*cmd.pass_fds, fd)
        return str(fd)

    args += [
        # No network at all (only a loopback inside), own pids (cannot see or signal
        # host processes), own SysV IPC, hostname and cgroup view.
        "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname", "sandbox",
        # If the grader dies, everything in the sandbox is SIGKILLed; with the pid
        # namespace this also reaps daemons the student started.
        "--die-with-parent",
        # setsid(): no controlling terminal, so no TIOCSTI keystroke injection.
        "--new-session",
    ]  # fmt: skip
    if identity is None:
        # --disable-userns: the code may not nest user namespaces to remap mounts.
        args += ["--unshare-user", "--uid", str(USERNS_UID), "--gid", str(USERNS_UID)]
        args += ["--disable-userns"]
    else:
        # Root keeps all capabilities in the sandbox by default; leave pid 2 (setpriv)
        # only what it needs to switch uid and empty its bounding set.
        args += ["--cap-drop", "ALL"]
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    parents = _Parents()
    args += _system_args(parents)
    # Private scratch space in RAM, capped, sticky like a normal /tmp.
    args += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    args += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm"]
    args += [*parents("/var/tmp"), "--symlink", "/tmp", "/var/tmp"]
    synthetic = {
        "/etc/passwd": passwd_text(inside, "/tmp/home"),
        "/etc/group": group_text(inside),
        "/etc/hosts": _HOSTS,
    }
    for dest, text in synthetic.items():
        args += ["--perms", "0644", "--ro-bind-data", data(text), dest]
    for prefix in python_prefixes():
        args += [*parents(str(prefix)), "--ro-bind", str(prefix), str(prefix)]
    for b in binds:
        args += parents(str(b.dest))
        args += ["--bind" if b.writable else "--ro-bind", str(b.src), str(b.dest)]
    # The sandbox's own root tmpfs: nothing may be created beside the mounts.
    args += ["--remount-ro", "/"]
    bpf = build_filter()
    if bpf is None:
        cmd.warnings.append(
            "no seccomp filter for this CPU architecture; namespaces, "
            "keyrings and io_uring stay reachable from the sandbox"
        )
    else:
        args += ["--seccomp", data(bpf)]
    args += ["--clearenv"]
    for key, value in sorted(build_env(env, "/tmp").items()):
        args += ["--setenv", key, value]
    args += ["--chdir", str(chdir), "--"]
    args += inner_argv(argv, identity=identity, limits=limits, pdeathsig=False)


@dataclass(frozen=True)
class Probe:
    ok: bool
    detail: str


@functools.cache
def probe_bwrap() -> Probe:
    """Self-test: does a full sandbox (namespaces, uid drop, limits) start here?

    Cached per process: the answer depends on the kernel, the bwrap binary and our
    privileges, none of which change while the grader runs.
    """
    bwrap = find_tool("bwrap")
    if bwrap is None:
        return Probe(False, "bwrap not found (Debian package: bubblewrap)")
    true = find_tool("true") or "/bin/true"
    try:
        if os.geteuid() == 0:
            with claim_identity() as ident:
                return _run_probe(bwrap, true, ident)
        return _run_probe(bwrap, true, None)
    except (OSError, RuntimeError) as exc:
        return Probe(False, f"bwrap self-test could not run: {exc}")


def _run_probe(bwrap: str, true: str, ident: Identity | None) -> Probe:
    cmd = build_command(
        [true], chdir=Path("/"), binds=[], limits=Limits(), env=None, identity=ident,
        bwrap=bwrap,
    )  # fmt: skip
    try:
        proc = subprocess.run(
            cmd.argv,
            pass_fds=cmd.pass_fds,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=20,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Probe(False, "bwrap self-test timed out")
    finally:
        cmd.close()
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        return Probe(False, f"bwrap self-test failed (exit {proc.returncode}): {err}")
    return Probe(True, "bwrap self-test passed")
