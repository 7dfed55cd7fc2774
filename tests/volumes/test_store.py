"""The local volume store and its facade, on a private state root (no containers needed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime.api import NotFound, RuntimeFailure
from runtime.api.volumes import ANONYMOUS_LABEL, Volumes
from runtime.state import StateRoot


@pytest.fixture
def vols(tmp_path: Path) -> Volumes:
    return Volumes(StateRoot(tmp_path / "root", tmp_path / "run"))


def test_ensure_is_idempotent_and_keeps_the_first_definition(vols: Volumes) -> None:
    record, made = vols.ensure("data", labels={"a": "1"})
    assert made and record.labels == {"a": "1"}
    again, made = vols.ensure("data", labels={"a": "2"})
    assert not made and again.labels == {"a": "1"}
    assert vols.mount_source("data") == vols.store.data_dir("data") and vols.mount_source("data").is_dir()
    assert [r.name for r in vols.list()] == ["data"]


@pytest.mark.parametrize("name", ["a", "-x", "has/slash", "sp ace"])
def test_invalid_names_are_refused(vols: Volumes, name: str) -> None:
    with pytest.raises(RuntimeFailure, match="invalid volume name"):
        vols.create(name)


def test_unknown_driver_and_options_are_refused(vols: Volumes) -> None:
    with pytest.raises(RuntimeFailure, match="not supported"):
        vols.create("v1", driver="nfs")
    with pytest.raises(RuntimeFailure, match="invalid option key"):
        vols.create("v2", options={"color": "red"})


def test_populate_copies_an_image_directory_once_with_owners_and_modes(vols: Volumes, tmp_path: Path) -> None:
    src = tmp_path / "image" / "data"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f").write_text("x")
    os.chmod(src / "sub" / "f", 0o640)
    os.symlink("sub/f", src / "link")
    if os.geteuid() == 0:
        os.chown(src / "sub" / "f", 1234, 5678)
    vols.create("data")
    assert vols.populate("data", src)
    dest = vols.mount_source("data")
    assert (dest / "sub" / "f").read_text() == "x"
    assert (dest / "sub" / "f").stat().st_mode & 0o777 == 0o640
    assert os.readlink(dest / "link") == "sub/f"
    if os.geteuid() == 0:
        assert ((dest / "sub" / "f").stat().st_uid, (dest / "sub" / "f").stat().st_gid) == (1234, 5678)
    (src / "later").write_text("y")
    assert not vols.populate("data", src)  # not empty any more: never copied twice
    assert not (dest / "later").exists()


def test_bind_driver_options_use_the_device_directory(vols: Volumes, tmp_path: Path) -> None:
    device = tmp_path / "dev"
    device.mkdir()
    vols.create("bound", options={"type": "none", "o": "bind", "device": str(device)})
    assert vols.mount_source("bound") == device
    assert vols.name_of(str(device)) == "bound"
    vols.create("missing", options={"type": "none", "o": "bind", "device": str(tmp_path / "nope")})
    with pytest.raises(RuntimeFailure, match="no such directory"):
        vols.mount_source("missing")


def test_remove_inspect_and_prune(vols: Volumes) -> None:
    vols.create("named")
    anon = vols.new_anonymous({"x": "y"})
    assert anon.anonymous and ANONYMOUS_LABEL in anon.labels and len(anon.name) == 64
    info = vols.inspect("named")
    assert info["Name"] == "named" and info["Driver"] == "local" and info["Scope"] == "local"
    assert vols.name_of(info["Mountpoint"]) == "named"
    removed, _ = vols.prune()
    assert removed == [anon.name]
    removed, _ = vols.prune(all_volumes=True, labels=("nothing",))
    assert removed == []
    vols.remove("named")
    with pytest.raises(NotFound):
        vols.remove("named")
