"""``pycompose -f examples/mongo/mongo.yml up`` end to end, its Docker Hub names pulled from a local mirror.

The mirror (docker-registry on 127.0.0.1) holds stand-ins made here under the example's names:
``library/mongo:7`` (busybox with a ``mongosh`` that answers the healthcheck) and
``library/mongo-express:1``. ``mirror-fallback: false`` keeps every pull on the mirror.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import Project, busybox_tar, project  # noqa: F401 (fixtures)
from tests.helpers import images as t
from tests.network.conftest import net_env  # noqa: F401 (fixture)
from tests.registry.test_pull_kit import push_image, start_registry

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mongo" / "mongo.yml"
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not os.path.exists("/usr/bin/docker-registry"), reason="docker-registry missing")]


def test_mongo_example_up_pulls_through_the_mirror(project: Project, tmp_path: Path):  # noqa: F811
    reg = start_registry(tmp_path / "mirror")
    try:
        from runtime.images.manifest import host_platform

        arch = host_platform().architecture
        mongosh = t.layer([t.file("bin/mongosh", b"#!/bin/sh\necho 1\n", mode=0o755)])
        mongo = t.TestImage([*t.busybox_layers(), mongosh], cmd=["sleep", "3600"], architecture=arch)
        express = t.TestImage(t.busybox_layers(), cmd=["sleep", "3600"], architecture=arch)
        push_image(reg, "library/mongo", "7", mongo)
        push_image(reg, "library/mongo-express", "1", express)
        settings = tmp_path / "registries.json"
        settings.write_text(json.dumps({"registry-mirrors": [reg.base], "mirror-fallback": False}))
        project.env["PYCOMPOSE_REGISTRY_CONFIG"] = str(settings)
        try:
            up = project.run("-f", str(EXAMPLE), "up", "-d", "--wait", timeout=180)
            assert "mongo Pulled" in up.stderr and "mongo-express Pulled" in up.stderr
            containers = project.containers()
            by_service = {c["Config"]["Labels"]["com.docker.compose.service"]: c for c in containers.values()}
            assert by_service["mongo"]["State"]["Health"]["Status"] == "healthy"
            assert by_service["mongo-express"]["State"]["Running"]
            assert by_service["mongo"]["Image"] == mongo.id
            tags = project.run("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
            assert {"mongo:7", "mongo-express:1"} <= set(tags)
        finally:
            project.run("-f", str(EXAMPLE), "down", "-v", "-t", "0", check=False)
    finally:
        reg.stop()
