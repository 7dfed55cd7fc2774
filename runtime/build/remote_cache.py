"""Build caches carried by images: ``cache_to: [type=inline]``, ``cache_to: [type=registry,ref=…]``
and ``cache_from: [ref]``, as BuildKit's inline cache (min mode).

An image built with a cache to export carries, in its config, the cache entries of the steps
of its target stage under ``CONFIG_KEY`` (BuildKit keeps its own under
``moby.buildkit.cache.v0``; the two formats are not interchangeable, so an image only gives
cache hits to the builder that made it)::

    {"v": 1, "steps": [{"key": "<step key>", "layers": <n>, "config": "<raw image config>"}, …]}

Each step's image is the first ``n`` layers of the carrying image with that step's own config,
byte for byte, so an import recreates exactly the image the step made (same ID), and the step
keys are functions of the base image's ID, the instructions, the build args and the copied
files' content only: they mean the same on every machine. ``cache_from`` pulls the image when
the store lacks it, adds the steps the local cache lacks as untagged images, and drops the name
it pulled; a cache that cannot be fetched is a warning, as BuildKit's, never a failed build.
``mode=max`` exports what ``mode=min`` does: the steps of the target stage, whose layers the
carrying image holds (the other stages' layers would need a cache manifest of their own).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from runtime.build.commit import register_raw
from runtime.images.errors import ImageError

CONFIG_KEY = "io.pycompose.build.cache.v0"


def entries(store: Any, chain: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The cache metadata for ``chain``: the (step key, image ID) pairs of a stage, in order."""
    steps = []
    for key, image_id in chain:
        record = store.records.get(image_id)
        if record is None:
            continue
        manifest = store.manifest(record.manifest)
        raw = store.content.read(manifest.config.digest).decode()
        steps.append({"key": key, "layers": len(manifest.layers), "config": raw})
    return {"v": 1, "steps": steps}


def import_from(store: Any, cache: Any, image_id: str) -> int:
    """Add the cache entries ``image_id`` carries to ``cache`` (those it lacks); how many."""
    record = store.records.get(image_id)
    manifest = store.manifest(record.manifest)
    config = json.loads(store.content.read(manifest.config.digest))
    meta = config.get(CONFIG_KEY)
    if not isinstance(meta, dict) or meta.get("v") != 1:
        return 0
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    added = 0
    with store.session() as session:
        for step in meta.get("steps") or []:
            key, count, raw = step.get("key"), step.get("layers"), step.get("config")
            if not (isinstance(key, str) and isinstance(count, int) and isinstance(raw, str)):
                raise ImageError(f"image {image_id}: malformed build cache entry")
            known = cache.get(key)
            if known is not None and store.records.get(known) is not None:
                continue
            try:
                step_diff_ids = list((json.loads(raw).get("rootfs") or {}).get("diff_ids") or [])
            except (ValueError, AttributeError):
                raise ImageError(f"image {image_id}: build cache entry {key[:12]} has no valid config") from None
            if not 0 <= count <= len(manifest.layers) or step_diff_ids != diff_ids[:count]:
                raise ImageError(f"image {image_id}: build cache entry {key[:12]} does not match its layers")
            made = register_raw(store, session, raw.encode(), manifest.layers[:count], [])
            cache.put(key, made.id)
            added += 1
    return added


def fetch(store: Any, refs: Sequence[str], pull: Callable[[str], None], cache: Any,
          warn: Callable[[str], None]) -> None:
    """``cache_from``: each ref's entries into ``cache``; the image is pulled when the store lacks
    it (and its name dropped again afterwards); any failure only warns."""
    from runtime.errors import PyComposeError
    from runtime.images.errors import ImageNotFound

    for ref in refs:
        pulled = False
        try:
            try:
                record = store.resolve(ref)
            except ImageNotFound:
                pull(ref)
                pulled = True
                record = store.resolve(ref)
            import_from(store, cache, record.id)
        except PyComposeError as exc:
            warn(f"cache from {ref} not used: {exc}")
        finally:
            if pulled:
                store.remove([ref])
