"""The merged compose model made complete: what ``docker compose config --format json``
prints.

Steps, in Docker Compose's order:

1. defaults of the long forms (``DEFAULTS``: port protocol and mode, secret targets,
   build context, device request count);
2. relative paths resolved against the project directory (:mod:`compose.loader.paths`);
3. implied values: the ``default`` network and ``networks: {default: null}`` for
   services without one, ``dockerfile: Dockerfile``, environment names without a value
   taken from the environment, ``depends_on`` entries implied by ``links``,
   ``volumes_from`` and ``service:`` namespaces, resource ``name:`` from the project;
4. ``env_file`` and ``label_file`` contents read into ``environment``/``labels``;
5. every field cast to its type (:mod:`compose.loader.transform.fields`);
6. networks, volumes, secrets, configs and models that no service uses left out.

``typed=False`` stops after step 3 (what ``config --no-interpolate`` prints), and
:func:`config_json` turns a model into the exact print of ``config --format json``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from typing import Any

from compose.errors import ConfigError
from compose.loader import observe, paths
from compose.loader.pathtable import Cursor, PathTable
from compose.loader.transform import fields
from compose.loader.transform.canonical import matches
from compose.loader.transform.fields import shape
from compose.loader.transform.values import CastError
from compose.loader.transform.volumes import clean_path
from compose.loader.yamlsource import Path

__all__ = ["DEFAULTS", "config_json", "escape_dollars", "normalize"]

RESOURCES = ("networks", "volumes", "secrets", "configs")
_SHAPES = {"networks": "network", "volumes": "volume", "secrets": "file_object", "configs": "file_object",
           "models": "model"}
_NAMESPACES = ("network_mode", "ipc", "pid", "uts", "cgroup")


def _port_defaults(value: Any, path: Path) -> Any:
    if isinstance(value, dict):
        return {**value, "protocol": value.get("protocol", "tcp"), "mode": value.get("mode", "ingress")}
    return value


def _secret_target(value: Any, path: Path) -> Any:
    if isinstance(value, dict) and "target" not in value:
        return {**value, "target": f"/run/secrets/{value.get('source')}"}
    return value


def _build_context(value: Any, path: Path) -> Any:
    if isinstance(value, dict) and "context" not in value:
        return {**value, "context": "."}
    return value


def _device_count(value: Any, path: Path) -> Any:
    if isinstance(value, dict) and "count" not in value and "device_ids" not in value:
        return {**value, "count": "all"}
    return value


DEFAULTS: dict[tuple[str, ...], Callable[[Any, Path], Any]] = {
    ("services", "*", "build"): _build_context,
    ("services", "*", "secrets", "*"): _secret_target,
    ("services", "*", "ports", "*"): _port_defaults,
    ("services", "*", "deploy", "resources", "reservations", "devices", "*"): _device_count,
    ("services", "*", "gpus", "*"): _device_count,
}


_DEFAULTS_TABLE = PathTable(DEFAULTS)


def set_defaults(value: Any, path: Path = ()) -> Any:
    """``value`` with the ``DEFAULTS`` filled in (a copy)."""
    return _defaults(value, path, _DEFAULTS_TABLE.at(path))


def _defaults(value: Any, path: Path, cursor: Cursor[Callable[[Any, Path], Any]]) -> Any:
    fill = cursor.rule()
    if fill is not None:
        value = fill(value, path)
    if isinstance(value, dict):
        return {k: _defaults(item, (*path, k), cursor.child(k)) for k, item in value.items()}
    if isinstance(value, list):
        return [_defaults(item, (*path, i), cursor.child(i)) for i, item in enumerate(value)]
    return value


def _resolve_env(value: Any, environ: Mapping[str, str], keep_empty: bool) -> Any:
    """Names without a value take it from ``environ``; unknown ones are kept (as null) or
    dropped."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is not None:
                out[key] = item
            elif key in environ:
                out[key] = environ[key]
            elif keep_empty:
                out[key] = None
        return out
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            if isinstance(item, str) and "=" not in item:
                if item in environ:
                    items.append(f"{item}={environ[item]}")
                elif keep_empty:
                    items.append(item)
            else:
                items.append(item)
        return items or None  # Go leaves an empty result nil: null, not []
    return value


def _implied_dependency(restart: bool) -> dict[str, Any]:
    return {"condition": "service_started", "restart": restart, "required": True}


def _normalize_service(service: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    if service.get("pull_policy") == "if_not_present":
        service["pull_policy"] = "missing"
    build = service.get("build")
    if isinstance(build, dict):
        build = {**build}
        if build.get("context") is None:
            build["context"] = "."
        if build.get("dockerfile") is None and build.get("dockerfile_inline") is None:
            build["dockerfile"] = "Dockerfile"
        if "args" in build:
            build["args"] = _resolve_env(build["args"], environ, keep_empty=False)
        service["build"] = build
    if "environment" in service:
        service["environment"] = _resolve_env(service["environment"], environ, keep_empty=True)
    depends_on = dict(service.get("depends_on") or {})
    for link in service.get("links") or []:
        parts = str(link).split(":")
        name = parts[0] if len(parts) == 2 else str(link)
        depends_on.setdefault(name, _implied_dependency(True))
    for key in _NAMESPACES:
        ref = service.get(key)
        if isinstance(ref, str) and ref.startswith("service:"):
            depends_on.setdefault(ref.removeprefix("service:"), _implied_dependency(True))
    if isinstance(service.get("volumes"), list):
        service["volumes"] = [
            {**vol, "target": clean_path(str(vol["target"]))} if isinstance(vol, dict) and "target" in vol else vol
            for vol in service["volumes"]
        ]
    for ref in service.get("volumes_from") or []:
        if not str(ref).startswith("container:"):
            depends_on.setdefault(str(ref).split(":")[0], _implied_dependency(False))
    if depends_on:
        service["depends_on"] = depends_on
    return service


def _default_networks(data: dict[str, Any]) -> None:
    networks = dict(data.get("networks") or {})
    uses_default = False
    for name, service in (data.get("services") or {}).items():
        if "provider" in service or "network_mode" in service:
            continue
        nets = service.get("networks")
        if not nets:
            service["networks"] = {"default": None}
            uses_default = True
        elif "default" in nets:
            uses_default = True
        data["services"][name] = service
    if uses_default and "default" not in networks:
        networks["default"] = None
    if networks:
        data["networks"] = networks


def _name_resources(data: dict[str, Any], project_name: str) -> None:
    for kind in RESOURCES:
        if kind not in data:
            continue
        named: dict[str, Any] = {}
        for key, resource in (data[kind] or {}).items():
            resource = dict(resource or {})
            if resource.get("name") is None:
                external = str(resource.get("external", "")).lower() in ("true", "1", "t")
                resource["name"] = key if external else f"{project_name}_{key}"
            named[key] = resource
        data[kind] = named


def _resource_environment(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, config in (data.get("configs") or {}).items():
        env = config.get("environment") if isinstance(config, dict) else None
        if isinstance(env, str) and env in environ:
            data["configs"][name] = {**config, "content": environ[env]}


def _cast(cast: Callable[[Any], dict[str, Any]], value: Any, path: Path) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        return cast(value)
    except CastError as exc:
        raise ConfigError(str(exc.args[0]), path=path) from None


def _read_env_files(service: dict[str, Any], environ: Mapping[str, str], working_dir: str, path: Path) -> None:
    """Docker Compose's order: environment names resolved, env files read (later files
    win), then the service's own ``environment`` on top. ``env_file`` is dropped."""
    from compose.loader import dotenv

    environment: dict[str, Any] = _cast(fields.mapping_with_equals, service.get("environment"),
                                        (*path, "environment"))
    for key, value in list(environment.items()):
        if value is None and key in environ:
            environment[key] = environ[key]
    merged: dict[str, str] = {k: val for k, val in environment.items() if val is not None}

    def lookup(name: str) -> str | None:
        if name in environ:
            return environ[name]
        value = environment.get(name)
        return value if isinstance(value, str) else None

    for i, entry in enumerate(service.pop("env_file", None) or []):
        file = os.path.join(working_dir, entry["path"] if isinstance(entry, dict) else str(entry))
        required = entry.get("required", True) if isinstance(entry, dict) else True
        fmt = (entry.get("format") if isinstance(entry, dict) else None) or "dotenv"
        if fmt not in ("dotenv", "raw"):
            raise ConfigError(f"unsupported env_file format {fmt!r}", path=(*path, "env_file", i),
                              hint="expected dotenv or raw")
        if not observe.exists(file):
            if required is True or str(required).lower() == "true":
                raise ConfigError(f"env file {file} not found", path=(*path, "env_file", i))
            continue
        try:
            text = observe.read_text(file, errors="surrogateescape")
        except OSError as exc:
            raise ConfigError(f"cannot read env file {file}: {exc.strerror}", path=(*path, "env_file", i)) from None
        if fmt == "raw":
            _parse_raw(text, lookup, merged, file)
        else:
            dotenv.parse(text, lookup, into=merged, file=file)
    out: dict[str, Any] = dict(merged)
    out.update(environment)
    if out:
        service["environment"] = out
    else:
        service.pop("environment", None)


def _parse_raw(text: str, lookup: Callable[[str], str | None], into: dict[str, str], file: str) -> None:
    """``docker run --env-file`` syntax: ``KEY=VALUE`` taken literally, ``KEY`` alone takes
    the value from ``lookup`` (or is skipped), ``#`` lines and blank lines skipped."""
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if any(c.isspace() for c in key):
            raise ConfigError(f"variable {key!r} contains whitespaces", file=file, line=number)
        if sep:
            into[key] = value
        else:
            found = lookup(key)
            if found is not None:
                into[key] = found


def _read_label_files(service: dict[str, Any], working_dir: str, path: Path) -> None:
    from compose.loader import dotenv

    files = service.pop("label_file", None) or []
    labels: dict[str, str] = {}
    for i, name in enumerate(files):
        file = os.path.join(working_dir, name)
        if not observe.exists(file):
            raise ConfigError(f"label file {file} not found", path=(*path, "label_file", i))
        dotenv.parse(observe.read_text(file, errors="surrogateescape"), labels.get, into=labels, file=file)
    labels.update(_cast(fields.mapping, service.get("labels"), (*path, "labels")))
    if labels:
        service["labels"] = labels


def _used_resources(services: Mapping[str, Any]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {kind: set() for kind in _SHAPES}
    for service in services.values():
        used["models"].update(service.get("models") or {})
        used["networks"].update(service.get("networks") or {})
        for vol in service.get("volumes") or []:
            if vol.get("type") == "volume" and vol.get("source"):
                used["volumes"].add(vol["source"])
        for secret in [*(service.get("secrets") or []), *((service.get("build") or {}).get("secrets") or [])]:
            used["secrets"].add(secret.get("source", ""))
        for config in service.get("configs") or []:
            used["configs"].add(config.get("source", ""))
    return used


def _shape_project(data: dict[str, Any], project_name: str) -> dict[str, Any]:
    services = {name: shape("service", service, ("services", name))
                for name, service in (data.get("services") or {}).items()}
    out: dict[str, Any] = {"name": project_name, "services": services}
    for kind, struct in _SHAPES.items():
        out[kind] = {key: shape(struct, value, (kind, key)) for key, value in (data.get(kind) or {}).items()}
    for secret in out["secrets"].values():
        secret.pop("content", None)  # never printed: it may come from the environment
    for config in out["configs"].values():
        if config.get("environment"):
            config.pop("content", None)  # printed as its source, the variable's name
    for key, value in data.items():
        if key.startswith("x-"):
            out[key] = empty_lists_as_null(value, (key,))
    return out


Locate = Callable[[Path], tuple[str, int, int] | None]


def normalize(data: dict, *, working_dir: str, environ: Mapping[str, str],
              project_name: str, resolve_paths: bool = True, keep_unused: bool = False,
              typed: bool = True, implied: bool = True, locate: Locate | None = None) -> dict:
    """After merging: defaults (default network, `name:` of networks/volumes/secrets/configs,
    `networks: {default: null}` for services, `command: null`/`entrypoint: null`, build context/
    dockerfile defaults, depends_on long form...), relative paths resolved against the project dir,
    env_file contents read into `environment`, and so on: the result is exactly what
    `docker compose config --format json` prints.

    Two things differ from that print, for the model's users: top-level ``models`` are
    kept (Docker Compose knows them but does not print them) and ``$`` is not escaped;
    :func:`config_json` makes the print from the model. ``keep_unused`` keeps resources
    no service uses (``--all-resources``). ``locate`` maps a path of the merged model to
    the (file, line, column) that set it, for errors."""
    try:
        if not typed:
            return _untyped(data, working_dir=working_dir, project_name=project_name, resolve_paths=resolve_paths,
                            implied=implied)
        return _normalize(data, working_dir=working_dir, environ=environ, project_name=project_name,
                          resolve_paths=resolve_paths, keep_unused=keep_unused, implied=implied)
    except ConfigError as exc:
        if locate is not None and exc.file is None and exc.path:
            where = locate(exc.path)
            if where is not None:
                exc.file, exc.line, exc.column = where
        raise


def _implied(data: dict, *, working_dir: str, environ: Mapping[str, str], project_name: str,
             resolve_paths: bool, implied: bool = True) -> dict:
    """Steps 1 to 3: defaults, paths and implied values, on the untyped mapping."""
    data = set_defaults(copy.deepcopy(data))
    data.pop("version", None)
    if resolve_paths:
        data = paths.resolve_paths(data, working_dir, environ)
    _resource_environment(data, environ)
    if not implied:
        data["services"] = {name: dict(service or {}) for name, service in (data.get("services") or {}).items()}
        return data
    _default_networks(data)
    services = data.get("services") or {}
    data["services"] = {name: _normalize_service(dict(service or {}), environ) for name, service in services.items()}
    _name_resources(data, project_name)
    return data


def empty_lists_as_null(value: Any, path: Path = ()) -> Any:
    """Docker Compose carries an empty YAML list as null, except in the sequences its
    uniqueness pass rebuilds (``compose.loader.merge.UNIQUE``): so prints it."""
    from compose.loader.merge import UNIQUE

    if isinstance(value, list):
        if not value and not any(matches(pattern, path) for pattern in UNIQUE):
            return None
        return [empty_lists_as_null(item, (*path, i)) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {k: empty_lists_as_null(item, (*path, k)) for k, item in value.items()}
    return value


def _untyped(data: dict, *, working_dir: str, project_name: str, resolve_paths: bool, implied: bool) -> dict:
    if not implied:  # the mapping as merged: its own ``name:``, if any
        return empty_lists_as_null(_implied(data, working_dir=working_dir, environ={}, project_name=project_name,
                                            resolve_paths=resolve_paths, implied=False))
    data = _implied({**data, "name": project_name}, working_dir=working_dir, environ={},
                    project_name=project_name, resolve_paths=resolve_paths)
    return empty_lists_as_null({"name": project_name, **{k: v for k, v in data.items() if k != "name"}})


def _normalize(data: dict, *, working_dir: str, environ: Mapping[str, str], project_name: str,
               resolve_paths: bool, keep_unused: bool, implied: bool) -> dict:
    data = _implied(data, working_dir=working_dir, environ=environ, project_name=project_name,
                    resolve_paths=resolve_paths, implied=implied)
    for name, service in data["services"].items():
        if service.get("scale") is not None and isinstance(service.get("deploy"), dict):
            service["deploy"] = {**service["deploy"], "replicas": service["scale"]}
        _read_env_files(service, environ, working_dir, ("services", name))
        _read_label_files(service, working_dir, ("services", name))
    project = _shape_project(data, project_name)
    used = _used_resources(project["services"])
    for kind in _SHAPES:
        kept = {key: value for key, value in project[kind].items() if keep_unused or key in used[kind]}
        if kept:
            project[kind] = kept
        else:
            del project[kind]
    return project


def escape_dollars(value: Any) -> Any:
    """Every ``$`` of keys and strings doubled, as ``docker compose config`` prints an
    interpolated model (so that the output reads back to the same model)."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {escape_dollars(k): escape_dollars(item) for k, item in value.items()}
    if isinstance(value, list):
        return [escape_dollars(item) for item in value]
    return value


def config_json(model: Mapping[str, Any], *, interpolated: bool = True) -> dict[str, Any]:
    """What ``docker compose config --format json`` prints for a normalised ``model``:
    without top-level ``models``, and with ``$`` escaped as ``$$`` when the model was
    interpolated (so that the print reads back to the same model)."""
    printed = {key: value for key, value in model.items() if key != "models"}
    return escape_dollars(printed) if interpolated else printed
