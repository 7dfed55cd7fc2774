"""Build caches carried by images: ``cache_to: [type=inline]``, ``cache_to: [type=registry,ref=…]``
(``mode=min`` or ``mode=max``) and ``cache_from: [ref]``, as BuildKit's inline and registry caches.

An image built with a cache to export carries, in its config, the cache entries of the steps
of its build under ``CONFIG_KEY`` (BuildKit keeps its own under ``moby.buildkit.cache.v0``; the
two formats are not interchangeable, so an image only gives cache hits to the builder that made
it)::

    {"v": 1, "steps": [{"key": "<step key>", "layers": <n> | [<i>, …], "config": "<raw config>"}, …]}

Each step's image is the carrying image's first ``n`` layers (or its layers at the positions
``[i, …]``) with that step's own config, byte for byte, so an import recreates exactly the image
the step made (same ID), and the step keys are functions of the base image's ID, the
instructions, the build args and the copied files' content only: they mean the same on every
machine. ``mode=min`` (and ``type=inline``, which only has min) carries the steps of the target
stage, whose layers are the built image's own. ``mode=max`` carries the steps of every stage the
build went through: the image pushed for it has the built image's layers followed by every other
layer those steps have (its config lists them all, so it is still a well-formed image that any
registry and client take, though not one to run). ``cache_from`` pulls the image when the store
lacks it, adds the steps the local cache lacks as untagged images, and drops the name it pulled;
a cache that cannot be fetched is a warning, as BuildKit's, never a failed build.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from runtime.build.commit import register_raw
from runtime.images.errors import ImageError
from runtime.images.manifest import Descriptor

CONFIG_KEY = "io.pycompose.build.cache.v0"


def entries(store: Any, chain: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The cache metadata for ``chain``: the (step key, image ID) pairs of a stage, in order
    (``mode=min``: each step's layers are the first ones of the stage's image)."""
    return {"v": 1, "steps": _steps(store, [chain], None)}


def _steps(store: Any, chains: Sequence[Sequence[tuple[str, str]]],
           carrier: tuple[list[Descriptor], list[str]] | None) -> list[dict[str, Any]]:
    """The entries of the steps of ``chains``, each key once. With ``carrier`` (its layers and
    diff IDs, extended here with every layer a step has that it lacks) a step's layers are
    given by their positions there when they are not its first ones."""
    steps: list[dict[str, Any]] = []
    seen: set[str] = set()
    where: dict[str, int] = {}
    if carrier is not None:
        for at, diff_id in enumerate(carrier[1]):
            where.setdefault(diff_id, at)
    for chain in chains:
        for key, image_id in chain:
            record = store.records.get(image_id)
            if key in seen or record is None:
                continue
            seen.add(key)
            manifest = store.manifest(record.manifest)
            raw = store.content.read(manifest.config.digest).decode()
            layers: int | list[int] = len(manifest.layers)
            if carrier is not None:
                positions = []
                for desc, diff_id in zip(manifest.layers, record.layers, strict=True):
                    if diff_id not in where:
                        where[diff_id] = len(carrier[1])
                        carrier[0].append(desc)
                        carrier[1].append(diff_id)
                    positions.append(where[diff_id])
                if positions != list(range(len(positions))):
                    layers = positions
            steps.append({"key": key, "layers": layers, "config": raw})
    return steps


def max_carrier(store: Any, image_id: str, chains: Sequence[Sequence[tuple[str, str]]]) -> str:
    """``mode=max``: an untagged image of ``image_id``'s layers and then every other layer of the
    steps of ``chains`` (the chains of all the stages built), carrying the entries of them all."""
    record = store.records.get(image_id)
    manifest = store.manifest(record.manifest)
    doc = json.loads(store.content.read(manifest.config.digest))
    layers, diff_ids = list(manifest.layers), list(record.layers)
    steps = _steps(store, chains, (layers, diff_ids))
    added = len(diff_ids) - len(record.layers)
    doc["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    doc["history"] = [*(doc.get("history") or []),
                      *[{"created_by": "build cache of another stage (mode=max)"}] * added]
    doc[CONFIG_KEY] = {"v": 1, "steps": steps}
    with store.session() as session:
        return register_raw(store, session, json.dumps(doc, separators=(",", ":")).encode(), layers, []).id


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
            if not (isinstance(key, str) and isinstance(count, int | list) and isinstance(raw, str)):
                raise ImageError(f"image {image_id}: malformed build cache entry")
            known = cache.get(key)
            if known is not None and store.records.get(known) is not None:
                continue
            try:
                step_diff_ids = list((json.loads(raw).get("rootfs") or {}).get("diff_ids") or [])
            except (ValueError, AttributeError):
                raise ImageError(f"image {image_id}: build cache entry {key[:12]} has no valid config") from None
            positions = list(range(count)) if isinstance(count, int) else count
            if (not all(isinstance(i, int) and 0 <= i < len(manifest.layers) for i in positions)
                    or step_diff_ids != [diff_ids[i] for i in positions if i < len(diff_ids)]):
                raise ImageError(f"image {image_id}: build cache entry {key[:12]} does not match its layers")
            made = register_raw(store, session, raw.encode(), [manifest.layers[i] for i in positions], [])
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
