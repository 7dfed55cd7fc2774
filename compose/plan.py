"""Plan, then execute: what ``up`` must change, as plain data.

:func:`plan_up` compares the desired state (the model, each service's config hash and image
ID) with the actual one (:class:`~compose.project_state.ProjectState`) and says, per container,
``create``, ``recreate`` (with the reason: which settings changed), ``start``, ``restart``
(a dependency with ``depends_on.restart: true`` is recreated), ``keep`` or ``remove`` (scale
down); plus networks and volumes to create and orphans. Nothing here touches the host: the
reconciler (:mod:`compose.reconcile`) carries a plan out, ``--dry-run`` prints it, and the unit
tests check it directly.

Image pull and build will add their steps to :class:`ServicePlan` (``image_step``) before
the containers' actions; today the image must already be in the store.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from compose.convert.labels import container_name
from compose.errors import ConfigError
from compose.graph import NAMESPACE_KEYS, ServiceGraph
from compose.model import Project, Service
from compose.project_state import ContainerView, ProjectState

CREATE, RECREATE, START, RESTART, KEEP, REMOVE = "create", "recreate", "start", "restart", "keep", "remove"


@dataclass(frozen=True)
class UpOptions:
    services: tuple[str, ...] = ()  # only these (and, unless no_deps, their dependencies)
    force_recreate: bool = False
    no_recreate: bool = False
    no_deps: bool = False
    no_start: bool = False
    remove_orphans: bool = False
    scale: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Desired:
    """What each service should be: its config hash and image ID (from the store, or a build)."""

    hashes: Mapping[str, str]
    image_ids: Mapping[str, str]
    # hash -> hashed settings of an earlier version, to name what changed (may lack entries)
    previous: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    current: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # service -> hashed settings


@dataclass(frozen=True)
class ContainerAction:
    action: str  # create, recreate, start, restart, keep, remove
    service: str
    number: int
    name: str
    container: ContainerView | None = None  # the existing container (all but create)
    reason: str = ""

    def describe(self) -> str:
        verb = {CREATE: "Create", RECREATE: "Recreate", START: "Start", RESTART: "Restart", KEEP: "Running",
                REMOVE: "Remove"}[self.action]
        text = f"Container {self.name}  {verb}"
        return f"{text} ({self.reason})" if self.reason else text


@dataclass(frozen=True)
class ServicePlan:
    service: str
    actions: tuple[ContainerAction, ...]
    image_step: str = ""  # later: "pull" or "build"

    @property
    def changes(self) -> bool:
        return any(a.action != KEEP for a in self.actions)


@dataclass(frozen=True)
class Plan:
    project: str
    layers: tuple[tuple[str, ...], ...]  # start order; each layer may run in parallel
    services: Mapping[str, ServicePlan]
    networks: tuple[str, ...] = ()  # engine names to create
    volumes: tuple[str, ...] = ()  # engine names to create
    orphans: tuple[ContainerView, ...] = ()
    remove_orphans: bool = False
    no_start: bool = False

    @property
    def noop(self) -> bool:
        return (not self.networks and not self.volumes and not (self.orphans and self.remove_orphans)
                and not any(p.changes for p in self.services.values()))

    def lines(self) -> list[str]:
        """The plan as ``--dry-run`` prints it."""
        out = [f"Network {n}  Create" for n in self.networks]
        out += [f"Volume {v}  Create" for v in self.volumes]
        if self.remove_orphans:
            out += [f"Container {c.name}  Remove (orphan)" for c in self.orphans]
        for layer in self.layers:
            for name in layer:
                out += [a.describe() for a in self.services[name].actions]
        return out


def selected_services(project: Project, graph: ServiceGraph, opts: UpOptions) -> set[str]:
    if not opts.services:
        return set(project.services)
    if opts.no_deps:
        for name in opts.services:
            project.service(name)
        return set(opts.services)
    return graph.with_dependencies(opts.services)


def replicas(service: Service, opts: UpOptions) -> int:
    return opts.scale.get(service.name, service.replicas)


def changed_keys(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> tuple[str, ...]:
    if old is None or new is None:
        return ()
    keys = dict.fromkeys([*new, *old])
    return tuple(k for k in keys if old.get(k) != new.get(k))


def _reason(service: str, c: ContainerView, desired: Desired) -> str:
    parts = []
    if c.config_hash != desired.hashes[service]:
        keys = changed_keys(desired.previous.get(c.config_hash), desired.current.get(service))
        parts.append(f"{', '.join(keys)} changed" if keys else "configuration changed")
    if desired.image_ids.get(service) and c.image_id != desired.image_ids[service]:
        parts.append("image changed")
    return "; ".join(parts)


def _service_actions(project: Project, service: Service, state: ProjectState, desired: Desired,
                     opts: UpOptions) -> list[ContainerAction]:
    want = replicas(service, opts)
    if want > 1 and service.container_name:
        raise ConfigError(f'service "{service.name}" can\'t be scaled when a container name is specified',
                          path=("services", service.name, "container_name"))
    existing = state.of_service(service.name)
    keep, extra = existing[:want], existing[want:]
    actions: list[ContainerAction] = []
    for c in keep:
        reason = _reason(service.name, c, desired)
        if opts.force_recreate or (reason and not opts.no_recreate):
            actions.append(ContainerAction(RECREATE, service.name, c.number, c.name, c,
                                           reason or "--force-recreate"))
        elif not c.active and not opts.no_start:
            actions.append(ContainerAction(START, service.name, c.number, c.name, c))
        else:
            actions.append(ContainerAction(KEEP, service.name, c.number, c.name, c))
    used = {c.number for c in keep}
    number = 0
    while len(actions) < want:
        number += 1
        if number in used:
            continue
        actions.append(ContainerAction(CREATE, service.name, number, container_name(project, service, number)))
    actions += [ContainerAction(REMOVE, service.name, c.number, c.name, c, "scale down") for c in extra]
    return actions


def _joins(service: Service, target: str) -> bool:
    """Whether ``service`` shares a namespace of ``target``'s container (``network_mode: service:X``, ...)."""
    return any(getattr(service, key) == f"service:{target}" for key in NAMESPACE_KEYS)


def _restart_dependents(project: Project, graph: ServiceGraph, plans: dict[str, ServicePlan],
                        layers: list[set[str]]) -> None:
    """A dependent with ``depends_on.restart: true`` restarts when its dependency is recreated; one that
    joins the dependency's namespaces (``network_mode: service:X``, ...) is recreated, since it joins
    a container by ID. In start order, so that a recreation carries on down the chain."""
    for layer in layers:
        for name in sorted(layer):
            for target, dep in sorted(graph.dependencies(name).items()):
                joins = _joins(project.services[name], target)
                if not (dep.restart or joins) or target not in plans:
                    continue
                if not any(a.action == RECREATE for a in plans[target].actions):
                    continue
                kind = RECREATE if joins else RESTART
                actions = tuple(
                    ContainerAction(kind, a.service, a.number, a.name, a.container, f"{target} was recreated")
                    if a.action in (KEEP, START) or (kind == RECREATE and a.action == RESTART) else a
                    for a in plans[name].actions)
                plans[name] = ServicePlan(name, actions)


def check_ports(project: Project, names: Iterable[str], opts: UpOptions) -> None:
    """One host port published twice would fail half-way: refuse it before anything is created."""
    taken: dict[tuple[str, int], tuple[str, str]] = {}
    for name in sorted(names):
        service = project.services[name]
        for _ in range(replicas(service, opts)):
            for p in service.ports:
                published = str(p.published or "")
                if not published.isdigit():
                    continue  # ephemeral or a range: the kernel or the range picks a free one
                key = (p.protocol or "tcp", int(published))
                ip = p.host_ip or "0.0.0.0"
                if key in taken:
                    other, other_ip = taken[key]
                    if _overlap(ip, other_ip):
                        who = f"services {other!r} and {name!r}" if other != name else \
                            f"replicas of service {name!r}"
                        raise ConfigError(f"host port {published}/{key[0]} is published by {who}: "
                                          "only one container can bind it", path=("services", name, "ports"))
                taken[key] = (name, ip)


def _overlap(a: str, b: str) -> bool:
    wild = {"0.0.0.0", "::", ""}
    if a in wild or b in wild:
        return True
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)


def plan_up(project: Project, graph: ServiceGraph, state: ProjectState, desired: Desired, opts: UpOptions,
            *, existing_networks: Iterable[str] = (), existing_volumes: Iterable[str] = ()) -> Plan:
    names = selected_services(project, graph, opts)
    check_ports(project, names, opts)
    plans = {n: ServicePlan(n, tuple(_service_actions(project, project.services[n], state, desired, opts)))
             for n in sorted(names)}
    start_layers = graph.start_layers(names)
    _restart_dependents(project, graph, plans, start_layers)
    layers = tuple(tuple(sorted(layer)) for layer in start_layers)
    from compose.convert.network import used_networks

    have_nets, have_vols = set(existing_networks), set(existing_volumes)
    nets = []
    for key in used_networks(project, {n: project.services[n] for n in names}):
        net = project.networks.get(key)
        engine = net.name if net is not None and net.name else f"{project.name}_{key}"
        if (net is None or not net.external) and engine not in have_nets:
            nets.append(engine)
    vols = []
    for key, vol in sorted(project.volumes.items()):
        engine = vol.name or f"{project.name}_{key}"
        if not vol.external and engine not in have_vols:
            vols.append(engine)
    orphans = tuple(state.orphans(project.services))
    return Plan(project.name, layers, plans, tuple(nets), tuple(vols), orphans, opts.remove_orphans, opts.no_start)


__all__ = [
    "CREATE", "KEEP", "RECREATE", "REMOVE", "RESTART", "START", "ContainerAction", "Desired", "Plan", "ServicePlan",
    "UpOptions", "changed_keys", "check_ports", "plan_up", "replicas", "selected_services",
]
