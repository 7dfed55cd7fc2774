"""Validation of compose files: the schema check of each file, and the semantic
checks of the merged project.

``validate_file(data, source)``: one file, after interpolation, before merging.
``validate_merged(data, locate)``: the merge of the files so far, not yet canonical
(what Docker Compose validates after adding each file).
``check_project(data, locate)``: the merged canonical project (references between
services, networks, volumes, secrets, configs; conflicting settings).

Both raise :class:`compose.errors.ConfigError` located at the offending node.
Importing this package is cheap: its names are imported on first use, and ``jsonschema``
only when a document has to be explained (not at all when the validation cache knows it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compose.validate.document import validate_file, validate_merged
    from compose.validate.semantics import check_project

__all__ = ["check_project", "validate_file", "validate_merged"]

# name -> module that defines it; imported on first use, so that ``compose.validate.cache``
# can be used without the YAML reader and the checks (the cached path of ``config``).
_EXPORTS = {
    "check_project": "compose.validate.semantics",
    "validate_file": "compose.validate.document",
    "validate_merged": "compose.validate.document",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
