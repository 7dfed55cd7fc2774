"""The build cache: step keys -> the images they made, and the directories of cache mounts.

    <state>/build/cache/index.json     {"<step key>": {"image": "sha256:…", "used": <unix time>}}
    <state>/build/cache/mounts/<hex>/  one RUN --mount=type=cache directory, kept between builds

The images are ordinary untagged image records (so the image store's garbage collection keeps
their layers while they are indexed here, and ``image ls`` hides them as Docker hides
intermediate images); ``prune`` forgets entries (all, or the least recently used beyond a size)
and removes their images unless something else uses them.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any

from runtime.state import StateRoot, read_json, write_json


class BuildCache:
    def __init__(self, state: StateRoot) -> None:
        self.state = state
        self.root = state.root / "build" / "cache"
        self.index_path = self.root / "index.json"

    def _read(self) -> dict[str, Any]:
        try:
            data = read_json(self.index_path)
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> str | None:
        entry = self._read().get(key)
        return entry.get("image") if isinstance(entry, dict) else None

    def put(self, key: str, image: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with self.state.lock("build-cache"):
            index = self._read()
            index[key] = {"image": image, "used": time.time()}
            write_json(self.index_path, index)

    def images(self) -> set[str]:
        return {e["image"] for e in self._read().values() if isinstance(e, dict) and "image" in e}

    def mount_dir(self, mount_id: str) -> Path:
        path = self.root / "mounts" / hashlib.sha256(mount_id.encode()).hexdigest()[:32]
        path.mkdir(parents=True, exist_ok=True)
        return path

    def prune(self, *, all: bool = False, keep_storage: int | None = None) -> int:
        """Forget cache entries (the least recently used first, until what stays is within
        ``keep_storage`` bytes; every one with ``all`` or without a bound) and remove their
        images where nothing else names or uses them; the bytes freed."""
        from runtime.api.images import ImageStore

        store = ImageStore(self.state)
        images = {img.id: img for img in store.list()}
        with self.state.lock("build-cache"):
            index = self._read()
            order = sorted(index, key=lambda k: index[k].get("used", 0) if isinstance(index[k], dict) else 0)
            total = sum(images[e["image"]].size for e in index.values()
                        if isinstance(e, dict) and e.get("image") in images)
            doomed = []
            for key in order:
                if keep_storage is not None and not all and total <= keep_storage:
                    break
                doomed.append(key)
                entry = index[key]
                if isinstance(entry, dict) and entry.get("image") in images:
                    total -= images[entry["image"]].size
            gone = {index[k].get("image") for k in doomed if isinstance(index[k], dict)}
            for key in doomed:
                del index[key]
            if self.root.exists():
                write_json(self.index_path, index)
        kept = {e.get("image") for e in index.values() if isinstance(e, dict)}
        freed = 0
        for image_id in gone - kept:
            image = images.get(image_id or "")
            if image is None or image.tags:
                continue
            _done, errors = store.remove([image.id])
            if not errors:
                freed += image.size
        mounts = self.root / "mounts"
        if all and mounts.exists():
            freed += sum(p.lstat().st_size for p in mounts.rglob("*") if p.is_file())
            shutil.rmtree(mounts, ignore_errors=True)
        return freed
