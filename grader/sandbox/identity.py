"""Who the untrusted code runs as: a dedicated uid per concurrent run.

Why not plain ``nobody`` (65534): RLIMIT_NPROC is counted per *real uid* across the
whole machine, so runs sharing a uid share one process budget (a fork bomb in one
run would starve the others), and any daemon already running as nobody would count
too.  Why not bwrap's ``--unshare-user --uid 65534`` when the grader is root: the
sandbox uid is then mapped to kernel uid 0, and the kernel exempts uid 0 from
RLIMIT_NPROC and lets it read root-owned 0600 files in every bound directory (both
verified on this machine).  So a root grader drops to a real, otherwise unused uid.

Slots are claimed with flock on files in a root-only directory: the lock dies with
the process holding it, so a crashed grader never leaks a slot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# High and unusual, so that no real account or /etc/subuid range (100000 + 65536*n)
# owns these ids; override when that assumption fails on some host.
UID_BASE = int(os.environ.get("GRADER_SANDBOX_UID_BASE", "2000000000"))
SLOTS = 256
_LOCK_DIR = Path(os.environ.get("GRADER_SANDBOX_LOCK_DIR", "/run/lock/grader-sandbox"))
SANDBOX_USER = "sandbox"


@dataclass(frozen=True)
class Identity:
    uid: int
    gid: int


def passwd_text(identity: Identity, home: str) -> str:
    """A synthetic /etc/passwd: tools calling getpwuid() (getpass, some C libs) work,
    and the host's account list stays invisible."""
    return (
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"{SANDBOX_USER}:x:{identity.uid}:{identity.gid}:sandbox:{home}:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )


def group_text(identity: Identity) -> str:
    return f"root:x:0:\n{SANDBOX_USER}:x:{identity.gid}:\nnogroup:x:65534:\n"


@contextlib.contextmanager
def claim_identity() -> Iterator[Identity]:
    """Hold an exclusive uid slot for the duration of one run (root only)."""
    _LOCK_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    for slot in range(SLOTS):
        fd = os.open(_LOCK_DIR / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        ident = Identity(uid=UID_BASE + slot, gid=UID_BASE + slot)
        try:
            # A grader killed mid-run may have left processes of this uid behind.
            kill_all_processes_of(ident)
            yield ident
        finally:
            kill_all_processes_of(ident)
            os.close(fd)  # releases the flock
        return
    raise RuntimeError(f"all {SLOTS} sandbox uid slots are busy")


def kill_all_processes_of(identity: Identity) -> None:
    """SIGKILL every process whose uid is identity.uid, wherever it hides.

    kill(-1, SIGKILL) sent *as that uid* reaches exactly the processes it may signal,
    i.e. its own, even ones that called setsid() or left our process group, and never
    the caller itself.  Done in a forked child that only makes raw syscalls before
    _exit, so forking from a multi-threaded grader is safe.
    """
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            os.setgroups([])
            os.setresgid(identity.gid, identity.gid, identity.gid)
            os.setresuid(identity.uid, identity.uid, identity.uid)
            os.kill(-1, signal.SIGKILL)
        except BaseException:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


def _walk(root: Path) -> Iterator[Path]:
    """root and everything below it, never following symlinks (a student may plant
    a symlink to /etc in a writable dir; we must chown the link, not its target)."""
    yield root
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            yield Path(dirpath, name)


def hand_over(paths: list[Path], identity: Identity) -> dict[Path, tuple[int, int]]:
    """chown writable trees to the sandbox uid; returns each root's original owner."""
    owners: dict[Path, tuple[int, int]] = {}
    for root in paths:
        st = root.lstat()
        if UID_BASE <= st.st_uid < UID_BASE + SLOTS:
            # Recording a sandbox uid as "the owner" would hand the tree back to it.
            raise RuntimeError(
                f"writable path {root} is owned by sandbox uid {st.st_uid}: another run "
                "is using it, or a grader died mid-run (chown it back to proceed)"
            )
        owners[root] = (st.st_uid, st.st_gid)
        for p in _walk(root):
            os.chown(p, identity.uid, identity.gid, follow_symlinks=False)
    return owners


def hand_back(owners: dict[Path, tuple[int, int]]) -> None:
    """After the run: everything in a writable tree goes to that tree's original owner.

    Runs only once every sandbox process is dead, so the tree cannot change under us.
    setuid/setgid bits are stripped so that nothing the student made can become a
    privileged executable once it is owned by root.
    """
    for root, (uid, gid) in owners.items():
        for p in _walk(root):
            with contextlib.suppress(FileNotFoundError):
                os.chown(p, uid, gid, follow_symlinks=False)
                if stat.S_ISREG(p.lstat().st_mode):
                    _strip_setid(p)


def _strip_setid(path: Path) -> None:
    # Through an O_NOFOLLOW descriptor, so a symlink can never redirect the chmod.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # became a symlink or vanished: nothing of ours to fix
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode) and mode & (stat.S_ISUID | stat.S_ISGID):
            os.fchmod(fd, stat.S_IMODE(mode) & ~(stat.S_ISUID | stat.S_ISGID))
    finally:
        os.close(fd)
