"""``images`` end to end: the image of each of the project's containers."""

from __future__ import annotations

import json

import pytest

from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project


@pytest.mark.integration
def test_images_of_the_project(project: Project) -> None:
    project.write("""
services:
  a: {image: busybox, command: ["sleep", "1000"]}
  b: {image: "busybox:latest", command: ["true"]}
""")
    project.run("up", "-d")
    image_id = json.loads(project.run("image", "inspect", "busybox").stdout)[0]["Id"]
    lines = project.run("images").stdout.splitlines()
    assert lines[0].split() == ["CONTAINER", "REPOSITORY", "TAG", "PLATFORM", "IMAGE", "ID", "SIZE", "CREATED"]
    rows = [line.split() for line in lines[1:]]
    assert [r[:4] for r in rows] == [[f"{project.name}-a-1", "busybox", "latest", "linux/amd64"],
                                     [f"{project.name}-b-1", "busybox", "latest", "linux/amd64"]]
    assert rows[0][4] == image_id[7:19]
    assert project.run("images", "-q").stdout.split() == [image_id]
    data = json.loads(project.run("images", "--format", "json", "b").stdout)
    assert [(d["ContainerName"], d["Repository"], d["Tag"], d["ID"]) for d in data] == \
        [(f"{project.name}-b-1", "busybox", "latest", image_id)]


def test_split_reference() -> None:
    from compose.cli.commands.images import split_reference

    assert split_reference("busybox") == ("busybox", "latest")
    assert split_reference("localhost:5000/app") == ("localhost:5000/app", "latest")
    assert split_reference("localhost:5000/app:v1") == ("localhost:5000/app", "v1")
