"""``image save``: one tar that both ``docker load`` and OCI tools read.

As current Docker writes it: an OCI image layout (``oci-layout``, ``index.json`` with
``io.containerd.image.name`` and ``org.opencontainers.image.ref.name`` annotations,
``blobs/sha256/…``) plus Docker's ``manifest.json`` and ``repositories`` pointing into
the same blobs. Blobs are written as stored, so digests survive a save/load round trip.
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass, field
from typing import BinaryIO

from runtime.images.manifest import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    OCI_INDEX,
    OCI_MANIFEST,
    Descriptor,
)
from runtime.images.records import ImageRecord
from runtime.images.reference import Reference, is_digest, parse
from runtime.images.store import ImageStore

EPOCH = 0


@dataclass
class _Selected:
    record: ImageRecord
    names: list[Reference] = field(default_factory=list)


def _select(store: ImageStore, refs: list[str]) -> list[_Selected]:
    chosen: dict[str, _Selected] = {}
    for text in refs:
        record = store.resolve(text)
        entry = chosen.setdefault(record.id, _Selected(record))
        if is_digest(text) or record.id[7:].startswith(text):
            continue
        ref = parse(text)
        if ref.tag is not None and ref not in entry.names:
            entry.names.append(ref)
    return list(chosen.values())


def _add(tar: tarfile.TarFile, name: str, data: bytes | None = None, stream: BinaryIO | None = None,
         size: int = 0, directory: bool = False) -> None:
    info = tarfile.TarInfo(name)
    info.mtime = EPOCH
    if directory:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
        return
    info.mode = 0o644
    if data is not None:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        info.size = size
        tar.addfile(info, stream)


def save(store: ImageStore, refs: list[str], out: BinaryIO) -> None:
    selected = _select(store, refs)
    index: list[dict[str, object]] = []
    docker: list[dict[str, object]] = []
    repositories: dict[str, dict[str, str]] = {}
    blobs: list[str] = []
    for item in selected:
        manifest = store.manifest(item.record.manifest)
        for digest in (item.record.manifest, manifest.config.digest, *(layer.digest for layer in manifest.layers)):
            if digest not in blobs:
                blobs.append(digest)
        size = store.content.size(item.record.manifest)
        for name in item.names or [None]:
            annotations = {}
            if name is not None:
                annotations = {ANNOTATION_IMAGE_NAME: str(name), ANNOTATION_REF_NAME: name.tag or ""}
                repositories.setdefault(name.familiar_repository, {})[name.tag or "latest"] = item.record.id[7:]
            index.append(Descriptor(manifest.media_type or OCI_MANIFEST, item.record.manifest, size,
                                    annotations=annotations).to_json())
        docker.append({
            "Config": f"blobs/sha256/{manifest.config.digest[7:]}",
            "RepoTags": [n.familiar() for n in item.names] or None,
            "Layers": [f"blobs/sha256/{layer.digest[7:]}" for layer in manifest.layers],
        })
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "blobs", directory=True)
        _add(tar, "blobs/sha256", directory=True)
        for digest in blobs:
            with store.content.open(digest) as f:
                _add(tar, f"blobs/sha256/{digest[7:]}", stream=f, size=store.content.size(digest))
        _add(tar, "index.json", json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": index},
                                           separators=(",", ":")).encode())
        _add(tar, "manifest.json", json.dumps(docker, separators=(",", ":")).encode())
        _add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        if repositories:
            _add(tar, "repositories", json.dumps(repositories, separators=(",", ":")).encode())
