"""``events --json`` end to end: start, pause, unpause, die and destroy of the project's containers."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading

import pytest

from compose.cli.commands.events import changes
from compose.project_state import ContainerView
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project


class Watcher:
    """``events --json`` in the background; its events one by one as they come."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def next(self, wait: float) -> dict | None:
        try:
            return json.loads(self.lines.get(timeout=wait))
        except queue.Empty:
            return None

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)


def _synced(project: Project) -> Watcher:
    """A watcher that has taken its first look: one-off containers are started until it reports one."""
    watcher = Watcher(project.popen("events", "--json"))
    n = 0
    while watcher.next(1) is None:
        n += 1
        project.run("run", "-d", "--no-deps", "--name", f"{project.name}-sync-{n}", "web", "sleep", "100")
    return watcher


def _next_of(watcher: Watcher, name: str, deadline: float = 120) -> dict:
    while True:
        event = watcher.next(deadline)
        assert event is not None, f"no event for {name}"
        if event["attributes"]["name"] == name:
            return event


@pytest.mark.integration
def test_events_json(project: Project) -> None:
    project.write("""
services:
  web: {image: busybox, command: ["sleep", "1000"]}
""")
    web = f"{project.name}-web-1"
    watcher = _synced(project)
    try:
        # each step waits for its event before the next one: a busy machine that delays the
        # watcher's looks must not merge two changes (pause then unpause) into none
        seen = []
        for step in (("create", "web"), ("start", "web"), ("pause", "web"), ("unpause", "web"),
                     ("stop", "-t", "0", "web"), ("rm", "-f", "web")):
            project.run(*step)
            seen.append(_next_of(watcher, web))
    finally:
        watcher.stop()
    assert [e["action"] for e in seen] == ["create", "start", "pause", "unpause", "die", "destroy"]
    for e in seen:
        assert e["type"] == "container" and e["service"] == "web" and len(e["id"]) == 64
    assert seen[4]["attributes"]["exitCode"] == "137"


def _view(status: str, started: str = "t1", code: int = 0) -> ContainerView:
    return ContainerView(id="c", name="n", service="s", number=1, status=status, exit_code=code, started_at=started)


def test_changes_between_two_looks() -> None:
    def actions(before: dict, after: dict) -> list[str]:
        return [a for _c, a, _x in changes(before, after)]

    assert actions({}, {"c": _view("running")}) == ["create", "start"]
    assert actions({}, {"c": _view("created", started="")}) == ["create"]
    assert actions({"c": _view("running")}, {"c": _view("exited", code=3)}) == ["die"]
    # started again and died between two looks
    assert actions({"c": _view("exited")}, {"c": _view("exited", started="t2")}) == ["start", "die"]
    assert actions({"c": _view("running")}, {"c": _view("paused")}) == ["pause"]
    assert actions({"c": _view("running")}, {}) == ["die", "destroy"]
