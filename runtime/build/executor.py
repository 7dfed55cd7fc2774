"""Running a parsed Dockerfile: stages, ARG/ENV scoping, the cache, RUN in real containers.

A stage is carried as an image: the base (or nothing, for ``scratch``), then after every step
that changes files (``RUN``, ``COPY``, ``ADD``) an image of its own — untagged, recorded in the
build cache (:mod:`runtime.build.cache`) under the step's key — so that the next step mounts
it as the lower layers of its root filesystem, exactly as a container's. Metadata steps only
change the config and add an empty-layer history entry; they are written with the next
image. The final image of the target stage gets the tags.

* **Keys.** Each step's key hashes its parent's key, the instruction after expansion, the
  build args it can see and, for ``COPY``/``ADD``, the checksum of exactly the files they select
  (:func:`runtime.build.context.checksum`): a step is ``CACHED`` when its key is known and its
  image still exists; ``--no-cache`` (or a stage in ``no_cache_filter``) skips the lookups.
* **RUN** runs in a container of the runtime: its own mount, PID, UTS, IPC and cgroup
  namespaces, the host's network unless ``--network=none`` (as ``docker build``), Docker's
  capabilities and seccomp profile, the stage's ``Env`` plus the build args in scope,
  ``WORKDIR`` and ``USER``; its changes are the upper dir of its overlay, made a layer by
  :func:`runtime.build.layer.layer_from_upper` (without the ``/etc/hosts``-like files the
  runtime mounts). A non-zero exit is :class:`BuildStepFailed` with the output's tail.
* Only the stages the target needs are built, each once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtime.build import cache as build_cache
from runtime.build.commit import HistoryEntry, commit_image, commit_raw_config
from runtime.build.dockerfile import PROXY_ARGS, expand_instruction, parse, predefined_args
from runtime.build.dockerfile import instructions as ins
from runtime.build.errors import BuildError, BuildStepFailed, DockerfileError
from runtime.build.layer import LayerBlob, layer_from_upper
from runtime.images.changes import format_go_duration
from runtime.state import StateRoot

if TYPE_CHECKING:
    from runtime.api.containers import Containers

Progress = Callable[[str, str, str, "float | None"], None]  # step, status, text, elapsed
DEFAULT_SHELL = ("/bin/sh", "-c")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_SKIP = {"etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv"}


def _skip(rel: str, _st: os.stat_result) -> bool:
    return rel in _SKIP or rel.startswith(("proc/", "sys/", "dev/"))


class _Cancelled(BuildError):
    """A stage stopped because another failed (or the build was interrupted)."""

    def __init__(self) -> None:
        super().__init__("cancelled")


@dataclass
class StageState:
    name: str
    image: str | None  # the image this stage stands on so far (None: scratch, nothing yet)
    config: dict[str, Any]
    key: str
    args: dict[str, str] = field(default_factory=dict)
    declared: dict[str, str | None] = field(default_factory=dict)  # the stage's ARGs in order, as given
    pending: list[HistoryEntry] = field(default_factory=list)
    built: bool = False
    cmd_set: bool = False
    chain: list[tuple[str, str]] = field(default_factory=list)  # (step key, image) of its layer steps

    def env(self) -> dict[str, str]:
        return dict(e.partition("=")[::2] for e in self.config.get("Env") or [])

    def words(self) -> dict[str, str]:
        """What ``$VAR`` means in this stage's instructions: args, then ENV over them."""
        return {**self.args, **self.env()}


@dataclass
class Options:
    context: Path
    dockerfile_name: str
    target: str | None
    build_args: Mapping[str, str]
    tags: tuple[str, ...]
    labels: Mapping[str, str]
    no_cache: bool
    no_cache_filter: tuple[str, ...]
    network: str | None
    secrets: Mapping[str, Path]
    epoch: int | None
    pull: bool
    contexts: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # name -> ("dir"|"image", where)
    cache_from: tuple[str, ...] = ()  # images whose carried build cache to use (runtime.build.remote_cache)
    cache_to: tuple[str, ...] = ()  # references to push an image carrying this build's cache to
    cache_to_max: tuple[str, ...] = ()  # those exported with mode=max: the steps of every stage built
    inline_cache: bool = False  # the built image itself carries its cache


class Executor:
    def __init__(self, state: StateRoot, options: Options, progress: Progress) -> None:
        from runtime.build.dockerignore import IgnoreMatcher
        from runtime.images.store import ImageStore

        self.state = state
        self.opts = options
        lock = threading.Lock()

        def locked(step: str, status: str, text: str, elapsed: float | None) -> None:
            with lock:  # stages built side by side report from their own threads
                progress(step, status, text, elapsed)

        self.progress: Progress = locked
        self.cancelled = threading.Event()  # a stage failed or the build was interrupted: start no more steps
        self.running: set[str] = set()  # the RUN containers of this build now running
        self.store = ImageStore(state).open()
        self.cache = build_cache.BuildCache(state)
        self.matcher = IgnoreMatcher.load(options.context, options.context / options.dockerfile_name)
        self.stages: dict[int, StageState] = {}
        self.memo: dict[Any, str] = {}
        self.matchers: dict[str, Any] = {}  # a named directory context's .dockerignore
        self.hits: list[str] = []  # cache keys this build used
        self.made = False  # whether it made a new image (then the cache may have outgrown its bound)

    @functools.cached_property
    def containers(self) -> Containers:  # only a RUN step needs the runtime's containers
        from runtime.api.containers import Containers

        return Containers(self.state)

    # -- the whole build ---------------------------------------------------------------------------
    def build(self, text: str) -> str:
        df = parse(text, self.opts.dockerfile_name)
        target = df.stage(self.opts.target) if self.opts.target else df.stages[-1]
        global_args = dict(predefined_args())
        for arg in df.args:
            for k, v in arg.pairs:
                value = self.opts.build_args.get(k, v)
                if value is not None:
                    global_args[k] = ins_expand(value, global_args, df, arg)
        self.global_args = global_args
        self.df = df
        if self.opts.cache_from:
            from runtime.build import remote_cache

            remote_cache.fetch(self.store, self.opts.cache_from, self._pull, self.cache,
                               lambda text: self.progress("cache", "warning", text, None))
        self._prebuild(target.index)
        state = self._stage(target.index)
        image = self._finish(state)
        if self.opts.cache_to:
            self._export_cache(state, image)
        self.cache.touch(self.hits)
        if self.made:
            self.cache.gc()
        return image

    # -- stages side by side ------------------------------------------------------------------------
    def _stage_named(self, name: str, before: int | None = None) -> int | None:
        """The index of the stage ``name`` means (``FROM``: only earlier stages), if it is one."""
        if self._named(name) is not None:
            return None  # a named context stands in for it
        stages = self.df.stages if before is None else self.df.stages[:before]
        for stage in stages:
            if (stage.name and stage.name == name.lower()) or (before is None and str(stage.index) == name):
                return stage.index
        return None

    def _static_deps(self, index: int) -> set[int] | None:
        """The stages stage ``index`` needs (FROM, COPY --from, RUN --mount from=), or None when a
        name is only known once the stage's own variables are expanded."""
        stage = self.df.stages[index]
        base = expand_instruction(stage.from_, self.global_args)
        assert isinstance(base, ins.From)
        deps = {i for i in [self._stage_named(base.image, before=index)] if i is not None}
        for instr in stage.instructions:
            names = [instr.from_] if isinstance(instr, ins.Copy) and instr.from_ else []
            if isinstance(instr, ins.Run):
                names += [m.from_ for m in instr.mounts if m.type == "bind" and m.from_]
            for name in names:
                if "$" in name:
                    return None
                found = self._stage_named(name)
                if found is not None:
                    deps.add(found)
        return deps

    def _prebuild(self, target: int) -> None:
        """Build the stages the target needs, independent ones side by side (BuildKit solves the
        stages as a graph); nothing is done when a stage's needs are only known as it runs (the
        target's recursive build then takes them one by one, as they come)."""
        import graphlib

        graph: dict[int, set[int]] = {}
        todo = [target]
        while todo:
            index = todo.pop()
            if index in graph:
                continue
            deps = self._static_deps(index)
            if deps is None:
                return
            graph[index] = deps
            todo += deps
        try:
            order = [i for i in graphlib.TopologicalSorter(graph).static_order() if i != target]
        except graphlib.CycleError:
            return  # the recursive build names the cycle
        needs: dict[int, set[int]] = {}  # every stage each one needs, directly or not
        for index in order:
            needs[index] = set().union(*[{d} | needs[d] for d in graph[index]])
        side_by_side = any(a not in needs[b] and b not in needs[a] for a in order for b in order if a < b)
        workers = min(len(order), os.cpu_count() or 1, 4)
        if workers < 2 or not side_by_side:
            return  # a chain: each stage waits for the one before it anyway
        from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

        futures: dict[int, Future[StageState]] = {}

        def job(index: int) -> StageState:
            for dep in graph[index]:
                futures[dep].result()  # submitted earlier, so running or done: no worker waits in a circle
            if self.cancelled.is_set():
                raise _Cancelled()
            return self._stage(index)

        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="build-stage")
        try:
            for index in order:
                futures[index] = pool.submit(job, index)
            done, _ = wait(futures.values(), return_when=FIRST_EXCEPTION)
            if any(f.exception() is not None for f in done):
                self._cancel()  # the first failure stops the other stages at their next step
        except BaseException:
            self._cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        errors = [f.exception() for f in futures.values() if not f.cancelled() and f.exception() is not None]
        first = next((e for e in errors if not isinstance(e, _Cancelled)), None)
        if first is not None:
            raise first

    def _cancel(self) -> None:
        """Stop the build: no new step starts, the RUN containers now running are killed."""
        self.cancelled.set()
        for cid in list(self.running):
            with contextlib.suppress(Exception):
                self.containers.kill(cid)

    def _stage(self, index: int) -> StageState:
        if index in self.stages and self.stages[index].built:
            return self.stages[index]
        stage = self.df.stages[index]
        if index in self.stages:
            raise DockerfileError("circular dependency between stages", self.df.file, stage.from_.location.line,
                                  "FROM")
        label = stage.name or f"stage-{index}"
        base = expand_instruction(stage.from_, self.global_args)
        assert isinstance(base, ins.From)
        if base.platform and base.platform not in (self.global_args["TARGETPLATFORM"],
                                                   self.global_args["BUILDPLATFORM"]):
            raise BuildError(f"{self.df.file}:{base.location.line}: FROM --platform={base.platform}: only the "
                             f"host's platform ({self.global_args['TARGETPLATFORM']}) can be built here")
        state = StageState(label, None, {}, "")
        self.stages[index] = state
        named = self._named(base.image)  # a named context stands in for a stage or image of its name
        earlier = next((s for s in self.df.stages[:index] if s.name and s.name == base.image.lower()), None)
        start = time.monotonic()
        if earlier is not None and named is None:
            parent = self._stage(earlier.index)
            state.image, state.config, state.key = parent.image, json.loads(json.dumps(parent.config)), parent.key
            state.chain = list(parent.chain)
        elif base.image.lower() == "scratch" and named is None:
            state.key = _hash("scratch")
            state.config = {"Env": [f"PATH={DEFAULT_PATH}"], "WorkingDir": "/"}  # BuildKit's empty image
        else:
            image_id = self._from_image(base.image) if named else self._base_image(base.image).id
            assert image_id is not None
            state.image = image_id
            state.config = self._raw_config(image_id)
            state.key = _hash("from", image_id)
            if "PATH" not in state.env():  # BuildKit gives every stage a PATH
                state.config["Env"] = [*(state.config.get("Env") or []), f"PATH={DEFAULT_PATH}"]
        self.progress(f"[{label} 1/{len(stage.instructions) + 1}] FROM {base.image}", "done", "",
                      time.monotonic() - start)
        no_cache = self.opts.no_cache or label in self.opts.no_cache_filter
        total = len(stage.instructions) + 1
        for n, instr in enumerate(stage.instructions, start=2):
            self._step(state, instr, f"[{label} {n}/{total}]", no_cache)
        state.built = True
        return state

    def _base_image(self, ref: str) -> Any:
        from runtime.images.errors import ImageNotFound

        if self.opts.pull:
            self._pull(ref)
        try:
            return self.store.resolve(ref)
        except ImageNotFound:
            self._pull(ref)
            return self.store.resolve(ref)

    def _pull(self, ref: str) -> None:
        try:
            from runtime.api.registry import Registry  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise BuildError(f"base image {ref} is not in the image store: load it first "
                             "('pycompose image load')") from None
        Registry(self.state).pull(ref)

    def _raw_config(self, image_id: str) -> dict[str, Any]:
        record = self.store.records.get(image_id)
        manifest = self.store.manifest(record.manifest)
        return dict(json.loads(self.store.content.read(manifest.config.digest)).get("config") or {})

    # -- one step --------------------------------------------------------------------------------
    def _step(self, state: StageState, raw: ins.Instruction, step: str, no_cache: bool) -> None:
        if self.cancelled.is_set():
            raise _Cancelled()
        if isinstance(raw, ins.Arg):
            self._arg(state, raw)
            return
        instr = expand_instruction(raw, state.words(), escape=self.df.escape)
        text = _describe(instr)
        start = time.monotonic()
        if isinstance(instr, ins.Run | ins.Copy):
            self._layer_step(state, instr, f"{step} {text}", no_cache)
            return
        self._metadata(state, instr)
        if isinstance(instr, ins.Workdir) and state.config["WorkingDir"] != "/":
            self._layer_step(state, instr, f"{step} {text}", no_cache)  # BuildKit makes the directory: a layer
            return
        if not isinstance(instr, ins.OnBuild):  # BuildKit writes no history for ONBUILD
            state.pending.append(_history(_created_by(instr, state), empty_layer=True))
        state.key = _hash(state.key, text)
        self.progress(f"{step} {text}", "done", "", time.monotonic() - start)

    def _arg(self, state: StageState, arg: ins.Arg) -> None:
        written = []
        for k, default in arg.pairs:
            expanded = None if default is None else ins_expand(default, state.words(), self.df, arg)
            if k in self.opts.build_args:
                value: str | None = self.opts.build_args[k]
            elif expanded is not None:
                value = expanded
            else:
                value = self.global_args.get(k)
            if value is not None:
                state.args[k] = value
            state.declared[k] = value
            written.append(k if expanded is None else f"{k}={expanded}")
            state.key = _hash(state.key, "ARG", k, value or "")
        state.pending.append(_history("ARG " + " ".join(written), empty_layer=True))

    def _metadata(self, state: StageState, instr: ins.Instruction) -> None:
        cfg = state.config
        if isinstance(instr, ins.Env):
            env = state.env()
            env.update(dict(instr.pairs))
            cfg["Env"] = [f"{k}={v}" for k, v in env.items()]
        elif isinstance(instr, ins.Label):
            cfg["Labels"] = {**(cfg.get("Labels") or {}), **{_unquote(k): v for k, v in instr.pairs}}
        elif isinstance(instr, ins.Workdir):
            import posixpath

            cfg["WorkingDir"] = posixpath.normpath(posixpath.join(cfg.get("WorkingDir") or "/", instr.path))
        elif isinstance(instr, ins.User):
            cfg["User"] = instr.user
        elif isinstance(instr, ins.Expose):
            ports = dict(cfg.get("ExposedPorts") or {})
            for p in instr.ports:
                ports[p if "/" in p else f"{p}/tcp"] = {}
            cfg["ExposedPorts"] = ports
        elif isinstance(instr, ins.Volume):
            cfg["Volumes"] = {**(cfg.get("Volumes") or {}), **{p: {} for p in instr.paths}}
        elif isinstance(instr, ins.Entrypoint):
            cfg["Entrypoint"] = self._command(state, instr.command, instr.shell_form)
            if not state.cmd_set:
                cfg["Cmd"] = None  # ENTRYPOINT resets an inherited CMD, as Docker does
        elif isinstance(instr, ins.Cmd):
            cfg["Cmd"] = self._command(state, instr.command, instr.shell_form)
            state.cmd_set = True
        elif isinstance(instr, ins.Shell):
            cfg["Shell"] = list(instr.command)
        elif isinstance(instr, ins.Healthcheck):
            if instr.test is None:
                cfg["Healthcheck"] = {"Test": ["NONE"]}
            else:
                hc: dict[str, Any] = {"Test": list(instr.test)}
                for key, value in (("Interval", instr.interval), ("Timeout", instr.timeout),
                                   ("StartPeriod", instr.start_period), ("StartInterval", instr.start_interval),
                                   ("Retries", instr.retries)):
                    if value is not None:
                        hc[key] = value
                cfg["Healthcheck"] = hc
        elif isinstance(instr, ins.StopSignal):
            cfg["StopSignal"] = instr.signal
        elif isinstance(instr, ins.OnBuild):
            cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), instr.text]
        elif isinstance(instr, ins.Maintainer):
            self.author = instr.name

    def _command(self, state: StageState, command: tuple[str, ...], shell_form: bool) -> list[str] | None:
        if not command:
            return None
        return [*(state.config.get("Shell") or DEFAULT_SHELL), command[0]] if shell_form else list(command)

    def _layer_step(self, state: StageState, instr: ins.Run | ins.Copy | ins.Workdir, step: str,
                    no_cache: bool) -> None:
        start = time.monotonic()
        parts = self._key_parts(state, instr)
        key = _hash(state.key, step.split("] ", 1)[1], *parts)
        cached = None if no_cache else self.cache.get(key)
        if cached is not None and self.store.records.get(cached) is not None:
            state.image, state.key, state.pending = cached, key, []
            state.chain.append((key, cached))
            state.config = self._raw_config(cached)
            self.hits.append(key)
            self.progress(step, "cached", "", None)
            return
        self.made = True
        self.progress(step, "start", "", None)
        with contextlib.ExitStack() as stack:
            if isinstance(instr, ins.Copy) and instr.link:  # keyed without parts[:2], the stage's args and config
                layer = self._linked_layer(state, instr, _hash("link", step.split("] ", 1)[1], *parts[2:],
                                                                 state.config.get("WorkingDir") or "/"))
            else:
                rootfs, upper, work = stack.enter_context(self._rootfs(state.image))
                layer = self._changes(state, instr, step, rootfs, upper, work)
            entry = _history(_created_by(instr, state), empty_layer=False)
            image = commit_image(self.store, state.image, [layer], state.config, [*state.pending, entry], [],
                                 epoch=self.opts.epoch)
        state.image, state.key, state.pending = image.id, key, []
        state.chain.append((key, image.id))
        self.cache.put(key, image.id)
        self.progress(step, "done", "", time.monotonic() - start)

    def _changes(self, state: StageState, instr: ins.Run | ins.Copy | ins.Workdir, step: str, rootfs: Path,
                 upper: Path, work: Path) -> LayerBlob:
        """Carry the step out on the stage's mounted root file system; its changes as a layer."""
        skip = _skip
        if isinstance(instr, ins.Run):
            made = self._run(state, instr, rootfs, step)

            def skip(rel: str, st: os.stat_result, made: set[str] = made) -> bool:
                return _skip(rel, st) or rel in made
        elif isinstance(instr, ins.Workdir):
            self._mkdir_workdir(state, rootfs)
        else:
            self._copy(state, instr, rootfs, work)
        return layer_from_upper(upper, work, epoch=self.opts.epoch, skip=skip)

    def _linked_layer(self, state: StageState, instr: ins.Copy, key: str) -> LayerBlob:
        """``COPY --link``: the files copied into an empty tree, as a layer of their own that is
        keyed without the steps before it (as BuildKit), so that a change in those steps reuses
        it as it is. Nothing of the previous state is read but the names of ``--chown``: the
        destination's parents are new directories (root, 0755) that the layer puts over the
        ones below, and a symlink below is not followed."""
        from runtime.build.copy import resolve_chown

        chown = None
        if instr.chown:
            with self._rootfs(state.image) as (below, _upper, _work):
                chown = resolve_chown(below, instr.chown)
        key = _hash(key, json.dumps(chown))
        image = self.cache.get(key)
        if image is None or self.store.records.get(image) is None:
            with self._rootfs(None) as (rootfs, upper, work):
                self._copy(state, instr, rootfs, work, chown=chown)
                layer = layer_from_upper(upper, work, epoch=self.opts.epoch, skip=_skip)
                image = commit_image(self.store, None, [layer], {}, [], [], epoch=self.opts.epoch).id
            self.cache.put(key, image)
        record = self.store.records.get(image)
        desc = self.store.manifest(record.manifest).layers[-1]
        return LayerBlob(self.store.content.path(desc.digest), desc.digest, record.layers[-1], desc.size,
                         desc.media_type, empty=False)

    def _key_parts(self, state: StageState, instr: ins.Run | ins.Copy | ins.Workdir) -> list[str]:
        parts = [json.dumps(sorted(state.args.items())), json.dumps(state.config, sort_keys=True)]
        if isinstance(instr, ins.Workdir):
            return parts
        if isinstance(instr, ins.Copy):
            from runtime.build.context import checksum

            root, matcher, sources = self._copy_root(instr)
            if root is not None:
                repos = self._git_sources(instr, sources)
                parts.append(checksum(root, [s for s in sources if s not in repos], matcher, exclude=instr.exclude,
                                      parents=instr.parents, owners=False, memo=self.memo))
                if repos:
                    from runtime.build.git import resolve_commit

                    parts += [resolve_commit(r, self.state.run / "build-contexts") for r in repos]
                    parts.append(f"keep-git-dir={instr.keep_git_dir}")
            elif instr.from_ is not None:
                parts.append(self._from_checksum(instr.from_, sources, instr.exclude, instr.parents))
            parts += [h.content for h in instr.heredocs]
        else:
            parts += [h.content for h in instr.heredocs]
            parts += [f"{m.type}:{m.id}:{m.target}:{m.source}:{m.from_}:{m.readonly}" for m in instr.mounts]
            for m in instr.mounts:  # what a bind mount shows is part of the step
                if m.type != "bind":
                    continue
                directory = self._bind_dir(m.from_)
                if directory is None and (m.source or "/").strip("/.") == "":
                    parts.append(self._from_image(m.from_ or "") or "scratch")  # all of it: the image
                elif directory is None:  # a part of a stage or an image: by content, as a COPY --from
                    parts.append(self._from_checksum(m.from_ or "", (m.source or "/",), (), False))
                else:
                    from runtime.build.context import checksum

                    parts.append(checksum(directory, [m.source or "."], self._matcher(directory), memo=self.memo))
        return parts

    @staticmethod
    def _git_sources(instr: ins.Copy, sources: Sequence[str]) -> list[str]:
        """The sources of an ``ADD`` that are git repositories."""
        if not instr.is_add:
            return []
        from runtime.build.git import is_git_url

        return [s for s in sources if is_git_url(s)]

    def _from_checksum(self, name: str, sources: Sequence[str], exclude: Sequence[str], parents: bool) -> str:
        """What a ``COPY --from`` (or a ``RUN --mount=type=bind,from=``) of a stage or an image
        selects there, by content (as BuildKit keys it), so that a change in the other stage
        which leaves these files alone keeps the step cached. An image's files never change, so
        the checksum is kept by image ID."""
        from runtime.build.context import checksum

        image = self._from_image(name)
        memo_key = _hash("from", image or "scratch", json.dumps([list(sources), list(exclude), parents]))
        known = self.cache.checksum(memo_key)
        if known is not None:
            return known
        with self._rootfs(image) as (other, _upper, _work):
            value = checksum(other, sources, None, exclude=exclude, parents=parents, owners=True, memo=self.memo)
        self.cache.put_checksum(memo_key, value)
        return value

    @contextlib.contextmanager
    def _rootfs(self, image: str | None) -> Iterator[tuple[Path, Path, Path]]:
        from runtime.container.store import new_id

        cid = new_id()
        work = Path(tempfile.mkdtemp(prefix="build-", dir=self.state.root))
        if image is None:  # scratch: an image without layers, kept by the cache like the others
            image = self.cache.get("scratch")
            if image is None or self.store.records.get(image) is None:
                image = commit_image(self.store, None, [], {}, [], [], epoch=0).id
                self.cache.put("scratch", image)
        try:
            rootfs = self.store.prepare_rootfs(image, cid)
            upper = self.store.rootfs.container_dir(cid) / "upper"
            yield rootfs, upper, work
        finally:
            self.store.release_rootfs(cid)
            shutil.rmtree(work, ignore_errors=True)

    def _mkdir_workdir(self, state: StageState, rootfs: Path) -> None:
        """``WORKDIR``'s directory and its missing parents, 0755, owned by the stage's ``USER``."""
        from runtime.build.copy import resolve_chown
        from runtime.container.securejoin import secure_join

        uid, gid = resolve_chown(rootfs, state.config.get("User") or "0")  # a bare uid is its own group too
        path = ""
        for part in [p for p in state.config["WorkingDir"].split("/") if p]:
            path = f"{path}/{part}"
            target = secure_join(rootfs, path)
            if not os.path.lexists(target):
                os.mkdir(target, 0o755)
                os.chmod(target, 0o755)
                os.chown(target, uid, gid)

    # -- RUN -------------------------------------------------------------------------------------
    def _run(self, state: StageState, instr: ins.Run, rootfs: Path, step: str) -> set[str]:
        """Run the step; the paths that exist only as mount points of its mounts (left out of
        the layer, as BuildKit leaves them out)."""
        with contextlib.ExitStack() as stack:  # what the step's mounts need while it runs
            return self._run_with(state, instr, rootfs, step, stack)

    def _run_with(self, state: StageState, instr: ins.Run, rootfs: Path, step: str,
                  stack: contextlib.ExitStack) -> set[str]:
        from runtime.api.containers import ContainerSpec, Namespace, Process
        from runtime.container.process import resolve_user
        from runtime.container.store import new_id

        cfg = state.config
        shell = tuple(cfg.get("Shell") or DEFAULT_SHELL)
        if instr.shell_form:
            script = instr.command[0]
            first = instr.heredocs[0] if instr.heredocs else None
            if first is not None and script.strip() in (f"<<{first.name}", f"<<-{first.name}", f"<<'{first.name}'",
                                                        f'<<"{first.name}"'):
                args = (*shell, first.content)  # the heredoc is the script
            elif instr.heredocs:
                body = "".join(f"\n{h.content}{h.name}" for h in instr.heredocs)
                args = (*shell, script + body)
            else:
                args = (*shell, script)
        else:
            args = instr.command
        env = {k: v for k, v in self.opts.build_args.items() if k in PROXY_ARGS and v is not None}
        env.update(state.args)
        env.update(state.env())
        env.setdefault("PATH", DEFAULT_PATH)
        user, home = resolve_user(rootfs, cfg.get("User") or "")  # none: uid 0, passwd or not
        env.setdefault("HOME", home)
        mounts = [*self._run_mounts(instr, state, stack)]
        network = instr.network or self.opts.network or "default"
        if network not in ("default", "host", "none"):
            raise BuildError(f"{step}: --network={network}: only default, host and none are supported")
        namespaces = (Namespace("mount"), Namespace("pid"), Namespace("uts"), Namespace("ipc"),
                      Namespace("network", "private" if network == "none" else "host"), Namespace("cgroup"))
        spec = ContainerSpec(process=Process(args=tuple(args), env=tuple(f"{k}={v}" for k, v in env.items()),
                                             cwd=cfg.get("WorkingDir") or "/", user=user),
                             hostname="buildkitsandbox", mounts=tuple(mounts), namespaces=namespaces)
        made: set[str] = set()
        for mount in mounts:
            parts = [p for p in mount.destination.split("/") if p]
            for k in range(1, len(parts) + 1):
                rel = "/".join(parts[:k])
                if rel in made or not os.path.lexists(rootfs / rel):
                    made.add(rel)
        cid = new_id()
        os.makedirs(rootfs / (cfg.get("WorkingDir") or "/").lstrip("/"), exist_ok=True)
        lines: list[str] = []

        def shown(line: str) -> None:  # the step's output as it comes, as BuildKit shows it
            lines.append(line)
            self.progress(step, "log", line, None)

        self.containers.create(spec, rootfs=rootfs, cid=cid, name=f"buildkit-{cid[:12]}")
        self.running.add(cid)
        try:
            if self.cancelled.is_set():
                raise _Cancelled()
            self.containers.start(cid)
            self.containers.follow_logs(cid, lambda entry: shown(entry.text.rstrip("\n")))
            code = self.containers.wait(cid)
        finally:
            self.running.discard(cid)
            with contextlib.suppress(Exception):
                self.containers.remove(cid, force=True)
        if code != 0 and self.cancelled.is_set():
            raise _Cancelled()  # killed because another stage failed: that stage's error is the build's
        if code != 0:
            raise BuildStepFailed(" ".join(args), code, "\n".join(lines[-10:]))
        return made

    def _run_mounts(self, instr: ins.Run, state: StageState, stack: contextlib.ExitStack) -> Iterator[Any]:
        from runtime.api.containers import Mount

        caches = {}  # in the order of their IDs, so that two steps never wait on each other in a circle
        for m in sorted((m for m in instr.mounts if m.type == "cache"), key=lambda m: m.id or m.target or "/"):
            caches[id(m)] = self._cache_mount(m, stack)
        for m in instr.mounts:
            if m.type == "cache":
                yield Mount(m.target or "/", "bind", str(caches[id(m)]), ("rbind", "ro" if m.readonly else "rw"))
            elif m.type == "tmpfs":
                opts = ["nosuid", "nodev"] + ([f"size={m.size}"] if m.size else [])
                yield Mount(m.target or "/tmp", "tmpfs", "tmpfs", tuple(opts))
            elif m.type == "secret":
                sid = m.id or os.path.basename(m.target or "")
                src_path = self.opts.secrets.get(sid)
                if src_path is None:
                    if m.required:
                        raise BuildError(f"secret {sid} not found: pass it with --secret id={sid},src=FILE")
                    continue
                yield Mount(m.target or f"/run/secrets/{sid}", "bind", str(src_path), ("rbind", "ro"))
            elif m.type == "bind":
                from runtime.container.securejoin import secure_join

                directory = self._bind_dir(m.from_)
                if directory is None:  # another stage or an image, its root filesystem mounted for this step only
                    other, _upper, _work = stack.enter_context(self._rootfs(self._from_image(m.from_ or "")))
                    src = secure_join(other, m.source or ".")  # written (rw): its upper dir, thrown away
                else:  # the build context or a named directory context
                    src = secure_join(directory, m.source or ".")
                    if not os.path.lexists(src):
                        raise BuildError(f"RUN --mount=type=bind: {m.source or '.'} not found in "
                                         + (f"build context {m.from_}" if m.from_ else "the build context"))
                    matcher = self._matcher(directory)
                    if not m.readonly or matcher.patterns:
                        # a copy: what a rw bind writes is dropped (the context is never changed, as
                        # BuildKit), and the step sees the directory as sent, without what .dockerignore drops
                        from runtime.build.copy import Sources, copy_into

                        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="build-bind-",
                                                                                       dir=self.state.root)))
                        copy_into(scratch, Sources(directory, (m.source or ".",)),
                                  "/src/" if src.is_dir() else "/src", matcher=matcher)
                        src = scratch / "src"
                if not src.exists():
                    raise BuildError(f"RUN --mount=type=bind: {m.source or '.'} not found"
                                     + (f" in {m.from_}" if m.from_ else " in the build context"))
                yield Mount(m.target or "/", "bind", str(src), ("rbind", "ro" if m.readonly else "rw"))
            elif m.type == "ssh":
                sock = os.environ.get("SSH_AUTH_SOCK")
                if not sock:
                    raise BuildError("RUN --mount=type=ssh needs an SSH agent (SSH_AUTH_SOCK) and --ssh default")
                yield Mount(m.target or "/run/buildkit/ssh_agent.0", "bind", sock, ("rbind",))

    def _cache_mount(self, m: Any, stack: contextlib.ExitStack) -> Path:
        """The directory of a cache mount for one step, as its ``sharing`` says: ``shared`` (any
        number of steps at once), ``locked`` (one step at a time, the others wait), ``private``
        (the cache's directory if no other step uses it now, else a new one for this step only)."""
        from runtime.state import FileLock

        src = self.cache.mount_dir(m.id or m.target or "/")
        lock = FileLock(src.with_name(src.name + ".lock"), shared=m.sharing == "shared")
        if m.sharing == "private" and not lock.acquire(blocking=False):
            return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="build-cache-", dir=self.state.root)))
        if m.sharing != "private":
            lock.acquire()
        stack.callback(lock.release)
        return src

    # -- COPY / ADD ------------------------------------------------------------------------------
    def _named(self, name: str) -> tuple[str, str] | None:
        return self.opts.contexts.get(name.lower())

    def _named_dir(self, name: str | None) -> Path | None:
        named = self._named(name) if name else None
        return Path(named[1]) if named is not None and named[0] == "dir" else None

    def _bind_dir(self, name: str | None) -> Path | None:
        """The directory a ``RUN --mount=type=bind`` with ``from=name`` shows, if it is one (no
        ``from``: the build context); None for a stage or an image."""
        return self.opts.context if not name else self._named_dir(name)

    def _matcher(self, directory: Path) -> Any:
        """The ``.dockerignore`` of the build context or of a named directory context."""
        from runtime.build.dockerignore import IgnoreMatcher

        if directory == self.opts.context:
            return self.matcher
        key = os.fspath(directory)
        if key not in self.matchers:
            self.matchers[key] = IgnoreMatcher.load(directory)
        return self.matchers[key]

    def _from_image(self, name: str) -> str | None:
        named = self._named(name)
        if named is not None:
            return self._base_image(named[1]).id if named[0] == "image" else self._dir_image(Path(named[1]))
        for stage in self.df.stages:
            if (stage.name and stage.name == name.lower()) or str(stage.index) == name:
                return self._stage(stage.index).image
        return self._base_image(name).id

    def _dir_image(self, directory: Path) -> str:
        """An image of one layer holding a named directory context (``FROM name``)."""
        from runtime.build.context import checksum
        from runtime.build.copy import Sources, copy_into

        matcher = self._matcher(directory)
        key = _hash("context-dir", checksum(directory, ["."], matcher, memo=self.memo))
        cached = self.cache.get(key)
        if cached is not None and self.store.records.get(cached) is not None:
            return cached
        with self._rootfs(None) as (rootfs, upper, work):
            copy_into(rootfs, Sources(directory, (".",)), "/", matcher=matcher)
            layer = layer_from_upper(upper, work, epoch=self.opts.epoch, skip=_skip)
            image = commit_image(self.store, None, [layer], {}, [], [], epoch=self.opts.epoch)
        self.cache.put(key, image.id)
        return image.id

    def _copy_root(self, instr: ins.Copy) -> tuple[Path | None, Any, tuple[str, ...]]:
        """Where a COPY's sources are read when they are a local directory (the build context or
        a named directory context), with its ``.dockerignore``; None for a stage or an image."""
        sources = tuple(s for s in instr.sources if not s.startswith("<<"))
        directory = self.opts.context if instr.from_ is None else self._named_dir(instr.from_)
        if directory is None:
            return None, None, sources
        return directory, self._matcher(directory), sources

    def _copy(self, state: StageState, instr: ins.Copy, rootfs: Path, work: Path, *,
              chown: tuple[int, int] | None = None) -> None:
        from runtime.build.copy import Sources, copy_into, parse_chmod, resolve_chown

        if chown is None and instr.chown:
            chown = resolve_chown(rootfs, instr.chown)
        chmod = parse_chmod(instr.chmod) if instr.chmod else None
        workdir = state.config.get("WorkingDir") or "/"
        heredocs = {f"<<{'-' if h.chomp else ''}{q}{h.name}{q}": h for h in instr.heredocs for q in ("", '"', "'")}
        sources = [s for s in instr.sources if s not in heredocs]
        if heredocs and any(s in heredocs for s in instr.sources):
            docs = work / "heredocs"
            docs.mkdir()
            names = []
            for s in instr.sources:
                if s in heredocs:
                    (docs / heredocs[s].name).write_text(heredocs[s].content)
                    names.append(heredocs[s].name)
            copy_into(rootfs, Sources(docs, tuple(names)), instr.dest, workdir=workdir, chown=chown,
                      chmod=chmod if chmod is not None else 0o644)
        repos = self._git_sources(instr, sources)
        for url in repos:  # ADD of a git repository: its files at the commit, into the destination
            from runtime.build.git import checkout

            with checkout(url, self.state.run / "build-contexts", keep_git_dir=instr.keep_git_dir) as tree:
                copy_into(rootfs, Sources(tree, (".",), context=False), instr.dest, workdir=workdir, chown=chown,
                          chmod=chmod)
        sources = [s for s in sources if s not in repos]
        if not sources:
            return
        directory, matcher, _ = self._copy_root(instr)
        if directory is not None:  # files of a local context: the build's own or a named one
            copy_into(rootfs, Sources(directory, tuple(sources)), instr.dest, workdir=workdir, chown=chown,
                      chmod=chmod, parents=instr.parents, exclude=instr.exclude, unpack_archives=instr.is_add
                      and instr.unpack is not False, matcher=matcher, checksum=instr.checksum)
            return
        image = self._from_image(instr.from_)
        with self._rootfs(image) as (other, _upper, _work):
            copy_into(rootfs, Sources(other, tuple(sources), context=False), instr.dest, workdir=workdir,
                      chown=chown, chmod=chmod, parents=instr.parents, exclude=instr.exclude)

    # -- the result ------------------------------------------------------------------------------
    def _finish(self, state: StageState) -> str:
        if self.opts.labels:
            state.config["Labels"] = {**(state.config.get("Labels") or {}), **self.opts.labels}
        author = getattr(self, "author", "")
        key = _hash(state.key, "final", json.dumps(state.config, sort_keys=True), author,
                    *(h.created_by for h in state.pending), *(("inline",) if self.opts.inline_cache else ()))
        cached = None if self.opts.no_cache else self.cache.get(key)
        if cached is not None and self.store.records.get(cached) is not None:
            from runtime.images.reference import parse_tag

            self.store.register(self.store.records.get(cached).manifest, [parse_tag(t) for t in self.opts.tags])
            self.hits.append(key)
            return cached
        self.made = True
        extra = None
        if self.opts.inline_cache:
            from runtime.build import remote_cache

            extra = {remote_cache.CONFIG_KEY: remote_cache.entries(self.store, state.chain)}
        image = commit_image(self.store, state.image, [], state.config, state.pending, list(self.opts.tags),
                             epoch=self.opts.epoch, author=author, extra=extra)
        self.cache.put(key, image.id)
        return image.id

    def _export_cache(self, state: StageState, image_id: str) -> None:
        """``cache_to`` registries: an image carrying the cache pushed to each reference, whose
        name is dropped here again afterwards (as BuildKit, the export is not a local image).
        ``mode=min``: the built image when it carries its cache already, else the same image with
        the cache added; ``mode=max``: see :func:`remote_cache.max_carrier`."""
        from runtime.api.push import push
        from runtime.build import remote_cache

        carriers: dict[str, str] = {}
        if any(ref not in self.opts.cache_to_max for ref in self.opts.cache_to):
            carrier = image_id
            if not self.opts.inline_cache:
                record = self.store.records.get(image_id)
                raw = json.loads(self.store.content.read(self.store.manifest(record.manifest).config.digest))
                raw[remote_cache.CONFIG_KEY] = remote_cache.entries(self.store, state.chain)
                carrier = commit_raw_config(self.store, image_id, raw).id
            carriers["min"] = carrier
        if self.opts.cache_to_max:
            chains = [state.chain, *(s.chain for _i, s in sorted(self.stages.items()) if s is not state)]
            carriers["max"] = remote_cache.max_carrier(self.store, image_id, chains)
        of = {ref: carriers["max" if ref in self.opts.cache_to_max else "min"] for ref in self.opts.cache_to}
        keep = not self.store.tags_of(image_id)  # an untagged built image carrying its cache: its only names
        try:
            for ref, carrier in of.items():
                self.store.tag(carrier, ref)
                self.progress(f"exporting cache to {ref}", "start", "", None)
                push(ref, state=self.state)
                self.progress(f"exporting cache to {ref}", "done", "", None)
        finally:  # all at once: a carrier made here goes with its last name
            self.store.remove([ref for ref, carrier in of.items() if not (keep and carrier == image_id)])


def ins_expand(value: str, env: Mapping[str, str], df: ins.Dockerfile, where: ins.Instruction) -> str:
    from runtime.build.dockerfile import expand

    return expand(value, env, escape=df.escape, file=where.location.file, line=where.location.line)


def _unquote(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"" else key


def _hash(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


def _describe(instr: ins.Instruction) -> str:
    """The step as BuildKit shows it: the keyword and the expanded words."""
    first_line = instr.original.split("\n", 1)[0]
    keyword = first_line.split(None, 1)[0].upper()
    if isinstance(instr, ins.Copy):
        flags = [f"--from={instr.from_}"] if instr.from_ else []
        flags += [f"--chown={instr.chown}"] if instr.chown else []
        flags += [f"--chmod={instr.chmod}"] if instr.chmod else []
        flags += ["--link"] if instr.link else []
        return " ".join([keyword, *flags, *instr.sources, instr.dest])
    if isinstance(instr, ins.Env | ins.Label):
        return f"{keyword} " + " ".join(f"{k}={v}" for k, v in instr.pairs)
    rest = first_line.split(None, 1)[1] if len(first_line.split(None, 1)) > 1 else ""
    return f"{keyword} {rest}".strip()


def _created_by(instr: ins.Instruction, state: StageState) -> str:
    """The history's ``created_by``, word for word as BuildKit writes it."""
    cfg = state.config
    if isinstance(instr, ins.Run):
        args = [*(cfg.get("Shell") or DEFAULT_SHELL), instr.command[0]] if instr.shell_form else list(instr.command)
        env = state.env()
        shown = [f"{k}={v or ''}" for k, v in state.declared.items() if k not in env]  # ARGs ENV does not hide
        return "RUN " + " ".join([*([f"|{len(shown)}", *shown] if shown else []), *args]) + " # buildkit"
    if isinstance(instr, ins.Copy):
        flags = ["--parents"] if instr.parents else []
        flags += [f"--chown={instr.chown}"] if instr.chown else []
        flags += [f"--chmod={instr.chmod}"] if instr.chmod else []
        keyword = "ADD" if instr.is_add else "COPY"
        return " ".join([keyword, *flags, *instr.sources, instr.dest]) + " # buildkit"
    if isinstance(instr, ins.Workdir):
        return f"WORKDIR {cfg['WorkingDir']}"
    if isinstance(instr, ins.Cmd):
        return f"CMD {_go_list(cfg.get('Cmd') or [])}"
    if isinstance(instr, ins.Expose):
        ports = sorted({p if "/" in p else f"{p}/tcp" for p in instr.ports})
        return "EXPOSE map[" + " ".join(f"{p}:{{}}" for p in ports) + "]"
    if isinstance(instr, ins.Volume):
        return "VOLUME [" + " ".join(instr.paths) + "]"
    if isinstance(instr, ins.Shell):
        return "SHELL [" + " ".join(instr.command) + "]"
    if isinstance(instr, ins.Healthcheck):
        hc = cfg.get("Healthcheck") or {}
        times = " ".join(_go_quote(format_go_duration(hc.get(k) or 0))
                         for k in ("Interval", "Timeout", "StartPeriod", "StartInterval"))
        return f"HEALTHCHECK &{{{_go_list(hc.get('Test') or [])} {times} {_go_rune(hc.get('Retries') or 0)}}}"
    if isinstance(instr, ins.Entrypoint):
        return f"ENTRYPOINT {_go_list(cfg.get('Entrypoint') or [])}"
    return _describe(instr)


def _history(created_by: str, *, empty_layer: bool) -> HistoryEntry:
    return HistoryEntry(created_by, empty_layer=empty_layer, comment="buildkit.dockerfile.v0")


def _go_rune(value: int) -> str:
    """Go's ``%q`` of an integer: a quoted character (``'\\x04'``)."""
    ch = chr(value)
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
             "'": "\\'", "\\": "\\\\"}
    if ch in named:
        return f"'{named[ch]}'"
    if ch.isprintable():
        return f"'{ch}'"
    return f"'\\x{value:02x}'" if value < 0x80 else f"'\\u{value:04x}'"


def _go_list(words: list[str]) -> str:
    """Go's ``fmt.Sprintf("%q", []string{...})``: ``["a" "b c"]``."""
    return "[" + " ".join(_go_quote(w) for w in words) + "]"


def _go_quote(text: str) -> str:
    """Go's ``strconv.Quote``."""
    named = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
             "\t": "\\t", "\v": "\\v"}
    out = []
    for ch in text:
        if ch in named:
            out.append(named[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'



__all__ = ["Executor", "Options"]
