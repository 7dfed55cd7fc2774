"""Parity with BuildKit: a corpus of Dockerfiles built by ``pycompose image build`` and by Docker's
BuildKit (Debian's Engine 20.10 with ``DOCKER_BUILDKIT=1``), compared file tree against file tree
(paths, types, modes, owners, contents, symlink targets, what whiteouts removed) and image config
against image config, field by field, history included.

Docker is only this test's optional oracle: without ``dockerd`` the test is skipped (pycompose
never needs it). Both builders start from the same base: one flat busybox tree imported into each
(``image import``/``docker import``), so neither looks for a registry. Engine 20.10's built-in
Dockerfile frontend is the oracle's limit: the corpus holds what it understands (no heredocs, no
``COPY --chmod``/``--link``/``--parents``/``--exclude``); those are covered by the builder's own
tests. Timestamps are not compared (BuildKit 0.8 writes the build's time into both).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE = "parity-base:1"

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("dockerd") is None, reason="the optional oracle: docker.io")]

# name -> (Dockerfile, context files: path -> (content, mode))
CORPUS: dict[str, tuple[str, dict[str, tuple[str, int]]]] = {
    "config-instructions": ("""\
FROM parity-base:1
ARG VERSION=1.2
ENV APP_HOME=/srv/app PATH=/srv/app/bin:$PATH
ENV GREETING="hello world" EMPTY=
LABEL org.example.version=$VERSION "multi word"="a b"
WORKDIR $APP_HOME
WORKDIR sub
USER 1000:1000
EXPOSE 8080 53/udp
EXPOSE 9000/tcp
VOLUME /data /cache
VOLUME ["/json form"]
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=4 CMD wget -q -O- localhost:8080 || exit 1
SHELL ["/bin/sh", "-ec"]
ONBUILD RUN echo child
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo $GREETING"]
""", {}),
    "run-changes-and-whiteouts": ("""\
FROM parity-base:1
RUN mkdir -p /opt/a/b && echo one > /opt/a/b/f && ln -s b/f /opt/a/link && ln /opt/a/b/f /opt/a/hard
RUN rm -rf /opt/a/b && mkdir /opt/a/b && echo two > /opt/a/b/g
RUN rm /etc/motd /etc/passwd && rm -rf /data && mkdir /data && echo new > /data/only
RUN chmod 4755 /opt/a/b/g && chown 12:34 /opt/a/b && mkdir -m 1777 /scratch
RUN touch /opt/a/b/g && id -u > /uid-without-passwd
WORKDIR /etc
WORKDIR /made/here
USER 1000
WORKDIR /owned/by/user
""", {}),
    "copy-and-add": ("""\
FROM parity-base:1
COPY a.txt /dst/
COPY dir /dst/dir
COPY dir/ /dst/flat/
COPY *.txt /dst/glob/
COPY --chown=7:8 a.txt /dst/owned.txt
COPY --chown=1000 dir /dst/owned-dir
ADD layer.tar /dst/unpacked/
ADD a.txt /dst/added-file
COPY exec.sh /usr/local/bin/
WORKDIR /dst/relative
COPY a.txt .
COPY a.txt b.txt ./both/
""", {"a.txt": ("alpha\n", 0o644), "b.txt": ("beta\n", 0o600), "dir/x": ("x\n", 0o640),
      "dir/deep/y": ("y\n", 0o755), "exec.sh": ("#!/bin/sh\necho hi\n", 0o755)}),
    "dockerignore": ("""\
FROM parity-base:1
COPY . /ctx/
""", {".dockerignore": ("*.log\n**/tmp\n!keep.log\nsecret/\nDockerfile\n", 0o644),
      "keep.log": ("kept\n", 0o644), "drop.log": ("dropped\n", 0o644), "src/tmp/t": ("t\n", 0o644),
      "src/main.c": ("int main;\n", 0o644), "secret/key": ("k\n", 0o600), "nested/a.log": ("n\n", 0o644)}),
    "multi-stage-scratch": ("""\
FROM parity-base:1 AS build
WORKDIR /src
COPY main.txt .
RUN sort main.txt > sorted && md5sum sorted > /artefact
FROM parity-base:1 AS unused
RUN false
FROM scratch
COPY --from=build /bin/busybox /bin/busybox
COPY --from=build /artefact /src/sorted /out/
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "/out/artefact"]
""", {"main.txt": ("b\na\nc\n", 0o644)}),
    "args-and-substitution": ("""\
ARG BASE=parity-base:1
FROM $BASE
ARG NAME=default
ARG UNSET
ARG OVERRIDDEN=file
ENV A=${NAME:-x} B=${UNSET:-fallback} C=${NAME:+set} D=${UNSET:+never} E=\\$NAME F='$NAME' G="$NAME"
RUN echo "$A $B $C $D $E $F $G $OVERRIDDEN $UNSET" > /args && env | sort | grep -v HOSTNAME > /env
LABEL from.arg=$NAME
""", {}),
    "forms-and-directives": ("""\
# escape=`
ARG TAG=1
FROM parity-base:${TAG}
MAINTAINER someone <someone@example.com>
ENV OLD form with spaces
ARG TAG
SHELL ["/bin/sh", "-xc"]
RUN echo "tag=$TAG" > /shell-form `
    && echo continued >> /shell-form
RUN ["/bin/sh", "-c", "echo exec-form > /exec-form"]
ENTRYPOINT echo shell entrypoint
HEALTHCHECK NONE
CMD ["ignored"]
""", {}),
    "symlinks-and-stages": ("""\
FROM parity-base:1 AS first
RUN mkdir -p /tree/sub && echo a > /tree/sub/a && ln -s sub/a /tree/link && ln -s /nowhere /tree/dangling
FROM parity-base:1
COPY --from=first /tree /copied
COPY --from=first --chown=5:6 /tree/link /one-link
COPY link-in-context /from-context
COPY --from=0 /tree/sub/ /flat/
""", {"target.txt": ("t\n", 0o644)}),
    "run-mounts": ("""\
FROM parity-base:1
RUN --mount=type=cache,target=/var/cache/x echo cached > /var/cache/x/f && ls /var/cache/x > /seen
RUN --mount=type=tmpfs,target=/t echo gone > /t/f && test ! -e /t2
RUN --mount=type=bind,source=in.txt,target=/in.txt cp /in.txt /copied
RUN --mount=type=bind,from=parity-base:1,source=/etc,target=/base-etc cp /base-etc/passwd /passwd-copy
RUN --mount=type=bind,rw,target=/w echo scribble > /w/in.txt && cat /w/in.txt > /rw-seen
""", {"in.txt": ("bound\n", 0o644)}),
}

CONTENTS: dict[str, bytes] = {}  # small files' bytes by their hash, for the failure messages
CONFIG_FIELDS = ("User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "OnBuild",
                 "StopSignal", "Healthcheck", "Shell")


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, f"{' '.join(cmd[:5])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def builders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], dict[str, str], Any]]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from docker_engine import DockerEngine, DockerUnavailable, unmount_under

    from runtime.linux import cgroups
    from runtime.state import StateRoot
    from tests.container.conftest import stop_server
    from tests.helpers import images

    work = tmp_path_factory.mktemp("parity")
    parent = f"pycompose-parity-{os.getpid()}"
    env = dict(os.environ, PYCOMPOSE_ROOT=str(work / "root"), PYCOMPOSE_RUN=str(work / "run"),
               PYCOMPOSE_CGROUP_PARENT=parent)
    pc = [sys.executable, "-m", "compose"]
    docker = None
    try:
        archive = images.write_archive(work / "busybox.tar", [images.busybox_image()])
        _run([*pc, "image", "load", "-i", str(archive)], env)
        cid = _run([*pc, "container", "create", "busybox", "true"], env).stdout.strip()
        _run([*pc, "container", "export", "-o", str(work / "flat.tar"), cid], env)
        _run([*pc, "container", "rm", cid], env)
        _run([*pc, "image", "import", "--change", 'CMD ["sh"]', str(work / "flat.tar"), BASE], env)
        try:
            docker = DockerEngine(work).__enter__()
        except DockerUnavailable as exc:
            pytest.skip(f"the oracle does not start here: {exc}")
        docker.import_rootfs(work / "flat.tar", BASE)
        yield pc, env, docker
    finally:
        if docker is not None:
            docker.__exit__(None, None, None)
        stop_server(StateRoot(work / "root", work / "run"))
        cgroups.remove_parent(parent)
        unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)


def _context(root: Path, dockerfile: str, files: dict[str, tuple[str, int]]) -> Path:
    root.mkdir(parents=True)
    for rel, (content, mode) in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        path.chmod(mode)
    if "symlinks" in dockerfile or "link-in-context" in dockerfile:
        (root / "link-in-context").symlink_to("target.txt")
    if "layer.tar" not in files:
        with tarfile.open(root / "layer.tar", "w") as tar:  # for ADD: a local tar is unpacked
            for name, data in (("t/one", b"1\n"), ("t/two", b"22\n")):
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.uid, info.gid = len(data), 0o640, 3, 4
                tar.addfile(info, io.BytesIO(data))
    (root / "Dockerfile").write_text(dockerfile)
    return root


def _apply(tree: dict[str, tuple[Any, ...]], layer: tarfile.TarFile) -> None:
    for member in layer:
        name = posixpath.normpath(member.name.lstrip("/")).removeprefix("./")
        if name in (".", ""):
            continue
        parent, base = posixpath.split(name)
        if base == ".wh..wh..opq":
            for key in [k for k in tree if k.startswith(parent + "/")]:
                del tree[key]
            continue
        if base.startswith(".wh."):
            gone = posixpath.join(parent, base[4:])
            for key in [k for k in tree if k == gone or k.startswith(gone + "/")]:
                del tree[key]
            continue
        if member.islnk():  # the same inode as its target: the target's content
            target = tree[posixpath.normpath(member.linkname.lstrip("/")).removeprefix("./")]
            tree[name] = ("file", *target[1:])
            continue
        if member.isfile():
            f = layer.extractfile(member)
            data = f.read() if f else b""
            content: str | None = hashlib.sha256(data).hexdigest()[:16]
            if len(data) < 2048:
                CONTENTS[content] = data
            kind = "file"
        elif member.issym():
            kind, content = "symlink", member.linkname
        elif member.isdir():
            kind, content = "dir", None
        else:
            kind, content = f"type-{member.type!r}", f"{member.devmajor}:{member.devminor}"
        tree[name] = (kind, oct(member.mode & 0o7777), member.uid, member.gid, content)


def _image(archive: Path) -> tuple[dict[str, tuple[Any, ...]], dict[str, Any]]:
    """The flattened file tree and the config of the only image of a ``docker save`` archive."""
    tree: dict[str, tuple[Any, ...]] = {}
    with tarfile.open(archive) as outer:
        def member(name: str) -> Any:
            f = outer.extractfile(name)
            assert f is not None
            return f

        manifest = json.load(member("manifest.json"))[0]
        config = json.load(member(manifest["Config"]))
        for name in manifest["Layers"]:
            with tarfile.open(fileobj=member(name), mode="r:*") as layer:
                _apply(tree, layer)
    return tree, config


def _fields(config: dict[str, Any]) -> dict[str, Any]:
    inner = config.get("config") or {}
    out = {key: inner.get(key) or None for key in CONFIG_FIELDS}
    out["history"] = [(h.get("created_by", ""), bool(h.get("empty_layer")), h.get("comment", ""))
                      for h in config.get("history", [])]
    out["architecture"], out["os"] = config.get("architecture"), config.get("os")
    return out


# What Engine 20.10's BuildKit (0.8) does that today's BuildKit no longer does, so pycompose
# follows today's: the mount points of ``RUN --mount`` stay in the layer as empty directories
# (today they are removed), and ``COPY``/``ADD`` history leaves out ``--chown``/``--chmod``
# (today it names them), and a ``HEALTHCHECK``'s history has no ``StartInterval`` (added since).
OLD_ORACLE_DIRS = {"run-mounts": {"t", "var", "var/cache", "var/cache/x", "base-etc", "w"}}
_COPY_FLAGS = re.compile(r" --(?:chown|chmod)=\S+| --parents")
_START_INTERVAL = re.compile(r'^(HEALTHCHECK &\{\[.*\] "[^"]*" "[^"]*" "[^"]*") "[^"]*"')


def _as_old_oracle(fields: dict[str, Any]) -> dict[str, Any]:
    history = [(_START_INTERVAL.sub(r"\1", _COPY_FLAGS.sub("", by) if by.startswith(("COPY ", "ADD ")) else by),
                empty, comment) for by, empty, comment in fields["history"]]
    return {**fields, "history": history}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_same_tree_and_config_as_buildkit(builders: tuple[list[str], dict[str, str], Any], tmp_path: Path,
                                          case: str) -> None:
    pc, env, docker = builders
    dockerfile, files = CORPUS[case]
    ctx = _context(tmp_path / "ctx", dockerfile, files)
    tag = f"parity-{case}:1"
    _run([*pc, "image", "build", "-q", "--build-arg", "OVERRIDDEN=cli", "-t", tag, str(ctx)], env)
    _run([*pc, "image", "save", "-o", str(tmp_path / "ours.tar"), tag], env)
    client = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else "docker"
    _run([client, "build", "-q", "--network", "host", "--build-arg", "OVERRIDDEN=cli", "-t", tag, str(ctx)],
         dict(docker.env, DOCKER_BUILDKIT="1"))
    docker.cli("save", "-o", str(tmp_path / "theirs.tar"), tag)
    ours, ours_config = _image(tmp_path / "ours.tar")
    theirs, theirs_config = _image(tmp_path / "theirs.tar")
    for path in OLD_ORACLE_DIRS.get(case, set()):
        if path not in ours and theirs.get(path, ("",))[0] == "dir":
            del theirs[path]
    differ = {path: (ours.get(path), theirs.get(path), CONTENTS.get(str((ours.get(path) or ("",) * 5)[4])),
                     CONTENTS.get(str((theirs.get(path) or ("",) * 5)[4])))
              for path in sorted(set(ours) | set(theirs)) if ours.get(path) != theirs.get(path)}
    assert not differ, f"{len(differ)} paths differ (pycompose, BuildKit): {dict(list(differ.items())[:20])}"
    mine, oracle = _as_old_oracle(_fields(ours_config)), _fields(theirs_config)
    history = [(i, a, b) for i, (a, b) in enumerate(zip(mine.pop("history"), oracle.pop("history"), strict=False))
               if a != b] or (len(ours_config["history"]), len(theirs_config["history"]))
    assert {k: v for k, v in mine.items() if v != oracle[k]} == {k: v for k, v in oracle.items() if v != mine[k]}
    assert len(ours_config["history"]) == len(theirs_config["history"]) and history == (
        len(ours_config["history"]), len(theirs_config["history"])), f"history (index, pycompose, BuildKit): {history}"
