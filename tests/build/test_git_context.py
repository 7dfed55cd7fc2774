"""Git repositories as build contexts: a real ``git daemon`` on 127.0.0.1 serves a repository
made by the test; refs, subdirectories, submodule-free checkouts, errors, nothing left behind."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime.api.build import BuildError, BuildRequest, is_git_url
from runtime.build.git import parse_git_url
from tests.build.test_build_run import run
from tests.registry.test_pull_kit import free_port

pytestmark = pytest.mark.integration


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def git_url(tmp_path: Path) -> Iterator[str]:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "Dockerfile").write_text("FROM busybox\nCOPY msg.txt /msg.txt\n")
    (work / "sub" / "msg.txt").write_text("first\n")
    (work / "Dockerfile").write_text("FROM busybox\nCOPY sub/msg.txt /root.txt\nCOPY . /all/\n")
    git("init", "-q", "-b", "main", cwd=work)
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "one", cwd=work)
    git("tag", "v1", cwd=work)
    (work / "sub" / "msg.txt").write_text("second\n")
    git("commit", "-q", "-am", "two", cwd=work)
    served = tmp_path / "served"
    served.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(served / "app.git")], check=True)
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={served}",
                               "--listen=127.0.0.1", f"--port={port}", str(served)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert daemon.poll() is None and time.monotonic() < deadline, "git daemon did not start"
                time.sleep(0.05)
        yield f"git://127.0.0.1:{port}/app.git"
    finally:
        daemon.terminate()
        daemon.wait()


def test_git_urls_as_docker_tells_them() -> None:
    assert is_git_url("git://h/r.git") and is_git_url("git@github.com:o/r.git") and is_git_url("github.com/o/r")
    assert is_git_url("https://h/o/r.git#main:sub") and is_git_url("ssh://git@h/r.git")
    assert not is_git_url("https://h/archive.tar.gz") and not is_git_url("./dir") and not is_git_url("/abs")
    ctx = parse_git_url("github.com/o/r#v1.2:docker/app/")
    assert (ctx.url, ctx.ref, ctx.subdir) == ("https://github.com/o/r", "v1.2", "docker/app")
    with pytest.raises(BuildError, match="leaves the repository"):
        parse_git_url("git://h/r.git#main:../../etc")
    with pytest.raises(BuildError, match="is not a git ref"):
        parse_git_url("git://h/r.git#--upload-pack=touch /tmp/x")


def test_build_from_a_git_repository_at_a_ref_and_in_a_subdirectory(builder, git_url: str,
                                                                      state_root) -> None:
    builder.build(BuildRequest(Path("."), context_url=f"{git_url}#v1:sub", tags=("git:v1",)))
    assert run("git:v1", "cat", "/msg.txt") == "first\n"
    builder.build(BuildRequest(Path("."), context_url=git_url, tags=("git:head",)))  # the remote's HEAD
    assert run("git:head", "sh", "-c", "cat /root.txt; ls -a /all") == "second\n.\n..\nDockerfile\nsub\n"
    assert not list((state_root.run / "build-contexts").iterdir())  # the checkouts are gone


def test_unknown_ref_is_one_clear_error(builder, git_url: str, state_root) -> None:
    with pytest.raises(BuildError, match=r"failed to fetch git context .*#nope.*"):
        builder.build(BuildRequest(Path("."), context_url=f"{git_url}#nope"))
    assert not list((state_root.run / "build-contexts").iterdir())


def test_compose_builds_a_service_from_a_git_context(builder, git_url: str, tmp_path: Path) -> None:
    from tests.container.container_helpers import cli

    compose = tmp_path / "compose.yaml"
    compose.write_text(f"""
name: gitdemo
services:
  app:
    image: gitapp:1
    build:
      context: "{git_url}#v1"
      dockerfile: sub/Dockerfile
""")
    done = cli("-f", str(compose), "build", "app")
    assert done.returncode != 0 and "msg.txt" in done.stderr.decode()  # sub/'s file is not at the root
    compose.write_text(compose.read_text().replace("#v1", "#v1:sub").replace("sub/Dockerfile", "Dockerfile"))
    done = cli("-f", str(compose), "build", "app")
    assert done.returncode == 0, done.stderr.decode()
    assert run("gitapp:1", "cat", "/msg.txt") == "first\n"


def test_add_of_a_git_repository_keyed_by_its_commit(builder, git_url: str, tmp_path: Path) -> None:
    from tests.build.test_build_run import build, project

    ctx = project(tmp_path / "b", f"FROM busybox\nADD {git_url}#v1 /src\nADD --keep-git-dir=true {git_url} /full\n")
    build(builder, ctx, tags=("gitadd:1",))
    assert run("gitadd:1", "sh", "-c", "cat /src/sub/msg.txt /full/sub/msg.txt; test -e /src/.git || echo no-git; "
               "test -d /full/.git && echo git") == "first\nsecond\nno-git\ngit\n"
    _, events = build(builder, ctx, tags=("gitadd:1",))
    assert not [e for e in events if e.status == "start"]  # the refs name the same commits: cached
    work = tmp_path / "work"
    (work / "sub" / "msg.txt").write_text("third\n")
    git("commit", "-q", "-am", "three", cwd=work)
    git("push", "-q", str(tmp_path / "served" / "app.git"), "main", cwd=work)
    _, events = build(builder, ctx, tags=("gitadd:1",))  # the remote's HEAD moved: that ADD runs again
    ran = [e.step.split("] ", 1)[1] for e in events if e.status == "start"]
    assert ran == [f"ADD {git_url} /full"]
    assert run("gitadd:1", "cat", "/src/sub/msg.txt", "/full/sub/msg.txt") == "first\nthird\n"
