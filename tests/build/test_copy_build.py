"""COPY/ADD through a real build on the busybox test image: --chown by name from the stage's
/etc/passwd, --chmod, ADD of a local tar, COPY --from another stage, .dockerignore."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from runtime.api.build import Builder, BuildRequest
from runtime.build.errors import BuildError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (builds run containers)")

DOCKERFILE = """\
FROM busybox AS first
RUN mkdir -p /out && echo built > /out/made && chown 7:8 /out/made
FROM busybox
RUN echo 'app:x:1000:1001::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1001:' >> /etc/group
COPY --chown=app --chmod=640 conf/ /etc/app/
ADD pkg.tar.gz /opt/
COPY --from=first /out/made /made
COPY . /ctx/
"""


def _targz() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("pkg/tool")
        info.size, info.mode = 3, 0o755
        tar.addfile(info, io.BytesIO(b"sh\n"))
    return buf.getvalue()


def test_copy_and_add_in_a_build(tmp_path: Path, state_root, image_store, busybox) -> None:
    ctx = tmp_path / "ctx"
    (ctx / "conf").mkdir(parents=True)
    (ctx / "conf/app.ini").write_text("[app]\n")
    (ctx / "pkg.tar.gz").write_bytes(_targz())
    (ctx / "secret.key").write_text("no\n")
    (ctx / ".dockerignore").write_text("*.key\n")
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    image = Builder(state_root).build(BuildRequest(context=ctx, tags=("copytest:1",)))
    layers = [image_store._store.layers.path(d) / "diff" for d in reversed(image.layers)]

    def find(rel: str) -> Path | None:  # the path in the topmost layer that has it
        return next((layer / rel for layer in layers if os.path.lexists(layer / rel)), None)

    conf = find("etc/app/app.ini")
    assert conf is not None
    st = os.lstat(conf)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1000, 1001, 0o640)
    tool = find("opt/pkg/tool")
    assert tool is not None and tool.read_bytes() == b"sh\n"
    made = find("made")
    assert made is not None and (os.lstat(made).st_uid, os.lstat(made).st_gid) == (7, 8)
    assert find("ctx/conf/app.ini") is not None
    assert find("ctx/secret.key") is None


def test_missing_source_fails_the_build(tmp_path: Path, state_root, busybox) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY nothere /x\n")
    with pytest.raises(BuildError, match="nothere"):
        Builder(state_root).build(BuildRequest(context=ctx, tags=("copytest:2",)))
