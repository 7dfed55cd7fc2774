"""Value objects inside a service: ports, mounts, dependencies, healthcheck, networks, ...

Field order = the key order Docker Compose prints; see :mod:`compose.model.fields`.
"""

# Fields are declared with f(...), a wrapper of dataclasses.field that adds the table metadata.
# ruff: noqa: RUF009

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError
from compose.model.fields import (
    ANY,
    BOOL,
    BYTES,
    DURATION,
    EMPTY,
    FILE_MODE,
    INT,
    INT_OR_STR,
    STR,
    STRINGS,
    FrozenDict,
    Obj,
    Optional,
    Path,
    Seq,
    extensions,
    f,
)

STRS = Seq(STR)


@dataclass(frozen=True)
class PortMapping:
    """One ``ports`` entry: container port ``target``, host port(s) ``published``."""

    name: str = f(STR, "")
    mode: str = f(STR, "")
    host_ip: str = f(STR, "")
    target: int = f(INT, 0)
    published: str = f(INT_OR_STR, "")  # a port or a range "8000-8010"; "" = ephemeral
    protocol: str = f(STR, "")
    app_protocol: str = f(STR, "")
    extensions: FrozenDict = extensions()

    @property
    def published_range(self) -> tuple[int, int] | None:
        """The host port range (first, last), or None when the port is ephemeral."""
        text = str(self.published)
        if not text:
            return None
        first, _, last = text.partition("-")
        return int(first), int(last or first)


@dataclass(frozen=True)
class BindOptions:
    selinux: str = f(STR, "")
    propagation: str = f(STR, "")
    create_host_path: bool = f(BOOL, False)
    recursive: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class VolumeOptions:
    labels: FrozenDict = f(STRINGS, EMPTY)
    nocopy: bool = f(BOOL, False)
    subpath: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class TmpfsOptions:
    size: int = f(BYTES, 0)  # bytes; 0 = the kernel's default
    mode: int = f(INT, 0)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class ImageOptions:
    subpath: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class ServiceVolume:
    """One ``volumes`` entry of a service: ``type`` is bind, volume, tmpfs, image, npipe or cluster."""

    type: str = f(STR, "")
    source: str = f(STR, "")
    target: str = f(STR, "")
    read_only: bool = f(BOOL, False)
    consistency: str = f(STR, "")
    bind: BindOptions | None = f(Optional(Obj(BindOptions)))
    volume: VolumeOptions | None = f(Optional(Obj(VolumeOptions)))
    tmpfs: TmpfsOptions | None = f(Optional(Obj(TmpfsOptions)))
    image: ImageOptions | None = f(Optional(Obj(ImageOptions)))
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class DependsOn:
    """One ``depends_on`` entry (the service name is its key in ``Service.depends_on``)."""

    condition: str = f(STR, "service_started")
    restart: bool = f(BOOL, False)
    required: bool = f(BOOL, True, always=True, yaml_always=True)
    extensions: FrozenDict = extensions()


class _HealthTest(Seq):
    """``healthcheck.test``: a string is the CMD-SHELL form."""

    def load(self, value: Any, path: Path) -> tuple[Any, ...]:
        if isinstance(value, str):
            return ("CMD-SHELL", value)
        return super().load(value, path)


@dataclass(frozen=True)
class Healthcheck:
    """Durations in seconds; None = not set (the image's value or the default applies)."""

    test: tuple[str, ...] = f(_HealthTest(STR), ())
    timeout: float | None = f(Optional(DURATION))
    interval: float | None = f(Optional(DURATION))
    retries: int | None = f(Optional(INT))
    start_period: float | None = f(Optional(DURATION))
    start_interval: float | None = f(Optional(DURATION))
    disable: bool = f(BOOL, False)
    extensions: FrozenDict = extensions()

    @property
    def disabled(self) -> bool:
        return self.disable or self.test[:1] == ("NONE",)


@dataclass(frozen=True)
class ServiceNetwork:
    """A service's attachment to one network (the network name is its key)."""

    aliases: tuple[str, ...] = f(STRS, ())
    driver_opts: FrozenDict = f(STRINGS, EMPTY)
    gw_priority: int = f(INT, 0)
    interface_name: str = f(STR, "")
    ipv4_address: str = f(STR, "")
    ipv6_address: str = f(STR, "")
    link_local_ips: tuple[str, ...] = f(STRS, ())
    mac_address: str = f(STR, "")
    priority: int = f(INT, 0)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Ulimit:
    """``soft``/``hard`` limits; a single number in the file sets both."""

    single: int = f(INT, 0)
    soft: int = f(INT, 0)
    hard: int = f(INT, 0)
    extensions: FrozenDict = extensions()

    @classmethod
    def from_canonical(cls, value: Any, path: Path) -> Ulimit:
        return cls(single=INT.load(value, path))

    def to_canonical(self) -> Any:
        if self.single:
            return self.single
        # Docker Compose prints ``core: 0`` as ``{}`` (both limits zero, omitted).
        return {k: v for k, v in (("soft", self.soft), ("hard", self.hard)) if v}

    @staticmethod
    def yaml_form(value: Mapping[str, Any]) -> dict[str, Any]:
        """Docker Compose's YAML prints both limits of the long form, zeros included."""
        return {"soft": value.get("soft", 0), "hard": value.get("hard", 0)}

    @property
    def limits(self) -> tuple[int, int]:
        """(soft, hard) as the kernel takes them."""
        return (self.single, self.single) if self.single else (self.soft, self.hard)


@dataclass(frozen=True)
class Device:
    """A ``devices`` entry: host path, container path, cgroup permissions (``rwm``)."""

    source: str = f(STR, "")
    target: str = f(STR, "")
    permissions: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class FileRef:
    """A service's reference to a top-level secret or config."""

    source: str = f(STR, "")
    target: str = f(STR, "")
    uid: str = f(INT_OR_STR, "")
    gid: str = f(INT_OR_STR, "")
    mode: int | None = f(Optional(FILE_MODE))
    extensions: FrozenDict = extensions()


SecretRef = FileRef
ConfigRef = FileRef


@dataclass(frozen=True)
class Logging:
    driver: str = f(STR, "")
    options: FrozenDict = f(STRINGS, EMPTY)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class EnvFile:
    path: str = f(STR, "")
    required: bool = f(BOOL, True, always=True, yaml_always=True)
    format: str = f(STR, "")


class _Command(Seq):
    """``command``/``entrypoint``: None = unset (the image's), () = cleared.

    The canonical form is a list; a string (seen with ``--no-normalize``) is split
    with shell word rules, as Docker Compose does.
    """

    def load(self, value: Any, path: Path) -> Any:
        if isinstance(value, str):
            try:
                return tuple(shlex.split(value))
            except ValueError as exc:
                raise ConfigError(f"invalid command {value!r}: {exc}", path=path) from None
        return super().load(value, path)


COMMAND = Optional(_Command(STR))


@dataclass(frozen=True)
class Hook:
    """A ``post_start``/``pre_stop`` hook, or the ``exec`` of a watch rule."""

    command: tuple[str, ...] | None = f(COMMAND, always=True)
    user: str = f(STR, "")
    privileged: bool = f(BOOL, False)
    working_dir: str = f(STR, "")
    environment: FrozenDict = f(STRINGS, EMPTY)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class WatchRule:
    path: str = f(STR, "", always=True, yaml_always=True)
    action: str = f(STR, "", always=True, yaml_always=True)
    target: str = f(STR, "")
    exec: Hook = f(Obj(Hook), Hook(), struct=True)
    include: tuple[str, ...] = f(STRS, ())
    ignore: tuple[str, ...] = f(STRS, ())
    initial_sync: bool = f(BOOL, False)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Develop:
    watch: tuple[WatchRule, ...] = f(Seq(Obj(WatchRule)), ())
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Extends:
    file: str = f(STR, "")
    service: str = f(STR, "")


@dataclass(frozen=True)
class CredentialSpec:
    config: str = f(STR, "")
    file: str = f(STR, "")
    registry: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Provider:
    type: str = f(STR, "")
    options: FrozenDict = f(ANY, EMPTY)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class ServiceModel:
    endpoint_var: str = f(STR, "")
    model_var: str = f(STR, "")
    extensions: FrozenDict = extensions()
