"""Build tests run real containers: the container tests' leak check, plus nothing of a build
(scratch dirs, root filesystems of steps) left in the state root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container.conftest import cgroup_parent, containers  # noqa: F401 (fixtures)


@pytest.fixture
def builder(containers, busybox) -> Iterator[object]:  # noqa: F811
    from runtime.api.build import Builder

    b = Builder(containers.state)
    yield b
    root = Path(containers.state.root)
    left = [p for p in root.glob("build-*")] + list((root / "images" / "rootfs").glob("*"))
    assert not left, f"the build left {left}"
