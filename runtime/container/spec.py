"""The container spec: everything the runtime needs to run one container, and nothing else.

In the spirit of the OCI runtime spec (process, root, hostname, mounts, namespaces, resources,
capabilities, rlimits, sysctls, masked and read-only paths, seccomp, devices) plus what a
supervisor needs (restart policy, healthcheck, logging, stop signal and grace period).
Turning a compose service into a spec belongs to ``compose/``; the runtime sees only this.
The spec round-trips through JSON (``to_json``/``from_json``) because the supervisor reads
it from the container's state directory.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any

from runtime.linux.capabilities import DOCKER_DEFAULT
from runtime.linux.cgroups import Resources

# Namespace kinds and how a container gets each one
NAMESPACES = ("mount", "pid", "uts", "ipc", "network", "cgroup")

# Docker's defaults (moby oci/defaults.go)
MASKED_PATHS: tuple[str, ...] = (
    "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS: tuple[str, ...] = (
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class User:
    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = ()
    name: str = "root"  # for exec/inspect only


@dataclass(frozen=True)
class Rlimit:
    type: str  # e.g. "RLIMIT_NOFILE" or "nofile"
    soft: int
    hard: int


@dataclass(frozen=True)
class Process:
    args: tuple[str, ...]
    env: tuple[str, ...] = ()  # "KEY=value"
    cwd: str = "/"
    user: User = User()
    terminal: bool = False
    stdin: bool = False  # keep stdin open (docker -i / stdin_open)


@dataclass(frozen=True)
class Mount:
    destination: str
    type: str  # bind, tmpfs, proc, ...
    source: str = ""
    options: tuple[str, ...] = ()  # ro, rw, nosuid, nodev, noexec, rprivate, size=..., mode=...


@dataclass(frozen=True)
class Namespace:
    """``kind`` from NAMESPACES; ``mode``: private (new), host (share the host's), or
    ``container:<id>`` (join another container's)."""

    kind: str
    mode: str = "private"


@dataclass(frozen=True)
class Device:
    path: str  # inside the container
    type: str  # c or b
    major: int
    minor: int
    permissions: str = "rwm"
    file_mode: int = 0o666


@dataclass(frozen=True)
class Healthcheck:
    test: tuple[str, ...]  # Docker's forms: ("CMD", ...), ("CMD-SHELL", "..."), ("NONE",)
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    start_period: float = 0.0
    start_interval: float = 5.0


@dataclass(frozen=True)
class RestartPolicy:
    name: str = "no"  # no, always, on-failure, unless-stopped
    max_retries: int = 0  # on-failure:N (0: unlimited)


@dataclass(frozen=True)
class LogConfig:
    driver: str = "json-file"  # json-file or none
    max_size: int = 0  # bytes per file, 0 = unlimited
    max_file: int = 1


@dataclass(frozen=True)
class ContainerSpec:
    process: Process
    hostname: str = ""
    domainname: str = ""
    readonly_rootfs: bool = False
    mounts: tuple[Mount, ...] = ()
    namespaces: tuple[Namespace, ...] = tuple(Namespace(k) for k in NAMESPACES)
    resources: Resources = Resources()  # noqa: RUF009 (frozen, so sharing the default is safe)
    oom_score_adj: int | None = None
    capabilities: tuple[str, ...] = DOCKER_DEFAULT
    privileged: bool = False
    no_new_privileges: bool = False
    seccomp: str | None = "default"  # "default", "unconfined", or a path to a profile in Docker's format
    rlimits: tuple[Rlimit, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    masked_paths: tuple[str, ...] = MASKED_PATHS
    readonly_paths: tuple[str, ...] = READONLY_PATHS
    devices: tuple[Device, ...] = ()
    init: bool = False  # run a small init (tini) as PID 1
    extra_hosts: tuple[tuple[str, str], ...] = ()  # (name, address) lines for /etc/hosts
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    shm_size: int = 64 * 1024 * 1024
    stop_signal: str = "SIGTERM"
    stop_grace_period: float = 10.0
    restart: RestartPolicy = RestartPolicy()
    healthcheck: Healthcheck | None = None
    log: LogConfig = LogConfig()
    labels: tuple[tuple[str, str], ...] = ()

    def namespace(self, kind: str) -> Namespace:
        for ns in self.namespaces:
            if ns.kind == kind:
                return ns
        return Namespace(kind, "host")

    def to_json(self) -> dict[str, Any]:
        return _encode(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerSpec:
        return _decode(cls, data)


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


@functools.cache
def _hints(tp: type) -> dict[str, Any]:
    return typing.get_type_hints(tp)


def _decode(tp: Any, data: Any) -> Any:
    if isinstance(tp, str):
        raise TypeError("unresolved annotation")
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name])
        return tp(**kwargs)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(inner[0], data)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in data)
        return tuple(_decode(a, v) for a, v in zip(args, data, strict=True))
    return data


__all__ = [
    "DEFAULT_PATH", "MASKED_PATHS", "NAMESPACES", "READONLY_PATHS", "ContainerSpec", "Device", "Healthcheck",
    "LogConfig", "Mount", "Namespace", "Process", "Resources", "RestartPolicy", "Rlimit", "User",
]
