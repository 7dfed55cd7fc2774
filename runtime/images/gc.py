"""Garbage collection of the image store: mark from the roots, sweep the rest.

Roots: every image record, every reference's target, every container root filesystem
record. Marked: the blobs those name (indexes, manifests, configs, layer blobs) and the
layers (diff IDs) they stack. Everything else in ``blobs/`` and ``layers/`` is removed, as
are container rootfs directories that lost their record in a crash and are not mounted.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.images.content import ContentStore
from runtime.images.errors import ImageError
from runtime.images.layers import remove_tree
from runtime.images.manifest import Index, Manifest, parse_document
from runtime.images.records import LayerCache, RecordTable
from runtime.images.rootfs import RootfsManager


@dataclass(frozen=True)
class Sweep:
    blobs: tuple[str, ...]
    layers: tuple[str, ...]
    reclaimed: int


def _mark_document(content: ContentStore, digest: str, blobs: set[str]) -> None:
    if digest in blobs or not content.has(digest):
        return
    blobs.add(digest)
    try:
        doc: Manifest | Index = parse_document(content.read(digest), digest)
    except ImageError:
        return
    if isinstance(doc, Index):
        for child in doc.manifests:
            _mark_document(content, child.digest, blobs)
    else:
        blobs.add(doc.config.digest)
        blobs.update(layer.digest for layer in doc.layers)


def collect(content: ContentStore, records: RecordTable, layers: LayerCache, rootfs: RootfsManager) -> Sweep:
    """Sweep everything no root reaches. The caller holds the store's GC lock exclusively."""
    live_blobs: set[str] = set()
    live_layers: set[str] = set()
    for record in records.all():
        _mark_document(content, record.manifest, live_blobs)
        live_blobs.add(record.id)
        live_layers.update(record.layers)
    for entry in records.refs().values():
        _mark_document(content, entry.target, live_blobs)
    for fs in rootfs.records():
        live_layers.update(fs.layers)
    reclaimed = 0
    dead_blobs = [d for d in content.digests() if d not in live_blobs]
    for digest in dead_blobs:
        reclaimed += content.delete(digest)
    dead_layers = [d for d in layers.all() if d not in live_layers]
    for diff_id in dead_layers:
        try:
            reclaimed += layers.info(diff_id).size
        except (FileNotFoundError, ImageError):
            pass
        remove_tree(layers.path(diff_id))
    _sweep_orphan_rootfs(rootfs)
    reclaimed += content.remove_stale_partials()
    return Sweep(tuple(dead_blobs), tuple(dead_layers), reclaimed)


def _sweep_orphan_rootfs(rootfs: RootfsManager) -> None:
    import os

    try:
        entries = list(os.scandir(rootfs.dir))
    except FileNotFoundError:
        return
    for entry in entries:
        if rootfs.record(entry.name) is None and not rootfs.is_mounted(entry.name):
            remove_tree(rootfs.dir / entry.name)
