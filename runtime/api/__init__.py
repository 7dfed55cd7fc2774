"""The one interface between ``compose`` (declarative side) and ``runtime`` (host side).

``compose`` imports from ``runtime.api`` and its submodules only, never from other
``runtime`` modules. Each submodule is a small typed facade over one runtime area.
"""

from runtime.errors import (
    Conflict,
    InvalidState,
    NotFound,
    PyComposeError,
    RuntimeFailure,
)

__all__ = ["Conflict", "InvalidState", "NotFound", "PyComposeError", "RuntimeFailure"]
