"""``port`` end to end: the published address of a private port, per replica and protocol."""

from __future__ import annotations

import socket

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

pytestmark = pytest.mark.integration

APP = """
services:
  web:
    image: busybox
    command: ["sh", "-c", "while true; do echo hi from web | nc -l -p 80; done"]
    ports: ["127.0.0.1::80", "127.0.0.1::53/udp"]
    scale: 2
"""


def test_port_prints_the_published_address(project: Project) -> None:
    project.write(APP)
    project.run("up", "-d")
    first = project.run("port", "web", "80").stdout.strip()
    host, _, port = first.rpartition(":")
    assert host == "127.0.0.1" and int(port) > 0
    assert project.run("port", "--index", "1", "web", "80").stdout.strip() == first
    second = project.run("port", "--index", "2", "web", "80").stdout.strip()
    assert second != first and second.startswith("127.0.0.1:")
    udp = project.run("port", "--protocol", "udp", "web", "53").stdout.strip()
    assert udp.startswith("127.0.0.1:") and project.run("port", "web", "53/udp").stdout.strip() == udp
    # the address really reaches the container
    for _ in range(100):
        try:
            with socket.create_connection((host, int(port)), timeout=5) as s:
                if s.makefile().readline() == "hi from web\n":
                    break
        except OSError:
            pass
    else:
        pytest.fail("nothing answered on the published port")
    missing = project.run("port", "web", "81", check=False)
    assert missing.returncode == 1 and "81/tcp" in missing.stderr
    assert project.run("port", "nope", "80", check=False).returncode == 1
