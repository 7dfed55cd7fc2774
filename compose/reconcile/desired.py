"""The desired state of the selected services: config hashes, image IDs, hashed settings."""

from __future__ import annotations

import json
from collections.abc import Iterable

from compose.hashing import hashed_config, service_hash
from compose.plan import Desired
from compose.project_state import ProjectState
from compose.reconcile.replica import resolve_image
from compose.reconcile.session import Session


def desired_state(session: Session, names: Iterable[str], state: ProjectState | None = None) -> Desired:
    """Hashes and image IDs of ``names``; raises when an image is not in the store.

    This is where an image pull or build will slot in: an image missing here is what the
    plan's ``image_step`` will fetch or build.
    """
    hashes, images, current, previous = {}, {}, {}, {}
    for name in sorted(names):
        service = session.project.services[name]
        hashes[name] = service_hash(service)
        images[name] = resolve_image(session, service).id
        current[name] = json.loads(json.dumps(hashed_config(service), default=str, sort_keys=True))
    if state is not None:
        for c in state.containers:
            if c.config_hash and c.config_hash not in previous:
                recalled = session.rt.recalled_config(c.config_hash)
                if recalled is not None:
                    previous[c.config_hash] = recalled
    return Desired(hashes, images, previous, current)


__all__ = ["desired_state"]
