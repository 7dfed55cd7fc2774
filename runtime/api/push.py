"""Pushing images of the store to registries (``docker push``): ``push(ref)``; OCI artifacts made
of given bytes (``docker compose publish``): ``push_artifact``; and reading one back: ``pull_artifact``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runtime.api.images import ImageStore
from runtime.images.reference import parse
from runtime.registry.artifact import Artifact, ManifestRejected
from runtime.registry.pull import PullEvent
from runtime.registry.push import PushResult
from runtime.state import StateRoot


def push(ref: str, *, state: StateRoot | None = None, progress: Callable[[PullEvent], None] | None = None,
         config: object = None, credentials: object = None, source: str | None = None) -> PushResult:
    """Push the image ``ref`` names to the repository ``ref`` names; the tag, digest and size.
    With ``source``, that image goes to the repository of ``ref`` under its manifest digest."""
    from runtime.registry.client import RegistryClient
    from runtime.registry.push import push as push_blobs

    store = ImageStore(state)._store
    with RegistryClient(config, credentials) as client:  # type: ignore[arg-type]
        return push_blobs(store, client, parse(ref), events=progress, source=source)


def manifest_media_type(ref: str, *, state: StateRoot | None = None) -> str:
    """The media type of the manifest the store holds for the image ``ref`` names."""
    store = ImageStore(state)._store
    return store.manifest(store.resolve(ref).manifest).media_type


def push_artifact(ref: str, blobs: Sequence[bytes], manifest: bytes, media_type: str, *, config: object = None,
                  credentials: object = None) -> PushResult:
    """Push ``blobs`` (config and layers, as bytes) then ``manifest`` to the repository and tag ``ref``
    names. A manifest refused with a non-authentication client error raises ``ManifestRejected``."""
    from runtime.registry.artifact import push_artifact as push_bytes
    from runtime.registry.client import RegistryClient

    with RegistryClient(config, credentials) as client:  # type: ignore[arg-type]
        return push_bytes(client, parse(ref), blobs, manifest, media_type)


def pinned(ref: str, *, state: StateRoot | None = None, config: object = None, credentials: object = None) -> str:
    """``ref`` with the digest of its manifest: ``host/name:tag@sha256:…``. The digest is the one
    the image has in that repository when the store knows it (pulled from or pushed there), else
    its stored manifest's, else the registry's answer."""
    reference = parse(ref)
    if reference.digest:
        return str(reference)
    digest = ImageStore(state).manifest_digest(str(reference), reference.repository)
    if digest is not None:
        return f"{reference}@{digest}"
    from runtime.registry.artifact import remote_digest
    from runtime.registry.client import RegistryClient

    with RegistryClient(config, credentials) as client:  # type: ignore[arg-type]
        return f"{reference}@{remote_digest(client, reference)}"


def pull_artifact(ref: str, *, config: object = None, credentials: object = None) -> Artifact:
    """The manifest ``ref`` names and all of its blobs, each verified against its digest."""
    from runtime.registry.artifact import pull_artifact as pull_bytes
    from runtime.registry.client import RegistryClient

    with RegistryClient(config, credentials) as client:  # type: ignore[arg-type]
        return pull_bytes(client, parse(ref))


__all__ = ["Artifact", "ManifestRejected", "PushResult", "manifest_media_type", "pinned", "pull_artifact", "push",
           "push_artifact"]
