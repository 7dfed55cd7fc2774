"""Thin ctypes bindings for the Linux system calls Python 3.11's ``os`` lacks.

Each wrapper raises ``OSError`` with the real errno (so callers can accept
"already exists"/"already gone" by errno, never by message text).
"""

from __future__ import annotations

import ctypes
import os


def load_library(soname: str, name: str) -> ctypes.CDLL:
    """dlopen ``soname`` directly; only if that fails ask ``find_library`` (which runs
    ``ldconfig -p`` in a subprocess: tens of milliseconds on every command otherwise)."""
    try:
        return ctypes.CDLL(soname, use_errno=True)
    except OSError:
        from ctypes import util  # imports subprocess: only on this rare path

        found = util.find_library(name)
        if found is None:
            raise
        return ctypes.CDLL(found, use_errno=True)


_libc = load_library("libc.so.6", "c")

# unshare(2) / setns(2) / clone flags
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

# mount(2) flags
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_SILENT = 32768
MS_UNBINDABLE = 1 << 17
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_SHARED = 1 << 20
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

# umount2(2) flags
MNT_FORCE = 1
MNT_DETACH = 2
UMOUNT_NOFOLLOW = 8


def _check(result: int, what: str, *paths: str | bytes | None) -> int:
    if result == -1:
        err = ctypes.get_errno()
        names = [os.fsdecode(p) for p in paths if p is not None]
        raise OSError(err, f"{what}: {os.strerror(err)}", *names[:2])
    return result


def _b(path: str | bytes | os.PathLike[str] | None) -> bytes | None:
    return None if path is None else os.fsencode(path)


def mount(
    source: str | os.PathLike[str] | None,
    target: str | os.PathLike[str],
    fstype: str | None = None,
    flags: int = 0,
    data: str | bytes | None = None,
) -> None:
    src, tgt = _b(source), _b(target)
    fs = fstype.encode() if fstype else None
    opt = data.encode() if isinstance(data, str) else data
    _check(_libc.mount(src, tgt, fs, ctypes.c_ulong(flags), opt), "mount", src, tgt)


def umount(target: str | os.PathLike[str], flags: int = 0) -> None:
    tgt = _b(target)
    _check(_libc.umount2(tgt, ctypes.c_int(flags)), "umount", tgt)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def setns(fd: int, nstype: int = 0) -> None:
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)), "setns")


def pivot_root(new_root: str | os.PathLike[str], put_old: str | os.PathLike[str]) -> None:
    SYS_pivot_root = {"x86_64": 155, "aarch64": 41}[os.uname().machine]
    new, old = _b(new_root), _b(put_old)
    _check(_libc.syscall(ctypes.c_long(SYS_pivot_root), new, old), "pivot_root", new, old)


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_libc.sethostname(raw, ctypes.c_size_t(len(raw))), "sethostname")


def setdomainname(name: str) -> None:
    raw = name.encode()
    _check(_libc.setdomainname(raw, ctypes.c_size_t(len(raw))), "setdomainname")


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return _check(
        _libc.prctl(
            ctypes.c_int(option),
            ctypes.c_ulong(arg2),
            ctypes.c_ulong(arg3),
            ctypes.c_ulong(arg4),
            ctypes.c_ulong(arg5),
        ),
        "prctl",
    )


# prctl(2) options
PR_SET_PDEATHSIG = 1
PR_SET_KEEPCAPS = 8
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

_SYSCALLS = {
    "x86_64": {"pidfd_open": 434, "pidfd_send_signal": 424, "capget": 125, "capset": 126, "seccomp": 317},
    "aarch64": {"pidfd_open": 434, "pidfd_send_signal": 424, "capget": 90, "capset": 91, "seccomp": 277},
}


def _nr(name: str) -> int:
    return _SYSCALLS[os.uname().machine][name]


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32))


_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def capset(effective: int, permitted: int, inheritable: int) -> None:
    """Set this thread's capability sets (64-bit masks)."""
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    for i in range(2):
        shift = 32 * i
        data[i].effective = (effective >> shift) & 0xFFFFFFFF
        data[i].permitted = (permitted >> shift) & 0xFFFFFFFF
        data[i].inheritable = (inheritable >> shift) & 0xFFFFFFFF
    _check(_libc.syscall(ctypes.c_long(_nr("capset")), ctypes.byref(header), data), "capset")


def capget(pid: int = 0) -> tuple[int, int, int]:
    """(effective, permitted, inheritable) of ``pid`` (0: this thread)."""
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, pid)
    data = (_CapData * 2)()
    _check(_libc.syscall(ctypes.c_long(_nr("capget")), ctypes.byref(header), data), "capget")
    eff = data[0].effective | (data[1].effective << 32)
    perm = data[0].permitted | (data[1].permitted << 32)
    inh = data[0].inheritable | (data[1].inheritable << 32)
    return eff, perm, inh


def pidfd_open(pid: int) -> int:
    """A pidfd for ``pid``: readable once the process has exited, immune to pid reuse."""
    return _check(_libc.syscall(ctypes.c_long(_nr("pidfd_open")), ctypes.c_int(pid), ctypes.c_uint(0)),
                  "pidfd_open")


def pidfd_send_signal(pidfd: int, sig: int) -> None:
    _check(
        _libc.syscall(ctypes.c_long(_nr("pidfd_send_signal")), ctypes.c_int(pidfd), ctypes.c_int(sig),
                      None, ctypes.c_uint(0)),
        "pidfd_send_signal",
    )


# pty ioctls (asm-generic): unlock a pty and get its number
TIOCSPTLCK = 0x40045431
TIOCGPTN = 0x80045430


SECCOMP_SET_MODE_FILTER = 1


def seccomp_set_filter(fprog_address: int, flags: int = 0) -> None:
    """seccomp(SECCOMP_SET_MODE_FILTER, flags, fprog): install a BPF filter on this thread."""
    _check(_libc.syscall(ctypes.c_long(_nr("seccomp")), ctypes.c_uint(SECCOMP_SET_MODE_FILTER),
                         ctypes.c_uint(flags), ctypes.c_void_p(fprog_address)), "seccomp")


def close_fds_except(keep: set[int]) -> None:
    """Close every fd of this (freshly forked) process except ``keep``.

    A child forked while other threads have pipes open inherits their ends too; if it kept
    them, another child would never see end of file on its pipe (each would wait for the
    other). Children forked from a threaded caller call this first."""
    low = 0
    for fd in sorted(keep):
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))
