"""Profiles and service selection.

A service without ``profiles`` is always active; one with profiles is active when
one of them is enabled (``*`` enables them all). Naming services (``config web``)
also enables the profiles of those services, and limits the project to them and the
services they depend on, transitively; dependencies on services left out are
dropped from ``depends_on``. An active service that requires (``required: true``,
the default) a service that is not active is an error, as in Docker Compose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError

__all__ = ["Selection", "check_dependencies", "has_profile", "select"]

Locate = Callable[[tuple[str | int, ...]], "tuple[str, int, int] | None"]


def has_profile(service: Mapping[str, Any], profiles: Iterable[str]) -> bool:
    """Whether ``service`` is active with ``profiles`` enabled."""
    own = service.get("profiles") or []
    if not own:
        return True
    return any(p == "*" or p in own for p in profiles)


@dataclass(frozen=True)
class Selection:
    services: dict[str, Any]  # the active services, selected ones only if names were given
    disabled: dict[str, Any]
    profiles: tuple[str, ...]


def _split(services: Mapping[str, Any], profiles: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    enabled: dict[str, Any] = {}
    disabled: dict[str, Any] = {}
    for name, service in services.items():
        (enabled if has_profile(service or {}, profiles) else disabled)[name] = service
    return enabled, disabled


def _error(message: str, path: tuple[str | int, ...], locate: Locate | None) -> ConfigError:
    where = locate(path) if locate else None
    if where is None:
        return ConfigError(message)
    return ConfigError(message, file=where[0], line=where[1], column=where[2])


def check_dependencies(enabled: Mapping[str, Any], disabled: Mapping[str, Any], locate: Locate | None = None) -> None:
    """Refuse an active service that requires a service missing or not active."""
    for name, service in enabled.items():
        for dep, spec in ((service or {}).get("depends_on") or {}).items():
            if dep in enabled:
                continue
            required = not isinstance(spec, dict) or spec.get("required", True) is not False
            if dep in disabled and not required:
                continue
            raise _error(
                f'service "{name}" depends on undefined service "{dep}": invalid compose project',
                ("services", name, "depends_on", dep),
                locate,
            )


def _closure(
    names: Sequence[str], services: Mapping[str, Any], locate: Locate | None
) -> list[str]:
    """``names`` and what they depend on, transitively (missing optional ones skipped)."""
    seen: list[str] = []
    pending: list[tuple[str, bool]] = [(n, True) for n in names]
    while pending:
        name, required = pending.pop(0)
        if name in seen:
            continue
        if name not in services:
            if required:
                raise ConfigError(f"no such service: {name}")
            continue
        seen.append(name)
        for dep, spec in ((services[name] or {}).get("depends_on") or {}).items():
            needed = not isinstance(spec, dict) or spec.get("required", True) is not False
            pending.append((dep, needed))
    return seen


def select(
    services: Mapping[str, Any],
    profiles: Sequence[str],
    names: Sequence[str] = (),
    locate: Locate | None = None,
) -> Selection:
    """Apply the profiles, check dependencies, then restrict to ``names`` if given."""
    profiles = tuple(profiles)
    enabled, disabled = _split(services, profiles)
    check_dependencies(enabled, disabled, locate)
    if not names:
        return Selection(enabled, disabled, profiles)
    extra = [p for n in names if n not in enabled and n in disabled for p in (disabled[n] or {}).get("profiles") or []]
    if extra:
        profiles = (*profiles, *extra)
        enabled, disabled = _split(services, profiles)
    chosen = _closure(names, enabled, locate)
    selected: dict[str, Any] = {}
    for name in enabled:
        if name not in chosen:
            disabled[name] = enabled[name]
            continue
        service = dict(enabled[name] or {})
        if isinstance(service.get("depends_on"), dict):
            service["depends_on"] = {d: s for d, s in service["depends_on"].items() if d in chosen}
            if not service["depends_on"]:
                del service["depends_on"]
        selected[name] = service
    return Selection(selected, disabled, profiles)
