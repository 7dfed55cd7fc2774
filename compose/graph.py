"""The dependency graph of a project's services: start order, stop order, subsets, cycles.

A service depends on another through ``depends_on`` and, implicitly (as Docker
Compose's normalisation adds them), through ``links``, ``network_mode``/``ipc``/
``pid``/``uts``/``cgroup: service:X`` and ``volumes_from: X`` (``container:X`` names
a container outside the project and adds no edge). Cycles are refused with the
trail Docker Compose reports: services are searched in name order, dependencies in
name order, and the first cycle found is named (``web -> api -> web``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from compose.errors import ConfigError, CycleError
from compose.model import Project, Service

Locate = Callable[[tuple[str | int, ...]], "tuple[str, int, int] | None"]

# Keys whose value ``service:NAME`` shares a namespace with another service.
NAMESPACE_KEYS = ("network_mode", "ipc", "pid", "uts", "cgroup")
SERVICE_PREFIX = "service:"
CONTAINER_PREFIX = "container:"


@dataclass(frozen=True)
class Dependency:
    """One edge: ``source`` needs ``target`` (started, healthy or completed) before it starts."""

    source: str
    target: str
    via: str  # the key that made the edge: depends_on, links, network_mode, volumes_from, ...
    condition: str = "service_started"
    required: bool = True
    restart: bool = False


def _volumes_from_target(entry: str) -> str | None:
    """``db``, ``db:ro`` -> ``db``; ``container:x`` -> None (not a service)."""
    if entry.startswith(CONTAINER_PREFIX):
        return None
    return entry.split(":", 1)[0]


def service_dependencies(service: Service) -> list[Dependency]:
    """The edges out of one service, explicit ones first; one per target."""
    found: dict[str, Dependency] = {}

    def add(target: str, via: str, *, condition: str = "service_started", required: bool = True,
            restart: bool = False) -> None:
        if target and target not in found:
            found[target] = Dependency(service.name, target, via, condition, required, restart)

    for target, dep in service.depends_on.items():
        add(target, "depends_on", condition=dep.condition, required=dep.required, restart=dep.restart)
    for link in service.links:
        add(link.split(":", 1)[0], "links", restart=True)
    for key in NAMESPACE_KEYS:
        value: str = getattr(service, key)
        if value.startswith(SERVICE_PREFIX):
            add(value[len(SERVICE_PREFIX):], key, restart=True)
    for entry in service.volumes_from:
        target = _volumes_from_target(entry)
        if target is not None:
            add(target, "volumes_from")
    return list(found.values())


class ServiceGraph:
    """Services and the dependencies between them (only edges to services that exist)."""

    def __init__(self, services: Iterable[str], edges: Iterable[Dependency]) -> None:
        self.services: tuple[str, ...] = tuple(sorted(set(services)))
        self._out: dict[str, dict[str, Dependency]] = {name: {} for name in self.services}
        self._in: dict[str, set[str]] = {name: set() for name in self.services}
        for edge in edges:
            self._out[edge.source][edge.target] = edge
            self._in[edge.target].add(edge.source)

    @classmethod
    def from_project(cls, project: Project, *, locate: Locate | None = None,
                     disabled: Mapping[str, Service] | None = None) -> ServiceGraph:
        """Build and check the graph: unknown required dependencies and cycles are errors.

        ``disabled`` are services of inactive profiles (for a clearer message);
        ``locate`` maps a data path to ``(file, line, column)`` for error messages.
        """
        edges: list[Dependency] = []
        for name in sorted(project.services):
            for dep in service_dependencies(project.services[name]):
                if dep.target in project.services:
                    edges.append(dep)
                    continue
                if not dep.required:
                    continue  # Docker Compose drops an optional dependency on a missing service
                path = ("services", name, dep.via)
                if disabled and dep.target in disabled:
                    profiles = ", ".join(disabled[dep.target].profiles)
                    raise _error(f'service "{dep.target}" is required by "{name}" but is disabled',
                                 path, locate, hint=f"enable it with --profile ({profiles})")
                raise _error(f'service "{name}" depends on undefined service "{dep.target}"', path, locate)
        graph = cls(project.services, edges)
        graph.check_cycles(locate)
        return graph

    # -- queries ---------------------------------------------------------------------------

    def dependencies(self, name: str) -> dict[str, Dependency]:
        """Direct dependencies of ``name``, by target."""
        return dict(self._out[name])

    def dependents(self, name: str) -> set[str]:
        """Services that depend directly on ``name``."""
        return set(self._in[name])

    def with_dependencies(self, names: Iterable[str]) -> set[str]:
        """``names`` and everything they need, transitively (what ``up web`` starts)."""
        return self._closure(names, lambda n: self._out[n].keys())

    def with_dependents(self, names: Iterable[str]) -> set[str]:
        """``names`` and everything that needs them, transitively (what ``stop db`` affects)."""
        return self._closure(names, lambda n: self._in[n])

    def _closure(self, names: Iterable[str], step: Callable[[str], Iterable[str]]) -> set[str]:
        todo = list(names)
        for name in todo:
            if name not in self._out:
                raise ConfigError(f"no such service: {name}")
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(step(name))
        return seen

    def start_layers(self, names: Iterable[str] | None = None) -> list[set[str]]:
        """Start order as layers: each service's dependencies are in earlier layers.

        Services in one layer may start in parallel. With ``names``, only those
        services (not their dependencies: use :meth:`with_dependencies` for that).
        """
        subset = set(self.services if names is None else names)
        unknown = subset - set(self.services)
        if unknown:
            raise ConfigError(f"no such service: {', '.join(sorted(unknown))}")
        waiting = {n: {d for d in self._out[n] if d in subset} for n in subset}
        layers: list[set[str]] = []
        while waiting:
            ready = {n for n, deps in waiting.items() if not deps}
            if not ready:  # only reachable if check_cycles was skipped
                raise CycleError(self.find_cycle() or sorted(waiting))
            layers.append(ready)
            for n in ready:
                del waiting[n]
            for deps in waiting.values():
                deps -= ready
        return layers

    def stop_layers(self, names: Iterable[str] | None = None) -> list[set[str]]:
        """Stop order: dependents before what they depend on (the start layers reversed)."""
        return list(reversed(self.start_layers(names)))

    def in_dependency_order(self, names: Iterable[str] | None = None) -> list[str]:
        """``names`` (default: all) and their dependencies, each after what it depends on.

        Depth first in name order, as Docker Compose's ``ForEachService`` lists them
        (``config --services``).
        """
        out: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for dep in sorted(self._out[name]):
                visit(dep)
            out.append(name)

        for name in sorted(self.services if names is None else names):
            if name not in self._out:
                raise ConfigError(f"no such service: {name}")
            visit(name)
        return out

    # -- cycles ----------------------------------------------------------------------------

    def find_cycle(self) -> list[str] | None:
        """The first cycle in Docker Compose's search order, as a trail ending where it began."""
        done: set[str] = set()  # fully explored without finding a cycle

        def search(trail: list[str]) -> list[str] | None:
            for child in sorted(self._out[trail[-1]]):
                if child in trail:
                    return [*trail[trail.index(child):], child]
                if child in done:
                    continue
                found = search([*trail, child])
                if found:
                    return found
            done.add(trail[-1])
            return None

        for name in self.services:
            if name not in done:
                found = search([name])
                if found:
                    return found
        return None

    def check_cycles(self, locate: Locate | None = None) -> None:
        trail = self.find_cycle()
        if trail is None:
            return
        first, second = trail[0], trail[1]
        via = self._out[first][second].via
        path: tuple[str | int, ...] = ("services", first, via)
        where = locate(path) if locate else None
        file, line, column = where if where else (None, None, None)
        raise CycleError(trail, file=file, line=line, column=column, path=path)


def _error(message: str, path: tuple[str | int, ...], locate: Locate | None, hint: str | None = None) -> ConfigError:
    where = locate(path) if locate else None
    file, line, column = where if where else (None, None, None)
    return ConfigError(message, file=file, line=line, column=column, path=path, hint=hint)
