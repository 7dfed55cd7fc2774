"""Errors of the registry client: one line each, naming the reference and what to do."""

from __future__ import annotations

from runtime.errors import NotFound, RuntimeFailure


class RegistryError(RuntimeFailure):
    """Talking to a registry failed."""


class RegistryUnreachable(RegistryError):
    """No connection: unknown host, refused, timed out, dropped."""


class RegistryTLSError(RegistryError):
    """The TLS handshake failed (unknown CA, wrong name, expired certificate)."""


class RegistryProtocolError(RegistryError):
    """The server does not speak the registry API (HTML page, malformed answer)."""


class RegistryAuthError(RegistryError):
    """Unauthorized (no or wrong credentials) or denied (no access to the repository)."""


class RegistryNotFound(RegistryError, NotFound):
    """The registry has no such repository, tag, manifest or blob."""


class UnsupportedManifest(RegistryError):
    """A manifest format pycompose does not pull (Docker schema 1, unknown media types)."""


__all__ = [
    "RegistryAuthError",
    "RegistryError",
    "RegistryNotFound",
    "RegistryProtocolError",
    "RegistryTLSError",
    "RegistryUnreachable",
    "UnsupportedManifest",
]
