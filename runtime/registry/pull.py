"""``pull``: a reference from a registry into the image store.

1. The manifest by tag or digest, with every media type pycompose reads in ``Accept``;
   Docker schema 1 is refused. A digest reference is verified against what arrives.
2. An index (OCI index or Docker manifest list) picks the manifest of the wanted platform
   (the host's unless ``--platform``).
3. The config blob (small, verified in memory), then per layer: nothing to do when the store
   has the layer's diff ID ("Already exists"); no download when it has the blob; otherwise the
   blob is streamed into the content store (:mod:`runtime.registry.blobs`). Downloads run in
   ``max-concurrent-downloads`` threads; each layer is unpacked as soon as its blob is in place.
4. Manifest (and index) bytes go into the store, then the image record, then the name: the
   same order as ``image load``, so a pull killed at any point leaves no half-listed image,
   and the next pull reuses every blob and layer that was finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from runtime.images.config import parse_config
from runtime.images.content import IngestSession, digest_of
from runtime.images.errors import DigestMismatch, ImageError, ImageNotFound
from runtime.images.manifest import (
    DOCKER_FOREIGN_LAYER,
    DOCKER_LAYER,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_LAYER,
    OCI_LAYER_GZIP,
    OCI_LAYER_ZSTD,
    OCI_MANIFEST,
    Descriptor,
    Index,
    Manifest,
    Platform,
    host_platform,
    parse_document,
)
from runtime.images.records import ImageRecord
from runtime.images.reference import Reference
from runtime.images.store import ImageStore
from runtime.registry.blobs import fetch_blob, fetch_small
from runtime.registry.client import RegistryClient, Repository, error_code, error_message
from runtime.registry.errors import RegistryNotFound, RegistryProtocolError, UnsupportedManifest
from runtime.registry.parallel import run_parallel

SCHEMA1_TYPES = frozenset({
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
})
ACCEPT = ", ".join([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST, *sorted(SCHEMA1_TYPES)])
MANIFEST_LIMIT = 4 << 20
NONDISTRIBUTABLE = {
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
}
LAYER_TYPES = frozenset({OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, DOCKER_LAYER, DOCKER_FOREIGN_LAYER,
                         "application/vnd.docker.image.rootfs.diff.tar", *NONDISTRIBUTABLE})


@dataclass(frozen=True)
class PullEvent:
    """One progress line of a pull, as Docker names them.

    ``id`` is the layer's short blob digest (12 hex digits), or the tag for the whole image;
    ``status`` one of "Pulling from", "Pulling fs layer", "Waiting", "Downloading",
    "Verifying Checksum", "Download complete", "Extracting", "Pull complete", "Already exists".
    """

    id: str
    status: str
    current: int = 0
    total: int = 0


@dataclass(frozen=True)
class PullResult:
    record: ImageRecord
    reference: Reference
    digest: str  # what the name points at: the index or manifest digest
    up_to_date: bool  # the name pointed at this digest already and nothing was fetched


Events = Callable[[PullEvent], None]


def short_id(digest: str) -> str:
    return digest[7:19]


def fetch_document(repo: Repository, reference: str) -> tuple[bytes, str, str]:
    """(bytes, media type, digest) of the manifest or index ``reference`` (a tag or a digest)."""
    response = repo.request("GET", f"manifests/{reference}", headers={"Accept": ACCEPT}, stream=True)
    try:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MANIFEST_LIMIT:
                raise RegistryProtocolError(f"{repo.what}: manifest larger than {MANIFEST_LIMIT} bytes")
    finally:
        response.close()
    if response.status_code != 200:
        code = error_code(response)
        detail = error_message(response)
        if code == "NAME_UNKNOWN":
            raise RegistryNotFound(f"{repo.what}: repository {repo.ref.repository} not found in the registry "
                                   f"({detail}); check the name")
        if response.status_code == 404 or code == "MANIFEST_UNKNOWN":
            raise RegistryNotFound(f"manifest for {repo.what} not found: manifest unknown; check the tag or "
                                   f"digest")
        raise RegistryProtocolError(f"{repo.what}: fetching the manifest failed: HTTP {response.status_code} "
                                    f"{detail}".rstrip())
    media = response.headers.get("content-type", "").split(";")[0].strip()
    digest = digest_of(body)
    if reference.startswith("sha256:") and digest != reference:
        raise DigestMismatch(f"{repo.what}: manifest digest mismatch: asked for {reference}, got {digest}")
    if media in SCHEMA1_TYPES or b'"schemaVersion": 1' in body[:200] or b'"schemaVersion":1' in body[:200]:
        raise UnsupportedManifest(f"{repo.what}: Docker image format v1 (manifest schema 1) is not supported; "
                                  f"push the image again with a current client")
    return body, media, digest


def _parse(body: bytes, media: str, digest: str, what: str) -> Manifest | Index:
    try:
        return parse_document(body, f"{what} ({digest})")
    except ImageError as exc:
        raise UnsupportedManifest(f"{what}: cannot pull this manifest ({media or 'no media type'}): {exc}") from None


class _Cancelled(Exception):
    """Raised in a download thread once the pull has failed elsewhere or was interrupted."""


class _Puller:
    def __init__(self, store: ImageStore, client: RegistryClient, ref: Reference, events: Events | None) -> None:
        self.store, self.client, self.ref = store, client, ref
        self.repo = client.repository(ref)
        self._events = events
        self._lock = threading.Lock()
        self.fetched = False
        self.explicit_platform = False
        self.cancelled = threading.Event()  # set when the pull fails or is interrupted: workers stop

    def emit(self, event: PullEvent) -> None:
        if self.cancelled.is_set():
            raise _Cancelled()
        if self._events is not None:
            with self._lock:
                self._events(event)

    def resolve(self, wanted: Platform) -> tuple[str, list[tuple[str, bytes]], Manifest, str]:
        """(target digest, documents to store, manifest, manifest digest)."""
        body, media, digest = fetch_document(self.repo, self.ref.digest or self.ref.tag or "latest")
        target = digest
        documents = [(digest, body)]
        doc = _parse(body, media, digest, self.repo.what)
        depth = 0
        while isinstance(doc, Index):
            depth += 1
            if depth > 4:
                raise UnsupportedManifest(f"{self.repo.what}: indexes nested too deep")
            try:
                child = doc.choose(wanted)
            except ImageNotFound:
                found = ", ".join(str(d.platform) for d in doc.manifests if d.platform) or "none"
                raise ImageNotFound(f"{self.repo.what}: no matching manifest for {wanted} in the manifest list "
                                    f"(available: {found}); pass --platform") from None
            body, media, digest = fetch_document(self.repo, child.digest)
            if digest != child.digest:
                raise DigestMismatch(f"{self.repo.what}: manifest {child.digest} digest mismatch")
            documents.append((digest, body))
            doc = _parse(body, media or child.media_type, digest, self.repo.what)
        return target, documents, doc, digest

    def layer(self, session: IngestSession, desc: Descriptor, diff_id: str) -> None:
        sid = short_id(desc.digest)
        if desc.media_type and desc.media_type not in LAYER_TYPES:
            raise UnsupportedManifest(f"{self.repo.what}: layer {desc.digest} has unsupported media type "
                                      f"{desc.media_type}")
        content = self.store.content
        if not content.has(desc.digest):
            self.emit(PullEvent(sid, "Downloading", 0, desc.size))

            def report(done: int, total: int) -> None:
                self.emit(PullEvent(sid, "Downloading", done, total))

            fetch_blob(self.repo, content, desc.digest, desc.size, report, desc.urls)
            self.fetched = True
            self.emit(PullEvent(sid, "Verifying Checksum"))
            self.emit(PullEvent(sid, "Download complete"))
        if not self.store.layers.has(diff_id):
            self.emit(PullEvent(sid, "Extracting", 0, desc.size))
            self.store.unpack_blob(session, desc.digest, diff_id, f"{self.repo.what}: layer {desc.digest}",
                                   lambda done, total: self.emit(PullEvent(sid, "Extracting", done, total)))
            self.fetched = True
        self.emit(PullEvent(sid, "Pull complete"))

    def run(self, wanted: Platform) -> PullResult:
        target, documents, manifest, manifest_digest = self.resolve(wanted)
        name = self.ref.tag or self.ref.digest or "latest"
        self.emit(PullEvent(name, f"Pulling from {self.repo.ref.path}"))
        with self.store.session() as session:
            if self.store.content.has(manifest.config.digest):
                raw_config = self.store.content.read(manifest.config.digest)
            else:
                raw_config = fetch_small(self.repo, manifest.config.digest, manifest.config.size)
                self.store.put_bytes(session, raw_config, manifest.config.digest)
                self.fetched = True
            config = parse_config(raw_config, manifest.config.digest)
            if self.explicit_platform and not wanted.matches(config.platform):
                raise ImageNotFound(f"{self.repo.what}: the image is for {config.platform}, not {wanted}; "
                                    f"pull it without --platform or name another tag")
            if len(config.diff_ids) != len(manifest.layers):
                raise ImageError(f"{self.repo.what}: {len(manifest.layers)} layers but {len(config.diff_ids)} diff "
                                 f"IDs in the image config")
            todo = []
            for desc, diff_id in zip(manifest.layers, config.diff_ids, strict=True):
                if self.store.layers.has(diff_id):
                    self.emit(PullEvent(short_id(desc.digest), "Already exists"))
                else:
                    self.emit(PullEvent(short_id(desc.digest), "Pulling fs layer"))
                    todo.append((desc, diff_id))
            for desc, _d in todo[self.client.config.max_concurrent_downloads:]:
                self.emit(PullEvent(short_id(desc.digest), "Waiting"))
            if todo:
                self._layers(session, todo)
            for digest, body in documents[::-1]:
                self.store.put_bytes(session, body, digest)
            old = self.store.records.refs().get(str(self.ref))
            names = [self.ref] if self.ref.tag is not None or self.ref.digest is not None else []
            record = self.store.register(manifest_digest, names, target)
        up_to_date = not self.fetched and old is not None and old.target == target
        return PullResult(record, self.ref, target, up_to_date)

    def _layers(self, session: IngestSession, todo: list[tuple[Descriptor, str]]) -> None:
        seen: set[str] = set()
        unique = [(d, i) for d, i in todo if not (i in seen or seen.add(i))]  # type: ignore[func-returns-value]
        run_parallel(lambda item: self.layer(session, *item), unique, self.client.config.max_concurrent_downloads,
                     self.cancelled, "pull", _Cancelled)


def pull(store: ImageStore, client: RegistryClient, ref: Reference, *, platform: Platform | None = None,
         events: Events | None = None) -> PullResult:
    """Pull ``ref`` (normalised, with a tag or a digest) into ``store``."""
    puller = _Puller(store, client, ref, events)
    puller.explicit_platform = platform is not None
    return puller.run(platform or host_platform())
