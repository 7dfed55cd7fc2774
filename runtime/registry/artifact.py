"""Push and pull OCI artifacts: blobs given as bytes plus a manifest, no image store involved.

A push sends each blob the repository lacks (``HEAD`` first, then one monolithic upload), the
manifest last, as ``docker compose publish`` does for a compose application. A registry that
refuses the manifest with a client error other than an authentication one (an OCI 1.0 registry
that rejects ``artifactType`` or the empty config) raises :class:`ManifestRejected`, so the caller
can fall back to another manifest shape. A pull fetches a manifest and all of its layers, each
checked against its digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runtime.images.reference import Reference
from runtime.registry.errors import RegistryError, RegistryNotFound, RegistryProtocolError
from runtime.registry.push import PUSH, PushResult, _check, _with_digest

AUTH_STATUSES = (401, 403, 407)


class ManifestRejected(RegistryError):
    """The registry refused the manifest with a client error (4xx) not about authentication."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Artifact:
    manifest: dict[str, Any]
    manifest_digest: str
    blobs: dict[str, bytes]  # digest -> content, the config and every layer


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_artifact(client: Any, ref: Reference, blobs: Sequence[bytes], manifest: bytes, media_type: str
                  ) -> PushResult:
    """Push ``blobs`` then ``manifest`` (exact bytes) to ``ref``'s repository and tag (or digest)."""
    repo = client.repository(ref)
    tag = ref.digest or ref.tag or "latest"
    for data in dict.fromkeys(blobs):
        digest = digest_of(data)
        what = f"{ref.familiar()}: blob {digest[7:19]}"
        if repo.request("HEAD", f"blobs/{digest}", actions=PUSH).status_code == 200:
            continue
        start = _check(repo.request("POST", "blobs/uploads/", actions=PUSH, content=b""), (202,), what)
        location = start.headers.get("Location", "")
        _check(repo.request("PUT", _with_digest(location, digest), actions=PUSH, content=data,
                            headers={"Content-Type": "application/octet-stream"}), (201,), what)
    reply = repo.request("PUT", f"manifests/{tag}", actions=PUSH, content=manifest,
                         headers={"Content-Type": media_type})
    if 400 <= reply.status_code < 500 and reply.status_code not in AUTH_STATUSES:
        from runtime.registry.client import error_message

        raise ManifestRejected(f"{ref.familiar()}: manifest: {error_message(reply) or f'HTTP {reply.status_code}'}",
                               reply.status_code)
    _check(reply, (201,), f"{ref.familiar()}: manifest")
    return PushResult(tag, reply.headers.get("Docker-Content-Digest") or digest_of(manifest), len(manifest))


MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json")


INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")


def remote_digest(client: Any, ref: Reference) -> str:
    """The digest of the manifest (or index) ``ref`` names in its registry (``HEAD``)."""
    repo = client.repository(ref)
    reply = repo.request("HEAD", f"manifests/{ref.tag or 'latest'}",
                         headers={"Accept": ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))})
    if reply.status_code == 404:  # a HEAD answer has no body to name the error
        raise RegistryNotFound(f"{ref.familiar()}: no such manifest in its registry (push or pull the image "
                               "to pin its digest)")
    _check(reply, (200,), f"{ref.familiar()}: manifest")
    digest = reply.headers.get("Docker-Content-Digest", "")
    if not digest.startswith("sha256:"):
        raise RegistryProtocolError(f"{ref.familiar()}: the registry gave no manifest digest")
    return digest


def pull_artifact(client: Any, ref: Reference) -> Artifact:
    """The manifest ``ref`` names and every blob it lists (config included), verified."""
    repo = client.repository(ref)
    name = ref.digest or ref.tag or "latest"
    response = _check(repo.request("GET", f"manifests/{name}", headers={"Accept": ", ".join(MANIFEST_TYPES)}),
                      (200,), f"{ref.familiar()}: manifest")
    raw = response.content
    if ref.digest and digest_of(raw) != ref.digest:
        raise RegistryProtocolError(f"{ref.familiar()}: the manifest does not match its digest")
    try:
        manifest = json.loads(raw)
        descriptors = [manifest["config"], *manifest.get("layers", [])]
    except (ValueError, KeyError, TypeError):
        raise RegistryProtocolError(f"{ref.familiar()}: not an artifact manifest") from None
    blobs: dict[str, bytes] = {}
    for desc in descriptors:
        digest = str(desc.get("digest", ""))
        if digest in blobs:
            continue
        data = _check(repo.request("GET", f"blobs/{digest}"), (200,), f"{ref.familiar()}: blob {digest[7:19]}"
                      ).content
        if digest_of(data) != digest:
            raise RegistryProtocolError(f"{ref.familiar()}: blob {digest[7:19]} does not match its digest")
        blobs[digest] = data
    return Artifact(manifest, response.headers.get("Docker-Content-Digest") or digest_of(raw), blobs)


__all__ = ["Artifact", "ManifestRejected", "digest_of", "pull_artifact", "push_artifact", "remote_digest"]
