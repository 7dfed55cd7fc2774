"""Merge compose files (and ``extends`` bases) with Docker Compose's rules.

By default mappings merge key by key and a later scalar replaces an earlier one;
sequences are concatenated. :data:`MERGE_RULES` lists the keys that merge another
way (``command`` replaces, ``environment`` and ``labels`` merge by key, ...), and
:data:`UNIQUE` the sequences whose items are made unique by a key afterwards (the
later item wins, in the place of the first one): ports by ``ip:published:target/
protocol``, volumes by target, ``KEY=VALUE`` lists by ``KEY``, ...

``!reset`` and ``!override`` are handled before merging: :func:`split_tags` takes
them out of a document and returns the paths they stood at; :func:`apply_resets`
removes those paths from what earlier files set, so the later value (or nothing,
for ``!reset``) is all that is left.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from compose.errors import ConfigError
from compose.loader.pathtable import Cursor, PathTable
from compose.loader.transform.values import go_string
from compose.loader.yamlsource import Override, Reset

__all__ = [
    "MERGE_RULES",
    "UNIQUE",
    "apply_resets",
    "enforce_unicity",
    "merge",
    "omit_empty",
    "split_tags",
]

Path = tuple[str | int, ...]
Merger = Callable[[Any, Any, Path], Any]
Indexer = Callable[[Any, Path], str]


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


# --- merge rules ---------------------------------------------------------------------


def _to_sequence(value: Any) -> list[Any]:
    """A ``KEY: VALUE`` mapping -> sorted ``KEY=VALUE`` strings; a list stays."""
    if isinstance(value, dict):
        seq: list[str] = []
        for key, item in value.items():
            if item is None:
                seq.append(key)
            elif isinstance(item, list):
                seq.extend(f"{key}={go_string(v)}" for v in item)
            else:
                seq.append(f"{key}={go_string(item)}")
        return sorted(seq)
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return [value]
    return []


def _to_mapping(value: Any, default: dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(item): (dict(default) if default is not None else None) for item in value}
    return {}


def _sequence(base: Any, over: Any, path: Path) -> Any:
    return _to_sequence(base) + _to_sequence(over)


def _replace(base: Any, over: Any, path: Path) -> Any:
    return over


def _extra_hosts(base: Any, over: Any, path: Path) -> Any:
    right = _to_sequence(base)
    return right + [v for v in _to_sequence(over) if v not in right]


def _logging(base: Any, over: Any, path: Path) -> Any:
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    if "driver" in base and "driver" in over and base["driver"] != over["driver"]:
        return over
    return _mappings(base, over, path)


def _build(base: Any, over: Any, path: Path) -> Any:
    def as_mapping(value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            return {"context": value}
        return value if isinstance(value, dict) else {}

    return _mappings(as_mapping(base), as_mapping(over), path)


_STARTED = {"condition": "service_started", "required": True}


def _depends_on(base: Any, over: Any, path: Path) -> Any:
    return _mappings(_to_mapping(base, _STARTED), _to_mapping(over, _STARTED), path)


def _by_name(base: Any, over: Any, path: Path) -> Any:
    return _mappings(_to_mapping(base, None), _to_mapping(over, None), path)


def _ulimit(base: Any, over: Any, path: Path) -> Any:
    return over


def _ipam_config(base: Any, over: Any, path: Path) -> Any:
    if not isinstance(base, list) or not isinstance(over, list):
        raise ConfigError(f"{_dotted(path)}: unexpected type", path=path)
    out: list[dict[str, Any]] = []
    for original in base:
        right = _to_mapping(original, None)
        for item in over:
            left = _to_mapping(item, None)
            if left.get("subnet") != right.get("subnet") and not any(
                c.get("subnet") == left.get("subnet") for c in out
            ):
                out.append(left)
                continue
            # As in Docker Compose, the original entry itself takes the override (so a
            # later override of the same entry sees the earlier one applied).
            merged = _mappings(right, left, path)
            right.clear()
            right.update(merged)
            merged = right
            index = next((i for i, c in enumerate(out) if c.get("subnet") == merged.get("subnet")), -1)
            if index >= 0:
                out[index] = merged
            else:
                out.append(merged)
    return out


# path pattern -> how the later value combines with the earlier one
MERGE_RULES: dict[tuple[str, ...], Merger] = {
    ("networks", "*", "ipam", "config"): _ipam_config,
    ("networks", "*", "labels"): _sequence,
    ("volumes", "*", "labels"): _sequence,
    ("services", "*", "annotations"): _sequence,
    ("services", "*", "build"): _build,
    ("services", "*", "build", "args"): _sequence,
    ("services", "*", "build", "additional_contexts"): _sequence,
    ("services", "*", "build", "extra_hosts"): _extra_hosts,
    ("services", "*", "build", "labels"): _sequence,
    ("services", "*", "command"): _replace,
    ("services", "*", "depends_on"): _depends_on,
    ("services", "*", "deploy", "labels"): _sequence,
    ("services", "*", "dns"): _sequence,
    ("services", "*", "dns_opt"): _sequence,
    ("services", "*", "dns_search"): _sequence,
    ("services", "*", "entrypoint"): _replace,
    ("services", "*", "env_file"): _sequence,
    ("services", "*", "label_file"): _sequence,
    ("services", "*", "environment"): _sequence,
    ("services", "*", "extra_hosts"): _extra_hosts,
    ("services", "*", "healthcheck", "test"): _replace,
    ("services", "*", "labels"): _sequence,
    ("services", "*", "volumes", "*", "volume", "labels"): _sequence,
    ("services", "*", "logging"): _logging,
    ("services", "*", "models"): _by_name,
    ("services", "*", "networks"): _by_name,
    ("services", "*", "sysctls"): _sequence,
    ("services", "*", "tmpfs"): _sequence,
    ("services", "*", "ulimits", "*"): _ulimit,
}


_MERGE_TABLE = PathTable(MERGE_RULES)


def _value(base: Any, over: Any, path: Path) -> Any:
    rule = _MERGE_TABLE.lookup(path)
    if rule is not None:
        return rule(base, over, path)
    if over is None:
        return base
    if isinstance(base, dict):
        if not isinstance(over, dict):
            raise ConfigError(f"cannot override {_dotted(path)}", path=path)
        return _mappings(base, over, path)
    if isinstance(base, list):
        if not isinstance(over, list):
            raise ConfigError(f"cannot override {_dotted(path)}", path=path)
        return base + over
    return over


def _mappings(base: dict[str, Any], over: dict[str, Any], path: Path) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key not in out:
            out[key] = value
        else:
            out[key] = _value(out[key], value, (*path, key))
    return out


def merge(base: dict[str, Any], over: dict[str, Any], path: Path = ()) -> dict[str, Any]:
    """``over`` merged onto ``base`` (neither is modified); ``path`` is where both stand,
    ``("services", "x")`` to merge one service onto another (``extends``)."""
    return _mappings(copy.deepcopy(base), copy.deepcopy(over), path)


# --- uniqueness ----------------------------------------------------------------------


def _key_value(item: Any, path: Path) -> str:
    if not isinstance(item, str):
        raise ConfigError(f"{_dotted(path)}: unexpected type {type(item).__name__}", path=path)
    return item.split("=", 1)[0]


def _volume(item: Any, path: Path) -> str:
    if isinstance(item, dict):
        target = item.get("target")
        if not isinstance(target, str):
            raise ConfigError(f"service volume {_dotted(path)} is missing a mount target", path=path)
        return target
    if isinstance(item, str):
        from compose.loader.transform import parse_volume

        return str(parse_volume(item).get("target", ""))
    return ""


def _device(item: Any, path: Path) -> str:
    if isinstance(item, dict):
        target = item.get("target")
        if not isinstance(target, str):
            raise ConfigError(f"service device {_dotted(path)} is missing a mount target", path=path)
        return target
    if isinstance(item, str):
        parts = item.split(":")
        return parts[0] if len(parts) == 1 else parts[1]
    return ""


def _expose(item: Any, path: Path) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    raise ConfigError(f"{_dotted(path)}: unsupported expose value {item!r}", path=path)


def _mount(default_dir: str) -> Indexer:
    def index(item: Any, path: Path) -> str:
        if isinstance(item, str):
            return f"{default_dir}/{item}"
        if isinstance(item, dict):
            if "target" in item:
                return str(item["target"])
            return f"{default_dir}/{go_string(item.get('source'))}"
        raise ConfigError(f"{_dotted(path)}: unsupported value {item!r}", path=path)

    return index


def _port(item: Any, path: Path) -> str:
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    if isinstance(item, dict):
        if "target" not in item:
            raise ConfigError(f"service ports {_dotted(path)} is missing a target port", path=path)
        published = item.get("published")
        host = item.get("host_ip", "0.0.0.0")
        protocol = item.get("protocol", "tcp")
        shown = "%!s(<nil>)" if published is None else go_string(published)
        return f"{go_string(host)}:{shown}:{go_string(item['target'])}/{go_string(protocol)}"
    if isinstance(item, str):
        return item
    return ""


def _env_file(item: Any, path: Path) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        if "path" not in item:
            raise ConfigError(f"environment path attribute {_dotted(path)} is missing", path=path)
        return str(item["path"])
    return ""


# sequence path pattern -> the key that makes an item unique
UNIQUE: dict[tuple[str, ...], Indexer] = {
    ("networks", "*", "labels"): _key_value,
    ("networks", "*", "ipam", "options"): _key_value,
    ("services", "*", "annotations"): _key_value,
    ("services", "*", "build", "args"): _key_value,
    ("services", "*", "build", "additional_contexts"): _key_value,
    ("services", "*", "build", "platform"): _key_value,
    ("services", "*", "build", "tags"): _key_value,
    ("services", "*", "build", "labels"): _key_value,
    ("services", "*", "cap_add"): _key_value,
    ("services", "*", "cap_drop"): _key_value,
    ("services", "*", "configs"): _mount(""),
    ("services", "*", "deploy", "labels"): _key_value,
    ("services", "*", "dns"): _key_value,
    ("services", "*", "dns_opt"): _key_value,
    ("services", "*", "dns_search"): _key_value,
    ("services", "*", "environment"): _key_value,
    ("services", "*", "env_file"): _env_file,
    ("services", "*", "expose"): _expose,
    ("services", "*", "labels"): _key_value,
    ("services", "*", "links"): _key_value,
    ("services", "*", "networks", "*", "aliases"): _key_value,
    ("services", "*", "networks", "*", "link_local_ips"): _key_value,
    ("services", "*", "ports"): _port,
    ("services", "*", "profiles"): _key_value,
    ("services", "*", "secrets"): _mount("/run/secrets"),
    ("services", "*", "sysctls"): _key_value,
    ("services", "*", "tmpfs"): _key_value,
    ("services", "*", "volumes"): _volume,
    ("services", "*", "devices"): _device,
}


def _unique(items: list[Any], index: Indexer, path: Path) -> list[Any]:
    out: list[Any] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = index(item, (*path, i))
        if key in seen:
            out[seen[key]] = item
        else:
            seen[key] = len(out)
            out.append(item)
    return out


_UNIQUE_TABLE = PathTable(UNIQUE)


def enforce_unicity(value: Any, path: Path = ()) -> Any:
    """A copy of ``value`` where the sequences of :data:`UNIQUE` hold each key once."""
    return _unicity(value, path, _UNIQUE_TABLE.at(path))


def _unicity(value: Any, path: Path, cursor: Cursor[Indexer]) -> Any:
    if isinstance(value, dict):
        if cursor.dead:
            return _dicts_copied(value)  # nothing below is a sequence of UNIQUE
        return {k: _unicity(v, (*path, k), cursor.child(k)) for k, v in value.items()}
    if isinstance(value, list):
        index = cursor.rule()
        if index is not None:
            return _unique(value, index, path)
    return value


# keys whose empty items (null or "") are dropped
OMIT_EMPTY: tuple[tuple[str, ...], ...] = (("services", "*", "dns"),)


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _dicts_copied(value: Any) -> Any:
    """What the walk returns where no rule applies: new mappings, the same sequences."""
    if isinstance(value, dict):
        return {k: _dicts_copied(v) for k, v in value.items()}
    return value


_OMIT_TABLE = PathTable(dict.fromkeys(OMIT_EMPTY, True))


def omit_empty(value: Any, path: Path = ()) -> Any:
    """A copy of ``value`` without the empty entries of :data:`OMIT_EMPTY` sequences."""
    return _omit(value, path, _OMIT_TABLE.at(path))


def _omit(value: Any, path: Path, cursor: Cursor[bool]) -> Any:
    drop = cursor.rule() is not None
    if isinstance(value, dict):
        return {k: _omit(v, (*path, k), cursor.child(k)) for k, v in value.items() if not (drop and _empty(v))}
    if isinstance(value, list):
        return [_omit(v, path, cursor) for v in value if not (drop and _empty(v))]  # items keep the path
    return value


# --- !reset and !override ------------------------------------------------------------


def split_tags(value: Any, path: Path = ()) -> tuple[Any, list[Path]]:
    """``value`` without its ``!reset`` nodes and with ``!override`` unwrapped, plus
    the paths where either tag stood (in document order)."""
    paths: list[Path] = []
    return _strip(value, path, paths), paths


_DROP = object()


def _strip(value: Any, path: Path, paths: list[Path]) -> Any:
    if isinstance(value, Reset):
        paths.append(path)
        return _DROP
    if isinstance(value, Override):
        paths.append(path)
        return _strip(value.value, path, [])
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            stripped = _strip(v, (*path, k), paths)
            if stripped is not _DROP:
                out[k] = stripped
        return out
    if isinstance(value, list):
        items = (_strip(v, (*path, i), paths) for i, v in enumerate(value))
        return [v for v in items if v is not _DROP]
    return value


def apply_resets(data: Any, paths: Iterable[Path]) -> Any:
    """A copy of ``data`` without the mapping entries at ``paths``.

    Paths through a sequence item do not apply (as in Docker Compose, where a tag on
    a sequence item only drops that item from its own file).
    """
    paths = [p for p in paths if p and all(isinstance(part, str) for part in p)]
    if not paths:
        return data
    return _without(data, (), set(paths))


def _without(value: Any, path: Path, paths: set[Path]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, (*path, k), paths) for k, v in value.items() if (*path, k) not in paths}
    return value
