"""A new image from a base image (or scratch), new layers, a container config and history.

Crash-safe in the order of ``image load`` (``runtime.images.archive``): inside one ingest
session, the layer blobs go into the content store (hard-linked when they sit on the same
file system, copied and hashed otherwise), each is unpacked into the shared layer cache
unless its diff ID is already there, then the config and the OCI manifest are written,
and only then the image record and its names. A process killed at any point leaves its
session (removed by the next command) and at most unreferenced blobs or layers, which
``image prune`` collects; nothing ``image ls`` shows.

The image is pushable afterwards: every layer the manifest names, the base image's and the
new ones, is a compressed blob in the content store under the digest the manifest gives.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runtime.build.layer import LayerBlob
from runtime.images.content import IngestSession
from runtime.images.errors import ImageError, ImageNotFound
from runtime.images.manifest import (
    DOCKER_FOREIGN_LAYER,
    DOCKER_LAYER,
    OCI_CONFIG,
    OCI_LAYER,
    Descriptor,
    Platform,
    host_platform,
    manifest_json,
)
from runtime.images.records import ImageRecord
from runtime.images.reference import Reference, parse_tag
from runtime.images.store import ImageStore, now_rfc3339

# Docker's layer media types as the OCI manifest we write names them
_OCI_LAYER_TYPES = {
    DOCKER_LAYER: "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar": OCI_LAYER,
    DOCKER_FOREIGN_LAYER: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
}


@dataclass(frozen=True)
class HistoryEntry:
    created_by: str
    empty_layer: bool
    comment: str = ""
    created: str | None = None  # None: the image's creation time
    author: str = ""

    def to_json(self, default_created: str) -> dict[str, Any]:
        out: dict[str, Any] = {"created": self.created or default_created}
        if self.author:
            out["author"] = self.author
        out["created_by"] = self.created_by
        if self.comment:
            out["comment"] = self.comment
        if self.empty_layer:
            out["empty_layer"] = True
        return out


def rfc3339(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _inner(store: Any) -> ImageStore:
    """The image store itself, also when the ``runtime.api`` facade is passed."""
    return store if isinstance(store, ImageStore) else store._store


def _base(store: ImageStore, base_image_id: str | None) -> tuple[dict[str, Any], list[Descriptor], Platform]:
    """The base image's raw config and layer descriptors (both empty for scratch)."""
    if base_image_id is None:
        return {}, [], host_platform()
    record = store.records.get(base_image_id) if base_image_id.startswith("sha256:") else None
    if record is None:
        record = store.resolve(base_image_id)
    config = store.config(record)
    manifest = store.manifest(record.manifest)
    if len(manifest.layers) != len(config.diff_ids):
        raise ImageError(f"base image {record.id}: {len(manifest.layers)} layers but "
                         f"{len(config.diff_ids)} diff IDs")
    layers = [Descriptor(_OCI_LAYER_TYPES.get(d.media_type, d.media_type), d.digest, d.size, urls=d.urls)
              for d in manifest.layers]
    return dict(config.raw), layers, record.platform


def _store_blob(store: ImageStore, session: IngestSession, layer: LayerBlob) -> None:
    """The blob into the content store under its digest (the caller's file stays)."""
    if store.content.has(layer.digest):
        return
    tmp = session.temp_path()
    try:
        os.link(layer.path, tmp)
    except OSError:
        with open(layer.path, "rb") as f:
            store.content.ingest(session, f, layer.digest, layer.size)
        return
    store.content.adopt(tmp, layer.digest)


def image_config(base: dict[str, Any], platform: Platform, config: dict[str, Any], diff_ids: list[str],
                 history: list[dict[str, Any]], created: str, *, author: str = "",
                 comment: str = "") -> dict[str, Any]:
    """The OCI image config, in the OCI spec's field order."""
    out: dict[str, Any] = {"created": created}
    if author:
        out["author"] = author
    out["architecture"] = base.get("architecture") or platform.architecture
    variant = base.get("variant") if base else platform.variant
    if variant:
        out["variant"] = variant
    out["os"] = base.get("os") or platform.os
    for key in ("os.version", "os.features"):
        if base.get(key):
            out[key] = base[key]
    out["config"] = config
    out["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    out["history"] = history
    if comment:
        out["comment"] = comment
    return out


def commit_image(store: Any, base_image_id: str | None, layers: Sequence[LayerBlob], config: dict[str, Any],
                 history: Sequence[HistoryEntry], tags: Sequence[str], *, epoch: int | None = None,
                 author: str = "", comment: str = "", extra: dict[str, Any] | None = None) -> ImageRecord:
    """Write the image into ``store`` (see the module doc); ``config`` is the container config
    (``Env``, ``Cmd``, ...), ``history`` the entries of this image's own steps (the base's
    come first), ``tags`` the names to give it. ``epoch`` (SOURCE_DATE_EPOCH) fixes the
    creation times, so the same inputs give the same image ID. ``extra`` adds top-level keys to
    the config (a carried build cache)."""
    inner = _inner(store)
    names: list[Reference] = [parse_tag(t) for t in tags]
    with_layers = sum(1 for h in history if not h.empty_layer)
    if history and with_layers != len(layers):
        raise ImageError(f"{len(layers)} new layers but {with_layers} history entries that add a layer")
    created = rfc3339(epoch) if epoch is not None else now_rfc3339()
    with inner.session() as session:
        base, descriptors, platform = _base(inner, base_image_id)
        diff_ids = [str(d) for d in (base.get("rootfs") or {}).get("diff_ids") or []]
        for layer in layers:
            if not os.path.isfile(layer.path) and not inner.content.has(layer.digest):
                raise ImageNotFound(f"layer blob {layer.path} is missing")
            _store_blob(inner, session, layer)
            inner.unpack_blob(session, layer.digest, layer.diff_id, f"layer {layer.diff_id}")
            descriptors.append(Descriptor(layer.media_type, layer.digest, layer.size))
            diff_ids.append(layer.diff_id)
        entries = [h for h in base.get("history") or [] if isinstance(h, dict)]
        entries += [h.to_json(created) for h in history]
        doc = image_config(base, platform, dict(config), diff_ids, entries, created, author=author, comment=comment)
        doc.update(extra or {})
        return _register(inner, session, doc, descriptors, names)


def _register(store: ImageStore, session: IngestSession, doc: dict[str, Any], layers: list[Descriptor],
              names: list[Reference]) -> ImageRecord:
    return register_raw(store, session, json.dumps(doc, separators=(",", ":")).encode(), layers, names)


def register_raw(store: ImageStore, session: IngestSession, raw: bytes, layers: Sequence[Descriptor],
                 names: list[Reference]) -> ImageRecord:
    """The config ``raw`` (exact bytes) and an OCI manifest of it and ``layers`` (blobs the
    store has) into the store, registered under ``names``."""
    config_digest = store.put_bytes(session, raw)
    manifest = manifest_json(Descriptor(OCI_CONFIG, config_digest, len(raw)), list(layers))
    return store.register(store.put_bytes(session, manifest), names)


def commit_raw_config(store: Any, image_id: str, doc: dict[str, Any]) -> ImageRecord:
    """An untagged image of the layers of ``image_id`` with the config ``doc``."""
    inner = _inner(store)
    with inner.session() as session:
        _base_doc, layers, _platform = _base(inner, image_id)
        return _register(inner, session, doc, layers, [])
