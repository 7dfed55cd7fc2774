"""The public API of ``compose.validate`` is pinned: other packages call exactly this."""

from __future__ import annotations

import inspect

import compose.validate as validate


def test_exports_are_pinned() -> None:
    assert sorted(validate.__all__) == ["check_project", "validate_file", "validate_merged"]


def test_signatures() -> None:
    assert list(inspect.signature(validate.validate_file).parameters) == ["data", "source"]
    assert list(inspect.signature(validate.validate_merged).parameters) == ["data", "locate"]
    assert list(inspect.signature(validate.check_project).parameters) == ["data", "locate", "disabled"]
    assert inspect.signature(validate.check_project).parameters["disabled"].default == ()
