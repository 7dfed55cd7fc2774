"""Validation of compose files: the schema check of each file, and the semantic
checks of the merged project.

``validate_file(data, source)``: one file, after interpolation, before merging.
``validate_merged(data, locate)``: the merge of the files so far, not yet canonical
(what Docker Compose validates after adding each file).
``check_project(data, locate)``: the merged canonical project (references between
services, networks, volumes, secrets, configs; conflicting settings).

Both raise :class:`compose.errors.ConfigError` located at the offending node.
Importing this package is cheap: ``jsonschema`` is imported only when a document
has to be validated (and not at all when the validation cache knows it).
"""

from __future__ import annotations

from compose.validate.document import validate_file, validate_merged
from compose.validate.semantics import check_project

__all__ = ["check_project", "validate_file", "validate_merged"]
