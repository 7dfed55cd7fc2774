"""``image import``: a root filesystem tarball becomes a one-layer image (``docker import``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import BinaryIO

from runtime.images.changes import apply_changes
from runtime.images.errors import ImageError
from runtime.images.layers import detect
from runtime.images.manifest import OCI_CONFIG, Descriptor, Platform, host_platform, manifest_json
from runtime.images.records import ImageRecord
from runtime.images.reference import parse_tag
from runtime.images.store import ImageStore, now_rfc3339

_MEDIA = {"tar": "application/vnd.oci.image.layer.v1.tar", "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
          "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}


def import_rootfs(store: ImageStore, source: Path | BinaryIO, name: str | None = None, *,
                  changes: list[str] | None = None, message: str = "",
                  platform: Platform | None = None) -> ImageRecord:
    names = [parse_tag(name)] if name else []
    plat = platform or host_platform()
    container_config = apply_changes({}, changes or [])
    with store.session() as session:
        if isinstance(source, Path):
            with open(source, "rb") as f:
                blob = store.content.ingest(session, f)
        else:
            blob = store.content.ingest(session, source)
        with store.content.open(blob.digest) as f:
            kind = detect(f)  # type: ignore[arg-type]
        if kind not in _MEDIA:
            raise ImageError(f"cannot import a {kind}-compressed tarball: use plain, gzip or zstd")
        stats = store.unpack_blob(session, blob.digest, None, "imported tarball")
        created = now_rfc3339()
        config: dict[str, object] = {
            "architecture": plat.architecture, "os": plat.os, "created": created,
            "config": container_config,
            "rootfs": {"type": "layers", "diff_ids": [stats.diff_id]},
            "history": [{"created": created, "comment": message or "Imported from -"}],
        }
        if plat.variant:
            config["variant"] = plat.variant
        if message:
            config["comment"] = message
        raw = json.dumps(config, separators=(",", ":")).encode()
        config_digest = store.put_bytes(session, raw)
        manifest = manifest_json(Descriptor(OCI_CONFIG, config_digest, len(raw)),
                                 [Descriptor(_MEDIA[kind], blob.digest, blob.size)])
        manifest_digest = store.put_bytes(session, manifest)
        return store.register(manifest_digest, names)
