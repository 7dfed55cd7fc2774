"""``container commit`` and ``container export`` end to end, through the CLI as a user runs it."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from tests.container.conftest import cgroup_parent, containers  # noqa: F401  (fixtures)
from tests.container.container_helpers import cli, inspect

pytestmark = pytest.mark.integration


def ok(*args: str) -> str:
    done = cli(*args)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def image(ref: str) -> dict:
    return json.loads(ok("image", "inspect", ref))[0]


def test_commit_of_a_running_busybox(containers, busybox, image_store) -> None:  # noqa: F811
    ok("container", "run", "-d", "--name", "box", "-e", "MINE=1", "busybox", "sleep", "1000")
    ok("container", "exec", "box", "sh", "-c", "touch /x; echo data > /tmp/f; rm /etc/motd")
    out = ok("container", "commit", "-a", "Ann <ann@example.com>", "-m", "added x", "box", "snap:1")
    image_id = out.strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71
    assert inspect("box")["State"]["Status"] == "running", "unpaused after the commit"
    info = image("snap:1")
    assert info["Id"] == image_id and info["Author"] == "Ann <ann@example.com>" and info["Comment"] == "added x"
    assert info["Config"]["Cmd"] == ["sleep", "1000"]  # the container's own command, as docker commit
    assert "MINE=1" in info["Config"]["Env"] and not any(e.startswith("HOSTNAME=") for e in info["Config"]["Env"])
    assert len(info["RootFS"]["Layers"]) == len(busybox.layers) + 1
    history = ok("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", "snap:1")
    assert history.splitlines()[0] == "sleep 1000|added x"
    # the new layer holds the changes and not the mount points the runtime made
    new_layer = image_store._store.layers.diff(info["RootFS"]["Layers"][-1])
    assert (new_layer / "x").is_file() and (new_layer / "tmp/f").read_text() == "data\n"
    assert not (new_layer / "etc/hosts").exists() and not (new_layer / "etc/resolv.conf").exists()
    assert not (new_layer / "etc/hostname").exists()
    run = cli("container", "run", "--rm", "snap:1", "sh", "-c", "ls /x && cat /tmp/f && ls /etc/motd")
    assert run.stdout.decode().splitlines()[:2] == ["/x", "data"] and run.returncode != 0, "motd is deleted"
    ok("container", "rm", "-f", "box")


def test_commit_changes_no_pause_and_name_less(containers, busybox) -> None:  # noqa: F811
    ok("container", "run", "-d", "--name", "box2", "busybox", "sleep", "1000")
    image_id = ok("container", "commit", "--pause=false",
                  "-c", 'CMD ["cat", "/etc/motd"]', "-c", "ENV A=1 B=two", "-c", "EXPOSE 8080/udp 80",
                  "-c", "LABEL team=web", "-c", "WORKDIR /srv", "-c", "USER nobody", "-c", "VOLUME /data",
                  "-c", "STOPSIGNAL SIGINT", "-c", "ENTRYPOINT []", "box2").strip()
    cfg = image(image_id)["Config"]
    assert cfg["Cmd"] == ["cat", "/etc/motd"] and cfg["Entrypoint"] == []
    assert "A=1" in cfg["Env"] and "B=two" in cfg["Env"]
    assert set(cfg["ExposedPorts"]) == {"8080/udp", "80/tcp"} and cfg["Labels"] == {"team": "web"}
    assert (cfg["WorkingDir"], cfg["User"], cfg["StopSignal"]) == ("/srv", "nobody", "SIGINT")
    assert list(cfg["Volumes"]) == ["/data"]
    assert image(image_id)["RepoTags"] == []
    assert ok("container", "run", "--rm", "-u", "0", image_id) == "hello\n"
    bad = cli("container", "commit", "-c", "RUN true", "box2")
    assert bad.returncode != 0 and b"RUN is not a valid change command" in bad.stderr
    assert b"Traceback" not in bad.stderr
    ok("container", "rm", "-f", "box2")


def test_commit_with_p_before_the_container(containers, busybox) -> None:  # noqa: F811
    ok("container", "create", "--name", "idle", "busybox", "sh", "-c", "echo idle")
    image_id = ok("container", "commit", "-p", "idle", "idle:img").strip()
    assert image("idle:img")["Id"] == image_id
    ok("container", "rm", "idle")


def _export(*args: str) -> dict[str, tarfile.TarInfo | bytes]:
    done = cli("container", "export", *args)
    assert done.returncode == 0, done.stderr.decode()
    out: dict[str, tarfile.TarInfo | bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        for m in tar:
            out[m.name] = tar.extractfile(m).read() if m.isreg() else m  # type: ignore[union-attr]
    return out


def _content(files: dict[str, tarfile.TarInfo | bytes], name: str) -> bytes:
    entry = files[name]
    if isinstance(entry, tarfile.TarInfo):
        assert entry.islnk(), name
        return _content(files, entry.linkname)
    return entry


def test_export_running_and_stopped(containers, busybox, image_store, tmp_path) -> None:  # noqa: F811
    from tests.helpers.images import BUSYBOX

    ok("container", "run", "-d", "--name", "ex", "busybox", "sleep", "1000")
    ok("container", "exec", "ex", "sh", "-c", "echo hi > /root/note; rm /data/new.txt")
    files = _export("ex")
    assert files["root/note"] == b"hi\n" and _content(files, "bin/busybox") == BUSYBOX.read_bytes()
    assert files["etc/motd"] == b"hello\n" and "tmp/gone.txt" not in files and "data/new.txt" not in files
    assert "data/old.txt" not in files, "the opaque dir of the image hides the base layer"
    links = {name: m.linkname for name, m in files.items() if isinstance(m, tarfile.TarInfo) and m.islnk()}
    assert links["bin/sh"] == links["bin/busybox"] == "bin/[", "hard links kept, the first name holds the content"
    assert not any(name.rpartition("/")[2].startswith(".wh.") for name in files)
    ok("container", "stop", "-t", "0", "ex")
    cid = inspect("ex")["Id"]
    image_store.unmount_rootfs(cid)  # as after a reboot: export mounts it, then unmounts it again
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dest = out_dir / "fs.tar"
    ok("container", "export", "-o", str(dest), "ex")
    with tarfile.open(dest) as tar:
        assert tar.extractfile("root/note").read() == b"hi\n"  # type: ignore[union-attr]
    assert not image_store._store.rootfs.is_mounted(cid)
    missing = cli("container", "export", "-o", str(out_dir / "no.tar"), "nosuch")
    assert missing.returncode != 0 and b"Traceback" not in missing.stderr
    assert [p.name for p in out_dir.iterdir()] == ["fs.tar"], "nothing half-written"
    ok("container", "rm", "ex")
