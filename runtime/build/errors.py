"""Errors of the builder: one line each, located in the Dockerfile when they come from it."""

from __future__ import annotations

from runtime.errors import PyComposeError


class BuildError(PyComposeError):
    """Root of the builder's errors."""


class DockerfileError(BuildError):
    """A Dockerfile that cannot be parsed or used: ``Dockerfile:12: RUN: message (hint)``."""

    def __init__(self, message: str, file: str, line: int, instruction: str = "", hint: str = "") -> None:
        self.message, self.file, self.line, self.instruction, self.hint = message, file, line, instruction, hint
        where = f"{file}:{line}" if line else file
        text = f"{where}: {instruction}: {message}" if instruction else f"{where}: {message}"
        super().__init__(f"{text} ({hint})" if hint else text)


class BuildStepFailed(BuildError):
    """A ``RUN`` step exited non-zero: the step, its exit code and the tail of its output."""

    def __init__(self, step: str, exit_code: int, output_tail: str = "") -> None:
        self.step, self.exit_code, self.output_tail = step, exit_code, output_tail
        super().__init__(f'process "{step}" did not complete successfully: exit code: {exit_code}')
