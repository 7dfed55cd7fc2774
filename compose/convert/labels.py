"""The ``com.docker.compose.*`` labels, as Docker Compose v2 writes them.

They are how a project's containers, networks and volumes are found again (``project_state``),
and what ``inspect`` shows. The values follow Docker Compose's formats exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

from compose.model import Project, Service

PREFIX = "com.docker.compose."
PROJECT = PREFIX + "project"
SERVICE = PREFIX + "service"
NUMBER = PREFIX + "container-number"
ONEOFF = PREFIX + "oneoff"
CONFIG_HASH = PREFIX + "config-hash"
IMAGE = PREFIX + "image"
DEPENDS_ON = PREFIX + "depends_on"
WORKING_DIR = PREFIX + "project.working_dir"
CONFIG_FILES = PREFIX + "project.config_files"
ENV_FILE = PREFIX + "project.environment_file"
VERSION = PREFIX + "version"
REPLACE = PREFIX + "replace"
NETWORK = PREFIX + "network"
VOLUME = PREFIX + "volume"
CONTAINER_VERSION = "2.40.3"  # the Docker Compose version whose labels these are


def depends_on_value(service: Service) -> str:
    """``db:service_healthy:false,cache:service_started:true`` (Docker Compose's format)."""
    return ",".join(f"{name}:{dep.condition}:{str(dep.restart).lower()}"
                    for name, dep in sorted(service.depends_on.items()))


def container_labels(project: Project, service: Service, number: int, *, config_hash: str, image_id: str,
                     working_dir: str, config_files: tuple[str, ...], env_files: tuple[str, ...] = (),
                     oneoff: bool = False, replace: str = "") -> dict[str, str]:
    """The labels of replica ``number`` of ``service``: the service's own, then Docker Compose's."""
    labels = dict(service.labels)
    labels.update({
        CONFIG_HASH: config_hash,
        NUMBER: str(number),
        DEPENDS_ON: depends_on_value(service),
        IMAGE: image_id,
        ONEOFF: "True" if oneoff else "False",
        PROJECT: project.name,
        CONFIG_FILES: ",".join(config_files),
        WORKING_DIR: working_dir,
        SERVICE: service.name,
        VERSION: CONTAINER_VERSION,
    })
    if env_files:
        labels[ENV_FILE] = ",".join(env_files)
    if replace:
        labels[REPLACE] = replace
    return labels


def resource_labels(project: str, kind: str, key: str, own: Mapping[str, str]) -> dict[str, str]:
    """Labels of a network (``kind`` = network) or volume the project creates."""
    return {**dict(own), PROJECT: project, PREFIX + kind: key, VERSION: CONTAINER_VERSION}


def container_name(project: Project, service: Service, number: int) -> str:
    """``container_name``, else ``<project>-<service>-<number>``."""
    if service.container_name:
        return service.container_name
    return f"{project.name}-{service.name}-{number}"


__all__ = [
    "CONFIG_FILES", "CONFIG_HASH", "CONTAINER_VERSION", "DEPENDS_ON", "ENV_FILE", "IMAGE", "NETWORK", "NUMBER",
    "ONEOFF", "PROJECT", "REPLACE", "SERVICE", "VERSION", "VOLUME", "WORKING_DIR",
    "container_labels", "container_name", "depends_on_value", "resource_labels",
]
