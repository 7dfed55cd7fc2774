"""Push an image of the store to a registry, as ``docker push`` does.

Blobs first (the config and every layer, up to ``max-concurrent-uploads`` at a time), the
manifest last, so that a registry never holds a manifest whose content is missing: a blob the
repository already has (``HEAD``) is skipped ("Layer already exists"); one another repository
of the same registry holds (the image was pulled from or pushed to it) is mounted across
(``POST ?mount=&from=``, "Mounted from"); a new one is uploaded in one ``PUT`` when small, else
in ``PATCH`` chunks closed by a ``PUT ?digest=``. The manifest is sent as the exact bytes
stored, so the digest the registry reports is the image's own (``<tag>: digest: sha256:… size: N``).

A layer whose blob the store does not have (the pull found its diff ID already unpacked, from
another image's blob, and skipped the download) is fetched back, verified, from a registry the
image came from before it is uploaded; only when none of them has it is the push refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from runtime.images.reference import Reference
from runtime.registry.errors import RegistryError
from runtime.registry.parallel import run_parallel
from runtime.registry.pull import PullEvent, short_id

MONOLITHIC_MAX = 8 * 1024 * 1024
CHUNK = 8 * 1024 * 1024
PUSH = ("pull", "push")


@dataclass(frozen=True)
class PushResult:
    tag: str
    digest: str
    size: int


def _check(response: Any, expected: tuple[int, ...], what: str) -> Any:
    if response.status_code not in expected:
        from runtime.registry.client import error_message

        detail = error_message(response) or f"HTTP {response.status_code}"
        raise RegistryError(f"{what}: {detail}")
    return response


def _with_digest(location: str, digest: str) -> str:
    return f"{location}{'&' if '?' in location else '?'}digest={digest}"


def _chunks(path: Any, start: int, size: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        left = size
        while left > 0:
            data = f.read(min(1 << 20, left))
            if not data:
                return
            left -= len(data)
            yield data


def _upload(repo: Any, store: Any, digest: str, size: int, what: str, stop: threading.Event) -> None:
    start = _check(repo.request("POST", "blobs/uploads/", actions=PUSH, content=b""), (202,), what)
    location = start.headers.get("Location", "")
    path = store.content.path(digest)
    if size <= MONOLITHIC_MAX:
        data = path.read_bytes()
        _check(repo.request("PUT", _with_digest(location, digest), actions=PUSH, content=data,
                            headers={"Content-Type": "application/octet-stream"}), (201,), what)
        return
    offset = 0
    while offset < size:
        if stop.is_set():
            raise RegistryError(f"{what}: upload stopped: the push failed or was interrupted")
        n = min(CHUNK, size - offset)
        reply = _check(repo.request("PATCH", location, actions=PUSH, content=_chunks(path, offset, n),
                                    headers={"Content-Type": "application/octet-stream",
                                             "Content-Range": f"{offset}-{offset + n - 1}",
                                             "Content-Length": str(n)}), (202,), what)
        location = reply.headers.get("Location", location)
        offset += n
    _check(repo.request("PUT", _with_digest(location, digest), actions=PUSH, content=b""), (201,), what)


def _fetch_missing(store: Any, client: Any, origins: list[Reference], desc: Any, what: str) -> None:
    """A blob the store keeps unpacked only, downloaded (and verified) from a repository the
    image was pulled from, so that it can be uploaded as the manifest names it."""
    from runtime.errors import PyComposeError
    from runtime.registry.blobs import fetch_blob

    failures = []
    for origin in origins:
        try:
            fetch_blob(client.repository(origin), store.content, desc.digest, desc.size, None, desc.urls)
            return
        except PyComposeError as exc:
            failures.append(f"{origin.domain}/{origin.path}: {exc}")
    tried = f" and could not be fetched again ({'; '.join(failures)})" if failures else ""
    raise RegistryError(f"{what}: the store keeps this layer unpacked only (it was already present when the image "
                        f"was pulled or loaded){tried}: pull the image again where its registry is reachable, "
                        "load it from an archive that has the layer, or rebuild it here")


def push(store: Any, client: Any, ref: Reference, *, events: Callable[[PullEvent], None] | None = None,
         source: str | None = None) -> PushResult:
    """Push the image named ``ref`` (its manifest for this host's platform) to ``ref``'s repository;
    with ``source``, that image of the store instead, under its manifest digest (no tag)."""
    emit = events or (lambda _e: None)
    record = store.resolve(source or str(ref))
    manifest_raw = store.content.read(record.manifest)
    manifest = store.manifest(record.manifest)
    repo = client.repository(ref)
    tag = record.manifest if source else ref.tag or (ref.digest or "latest")
    emit(PullEvent(ref.familiar_repository if hasattr(ref, "familiar_repository") else repo.name,
                   "The push refers to repository", 0, 0))
    # repositories of the same registry that already hold this image: blobs are mounted from them
    mount_from = [r.path for r in store.repo_digests(record.id) if r.domain == ref.domain] + \
        [r.path for r in store.tags_of(record.id) if r.domain == ref.domain]
    blobs = [manifest.config, *manifest.layers]
    origins = store.repo_digests(record.id)  # where a blob the store lacks can be fetched again
    lock = threading.Lock()
    stop = threading.Event()  # set once the push has failed or was interrupted

    def report(event: PullEvent) -> None:
        with lock:
            emit(event)

    def send(desc: Any) -> None:
        short = short_id(desc.digest)
        layer = desc is not manifest.config
        head = repo.request("HEAD", f"blobs/{desc.digest}", actions=PUSH)
        if head.status_code == 200:
            if layer:
                report(PullEvent(short, "Layer already exists", 0, 0))
            return
        source = next((m for m in mount_from if m != repo.name), None)
        if source is not None:
            mounted = repo.request("POST", f"blobs/uploads/?mount={desc.digest}&from={source}", actions=PUSH,
                                   content=b"")
            if mounted.status_code == 201:
                if layer:
                    report(PullEvent(short, f"Mounted from {source}", desc.size, desc.size))
                return
            location = mounted.headers.get("Location")
            if mounted.status_code == 202 and location:  # the registry started a plain upload instead
                repo.request("DELETE", location, actions=PUSH)
        if not store.content.has(desc.digest):
            _fetch_missing(store, client, origins, desc, f"{ref.familiar()}: blob {short}")
        if layer:
            report(PullEvent(short, "Preparing", 0, desc.size))
        _upload(repo, store, desc.digest, desc.size, f"{ref.familiar()}: blob {short}", stop)
        if layer:
            report(PullEvent(short, "Pushed", desc.size, desc.size))

    # every blob before the manifest; up to max-concurrent-uploads at once, the first failure wins
    run_parallel(send, blobs[::-1], client.config.max_concurrent_uploads, stop, "push")
    reply = _check(repo.request("PUT", f"manifests/{tag}", actions=PUSH, content=manifest_raw,
                                headers={"Content-Type": manifest.media_type}), (201,),
                   f"{ref.familiar()}: manifest")
    digest = reply.headers.get("Docker-Content-Digest") or record.manifest
    return PushResult(tag, digest, len(manifest_raw))
