"""The ``Service`` model: one entry of ``services:`` after loading.

Fields follow Docker Compose's canonical keys and print order. Sizes are bytes
(int, 0 = unset), durations are seconds (float, None = unset), lists are tuples
and mappings are :class:`~compose.model.fields.FrozenDict`.
"""

# Fields are declared with f(...), a wrapper of dataclasses.field that adds the table metadata.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass, field

from compose.model.deploy import Blkio, BuildSpec, Deploy, DeviceRequest
from compose.model.fields import (
    BOOL,
    BYTES,
    DURATION,
    EMPTY,
    FLOAT,
    INT,
    INT_OR_STR,
    STR,
    STRINGS,
    FrozenDict,
    Map,
    Obj,
    Optional,
    Seq,
    extensions,
    f,
)
from compose.model.parts import (
    COMMAND,
    CredentialSpec,
    DependsOn,
    Develop,
    Device,
    EnvFile,
    Extends,
    FileRef,
    Healthcheck,
    Hook,
    Logging,
    PortMapping,
    Provider,
    ServiceModel,
    ServiceNetwork,
    ServiceVolume,
    Ulimit,
)

STRS = Seq(STR)


@dataclass(frozen=True)
class Restart:
    """The restart policy a container gets: ``no``, ``always``, ``on-failure`` or ``unless-stopped``."""

    name: str = "no"
    max_retries: int = 0  # on-failure only; 0 = unlimited


_DEPLOY_CONDITION = {"none": "no", "on-failure": "on-failure", "any": "always"}


@dataclass(frozen=True)
class Service:
    name: str = field(default="", compare=True)  # the key under ``services:``
    profiles: tuple[str, ...] = f(STRS, ())
    annotations: FrozenDict = f(STRINGS, EMPTY)
    attach: bool | None = f(Optional(BOOL))
    build: BuildSpec | None = f(Optional(Obj(BuildSpec)))
    develop: Develop | None = f(Optional(Obj(Develop)))
    blkio_config: Blkio | None = f(Optional(Obj(Blkio)))
    cap_add: tuple[str, ...] = f(STRS, ())
    cap_drop: tuple[str, ...] = f(STRS, ())
    cgroup_parent: str = f(STR, "")
    cgroup: str = f(STR, "")
    cpu_count: int = f(INT, 0)
    cpu_percent: float = f(FLOAT, 0.0)
    cpu_period: int = f(INT, 0)
    cpu_quota: int = f(INT, 0)
    cpu_rt_period: int = f(INT, 0)
    cpu_rt_runtime: int = f(INT, 0)
    cpus: float = f(FLOAT, 0.0)
    cpuset: str = f(STR, "")
    cpu_shares: int = f(INT, 0)
    command: tuple[str, ...] | None = f(COMMAND, always=True)  # None = the image's CMD
    configs: tuple[FileRef, ...] = f(Seq(Obj(FileRef)), ())
    container_name: str = f(STR, "")
    credential_spec: CredentialSpec | None = f(Optional(Obj(CredentialSpec)))
    depends_on: FrozenDict = f(Map(Obj(DependsOn)), EMPTY)  # name -> DependsOn
    deploy: Deploy | None = f(Optional(Obj(Deploy)))
    device_cgroup_rules: tuple[str, ...] = f(STRS, ())
    devices: tuple[Device, ...] = f(Seq(Obj(Device)), ())
    dns: tuple[str, ...] = f(STRS, ())
    dns_opt: tuple[str, ...] = f(STRS, ())
    dns_search: tuple[str, ...] = f(STRS, ())
    dockerfile: str = f(STR, "")
    domainname: str = f(STR, "")
    entrypoint: tuple[str, ...] | None = f(COMMAND, always=True)  # None = the image's ENTRYPOINT
    provider: Provider | None = f(Optional(Obj(Provider)))
    environment: FrozenDict = f(STRINGS, EMPTY)  # value None = name only, taken from the shell
    env_file: tuple[EnvFile, ...] = f(Seq(Obj(EnvFile)), ())
    expose: tuple[str | int, ...] = f(Seq(INT_OR_STR), ())
    extends: Extends | None = f(Optional(Obj(Extends)))
    external_links: tuple[str, ...] = f(STRS, ())
    extra_hosts: tuple[str, ...] = f(STRS, ())  # "host=ip"
    group_add: tuple[str, ...] = f(STRS, ())
    gpus: tuple[DeviceRequest, ...] = f(Seq(Obj(DeviceRequest)), ())
    hostname: str = f(STR, "")
    healthcheck: Healthcheck | None = f(Optional(Obj(Healthcheck)))
    image: str = f(STR, "")
    init: bool | None = f(Optional(BOOL))
    ipc: str = f(STR, "")
    isolation: str = f(STR, "")
    labels: FrozenDict = f(STRINGS, EMPTY)
    label_file: tuple[str, ...] = f(STRS, ())
    links: tuple[str, ...] = f(STRS, ())
    logging: Logging | None = f(Optional(Obj(Logging)))
    log_driver: str = f(STR, "")
    log_opt: FrozenDict = f(STRINGS, EMPTY)
    mem_limit: int = f(BYTES, 0)
    mem_reservation: int = f(BYTES, 0)
    memswap_limit: int = f(BYTES, 0)
    mem_swappiness: int = f(BYTES, 0)
    mac_address: str = f(STR, "")
    models: FrozenDict = f(Map(Optional(Obj(ServiceModel))), EMPTY)
    net: str = f(STR, "")
    network_mode: str = f(STR, "")
    networks: FrozenDict = f(Map(Optional(Obj(ServiceNetwork))), EMPTY)  # name -> ServiceNetwork|None
    oom_kill_disable: bool = f(BOOL, False)
    oom_score_adj: int = f(INT, 0)
    pid: str = f(STR, "")
    pids_limit: int = f(INT, 0)
    platform: str = f(STR, "")
    ports: tuple[PortMapping, ...] = f(Seq(Obj(PortMapping)), ())
    privileged: bool = f(BOOL, False)
    pull_policy: str = f(STR, "")
    read_only: bool = f(BOOL, False)
    restart: str = f(STR, "")
    runtime: str = f(STR, "")
    scale: int | None = f(Optional(INT))
    secrets: tuple[FileRef, ...] = f(Seq(Obj(FileRef)), ())
    security_opt: tuple[str, ...] = f(STRS, ())
    shm_size: int = f(BYTES, 0)
    stdin_open: bool = f(BOOL, False)
    stop_grace_period: float | None = f(Optional(DURATION))
    stop_signal: str = f(STR, "")
    storage_opt: FrozenDict = f(STRINGS, EMPTY)
    sysctls: FrozenDict = f(STRINGS, EMPTY)
    tmpfs: tuple[str, ...] = f(STRS, ())
    tty: bool = f(BOOL, False)
    ulimits: FrozenDict = f(Map(Obj(Ulimit)), EMPTY)  # name -> Ulimit
    use_api_socket: bool = f(BOOL, False)
    user: str = f(STR, "")
    userns_mode: str = f(STR, "")
    uts: str = f(STR, "")
    volume_driver: str = f(STR, "")
    volumes: tuple[ServiceVolume, ...] = f(Seq(Obj(ServiceVolume)), ())
    volumes_from: tuple[str, ...] = f(STRS, ())
    working_dir: str = f(STR, "")
    post_start: tuple[Hook, ...] = f(Seq(Obj(Hook)), ())
    pre_stop: tuple[Hook, ...] = f(Seq(Obj(Hook)), ())
    extensions: FrozenDict = extensions()

    def image_name(self, project_name: str) -> str:
        """``image``, or the name Docker Compose gives a built image: ``<project>-<service>``."""
        return self.image or f"{project_name}-{self.name}"

    @property
    def replicas(self) -> int:
        """How many containers: ``scale``, else ``deploy.replicas``, else 1."""
        if self.scale is not None:
            return self.scale
        if self.deploy is not None and self.deploy.replicas is not None:
            return self.deploy.replicas
        return 1

    @property
    def stop_timeout(self) -> float:
        """Seconds between the stop signal and SIGKILL (Docker's default: 10)."""
        return 10.0 if self.stop_grace_period is None else self.stop_grace_period

    @property
    def restart_policy(self) -> Restart:
        """``restart:`` (``on-failure:3`` included), else ``deploy.restart_policy``, else ``no``."""
        if self.restart:
            name, _, count = self.restart.partition(":")
            return Restart(name, int(count) if count.isdigit() else 0)
        policy = self.deploy.restart_policy if self.deploy else None
        if policy is not None and policy.condition:
            name = _DEPLOY_CONDITION.get(policy.condition, policy.condition)
            retries = policy.max_attempts or 0 if name == "on-failure" else 0
            return Restart(name, retries)
        return Restart()

    def network_names(self) -> tuple[str, ...]:
        """Attached networks by priority (highest first), then by name, as Docker Compose orders them."""

        def priority(name: str) -> int:
            net = self.networks[name]
            return net.priority if net is not None else 0

        return tuple(sorted(self.networks, key=lambda n: (-priority(n), n)))
