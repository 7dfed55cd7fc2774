"""Fixtures every test can use: a private state root, the image store, test images.

Each test that asks for ``state_root`` gets its own ``PYCOMPOSE_ROOT``/``PYCOMPOSE_RUN``
under its tmp dir; after the test, any mount left below it is removed and the test fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import images as test_images
from helpers.mounts import unmount_all

from runtime.state import StateRoot

# Property tests must not depend on the machine being idle: no deadline per example and no
# "input generation is slow" health check (a loaded CI machine slows generation, not the code).
try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("pycompose", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("pycompose")
except ImportError:  # the property tests skip themselves then
    pass


@pytest.fixture
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    state = StateRoot(tmp_path / "state", tmp_path / "run")
    monkeypatch.setenv("PYCOMPOSE_ROOT", os.fspath(state.root))
    monkeypatch.setenv("PYCOMPOSE_RUN", os.fspath(state.run))
    yield state
    left = unmount_all(tmp_path)
    if left:
        pytest.fail(f"the test left mounts behind: {left}")


@pytest.fixture
def image_store(state_root: StateRoot):
    from runtime.api.images import ImageStore

    return ImageStore(state_root)


@pytest.fixture(scope="session")
def busybox_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``docker save`` archive (current format) of the three-layer busybox test image."""
    if not test_images.busybox_available():
        pytest.skip("busybox-static is not installed")
    path = tmp_path_factory.mktemp("images") / "busybox.tar"
    return test_images.write_archive(path, [test_images.busybox_image()])


@pytest.fixture
def busybox(image_store, busybox_archive: Path):
    """The busybox test image, loaded into this test's store as ``busybox:latest``."""
    image_store.load(busybox_archive)
    return image_store.resolve("busybox:latest")


@pytest.fixture(scope="session")
def debian_rootfs_tar() -> Path:
    """A Debian rootfs tarball (mmdebstrap, cached per machine)."""
    path = test_images.debian_rootfs()
    if path is None:
        pytest.skip("mmdebstrap is missing or no Debian mirror is reachable")
    return path


@pytest.fixture
def debian(image_store, debian_rootfs_tar: Path):
    """The Debian test image, imported into this test's store as ``debian:test``."""
    image_store.import_rootfs(debian_rootfs_tar, "debian:test")
    return image_store.resolve("debian:test")


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep the validation cache of the whole run (and of the CLIs it starts) out of ~/.cache."""
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("PYCOMPOSE_CACHE")
    os.environ["PYCOMPOSE_CACHE"] = os.fspath(path)
    yield path
    if old is None:
        os.environ.pop("PYCOMPOSE_CACHE", None)
    else:
        os.environ["PYCOMPOSE_CACHE"] = old
