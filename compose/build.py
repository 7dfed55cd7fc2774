"""The services a compose project builds: each ``build:`` section as a ``runtime.api.build.BuildRequest``.

``build_request`` maps one service's ``build:`` keys, as Docker Compose hands them to BuildKit:
the image is named ``service.image_name(project)`` plus ``build.tags``; ``args`` without a value
come from the environment (``--build-arg`` overrides the file); ``secrets`` refer to top-level
secrets (a file or an environment variable; the id is the entry's ``target`` when given);
``additional_contexts`` of the form ``service:NAME`` become the image the service ``NAME``
built, so those services are built first. ``build_services`` builds the rest in parallel, a
layer of independent services at a time. ``bake_plan`` is ``pycompose build --print``: the
bake-like JSON of what would be built.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from compose.errors import ConfigError

# Entitlements BuildKit knows; they are accepted (the builder runs as the caller, who may already do both).
ENTITLEMENTS = frozenset({"network.host", "security.insecure"})
_LOCAL_CACHES = ("local",)


def _error(service: str, key: str, message: str) -> ConfigError:
    return ConfigError(f"service {service!r}: build.{key}: {message}")


def cache_refs(entries: Sequence[str]) -> tuple[list[str], bool, list[str]]:
    """The registry references of ``cache_from`` / ``cache_to`` entries (``ref`` or
    ``type=registry,ref=…[,mode=min|max]``), whether one is ``type=inline`` and the references
    to export with ``mode=max``; ``type=local`` is the store's own cache, always used; other
    kinds (gha, s3, azblob) raise ``ValueError``."""
    refs, inline, full = [], False, []
    for entry in entries:
        fields = dict(part.partition("=")[::2] for part in entry.split(",")) if "=" in entry else {}
        kind = fields.get("type", "registry" if not fields else "")
        mode = fields.get("mode", "min")
        if mode not in ("min", "max"):
            raise ValueError(f"{entry!r}: mode={mode} is not a cache mode (use mode=min or mode=max)")
        if kind == "inline":
            inline = True  # inline caches only have min, as BuildKit's
        elif kind == "registry":
            ref = fields.get("ref", entry if not fields else "")
            if not ref:
                raise ValueError(f"{entry!r}: a registry cache needs ref=NAME[:TAG]")
            refs.append(ref)
            if mode == "max":
                full.append(ref)
        elif kind not in _LOCAL_CACHES:
            raise ValueError(f"{entry!r}: {kind or 'this'} caches are not supported (use a registry reference, "
                             "type=registry,ref=..., type=inline or type=local)")
    return refs, inline, full


def _caches(service: str, key: str, entries: Sequence[str]) -> tuple[list[str], bool, list[str]]:
    try:
        return cache_refs(entries)
    except ValueError as exc:
        raise _error(service, key, str(exc)) from None


def _extra_hosts(service: str, entries: Sequence[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for entry in entries:
        host, sep, address = entry.partition("=")
        if not sep:
            host, sep, address = entry.partition(":")
        if not sep or not host or not address:
            raise _error(service, "extra_hosts", f"{entry!r}: use HOST=IP or HOST:IP")
        out.append((host, address.strip("[]")))
    return tuple(out)


def _secrets(project: Any, service: str, refs: Sequence[Any]) -> tuple[Any, ...]:
    from runtime.api.build import BuildSecret

    out = []
    for ref in refs:
        secret = project.secrets.get(ref.source)
        if secret is None:
            raise _error(service, "secrets", f"secret {ref.source!r} is not defined at the top level")
        sid = ref.target or ref.source
        if secret.file:
            out.append(BuildSecret(sid, file=secret.file))
        elif secret.environment:
            out.append(BuildSecret(sid, env=secret.environment))
        else:
            raise _error(service, "secrets", f"secret {ref.source!r}: only file and environment secrets "
                                             "can be used in a build")
    return tuple(out)


def service_refs(spec: Any) -> list[str]:
    """The services whose images ``additional_contexts`` name (``service:NAME``)."""
    return [v[len("service:"):] for v in spec.additional_contexts.values() if v.startswith("service:")]


def build_request(project: Any, name: str, *, no_cache: bool = False, pull: bool = False, quiet: bool = False,
                  build_args: Mapping[str, str | None] | None = None, built: Mapping[str, str] | None = None,
                  environ: Mapping[str, str] | None = None) -> Any:
    """The ``BuildRequest`` of service ``name`` (``built``: image IDs of services built before)."""
    from runtime.api.build import BuildRequest

    service = project.services[name]
    spec = service.build
    if spec is None:
        raise _error(name, "context", "the service has no build section")
    env = os.environ if environ is None else environ
    from runtime.api.build import is_git_url

    remote = spec.context if is_git_url(spec.context) else None
    if remote is None and "://" in spec.context:
        raise _error(name, "context", f"{spec.context!r}: only git repositories and local directories can be "
                                      "build contexts here (a tarball URL is not supported)")
    context = Path(os.getcwd() if remote is not None or not spec.context else spec.context)
    dockerfile = None
    if spec.dockerfile and not spec.dockerfile_inline:
        if remote is not None or os.path.isabs(spec.dockerfile):
            dockerfile = Path(spec.dockerfile)  # a remote context's Dockerfile is inside the repository
        else:
            dockerfile = context / spec.dockerfile
    args: dict[str, str | None] = {}
    for key, value in {**dict(spec.args), **dict(build_args or {})}.items():
        args[key] = value if value is not None else env.get(key)
    contexts: dict[str, str] = {}
    for key, value in spec.additional_contexts.items():
        if value.startswith("service:"):
            ref = value[len("service:"):]
            if ref not in project.services:
                raise _error(name, "additional_contexts", f"{key}: no such service: {ref}")
            if built is None or ref not in built:
                raise _error(name, "additional_contexts", f"{key}: service {ref!r} has not been built")
            image = built[ref]
            contexts[key] = image if image.startswith("target:") else f"docker-image://{image}"
        elif "://" in value or value.startswith("target:"):
            contexts[key] = value
        else:
            contexts[key] = os.fspath(value if os.path.isabs(value) else context / value)
    cache_from = _caches(name, "cache_from", spec.cache_from)[0]
    cache_to, inline_cache, cache_max = _caches(name, "cache_to", spec.cache_to)
    if spec.isolation not in ("", "default"):
        raise _error(name, "isolation", f"{spec.isolation!r}: only 'default' isolation exists on Linux")
    for entitlement in spec.entitlements:
        if entitlement not in ENTITLEMENTS:
            raise _error(name, "entitlements", f"unknown entitlement {entitlement!r} "
                                               f"(known: {', '.join(sorted(ENTITLEMENTS))})")
    platforms = tuple(spec.platforms) or ((service.platform,) if getattr(service, "platform", "") else ())
    ulimits = tuple((key, u.soft or u.single, u.hard or u.single) for key, u in sorted(spec.ulimits.items()))
    image = service.image_name(project.name)
    return BuildRequest(
        context=context, context_url=remote, dockerfile=dockerfile, dockerfile_inline=spec.dockerfile_inline or None,
        target=spec.target or None, args=args, labels=image_labels(project.name, name, spec.labels),
        tags=tuple(dict.fromkeys((image, *spec.tags))), no_cache=no_cache or spec.no_cache,
        pull=pull or spec.pull, secrets=_secrets(project, name, spec.secrets), ssh=tuple(spec.ssh),
        network=spec.network or None, extra_hosts=_extra_hosts(name, spec.extra_hosts),
        shm_size=spec.shm_size or None, additional_contexts=contexts, platforms=platforms, ulimits=ulimits,
        privileged=spec.privileged, quiet=quiet, cache_from=tuple(cache_from), cache_to=tuple(cache_to),
        cache_to_max=tuple(cache_max), inline_cache=inline_cache)


def image_labels(project: str, service: str, own: Mapping[str, str]) -> dict[str, str]:
    """The labels of a service's built image, as Docker Compose sets them: the build's own, then
    the project, the service and the version (how ``watch --prune`` finds the project's images)."""
    from compose.convert import labels as L

    return {**own, L.VERSION: L.CONTAINER_VERSION, L.PROJECT: project, L.SERVICE: service}


def build_order(project: Any, names: Sequence[str]) -> list[list[str]]:
    """``names`` (plus the services their ``additional_contexts`` need) in layers: each layer
    only needs services of the layers before it."""
    wanted: dict[str, list[str]] = {}

    def need(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            raise ConfigError(f"additional_contexts form a cycle: {' -> '.join((*trail, name))}")
        if name in wanted:
            return
        service = project.services.get(name)
        if service is None:
            raise ConfigError(f"no such service: {name}")
        refs = service_refs(service.build) if service.build is not None else []
        for ref in refs:
            need(ref, (*trail, name))
        wanted[name] = refs

    for name in names:
        need(name, ())
    layers: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(wanted):
        layer = sorted(n for n, refs in wanted.items() if n not in done and all(r in done for r in refs))
        layers.append(layer)
        done.update(layer)
    return layers


def buildable(project: Any, names: Sequence[str] = ()) -> list[str]:
    """The services among ``names`` (all when empty) that have a ``build:`` section."""
    return [n for n in (names or sorted(project.services)) if project.services[n].build is not None]


def build_services(session: Any, names: Sequence[str], *, no_cache: bool = False, pull: bool = False,
                   quiet: bool = False, build_args: Mapping[str, str | None] | None = None, push: bool = False,
                   progress: str = "auto") -> dict[str, str]:
    """Build the services ``names`` (those with a ``build:``), dependencies of ``service:``
    contexts first, independent ones in parallel. Service name -> image ID."""
    from compose.cli.commands.image_build import Printer
    from runtime.api.build import Builder, BuildStepFailed

    project = session.project
    state = session.runtime.state if session.runtime is not None else None
    printer = Printer("quiet" if quiet else progress)
    built: dict[str, str] = {}

    def one(name: str) -> tuple[str, str]:
        request = build_request(project, name, no_cache=no_cache, pull=pull, quiet=quiet, build_args=build_args,
                                built=built, environ=session.environment or os.environ)
        try:
            image = Builder(state).build(request, _prefixed(name, printer))
        except BuildStepFailed as exc:
            printer.failed(str(getattr(exc, "step", ""))[:40])
            raise
        return name, image.id

    for layer in build_order(project, [n for n in buildable(project, names)]):
        if len(layer) == 1:
            results = [one(layer[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(len(layer), os.cpu_count() or 2)) as pool:
                results = list(pool.map(one, layer))
        built.update(results)
        if not quiet:
            for name, _image_id in results:
                print(f" Service {name}  Built", file=sys.stderr, flush=True)
    if push:
        push_images(session, [n for n in built if n in names or not names])
    return built


def _prefixed(name: str, printer: Callable[[Any], None]) -> Callable[[Any], None]:
    from dataclasses import replace

    def emit(event: Any) -> None:
        printer(event if event.step.startswith(f"[{name}") else replace(event, step=f"[{name}] {event.step}"))

    return emit


def push_images(session: Any, names: Sequence[str]) -> None:
    """``--push``: each built service's image names, through ``runtime.api.push``."""
    from runtime.api import push as push_api

    project = session.project
    for name in names:
        spec = project.services[name].build
        for ref in dict.fromkeys((project.services[name].image_name(project.name), *spec.tags)):
            push_api.push(ref)


def bake_plan(session: Any, names: Sequence[str], *, no_cache: bool = False, pull: bool = False,
              build_args: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """``build --print``: what would be built, in the shape of Docker Compose's bake file."""
    project = session.project
    targets: dict[str, Any] = {}
    order = [n for layer in build_order(project, buildable(project, names)) for n in layer]
    placeholder = {n: f"target:{n}" for n in order}
    for name in order:
        req = build_request(project, name, no_cache=no_cache, pull=pull, build_args=build_args, built=placeholder,
                            environ=session.environment or os.environ)
        spec = project.services[name].build
        target: dict[str, Any] = {"context": os.fspath(req.context),
                                  "dockerfile": os.fspath(req.dockerfile) if req.dockerfile else "Dockerfile"}
        if req.dockerfile_inline:
            target["dockerfile-inline"] = req.dockerfile_inline
        contexts = {k: v for k, v in req.additional_contexts.items()}
        if contexts:
            target["contexts"] = contexts
        if req.args:
            target["args"] = {k: v for k, v in sorted(req.args.items()) if v is not None}
        if req.labels:
            target["labels"] = dict(sorted(req.labels.items()))
        target["tags"] = list(req.tags)
        if req.target:
            target["target"] = req.target
        for key, value in (("cache-from", list(spec.cache_from)), ("cache-to", list(spec.cache_to)),
                           ("platforms", list(req.platforms)), ("ssh", list(req.ssh)),
                           ("secret", [f"id={s.id},src={s.file}" if s.file else f"id={s.id},env={s.env}"
                                       for s in req.secrets]),
                           ("extra-hosts", [f"{h}={a}" for h, a in req.extra_hosts])):
            if value:
                target[key] = value
        if req.network:
            target["network"] = req.network
        if req.shm_size:
            target["shm-size"] = str(req.shm_size)
        if req.ulimits:
            target["ulimits"] = [f"{n}={s}:{h}" for n, s, h in req.ulimits]
        if spec.entitlements or req.privileged:
            target["entitlements"] = sorted({*spec.entitlements, *(["security.insecure"] if req.privileged else [])})
        if req.no_cache:
            target["no-cache"] = True
        if req.pull:
            target["pull"] = True
        target["output"] = ["type=docker,load=true,push=false"]
        targets[name] = target
    return {"group": {"default": {"targets": order}}, "target": targets}
