"""``pycompose config``: parse, resolve and render the project, as ``docker compose config``.

The project is loaded (:func:`compose.loader.load.load_project`), turned into the
model and its dependency graph (which refuses cycles), then printed in Docker
Compose's canonical form, or one of the listings (``--services``, ``--hash``, ...).
Listings Docker Compose prints in Go's random map order (volumes, networks,
images, variables) are sorted here.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compose.errors import ConfigError, UsageError

FORMATS = ("yaml", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service_names", nargs="*", metavar="SERVICE", help="Only these services (and what they need)")
    parser.add_argument("--format", choices=FORMATS, default=None, help="Format the output (default: yaml)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="Only validate the configuration, don't print anything")
    parser.add_argument("-o", "--output", metavar="FILE", help="Save to file (default: standard output)")
    listing = parser.add_argument_group("listings (one per line)")
    listing.add_argument("--services", action="store_true", help="Print the service names")
    listing.add_argument("--volumes", action="store_true", help="Print the volume names")
    listing.add_argument("--networks", action="store_true", help="Print the network names")
    listing.add_argument("--models", action="store_true", help="Print the model names")
    listing.add_argument("--profiles", action="store_true", help="Print the profile names")
    listing.add_argument("--images", action="store_true", help="Print the image names")
    listing.add_argument("--hash", metavar="SERVICES",
                         help="Print the service config hash: '*' or a comma-separated list of services")
    listing.add_argument("--variables", action="store_true", help="Print model variables and default values")
    listing.add_argument("--environment", action="store_true", help="Print environment used for interpolation")
    steps = parser.add_argument_group("loading")
    steps.add_argument("--no-interpolate", action="store_true", help="Don't interpolate environment variables")
    steps.add_argument("--no-normalize", action="store_true", help="Don't normalize compose model")
    steps.add_argument("--no-path-resolution", action="store_true", help="Don't resolve file paths")
    steps.add_argument("--no-consistency", action="store_true",
                       help="Don't check model consistency - warning: may produce invalid Compose output")
    steps.add_argument("--resolve-image-digests", action="store_true", help="Pin image tags to digests")
    steps.add_argument("--lock-image-digests", action="store_true",
                       help="Produce an override file with image digests")


# -- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    loaded: Any  # compose.loader.load.LoadedProject
    project: Any  # compose.model.Project, or None when the data is not typed (no interpolation)
    graph: Any  # compose.graph.ServiceGraph, or None


def _load(opts: Any, args: argparse.Namespace, *, services: tuple[str, ...] = (),
          interpolate: bool | None = None) -> _Loaded:
    from compose.loader import observe
    from compose.loader.load import LoadOptions, load_project
    from compose.remote import expand

    interpolate = not args.no_interpolate if interpolate is None else interpolate
    stdin = sys.stdin.read() if "-" in opts.files else None
    options = LoadOptions(
        files=expand(tuple(opts.files)),
        project_name=opts.project_name,
        project_directory=opts.project_directory,
        env_files=tuple(opts.env_files),
        profiles=tuple(opts.profiles),
        environ=dict(os.environ),
        cwd=os.getcwd(),
        stdin=stdin,
        interpolate=interpolate,
        normalize=not args.no_normalize,
        resolve_paths=not args.no_path_resolution,
        consistency=not args.no_consistency,
    )
    loaded = load_project(options, services=services)
    for warning in loaded.warnings:
        print(f"WARN[0000] {warning}", file=sys.stderr)
    recorder = observe.active()
    if recorder is not None:
        recorder.warnings.extend(loaded.warnings)  # printed again when the result is reused
    if not interpolate or args.no_normalize:
        return _Loaded(loaded, None, None)  # values may still be ${...} text: no typed model
    from compose.graph import ServiceGraph
    from compose.model import Service, load, project_from_dict

    try:
        project = project_from_dict(loaded.data)
    except ConfigError as exc:
        raise exc.located(loaded.locate) from None
    graph = None
    if not args.no_consistency:
        disabled = {}
        for name, raw in (loaded.disabled or {}).items():
            try:
                disabled[name] = load(Service, raw, ("services", name))
            except ConfigError:
                continue  # only used to word an error better
        graph = ServiceGraph.from_project(project, locate=loaded.locate, disabled=disabled)
    return _Loaded(loaded, project, graph)


# -- output ----------------------------------------------------------------------------------------


def _emit(args: argparse.Namespace, text: str) -> None:
    if args.quiet:
        return
    if args.output:
        if text:
            with open(args.output, "w", encoding="utf-8") as out:
                out.write(text)
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def _lines(items: Iterator[str] | list[str]) -> str:
    return "".join(f"{item}\n" for item in items)


def run(opts: Any, args: argparse.Namespace) -> int:
    if args.lock_image_digests:
        args.resolve_image_digests = True
    from compose.loader import resultcache

    if "-" in opts.files or not resultcache.enabled():  # standard input is read once: nothing to key
        _emit(args, _output(opts, args))
        return 0
    return _run_cached(opts, args)


def _run_cached(opts: Any, args: argparse.Namespace) -> int:
    """The output of an earlier identical run when none of its inputs changed (see
    :mod:`compose.loader.resultcache`); otherwise load, remember what was read, print."""
    from compose.loader import observe, resultcache

    command = {k: v for k, v in vars(args).items() if k != "output"}  # where the text goes is no input
    options = {"global": {name: getattr(opts, name) for name in opts.__dataclass_fields__}, "command": command}
    key = resultcache.key_for(options, os.getcwd(), os.environ, resultcache.code_fingerprint())
    hit = resultcache.lookup(key)
    if hit is not None:
        for warning in hit.warnings:
            print(f"WARN[0000] {warning}", file=sys.stderr)
        _emit(args, hit.stdout)
        return 0
    with observe.recording() as recorder:
        text = _output(opts, args)
    resultcache.store(key, recorder.observations, resultcache.Result(text, tuple(recorder.warnings)))
    _emit(args, text)
    return 0


def _output(opts: Any, args: argparse.Namespace) -> str:
    for flag, handler in _LISTINGS:
        if getattr(args, flag):
            return handler(opts, args)
    return _render(opts, args)


def _render(opts: Any, args: argparse.Namespace) -> str:
    from compose.model.render import render_json, render_yaml

    state = _load(opts, args, services=tuple(args.service_names))
    data = state.loaded.data
    if args.resolve_image_digests:
        _check_digests(data)
    if args.lock_image_digests:
        data = {"services": {name: ({"image": svc["image"]} if svc.get("image") else {})
                             for name, svc in data.get("services", {}).items()}}
    fmt = args.format or "yaml"
    if args.quiet:
        return ""  # loaded, typed and checked: nothing to print
    if args.no_interpolate:
        # Docker Compose prints the uninterpolated model as a plain map: keys sorted, '$' as written.
        return _plain(data, fmt)
    text = render_json(data) if fmt == "json" else render_yaml(data)
    return text.replace("$", "$$")  # what the model holds as '$' must read back as '$'


def _plain(data: Mapping[str, Any], fmt: str) -> str:
    from compose.model.fields import thaw
    from compose.model.render import go_json
    from compose.model.yamlemit import emit_yaml

    sorted_data = thaw(data)
    return go_json(sorted_data) if fmt == "json" else emit_yaml(sorted_data)


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _check_digests(data: Mapping[str, Any]) -> None:
    unpinned = sorted(svc["image"] for svc in data.get("services", {}).values()
                      if svc.get("image") and not _DIGEST.search(svc["image"]))
    if unpinned:
        raise UsageError(
            f"cannot pin {', '.join(unpinned)} to a digest: resolving a tag needs a registry, "
            "which pycompose config does not contact (pin images as NAME@sha256:DIGEST instead)"
        )


# -- listings --------------------------------------------------------------------------------------


def _services(opts: Any, args: argparse.Namespace) -> str:
    state = _load(opts, args)
    if state.graph is not None:
        return _lines(state.graph.in_dependency_order())
    return _lines(sorted(state.loaded.data.get("services", {})))


def _volumes(opts: Any, args: argparse.Namespace) -> str:
    return _lines(sorted(_load(opts, args).loaded.data.get("volumes", {})))


def _networks(opts: Any, args: argparse.Namespace) -> str:
    return _lines(sorted(_load(opts, args).loaded.data.get("networks", {})))


def _models(opts: Any, args: argparse.Namespace) -> str:
    models = _load(opts, args).loaded.data.get("models", {}) or {}
    return _lines(sorted(m["model"] for m in models.values() if isinstance(m, Mapping) and m.get("model")))


def _profiles(opts: Any, args: argparse.Namespace) -> str:
    loaded = _load(opts, args, services=tuple(args.service_names)).loaded
    found: set[str] = set()
    everything = [*loaded.data.get("services", {}).values(), *(loaded.disabled or {}).values()]
    for service in everything:
        found.update(service.get("profiles") or ())
    return _lines(sorted(found))


def _images(opts: Any, args: argparse.Namespace) -> str:
    loaded = _load(opts, args, services=tuple(args.service_names)).loaded
    services = loaded.data.get("services", {})
    return _lines(sorted(services[n].get("image") or f"{loaded.name}-{n}" for n in services))


def _hash(opts: Any, args: argparse.Namespace) -> str:
    from compose.hashing import service_hash

    state = _load(opts, args)
    if state.project is None:
        raise UsageError("--hash needs the interpolated, normalized model")
    names = sorted(state.project.services) if args.hash == "*" else sorted(
        n.strip() for n in args.hash.split(",") if n.strip())
    return _lines(f"{name} {service_hash(state.project.service(name))}" for name in names)


def _environment(opts: Any, args: argparse.Namespace) -> str:
    loaded = _load(opts, args, services=tuple(args.service_names)).loaded
    return _lines(sorted(f"{k}={v}" for k, v in loaded.environment.items()))


# -- --variables -----------------------------------------------------------------------------------

# compose-go's template pattern: $$, $NAME, ${NAME...} (greedy to the last brace), or an invalid ${.
_VARIABLE = re.compile(
    r"\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)"
    r"|\{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?](.*))?)\}|(?P<invalid>)))"
)
_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")


@dataclass(frozen=True)
class Variable:
    name: str
    default: str = ""
    presence: str = ""  # the value of ${NAME:+alt}
    required: bool = False


def extract_variables(value: Any) -> dict[str, Variable]:
    """Every variable the uninterpolated model uses, with its default/alternate/required form."""
    found: dict[str, Variable] = {}
    if isinstance(value, str):
        for var in _from_text(value):
            found[var.name] = var
    elif isinstance(value, Mapping):
        for item in value.values():
            found.update(extract_variables(item))
    elif isinstance(value, list | tuple):
        for item in value:
            found.update(extract_variables(item))
    return found


def _from_text(text: str) -> list[Variable]:
    out: list[Variable] = []
    for match in _VARIABLE.finditer(text):
        if match.group("escaped") or match.group("invalid") is not None:
            continue
        body = match.group("named") or match.group("braced") or ""
        name = _NAME.match(body)
        if name is None:
            continue
        rest = body[name.end():]
        var = Variable(name.group())
        for prefix, kind in ((":?", "required"), ("?", "required"), (":-", "default"), ("-", "default"),
                             (":+", "presence"), ("+", "presence")):
            if rest.startswith(prefix):
                tail = rest[len(prefix):]
                var = Variable(var.name, required=True) if kind == "required" else (
                    Variable(var.name, default=tail) if kind == "default" else Variable(var.name, presence=tail))
                break
        out.append(var)
        for nested in (var.default, var.presence):
            if nested:
                out.extend(_from_text(nested))
    return out


def _variables(opts: Any, args: argparse.Namespace) -> str:
    from compose.model.render import go_json
    from compose.model.yamlemit import emit_yaml

    loaded = _load(opts, args, services=tuple(args.service_names), interpolate=False).loaded
    found = extract_variables(loaded.data)
    names = sorted(found)
    if args.format == "json":
        return go_json({n: {"Name": n, "DefaultValue": found[n].default, "PresenceValue": found[n].presence,
                            "Required": found[n].required} for n in names}, indent="    ") + "\n"
    if args.format == "yaml":  # yaml.Marshal of a Go map of structs: indent 4, lower-cased field names
        text = emit_yaml({n: {"name": n, "defaultvalue": found[n].default, "presencevalue": found[n].presence,
                              "required": found[n].required} for n in names} if names else {})
        return re.sub(r"(?m)^  (?=\S)", "    ", text)
    rows = [("NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE")]
    rows += [(n, "true" if found[n].required else "false", found[n].default, found[n].presence) for n in names]
    return _lines(_table(rows))


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Columns padded as Docker's tabwriter does (width 20, at least 3 spaces between)."""
    widths = [max(20, *(len(r[i]) + 3 for r in rows)) for i in range(len(rows[0]))]
    return ["".join(cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row))
            for row in rows]


_LISTINGS = (
    ("services", _services),
    ("volumes", _volumes),
    ("networks", _networks),
    ("models", _models),
    ("hash", _hash),
    ("profiles", _profiles),
    ("images", _images),
    ("variables", _variables),
    ("environment", _environment),
)
