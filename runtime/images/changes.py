"""The Dockerfile subset ``image import --change`` applies to an image config, as a table."""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Callable
from typing import Any

from runtime.images.errors import ImageError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
       "h": 3_600_000_000_000}


def go_duration(text: str) -> int:
    """A Go duration (``1m30s``, ``500ms``) in nanoseconds."""
    parts = _DURATION.findall(text)
    if text in ("0",):
        return 0
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ImageError(f"invalid duration {text!r}")
    return int(sum(float(n) * _NS[u] for n, u in parts))


def format_go_duration(ns: int) -> str:
    """Go's ``time.Duration.String``: ``0s``, ``1.5s``, ``1m30s``, ``250ms``."""
    def frac(value: int, unit: int) -> str:
        whole, rest = divmod(value, unit)
        digits = str(rest).rjust(len(str(unit)) - 1, "0").rstrip("0")
        return f"{whole}.{digits}" if digits else str(whole)

    sign, ns = ("-" if ns < 0 else ""), abs(ns)
    if ns == 0:
        return "0s"
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{frac(ns, 1_000)}\u00b5s"
    if ns < 1_000_000_000:
        return f"{sign}{frac(ns, 1_000_000)}ms"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    return sign + (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + frac(rest, 10**9) + "s"


def _json_list(args: str) -> list[str] | None:
    text = args.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _command(args: str) -> list[str]:
    exec_form = _json_list(args)
    return exec_form if exec_form is not None else ["/bin/sh", "-c", args.strip()]


def _pairs(args: str, directive: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(args)
    except ValueError as exc:
        raise ImageError(f"{directive}: {exc}") from None
    if not words:
        raise ImageError(f"{directive} requires at least one argument")
    if "=" not in words[0]:
        key, _, rest = args.strip().partition(" ")
        if not rest.strip():
            raise ImageError(f"{directive} names {key} but gives no value")
        return [(key, rest.strip())]
    out = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise ImageError(f"{directive}: {word!r} is not KEY=VALUE")
        out.append((key, value))
    return out


def _env(cfg: dict[str, Any], args: str) -> None:
    env = list(cfg.get("Env") or [])
    for key, value in _pairs(args, "ENV"):
        env = [e for e in env if e.partition("=")[0] != key] + [f"{key}={value}"]
    cfg["Env"] = env


def _label(cfg: dict[str, Any], args: str) -> None:
    labels = dict(cfg.get("Labels") or {})
    labels.update(_pairs(args, "LABEL"))
    cfg["Labels"] = labels


def _expose(cfg: dict[str, Any], args: str) -> None:
    ports = dict(cfg.get("ExposedPorts") or {})
    for word in args.split():
        port, _, proto = word.partition("/")
        proto = (proto or "tcp").lower()
        if proto not in ("tcp", "udp", "sctp"):
            raise ImageError(f"EXPOSE: invalid protocol in {word!r}")
        low, _, high = port.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise ImageError(f"EXPOSE: invalid port {word!r}")
        for p in range(int(low), int(high or low) + 1):
            ports[f"{p}/{proto}"] = {}
    cfg["ExposedPorts"] = ports


def _volume(cfg: dict[str, Any], args: str) -> None:
    volumes = dict(cfg.get("Volumes") or {})
    for path in _json_list(args) or args.split():
        volumes[path] = {}
    cfg["Volumes"] = volumes


def _workdir(cfg: dict[str, Any], args: str) -> None:
    path = args.strip()
    if not path.startswith("/"):
        path = posixpath.join(cfg.get("WorkingDir") or "/", path)
    cfg["WorkingDir"] = posixpath.normpath(path)


def _healthcheck(cfg: dict[str, Any], args: str) -> None:
    words = args.strip()
    if words.upper() == "NONE":
        cfg["Healthcheck"] = {"Test": ["NONE"]}
        return
    options = {"--interval": "Interval", "--timeout": "Timeout", "--start-period": "StartPeriod",
               "--start-interval": "StartInterval", "--retries": "Retries"}
    check: dict[str, Any] = {}
    while words.startswith("--"):
        flag, _, words = words.partition(" ")
        name, _, value = flag.partition("=")
        if name not in options:
            raise ImageError(f"HEALTHCHECK: unknown flag {name}")
        check[options[name]] = int(value) if name == "--retries" else go_duration(value)
        words = words.lstrip()
    keyword, _, rest = words.partition(" ")
    if keyword.upper() != "CMD" or not rest.strip():
        raise ImageError("HEALTHCHECK must be NONE or [OPTIONS] CMD command")
    exec_form = _json_list(rest)
    check["Test"] = ["CMD", *exec_form] if exec_form is not None else ["CMD-SHELL", rest.strip()]
    cfg["Healthcheck"] = {"Test": check.pop("Test"), **check}


def _set(key: str, transform: Callable[[str], Any] = str.strip) -> Callable[[dict[str, Any], str], None]:
    def apply(cfg: dict[str, Any], args: str) -> None:
        cfg[key] = transform(args)

    return apply


def _onbuild(cfg: dict[str, Any], args: str) -> None:
    cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), args.strip()]


# directive -> how it changes the config (the commands ``docker import --change`` accepts)
CHANGES: dict[str, Callable[[dict[str, Any], str], None]] = {
    "CMD": _set("Cmd", _command),
    "ENTRYPOINT": _set("Entrypoint", _command),
    "ENV": _env,
    "EXPOSE": _expose,
    "HEALTHCHECK": _healthcheck,
    "LABEL": _label,
    "ONBUILD": _onbuild,
    "STOPSIGNAL": _set("StopSignal"),
    "USER": _set("User"),
    "VOLUME": _volume,
    "WORKDIR": _workdir,
}


def apply_changes(config: dict[str, Any], changes: list[str]) -> dict[str, Any]:
    """A copy of the container config ``config`` with each Dockerfile line applied in order."""
    out = dict(config)
    for line in changes:
        directive, _, args = line.strip().partition(" ")
        handler = CHANGES.get(directive.upper())
        if handler is None:
            raise ImageError(f"{directive} is not a valid change command (valid: {', '.join(sorted(CHANGES))})")
        if not args.strip():
            raise ImageError(f"{directive.upper()} requires an argument")
        handler(out, args)
    return out
