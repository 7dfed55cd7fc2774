"""The ``Project`` model and its top-level resources; :func:`project_from_dict` builds it.

Input is the canonical project (what ``docker compose config --format json`` prints,
i.e. ``LoadedProject.data``); output is immutable and hashable.
"""

# Fields are declared with f(...), a wrapper of dataclasses.field that adds the table metadata.
# ruff: noqa: RUF009

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError
from compose.model.fields import (
    BOOL,
    EMPTY,
    INT,
    STR,
    STRINGS,
    FrozenDict,
    Map,
    Obj,
    Optional,
    Seq,
    dump,
    extensions,
    f,
    load,
)
from compose.model.service import Service

STRS = Seq(STR)


@dataclass(frozen=True)
class IpamPool:
    subnet: str = f(STR, "")
    gateway: str = f(STR, "")
    ip_range: str = f(STR, "")
    aux_addresses: FrozenDict = f(STRINGS, EMPTY)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Ipam:
    driver: str = f(STR, "")
    config: tuple[IpamPool, ...] = f(Seq(Obj(IpamPool)), ())
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Network:
    """A top-level network; ``name`` is the engine-side name (``<project>_<key>`` by default)."""

    key: str = dataclasses.field(default="")  # the key under ``networks:``
    name: str = f(STR, "")
    driver: str = f(STR, "")
    driver_opts: FrozenDict = f(STRINGS, EMPTY)
    ipam: Ipam = f(Obj(Ipam), Ipam(), struct=True)
    external: bool = f(BOOL, False)
    internal: bool = f(BOOL, False)
    attachable: bool = f(BOOL, False)
    labels: FrozenDict = f(STRINGS, EMPTY)
    enable_ipv4: bool | None = f(Optional(BOOL))
    enable_ipv6: bool | None = f(Optional(BOOL))
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Volume:
    """A top-level named volume; ``name`` is the engine-side name."""

    key: str = dataclasses.field(default="")
    name: str = f(STR, "")
    driver: str = f(STR, "")
    driver_opts: FrozenDict = f(STRINGS, EMPTY)
    external: bool = f(BOOL, False)
    labels: FrozenDict = f(STRINGS, EMPTY)
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class _FileObject:
    """A top-level secret or config: from a ``file``, an ``environment`` variable or ``content``."""

    key: str = dataclasses.field(default="")
    name: str = f(STR, "")
    file: str = f(STR, "")
    environment: str = f(STR, "")
    content: str = f(STR, "")
    external: bool = f(BOOL, False)
    labels: FrozenDict = f(STRINGS, EMPTY)
    driver: str = f(STR, "")
    driver_opts: FrozenDict = f(STRINGS, EMPTY)
    template_driver: str = f(STR, "")
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Secret(_FileObject):
    pass


@dataclass(frozen=True)
class Config(_FileObject):
    pass


@dataclass(frozen=True)
class Model:
    """A top-level ``models`` entry (an AI model a service may use)."""

    key: str = dataclasses.field(default="")
    name: str = f(STR, "")
    model: str = f(STR, "")
    context_size: int = f(INT, 0)
    runtime_flags: tuple[str, ...] = f(STRS, ())
    extensions: FrozenDict = extensions()


@dataclass(frozen=True)
class Project:
    name: str = f(STR, "", always=True)
    services: FrozenDict = f(Map(Obj(Service)), EMPTY, always=True, yaml_always=True)  # name -> Service
    networks: FrozenDict = f(Map(Obj(Network)), EMPTY)
    volumes: FrozenDict = f(Map(Obj(Volume)), EMPTY)
    secrets: FrozenDict = f(Map(Obj(Secret)), EMPTY)
    configs: FrozenDict = f(Map(Obj(Config)), EMPTY)
    models: FrozenDict = f(Map(Optional(Obj(Model))), EMPTY)
    extensions: FrozenDict = extensions()

    def service(self, name: str) -> Service:
        try:
            return self.services[name]
        except KeyError:
            raise ConfigError(f"no such service: {name}") from None

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(sorted(self.services))


def _named(items: Mapping[str, Any], attr: str) -> FrozenDict:
    return FrozenDict({
        key: (dataclasses.replace(value, **{attr: key}) if value is not None else None)
        for key, value in items.items()
    })


def project_from_dict(data: Mapping[str, Any]) -> Project:
    """Build the frozen model of a canonical project; raises ``ConfigError`` on a wrong shape."""
    project = load(Project, data)
    return dataclasses.replace(
        project,
        services=_named(project.services, "name"),
        networks=_named(project.networks, "key"),
        volumes=_named(project.volumes, "key"),
        secrets=_named(project.secrets, "key"),
        configs=_named(project.configs, "key"),
        models=_named(project.models, "key"),
    )


def project_to_dict(project: Project) -> dict[str, Any]:
    """The canonical data of a project again (the inverse of :func:`project_from_dict`)."""
    return dump(project)


__all__ = ["Config", "Ipam", "IpamPool", "Model", "Network", "Project", "Secret", "Volume",
           "project_from_dict", "project_to_dict"]
