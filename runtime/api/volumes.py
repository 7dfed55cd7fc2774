"""Volumes as ``compose`` sees them: create, find, list, remove, prune, and use in a container.

    vols = Volumes()
    vols.ensure("proj_data", labels={...})        # compose up: create if missing
    source = vols.mount_source("proj_data")       # the host path a container binds
    vols.populate("proj_data", rootfs / "var/db")  # first mount: the image's content, as Docker
    vols.remove("proj_data")                      # Conflict while a container uses it

A volume is "in use" while a container record (running or not) binds its path, as in Docker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from runtime.errors import Conflict, NotFound
from runtime.state import StateRoot
from runtime.volumes.store import ANONYMOUS_LABEL, VolumeRecord, VolumeStore, inspect_json

__all__ = ["ANONYMOUS_LABEL", "VolumeRecord", "Volumes"]


class Volumes:
    def __init__(self, state: StateRoot | None = None) -> None:
        self.state = (state or StateRoot.from_env()).ensure()
        self.store = VolumeStore(self.state)

    def create(self, name: str, *, driver: str = "local", labels: dict[str, str] | None = None,
               options: dict[str, str] | None = None) -> VolumeRecord:
        """``volume create``: a new volume, or the existing one of that name (as Docker)."""
        return self.store.create(name, driver=driver, labels=labels, options=options)[0]

    def ensure(self, name: str, *, driver: str = "local", labels: dict[str, str] | None = None,
               options: dict[str, str] | None = None) -> tuple[VolumeRecord, bool]:
        """(record, created now)."""
        return self.store.create(name, driver=driver, labels=labels, options=options)

    def new_anonymous(self, labels: dict[str, str] | None = None) -> VolumeRecord:
        name = os.urandom(32).hex()
        return self.create(name, labels={ANONYMOUS_LABEL: "", **(labels or {})})

    def get(self, name: str) -> VolumeRecord:
        return self.store.get(name)

    def find(self, name: str) -> VolumeRecord | None:
        return self.store.find(name)

    def list(self) -> list[VolumeRecord]:
        return [r for n in self.store.names() if (r := self.store.find(n)) is not None]

    def inspect(self, name: str) -> dict[str, Any]:
        return inspect_json(self.store, self.get(name))

    def mount_source(self, name: str) -> Path:
        return self.store.mount_source(name)

    def populate(self, name: str, source: Path) -> bool:
        return self.store.populate(name, source)

    def name_of(self, path: str) -> str | None:
        """The volume whose content is at host ``path`` (a container's mount source), if any."""
        p = Path(path)
        if p.name == "_data" and p.parent.parent == self.store.base:
            return p.parent.name
        if p.parent == self.store.run_base:
            return p.name
        for record in self.list():
            if record.options.get("device") and os.path.realpath(record.options["device"]) == os.path.realpath(p):
                return record.name
        return None

    def users(self, name: str) -> list[str]:
        """Names of the containers whose mounts use the volume."""
        from runtime.container.store import ContainerStore

        source = os.fspath(self.mount_source(name))
        return [r.name for r in ContainerStore(self.state).records()
                if any(m.source == source for m in r.spec.mounts)]

    def remove(self, name: str, *, force: bool = False) -> None:
        self.get(name)
        users = self.users(name)
        if users and not force:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
        self.store.remove(name)

    def unmount(self, name: str) -> None:
        self.store.unmount(name)

    def prune(self, *, all_volumes: bool = False, labels: tuple[str, ...] = ()) -> tuple[list[str], int]:
        """Remove unused volumes (anonymous ones only unless ``all_volumes``); (names, bytes freed)."""
        removed, freed = [], 0
        for record in self.list():
            if not all_volumes and not record.anonymous:
                continue
            if not _matches(record, labels) or self.users(record.name):
                continue
            try:
                size = self.store.size(record.name)
                self.store.remove(record.name)
            except NotFound:
                continue
            removed.append(record.name)
            freed += size
        return removed, freed


def _matches(record: VolumeRecord, labels: tuple[str, ...]) -> bool:
    for want in labels:
        key, sep, value = want.partition("=")
        if key not in record.labels or (sep and record.labels[key] != value):
            return False
    return True
