"""Per-file canonical form: every short syntax of a compose file turned into the long
form Docker Compose works with, before the files are merged.

``CANONICAL`` is the table: a path pattern (``*`` matches any key or list index) and
the function that rewrites the value found there. The walk visits every node; when a
pattern matches, the rewritten value replaces the node and the walk goes on into it.
Values tagged ``!reset``/``!override`` keep their tag around the rewritten value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError
from compose.loader.pathtable import Cursor, PathTable
from compose.loader.yamlsource import Override, Path, Reset, SourceMap

from .ports import PortSyntaxError, parse_port
from .values import go_string
from .volumes import VolumeSyntaxError, parse_volume


@dataclass(frozen=True)
class Context:
    """Where a rewrite happens, to point errors at the file, line and key.

    ``lenient``: a short syntax that does not parse is kept as written instead of
    refused (Docker Compose does so when interpolation is off, since ``${...}`` may
    stand where a number belongs).
    """

    source: SourceMap | None
    lenient: bool = False

    def error(self, message: str, path: Path, hint: str | None = None) -> ConfigError:
        if self.source is not None:
            return self.source.error(message, path, hint)
        return ConfigError(message, path=path, hint=hint)


Rewrite = Callable[[Any, Path, Context], Any]


def _type_name(value: Any) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean",
            list: "a list", dict: "a mapping", type(None): "null"}.get(type(value), type(value).__name__)


def string_or_list(value: Any, path: Path, ctx: Context) -> Any:
    """``dns: 8.8.8.8`` -> ``["8.8.8.8"]``."""
    return [value] if isinstance(value, str) else value


def non_empty_list(value: Any, path: Path, ctx: Context) -> Any:
    """``dns: ""`` -> ``[]``: empty entries dropped (string or list)."""
    value = string_or_list(value, path, ctx)
    if isinstance(value, list):
        return [item for item in value if item not in ("", None)]
    return value


def string_or_x(value: Any, path: Path, ctx: Context) -> Any:
    """``provenance: true`` -> ``"true"`` (Go's ``fmt.Sprint``)."""
    return value if isinstance(value, str) else go_string(value)


def key_value(value: Any, path: Path, ctx: Context) -> Any:
    """``["a=b"]`` -> ``{"a": "b"}``; an item without ``=`` is refused."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, list):
        raise ctx.error(f"expected a mapping or a list of KEY=VALUE, got {_type_name(value)}", path)
    out: dict[str, Any] = {}
    for i, item in enumerate(value):
        key, sep, rest = str(item).partition("=")
        if not sep:
            if ctx.lenient:
                return value
            raise ctx.error(f"invalid value {item!r}, expected KEY=VALUE", (*path, i))
        out[key] = rest
    return out


def list_to_map(value: Any, path: Path, ctx: Context) -> Any:
    """``networks: [front]`` -> ``{"front": None}``."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ctx.error(f"expected a name, got {_type_name(item)}", (*path, i))
            out[item] = None
        return out
    return value


def depends_on(value: Any, path: Path, ctx: Context) -> Any:
    """``[db]`` -> ``{"db": {"condition": "service_started", "required": True}}``."""
    if isinstance(value, list):
        return {str(name): {"condition": "service_started", "required": True} for name in value}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for name, spec in value.items():
            if not isinstance(spec, dict):
                raise ctx.error(f"expected a mapping with a condition, got {_type_name(spec)}", (*path, name))
            out[name] = {**spec}
            out[name].setdefault("condition", "service_started")
            out[name].setdefault("required", True)
        return out
    raise ctx.error(f"expected a list of services or a mapping, got {_type_name(value)}", path)


def _env_file_item(value: Any) -> Any:
    if isinstance(value, str):
        return {"path": value, "required": True}
    if isinstance(value, dict):
        return {**value, "required": value.get("required", True)}
    return value


def env_file(value: Any, path: Path, ctx: Context) -> Any:
    """``env_file: a.env`` -> ``[{"path": "a.env", "required": True}]``."""
    if isinstance(value, str):
        return [_env_file_item(value)]
    if isinstance(value, list):
        return [_env_file_item(item) for item in value]
    raise ctx.error(f"expected a path or a list of paths, got {_type_name(value)}", path)


def extends(value: Any, path: Path, ctx: Context) -> Any:
    """``extends: base`` -> ``{"service": "base"}``."""
    if isinstance(value, str):
        return {"service": value}
    if isinstance(value, dict):
        return value
    raise ctx.error(f"expected a service name or a mapping, got {_type_name(value)}", path)


def gpus(value: Any, path: Path, ctx: Context) -> Any:
    """``gpus: all`` -> ``[{"count": "all"}]``."""
    if isinstance(value, str):
        return [{"count": "all"}]
    if isinstance(value, list):
        return value
    raise ctx.error(f"expected 'all' or a list of device requests, got {_type_name(value)}", path)


def volume_mount(value: Any, path: Path, ctx: Context) -> Any:
    """``./data:/data:ro`` -> ``{"type": "bind", "source": "./data", ...}``."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise ctx.error(f"expected a volume spec or a mapping, got {_type_name(value)}", path)
    try:
        return parse_volume(value)
    except VolumeSyntaxError as exc:
        if ctx.lenient:
            return value
        raise ctx.error(str(exc), path, "expected [SOURCE:]TARGET[:OPTIONS]") from None


def device_mapping(value: Any, path: Path, ctx: Context) -> Any:
    """``/dev/fuse`` -> ``{"source": "/dev/fuse", "target": "/dev/fuse", "permissions": "rwm"}``."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise ctx.error(f"expected a device spec or a mapping, got {_type_name(value)}", path)
    parts = value.split(":")
    if len(parts) > 3 and ctx.lenient:
        return {"source": "", "target": "", "permissions": "rwm"}  # what Docker Compose makes of it
    if len(parts) > 3:
        raise ctx.error(f"invalid device {value!r}", path, "use the long syntax: source, target, permissions")
    source = parts[0]
    target = parts[1] if len(parts) > 1 else ""
    permissions = parts[2] if len(parts) > 2 else "rwm"
    return {"source": source, "target": target or source, "permissions": permissions}


def file_mount(value: Any, path: Path, ctx: Context) -> Any:
    """``secrets: [token]`` -> ``[{"source": "token"}]``."""
    if isinstance(value, str):
        return {"source": value}
    if isinstance(value, dict):
        return value
    raise ctx.error(f"expected a name or a mapping, got {_type_name(value)}", path)


def ports(value: Any, path: Path, ctx: Context) -> Any:
    """Each short spec -> one long entry per port (a range gives several)."""
    if not isinstance(value, list):
        raise ctx.error(f"expected a list of ports, got {_type_name(value)}", path)
    out: list[Any] = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            out.append(item)
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            try:
                out.extend(parse_port(str(item)))
            except PortSyntaxError as exc:
                if ctx.lenient:
                    return value
                raise ctx.error(f"invalid port {str(item)!r}: {exc}", (*path, i),
                                "expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]") from None
        else:
            raise ctx.error(f"expected a port spec or a mapping, got {_type_name(item)}", (*path, i))
    return out


def build(value: Any, path: Path, ctx: Context) -> Any:
    """``build: ./dir`` -> ``{"context": "./dir"}``."""
    if isinstance(value, str):
        return {"context": value}
    if isinstance(value, dict):
        return value
    raise ctx.error(f"expected a context path or a mapping, got {_type_name(value)}", path)


def ssh(value: Any, path: Path, ctx: Context) -> Any:
    """``["default", "key=/path"]`` -> ``{"default": None, "key": "/path"}``."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, list):
        raise ctx.error(f"expected a list or a mapping, got {_type_name(value)}", path)
    out: dict[str, Any] = {}
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ctx.error(f"expected ID=PATH, got {_type_name(item)}", (*path, i))
        key, sep, rest = item.partition("=")
        if not sep and key != "default":
            raise ctx.error(f"invalid ssh key {item!r}", (*path, i), "expected 'default' or ID=PATH")
        out[key] = rest if sep else None
    return out


def ulimit(value: Any, path: Path, ctx: Context) -> Any:
    """A single number or ``{soft, hard}``; kept as is, anything else refused."""
    if isinstance(value, dict) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ctx.error(f"expected a number or a mapping with soft and hard, got {_type_name(value)}", path)


def maybe_external(value: Any, path: Path, ctx: Context) -> Any:
    """``external: {name: x}`` (deprecated) -> ``external: true`` and ``name: x``."""
    if value is None or not isinstance(value, dict):
        return value
    external = value.get("external")
    if not isinstance(external, dict):
        return value
    out = {**value, "external": True}
    if "name" in external:
        if "name" in value and value["name"] != external["name"]:
            raise ctx.error("name and external.name conflict", path, "set only name, and external: true")
        out["name"] = external["name"]
    return out


def include(value: Any, path: Path, ctx: Context) -> Any:
    """``include: [a.yaml]`` -> ``[{"path": "a.yaml"}]``."""
    if isinstance(value, str):
        return {"path": value}
    if isinstance(value, dict):
        return value
    raise ctx.error(f"expected a path or a mapping, got {_type_name(value)}", path)


CANONICAL: dict[tuple[str, ...], Rewrite] = {
    ("services", "*", "build"): build,
    ("services", "*", "build", "secrets", "*"): file_mount,
    ("services", "*", "build", "provenance"): string_or_x,
    ("services", "*", "build", "sbom"): string_or_x,
    ("services", "*", "build", "additional_contexts"): key_value,
    ("services", "*", "build", "ssh"): ssh,
    ("services", "*", "build", "ulimits", "*"): ulimit,
    ("services", "*", "depends_on"): depends_on,
    ("services", "*", "env_file"): env_file,
    ("services", "*", "label_file"): string_or_list,
    ("services", "*", "extends"): extends,
    ("services", "*", "gpus"): gpus,
    ("services", "*", "networks"): list_to_map,
    ("services", "*", "models"): list_to_map,
    ("services", "*", "volumes", "*"): volume_mount,
    ("services", "*", "dns"): non_empty_list,
    ("services", "*", "devices", "*"): device_mapping,
    ("services", "*", "secrets", "*"): file_mount,
    ("services", "*", "configs", "*"): file_mount,
    ("services", "*", "ports"): ports,
    ("services", "*", "ulimits", "*"): ulimit,
    ("services", "*", "develop", "watch", "*", "ignore"): string_or_list,
    ("services", "*", "develop", "watch", "*", "include"): string_or_list,
    ("volumes", "*"): maybe_external,
    ("networks", "*"): maybe_external,
    ("secrets", "*"): maybe_external,
    ("configs", "*"): maybe_external,
    ("include", "*"): include,
}


def matches(pattern: tuple[str, ...], path: Path) -> bool:
    """Whether ``path`` fits ``pattern`` (``*`` stands for any one key or index)."""
    return len(pattern) == len(path) and all(p == "*" or p == k for p, k in zip(pattern, path, strict=True))


def walk(value: Any, path: Path, ctx: Context, table: dict[tuple[str, ...], Rewrite]) -> Any:
    """Apply ``table`` to ``value`` and everything under it; returns new containers."""
    return _walk(value, path, ctx, PathTable(table).at(path))


def _walk(value: Any, path: Path, ctx: Context, cursor: Cursor[Rewrite]) -> Any:
    if isinstance(value, (Reset, Override)):
        return type(value)(_walk(value.value, path, ctx, cursor))
    if cursor.dead:
        return _copy(value)
    rewrite = cursor.rule()
    if rewrite is not None:
        value = rewrite(value, path, ctx)
    if isinstance(value, dict):
        return {k: _walk(v, (*path, k), ctx, cursor.child(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), ctx, cursor.child(i)) for i, v in enumerate(value)]
    return value


def _copy(value: Any) -> Any:
    """New containers all the way down, as the walk makes where a rule may apply."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, (Reset, Override)):
        return type(value)(_copy(value.value))
    return value


def canonical(data: dict, *, source: SourceMap | None = None, lenient: bool = False) -> dict:
    """Per-file: every short syntax turned into compose-go's long form (before merging).

    The input is not modified. Raises :class:`ConfigError` for malformed short syntax,
    unless ``lenient`` (for ``--no-interpolate``), which keeps it as written.
    """
    if not isinstance(data, dict):
        raise ConfigError("a compose file must be a mapping", file=source.file if source else None)
    return walk(data, (), Context(source, lenient), CANONICAL)
