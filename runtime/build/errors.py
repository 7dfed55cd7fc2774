"""Errors of the image builder, all under :class:`runtime.errors.PyComposeError`."""

from __future__ import annotations

from runtime.errors import PyComposeError


class BuildError(PyComposeError):
    """Root of every error the builder reports."""


class DockerfileError(BuildError):
    """A Dockerfile cannot be parsed or expanded.

    Renders as one line: ``Dockerfile:12: RUN: message (hint)``.
    """

    def __init__(
        self, message: str, file: str, line: int, instruction: str = "", hint: str = ""
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.instruction = instruction
        self.hint = hint
        where = f"{file}:{line}" if line else file
        text = f"{where}: {instruction.upper()}: {message}" if instruction else f"{where}: {message}"
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


class BuildStepFailed(BuildError):
    """A build step (a RUN) failed: the step text, its exit code and the tail of its output."""

    def __init__(self, step: str, exit_code: int, output_tail: str = "") -> None:
        # ``step_exit_code``: the step's own status (the CLI exits 1, as ``docker build`` does)
        self.step, self.step_exit_code, self.output_tail = step, exit_code, output_tail
        super().__init__(f'process "{step}" did not complete successfully: exit code: {exit_code}')
