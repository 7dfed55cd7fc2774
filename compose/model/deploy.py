"""``deploy`` (replicas, resources, restart policy, ...), ``blkio_config``, ``gpus`` and ``build``."""

# Fields are declared with f(...), a wrapper of dataclasses.field that adds the table metadata.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compose.model.fields import (
    ANY,
    BOOL,
    BYTES,
    DURATION,
    EMPTY,
    FLOAT,
    INT,
    STR,
    STRINGS,
    FrozenDict,
    Kind,
    Map,
    Obj,
    Optional,
    Path,
    Seq,
    extensions,
    f,
)
from compose.model.parts import FileRef, Ulimit

STRS = Seq(STR)


class _DeviceCount(Kind):
    """``count``: a number, or ``all`` (-1)."""

    def load(self, value: Any, path: Path) -> int:
        if isinstance(value, str) and value.lower() == "all":
            return -1
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        return INT.load(value, path)

    def dump(self, value: int) -> int:
        return value


@dataclass(frozen=True)
class DeviceRequest:
    """A ``gpus`` entry or a ``deploy.resources.reservations.devices`` entry."""

    capabilities: tuple[str, ...] = f(STRS, ())
    driver: str = f(STR, "")
    count: int = f(_DeviceCount(), 0)  # -1 = all
    device_ids: tuple[str, ...] = f(STRS, ())
    options: FrozenDict = f(STRINGS, EMPTY)


@dataclass(frozen=True)
class GenericResource:
    discrete_resource_spec: FrozenDict | None = f(Optional(ANY))
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Resource:
    """Limits or reservations: ``cpus`` as a number of CPUs, ``memory`` in bytes."""

    cpus: float = f(FLOAT, 0.0)
    memory: int = f(BYTES, 0)
    pids: int = f(INT, 0)
    devices: tuple[DeviceRequest, ...] = f(Seq(Obj(DeviceRequest)), ())
    generic_resources: tuple[GenericResource, ...] = f(Seq(Obj(GenericResource)), ())
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Resources:
    limits: Resource | None = f(Optional(Obj(Resource)))
    reservations: Resource | None = f(Optional(Obj(Resource)))
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class RestartPolicy:
    """``deploy.restart_policy``: condition none|on-failure|any; durations in seconds."""

    condition: str = f(STR, "")
    delay: float | None = f(Optional(DURATION))
    max_attempts: int | None = f(Optional(INT))
    window: float | None = f(Optional(DURATION))
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class UpdateConfig:
    parallelism: int | None = f(Optional(INT))
    delay: float = f(DURATION, 0.0)
    failure_action: str = f(STR, "")
    monitor: float = f(DURATION, 0.0)
    max_failure_ratio: float = f(FLOAT, 0.0)
    order: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class PlacementPreference:
    spread: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Placement:
    constraints: tuple[str, ...] = f(STRS, ())
    preferences: tuple[PlacementPreference, ...] = f(Seq(Obj(PlacementPreference)), ())
    max_replicas_per_node: int = f(INT, 0)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Deploy:
    mode: str = f(STR, "")
    replicas: int | None = f(Optional(INT))
    labels: FrozenDict = f(STRINGS, EMPTY)
    update_config: UpdateConfig | None = f(Optional(Obj(UpdateConfig)))
    rollback_config: UpdateConfig | None = f(Optional(Obj(UpdateConfig)))
    resources: Resources = f(Obj(Resources), Resources(), struct=True)
    restart_policy: RestartPolicy | None = f(Optional(Obj(RestartPolicy)))
    placement: Placement = f(Obj(Placement), Placement(), struct=True)
    endpoint_mode: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class WeightDevice:
    # compose-go gives these no JSON names, so Go prints its field names.
    path: str = f(STR, "", key="Path", yaml_key="path")
    weight: int = f(INT, 0, key="Weight", yaml_key="weight")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class ThrottleDevice:
    path: str = f(STR, "", key="Path", yaml_key="path")
    rate: int = f(BYTES, 0, key="Rate", yaml_key="rate")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Blkio:
    weight: int = f(INT, 0)
    weight_device: tuple[WeightDevice, ...] = f(Seq(Obj(WeightDevice)), ())
    device_read_bps: tuple[ThrottleDevice, ...] = f(Seq(Obj(ThrottleDevice)), ())
    device_read_iops: tuple[ThrottleDevice, ...] = f(Seq(Obj(ThrottleDevice)), ())
    device_write_bps: tuple[ThrottleDevice, ...] = f(Seq(Obj(ThrottleDevice)), ())
    device_write_iops: tuple[ThrottleDevice, ...] = f(Seq(Obj(ThrottleDevice)), ())
    extensions: FrozenDict = extensions()


class _SshKeys(Seq):
    """``build.ssh``: ``ID=PATH`` entries (or ``default``); go-yaml prints each as ``ID: PATH`` text."""

    def __init__(self) -> None:
        super().__init__(STR)

    def yaml_value(self, value: list[Any]) -> list[Any]:
        return [item.replace("=", ": ", 1) if isinstance(item, str) and "=" in item else item for item in value]


@dataclass(frozen=True)
class BuildSpec:
    """``build``: paths are absolute after loading (``context`` may also be a URL)."""

    context: str = f(STR, "")
    dockerfile: str = f(STR, "")
    dockerfile_inline: str = f(STR, "")
    entitlements: tuple[str, ...] = f(STRS, ())
    args: FrozenDict = f(STRINGS, EMPTY)
    provenance: str = f(STR, "")
    sbom: str = f(STR, "")
    ssh: tuple[str, ...] = f(_SshKeys(), ())
    labels: FrozenDict = f(STRINGS, EMPTY)
    cache_from: tuple[str, ...] = f(STRS, ())
    cache_to: tuple[str, ...] = f(STRS, ())
    no_cache: bool = f(BOOL, False)
    additional_contexts: FrozenDict = f(STRINGS, EMPTY)
    pull: bool = f(BOOL, False)
    extra_hosts: tuple[str, ...] = f(STRS, ())
    isolation: str = f(STR, "")
    network: str = f(STR, "")
    target: str = f(STR, "")
    secrets: tuple[FileRef, ...] = f(Seq(Obj(FileRef)), ())
    shm_size: int = f(BYTES, 0)
    tags: tuple[str, ...] = f(STRS, ())
    ulimits: FrozenDict = f(Map(Obj(Ulimit)), EMPTY)
    platforms: tuple[str, ...] = f(STRS, ())
    privileged: bool = f(BOOL, False)
    extensions: FrozenDict = extensions()
