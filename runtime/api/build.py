"""The builder's facade: what ``compose/`` and the CLI use to build an image from a Dockerfile.

``Builder(state).build(BuildRequest(...), progress) -> Image``; ``Builder.prune(...)``.
Progress arrives as :class:`BuildEvent` values (a step like ``[web 3/5] RUN make`` and its
status ``start``/``cached``/``done``/``log``/``error``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from runtime.api.images import Image, ImageStore
from runtime.build.dockerignore import IgnoreMatcher
from runtime.build.errors import BuildError, BuildStepFailed, DockerfileError
from runtime.state import StateRoot

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class BuildSecret:
    id: str
    file: str | None = None
    env: str | None = None


@dataclass(frozen=True)
class BuildEvent:
    step: str
    status: str  # "start" | "cached" | "done" | "error" | "log"
    text: str = ""
    elapsed: float | None = None


@dataclass(frozen=True)
class BuildRequest:
    context: Path
    dockerfile: Path | None = None  # default <context>/Dockerfile
    dockerfile_inline: str | None = None
    target: str | None = None
    args: Mapping[str, str | None] = field(default_factory=lambda: _EMPTY)  # None: from the environment
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    tags: tuple[str, ...] = ()
    no_cache: bool = False
    no_cache_filter: tuple[str, ...] = ()
    pull: bool = False
    secrets: tuple[BuildSecret, ...] = ()
    ssh: tuple[str, ...] = ()
    network: str | None = None  # None/"default": the host's network, as docker build; "none"
    extra_hosts: tuple[tuple[str, str], ...] = ()
    shm_size: int | None = None
    additional_contexts: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    platforms: tuple[str, ...] = ()
    ulimits: tuple[tuple[str, int, int], ...] = ()
    privileged: bool = False
    source_date_epoch: int | None = None
    quiet: bool = False
    context_url: str | None = None  # a git repository (``URL#ref:subdir``); then ``context`` is unused
    cache_from: tuple[str, ...] = ()  # images (pulled when missing) whose carried build cache to use
    cache_to: tuple[str, ...] = ()  # references to push an image carrying this build's cache to
    cache_to_max: tuple[str, ...] = ()  # those of them exported with mode=max (every stage's steps)
    inline_cache: bool = False  # the built image carries its build cache (also BUILDKIT_INLINE_CACHE=1)


class Builder:
    def __init__(self, state: StateRoot | None = None) -> None:
        self.state = (state or StateRoot.from_env()).ensure()

    def build(self, request: BuildRequest, progress: Callable[[BuildEvent], None] | None = None) -> Image:
        from runtime.build.dockerfile import host_platform
        from runtime.build.executor import Executor, Options

        if request.context_url is not None:
            import dataclasses

            from runtime.build.git import checkout

            with checkout(request.context_url, self.state.run / "build-contexts") as checked_out:
                return self.build(dataclasses.replace(request, context=checked_out, context_url=None), progress)
        context = request.context.resolve()
        if not context.is_dir():
            raise BuildError(f"unable to prepare context: path {str(request.context)!r} not found")
        host = host_platform()
        for platform in request.platforms:
            if platform not in (host, host.rsplit("/", 1)[0]):
                raise BuildError(f"platform {platform}: only the host's platform ({host}) can be built here")
        contexts = _named_contexts(request.additional_contexts, context)
        if request.dockerfile_inline is not None:
            text, name = request.dockerfile_inline, "Dockerfile"
        else:
            path = request.dockerfile or context / "Dockerfile"
            if not path.is_absolute():
                path = context / path
            try:
                text = path.read_text()
            except FileNotFoundError:
                raise BuildError(f"failed to read dockerfile: open {path}: no such file or directory") from None
            name = path.name
        args = {k: (v if v is not None else os.environ.get(k)) for k, v in request.args.items()}
        secrets, temps = {}, []
        for secret in request.secrets:
            if secret.file is not None:
                secrets[secret.id] = Path(secret.file).resolve()
            elif secret.env is not None or secret.id in os.environ:
                value = os.environ.get(secret.env or secret.id)
                if value is None:
                    raise BuildError(f"secret {secret.id}: environment variable {secret.env} is not set")
                fd, tmp = tempfile.mkstemp(prefix="secret-", dir=self.state.run)
                os.write(fd, value.encode())
                os.close(fd)
                temps.append(tmp)
                secrets[secret.id] = Path(tmp)
        epoch = request.source_date_epoch
        if epoch is None and os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
            epoch = int(os.environ["SOURCE_DATE_EPOCH"])
        opts = Options(context=context, dockerfile_name=name, target=request.target,
                       build_args={k: v for k, v in args.items() if v is not None}, tags=request.tags,
                       labels=dict(request.labels), no_cache=request.no_cache,
                       no_cache_filter=request.no_cache_filter, network=request.network, secrets=secrets,
                       epoch=epoch, pull=request.pull, contexts=contexts, cache_from=request.cache_from,
                       cache_to=request.cache_to, cache_to_max=request.cache_to_max,
                       inline_cache=request.inline_cache or args.get("BUILDKIT_INLINE_CACHE") in ("1", "true"))

        def emit(step: str, status: str, text: str, elapsed: float | None) -> None:
            if progress is not None:
                progress(BuildEvent(step, status, text, elapsed))

        try:
            image_id = Executor(self.state, opts, emit).build(text)
        finally:
            for tmp in temps:
                os.unlink(tmp)
        return ImageStore(self.state).resolve(image_id)

    def prune(self, *, all: bool = False, keep_storage: int | None = None) -> int:
        from runtime.build.cache import BuildCache

        return BuildCache(self.state).prune(all=all, keep_storage=keep_storage)


def is_git_url(text: str) -> bool:
    """Whether a build context names a git repository (Docker's rule: ``git://``, ``git@``,
    ``github.com/``, or an http(s)/ssh URL ending in ``.git``, with an optional ``#ref:subdir``)."""
    from runtime.build.git import is_git_url as git_url

    return git_url(text)


def _named_contexts(given: Mapping[str, str], context: Path) -> dict[str, tuple[str, str]]:
    """``additional_contexts`` (``--build-context``) as the executor takes them: name (lower case,
    as stage names) -> ``("dir", path)`` or ``("image", reference)``."""
    named: dict[str, tuple[str, str]] = {}
    for name, value in given.items():
        if value.startswith("docker-image://"):
            named[name.lower()] = ("image", value[len("docker-image://"):])
        elif value.startswith("target:"):
            raise BuildError(f"build context {name}={value}: a target: context exists only in a bake file; "
                             "in a compose file name the service (service:NAME)")
        elif "://" in value or value.startswith(("git@", "github.com/")):
            raise BuildError(f"build context {name}={value}: only local directories and docker-image:// "
                             "references can be used as additional contexts here")
        else:
            path = Path(value) if os.path.isabs(value) else context / value
            if not path.is_dir():
                raise BuildError(f"build context {name}={value}: {path} is not a directory")
            named[name.lower()] = ("dir", os.fspath(path.resolve()))
    return named


def build_cache_images(state: StateRoot) -> set[str]:
    """IDs of the images the build cache holds (intermediate steps)."""
    from runtime.build.cache import BuildCache

    return BuildCache(state).images()


__all__ = ["BuildError", "BuildEvent", "BuildRequest", "BuildSecret", "BuildStepFailed", "Builder",
           "DockerfileError", "IgnoreMatcher", "build_cache_images"]
