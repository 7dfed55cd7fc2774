"""Reference normalisation, one row per rule, as Docker's reference library parses."""

from __future__ import annotations

import pytest

from runtime.images.errors import InvalidReference
from runtime.images.reference import parse, parse_tag

CASES = [
    ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
    ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
    ("user/app", "docker.io/user/app:latest", "user/app:latest"),
    ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
    ("localhost:5000/x/y:tag", "localhost:5000/x/y:tag", "localhost:5000/x/y:tag"),
    ("ghcr.io/o/r/deep:v1.2_3", "ghcr.io/o/r/deep:v1.2_3", "ghcr.io/o/r/deep:v1.2_3"),
    ("[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest"),
    ("busybox@sha256:" + "a" * 64, "docker.io/library/busybox@sha256:" + "a" * 64, "busybox@sha256:" + "a" * 64),
    ("a/b:t@sha256:" + "b" * 64, "docker.io/a/b:t@sha256:" + "b" * 64, "a/b:t@sha256:" + "b" * 64),
    ("my_app.x-y", "docker.io/library/my_app.x-y:latest", "my_app.x-y:latest"),
]


@pytest.mark.parametrize(("text", "full", "familiar"), CASES)
def test_normalisation(text: str, full: str, familiar: str) -> None:
    ref = parse(text)
    assert str(ref) == full
    assert ref.familiar() == familiar


@pytest.mark.parametrize("text", [
    "", "Busybox", "busybox:", "busybox:-x", "a//b", "-a/b", "busybox@sha256:abc", "a" * 64,
    "host:port/x", "busybox:" + "t" * 129,
])
def test_invalid(text: str) -> None:
    with pytest.raises(InvalidReference):
        parse(text)


def test_tag_refuses_digest() -> None:
    with pytest.raises(InvalidReference):
        parse_tag("busybox@sha256:" + "a" * 64)


@pytest.mark.parametrize(("pattern", "name", "matches"), [
    ("busybox", "busybox", True),
    ("busy*", "busybox", True),
    ("*", "user/app", False),
    ("*/*", "user/app", True),
    ("user/app:*", "user/app:1.0", True),
    ("user/app:1.?", "user/app:1.0", True),
    ("user/app:[0-9]*", "user/app:1.0", True),
    ("user/app:[^0-9]*", "user/app:1.0", False),
    ("docker.io/library/busybox", "busybox", False),  # Docker matches familiar names only
])
def test_reference_filter_patterns(pattern: str, name: str, matches: bool) -> None:
    from runtime.images.reference import match_familiar

    assert match_familiar(pattern, parse(name)) is matches
