"""The configuration hash of a service: what, when it changes, recreates its containers.

The hash is the one Docker Compose computes (``ServiceHash`` in docker/compose
``pkg/compose/hash.go``): SHA-256 of the service's canonical JSON as Go's
``json.Marshal`` writes it (struct field order, sorted map keys, no ``x-``
extensions), with the settings in :data:`EXCLUDED` removed first. Being the same
bytes, ``pycompose config --hash`` prints what ``docker compose config --hash``
prints for the same project, and a label written by one can be compared by the
other.

:func:`changed_settings` names the top-level settings that differ between two
versions of a service, for messages like ``recreating web: environment changed``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from compose.model import Service, dump
from compose.model.fields import Obj, field_for
from compose.model.render import arrange, go_json

# Settings that do not make a container different. Each is a decision, as in Docker Compose:
EXCLUDED: dict[str, str] = {
    "build": "how the image is built: a rebuild changes the image ID, which the planner compares on its own",
    "pull_policy": "when to fetch the image, not what the container is",
    "scale": "how many containers, not how each is made: scaling adds or removes, never recreates",
    "depends_on": "start order and conditions, applied by the orchestrator, not baked into a container",
    "profiles": "which services are active, not how an active one is configured",
}
EXCLUDED_NESTED: dict[tuple[str, ...], str] = {
    ("deploy", "replicas"): "the same as scale",
}

_SERVICE = Obj(Service)


def hashed_config(service: Service) -> dict[str, Any]:
    """The canonical settings the hash covers, in print order."""
    data = dump(service)
    out = {}
    for key, value in data.items():
        if key in EXCLUDED or key.startswith("x-"):
            continue
        out[key] = value
    for path in EXCLUDED_NESTED:
        parent: Any = out
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    return arrange(out, _SERVICE, yaml=False)


def service_hash(service: Service) -> str:
    """Hex SHA-256 over the hashed settings of ``service`` (Docker Compose's ``ServiceHash``)."""
    text = go_json(hashed_config(service), indent=None)
    return hashlib.sha256(text.encode()).hexdigest()


def changed_settings(old: Service, new: Service) -> tuple[str, ...]:
    """Top-level settings whose values differ, in print order (empty: same hash)."""
    a, b = hashed_config(old), hashed_config(new)
    keys = [spec_key for spec_key in _ordered_keys(a, b) if a.get(spec_key) != b.get(spec_key)]
    return tuple(keys)


def _ordered_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    seen = dict.fromkeys([*a, *b])
    known = [k for k in seen if field_for(Service, k) is not None]
    return known + sorted(k for k in seen if field_for(Service, k) is None)


def describe_changes(old: Service, new: Service) -> str:
    """``environment, ports changed`` (or ``configuration changed`` when only unknown keys moved)."""
    keys = changed_settings(old, new)
    return f"{', '.join(keys)} changed" if keys else "configuration changed"
