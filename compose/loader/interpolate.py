"""Substitute ``$VAR`` expressions in every string value of one compose file.

Keys are never substituted. After substitution, the values at the paths of
:data:`CASTS` are converted to the type the specification wants (a port target
written ``"${PORT}"`` becomes an integer), as Docker Compose does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from compose.errors import InterpolationError
from compose.loader import template
from compose.loader.pathtable import Cursor, PathTable
from compose.loader.yamlsource import Override, Reset, SourceMap

__all__ = ["CASTS", "interpolate", "matches"]

Path = tuple[str | int, ...]

ANY = "*"  # any mapping key
ITEM = "[]"  # any sequence item


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _to_int(text: str) -> int:
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit():
        raise ValueError(f"strconv.ParseInt: parsing {_quote(text)}: invalid syntax")
    return int(text)


def _to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"strconv.ParseFloat: parsing {_quote(text)}: invalid syntax") from None


_TRUE = {"true"}
_FALSE = {"false"}
_TRUE_YAML11 = {"y", "yes", "on"}
_FALSE_YAML11 = {"n", "no", "off"}


def _to_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE or lowered in _TRUE_YAML11:
        return True
    if lowered in _FALSE or lowered in _FALSE_YAML11:
        return False
    raise ValueError(f"invalid boolean: {text}")


def _service(*parts: str) -> tuple[str, ...]:
    return ("services", ANY, *parts)


# path pattern -> conversion of the substituted string
CASTS: dict[tuple[str, ...], Callable[[str], Any]] = {
    _service("cpu_count"): _to_int,
    _service("cpu_percent"): _to_float,
    _service("cpu_period"): _to_int,
    _service("cpu_quota"): _to_int,
    _service("cpu_rt_period"): _to_int,
    _service("cpu_rt_runtime"): _to_int,
    _service("cpus"): _to_float,
    _service("cpu_shares"): _to_int,
    _service("init"): _to_bool,
    _service("deploy", "replicas"): _to_int,
    _service("deploy", "update_config", "parallelism"): _to_int,
    _service("deploy", "update_config", "max_failure_ratio"): _to_float,
    _service("deploy", "rollback_config", "parallelism"): _to_int,
    _service("deploy", "rollback_config", "max_failure_ratio"): _to_float,
    _service("deploy", "restart_policy", "max_attempts"): _to_int,
    _service("deploy", "placement", "max_replicas_per_node"): _to_int,
    _service("healthcheck", "retries"): _to_int,
    _service("healthcheck", "disable"): _to_bool,
    _service("oom_kill_disable"): _to_bool,
    _service("oom_score_adj"): _to_int,
    _service("pids_limit"): _to_int,
    _service("ports", ITEM, "target"): _to_int,
    _service("privileged"): _to_bool,
    _service("read_only"): _to_bool,
    _service("scale"): _to_int,
    _service("stdin_open"): _to_bool,
    _service("tty"): _to_bool,
    _service("ulimits", ANY): _to_int,
    _service("ulimits", ANY, "hard"): _to_int,
    _service("ulimits", ANY, "soft"): _to_int,
    _service("volumes", ITEM, "read_only"): _to_bool,
    _service("volumes", ITEM, "volume", "nocopy"): _to_bool,
    ("networks", ANY, "external"): _to_bool,
    ("networks", ANY, "internal"): _to_bool,
    ("networks", ANY, "attachable"): _to_bool,
    ("networks", ANY, "enable_ipv4"): _to_bool,
    ("networks", ANY, "enable_ipv6"): _to_bool,
    ("volumes", ANY, "external"): _to_bool,
    ("secrets", ANY, "external"): _to_bool,
    ("configs", ANY, "external"): _to_bool,
}


def matches(path: Path, pattern: tuple[str, ...]) -> bool:
    """Whether ``path`` fits ``pattern`` (``*`` any key, ``[]`` any item)."""
    if len(path) != len(pattern):
        return False
    for part, want in zip(path, pattern, strict=True):
        if want == ANY:
            continue
        if want == ITEM:
            if not isinstance(part, int):
                return False
            continue
        if part != want:
            return False
    return True


def _casts() -> PathTable[Callable[[str], Any]]:
    return PathTable(CASTS, any_part=ANY, any_index=ITEM)


def _where(error: InterpolationError, path: Path, source: SourceMap | None) -> InterpolationError:
    pos = source.locate(path) if source else None
    error.file = source.file if source else error.file
    error.line, error.column = pos if pos else (None, None)
    error.path = path
    return error


def interpolate(
    data: Any,
    lookup: template.Lookup | Mapping[str, str],
    source: SourceMap | None = None,
    path: Path = (),
    on_unset: template.OnUnset | None = None,
) -> Any:
    """A copy of ``data`` with every string substituted and cast; ``lookup`` is a
    mapping or a function giving a variable's value (``None`` when unset);
    ``on_unset(name)`` hears of unset variables used without a default."""
    get = lookup.get if isinstance(lookup, Mapping) else lookup
    return _walk(data, _Walk(get, source, on_unset), path, _casts().at(path))


@dataclass(frozen=True)
class _Walk:
    """What every step of the walk needs."""

    lookup: template.Lookup
    source: SourceMap | None
    on_unset: template.OnUnset | None


def _walk(value: Any, w: _Walk, path: Path, cursor: Cursor[Callable[[str], Any]]) -> Any:
    source = w.source
    if isinstance(value, str):
        try:
            text = template.substitute(value, w.lookup, w.on_unset)
        except template.InvalidTemplate as exc:
            raise _where(
                InterpolationError(
                    f"invalid interpolation format: {exc.template!r}",
                    hint="you may need to escape any $ with another $",
                ),
                path,
                source,
            ) from None
        except InterpolationError as exc:
            raise _where(InterpolationError(f"error while interpolating: {exc.message}"), path, source) from None
        cast = cursor.rule()
        if cast is None:
            return text
        try:
            return cast(text)
        except ValueError as exc:
            raise _where(InterpolationError(f"failed to cast to expected type: {exc}"), path, source) from None
    if isinstance(value, dict):
        return {k: _walk(v, w, (*path, k), cursor.child(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, w, (*path, i), cursor.child(i)) for i, v in enumerate(value)]
    if isinstance(value, Reset):
        return Reset(_walk(value.value, w, path, cursor))
    if isinstance(value, Override):
        return Override(_walk(value.value, w, path, cursor))
    return value
