"""``down``, ``stop``, ``start``, ``restart`` and ``rm``: the project's containers in (reverse)
dependency order, in parallel within a layer, each runtime call in a worker thread."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import trio

from compose.convert.network import network_request
from compose.errors import ConfigError
from compose.graph import ServiceGraph
from compose.project_state import ContainerView, ProjectState, read_state
from compose.reconcile import stopping
from compose.reconcile.conditions import STARTED, DependencyFailed, wait_condition
from compose.reconcile.executor import CONDITION_TIMEOUT, parallel_limit
from compose.reconcile.progress import Progress
from compose.reconcile.replica import join_targets
from compose.reconcile.session import Runtime, Session
from runtime.api import Conflict, NotFound

STOP_PARALLEL = 128  # threads at most waiting for containers to stop


@dataclass
class Lifecycle:
    rt: Runtime
    project: str
    progress: Progress
    session: Session | None = None  # None: only the project name is known (``down -p NAME``)
    timeout: float | None = None

    def __post_init__(self) -> None:
        self.limit = trio.CapacityLimiter(parallel_limit())
        # Waiting for a container to exit costs no CPU: stops do not take a slot of the work
        # limit, so that 30 containers are told to stop at once (Docker Compose's default
        # limit is none at all), not 8 at a time with each batch waiting out its slowest.
        self.wait_limit = trio.CapacityLimiter(STOP_PARALLEL)

    async def run(self, fn: Callable[..., object], *args: object) -> object:
        return await trio.to_thread.run_sync(fn, *args, limiter=self.limit)

    def read(self) -> ProjectState:
        return read_state(self.project, containers=self.rt.containers, networks=self.rt.networks,
                          volumes=self.rt.volumes, oneoff=None)

    @property
    def graph(self) -> ServiceGraph | None:
        return self.session.graph if self.session else None

    def layers(self, state: ProjectState, services: Iterable[str], *, reverse: bool) -> list[list[ContainerView]]:
        """The containers of ``services`` by dependency layer (services unknown to the model last/first)."""
        wanted = set(services)
        known = set(self.graph.services) if self.graph else set()
        out: list[list[ContainerView]] = []
        if self.graph is not None:
            layers = self.graph.start_layers(wanted & known)
            for layer in layers:
                out.append([c for c in state.containers if c.service in layer])
        out = [layer for layer in out if layer]
        rest = [c for c in state.containers if c.service in wanted - known]
        if rest:
            out.insert(0, rest)  # outside the model: no order to keep; stopped first, started first
        return list(reversed(out)) if reverse and self.graph is not None else out

    async def each(self, containers: list[ContainerView], fn: Callable[[ContainerView], Awaitable[None]]) -> None:
        async with trio.open_nursery() as nursery:
            for c in containers:
                nursery.start_soon(fn, c)

    # -- steps ------------------------------------------------------------------------------------
    async def stop_one(self, c: ContainerView) -> None:
        if not c.active:
            return
        self.progress.event("Container", c.name, "Stopping")
        await trio.to_thread.run_sync(stopping.stop, self.rt.containers, c.id, self.timeout, limiter=self.wait_limit)
        self.progress.event("Container", c.name, "Stopped")

    async def remove_one(self, c: ContainerView, forget: list[str] | None = None) -> None:
        """Stop and remove ``c``; its endpoint and files are forgotten at once, or, when
        ``forget`` is given, left to the caller, who forgets the whole list together."""
        await self.stop_one(c)
        self.progress.event("Container", c.name, "Removing")
        try:
            await self.run(self._remove, c.id)
        except NotFound:
            pass
        if forget is None:
            await self.run(self.rt.forget, c.id)
        else:
            forget.append(c.id)
        self.progress.event("Container", c.name, "Removed")

    def _remove(self, cid: str) -> None:
        self.rt.containers.remove(cid, force=True)

    def _start(self, c: ContainerView) -> None:
        assert self.session is not None
        project = self.session.project
        service = project.services.get(c.service)
        if service is None:
            self.rt.containers.start(c.id)
            return
        state = self.read()
        req = network_request(project, service, c.id, c.name, join=join_targets(self.session, service, state))
        hook = self.rt.networks.hook(req, files_dir=self.rt.containers.store.dir(c.id)) if req.mode == "bridge" \
            else None
        self.rt.containers.start(c.id, network_setup=hook)

    async def start_one(self, c: ContainerView) -> None:
        if c.active:
            return
        self.progress.event("Container", c.name, "Starting")
        await self.run(self._start, c)
        self.progress.event("Container", c.name, "Started")

    async def restart_one(self, c: ContainerView) -> None:
        self.progress.event("Container", c.name, "Restarting")
        await trio.to_thread.run_sync(stopping.stop, self.rt.containers, c.id, self.timeout, limiter=self.wait_limit)
        await self.run(self._start, c)
        self.progress.event("Container", c.name, "Started")

    # -- commands ---------------------------------------------------------------------------------
    async def down(self, *, volumes: bool = False, remove_orphans: bool = False, rmi: str = "") -> None:
        state = self.read()
        known = set(self.session.project.services) if self.session else {c.service for c in state.containers}
        orphans = [c for c in state.containers if c.service not in known]
        if orphans and not remove_orphans:
            names = ", ".join(sorted(c.name for c in orphans))
            self.progress.message(f"WARN[0000] Found orphan containers ([{names}]) for this project. If you "
                                  "removed or renamed this service in your compose file, you can run this command "
                                  "with the --remove-orphans flag to clean it up.")
        services = known | ({c.service for c in orphans} if remove_orphans else set())
        # a layer's endpoints are torn down while the next layer stops (that only needs the
        # layer's containers gone, not their veths and records), the layers done meanwhile together
        send, receive = trio.open_memory_channel[list[str]](len(state.containers) + 1)
        async with trio.open_nursery() as teardowns:
            if state.networks:
                self.rt.networks.preload()  # the link helper starts while the first layer stops
            teardowns.start_soon(self._forget_removed, receive)
            with send:
                for layer in self.layers(state, services, reverse=True):
                    removed: list[str] = []
                    try:
                        await self.each(layer, lambda c, removed=removed: self.remove_one(c, forget=removed))
                    finally:
                        send.send_nowait(removed)
        for name in state.networks:
            self.progress.event("Network", name, "Removing")
            try:
                await self.run(self.rt.networks.remove, name)
            except Conflict as exc:
                self.progress.message(f"WARN[0000] {exc}")
                continue
            except NotFound:
                pass
            self.progress.event("Network", name, "Removed")
        for name in state.volumes:
            if volumes:
                self.progress.event("Volume", name, "Removing")
                try:
                    await self.run(self.rt.volumes.remove, name)
                except Conflict as exc:
                    self.progress.message(f"WARN[0000] {exc}")
                    continue
                except NotFound:
                    pass
                self.progress.event("Volume", name, "Removed")
            else:
                await self.run(self.rt.volumes.unmount, name)
        if rmi:
            await self.run(self._remove_images, rmi, state)

    async def _forget_removed(self, receive: trio.MemoryReceiveChannel[list[str]]) -> None:
        """``forget_many`` of what each layer removed, batched while one runs."""
        with trio.CancelScope(shield=True), receive:  # what was removed is forgotten, even on Ctrl-C
            async for removed in receive:
                while True:
                    try:
                        removed = removed + receive.receive_nowait()
                    except (trio.WouldBlock, trio.EndOfChannel):
                        break
                await self.run(self.rt.forget_many, removed)

    def _remove_images(self, mode: str, state: ProjectState) -> None:
        refs: set[str] = set()
        if self.session is not None:
            for s in self.session.project.services.values():
                if mode == "all" or not s.image:
                    refs.add(s.image_name(self.session.project.name))
        elif mode == "all":
            refs = {c.image_id for c in state.containers if c.image_id}
        for ref in sorted(refs):
            if not self.rt.images.exists(ref):
                continue
            _done, errors = self.rt.images.remove([ref])
            if not errors:
                self.progress.event("Image", ref, "Removed")
            for err in errors:
                self.progress.message(f"WARN[0000] {err}")

    async def stop(self, services: Iterable[str]) -> None:
        state = self.read()
        for layer in self.layers(state, services, reverse=True):
            await self.each(layer, self.stop_one)

    async def start(self, services: Iterable[str]) -> None:
        names = list(services)
        state = self.read()
        for name in names:
            if not state.of_service(name):
                raise ConfigError(f"service {name!r} has no container to start")
        for layer in self.layers(state, names, reverse=False):
            await self._wait_deps(layer)
            await self.each(layer, self.start_one)

    async def _wait_deps(self, layer: list[ContainerView]) -> None:
        if self.session is None:
            return
        state = self.read()
        for service in sorted({c.service for c in layer if c.service in self.session.project.services}):
            for target, dep in sorted(self.session.graph.dependencies(service).items()):
                try:
                    await wait_condition(self.rt.containers, state.of_service(target), target,
                                         dep.condition if dep.condition else STARTED, timeout=CONDITION_TIMEOUT)
                except DependencyFailed:
                    if dep.required:
                        raise

    async def restart(self, services: Iterable[str]) -> None:
        state = self.read()
        for layer in self.layers(state, services, reverse=False):
            await self.each(layer, self.restart_one)

    async def remove(self, containers: list[ContainerView], *, stop: bool) -> None:
        if stop:
            await self.each(containers, self.stop_one)
        await self.each([c for c in containers if stop or not c.active], self.remove_one)


__all__ = ["Lifecycle"]
