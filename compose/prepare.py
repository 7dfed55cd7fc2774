"""Before ``up``/``create``/``run`` plan anything: the images they need, built or pulled.

Per service, as Docker Compose decides it: ``--build`` (or ``pull_policy: build``) builds every
service that has ``build:``; an image that is missing is built when the service can be built
(unless ``--no-build``), else pulled (when a registry client is available; else the plan's own
"not in the image store" error stays the answer); ``--pull always`` / ``pull_policy: always``
pull before building nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compose.errors import ConfigError


def ensure_images(session: Any, names: Sequence[str], *, pull: str = "policy", build: bool | None = None,
                  quiet: bool = False) -> None:
    project = session.project
    images = session.rt.images
    to_build: list[str] = []
    to_pull: list[str] = []
    for name in sorted(names):
        service = project.services[name]
        ref = service.image_name(project.name)
        policy = service.pull_policy or "missing"
        present = images.exists(ref, service.platform or None)
        if service.build is not None and build is not False and (build or policy == "build" or not present):
            to_build.append(name)
        elif service.image and (pull == "always" or (pull in ("policy", "missing") and policy == "always")
                                or (not present and policy != "never" and pull != "never")):
            to_pull.append(name)
        elif not present and service.build is not None and build is False:
            raise ConfigError(f"service {name}: image {ref} is not in the image store and --no-build was given",
                              path=("services", name, "build"))
    if to_pull:
        _pull(session, to_pull, quiet=quiet)
    if to_build:
        from compose.build import build_services

        build_services(session, to_build, quiet=quiet)


def _pull(session: Any, names: Sequence[str], *, quiet: bool) -> None:
    try:
        from compose.pull import pull_services  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return  # no registry client in this build: resolving the image reports what is missing
    pull_services(session, names, quiet=quiet)


__all__ = ["ensure_images"]
