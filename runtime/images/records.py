"""The image store's own tables: image records, the reference table, the layer cache.

* ``images/<id-hex>.json``: one record per image (ID = config digest), written only when
  every blob and layer it names is in place, so a listed image is always complete.
* ``refs.json``: normalised reference (``docker.io/library/busybox:latest``) -> the digest
  it was loaded or tagged from (a manifest or an index) and the image ID it resolves to.
* ``layers/<diff-id-hex>/``: ``diff/`` (the unpacked layer) and ``layer.json``; renamed
  into place complete, so a layer directory that exists is a finished layer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runtime.images.content import split_digest
from runtime.images.manifest import Platform
from runtime.state import fsync_dir, read_json, write_json


@dataclass(frozen=True)
class ImageRecord:
    id: str  # sha256:<config digest>
    manifest: str  # digest of the (platform) manifest
    layers: tuple[str, ...]  # diff IDs, bottom first
    platform: Platform
    size: int  # bytes of unpacked content
    created: str  # from the config
    loaded_at: str
    last_tag_time: str = ""

    @property
    def short_id(self) -> str:
        return split_digest(self.id)[:12]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "manifest": self.manifest, "layers": list(self.layers),
            "platform": self.platform.to_json(), "size": self.size, "created": self.created,
            "loaded_at": self.loaded_at, "last_tag_time": self.last_tag_time,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageRecord:
        return cls(
            id=data["id"], manifest=data["manifest"], layers=tuple(data["layers"]),
            platform=Platform.from_json(data["platform"]), size=int(data["size"]),
            created=data.get("created", ""), loaded_at=data.get("loaded_at", ""),
            last_tag_time=data.get("last_tag_time", ""),
        )

    def tagged(self, when: str) -> ImageRecord:
        return replace(self, last_tag_time=when)


@dataclass(frozen=True)
class RefEntry:
    target: str  # manifest or index digest the name was given for
    image: str  # image ID


class RecordTable:
    def __init__(self, root: Path) -> None:
        self.dir = root / "images"
        self.refs_path = root / "refs.json"

    def path(self, image_id: str) -> Path:
        return self.dir / f"{split_digest(image_id)}.json"

    def get(self, image_id: str) -> ImageRecord | None:
        try:
            return ImageRecord.from_json(read_json(self.path(image_id)))
        except FileNotFoundError:
            return None

    def put(self, record: ImageRecord) -> None:
        write_json(self.path(record.id), record.to_json())

    def delete(self, image_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(image_id).unlink()
            fsync_dir(self.dir)

    def all(self) -> list[ImageRecord]:
        out = []
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.dir):
                if entry.name.endswith(".json") and len(entry.name) == 69:
                    record = self.get(f"sha256:{entry.name[:64]}")
                    if record is not None:
                        out.append(record)
        return out

    def refs(self) -> dict[str, RefEntry]:
        try:
            data = read_json(self.refs_path)
        except FileNotFoundError:
            return {}
        return {name: RefEntry(v["target"], v["image"]) for name, v in data.items()}

    def put_refs(self, refs: dict[str, RefEntry]) -> None:
        write_json(self.refs_path, {n: {"target": e.target, "image": e.image} for n, e in sorted(refs.items())})


@dataclass(frozen=True)
class LayerInfo:
    diff_id: str
    size: int


class LayerCache:
    """Unpacked layers, keyed by diff ID and shared by every image."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "layers"

    def path(self, diff_id: str) -> Path:
        return self.dir / split_digest(diff_id)

    def diff(self, diff_id: str) -> Path:
        return self.path(diff_id) / "diff"

    def has(self, diff_id: str) -> bool:
        return (self.path(diff_id) / "layer.json").is_file()

    def info(self, diff_id: str) -> LayerInfo:
        data = read_json(self.path(diff_id) / "layer.json")
        return LayerInfo(data["diff_id"], int(data["size"]))

    def commit(self, staged: Path, diff_id: str, size: int) -> None:
        """Move a finished layer (``staged/diff``) into place; a layer already there wins."""
        write_json(staged / "layer.json", {"diff_id": diff_id, "size": size})
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staged, self.path(diff_id))
        except OSError as exc:
            if not self.has(diff_id):
                raise
            del exc
        fsync_dir(self.dir)

    def all(self) -> Iterator[str]:
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.dir):
                if len(entry.name) == 64:
                    yield f"sha256:{entry.name}"
