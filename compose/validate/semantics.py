"""Checks of the merged project that a schema cannot express.

Input is the canonical project (the shape ``pycompose config --format json`` prints:
long syntax everywhere). Each rule is one function in the ``SERVICE_RULES`` or
``PROJECT_RULES`` table that yields :class:`Finding` s; :func:`check_project` raises
the first as a located :class:`ConfigError`.

The rules follow what Docker Compose refuses after loading (compose-go's
``checkConsistency`` and ``validation`` package, and the container-name check of
``docker compose config``), with messages that name the exact key; each rule has a
test case that Docker Compose itself is asked about (``tests/validate/test_semantics.py``). References to other
services are checked per kind (``links``, ``volumes_from``, ``network_mode``, ...)
so the message says which reference is wrong. Dependency cycles are checked
elsewhere (``compose.graph``).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from compose.errors import ConfigError, format_path

Path = tuple[str | int, ...]
Locator = Callable[[tuple[Any, ...]], "tuple[str, int, int] | None"]

SERVICE_PREFIX = "service:"
CONTAINER_PREFIX = "container:"
HEALTHCHECK_KINDS = ("CMD", "CMD-SHELL", "NONE")
WATCH_ACTIONS_WITHOUT_TARGET = ("rebuild", "restart")
NAMESPACE_KEYS = ("network_mode", "ipc", "pid", "uts", "cgroup")


@dataclass(frozen=True)
class Finding:
    path: Path
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class Project:
    """Read-only view of the canonical project the rules look at."""

    data: Mapping[str, Any]
    disabled: frozenset[str] = field(default_factory=frozenset)

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, Mapping) else {}

    @property
    def services(self) -> Mapping[str, Any]:
        return self.section("services")


def _seq(value: Any) -> list[Any]:
    """``value`` if it is a list, else nothing (the schema reports wrong shapes)."""
    return value if isinstance(value, list) else []


def _undefined(kind: str, name: str, defined: Collection[str]) -> tuple[str, str | None]:
    from compose.validate.messages import suggest  # only when there is something to report

    hint = suggest(name, defined)
    if hint is None:
        hint = f"defined {kind}s: " + ", ".join(sorted(defined)) if defined else f"no {kind}s are defined"
    return f"undefined {kind} {name!r}", hint


def _service_ref(project: Project, path: Path, name: str, what: str) -> Iterator[Finding]:
    if not isinstance(name, str) or name in project.services:
        return
    if name in project.disabled:
        yield Finding(path, f"{what} service {name!r}, which is not enabled by the active profiles",
                      "enable its profile, or add it with --profile")
        return
    message, hint = _undefined("service", name, list(project.services))
    yield Finding(path, f"{what} {message}", hint)


# -- service rules --------------------------------------------------------------------


def image_or_build(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    if not svc.get("image") and svc.get("build") is None and svc.get("provider") is None:
        yield Finding(("services", name), "has neither an image nor a build context",
                      "set 'image', or 'build' to build one")


def build_settings(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    build = svc.get("build")
    if not isinstance(build, Mapping):
        return
    here: Path = ("services", name, "build")
    if build.get("dockerfile") and build.get("dockerfile_inline"):
        yield Finding((*here, "dockerfile_inline"), "'dockerfile' and 'dockerfile_inline' cannot both be set")
    contexts = build.get("additional_contexts")
    if isinstance(contexts, Mapping):
        for ctx, value in contexts.items():
            if isinstance(value, str) and value.startswith(SERVICE_PREFIX):
                target = value[len(SERVICE_PREFIX):]
                path = (*here, "additional_contexts", ctx)
                if target not in project.services:
                    yield from _service_ref(project, path, target, "additional context refers to")
                elif not isinstance(project.services[target], Mapping) or project.services[target].get("build") is None:
                    yield Finding(path, f"additional context refers to service {target!r}, which has no build")
    platforms = build.get("platforms")
    platform = svc.get("platform")
    if isinstance(platforms, list) and platforms and isinstance(platform, str) and platform \
            and platform not in platforms:
        yield Finding((*here, "platforms"), f"must include the service's platform {platform!r}")
    for i, ref in enumerate(_seq(build.get("secrets"))):
        source = ref.get("source") if isinstance(ref, Mapping) else ref
        if isinstance(source, str) and source not in project.section("secrets"):
            message, hint = _undefined("secret", source, list(project.section("secrets")))
            yield Finding((*here, "secrets", i), message, hint)


def networks(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    joined = svc.get("networks")
    if not joined:
        return
    if svc.get("network_mode"):
        yield Finding(("services", name, "network_mode"), "'network_mode' and 'networks' cannot both be set")
    defined = project.section("networks")
    names = joined if isinstance(joined, list) else list(joined) if isinstance(joined, Mapping) else []
    for i, net in enumerate(names):
        if not isinstance(net, str) or net == "default" or net in defined:
            continue
        message, hint = _undefined("network", net, list(defined))
        key = i if isinstance(joined, list) else net
        yield Finding(("services", name, "networks", key), message, hint)


def healthcheck_test(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    check = svc.get("healthcheck")
    test = check.get("test") if isinstance(check, Mapping) else None
    if isinstance(test, list) and test and test[0] not in HEALTHCHECK_KINDS:
        yield Finding(("services", name, "healthcheck", "test"),
                      f"a test list must start with \"CMD\", \"CMD-SHELL\" or \"NONE\", not {test[0]!r}",
                      'e.g. ["CMD", "curl", "-f", "http://localhost"]')


def depends_on(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    deps = svc.get("depends_on")
    if isinstance(deps, list):
        deps = {d: {} for d in deps if isinstance(d, str)}
    if not isinstance(deps, Mapping):
        return
    for dep, cfg in deps.items():
        if dep in project.services:
            continue
        required = cfg.get("required", True) if isinstance(cfg, Mapping) else True
        if dep in project.disabled and required is False:
            continue
        yield from _service_ref(project, ("services", name, "depends_on", dep), dep, "depends on")


def links(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    for i, link in enumerate(_seq(svc.get("links"))):
        parts = str(link).split(":")
        target = parts[0] if len(parts) == 2 else str(link)
        yield from _service_ref(project, ("services", name, "links", i), target, "links to")


def volumes_from(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    for i, ref in enumerate(_seq(svc.get("volumes_from"))):
        ref = str(ref)
        if ref.startswith(CONTAINER_PREFIX):
            continue
        target = ref.split(":")[0]
        yield from _service_ref(project, ("services", name, "volumes_from", i), target, "takes volumes from")


def shared_namespaces(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    for key in NAMESPACE_KEYS:
        value = svc.get(key)
        if isinstance(value, str) and value.startswith(SERVICE_PREFIX):
            target = value[len(SERVICE_PREFIX):]
            yield from _service_ref(project, ("services", name, key), target, f"{key} shares with")


def extends(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    ext = svc.get("extends")
    if isinstance(ext, str):
        ext = {"service": ext}
    if isinstance(ext, Mapping) and not ext.get("file") and isinstance(ext.get("service"), str):
        yield from _service_ref(project, ("services", name, "extends"), ext["service"], "extends")


def _references(svc: Mapping[str, Any], key: str) -> Iterator[tuple[int, str]]:
    for i, ref in enumerate(_seq(svc.get(key))):
        source = ref.get("source") if isinstance(ref, Mapping) else ref
        if isinstance(source, str):
            yield i, source


def resources(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    """Named volumes, secrets, configs and models must be declared at the top level."""
    for i, vol in enumerate(_seq(svc.get("volumes"))):
        if isinstance(vol, Mapping) and vol.get("type") == "volume" and isinstance(vol.get("source"), str) \
                and vol["source"]:
            source = vol["source"]
            if source not in project.section("volumes"):
                message, hint = _undefined("volume", source, list(project.section("volumes")))
                yield Finding(("services", name, "volumes", i), message, hint)
    for key, kind in (("configs", "config"), ("secrets", "secret")):
        defined = project.section(key)
        for i, source in _references(svc, key):
            if source not in defined:
                message, hint = _undefined(kind, source, list(defined))
                yield Finding(("services", name, key, i), message, hint)
    models = svc.get("models")
    names = models if isinstance(models, list) else list(models) if isinstance(models, Mapping) else []
    for model in names:
        if isinstance(model, str) and model not in project.section("models"):
            message, hint = _undefined("model", model, list(project.section("models")))
            yield Finding(("services", name, "models", model), message, hint)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$", re.I)


def _bytes(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    m = _SIZE.match(str(value))
    if not m:
        return None
    return float(m.group(1)) * _UNITS[m.group(2).lower()]


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


# (service key, deploy path, how to compare)
_DEPLOY_TWINS: tuple[tuple[str, tuple[str, ...], Callable[[Any], float | None]], ...] = (
    ("cpus", ("resources", "limits", "cpus"), _number),
    ("mem_limit", ("resources", "limits", "memory"), _bytes),
    ("mem_reservation", ("resources", "reservations", "memory"), _bytes),
    ("pids_limit", ("resources", "limits", "pids"), _number),
)


def scale_and_limits(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    here: Path = ("services", name)
    deploy = svc.get("deploy") if isinstance(svc.get("deploy"), Mapping) else None
    scale = _number(svc.get("scale"))
    replicas = _number(_get(deploy, "replicas"))
    if scale is not None and replicas is not None and scale != replicas:
        yield Finding((*here, "scale"), "'scale' and 'deploy.replicas' are set to different values")
    if scale is not None and scale < 0:
        yield Finding((*here, "scale"), "must be greater than or equal to 0")
    if replicas is not None and replicas < 0:
        yield Finding((*here, "deploy", "replicas"), "must be greater than or equal to 0")
    for key, where, convert in _DEPLOY_TWINS:
        mine, section = convert(svc.get(key)), _get(deploy, *where[:-1])
        if not mine or not isinstance(section, Mapping):
            continue
        # Once deploy sets limits (or reservations), an unset twin counts as 0 and differs.
        raw = section.get(where[-1])
        theirs = 0.0 if raw is None else convert(raw)
        if theirs is not None and not math.isclose(mine, theirs, rel_tol=1e-6):
            dotted = ".".join(("deploy", *where))
            yield Finding((*here, key), f"{key!r} and {dotted!r} are set to different values")
    count = scale if scale is not None else replicas if replicas is not None else 1
    if count > 1 and svc.get("container_name"):
        attr = "scale" if scale is not None else "deploy.replicas"
        yield Finding((*here, "container_name"), f"cannot be set when {attr} is {int(count)}",
                      "container names must be unique")


# Service fields Docker Compose decodes as unsigned integers: a negative value is refused.
# ``*`` stands for every item of a list.
UNSIGNED_FIELDS: tuple[tuple[str, ...], ...] = (
    ("healthcheck", "retries"),
    ("blkio_config", "weight"),
    ("blkio_config", "weight_device", "*", "weight"),
    ("deploy", "update_config", "parallelism"),
    ("deploy", "rollback_config", "parallelism"),
    ("deploy", "restart_policy", "max_attempts"),
    ("deploy", "placement", "max_replicas_per_node"),
    ("ports", "*", "target"),
    ("volumes", "*", "tmpfs", "mode"),
)


def _walk(data: Any, pattern: tuple[str, ...], path: Path = ()) -> Iterator[tuple[Path, Any]]:
    if not pattern:
        yield path, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield from _walk(item, rest, (*path, i))
    elif isinstance(data, Mapping) and head in data:
        yield from _walk(data[head], rest, (*path, head))


def unsigned_fields(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    for pattern in UNSIGNED_FIELDS:
        for path, value in _walk(svc, pattern):
            number = _number(value)
            if number is not None and number < 0:
                yield Finding(("services", name, *path), f"must be greater than or equal to 0 (got {value})")


def _is_ip(text: str) -> bool:
    if "%" in text:  # Docker Compose's parser takes no IPv6 zone
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def port_host_ips(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    for i, port in enumerate(_seq(svc.get("ports"))):
        if isinstance(port, Mapping) and "host_ip" in port:
            ip = port["host_ip"]
            if not isinstance(ip, str) or not _is_ip(ip):
                yield Finding(("services", name, "ports", i, "host_ip"), f"invalid IP address {ip!r}",
                              "e.g. 127.0.0.1 or ::1")


def device_requests(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    for pattern in (("deploy", "resources", "reservations", "devices", "*"), ("gpus", "*")):
        for path, request in _walk(svc, pattern):
            if isinstance(request, Mapping) and "count" in request and "device_ids" in request:
                yield Finding(("services", name, *path), "'count' and 'device_ids' cannot both be set")


def develop_watch(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    for i, rule in enumerate(_seq(_get(svc, "develop", "watch"))):
        if isinstance(rule, Mapping) and rule.get("path") == "":
            yield Finding(("services", name, "develop", "watch", i, "path"), "must not be empty")
        if isinstance(rule, Mapping) and not rule.get("target") \
                and rule.get("action") not in WATCH_ACTIONS_WITHOUT_TARGET:
            yield Finding(("services", name, "develop", "watch", i),
                          f"'target' is required for action {rule.get('action')!r}")


def mount_targets(project: Project, name: str, svc: Mapping[str, Any]) -> Iterator[Finding]:
    seen: dict[str, Path] = {}
    tmpfs = svc.get("tmpfs")
    entries = [tmpfs] if isinstance(tmpfs, str) else _seq(tmpfs)
    found: list[tuple[Path, str]] = []
    for i, entry in enumerate(entries):
        found.append((("services", name, "tmpfs", i), str(entry).split(":", 1)[0]))
    for i, vol in enumerate(_seq(svc.get("volumes"))):
        if isinstance(vol, Mapping) and isinstance(vol.get("target"), str):
            found.append((("services", name, "volumes", i), vol["target"]))
    for path, target in found:
        if target in seen:
            yield Finding(path, f"target {target} is already mounted by {format_path(seen[target])}")
        else:
            seen[target] = path


SERVICE_RULES: tuple[Callable[[Project, str, Mapping[str, Any]], Iterator[Finding]], ...] = (
    image_or_build,
    build_settings,
    networks,
    healthcheck_test,
    # specific references first: the normaliser turns them into depends_on entries too
    links,
    volumes_from,
    shared_namespaces,
    extends,
    depends_on,
    resources,
    scale_and_limits,
    unsigned_fields,
    port_host_ips,
    device_requests,
    develop_watch,
    mount_targets,
)


# -- project rules --------------------------------------------------------------------


def external_volumes(project: Project) -> Iterator[Finding]:
    """An external volume is only named: driver, options or labels cannot apply to it."""
    for name, volume in project.section("volumes").items():
        if not isinstance(volume, Mapping) or volume.get("external") is not True:
            continue
        for key in volume:
            if key not in ("name", "external") and not str(key).startswith("x-"):
                yield Finding(("volumes", name, key), f"cannot be set on an external volume ({key!r} and 'external')",
                              "an external volume is created outside the project")
                break


# top-level section -> (its kind, the keys that give the content, of which exactly one is needed)
FILE_OBJECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "secrets": ("secret", ("file", "environment")),
    "configs": ("config", ("file", "environment", "content")),
}


def file_objects_have_one_source(project: Project) -> Iterator[Finding]:
    for section, (kind, keys) in FILE_OBJECTS.items():
        for name, obj in project.section(section).items():
            if not isinstance(obj, Mapping):
                continue
            given = [k for k in keys if k in obj]
            alternatives = ", ".join(repr(k) for k in keys)
            if len(given) > 1:
                yield Finding((section, name, given[1]), f"{' and '.join(repr(k) for k in given)} cannot both be set",
                              f"a {kind} takes one of {alternatives}")
            elif not given and "driver" not in obj and "external" not in obj:
                yield Finding((section, name), f"must set one of {alternatives} (or be 'external')")


def secrets_have_source(project: Project) -> Iterator[Finding]:
    for name, secret in project.section("secrets").items():
        if not isinstance(secret, Mapping) or secret.get("external"):
            continue
        if not secret.get("file") and not secret.get("environment"):
            yield Finding(("secrets", name), "must set 'file' or 'environment' (or be 'external')")


def unique_container_names(project: Project) -> Iterator[Finding]:
    owners: dict[str, str] = {}
    for name, svc in project.services.items():
        cname = svc.get("container_name") if isinstance(svc, Mapping) else None
        if not isinstance(cname, str) or not cname:
            continue
        if cname in owners:
            yield Finding(("services", name, "container_name"),
                          f"container name {cname!r} is already used by service {owners[cname]!r}",
                          "container names must be unique")
        else:
            owners[cname] = name


PROJECT_RULES: tuple[Callable[[Project], Iterator[Finding]], ...] = (
    external_volumes,
    file_objects_have_one_source,
    secrets_have_source,
    unique_container_names,
)


def findings(data: Mapping[str, Any], disabled: Collection[str] = ()) -> Iterator[Finding]:
    """Every problem of the project, services first (in file order), then the rest."""
    project = Project(data, frozenset(disabled))
    for name, svc in project.services.items():
        if not isinstance(svc, Mapping):
            continue
        for rule in SERVICE_RULES:
            yield from rule(project, name, svc)
    for project_rule in PROJECT_RULES:
        yield from project_rule(project)


def check_project(data: Mapping[str, Any], locate: Locator, disabled: Collection[str] = ()) -> None:
    """Raise :class:`ConfigError` for the first semantic problem of the merged project.

    ``locate(path)`` gives ``(file, line, column)`` of a path of the merged project
    (or ``None``); ``disabled`` names services left out by the active profiles, so a
    reference to one of them can say so.
    """
    for finding in findings(data, disabled):
        where = locate(finding.path)
        file, line, column = where if where else (None, None, None)
        raise ConfigError(finding.message, file=file, line=line, column=column, path=finding.path,
                          hint=finding.hint)
