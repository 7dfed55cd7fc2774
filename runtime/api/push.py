"""Pushing images of the store to registries (``docker push``): ``push(ref)``."""

from __future__ import annotations

from collections.abc import Callable

from runtime.api.images import ImageStore
from runtime.images.reference import parse
from runtime.registry.pull import PullEvent
from runtime.registry.push import PushResult
from runtime.state import StateRoot


def push(ref: str, *, state: StateRoot | None = None, progress: Callable[[PullEvent], None] | None = None,
         config: object = None, credentials: object = None) -> PushResult:
    """Push the image ``ref`` names to the repository ``ref`` names; the tag, digest and size."""
    from runtime.registry.client import RegistryClient
    from runtime.registry.push import push as push_blobs

    store = ImageStore(state)._store
    with RegistryClient(config, credentials) as client:  # type: ignore[arg-type]
        return push_blobs(store, client, parse(ref), events=progress)


__all__ = ["PushResult", "push"]
