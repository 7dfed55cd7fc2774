"""``image load``: Docker archives (``docker save``, old and current format) and OCI image
layouts (directories or tar archives), plain or gzip/zstd/bzip2/xz compressed, with any
number of images.

An archive is read once, front to back: each file is hashed while it is copied into the
load's scratch session (so stdin works, and ``blobs/sha256/<hex>`` names are checked on
the way). Then, per image: the blobs it needs are moved into the content store, its
layers unpacked (and checked against the config's ``rootfs.diff_ids``), its record
written, and finally its names. A load killed at any point leaves either a complete
image or nothing that ``image ls`` shows; its scratch session is removed by the next
command.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from runtime.images.content import CHUNK, IngestSession
from runtime.images.errors import DigestMismatch, ImageError, InvalidReference, UnsafeArchive
from runtime.images.layers import STREAM_ERRORS, clean_name, decompressed, detect
from runtime.images.manifest import (
    ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
    OCI_CONFIG,
    OCI_LAYER,
    OCI_LAYER_GZIP,
    OCI_LAYER_ZSTD,
    Descriptor,
    Index,
    Manifest,
    Platform,
    host_platform,
    manifest_json,
    parse_document,
)
from runtime.images.records import ImageRecord
from runtime.images.reference import Reference, parse
from runtime.images.store import ImageStore

Progress = Callable[[str, int, int], None]
LAYER_MEDIA_TYPES = {"tar": OCI_LAYER, "gzip": OCI_LAYER_GZIP, "zstd": OCI_LAYER_ZSTD}


@dataclass(frozen=True)
class LoadedImage:
    record: ImageRecord
    names: tuple[Reference, ...]


@dataclass
class _File:
    path: Path
    digest: str | None  # known when the file was hashed on the way into the session
    size: int


@dataclass
class _Archive:
    """The files of an archive, by their path inside it."""

    store: ImageStore
    session: IngestSession
    files: dict[str, _File] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def find(self, name: str) -> _File:
        name = clean_name(name, "archive path")
        for _ in range(16):
            if name in self.files:
                return self.files[name]
            if name not in self.links:
                break
            name = self.links[name]
        raise ImageError(f"archive is incomplete: {name!r} is missing")

    def has(self, name: str) -> bool:
        try:
            self.find(name)
        except ImageError:
            return False
        return True

    def read(self, name: str, expected: str | None = None) -> bytes:
        f = self.find(name)
        if f.digest is not None and self.store.content.has(f.digest):
            data = self.store.content.read(f.digest)
        else:
            data = f.path.read_bytes()
        if expected is not None and "sha256:" + hashlib.sha256(data).hexdigest() != expected:
            raise DigestMismatch(f"archive entry {name}: digest mismatch (expected {expected})")
        return data

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name))
        except ValueError as exc:
            raise ImageError(f"archive entry {name}: not valid JSON ({exc})") from None

    def commit(self, name: str, expected: str | None = None) -> tuple[str, int]:
        """Move (or copy) one file into the content store; returns its digest and size."""
        f = self.find(name)
        if f.digest is None:
            with open(f.path, "rb") as src:
                info = self.store.content.ingest(self.session, src, expected)
            f.digest = info.digest
            return info.digest, info.size
        if expected is not None and f.digest != expected:
            raise DigestMismatch(f"archive entry {name}: digest mismatch (expected {expected}, content is {f.digest})")
        if not self.store.content.has(f.digest):
            self.store.content.adopt(f.path, f.digest)
        return f.digest, f.size

    def blob_name(self, digest: str) -> str:
        algo, _, hexpart = digest.partition(":")
        return f"blobs/{algo}/{hexpart}"


def _read_directory(archive: _Archive, root: Path) -> None:
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            full = Path(dirpath) / name
            if full.is_file():
                rel = full.relative_to(root).as_posix()
                archive.files[rel] = _File(full, None, full.stat().st_size)


def _read_stream(archive: _Archive, stream: BinaryIO, total: int, progress: Progress | None) -> None:
    counted = _Counting(stream, total, progress)
    try:
        plain = decompressed(counted)  # type: ignore[arg-type]
        with tarfile.open(fileobj=plain, mode="r|", errorlevel=2) as tar:  # type: ignore[call-overload]
            for member in tar:
                name = clean_name(member.name, "archive entry")
                if member.isreg():
                    archive.files[name] = _copy_member(archive, tar, member, name)
                elif member.issym():
                    archive.links[name] = clean_name(
                        posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname)),
                        "archive link")
                elif member.islnk():
                    archive.links[name] = clean_name(member.linkname, "archive link")
    except UnsafeArchive:
        raise
    except STREAM_ERRORS as exc:
        raise UnsafeArchive(f"corrupt or truncated archive ({exc or type(exc).__name__})") from None
    if progress is not None:
        progress("Reading archive", counted.done, max(total, counted.done))


def _copy_member(archive: _Archive, tar: tarfile.TarFile, member: tarfile.TarInfo, name: str) -> _File:
    src = tar.extractfile(member)
    assert src is not None
    tmp = archive.session.temp_path()
    hasher = hashlib.sha256()
    size = 0
    with open(tmp, "wb") as out:
        while True:
            chunk = src.read(CHUNK)
            if not chunk:
                break
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    if size != member.size:
        raise UnsafeArchive(f"archive entry {name} is truncated")
    digest = f"sha256:{hasher.hexdigest()}"
    parts = name.split("/")
    if len(parts) == 3 and parts[0] == "blobs" and parts[1] == "sha256" and digest != f"sha256:{parts[2]}":
        raise DigestMismatch(f"archive entry {name}: digest mismatch (content is {digest})")
    return _File(tmp, digest, size)


class _Counting:
    """Counts bytes read from the raw archive, for progress."""

    def __init__(self, raw: BinaryIO, total: int, progress: Progress | None) -> None:
        self.raw, self.total, self.progress, self.done = raw, total, progress, 0
        self._next = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.done += len(data)
        if self.progress is not None and self.done >= self._next:
            self.progress("Reading archive", self.done, max(self.total, self.done))
            self._next = self.done + (4 << 20)
        return data

    def readinto(self, buf: Any) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return False


def _names_from(values: list[str], where: str) -> list[Reference]:
    out = []
    for value in values:
        try:
            out.append(parse(value))
        except InvalidReference as exc:
            raise ImageError(f"{where}: invalid image name {value!r} ({exc})") from None
    return out


def _annotation_names(desc: Descriptor) -> list[Reference]:
    full = desc.annotations.get(ANNOTATION_IMAGE_NAME)
    if full:
        return _names_from([full], "index.json")
    ref = desc.annotations.get(ANNOTATION_REF_NAME, "")
    if ref and ("/" in ref or ":" in ref):
        try:
            return [parse(ref)]
        except InvalidReference:
            return []
    return []


def _docker_manifest_items(archive: _Archive) -> list[dict[str, Any]]:
    items = archive.json("manifest.json")
    if not isinstance(items, list):
        raise ImageError("archive entry manifest.json: not a list")
    return items


def _config_digest_of_name(name: str) -> str | None:
    base = name.rpartition("/")[2]
    hexpart = base[:-5] if base.endswith(".json") else base
    return f"sha256:{hexpart}" if len(hexpart) == 64 else None


def _load_oci(archive: _Archive, wanted: Platform) -> list[tuple[str, str, list[Reference]]]:
    """(manifest digest, target digest, names) per image of an OCI layout."""
    index = parse_document(archive.read("index.json"), "index.json")
    if not isinstance(index, Index):
        raise ImageError("archive entry index.json: not an image index")
    tags_by_config: dict[str, list[str]] = {}
    if archive.has("manifest.json"):
        for item in _docker_manifest_items(archive):
            digest = _config_digest_of_name(str(item.get("Config", "")))
            if digest:
                tags_by_config.setdefault(digest, []).extend(item.get("RepoTags") or [])
    out = []
    for desc in index.manifests:
        target = desc.digest
        digest, doc = target, parse_document(archive.read(archive.blob_name(target), target), target)
        while isinstance(doc, Index):
            child = doc.choose(wanted)
            if not archive.has(archive.blob_name(child.digest)):
                raise ImageError(f"archive has no {wanted} image for {target}")
            digest = child.digest
            doc = parse_document(archive.read(archive.blob_name(digest), digest), digest)
        names = _annotation_names(desc)
        for tag in tags_by_config.get(doc.config.digest, []):
            ref = parse(tag)
            if ref not in names:
                names.append(ref)
        if target != digest:
            archive.commit(archive.blob_name(target), target)
        _commit_manifest(archive, digest, doc)
        out.append((digest, target, names))
    return out


def _commit_manifest(archive: _Archive, digest: str, doc: Manifest) -> None:
    archive.commit(archive.blob_name(doc.config.digest), doc.config.digest)
    for layer in doc.layers:
        archive.commit(archive.blob_name(layer.digest), layer.digest)
    archive.commit(archive.blob_name(digest), digest)


def _load_docker(archive: _Archive) -> list[tuple[str, str, list[Reference]]]:
    """Docker's manifest.json: synthesise the OCI manifest Docker itself writes."""
    out = []
    for item in _docker_manifest_items(archive):
        config_name = str(item.get("Config", ""))
        config_digest, config_size = archive.commit(config_name, _config_digest_of_name(config_name))
        layers = []
        for layer_name in item.get("Layers") or []:
            digest, size = archive.commit(str(layer_name))
            with archive.store.content.open(digest) as f:
                kind = detect(f)  # type: ignore[arg-type]
            if kind not in LAYER_MEDIA_TYPES:
                raise ImageError(f"archive entry {layer_name}: unsupported layer compression {kind}")
            layers.append(Descriptor(LAYER_MEDIA_TYPES[kind], digest, size))
        raw = manifest_json(Descriptor(OCI_CONFIG, config_digest, config_size), layers)
        manifest_digest = archive.store.put_bytes(archive.session, raw)
        out.append((manifest_digest, manifest_digest, _names_from(list(item.get("RepoTags") or []), config_name)))
    return out


def load(store: ImageStore, source: Path | BinaryIO, *, platform: Platform | None = None,
         progress: Progress | None = None) -> list[LoadedImage]:
    """Load every image of an archive (a file, a directory, or a stream) into ``store``."""
    wanted = platform or host_platform()
    with store.session() as session:
        archive = _Archive(store, session)
        if isinstance(source, Path) and source.is_dir():
            _read_directory(archive, source)
        elif isinstance(source, Path):
            try:
                f = open(source, "rb")  # noqa: SIM115 (closed below)
            except OSError as exc:
                raise ImageError(f"open {source}: {(exc.strerror or str(exc)).lower()}") from None
            with f:
                _read_stream(archive, f, source.stat().st_size, progress)
        else:
            _read_stream(archive, source, 0, progress)
        if archive.has("index.json"):
            found = _load_oci(archive, wanted)
        elif archive.has("manifest.json"):
            found = _load_docker(archive)
        else:
            raise ImageError("not an image archive: it has neither index.json nor manifest.json")
        loaded = []
        for manifest_digest, target, names in found:
            manifest = store.manifest(manifest_digest)
            config = store.config_of(manifest)
            if len(config.diff_ids) != len(manifest.layers):
                raise ImageError(f"image {manifest.config.digest}: {len(manifest.layers)} layers but "
                                 f"{len(config.diff_ids)} diff IDs in its config")
            for layer, diff_id in zip(manifest.layers, config.diff_ids, strict=True):
                report = None
                if progress is not None:
                    label = f"Loading layer {diff_id[7:19]}"
                    report = lambda done, total, label=label: progress(label, done, total)  # noqa: E731
                store.unpack_blob(session, layer.digest, diff_id, f"layer {layer.digest}", report)
            record = store.register(manifest_digest, names, target)
            loaded.append(LoadedImage(record, tuple(names)))
        return loaded
