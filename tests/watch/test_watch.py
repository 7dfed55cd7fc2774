"""The dev mode on real containers: sync (replicas, deletes, renames, new directories, ignores,
one batch for many files), restart, sync+exec, the compose file reloaded, Ctrl-C."""

from __future__ import annotations

import queue
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project
pytestmark = pytest.mark.integration

COMPOSE = """
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    deploy: {{replicas: 2}}
    environment: {{VERSION: "{version}"}}
    develop:
      watch:
        - path: ./app
          target: /srv
          action: {action}
          ignore: ["*.log", "tmp/"]
{extra}
  other:
    image: busybox
    command: ["sleep", "1000"]
"""


class Watch:
    """``watch --no-up`` in the background, its stderr lines as they come."""

    def __init__(self, project: Project, *args: str) -> None:
        self.proc = project.popen("watch", "--no-up", *args)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("Watch enabled")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, deadline: float = 60) -> str:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r}; saw {self.seen}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(30)


def _up(project: Project, action: str = "sync", version: str = "1", extra: str = "") -> None:
    app = project.dir / "app"
    app.mkdir(exist_ok=True)
    (app / "index.txt").write_text("v1\n")
    project.write(COMPOSE.format(action=action, version=version, extra=extra))
    project.run("up", "-d")


def _cat(project: Project, index: int, path: str) -> subprocess.CompletedProcess:
    return project.run("exec", "-T", "--index", str(index), "web", "cat", path, check=False)


def _until(predicate, what: str, deadline: float = 30):  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_sync_writes_every_replica_and_follows_deletes_renames_and_new_dirs(project: Project) -> None:
    _up(project)
    watch = Watch(project)
    try:
        app = project.dir / "app"
        (app / "index.txt").write_text("v2\n")
        (app / "sub").mkdir()
        (app / "sub" / "deep.txt").write_text("deep\n")
        (app / "skip.log").write_text("ignored\n")
        watch.wait_for('Syncing "web"')
        for index in (1, 2):
            assert _cat(project, index, "/srv/index.txt").stdout == "v2\n"
            assert _cat(project, index, "/srv/sub/deep.txt").stdout == "deep\n"
        assert _cat(project, 1, "/srv/skip.log").returncode != 0
        (app / "index.txt").rename(app / "renamed.txt")
        watch.wait_for('Syncing "web"')
        assert _cat(project, 1, "/srv/index.txt").returncode != 0
        assert _cat(project, 2, "/srv/renamed.txt").stdout == "v2\n"
        import shutil

        shutil.rmtree(app / "sub")
        watch.wait_for('Syncing "web"')
        _until(lambda: _cat(project, 1, "/srv/sub/deep.txt").returncode != 0, "the deleted dir to go")
    finally:
        assert watch.stop() == 0
    # Ctrl-C stopped watching and left the containers it found running
    assert sorted(n for n, c in project.containers().items() if c["State"]["Status"] == "running") == sorted(
        f"{project.name}-{s}" for s in ("web-1", "web-2", "other-1"))


def test_many_files_are_one_batch(project: Project) -> None:
    _up(project)
    watch = Watch(project)
    try:
        batch = project.dir / "app" / "many"
        batch.mkdir()
        for i in range(300):
            (batch / f"f{i}.txt").write_text(f"{i}\n")
        line = watch.wait_for('Syncing "web"')
        # the new directory is synced whole, so files written before its inotify watch existed
        # (their events never come) arrive with it; a slow machine may split the rest, but never
        # into one action per file
        assert int(line.split(" after ")[1].split(" change")[0]) > 1
        _until(lambda: len(project.run("exec", "-T", "web", "ls", "/srv/many").stdout.split()) == 300,
               "all 300 files in replica 1")
        _until(lambda: _cat(project, 2, "/srv/many/f299.txt").stdout == "299\n", "the last file in replica 2")
        time.sleep(1)  # anything still queued is printed by now
        while not watch.lines.empty():
            watch.seen.append(watch.lines.get())
        assert sum('Syncing "web"' in seen for seen in watch.seen) <= 10, watch.seen
    finally:
        watch.stop()


def test_restart_and_sync_exec(project: Project) -> None:
    extra = """        - path: ./conf
          action: restart
        - path: ./hook
          target: /hook
          action: sync+exec
          exec:
            command: ["sh", "-c", "echo ran-$$(cat /hook/h.txt)"]"""
    for d in ("conf", "hook"):
        (project.dir / d).mkdir()
    _up(project, extra=extra)
    started = {n: c["State"]["StartedAt"] for n, c in project.containers().items()}
    watch = Watch(project)
    try:
        (project.dir / "conf" / "x.conf").write_text("a=1\n")
        watch.wait_for('"web" restarted')
        now = {n: c["State"]["StartedAt"] for n, c in project.containers().items()}
        assert now[f"{project.name}-web-1"] != started[f"{project.name}-web-1"]
        assert now[f"{project.name}-other-1"] == started[f"{project.name}-other-1"]
        (project.dir / "hook" / "h.txt").write_text("hello")
        watch.wait_for("ran-hello")
        watch.wait_for("exit code 0")
    finally:
        watch.stop()


def test_an_edit_of_the_compose_file_recreates_only_what_changed(project: Project) -> None:
    _up(project)
    before = project.ids()
    watch = Watch(project)
    try:
        project.write(COMPOSE.format(action="sync", version="2", extra=""))
        watch.wait_for("Reloaded after compose.yaml changed", deadline=120)
        after = project.ids()
        assert after[f"{project.name}-other-1"] == before[f"{project.name}-other-1"]
        assert after[f"{project.name}-web-1"] != before[f"{project.name}-web-1"]
        project.write("services:\n  web: [broken\n")
        line = watch.wait_for("Not reloading")
        assert "compose.yaml" in line
        assert project.ids() == after
    finally:
        watch.stop()


def test_watch_without_develop_section_is_a_one_line_error(project: Project, tmp_path: Path) -> None:
    project.write("services:\n  s: {image: busybox, command: [sleep, '100']}\n")
    done = project.run("watch", "--no-up", check=False)
    assert done.returncode != 0 and "consider setting a 'develop' section" in done.stderr
    assert "Traceback" not in done.stderr


def test_new_replicas_get_the_files_and_a_recreated_path_is_still_watched(project: Project) -> None:
    _up(project)
    watch = Watch(project)
    try:
        app = project.dir / "app"
        (app / "index.txt").write_text("synced\n")
        watch.wait_for('Syncing "web"')
        project.run("scale", "web=3")  # web-3 starts from the image: the watcher gives it the files
        watch.wait_for(f'Synced "{project.name}-web-3" (new container)')
        assert _cat(project, 3, "/srv/index.txt").stdout == "synced\n"
        shutil.rmtree(app)
        watch.wait_for('Syncing "web"')
        app.mkdir()
        (app / "index.txt").write_text("after recreate\n")
        _until(lambda: _cat(project, 1, "/srv/index.txt").stdout == "after recreate\n", "the re-created path")
    finally:
        watch.stop()


REBUILD = """
services:
  api:
    build: ./api
    command: ["sleep", "1000"]
    develop:
      watch:
        - path: ./api/msg
          action: rebuild
  other:
    image: busybox
    command: ["sleep", "1000"]
"""


def _untagged(project: Project) -> set[str]:
    out = project.run("image", "ls", "-a", "-q", "--no-trunc", "--filter", "dangling=true").stdout
    return set(out.split())


def test_rebuild_recreates_only_its_service_and_prunes_the_superseded_image(project: Project) -> None:
    api = project.dir / "api"
    api.mkdir()
    (api / "Dockerfile").write_text("FROM busybox\nCOPY msg /msg\n")
    (api / "msg").write_text("one\n")
    project.write(REBUILD)
    project.run("up", "-d")
    api_name, other_name = f"{project.name}-api-1", f"{project.name}-other-1"
    before = project.containers()
    first_image = before[api_name]["Image"]
    labels = before[api_name]["Config"]["Labels"]
    assert labels["com.docker.compose.project"] == project.name  # the image's labels, as Docker Compose's
    watch = Watch(project)
    try:
        (api / "msg").write_text("two\n")
        watch.wait_for('Rebuilding "api" after 1 change: msg')
        watch.wait_for('"api" rebuilt and recreated', deadline=120)
        watch.wait_for(f"Removed 1 dangling image: {first_image.removeprefix('sha256:')[:12]}")
        after = project.containers()
        assert after[api_name]["Id"] != before[api_name]["Id"]
        assert after[other_name]["Id"] == before[other_name]["Id"]
        assert project.run("exec", "-T", "api", "cat", "/msg").stdout == "two\n"
        second_image = after[api_name]["Image"]
        assert first_image not in project.run("image", "ls", "-q", "--no-trunc").stdout.split()
    finally:
        assert watch.stop() == 0
    watch = Watch(project, "--prune=false")  # the superseded image stays, dangling
    try:
        (api / "msg").write_text("three\n")
        watch.wait_for('"api" rebuilt and recreated', deadline=120)
        _until(lambda: project.run("exec", "-T", "api", "cat", "/msg").stdout == "three\n", "the third build")
        assert second_image in _untagged(project)
        assert not any("dangling image" in line for line in watch.seen)
    finally:
        assert watch.stop() == 0
