"""One command's view of the world: the loaded project, its graph, and the runtime facades.

The CLI builds a :class:`Session` with :func:`open_session`; the reconciler only reads it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compose.errors import ConfigError
from compose.graph import ServiceGraph
from compose.model import Project
from runtime.api.containers import Containers
from runtime.api.images import ImageStore
from runtime.api.networks import Networks
from runtime.api.volumes import Volumes
from runtime.state import StateRoot

CONFIGS_DIR = "compose-configs"  # hashed settings of each config hash, to say what changed
FILES_DIR = "compose-files"  # per container: its secrets and configs with content


@dataclass(frozen=True)
class Runtime:
    state: StateRoot
    containers: Containers
    networks: Networks
    volumes: Volumes
    images: ImageStore
    # Network teardowns run one at a time: concurrent ones race on the embedded resolver's
    # "still needed?" decision (one sees the last endpoint go while another still counts it).
    teardown_lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    def teardown(self, container_id: str) -> None:
        with self.teardown_lock:
            self.networks.teardown(container_id)

    def files_dir(self, container_id: str) -> Path:
        """Where the container's secret and config files are written (before it is created)."""
        return self.state.root / FILES_DIR / container_id

    def forget(self, container_id: str) -> None:
        """After the container is removed: its network endpoint and its files."""
        self.forget_many([container_id])

    def forget_many(self, container_ids: Sequence[str]) -> None:
        """``forget`` of several removed containers, their endpoints torn down together."""
        import shutil

        with self.teardown_lock:
            self.networks.teardown_many(container_ids)
        for cid in container_ids:
            shutil.rmtree(self.files_dir(cid), ignore_errors=True)

    @classmethod
    def open(cls, state: StateRoot | None = None) -> Runtime:
        state = (state or StateRoot.from_env()).ensure()
        return cls(state, Containers(state), Networks(state), Volumes(state), ImageStore(state))

    # -- remembered service settings ---------------------------------------------------------------
    def remember_config(self, config_hash: str, settings: Mapping[str, Any]) -> None:
        from runtime.state import atomic_write

        path = self.state.root / CONFIGS_DIR / f"{config_hash}.json"
        if not path.exists():
            atomic_write(path, json.dumps(settings, default=str, sort_keys=True), sync=False)

    def recalled_config(self, config_hash: str) -> Mapping[str, Any] | None:
        path = self.state.root / CONFIGS_DIR / f"{config_hash}.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None


@dataclass(frozen=True)
class Session:
    project: Project
    graph: ServiceGraph
    working_dir: str
    config_files: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)
    env_files: tuple[str, ...] = ()
    runtime: Runtime | None = None

    @property
    def rt(self) -> Runtime:
        assert self.runtime is not None
        return self.runtime


def load_session(opts: Any, *, services: tuple[str, ...] = (), runtime: Runtime | None = None) -> Session:
    """Load the project the global options name (``-f``, ``-p``, ``--profile``, ...)."""
    from compose.loader import observe
    from compose.loader.load import LoadOptions, load_project
    from compose.model import project_from_dict
    from compose.remote import expand

    stdin = sys.stdin.read() if "-" in opts.files else None

    options = LoadOptions(files=expand(tuple(opts.files)), project_name=opts.project_name,
                          project_directory=opts.project_directory, env_files=tuple(opts.env_files),
                          profiles=tuple(opts.profiles), environ=dict(os.environ), cwd=os.getcwd(), stdin=stdin)
    loaded = load_project(options, services=services)
    for warning in loaded.warnings:
        print(f"WARN[0000] {warning}", file=sys.stderr)
    recorder = observe.active()
    if recorder is not None:
        recorder.warnings.extend(loaded.warnings)  # printed again when a cached no-op ``up`` is reused
    try:
        project = project_from_dict(loaded.data)
    except ConfigError as exc:
        raise exc.located(loaded.locate) from None
    graph = ServiceGraph.from_project(project, locate=loaded.locate)
    env_files = tuple(os.path.abspath(f) for f in opts.env_files)
    if not env_files:
        default = Path(loaded.working_dir) / ".env"
        env_files = (str(default),) if default.is_file() else ()
    return Session(project, graph, loaded.working_dir, tuple(loaded.config_files), dict(loaded.environment),
                   env_files, runtime)


def project_name_only(opts: Any) -> str:
    """The project name for commands that can work without a compose file (``down -p NAME``)."""
    if opts.project_name:
        return str(opts.project_name)
    raise ConfigError("no project name: give -p NAME or a compose file")


__all__ = ["Runtime", "Session", "load_session", "project_name_only"]
