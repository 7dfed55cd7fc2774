"""Errors of the declarative side: loading, validating and planning a project."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runtime.api import PyComposeError

__all__ = [
    "ConfigError",
    "CycleError",
    "InterpolationError",
    "PyComposeError",
    "UsageError",
    "format_path",
]


def format_path(path: Sequence[str | int]) -> str:
    """``("services", "web", "ports", 0)`` -> ``services.web.ports[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out


class ConfigError(PyComposeError):
    """Something is wrong in a compose file or in the options that select it.

    Rendered as ``FILE:LINE:COL: PATH: MESSAGE (did you mean 'X'?)`` with the parts
    that are known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: Sequence[str | int] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = tuple(path) if path is not None else None
        self.hint = hint

    def render(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        if self.path:
            where += format_path(self.path) + ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def __str__(self) -> str:
        return self.render()

    def located(self, locate: Callable[[tuple[str | int, ...]], tuple[str, int, int] | None]) -> ConfigError:
        """This error with the file, line and column of its path, when it has none yet."""
        if self.file is not None or not self.path:
            return self
        where = locate(self.path)
        if where is None:
            return self
        import copy

        out = copy.copy(self)
        out.file, out.line, out.column = where
        return out


class InterpolationError(ConfigError):
    """A ``${VAR:?message}`` was unset, or a ``$`` expression is malformed."""


class CycleError(ConfigError):
    """Services depend on each other in a cycle; ``trail`` names it in order."""

    def __init__(self, trail: Sequence[str], **where: object) -> None:
        self.trail = tuple(trail)
        super().__init__(
            "dependency cycle: " + " -> ".join(self.trail), **where  # type: ignore[arg-type]
        )


class UsageError(PyComposeError):
    """The command line itself is wrong (unknown flag, missing argument)."""

    exit_code = 1
