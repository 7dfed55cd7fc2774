"""The actual state of a project: its containers, networks and volumes, found by their labels.

Every command that looks at what runs (``up``, ``down``, ``ps``, ``logs``, ``exec``, ...) starts
here. :func:`read_state` asks the runtime once and returns plain frozen values; nothing in this
module changes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from compose.convert import labels as L
from runtime.api.containers import ContainerInfo, Containers, Mount
from runtime.api.networks import Networks
from runtime.api.volumes import Volumes

ACTIVE = ("running", "paused", "restarting")


@dataclass(frozen=True)
class ContainerView:
    """One container of the project, as the planner and the commands need it."""

    id: str
    name: str
    service: str
    number: int
    status: str  # created, running, paused, restarting, exited
    exit_code: int = 0
    config_hash: str = ""
    image_id: str = ""
    oneoff: bool = False
    started_at: str = ""
    created: str = ""
    pid: int = 0
    health: str = ""  # "", starting, healthy, unhealthy
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    mounts: tuple[Mount, ...] = ()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def log_name(self) -> str:
        """The name Docker Compose prints for this container in log prefixes and status lines:
        without the project (``web-1``), unless the service set its own ``container_name``."""
        project = self.labels.get(L.PROJECT, "")
        if project and self.name == f"{project}-{self.service}-{self.number}":
            return self.name[len(project) + 1:]
        return self.name

    @classmethod
    def from_info(cls, info: ContainerInfo) -> ContainerView:
        r, st = info.record, info.state
        labels = dict(r.spec.labels)
        number = labels.get(L.NUMBER, "0")
        return cls(
            id=r.id, name=r.name, service=labels.get(L.SERVICE, ""),
            number=int(number) if number.isdigit() else 0, status=st.status, exit_code=st.exit_code,
            config_hash=labels.get(L.CONFIG_HASH, ""), image_id=labels.get(L.IMAGE, r.image_id),
            oneoff=labels.get(L.ONEOFF, "False") == "True", started_at=st.started_at, created=r.created,
            pid=st.pid, health=(st.health or {}).get("Status", ""), labels=labels, mounts=r.spec.mounts,
        )


@dataclass(frozen=True)
class ProjectState:
    project: str
    containers: tuple[ContainerView, ...] = ()
    networks: tuple[str, ...] = ()  # engine names of the networks labelled with the project
    volumes: tuple[str, ...] = ()  # engine names of the volumes labelled with the project

    def of_service(self, service: str, *, oneoff: bool = False) -> list[ContainerView]:
        """The service's containers, by container number."""
        return sorted((c for c in self.containers if c.service == service and c.oneoff == oneoff),
                      key=lambda c: (c.number, c.created))

    def orphans(self, services: Iterable[str]) -> list[ContainerView]:
        """Containers of services the project no longer has (one-off ones included)."""
        known = set(services)
        return [c for c in self.containers if c.service not in known]

    def get(self, name_or_id: str) -> ContainerView | None:
        for c in self.containers:
            if name_or_id in (c.name, c.id):
                return c
        return None

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted({c.service for c in self.containers}))


def project_containers(project: str, containers: Containers, *, oneoff: bool | None = False
                       ) -> tuple[ContainerView, ...]:
    """The project's containers (one-off ones only with ``oneoff=True``, all with None)."""
    found = containers.list(all=True, labels={L.PROJECT: project})
    views = (ContainerView.from_info(i) for i in found)
    return tuple(v for v in views if oneoff is None or v.oneoff == oneoff)


def read_state(project: str, *, containers: Containers | None = None, networks: Networks | None = None,
               volumes: Volumes | None = None, oneoff: bool | None = None) -> ProjectState:
    """Everything labelled ``com.docker.compose.project=<project>`` on this host."""
    containers = containers or Containers()
    views = project_containers(project, containers, oneoff=oneoff)
    net_names: tuple[str, ...] = ()
    if networks is not None:
        net_names = tuple(r.name for r in networks.list() if dict(r.labels).get(L.PROJECT) == project)
    vol_names: tuple[str, ...] = ()
    if volumes is not None:
        vol_names = tuple(r.name for r in volumes.list() if r.labels.get(L.PROJECT) == project)
    return ProjectState(project, views, net_names, vol_names)


__all__ = ["ACTIVE", "ContainerView", "ProjectState", "project_containers", "read_state"]
