"""One replica of a service as a :class:`ContainerSpec`.

Each setting is converted by one entry of a table (:data:`SETTINGS`), a function of the
service (and what the image says) giving keyword arguments of the spec; the process
(ENTRYPOINT/CMD, environment, user) follows Docker's rules in ``Containers.build_process``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compose.errors import ConfigError
from compose.model import Service
from runtime.api.containers import (
    ContainerSpec,
    Device,
    Healthcheck,
    ImageProcess,
    LogConfig,
    Mount,
    Namespace,
    Overrides,
    Process,
    Resources,
    RestartPolicy,
    Rlimit,
    resolve_capabilities,
)
from runtime.api.images import ContainerConfig

DEFAULT_SHM = 64 * 1024 * 1024
NAMESPACE_KEYS = {"pid": "pid", "ipc": "ipc", "uts": "uts"}


@dataclass(frozen=True)
class Context:
    """What a replica's spec depends on besides the service itself."""

    image: ContainerConfig
    labels: Mapping[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    # ``service:X``/``container:X`` namespaces -> the container ID to join
    join: Mapping[str, str] = field(default_factory=dict)


def _env(service: Service) -> tuple[str, ...]:
    return tuple(f"{k}={v}" for k, v in service.environment.items() if v is not None)


def overrides(service: Service) -> Overrides:
    return Overrides(entrypoint=service.entrypoint, command=service.command, env=_env(service),
                     working_dir=service.working_dir or None, user=service.user or None,
                     group_add=tuple(service.group_add), tty=service.tty, stdin=service.stdin_open,
                     hostname=service.hostname)


def image_process(cfg: ContainerConfig) -> ImageProcess:
    return ImageProcess(entrypoint=cfg.entrypoint or (), cmd=cfg.cmd or (), env=cfg.env,
                        working_dir=cfg.working_dir, user=cfg.user)


# ---- the table ----------------------------------------------------------------------------------


def _namespaces(s: Service, ctx: Context) -> dict[str, Any]:
    def mode(kind: str, value: str) -> str:
        if value in ("", "private", "shareable", "bridge", "default", "none") or value.startswith("network:"):
            return "private"
        if value == "host":
            return "host"
        if value.startswith(("service:", "container:")):
            return "container:" + ctx.join.get(value, value.partition(":")[2])
        if kind == "network":
            return "private"  # a named network: our own namespace, wired by the network hook
        raise ConfigError(f"invalid {kind} mode {value!r}", path=("services", s.name, kind))

    net = s.network_mode or ""
    return {"namespaces": (
        Namespace("mount"), Namespace("pid", mode("pid", s.pid)), Namespace("uts", mode("uts", s.uts)),
        Namespace("ipc", mode("ipc", s.ipc)), Namespace("network", mode("network", net)),
        Namespace("cgroup", "host" if s.cgroup == "host" else "private"),
    )}


def _resources(s: Service, ctx: Context) -> dict[str, Any]:
    limits = s.deploy.resources.limits if s.deploy and s.deploy.resources else None
    reservations = s.deploy.resources.reservations if s.deploy and s.deploy.resources else None
    memory = s.mem_limit or (limits.memory if limits else 0)
    cpus = s.cpus or (limits.cpus if limits else 0.0)
    pids = s.pids_limit or (limits.pids if limits else 0)
    reserve = s.mem_reservation or (reservations.memory if reservations else 0)
    return {"resources": Resources(
        memory=memory or None, memory_swap=s.memswap_limit or None, memory_reservation=reserve or None,
        cpu_quota=int(cpus * 100_000) if cpus else (s.cpu_quota or None), cpu_period=s.cpu_period or 100_000,
        cpu_shares=s.cpu_shares or None, cpuset_cpus=s.cpuset or None, pids_limit=pids or None,
    )}


def _security(s: Service, ctx: Context) -> dict[str, Any]:
    seccomp: str | None = "default"
    nnp = False
    for opt in s.security_opt:
        key, _, value = opt.partition("=" if "=" in opt else ":")
        if key == "seccomp":
            seccomp = "unconfined" if value == "unconfined" else value
        elif key == "no-new-privileges":
            nnp = value in ("", "true")
        elif key in ("label", "apparmor"):
            continue  # no SELinux or AppArmor on the hosts pycompose runs on: accepted, as Docker does without them
        else:
            raise ConfigError(f"unsupported security option {opt!r}", path=("services", s.name, "security_opt"))
    caps = resolve_capabilities(tuple(s.cap_add), tuple(s.cap_drop), s.privileged)
    return {"seccomp": "unconfined" if s.privileged else seccomp, "no_new_privileges": nnp,
            "capabilities": caps, "privileged": s.privileged}


def _devices(s: Service, ctx: Context) -> dict[str, Any]:
    out = []
    for d in s.devices:
        try:
            st = os.stat(d.source)
        except OSError as exc:
            raise ConfigError(f"error gathering device information while adding custom device {d.source!r}: "
                              f"{exc.strerror}", path=("services", s.name, "devices")) from None
        kind = "c" if stat.S_ISCHR(st.st_mode) else "b" if stat.S_ISBLK(st.st_mode) else ""
        if not kind:
            raise ConfigError(f"{d.source} is not a device", path=("services", s.name, "devices"))
        out.append(Device(d.target or d.source, kind, os.major(st.st_rdev), os.minor(st.st_rdev),
                          d.permissions or "rwm", stat.S_IMODE(st.st_mode)))
    return {"devices": tuple(out)}


def _healthcheck(s: Service, ctx: Context) -> dict[str, Any]:
    image, hc = ctx.image.healthcheck, s.healthcheck
    if hc is not None and (hc.disable or tuple(hc.test[:1]) == ("NONE",)):
        return {"healthcheck": None}
    test = tuple(hc.test) if hc and hc.test else (tuple(image.test) if image else ())
    if not test or test[0] == "NONE":
        return {"healthcheck": None}

    def pick(mine: float | int | None, theirs_ns: int, default: float) -> float:
        if mine is not None:
            return float(mine)
        return theirs_ns / 1e9 if theirs_ns else default

    return {"healthcheck": Healthcheck(
        test=test,
        interval=pick(hc.interval if hc else None, image.interval_ns if image else 0, 30.0),
        timeout=pick(hc.timeout if hc else None, image.timeout_ns if image else 0, 30.0),
        retries=(hc.retries if hc and hc.retries is not None else (image.retries if image and image.retries else 3)),
        start_period=pick(hc.start_period if hc else None, image.start_period_ns if image else 0, 0.0),
        start_interval=pick(hc.start_interval if hc else None, image.start_interval_ns if image else 0, 5.0),
    )}


def _logging(s: Service, ctx: Context) -> dict[str, Any]:
    driver = (s.logging.driver if s.logging else "") or s.log_driver or "json-file"
    options = dict(s.logging.options) if s.logging else dict(s.log_opt)
    size = options.get("max-size", "")
    from compose.convert.mounts import _size

    return {"log": LogConfig("none" if driver == "none" else "json-file", _size(size) if size else 0,
                             int(options.get("max-file", "1")))}


def _ulimits(s: Service, ctx: Context) -> dict[str, Any]:
    out = []
    for name, u in sorted(s.ulimits.items()):
        soft, hard = (u.single, u.single) if u.single else (u.soft, u.hard)
        out.append(Rlimit(f"RLIMIT_{name.upper()}", soft, hard))
    return {"rlimits": tuple(out)}


def _extra_hosts(s: Service, ctx: Context) -> dict[str, Any]:
    out = []
    for entry in s.extra_hosts:
        sep = "=" if "=" in entry else ":"
        name, _, addr = entry.partition(sep)
        out.append((name, addr.strip("[]")))
    return {"extra_hosts": tuple(out)}


SETTINGS: tuple[Callable[[Service, Context], dict[str, Any]], ...] = (
    lambda s, ctx: {"hostname": s.hostname, "domainname": s.domainname, "readonly_rootfs": s.read_only},
    _namespaces,
    _resources,
    lambda s, ctx: {"oom_score_adj": s.oom_score_adj or None},
    _security,
    _ulimits,
    lambda s, ctx: {"sysctls": tuple(sorted((k, str(v)) for k, v in s.sysctls.items()))},
    _devices,
    lambda s, ctx: {"init": bool(s.init)},
    _extra_hosts,
    lambda s, ctx: {"dns": tuple(s.dns), "dns_search": tuple(s.dns_search), "dns_options": tuple(s.dns_opt)},
    lambda s, ctx: {"shm_size": s.shm_size or DEFAULT_SHM},
    lambda s, ctx: {"stop_signal": s.stop_signal or ctx.image.stop_signal or "SIGTERM",
                    "stop_grace_period": s.stop_timeout},
    lambda s, ctx: {"restart": RestartPolicy(s.restart_policy.name, s.restart_policy.max_retries)},
    _healthcheck,
    _logging,
    lambda s, ctx: {"labels": tuple(sorted(ctx.labels.items())), "mounts": tuple(ctx.mounts)},
)


def container_spec(service: Service, ctx: Context, process: Process) -> ContainerSpec:
    """The spec of one replica, given its process (from :func:`build_process`)."""
    kwargs: dict[str, Any] = {}
    for rule in SETTINGS:
        kwargs.update(rule(service, ctx))
    return ContainerSpec(process=process, **kwargs)


def build_process(service: Service, ctx: Context, rootfs: Path) -> Process:
    from runtime.api.containers import Containers

    return Containers.build_process(rootfs, image_process(ctx.image), overrides(service))


__all__ = ["SETTINGS", "Context", "build_process", "container_spec", "image_process", "overrides"]
