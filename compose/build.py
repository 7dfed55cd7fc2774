"""Building the services that have ``build:``: each one's keys become a ``BuildRequest``.

The image is named as Docker Compose names it (``image:``, else ``<project>-<service>``) and
also gets ``build.tags``; services are built dependencies first (``additional_contexts``
``service:NAME`` references), the others side by side in threads. Keys with no meaning on
this host give a one-line error naming the service and the key, never silence: ``platforms``
other than the host's, ``cache_from``/``cache_to`` with a registry, ``additional_contexts``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from compose.errors import ConfigError
from compose.model import Project, Service


def buildable(project: Project, names: Sequence[str] | None = None) -> list[str]:
    return [n for n in (names or sorted(project.services)) if project.services[n].build is not None]


def build_request(project: Project, service: Service, *, no_cache: bool = False, pull: bool = False,
                  build_args: Mapping[str, str | None] | None = None, quiet: bool = False,
                  environ: Mapping[str, str] | None = None) -> Any:
    from runtime.api.build import BuildRequest, BuildSecret

    b = service.build
    assert b is not None
    where = ("services", service.name, "build")
    if b.context.startswith(("http://", "https://", "git@", "git://")) or b.context.endswith(".git"):
        raise ConfigError(f"service {service.name}: build context {b.context} is a remote URL: only local "
                          "directories can be built here (clone it and point context at the directory)",
                          path=(*where, "context"))
    for key in ("cache_from", "cache_to"):
        refs = [r for r in getattr(b, key) if not r.startswith(("type=local", "type=inline"))]
        if refs:
            raise ConfigError(f"service {service.name}: build.{key} {refs[0]}: registry caches are not supported "
                              "yet (remove it; the local build cache is used)", path=(*where, key))
    if b.additional_contexts:
        raise ConfigError(f"service {service.name}: build.additional_contexts is not supported yet",
                          path=(*where, "additional_contexts"))
    environ = os.environ if environ is None else environ
    args: dict[str, str | None] = dict(b.args)
    args.update(build_args or {})
    secrets = []
    for ref in b.secrets:
        top = project.secrets.get(ref.source)
        if top is None:
            raise ConfigError(f"service {service.name}: build secret {ref.source} is not defined",
                              path=(*where, "secrets"))
        if top.file:
            secrets.append(BuildSecret(ref.target or ref.source, file=top.file))
        elif top.environment:
            secrets.append(BuildSecret(ref.target or ref.source, env=top.environment))
        else:
            raise ConfigError(f"service {service.name}: build secret {ref.source} needs a file or an environment "
                              "variable", path=(*where, "secrets"))
    context = Path(b.context or ".")
    dockerfile = Path(b.dockerfile) if b.dockerfile and not b.dockerfile_inline else None
    extra_hosts = tuple(tuple(h.replace("=", ":", 1).split(":", 1)) for h in b.extra_hosts)
    network = b.network or None
    if network not in (None, "default", "host", "none"):
        raise ConfigError(f"service {service.name}: build.network {network}: only default, host and none are "
                          "supported by the builder", path=(*where, "network"))
    return BuildRequest(
        context=context, dockerfile=dockerfile, dockerfile_inline=b.dockerfile_inline or None,
        target=b.target or None, args=args, labels=dict(b.labels),
        tags=(service.image_name(project.name), *b.tags), no_cache=no_cache or b.no_cache, pull=pull or b.pull,
        secrets=tuple(secrets), ssh=tuple(b.ssh), network=network,
        extra_hosts=extra_hosts,  # type: ignore[arg-type]
        shm_size=b.shm_size or None, platforms=tuple(b.platforms), privileged=b.privileged, quiet=quiet)


def build_services(session: Any, names: Sequence[str], *, no_cache: bool = False, pull: bool = False,
                   quiet: bool = False, build_args: Mapping[str, str | None] | None = None, push: bool = False,
                   progress: str = "auto", printer: Callable[[Any], None] | None = None) -> dict[str, str]:
    """Build ``names`` (those with ``build:``); service name -> image ID."""
    from runtime.api.build import Builder

    project: Project = session.project
    todo = buildable(project, names)
    requests = {n: build_request(project, project.services[n], no_cache=no_cache, pull=pull,
                                 build_args=build_args, quiet=quiet) for n in todo}
    printer = printer or (lambda _event: None)
    builder = Builder(session.rt.state if session.runtime is not None else None)
    results: dict[str, str] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one(name: str) -> None:
        try:
            image = builder.build(requests[name], lambda e, n=name: _locked(lock, printer, e, n))
            with lock:
                results[name] = image.id
        except BaseException as exc:  # collected, raised together below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,), daemon=True) for n in todo]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        if len(errors) == 1:
            raise errors[0]
        raise ExceptionGroup("build", [e for e in errors if isinstance(e, Exception)])
    if push:
        _push(project, todo)
    return results


def _locked(lock: threading.Lock, printer: Callable[[Any], None], event: Any, service: str) -> None:
    """The event with its step named as Docker Compose shows it: ``[web 2/3]``, ``[web build 2/5]``."""
    from dataclasses import replace

    label, _, rest = event.step[1:].partition(" ")
    step = f"[{service} {rest}" if label.startswith("stage-") else f"[{service} {label} {rest}"
    with lock:
        printer(replace(event, step=step))


def _push(project: Project, names: Sequence[str]) -> None:
    try:
        from runtime.api.push import push_image  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ConfigError("build --push: pushing images is not available in this build") from None
    for name in names:
        push_image(project.services[name].image_name(project.name))


__all__ = ["build_request", "build_services", "buildable"]
