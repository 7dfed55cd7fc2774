"""Seccomp filters from profiles in Docker's JSON format, applied through libseccomp (ctypes).

Why libseccomp through ctypes: Debian's ``libseccomp2`` is already on every host that runs
containers, it resolves syscall names per architecture (x86_64 with its x86/x32 sub-arches)
and generates the BPF program; the PyPI bindings need a compiler or do not build on 3.11.

``compile_rules`` turns a profile into plain data (one :class:`Rule` per syscall and condition)
for a given architecture, capability set and kernel; it needs no library and is what the tests
compare. ``load`` hands those rules to libseccomp and installs the filter on this process.
"""

from __future__ import annotations

import ctypes
import errno as errno_mod
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime.errors import RuntimeFailure
from runtime.linux import libc
from runtime.linux.libc import load_library

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"
DEFAULT_PROFILE = PROFILE_DIR / "seccomp.json"

_ACTIONS = {
    "SCMP_ACT_KILL": 0x00000000,
    "SCMP_ACT_KILL_THREAD": 0x00000000,
    "SCMP_ACT_KILL_PROCESS": 0x80000000,
    "SCMP_ACT_TRAP": 0x00030000,
    "SCMP_ACT_ERRNO": 0x00050000,
    "SCMP_ACT_TRACE": 0x7FF00000,
    "SCMP_ACT_LOG": 0x7FFC0000,
    "SCMP_ACT_ALLOW": 0x7FFF0000,
}
_OPS = {
    "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
}
# Go's GOARCH (what Docker profiles say in includes/excludes) for each machine
_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
           "s390x": "s390x", "riscv64": "riscv64", "i686": "386"}
# Go's GOARCH -> libseccomp's name of that native architecture
_SCMP_ARCH = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64", "arm": "SCMP_ARCH_ARM",
              "386": "SCMP_ARCH_X86", "ppc64le": "SCMP_ARCH_PPC64LE", "s390x": "SCMP_ARCH_S390X",
              "riscv64": "SCMP_ARCH_RISCV64"}
_SCMP_FLTATR_CTL_NNP = 3


@dataclass(frozen=True)
class ArgCmp:
    index: int
    op: str
    value: int
    value_two: int = 0


@dataclass(frozen=True)
class Rule:
    syscall: str
    action: str
    errno: int | None = None
    args: tuple[ArgCmp, ...] = ()


@dataclass(frozen=True)
class Filter:
    default_action: str
    default_errno: int | None
    arches: tuple[str, ...]
    rules: tuple[Rule, ...]


def goarch() -> str:
    machine = platform.machine()
    return _GOARCH.get(machine, machine)


def _kernel_at_least(minimum: str) -> bool:
    def parts(text: str) -> tuple[int, ...]:
        out = []
        for piece in text.split("-")[0].split(".")[:2]:
            digits = "".join(ch for ch in piece if ch.isdigit())
            out.append(int(digits or 0))
        return tuple(out)

    return parts(platform.release()) >= parts(minimum)


def _applies(entry: dict[str, Any], caps: frozenset[str], arch: str, kernel_ok) -> bool:
    inc = entry.get("includes") or {}
    exc = entry.get("excludes") or {}
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if inc.get("caps") and not all(c in caps for c in inc["caps"]):
        return False
    if inc.get("minKernel") and not kernel_ok(inc["minKernel"]):
        return False
    if exc.get("arches") and arch in exc["arches"]:
        return False
    return not (exc.get("caps") and any(c in caps for c in exc["caps"]))


def compile_rules(profile: dict[str, Any], caps: tuple[str, ...], arch: str | None = None,
                  kernel_ok=_kernel_at_least) -> Filter:
    """The rules a profile yields for a process with capability set ``caps`` on ``arch``."""
    arch = arch or goarch()
    capset = frozenset(caps)
    default_errno = profile.get("defaultErrnoRet")
    arches: list[str] = []
    native = _SCMP_ARCH.get(arch, "")
    for entry in profile.get("archMap") or ():
        if entry["architecture"] == native:
            arches.append(entry["architecture"])
            arches.extend(entry.get("subArchitectures") or ())
    arches.extend(profile.get("architectures") or ())
    rules: list[Rule] = []
    for entry in profile.get("syscalls") or ():
        if not _applies(entry, capset, arch, kernel_ok):
            continue
        action = entry["action"]
        if action not in _ACTIONS:
            raise RuntimeFailure(f"seccomp profile: unknown action {action!r}")
        err = entry.get("errnoRet")
        if action == "SCMP_ACT_ERRNO" and err is None:
            err = default_errno if default_errno is not None else errno_mod.EPERM
        args = tuple(ArgCmp(a["index"], a["op"], a["value"], a.get("valueTwo", 0)) for a in entry.get("args") or ())
        names = list(entry.get("names") or ())
        if entry.get("name"):
            names.append(entry["name"])
        for name in names:
            rules.append(Rule(name, action, err if action == "SCMP_ACT_ERRNO" else None, args))
    if profile["defaultAction"] == "SCMP_ACT_ERRNO" and default_errno is None:
        default_errno = errno_mod.EPERM
    return Filter(profile["defaultAction"], default_errno, tuple(dict.fromkeys(arches)), tuple(rules))


def load_profile(path: str | os.PathLike[str] = DEFAULT_PROFILE) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise RuntimeFailure(f"seccomp profile {path}: {exc}") from None
    if not isinstance(data, dict) or "defaultAction" not in data:
        raise RuntimeFailure(f"seccomp profile {path}: not a seccomp profile (no defaultAction)")
    return data


class _ArgCmpStruct(ctypes.Structure):
    _fields_ = (("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64))


class _Lib:
    """The few libseccomp calls we use, bound on first use (only in a container's init)."""

    def __init__(self) -> None:
        try:
            lib = load_library("libseccomp.so.2", "seccomp")
        except OSError as exc:
            raise RuntimeFailure(f"libseccomp not found ({exc}); install Debian's libseccomp2") from None
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = (ctypes.c_uint32,)
        lib.seccomp_release.argtypes = (ctypes.c_void_p,)
        lib.seccomp_load.argtypes = (ctypes.c_void_p,)
        lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
        lib.seccomp_arch_add.argtypes = (ctypes.c_void_p, ctypes.c_uint32)
        lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
        lib.seccomp_arch_resolve_name.argtypes = (ctypes.c_char_p,)
        lib.seccomp_arch_native.restype = ctypes.c_uint32
        lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
        lib.seccomp_attr_set.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32)
        lib.seccomp_rule_add_array.argtypes = (ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                              ctypes.POINTER(_ArgCmpStruct))
        self.lib = lib


def _action_value(action: str, err: int | None) -> int:
    value = _ACTIONS[action]
    if action in ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"):
        value |= (err or 0) & 0xFFFF
    return value


def library() -> ctypes.CDLL:
    """libseccomp, bound now (a container's init binds it before pivot_root hides the host)."""
    return _Lib().lib


def _context(lib: ctypes.CDLL, flt: Filter) -> int:
    """A libseccomp context holding ``flt`` (the caller releases it)."""
    default = _action_value(flt.default_action, flt.default_errno)
    ctx = lib.seccomp_init(default)
    if not ctx:
        raise RuntimeFailure("seccomp_init failed")
    try:
        rc = lib.seccomp_attr_set(ctx, _SCMP_FLTATR_CTL_NNP, 0)  # no_new_privs is set (or not) by the caller
        if rc < 0:
            raise RuntimeFailure(f"seccomp_attr_set: {os.strerror(-rc)}")
        native = lib.seccomp_arch_native()
        for arch in flt.arches:
            token = lib.seccomp_arch_resolve_name(arch.removeprefix("SCMP_ARCH_").lower().encode())
            if token == 0 or token == native:
                continue
            rc = lib.seccomp_arch_add(ctx, token)
            if rc < 0 and -rc != errno_mod.EEXIST:
                raise RuntimeFailure(f"seccomp_arch_add {arch}: {os.strerror(-rc)}")
        for rule in flt.rules:
            action = _action_value(rule.action, rule.errno)
            if action == default:
                continue
            nr = lib.seccomp_syscall_resolve_name(rule.syscall.encode())
            if nr < 0:
                continue  # not a syscall on this architecture
            for group in _split_same_index(rule.args):
                arr = (_ArgCmpStruct * max(1, len(group)))()
                for i, a in enumerate(group):
                    arr[i] = _ArgCmpStruct(a.index, _OPS[a.op], a.value, a.value_two)
                rc = lib.seccomp_rule_add_array(ctx, action, nr, len(group), arr)
                if rc < 0:
                    raise RuntimeFailure(f"seccomp rule for {rule.syscall}: {os.strerror(-rc)}")
    except BaseException:
        lib.seccomp_release(ctx)
        raise
    return ctx


def export_bpf(flt: Filter, lib: ctypes.CDLL | None = None) -> bytes:
    """The BPF program libseccomp generates for ``flt`` (what it would install)."""
    lib = lib or library()
    ctx = _context(lib, flt)
    fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
    try:
        rc = lib.seccomp_export_bpf(ctypes.c_void_p(ctx), fd)
        if rc < 0:
            raise RuntimeFailure(f"seccomp_export_bpf: {os.strerror(-rc)}")
        size = os.lseek(fd, 0, os.SEEK_END)
        return os.pread(fd, size, 0)
    finally:
        os.close(fd)
        lib.seccomp_release(ctx)


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def install_bpf(program: bytes) -> None:
    """Install a BPF program from :func:`export_bpf` on this process (and its future children).

    Needs no_new_privs or CAP_SYS_ADMIN, as any seccomp filter does."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc.seccomp_set_filter(ctypes.addressof(fprog))


def program_for(profile_path: str, caps: tuple[str, ...]) -> bytes:
    """Load, compile and export: the BPF program a profile gives a process with ``caps``."""
    return export_bpf(compile_rules(load_profile(profile_path), caps))


def load(flt: Filter, *, set_no_new_privs: bool, lib: ctypes.CDLL | None = None) -> None:
    """Install ``flt`` on this process through libseccomp."""
    if set_no_new_privs:
        libc.prctl(libc.PR_SET_NO_NEW_PRIVS, 1)
    install_bpf(export_bpf(flt, lib))


def _split_same_index(args: tuple[ArgCmp, ...]) -> list[tuple[ArgCmp, ...]]:
    """libseccomp ANDs the comparisons of one rule but refuses two on the same argument;
    like runc, a rule comparing one argument several times becomes one rule per comparison."""
    indices = [a.index for a in args]
    if len(indices) == len(set(indices)):
        return [args]
    return [(a,) for a in args]
