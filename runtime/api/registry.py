"""Registries as ``compose`` sees them: pull an image by reference, with progress events.

``Registry(state).pull("mongo:7", platform="linux/arm64", progress=callback)`` returns the
:class:`~runtime.api.images.Image` that arrived; ``callback`` receives :class:`PullEvent`
values (from worker threads, one at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.api.images import Image, ImageStore
from runtime.images.manifest import Platform
from runtime.images.reference import parse
from runtime.registry.errors import (
    RegistryAuthError,
    RegistryError,
    RegistryNotFound,
    RegistryProtocolError,
    RegistryTLSError,
    RegistryUnreachable,
    UnsupportedManifest,
)
from runtime.registry.pull import PullEvent
from runtime.state import StateRoot


@dataclass(frozen=True)
class PullOutcome:
    image: Image
    reference: str  # the full name pulled: docker.io/library/busybox:latest
    familiar: str  # busybox:latest
    digest: str  # the manifest or index digest the name points at
    up_to_date: bool


class Registry:
    """Pulls into the image store of ``state``; one client (connections, tokens) per instance."""

    def __init__(self, state: StateRoot | None = None, *, config: Any = None, credentials: Any = None) -> None:
        self._images = ImageStore(state)
        self._config = config
        self._credentials = credentials
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from runtime.registry.client import RegistryClient

            self._client = RegistryClient(self._config, self._credentials)
        return self._client

    def pull_outcome(self, ref: str, *, platform: str | Platform | None = None,
                     progress: Callable[[PullEvent], None] | None = None) -> PullOutcome:
        from runtime.registry.pull import pull

        reference = parse(ref)
        wanted = Platform.parse(platform) if isinstance(platform, str) else platform
        result = pull(self._images._store, self.client, reference, platform=wanted, events=progress)
        image = self._images.resolve(result.record.id)
        return PullOutcome(image, str(reference), reference.familiar(), result.digest, result.up_to_date)

    def pull(self, ref: str, *, platform: str | Platform | None = None,
             progress: Callable[[PullEvent], None] | None = None) -> Image:
        return self.pull_outcome(ref, platform=platform, progress=progress).image

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "PullEvent",
    "PullOutcome",
    "Registry",
    "RegistryAuthError",
    "RegistryError",
    "RegistryNotFound",
    "RegistryProtocolError",
    "RegistryTLSError",
    "RegistryUnreachable",
    "UnsupportedManifest",
]
