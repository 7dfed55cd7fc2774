"""A consistency check of the image store (what ``image ls`` shows must be complete)."""

from __future__ import annotations

from runtime.errors import PyComposeError
from runtime.images.config import parse_config
from runtime.images.store import ImageStore


def problems(store: ImageStore) -> list[str]:
    """Every inconsistency found: a record naming missing or corrupt content, a name without a record."""
    store.open()
    out: list[str] = []
    for record in store.records.all():
        try:
            manifest = store.manifest(record.manifest)
            config = parse_config(store.content.read(manifest.config.digest), manifest.config.digest)
        except PyComposeError as exc:
            out.append(f"image {record.id}: {exc}")
            continue
        if manifest.config.digest != record.id:
            out.append(f"image {record.id}: its manifest names config {manifest.config.digest}")
        for layer in manifest.layers:
            if not store.content.has(layer.digest):
                out.append(f"image {record.id}: layer blob {layer.digest} is missing")
            elif store.content.size(layer.digest) != layer.size:
                out.append(f"image {record.id}: layer blob {layer.digest} has the wrong size")
        for diff_id in config.diff_ids:
            if not store.layers.has(diff_id):
                out.append(f"image {record.id}: layer {diff_id} is not unpacked")
        if tuple(config.diff_ids) != record.layers:
            out.append(f"image {record.id}: record and config disagree on the layers")
    for name, entry in store.records.refs().items():
        if store.records.get(entry.image) is None:
            out.append(f"name {name}: image {entry.image} has no record")
    return out
