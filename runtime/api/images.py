"""The image store as ``compose`` sees it: typed images, names, root filesystems.

Everything here takes and returns plain values (references as strings, typed
:class:`Image` views); the store's internals stay in :mod:`runtime.images`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from runtime.errors import PyComposeError
from runtime.images.config import ContainerConfig, Healthcheck, ImageConfig
from runtime.images.errors import (
    DigestMismatch,
    ImageError,
    ImageInUse,
    ImageNotFound,
    InvalidReference,
    UnsafeArchive,
)
from runtime.images.inspect import HistoryRow, history_rows, inspect_json
from runtime.images.manifest import Platform
from runtime.images.records import ImageRecord
from runtime.images.reference import Reference, match_familiar, parse
from runtime.images.store import ImageStore as _Store
from runtime.images.store import Removal
from runtime.state import StateRoot

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Image:
    """One image: its ID (``sha256:`` + config digest), names and typed config."""

    id: str
    tags: tuple[str, ...]  # familiar names: "busybox:latest"
    repo_digests: tuple[str, ...]
    platform: Platform
    created: str
    size: int
    layers: tuple[str, ...]  # diff IDs, bottom first
    config: ContainerConfig
    manifest: str
    labels: dict[str, str]

    @property
    def short_id(self) -> str:
        return self.id[7:19]


@dataclass(frozen=True)
class LoadResult:
    id: str
    names: tuple[str, ...]  # familiar names given by the archive


class ImageStore:
    """The typed facade. Each method opens what it needs; instances hold no open files."""

    def __init__(self, state: StateRoot | None = None) -> None:
        self._store = _Store(state or StateRoot.from_env())

    @property
    def state(self) -> StateRoot:
        return self._store.state

    def _image(self, record: ImageRecord) -> Image:
        config = self._store.config(record)
        return Image(
            id=record.id,
            tags=tuple(r.familiar() for r in self._store.tags_of(record.id)),
            repo_digests=tuple(r.familiar() for r in self._store.repo_digests(record.id)),
            platform=record.platform,
            created=record.created,
            size=record.size,
            layers=record.layers,
            config=config.config,
            manifest=record.manifest,
            labels=dict(config.config.labels),
        )

    # -- queries ----------------------------------------------------------------------

    def resolve(self, ref: str, platform: str | Platform | None = None) -> Image:
        return self._image(self._store.resolve(ref, platform))

    def exists(self, ref: str, platform: str | Platform | None = None) -> bool:
        try:
            self._store.resolve(ref, platform)
        except ImageNotFound:
            return False
        return True

    def manifest_digest(self, ref: str, repository: str) -> str | None:
        """The digest ``ref``'s image has in ``repository`` when the store knows it (pulled from
        or pushed there), else its stored manifest's; None for an image the store does not have."""
        try:
            record = self._store.resolve(ref)
        except PyComposeError:
            return None
        same = [r for r in self._store.repo_digests(record.id) if r.repository == repository]
        return same[0].digest if same else record.manifest

    def list(self) -> list[Image]:
        return [self._image(r) for r in self._store.list()]

    def image_config(self, ref: str) -> ImageConfig:
        return self._store.config(self._store.resolve(ref))

    def inspect(self, ref: str, platform: str | Platform | None = None) -> dict[str, Any]:
        """Docker's ``image inspect`` JSON object."""
        record = self._store.resolve(ref, platform)
        dirs = [str(self._store.layers.diff(d)) for d in record.layers]
        return inspect_json(record, self._store.config(record), self._store.tags_of(record.id),
                            self._store.repo_digests(record.id), dirs)

    def history(self, ref: str) -> list[HistoryRow]:
        record = self._store.resolve(ref)
        sizes = [self._store.layers.info(d).size for d in record.layers]
        return history_rows(record, self._store.config(record), sizes)

    def users(self, ref: str) -> list[str]:
        """IDs of the containers whose root filesystem uses the image."""
        return self._store.users(self._store.resolve(ref).id)

    # -- changes ----------------------------------------------------------------------

    def load(self, source: Path | BinaryIO, *, platform: str | Platform | None = None,
             progress: Progress | None = None) -> list[LoadResult]:
        from runtime.images.archive import load

        wanted = Platform.parse(platform) if isinstance(platform, str) else platform
        return [LoadResult(i.record.id, tuple(n.familiar() for n in i.names))
                for i in load(self._store, source, platform=wanted, progress=progress)]

    def save(self, refs: list[str], dest: Path | BinaryIO) -> None:
        """Write ``refs`` as one archive (OCI layout + Docker's manifest.json) to a file or stream."""
        from runtime.images.save import save

        if not isinstance(dest, Path):
            save(self._store, refs, dest)
            return
        from runtime.state import atomic_file

        self._store.open()
        with atomic_file(dest) as f:
            save(self._store, refs, f)

    def import_rootfs(self, source: Path | BinaryIO, name: str | None = None, *, changes: list[str] | None = None,
                      message: str = "", platform: str | Platform | None = None) -> Image:
        """``docker import``: a rootfs tarball (plain, gzip or zstd) as a one-layer image."""
        from runtime.images.importer import import_rootfs

        wanted = Platform.parse(platform) if isinstance(platform, str) else platform
        record = import_rootfs(self._store, source, name, changes=changes, message=message, platform=wanted)
        return self._image(record)

    def tag(self, source: str, target: str) -> str:
        return self._store.tag(source, target).familiar()

    def remove(self, refs: list[str], *, force: bool = False) -> tuple[list[Removal], list[PyComposeError]]:
        """Untag/delete each ref; returns what was done and the per-ref errors."""
        return self._store.remove(refs, force=force)

    def prune(self, *, all_images: bool = False, filters: dict[str, list[str]] | None = None
              ) -> tuple[list[Removal], int]:
        from runtime.images.filters import ImageFilter

        flt = ImageFilter.parse(filters or {}, prune=True)
        return self._store.prune(all_images=all_images, keep=lambda r: not flt.matches(self._image(r)))

    # -- root filesystems -------------------------------------------------------------

    def prepare_rootfs(self, image_id: str, container_id: str, read_only: bool = False) -> Path:
        """Mount (or return the mounted) root filesystem of ``container_id``; idempotent."""
        return self._store.prepare_rootfs(image_id, container_id, read_only)

    def unmount_rootfs(self, container_id: str) -> None:
        """Unmount, keeping the container's changes (its upper dir)."""
        self._store.unmount_rootfs(container_id)

    def release_rootfs(self, container_id: str) -> None:
        """Unmount and free the container's changes: the container is being removed."""
        self._store.release_rootfs(container_id)

    def rootfs_path(self, container_id: str) -> Path:
        return self._store.rootfs.mountpoint(container_id)


__all__ = [
    "ContainerConfig",
    "DigestMismatch",
    "Healthcheck",
    "HistoryRow",
    "Image",
    "ImageConfig",
    "ImageError",
    "ImageInUse",
    "ImageNotFound",
    "ImageStore",
    "InvalidReference",
    "LoadResult",
    "Platform",
    "Reference",
    "Removal",
    "UnsafeArchive",
    "match_familiar",
    "parse",
]
