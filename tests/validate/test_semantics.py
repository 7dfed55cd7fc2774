"""Semantic checks of the merged project: one case per rule, each also asked of
Docker Compose (``docker-compose config -q``) when the oracle binary is installed.

Cases are written in the canonical long syntax, so the parsed YAML is what the
loader hands to ``check_project``; services whose profiles are not enabled are
moved out, as the loader's profile selection does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from compose.errors import ConfigError
from compose.loader.yamlsource import parse_document
from compose.validate import check_project, validate_file
from tests.oracle import oracle_binary

# name -> (compose file, None if Docker Compose accepts it, else (path, words of our message))
CASES: dict[str, tuple[str, tuple[tuple[Any, ...], str] | None]] = {
    "depends_on defined": ("""
services:
  web: {image: x, depends_on: {db: {condition: service_started}}}
  db: {image: y}
""", None),
    "depends_on undefined": ("""
services:
  web: {image: x, depends_on: {db: {condition: service_started}}}
""", (("services", "web", "depends_on", "db"), "depends on undefined service 'db'")),
    "depends_on disabled but optional": ("""
services:
  web: {image: x, depends_on: {db: {condition: service_started, required: false}}}
  db: {image: y, profiles: [extra]}
""", None),
    "depends_on disabled and required": ("""
services:
  web: {image: x, depends_on: {db: {condition: service_started}}}
  db: {image: y, profiles: [extra]}
""", (("services", "web", "depends_on", "db"), "not enabled by the active profiles")),
    "links defined, with alias": ("""
services:
  web: {image: x, links: ["db:database"]}
  db: {image: y}
""", None),
    "links undefined": ("""
services:
  web: {image: x, links: [db]}
""", (("services", "web", "links", 0), "links to undefined service 'db'")),
    "volumes_from container is not a service": ("""
services:
  web: {image: x, volumes_from: ["container:other", "db:ro"]}
  db: {image: y}
""", None),
    "volumes_from undefined": ("""
services:
  web: {image: x, volumes_from: ["dbb:ro"]}
  db: {image: y}
""", (("services", "web", "volumes_from", 0), "undefined service 'dbb'")),
    "network_mode service undefined": ("""
services:
  web: {image: x, network_mode: "service:vpn"}
""", (("services", "web", "network_mode"), "undefined service 'vpn'")),
    "ipc service undefined": ("""
services:
  web: {image: x, ipc: "service:shm"}
""", (("services", "web", "ipc"), "undefined service 'shm'")),
    "pid service undefined": ("""
services:
  web: {image: x, pid: "service:p"}
""", (("services", "web", "pid"), "undefined service 'p'")),
    "network_mode service defined": ("""
services:
  web: {image: x, network_mode: "service:vpn"}
  vpn: {image: y}
""", None),
    "networks undefined": ("""
services:
  web: {image: x, networks: {front: null}}
networks:
  back: {}
""", (("services", "web", "networks", "front"), "undefined network 'front'")),
    "implicit default network": ("""
services:
  web: {image: x, networks: {default: null}}
""", None),
    "network_mode with networks": ("""
services:
  web: {image: x, network_mode: host, networks: {default: null}}
""", (("services", "web", "network_mode"), "cannot both be set")),
    "named volume undefined": ("""
services:
  web:
    image: x
    volumes: [{type: volume, source: data, target: /data}]
""", (("services", "web", "volumes", 0), "undefined volume 'data'")),
    "anonymous volume and bind mount": ("""
services:
  web:
    image: x
    volumes: [{type: volume, target: /cache}, {type: bind, source: /tmp, target: /host}]
""", None),
    "secret undefined": ("""
services:
  web: {image: x, secrets: [{source: token}]}
""", (("services", "web", "secrets", 0), "undefined secret 'token'")),
    "config undefined": ("""
services:
  web: {image: x, configs: [{source: conf}]}
""", (("services", "web", "configs", 0), "undefined config 'conf'")),
    "build secret undefined": ("""
services:
  web: {build: {context: ., secrets: [{source: npmrc}]}}
""", (("services", "web", "build", "secrets", 0), "undefined secret 'npmrc'")),
    "secret without a source": ("""
services:
  web: {image: x}
secrets:
  token: {name: t}
""", (("secrets", "token"), "must set one of 'file', 'environment'")),
    "secret with a driver only": ("""
services:
  web: {image: x}
secrets:
  token: {driver: vault}
""", (("secrets", "token"), "must set 'file' or 'environment'")),
    "secret external": ("""
services:
  web: {image: x, secrets: [{source: token}]}
secrets:
  token: {external: true}
""", None),
    "neither image nor build": ("""
services:
  web: {command: [sh]}
""", (("services", "web"), "neither an image nor a build")),
    "dockerfile and dockerfile_inline": ("""
services:
  web: {build: {context: ., dockerfile: Dockerfile, dockerfile_inline: "FROM x"}}
""", (("services", "web", "build", "dockerfile_inline"), "cannot both be set")),
    "additional context on a service without build": ("""
services:
  web: {build: {context: ., additional_contexts: {base: "service:db"}}}
  db: {image: y}
""", (("services", "web", "build", "additional_contexts", "base"), "has no build")),
    "additional context on an undefined service": ("""
services:
  web: {build: {context: ., additional_contexts: {base: "service:nope"}}}
""", (("services", "web", "build", "additional_contexts", "base"), "undefined service 'nope'")),
    "build platforms without the service platform": ("""
services:
  web: {platform: linux/arm64, build: {context: ., platforms: [linux/amd64]}}
""", (("services", "web", "build", "platforms"), "must include the service's platform")),
    "healthcheck test list without CMD": ("""
services:
  web: {image: x, healthcheck: {test: [curl, -f, "http://localhost"]}}
""", (("services", "web", "healthcheck", "test"), 'must start with "CMD"')),
    "healthcheck test forms": ("""
services:
  web: {image: x, healthcheck: {test: [CMD-SHELL, "curl -f localhost"]}}
  db: {image: y, healthcheck: {test: "pg_isready"}}
""", None),
    "scale and replicas differ": ("""
services:
  web: {image: x, scale: 2, deploy: {replicas: 3}}
""", (("services", "web", "scale"), "different values")),
    "scale and replicas agree": ("""
services:
  web: {image: x, scale: 2, deploy: {replicas: 2}}
""", None),
    "negative replicas": ("""
services:
  web: {image: x, deploy: {replicas: -1}}
""", (("services", "web", "deploy", "replicas"), "greater than or equal to 0")),
    "container_name with replicas": ("""
services:
  web: {image: x, container_name: web1, deploy: {replicas: 2}}
""", (("services", "web", "container_name"), "cannot be set when deploy.replicas is 2")),
    "cpus and deploy limits differ": ("""
services:
  web: {image: x, cpus: 0.5, deploy: {resources: {limits: {cpus: "1.5"}}}}
""", (("services", "web", "cpus"), "different values")),
    "cpus and deploy limits agree": ("""
services:
  web: {image: x, cpus: 0.5, deploy: {resources: {limits: {cpus: "0.5"}}}}
""", None),
    "mem_limit and deploy limits agree in other units": ("""
services:
  web: {image: x, mem_limit: 1g, deploy: {resources: {limits: {memory: 1024M}}}}
""", None),
    "mem_limit and deploy limits differ": ("""
services:
  web: {image: x, mem_limit: 1g, deploy: {resources: {limits: {memory: 512m}}}}
""", (("services", "web", "mem_limit"), "different values")),
    "cpus with deploy limits that do not set cpus": ("""
services:
  web: {image: x, cpus: 0.5, deploy: {resources: {limits: {memory: 1g}}}}
""", (("services", "web", "cpus"), "different values")),
    "mem_reservation with deploy reservations that do not set memory": ("""
services:
  web: {image: x, mem_reservation: 1g, deploy: {resources: {reservations: {cpus: "1"}}}}
""", (("services", "web", "mem_reservation"), "different values")),
    "pids_limit with deploy limits that do not set pids": ("""
services:
  web: {image: x, pids_limit: -1, deploy: {resources: {limits: {cpus: "1"}}}}
""", (("services", "web", "pids_limit"), "different values")),
    "cpus with deploy but no limits": ("""
services:
  web: {image: x, cpus: 0.5, deploy: {replicas: 1, resources: {reservations: {memory: 1g}}}}
""", None),
    "cpus zero with deploy limits": ("""
services:
  web: {image: x, cpus: 0, deploy: {resources: {limits: {cpus: "1"}}}}
""", None),
    "watch sync without target": ("""
services:
  web: {image: x, develop: {watch: [{path: ./src, action: sync}]}}
""", (("services", "web", "develop", "watch", 0), "'target' is required")),
    "watch rebuild without target": ("""
services:
  web: {image: x, develop: {watch: [{path: ./src, action: rebuild}]}}
""", None),
    "tmpfs and volume on the same target": ("""
services:
  web:
    image: x
    tmpfs: ["/run:size=1m"]
    volumes: [{type: bind, source: /tmp, target: /run}]
""", (("services", "web", "volumes", 0), "already mounted by services.web.tmpfs[0]")),
    "duplicate container_name": ("""
services:
  web: {image: x, container_name: same}
  db: {image: y, container_name: same}
""", (("services", "db", "container_name"), "already used by service 'web'")),
    "duplicate container_name of a disabled service": ("""
services:
  web: {image: x, container_name: same}
  db: {image: y, container_name: same, profiles: [extra]}
""", None),
    "negative healthcheck retries": ("""
services:
  web: {image: x, healthcheck: {test: [CMD, x], retries: -1}}
""", (("services", "web", "healthcheck", "retries"), "greater than or equal to 0")),
    "negative blkio device weight": ("""
services:
  web: {image: x, blkio_config: {weight_device: [{path: /dev/sda, weight: -5}]}}
""", (("services", "web", "blkio_config", "weight_device", 0, "weight"), "(got -5)")),
    "negative update parallelism": ("""
services:
  web: {image: x, deploy: {update_config: {parallelism: -1}}}
""", (("services", "web", "deploy", "update_config", "parallelism"), "greater than or equal to 0")),
    "negative restart attempts": ("""
services:
  web: {image: x, deploy: {restart_policy: {max_attempts: -2}}}
""", (("services", "web", "deploy", "restart_policy", "max_attempts"), "greater than or equal to 0")),
    "negative port target": ("""
services:
  web: {image: x, ports: [{target: -1}]}
""", (("services", "web", "ports", 0, "target"), "greater than or equal to 0")),
    "negative tmpfs mode": ("""
services:
  web: {image: x, volumes: [{type: tmpfs, target: /x, tmpfs: {mode: -1}}]}
""", (("services", "web", "volumes", 0, "tmpfs", "mode"), "greater than or equal to 0")),
    "zero and large unsigned values": ("""
services:
  web:
    image: x
    healthcheck: {test: [CMD, x], retries: 0}
    blkio_config: {weight: 70000}
    ports: [{target: 70000}]
    deploy: {placement: {max_replicas_per_node: 0}}
""", None),
    "external volume with a driver": ("""
services:
  web: {image: x}
volumes:
  data: {external: true, driver: local}
""", (("volumes", "data", "driver"), "cannot be set on an external volume")),
    "external volume with a name and extensions": ("""
services:
  web: {image: x}
volumes:
  data: {external: true, name: shared, x-note: kept}
""", None),
    "external network with a driver (not refused)": ("""
services:
  web: {image: x, networks: {n: null}}
networks:
  n: {external: true, driver: bridge}
""", None),
    "config with two sources": ("""
services:
  web: {image: x}
configs:
  c: {file: ./c.txt, content: "inline"}
""", (("configs", "c", "content"), "'file' and 'content' cannot both be set")),
    "config without a source": ("""
services:
  web: {image: x}
configs:
  c: {name: c}
""", (("configs", "c"), "must set one of 'file', 'environment', 'content'")),
    "config with external false and nothing else": ("""
services:
  web: {image: x}
configs:
  c: {external: false}
""", None),
    "secret with two sources": ("""
services:
  web: {image: x}
secrets:
  s: {file: ./s.txt, environment: S}
""", (("secrets", "s", "environment"), "cannot both be set")),
    "port host_ip not an address": ("""
services:
  web: {image: x, ports: [{target: 80, host_ip: localhost}]}
""", (("services", "web", "ports", 0, "host_ip"), "invalid IP address 'localhost'")),
    "port host_ip with an IPv6 zone": ("""
services:
  web: {image: x, ports: [{target: 80, host_ip: "fe80::1%eth0"}]}
""", (("services", "web", "ports", 0, "host_ip"), "invalid IP address")),
    "port host_ip addresses": ("""
services:
  web: {image: x, ports: [{target: 80, host_ip: 127.0.0.1}, {target: 81, host_ip: "::1"}]}
""", None),
    "gpu request with count and device_ids": ("""
services:
  web: {image: x, gpus: [{count: 1, device_ids: ["0"]}]}
""", (("services", "web", "gpus", 0), "'count' and 'device_ids' cannot both be set")),
    "device reservation with count and device_ids": ("""
services:
  web:
    image: x
    deploy: {resources: {reservations: {devices: [{capabilities: [gpu], count: 1, device_ids: ["0"]}]}}}
""", (("services", "web", "deploy", "resources", "reservations", "devices", 0), "cannot both be set")),
    "watch with an empty path": ("""
services:
  web: {image: x, develop: {watch: [{path: "", action: rebuild}]}}
""", (("services", "web", "develop", "watch", 0, "path"), "must not be empty")),
    "model undefined": ("""
services:
  web: {image: x, models: {llm: null}}
""", (("services", "web", "models", "llm"), "undefined model 'llm'")),
}


def _project(text: str) -> tuple[dict[str, Any], list[str]]:
    doc = parse_document(text, "compose.yaml")
    validate_file(doc.data, doc.source)  # the cases are schema-valid: only semantics differ
    data = dict(doc.data)
    services = data.get("services") or {}
    active = {n: s for n, s in services.items() if not s.get("profiles")}
    return {**data, "services": active}, [n for n in services if n not in active]


def _where(path: tuple[Any, ...]) -> tuple[str, int, int]:
    return ("compose.yaml", len(path), 1)


@pytest.mark.parametrize("name", list(CASES))
def test_case(name: str) -> None:
    text, expected = CASES[name]
    data, disabled = _project(text)
    if expected is None:
        check_project(data, _where, disabled)
        return
    path, words = expected
    with pytest.raises(ConfigError) as info:
        check_project(data, _where, disabled)
    err = info.value
    assert err.path == path
    assert words in err.message
    assert (err.file, err.line, err.column) == ("compose.yaml", len(path), 1)


def test_suggestion_for_misspelt_reference() -> None:
    data, _ = _project("services:\n  web: {image: x, depends_on: {dbb: {condition: service_started}}}\n"
                       "  db: {image: y}\n")
    with pytest.raises(ConfigError) as info:
        check_project(data, lambda p: None)
    assert info.value.hint == "did you mean 'db'?"
    assert info.value.render() == ("services.web.depends_on.dbb: depends on undefined service 'dbb' "
                                   "(did you mean 'db'?)")


def test_unknown_location_still_renders_the_path() -> None:
    data, _ = _project("services:\n  web: {image: x, networks: {nope: null}}\n")
    with pytest.raises(ConfigError) as info:
        check_project(data, lambda p: None)
    assert info.value.render() == ("services.web.networks.nope: undefined network 'nope' "
                                   "(no networks are defined)")


@pytest.mark.oracle
@pytest.mark.parametrize("name", list(CASES))
def test_docker_compose_agrees(name: str, tmp_path: Path) -> None:
    binary = oracle_binary()
    if binary is None:
        pytest.skip("Docker Compose oracle not installed (python tests/oracle.py)")
    text, expected = CASES[name]
    (tmp_path / "compose.yaml").write_text(text)
    run = subprocess.run([str(binary), "-p", "case", "config", "-q"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert (run.returncode == 0) == (expected is None), run.stderr
