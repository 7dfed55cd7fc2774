"""``python -m compose``: the same as the ``pycompose`` command."""

from compose.cli.main import cli

cli()
