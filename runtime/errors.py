"""The one exception hierarchy of pycompose.

Library code raises these and never prints or exits; the CLI renders them in one
place (``compose.cli.main``) as a single line and maps them to an exit code.
"""

from __future__ import annotations


class PyComposeError(Exception):
    """Root of every error pycompose reports to a user."""

    exit_code: int = 1

    def render(self) -> str:
        """The one-line message the CLI prints (without the program prefix)."""
        return str(self)


class RuntimeFailure(PyComposeError):
    """A host-side operation failed (image store, container, network, volume)."""

    def __init__(self, message: str, *, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class NotFound(RuntimeFailure):
    """A named object (image, container, network, volume) does not exist."""


class Conflict(RuntimeFailure):
    """The object exists already, or is in use."""


class InvalidState(RuntimeFailure):
    """An operation is not allowed in the object's current state."""
