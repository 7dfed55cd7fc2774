"""The build cache: step keys -> the images they made, and the directories of cache mounts.

    <state>/build/cache/index.json     {"<step key>": {"image": "sha256:…", "used": <unix time>}}
    <state>/build/cache/mounts/<hex>/  one RUN --mount=type=cache directory, kept between builds
    <state>/build/cache/checksums.json {"<image and selection>": "sha256:…"}: what a ``COPY --from``
                                       selects in an image, by content (images never change)

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

from runtime.errors import RuntimeFailure
from runtime.state import StateRoot, read_json, write_json

_MAX_CHECKSUMS = 4096


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

    def _checksums(self) -> dict[str, Any]:
        try:
            data = read_json(self.root / "checksums.json")
        except (FileNotFoundError, RuntimeFailure):
            return {}
        return data if isinstance(data, dict) else {}

    def checksum(self, key: str) -> str | None:
        value = self._checksums().get(key)
        return value if isinstance(value, str) else None

    def put_checksum(self, key: str, value: str) -> None:
        with self.state.lock("build-cache"):
            data = self._checksums()
            if len(data) >= _MAX_CHECKSUMS:
                data = {}  # a memo: starting afresh only costs walking the images again
            data[key] = value
            write_json(self.root / "checksums.json", data, sync=False)

    def images(self) -> set[str]:
        return {e["image"] for e in self._read().values() if isinstance(e, dict) and "image" in e}

    def mount_dir(self, mount_id: str) -> Path:
        path = self.root / "mounts" / hashlib.sha256(mount_id.encode()).hexdigest()[:32]
        path.mkdir(parents=True, exist_ok=True)
        return path

    def touch(self, keys: list[str]) -> None:
        """Mark entries used now (cache hits), for the least-recently-used order of ``prune``."""
        if not keys:
            return
        with self.state.lock("build-cache"):
            index = self._read()
            now = time.time()
            for key in keys:
                if isinstance(index.get(key), dict):
                    index[key]["used"] = now
            write_json(self.index_path, index)

    def gc(self, bound: int | None = None) -> int:
        """Keep the cache within ``bound`` bytes (default: ``PYCOMPOSE_BUILD_CACHE_MAX``, else a
        tenth of the file system the state root is on, as BuildKit's default cap); the bytes freed."""
        return self.prune(keep_storage=default_bound(self.state.root) if bound is None else bound)

    def prune(self, *, all: bool = False, keep_storage: int | None = None) -> int:
        """Forget cache entries (the least recently used first, until what stays is within
        ``keep_storage`` bytes; every one with ``all`` or without a bound) and remove their
        images where nothing else names or uses them; the bytes freed.

        What the cache holds is measured as BuildKit measures it: each layer once, and only the
        layers that no tagged image holds (forgetting an entry cannot free those)."""
        from runtime.api.images import ImageStore

        store = ImageStore(self.state)
        images = {img.id: img for img in store.list()}
        layer_sizes = _LayerSizes(self.state)
        pinned = {d for img in images.values() if img.tags for d in img.layers}
        with self.state.lock("build-cache"):
            index = self._read()

            def layers(key: str) -> set[str]:
                entry = index[key]
                image = images.get(entry.get("image")) if isinstance(entry, dict) else None
                return set(image.layers) - pinned if image is not None else set()

            order = sorted(index, key=lambda k: index[k].get("used", 0) if isinstance(index[k], dict) else 0)
            refs: dict[str, int] = {}
            for key in order:
                for d in layers(key):
                    refs[d] = refs.get(d, 0) + 1
            total = sum(layer_sizes(d) for d in refs)
            if keep_storage is not None and not all and total <= keep_storage:
                return 0  # within its bound: nothing to do, nothing written
            doomed = []
            for key in order:
                if keep_storage is not None and not all and total <= keep_storage:
                    break
                doomed.append(key)
                for d in layers(key):
                    refs[d] -= 1
                    if refs[d] == 0:
                        total -= layer_sizes(d)
            gone = {index[k].get("image") for k in doomed if isinstance(index[k], dict)}
            for key in doomed:
                del index[key]
            if self.root.exists():
                write_json(self.index_path, index)
        kept = {e.get("image") for e in index.values() if isinstance(e, dict)}
        removed: set[str] = set()
        for image_id in gone - kept:
            image = images.get(image_id or "")
            if image is None or image.tags:
                continue
            _done, errors = store.remove([image.id])
            if not errors:
                removed.update(image.layers)
        still = {d for img in store.list() for d in img.layers}
        freed = sum(layer_sizes(d) for d in removed - still)
        mounts = self.root / "mounts"
        if all:
            (self.root / "checksums.json").unlink(missing_ok=True)
        if all and mounts.exists():
            freed += sum(p.lstat().st_size for p in mounts.rglob("*") if p.is_file())
            shutil.rmtree(mounts, ignore_errors=True)
        return freed


class _LayerSizes:
    """Unpacked bytes of a layer by diff ID (0 if the store no longer has it)."""

    def __init__(self, state: StateRoot) -> None:
        from runtime.images.records import LayerCache

        self.layers = LayerCache(state.root / "images")
        self.memo: dict[str, int] = {}

    def __call__(self, diff_id: str) -> int:
        if diff_id not in self.memo:
            try:
                self.memo[diff_id] = self.layers.info(diff_id).size
            except (FileNotFoundError, ValueError, KeyError):
                self.memo[diff_id] = 0
        return self.memo[diff_id]


def default_bound(root: Path) -> int:
    """``PYCOMPOSE_BUILD_CACHE_MAX`` (bytes, or with a k/m/g suffix: powers of 1024), else a
    tenth of the size of the file system that holds ``root``."""
    import os

    text = os.environ.get("PYCOMPOSE_BUILD_CACHE_MAX", "").strip().lower().rstrip("b")
    if text:
        units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
        try:
            return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)
        except ValueError:
            from runtime.build.errors import BuildError

            raise BuildError(f"PYCOMPOSE_BUILD_CACHE_MAX={os.environ['PYCOMPOSE_BUILD_CACHE_MAX']!r}: "
                             "give a size in bytes, e.g. 20g or 500m") from None
    st = os.statvfs(root if root.exists() else root.parent)
    return st.f_blocks * st.f_frsize // 10
