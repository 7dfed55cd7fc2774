"""Images before containers: what ``up``, ``create`` and ``run`` pull or build first.

Per service, from its ``pull_policy`` and the command's ``--pull`` / ``--build`` /
``--no-build``, as Docker Compose decides:

| policy | pulls | builds |
| --- | --- | --- |
| ``always``, ``refresh`` | every time | never (unless ``--build``) |
| ``missing`` (default) | when the image is not in the store (no ``build``) | when missing (``build``) |
| ``never`` | never: a missing image is an error | when ``--build`` |
| ``build`` | never | every time |
| ``daily``, ``weekly``, ``every_<duration>`` | when missing or last pulled longer ago than that | as ``missing`` |

``--pull always`` pulls every service with an image and no forced build, ``--pull never``
pulls none; ``--build`` builds every service with ``build``, ``--no-build`` none. Builds go
through ``compose.build.build_services`` (imported only when something is to be built).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError

PERIODS = {"daily": 86400.0, "weekly": 7 * 86400.0}


@dataclass(frozen=True)
class ImageStep:
    service: str
    image: str
    action: str  # "pull", "build" or ""


def _interval(policy: str) -> float | None:
    if policy in PERIODS:
        return PERIODS[policy]
    if policy.startswith("every_"):
        from compose.model.units import parse_duration

        return parse_duration(policy[len("every_"):])
    return None


def _last_pulled(rt: Any, ref: str) -> float:
    from datetime import datetime

    from runtime.api import PyComposeError

    try:
        stamp = str(rt.images.inspect(ref)["Metadata"]["LastTagTime"])
    except (PyComposeError, KeyError):
        return 0.0
    try:  # RFC 3339 with nanoseconds: keep what fromisoformat reads
        return datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return 0.0


def decide(service: Any, image: str, present: bool, *, pull: str = "missing", build: bool | None = None,
           last_pulled: float = 0.0, now: float | None = None) -> str:
    """``pull``, ``build`` or ``""`` for one service (pure; see the module table)."""
    policy = (service.pull_policy or "missing").lower()
    if policy == "if_not_present":
        policy = "missing"
    has_build = service.build is not None
    if build is True and has_build:
        return "build"
    if policy == "build" and build is not False:
        if not has_build:
            raise ConfigError(f"service {service.name} has pull_policy build but no build section",
                              path=("services", service.name, "pull_policy"))
        return "build"
    if pull == "never":
        wants_pull = False
    elif pull == "always" or policy in ("always", "refresh"):
        wants_pull = bool(service.image) or not has_build
    elif policy == "never":
        wants_pull = False
    else:
        if not present:
            return "build" if has_build and build is not False else "pull"
        interval = _interval(policy)
        wants_pull = interval is not None and ((now or time.time()) - last_pulled) >= interval
    if wants_pull:
        return "pull"
    if not present and has_build and build is not False:
        return "build"
    return ""


def plan_images(session: Any, names: Iterable[str], *, pull: str = "missing",
                build: bool | None = None) -> list[ImageStep]:
    project = session.project
    steps = []
    for name in sorted(names):
        service = project.services[name]
        ref = service.image_name(project.name)
        present = session.rt.images.exists(ref, service.platform or None)
        interval = _interval((service.pull_policy or "").lower())
        last = _last_pulled(session.rt, ref) if present and interval is not None else 0.0
        steps.append(ImageStep(name, ref, decide(service, ref, present, pull=pull, build=build, last_pulled=last)))
    return steps


def pull_images(session: Any, steps: list[ImageStep], *, quiet: bool = False, ignore_failures: bool = False,
                out: Any = None) -> list[tuple[str, BaseException]]:
    """Pull each step's image once (services sharing an image share the pull), in parallel."""
    out = out or sys.stderr
    project = session.project
    by_image: dict[tuple[str, str], list[str]] = {}
    for step in steps:
        platform = project.services[step.service].platform or ""
        by_image.setdefault((step.image, platform), []).append(step.service)
    failures: list[tuple[str, BaseException]] = []
    if not by_image:
        return failures
    from runtime.api.registry import Registry  # the registry client loads httpx: only when there is a pull

    registry = Registry(session.rt.state)

    def one(key: tuple[str, str]) -> None:
        image, platform = key
        services = by_image[key]
        if not quiet:
            for s in services:
                print(f" {s} Pulling", file=out, flush=True)
        began = time.monotonic()
        registry.pull(image, platform=platform or None)
        if not quiet:
            for s in services:
                print(f" {s} Pulled {time.monotonic() - began:.1f}s", file=out, flush=True)

    try:
        with ThreadPoolExecutor(max_workers=min(4, len(by_image)), thread_name_prefix="compose-pull") as pool:
            futures = {key: pool.submit(one, key) for key in by_image}
            for key, future in futures.items():
                exc = future.exception()
                if exc is None:
                    continue
                for s in by_image[key]:
                    failures.append((s, exc))
                    if ignore_failures and not quiet:
                        print(f" {s} Warning pull failed: {exc}", file=out, flush=True)
    finally:
        registry.close()
    if failures and not ignore_failures:
        raise failures[0][1]
    return failures


def build_images(session: Any, names: list[str], *, quiet: bool = False) -> dict[str, str]:
    if not names:
        return {}
    try:
        from compose.build import build_services
    except ImportError:
        name = names[0]
        raise ConfigError(f"service {name} needs its image built, and this pycompose cannot build yet; "
                          f"build it elsewhere and load it with 'pycompose image load'",
                          path=("services", name, "build")) from None
    return build_services(session, names, quiet=quiet)


def ensure_images(session: Any, names: Iterable[str], *, pull: str = "missing", build: bool | None = None,
                  quiet: bool = False) -> list[ImageStep]:
    """Pull and build what ``names`` need before their containers are planned."""
    steps = plan_images(session, names, pull=pull, build=build)
    to_build = [s.service for s in steps if s.action == "build"]
    pull_images(session, [s for s in steps if s.action == "pull"], quiet=quiet)
    build_images(session, to_build, quiet=quiet)
    return steps


__all__ = ["ImageStep", "build_images", "decide", "ensure_images", "plan_images", "pull_images"]
