"""Linux capabilities: the name table, Docker's default set, and applying a set to this process.

``apply`` is called in a container's init between fork and exec: it drops the bounding set,
clears the ambient set and sets effective, permitted and inheritable to exactly the given set,
which is what Docker (through runc) gives a container's first process.
"""

from __future__ import annotations

from runtime.linux import libc

# capability(7) numbers, in kernel order
CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)
NUMBERS: dict[str, int] = {name: i for i, name in enumerate(CAPABILITIES)}

# Docker Engine's default set for a container's process (moby oci/caps/defaults.go).
DOCKER_DEFAULT: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)


def normalize(name: str) -> str:
    """``net_admin``, ``NET_ADMIN`` and ``CAP_NET_ADMIN`` all name ``CAP_NET_ADMIN``; ``ALL`` stays."""
    upper = name.strip().upper()
    if upper == "ALL":
        return upper
    return upper if upper.startswith("CAP_") else f"CAP_{upper}"


def last_cap() -> int:
    """The highest capability number this kernel knows."""
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except OSError:
        return len(CAPABILITIES) - 1


def known() -> tuple[str, ...]:
    return CAPABILITIES[: last_cap() + 1]


def available() -> tuple[str, ...]:
    """The capabilities this process may pass on (its bounding set): ``privileged`` gets these."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    return tuple(c for c in names(int(line.split()[1], 16)) if c in known())
    except OSError:
        pass
    return known()


def resolve(base: tuple[str, ...], add: tuple[str, ...] = (), drop: tuple[str, ...] = (),
            privileged: bool = False) -> tuple[str, ...]:
    """Docker's rule: start from the default (or all when privileged), add, then drop; ALL works."""
    everything = known()
    if privileged:
        return available()
    adds = {normalize(c) for c in add}
    drops = {normalize(c) for c in drop}
    unknown = sorted((adds | drops) - set(everything) - {"ALL"})
    if unknown:
        from runtime.errors import RuntimeFailure

        raise RuntimeFailure(f"unknown capability: {unknown[0]}")
    result = set(everything) if "ALL" in adds else set(base) | adds
    if "ALL" in drops:
        result = adds - {"ALL"} if "ALL" not in adds else set()
    else:
        result -= drops
    return tuple(c for c in everything if c in result)


def mask(names: tuple[str, ...]) -> int:
    value = 0
    for name in names:
        value |= 1 << NUMBERS[name]
    return value


def names(value: int) -> tuple[str, ...]:
    return tuple(name for i, name in enumerate(CAPABILITIES) if value & (1 << i))


def drop_bounding(keep: tuple[str, ...]) -> None:
    """Remove every capability not in ``keep`` from the bounding set (needs CAP_SETPCAP)."""
    wanted = mask(keep)
    for i in range(last_cap() + 1):
        if not wanted & (1 << i):
            libc.prctl(libc.PR_CAPBSET_DROP, i)


def apply(keep: tuple[str, ...]) -> None:
    """Set effective, permitted and inheritable to ``keep``; clear the ambient set."""
    value = mask(keep)
    libc.prctl(libc.PR_CAP_AMBIENT, libc.PR_CAP_AMBIENT_CLEAR_ALL)
    libc.capset(value, value, value)
