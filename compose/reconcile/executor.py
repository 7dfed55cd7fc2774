"""Carrying out an ``up`` plan with trio.

Resources first (orphans removed, networks, volumes), then the services layer by layer in
dependency order. Within a layer each service is one task; a service first waits for the
``depends_on`` conditions of its dependencies, then runs its containers' actions in parallel.
Every runtime call runs in a worker thread under one :class:`trio.CapacityLimiter`, which
bounds the parallelism of the whole operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import trio

from compose.convert.labels import resource_labels
from compose.convert.network import network_request, network_spec, used_networks
from compose.errors import ConfigError
from compose.model import Service
from compose.plan import CREATE, KEEP, RECREATE, REMOVE, RESTART, START, ContainerAction, Plan
from compose.project_state import ContainerView, ProjectState, read_state
from compose.reconcile import stopping
from compose.reconcile.conditions import STARTED, DependencyFailed, wait_condition
from compose.reconcile.progress import Progress
from compose.reconcile.replica import create_replica, join_targets, resolve_image
from compose.reconcile.session import Session
from runtime.api import NotFound

PARALLEL = 8  # COMPOSE_PARALLEL_LIMIT overrides it, as in Docker Compose
CONDITION_TIMEOUT = 600.0


def parallel_limit() -> int:
    import os

    value = os.environ.get("COMPOSE_PARALLEL_LIMIT", "")
    return int(value) if value.isdigit() and int(value) > 0 else PARALLEL


@dataclass
class Executor:
    session: Session
    progress: Progress
    hashes: dict[str, str]
    limit: trio.CapacityLimiter = field(default_factory=lambda: trio.CapacityLimiter(parallel_limit()))
    timeout: float | None = None  # -t: the stop grace period instead of each service's
    condition_timeout: float = CONDITION_TIMEOUT
    state: ProjectState | None = None
    created: dict[str, list[str]] = field(default_factory=dict)  # service -> container IDs made now
    networks_ready: trio.Event = field(default_factory=trio.Event)  # containers are created meanwhile

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await trio.to_thread.run_sync(fn, *args, limiter=self.limit)

    # -- resources --------------------------------------------------------------------------------
    def ensure_networks(self, plan: Plan) -> None:
        project, nets = self.session.project, self.session.rt.networks
        for key in used_networks(project, {n: project.services[n] for n in plan.services}):
            net = project.networks.get(key)
            if net is not None and net.external:
                engine = net.name or key
                if nets.find(engine) is None:
                    raise ConfigError(f"network {engine} declared as external, but could not be found",
                                      path=("networks", key))
                continue
            if net is None:
                from compose.model import Network

                net = Network(key=key, name=f"{project.name}_{key}")
            spec = network_spec(project, net)
            if spec.name not in plan.networks and nets.find(spec.name) is not None:
                continue  # already there: nothing to check twice
            record = nets.ensure(spec)
            if record.name in plan.networks:
                self.progress.event("Network", record.name, "Created")

    def ensure_volumes(self, plan: Plan) -> None:
        project, vols = self.session.project, self.session.rt.volumes
        for key, vol in sorted(project.volumes.items()):
            engine = vol.name or f"{project.name}_{key}"
            if vol.external:
                if vols.find(engine) is None:
                    raise ConfigError(f"external volume \"{engine}\" not found", path=("volumes", key))
                continue
            labels = resource_labels(project.name, "volume", key, vol.labels)
            _record, made = vols.ensure(engine, driver=vol.driver or "local", labels=labels,
                                        options=dict(vol.driver_opts))
            if made:
                self.progress.event("Volume", engine, "Created")

    # -- containers -------------------------------------------------------------------------------
    def _start(self, service: Service, cid: str, name: str) -> None:
        rt, project = self.session.rt, self.session.project
        state = self.state or ProjectState(project.name)
        join = join_targets(self.session, service, state)
        req = network_request(project, service, cid, name, join=join)
        hook = rt.networks.hook(req, files_dir=rt.containers.store.dir(cid)) if req.mode == "bridge" else None
        rt.containers.start(cid, network_setup=hook)

    def _remove(self, c: ContainerView) -> None:
        rt = self.session.rt
        stopping.stop(rt.containers, c.id, self.timeout)
        rt.containers.remove(c.id, force=True)
        rt.forget(c.id)

    def _create(self, service: Service, action: ContainerAction, previous: ContainerView | None) -> str:
        image = resolve_image(self.session, service)
        return create_replica(self.session, service, action.number, action.name, config_hash=self.hashes[service.name],
                              image=image, state=self.state or ProjectState(self.session.project.name),
                              previous=previous)

    async def container_action(self, service: Service, action: ContainerAction, no_start: bool) -> None:
        ev = self.progress.event
        c = action.container
        if action.action == KEEP:
            ev("Container", action.name, "Running")
            return
        if action.action == REMOVE and c is not None:
            ev("Container", action.name, "Stopping")
            await self.run(self._remove, c)
            ev("Container", action.name, "Removed")
            return
        if action.action == RESTART and c is not None:
            await self.networks_ready.wait()
            ev("Container", action.name, "Restarting", action.reason)
            await self.run(stopping.stop, self.session.rt.containers, c.id, self.timeout)
            await self.run(self._start, service, c.id, action.name)
            ev("Container", action.name, "Restarted")
            return
        cid = c.id if c is not None else ""
        if action.action == RECREATE and c is not None:
            ev("Container", action.name, "Recreate", action.reason)
            await self.run(self._remove, c)
            cid = await self.run(self._create, service, action, c)
            ev("Container", action.name, "Recreated")
        elif action.action == CREATE:
            ev("Container", action.name, "Creating")
            cid = await self.run(self._create, service, action, None)
            ev("Container", action.name, "Created")
        self.created.setdefault(service.name, []).append(cid)
        if no_start or action.action not in (CREATE, RECREATE, START):
            return
        await self.networks_ready.wait()
        ev("Container", action.name, "Starting")
        await self.run(self._start, service, cid, action.name)
        ev("Container", action.name, "Started")

    # -- services ---------------------------------------------------------------------------------
    async def wait_dependencies(self, name: str, plan: Plan) -> None:
        assert self.state is not None
        if plan.no_start:
            return  # nothing starts: nothing to wait for
        for target, dep in sorted(self.session.graph.dependencies(name).items()):
            condition = dep.condition
            containers = self.state.of_service(target)
            try:
                await wait_condition(self.session.rt.containers, containers, target, condition,
                                     timeout=self.condition_timeout,
                                     on_wait=lambda n: self.progress.event("Container", n, "Waiting"))
            except DependencyFailed:
                if dep.required:
                    raise
                self.progress.message(f"WARN[0000] optional dependency {target} of {name} failed: skipped")
                continue
            if condition != STARTED:
                for c in containers:
                    self.progress.event("Container", c.name, "Healthy" if condition != "service_completed_"
                                        "successfully" else "Exited")

    async def service_task(self, name: str, plan: Plan) -> None:
        service = self.session.project.services[name]
        await self.wait_dependencies(name, plan)
        actions = plan.services[name].actions
        async with trio.open_nursery() as nursery:
            for a in actions:
                if a.action == REMOVE:
                    nursery.start_soon(self.container_action, service, a, plan.no_start)
        async with trio.open_nursery() as nursery:
            for a in actions:
                if a.action != REMOVE:
                    nursery.start_soon(self.container_action, service, a, plan.no_start)

    async def refresh(self) -> None:
        rt = self.session.rt
        self.state = await self.run(lambda: read_state(self.session.project.name, containers=rt.containers))

    async def execute(self, plan: Plan) -> None:
        await self.refresh()
        assert self.state is not None
        if plan.orphans and plan.remove_orphans:
            async with trio.open_nursery() as nursery:
                for c in plan.orphans:
                    nursery.start_soon(self._remove_orphan, c)
        elif plan.orphans:
            names = ", ".join(sorted(c.name for c in plan.orphans))
            self.progress.message(f"WARN[0000] Found orphan containers ([{names}]) for this project. If you removed "
                                  "or renamed this service in your compose file, you can run this command with the "
                                  "--remove-orphans flag to clean it up.")
        async with trio.open_nursery() as outer:
            outer.start_soon(self._networks, plan)  # containers can be created while networks are made
            await self.run(self.ensure_volumes, plan)
            for i, layer in enumerate(plan.layers):
                async with trio.open_nursery() as nursery:
                    for name in layer:
                        nursery.start_soon(self.service_task, name, plan)
                if i + 1 < len(plan.layers):
                    await self.refresh()  # the next layer joins, waits on and mounts from these containers

    async def _networks(self, plan: Plan) -> None:
        await self.run(self.ensure_networks, plan)
        self.networks_ready.set()

    async def _remove_orphan(self, c: ContainerView) -> None:
        self.progress.event("Container", c.name, "Stopping")
        try:
            await self.run(self._remove, c)
        except NotFound:
            pass
        self.progress.event("Container", c.name, "Removed")


__all__ = ["CONDITION_TIMEOUT", "PARALLEL", "Executor"]
