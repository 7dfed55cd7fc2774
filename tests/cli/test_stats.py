"""``stats --no-stream`` end to end: one row per running container with its figures."""

from __future__ import annotations

import json

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project


@pytest.mark.integration
def test_stats_no_stream(project: Project) -> None:
    project.write("""
services:
  busy:
    image: busybox
    command: ["sh", "-c", "while true; do :; done"]
    mem_limit: 64m
  idle:
    image: busybox
    command: ["sh", "-c", "sleep 1000 & sleep 1001 & wait"]
""")
    project.run("up", "-d")
    lines = project.run("stats", "--no-stream").stdout.splitlines()
    assert lines[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT", "MEM", "%",
                                "NET", "I/O", "BLOCK", "I/O", "PIDS"]
    rows = {r["Name"].rsplit("-", 2)[1]: r for r in map(json.loads, project.run(
        "stats", "--no-stream", "--format", "json").stdout.splitlines())}
    busy, idle = rows["busy"], rows["idle"]
    assert float(busy["CPUPerc"].rstrip("%")) > 20  # a busy loop uses a good part of a core
    assert float(idle["CPUPerc"].rstrip("%")) < 20
    assert busy["MemUsage"].endswith(" / 64MiB") and busy["PIDs"] == "1" and idle["PIDs"] == "3"
    assert len(busy["ID"]) == 12
