"""A small seccomp filter for bwrap's --seccomp: deny kernel features grading never needs.

Hand-assembled classic BPF (no libseccomp in the venv), in the spirit of Flatpak's
filter.  What it closes, and why it matters here:

* user/mount/pid/... namespaces (unshare, setns, clone with CLONE_NEW*): in root mode
  the sandbox uid lives in the host user namespace and could otherwise create its own
  (``unshare -Ur`` worked before this filter); that is a large kernel attack surface.
* kernel keyrings (add_key, keyctl, request_key): keyrings belong to the uid, and uid
  slots are reused by later runs, so a key would be a channel between two students.
* bpf, perf_event_open, userfaultfd, io_uring: frequent sources of kernel exploits.
* ioctl(TIOCSTI): typing into the grader's terminal (also prevented by --new-session).
* ptrace, process_vm_readv/writev, pidfd_getfd, kcmp: reading or steering another process of
  the same uid. Every process of one run shares the sandbox uid, and some of them are the
  grader's (the speed measurer, the verifier's worker link): they also make themselves
  non-dumpable, and this closes the syscalls themselves.

Only x86_64 is encoded (the syscall numbers are per architecture); elsewhere the
caller gets None and runs without the filter, with a warning.
"""

from __future__ import annotations

import errno
import platform
import struct

# linux/filter.h and linux/seccomp.h
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO = 0x00050000

# offsets in struct seccomp_data: nr, arch, instruction_pointer, args[6] (u64 each;
# loading at 16 + 8*i reads the low 32 bits on little-endian x86_64).
_NR, _ARCH, _ARG0, _ARG1 = 0, 4, 16, 24
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000

# x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl).
_DENY_EPERM = {
    "unshare": 272,
    "setns": 308,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "kcmp": 312,
    "pidfd_getfd": 438,
}
_CLONE, _CLONE3, _IOCTL = 56, 435, 16
# clone3 passes its flags in memory, which a BPF filter cannot read; ENOSYS makes
# glibc fall back to clone(), whose flags we can check.
_CLONE3_ERRNO = errno.ENOSYS
_CLONE_NEW_FLAGS = (
    0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
    | 0x00000080  # CLONE_NEWTIME
)
_TIOCSTI = 0x5412


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def _deny(nr: int, err: int) -> list[bytes]:
    # if (nr == N) return ERRNO(err); else fall through to the next rule
    return [_insn(_JEQ, nr, 0, 1), _insn(_RET, _ERRNO | err)]


def _deny_if_arg(nr: int, offset: int, *, mask: int | None, equals: int | None) -> list[bytes]:
    # if (nr == N) { A = arg; return (A matches) ? EPERM : ALLOW; }
    test = _insn(_JSET, mask, 0, 1) if mask is not None else _insn(_JEQ, equals or 0, 0, 1)
    return [
        _insn(_JEQ, nr, 0, 4),
        _insn(_LD_W_ABS, offset),
        test,
        _insn(_RET, _ERRNO | errno.EPERM),
        _insn(_RET, _ALLOW),
    ]


def build_filter() -> bytes | None:
    """The compiled filter (an array of struct sock_filter), or None if unsupported."""
    if platform.machine() != "x86_64":
        return None
    prog = [
        _insn(_LD_W_ABS, _ARCH),
        # Another ABI (i386 via int 0x80) has other numbers: kill instead of guessing.
        _insn(_JEQ, _AUDIT_ARCH_X86_64, 1, 0),
        _insn(_RET, _KILL_PROCESS),
        _insn(_LD_W_ABS, _NR),
        # x32 syscalls are the same calls with bit 30 set: refuse them all.
        _insn(_JSET, _X32_SYSCALL_BIT, 0, 1),
        _insn(_RET, _ERRNO | errno.ENOSYS),
    ]
    for nr in _DENY_EPERM.values():
        prog += _deny(nr, errno.EPERM)
    prog += _deny(_CLONE3, _CLONE3_ERRNO)
    prog += _deny_if_arg(_CLONE, _ARG0, mask=_CLONE_NEW_FLAGS, equals=None)
    prog += _deny_if_arg(_IOCTL, _ARG1, mask=None, equals=_TIOCSTI)
    prog.append(_insn(_RET, _ALLOW))
    return b"".join(prog)
