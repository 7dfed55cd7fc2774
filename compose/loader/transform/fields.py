"""The typed shape of a compose project, as Docker Compose prints it in JSON.

``STRUCTS`` lists, per object, its fields in output order with a kind telling how the
value is cast and when it is left out (Go's ``omitempty``: empty strings, false,
zero, empty lists and maps). A kind is a name from ``SCALARS``/``COLLECTIONS`` or a
tuple naming a nested object:

* ``("ptr", X)``: an optional object, left out when absent;
* ``("value", X)``: always printed, ``{}`` when absent;
* ``("list", X)``: a list of objects;
* ``("map", X)``: a mapping of objects whose entries may be null;
* ``("vmap", X)``: a mapping of objects where null means an empty object.

``x-`` extension keys are dropped inside objects (only the project keeps them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compose.errors import ConfigError
from compose.loader.yamlsource import Path

from . import values as v

Kind = str | tuple[str, str]

_F = "str"  # shorthand for the most common kind

STRUCTS: dict[str, tuple[tuple[str, Kind], ...]] = {
    "service": (
        ("profiles", "list"), ("annotations", "mapping"), ("attach", "pbool"),
        ("build", ("ptr", "build")), ("develop", ("ptr", "develop")),
        ("blkio_config", ("ptr", "blkio")), ("cap_add", "list"), ("cap_drop", "list"),
        ("cgroup_parent", _F), ("cgroup", _F), ("cpu_count", "int"), ("cpu_percent", "float"),
        ("cpu_period", "int"), ("cpu_quota", "int"), ("cpu_rt_period", "int"), ("cpu_rt_runtime", "int"),
        ("cpus", "float"), ("cpuset", _F), ("cpu_shares", "int"), ("command", "command"),
        ("configs", ("list", "file_ref")), ("container_name", _F),
        ("credential_spec", ("ptr", "credential_spec")), ("depends_on", ("vmap", "dependency")),
        ("deploy", ("ptr", "deploy")), ("device_cgroup_rules", "list"), ("devices", ("list", "device")),
        ("dns", "strlist"), ("dns_opt", "list"), ("dns_search", "strlist"), ("dockerfile", _F),
        ("domainname", _F), ("entrypoint", "command"), ("provider", ("ptr", "provider")),
        ("environment", "mapeq"), ("env_file", "envfiles"), ("expose", "numlist"),
        ("extends", ("ptr", "extends")), ("external_links", "list"), ("extra_hosts", "hosts"),
        ("group_add", "list"), ("gpus", ("list", "device_request")), ("hostname", _F),
        ("healthcheck", ("ptr", "healthcheck")), ("image", _F), ("init", "pbool"), ("ipc", _F),
        ("isolation", _F), ("labels", "labels"), ("label_file", "list"), ("links", "list"),
        ("logging", ("ptr", "logging")), ("log_driver", _F), ("log_opt", "options"),
        ("mem_limit", "bytes"), ("mem_reservation", "bytes"), ("memswap_limit", "bytes"),
        ("mem_swappiness", "bytes"), ("mac_address", _F), ("models", ("map", "service_model")),
        ("net", _F), ("network_mode", _F), ("networks", ("map", "service_network")),
        ("oom_kill_disable", "bool"), ("oom_score_adj", "int"), ("pid", _F), ("pids_limit", "int"),
        ("platform", _F), ("ports", ("list", "port")), ("privileged", "bool"), ("pull_policy", _F),
        ("read_only", "bool"), ("restart", _F), ("runtime", _F), ("scale", "pint"),
        ("secrets", ("list", "file_ref")), ("security_opt", "list"), ("shm_size", "bytes"),
        ("stdin_open", "bool"), ("stop_grace_period", "pduration"), ("stop_signal", _F),
        ("storage_opt", "options"), ("sysctls", "mapping"), ("tmpfs", "strlist"), ("tty", "bool"),
        ("ulimits", "ulimits"), ("use_api_socket", "bool"), ("user", _F), ("userns_mode", _F),
        ("uts", _F), ("volume_driver", _F), ("volumes", ("list", "volume_mount")),
        ("volumes_from", "list"), ("working_dir", _F), ("post_start", ("list", "hook")),
        ("pre_stop", ("list", "hook")),
    ),
    "provider": (("type", _F), ("options", "multioptions")),
    "build": (
        ("context", _F), ("dockerfile", _F), ("dockerfile_inline", _F), ("entitlements", "list"),
        ("args", "mapeq"), ("provenance", _F), ("sbom", _F), ("ssh", "ssh"), ("labels", "labels"),
        ("cache_from", "strlist"), ("cache_to", "strlist"), ("no_cache", "bool"),
        ("additional_contexts", "mapping"), ("pull", "bool"), ("extra_hosts", "hosts"),
        ("isolation", _F), ("network", _F), ("target", _F), ("secrets", ("list", "file_ref")),
        ("shm_size", "bytes"), ("tags", "strlist"), ("ulimits", "ulimits"), ("platforms", "strlist"),
        ("privileged", "bool"),
    ),
    "develop": (("watch", ("list", "trigger")),),
    "trigger": (
        ("path", "str!"), ("action", "str!"), ("target", _F), ("exec", ("value", "hook")),
        ("include", "list"), ("ignore", "list"), ("initial_sync", "bool"),
    ),
    "hook": (
        ("command", "command"), ("user", _F), ("privileged", "bool"), ("working_dir", _F),
        ("environment", "mapeq"),
    ),
    "blkio": (
        ("weight", "int"), ("weight_device", ("list", "weight_device")),
        ("device_read_bps", ("list", "throttle_device")), ("device_read_iops", ("list", "throttle_device")),
        ("device_write_bps", ("list", "throttle_device")), ("device_write_iops", ("list", "throttle_device")),
    ),
    # Go structs without json tags: field names as Go spells them.
    "weight_device": (("path>Path", "str!"), ("weight>Weight", "int!")),
    "throttle_device": (("path>Path", "str!"), ("rate>Rate", "bytes!")),
    "credential_spec": (("config", _F), ("file", _F), ("registry", _F)),
    "dependency": (("condition", _F), ("restart", "bool"), ("required", "bool!")),
    "deploy": (
        ("mode", _F), ("replicas", "pint"), ("labels", "labels"), ("update_config", ("ptr", "update")),
        ("rollback_config", ("ptr", "update")), ("resources", ("value", "resources")),
        ("restart_policy", ("ptr", "restart_policy")), ("placement", ("value", "placement")),
        ("endpoint_mode", _F),
    ),
    "update": (
        ("parallelism", "pint"), ("delay", "duration"), ("failure_action", _F), ("monitor", "duration"),
        ("max_failure_ratio", "float"), ("order", _F),
    ),
    "resources": (("limits", ("ptr", "resource")), ("reservations", ("ptr", "resource"))),
    "resource": (
        ("cpus", "float"), ("memory", "bytes"), ("pids", "int"), ("devices", ("list", "device_request")),
        ("generic_resources", ("list", "generic_resource")),
    ),
    "generic_resource": (("discrete_resource_spec", ("ptr", "discrete_resource")),),
    "discrete_resource": (("kind", "str!"), ("value", "int!")),
    "restart_policy": (("condition", _F), ("delay", "pduration"), ("max_attempts", "pint"), ("window", "pduration")),
    "placement": (
        ("constraints", "list"), ("preferences", ("list", "placement_preference")),
        ("max_replicas_per_node", "int"),
    ),
    "placement_preference": (("spread", _F),),
    "device": (("source", _F), ("target", _F), ("permissions", _F)),
    "device_request": (
        ("capabilities", "list"), ("driver", _F), ("count", "device_count"), ("device_ids", "list"),
        ("options", "mapping"),
    ),
    "extends": (("file", _F), ("service", _F)),
    "healthcheck": (
        ("test", "healthtest"), ("timeout", "pduration"), ("interval", "pduration"), ("retries", "pint"),
        ("start_period", "pduration"), ("start_interval", "pduration"), ("disable", "bool"),
    ),
    "logging": (("driver", _F), ("options", "options")),
    "service_model": (("endpoint_var", _F), ("model_var", _F)),
    "service_network": (
        ("aliases", "list"), ("driver_opts", "options"), ("gw_priority", "int"), ("interface_name", _F),
        ("ipv4_address", _F), ("ipv6_address", _F), ("link_local_ips", "list"), ("mac_address", _F),
        ("priority", "int"),
    ),
    "port": (
        ("name", _F), ("mode", _F), ("host_ip", _F), ("target", "int"), ("published", _F), ("protocol", _F),
        ("app_protocol", _F),
    ),
    "volume_mount": (
        ("type", _F), ("source", _F), ("target", _F), ("read_only", "bool"), ("consistency", _F),
        ("bind", ("ptr", "bind")), ("volume", ("ptr", "volume_options")), ("tmpfs", ("ptr", "tmpfs")),
        ("image", ("ptr", "image_options")),
    ),
    "bind": (("selinux", _F), ("propagation", _F), ("create_host_path", "bool"), ("recursive", _F)),
    "volume_options": (("labels", "mapping"), ("nocopy", "bool"), ("subpath", _F)),
    "tmpfs": (("size", "bytes"), ("mode", "int")),
    "image_options": (("subpath", _F),),
    "file_ref": (("source", _F), ("target", _F), ("uid", _F), ("gid", _F), ("mode", "filemode")),
    "network": (
        ("name", _F), ("driver", _F), ("driver_opts", "options"), ("ipam", ("value", "ipam")),
        ("external", "bool"), ("internal", "bool"), ("attachable", "bool"), ("labels", "labels"),
        ("enable_ipv4", "pbool"), ("enable_ipv6", "pbool"),
    ),
    "ipam": (("driver", _F), ("config", ("list", "ipam_pool"))),
    "ipam_pool": (("subnet", _F), ("gateway", _F), ("ip_range", _F), ("aux_addresses", "mapping")),
    "volume": (
        ("name", _F), ("driver", _F), ("driver_opts", "options"), ("external", "bool"), ("labels", "labels"),
    ),
    "model": (("name", _F), ("model", _F), ("context_size", "int"), ("runtime_flags", "list")),
    "file_object": (
        ("name", _F), ("file", _F), ("environment", _F), ("content", _F), ("external", "bool"),
        ("labels", "labels"), ("driver", _F), ("driver_opts", "options"), ("template_driver", _F),
    ),
}

Cast = Callable[[Any], Any]
_EMPTY = object()


def _str(value: Any) -> Any:
    if isinstance(value, (bool, float)) or value is None:
        return v.go_string(value) if value is not None else ""
    return str(value)


def _int(value: Any) -> Any:
    if isinstance(value, bool):
        raise v.CastError(f"expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise v.CastError(f"expected a number, got {value!r}") from None
    return int(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "1", "t"):
        return True
    if text in ("false", "0", "f", ""):
        return False
    raise v.CastError(f"expected true or false, got {value!r}")


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v.go_string(item) for item in value]


def mapping(value: Any) -> dict[str, str]:
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            key, _sep, rest = v.go_string(item).partition("=")
            out[key] = rest
        return out
    return {k: v.go_string(item) for k, item in value.items()}


def mapping_with_equals(value: Any) -> dict[str, str | None]:
    if isinstance(value, list):
        out: dict[str, str | None] = {}
        for item in value:
            key, sep, rest = v.go_string(item).partition("=")
            if key and key[-1].isspace():
                raise v.CastError(f"environment variable {key!r} is declared with a trailing space")
            out[key] = rest if sep else None
        return out
    return {k: (None if item is None else v.go_string(item)) for k, item in value.items()}


def _hosts(value: Any) -> list[str]:
    hosts: dict[str, list[str]] = {}
    if isinstance(value, dict):
        for host, ips in value.items():
            hosts[host] = [v.go_string(ip) for ip in ips] if isinstance(ips, list) else [v.go_string(ips)]
    else:
        for item in value:
            text = v.go_string(item)
            for sep in ("=", ":"):
                host, found, ip = text.partition(sep)
                if found:
                    hosts.setdefault(host, []).extend(ip.split(","))
                    break
            else:
                raise v.CastError(f"invalid extra host {text!r}: missing IP", "expected HOST=IP or HOST:IP")
    out = []
    for host, ips in hosts.items():
        if not host or ":" in host or "=" in host:
            raise v.CastError(f"bad host name {host!r}")
        for ip in ips:
            out.append(f"{host}={ip[1:-1] if len(ip) > 2 and ip[0] == '[' and ip[-1] == ']' else ip}")
    return sorted(out)


def _command(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return v.split_command(value)
    return [v.go_string(item) for item in value]


def _healthtest(value: Any) -> list[str]:
    if isinstance(value, str):
        return ["CMD-SHELL", value]
    return [v.go_string(item) for item in value]


def _ulimits(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, limit in value.items():
        if isinstance(limit, dict):
            single = {"soft": _int(limit.get("soft", 0)), "hard": _int(limit.get("hard", 0))}
            out[name] = {k: n for k, n in single.items() if n}
        else:
            number = _int(limit) if limit is not None else 0
            out[name] = number if number else {}
    return out


def _ssh(value: Any) -> list[str]:
    # Docker Compose prints each key as the text ``"id": path`` inside a list; the
    # result is not JSON it could read back, so a plain ``id=path`` is printed instead.
    return [key if path is None else f"{key}={path}" for key, path in value.items()]


def _envfiles(value: Any) -> list[Any]:
    out: list[Any] = []
    for item in value:
        if item.get("required", True) is True or _bool(item.get("required")):
            out.append(item["path"])
        else:
            entry = {"path": item.get("path", ""), "required": False}
            if item.get("format"):
                entry["format"] = item["format"]
            out.append(entry)
    return out


def _device_count(value: Any) -> int:
    if isinstance(value, str):
        if value.lower() == "all":
            return -1
        try:
            return int(value)
        except ValueError:
            raise v.CastError(f"invalid device count {value!r}", "expected 'all' or a number") from None
    return _int(value)


def _multioptions(value: Any) -> dict[str, list[str]]:
    return {k: [v.go_string(i) for i in item] if isinstance(item, list) else [v.go_string(item)]
            for k, item in value.items()}


# kind -> (cast, omitted when the cast value is "empty")
SCALARS: dict[str, tuple[Cast, bool]] = {
    "str": (_str, True),
    "str!": (_str, False),
    "int": (_int, True),
    "int!": (_int, False),
    "pint": (_int, False),
    "bool": (_bool, True),
    "bool!": (_bool, False),
    "pbool": (_bool, False),
    "float": (v.float32, True),
    "bytes": (lambda x: str(v.ram_bytes(x)), True),
    "bytes!": (lambda x: str(v.ram_bytes(x)), False),
    "duration": (v.duration, True),
    "pduration": (v.duration, False),
    "filemode": (v.file_mode, False),
    "device_count": (_device_count, True),
}
COLLECTIONS: dict[str, Cast] = {
    "list": _list,
    "strlist": _list,
    "numlist": _list,
    "mapping": mapping,
    "options": mapping,
    "labels": mapping,
    "mapeq": mapping_with_equals,
    "multioptions": _multioptions,
    "hosts": _hosts,
    "healthtest": _healthtest,
    "ulimits": _ulimits,
    "ssh": _ssh,
    "envfiles": _envfiles,
}
# Kinds printed even when null or empty (Go fields without omitempty).
ALWAYS = {"command"}
# Go fields without omitempty: their zero value is printed when the key is absent or null.
ZERO: dict[str, Any] = {"str!": "", "int!": 0, "bool!": False, "bytes!": "0"}
# Go pointers: absent or null means nothing printed, any value (even zero) is printed.
POINTERS = {"pint", "pbool", "pduration", "filemode"}


def _empty(kind: str, value: Any) -> bool:
    if kind == "bytes":
        return value == "0"
    if kind in ("duration",):
        return value == "0s"
    return value is None or value == "" or value is False or (value == 0 and not isinstance(value, bool))


def shape(name: str, data: Any, path: Path) -> dict[str, Any]:
    """``data`` cast field by field as object ``name``; raises ConfigError on a bad value."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping, got {type(data).__name__}", path=path)
    out: dict[str, Any] = {}
    for field, kind in STRUCTS[name]:
        key, _, printed = field.partition(">")
        printed = printed or key
        if key not in data:
            if isinstance(kind, tuple) and kind[0] == "value":
                out[printed] = shape(kind[1], None, (*path, key))
            elif kind in ALWAYS:
                out[printed] = None
            elif kind in ZERO:
                out[printed] = ZERO[kind]
            continue
        value = data[key]
        try:
            shaped = shape_value(kind, value, (*path, key))
        except v.CastError as exc:
            raise ConfigError(str(exc.args[0]), path=(*path, key),
                              hint=exc.args[1] if len(exc.args) > 1 else None) from None
        if shaped is not _EMPTY:
            out[printed] = shaped
    return out


def shape_value(kind: Kind, value: Any, path: Path) -> Any:
    """One field's value cast to ``kind``, or ``_EMPTY`` when Go would leave it out."""
    if isinstance(kind, tuple):
        form, struct = kind
        if form == "value":
            return shape(struct, value, path)
        if form == "ptr":
            return _EMPTY if value is None else shape(struct, value, path)
        if form == "list":
            if not value:
                return _EMPTY
            return [shape(struct, item, (*path, i)) for i, item in enumerate(value)]
        if form in ("map", "vmap"):
            if not value:
                return _EMPTY
            return {k: (None if item is None and form == "map" else shape(struct, item, (*path, k)))
                    for k, item in value.items()}
        raise AssertionError(form)
    if kind in ALWAYS:
        return _command(value)
    if kind in COLLECTIONS:
        if value is None:
            return _EMPTY
        result = COLLECTIONS[kind](value)
        return result if result else _EMPTY
    cast, omit_empty = SCALARS[kind]
    if value is None:
        return ZERO.get(kind, _EMPTY)
    result = cast(value)
    if omit_empty and _empty(kind, result):
        return _EMPTY
    return result
