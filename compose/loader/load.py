"""Load a compose project: ``load_project(options) -> LoadedProject``.

The steps, in Docker Compose's order:

1. discovery (:mod:`compose.loader.discovery`): compose files, working directory,
   environment (process environment + ``.env``/``--env-file``), profiles;
2. the project name: ``-p``, else ``COMPOSE_PROJECT_NAME``, else the last top-level
   ``name:`` of the files (itself interpolated, then normalised), else the working
   directory's base name (normalised); ``-p`` and ``COMPOSE_PROJECT_NAME`` must
   already be valid names. ``COMPOSE_PROJECT_NAME`` is then set for interpolation;
3. every file, document by document (:mod:`compose.loader.files`): interpolation,
   schema validation, long syntax, ``extends``, ``!reset``, ``include``, merge;
4. profiles, and the services named on the command line
   (``load_project(options, services=("web",))``, as ``config web`` does: those
   services and their dependencies only); without interpolation, as in Docker
   Compose's ``config --no-interpolate``, neither (the whole model is kept);
5. normalisation (:mod:`compose.loader.normalize`): defaults, resolved paths,
   ``env_file`` contents; then the semantic checks of :mod:`compose.validate`.

``LoadedProject.data`` is what ``docker compose config --format json`` prints
(except that ``$`` is not doubled back to ``$$``: the data holds the real values).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compose.errors import ConfigError
from compose.loader import discovery, files, profiles
from compose.loader.interpolate import interpolate
from compose.loader.yamlsource import Document, Override, Reset
from compose.validate import check_project

__all__ = ["LoadOptions", "LoadedProject", "load_project"]


@dataclass(frozen=True)
class LoadOptions:
    files: tuple[str, ...] = ()  # -f values in order ('-' = stdin); empty = discover
    project_name: str | None = None  # -p
    project_directory: str | None = None  # --project-directory
    env_files: tuple[str, ...] = ()  # --env-file (repeatable)
    profiles: tuple[str, ...] = ()  # --profile (repeatable)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))  # the process environment
    cwd: str = field(default_factory=os.getcwd)  # where discovery starts
    stdin: str | None = None  # text for '-'
    interpolate: bool = True  # --no-interpolate turns it off
    normalize: bool = True  # --no-normalize
    resolve_paths: bool = True  # --no-path-resolution turns it off
    consistency: bool = True  # --no-consistency turns the semantic checks off


@dataclass(frozen=True)
class LoadedProject:
    data: dict[str, Any]  # the canonical project, as `docker compose config --format json`
    name: str
    working_dir: str
    config_files: tuple[str, ...]
    environment: Mapping[str, str]  # the resolved environment (shell wins over .env files)
    profiles: tuple[str, ...] = ()
    disabled: Mapping[str, Any] = field(default_factory=dict)  # services left out by profiles/selection
    provenance: files.Provenance = field(default_factory=files.Provenance, repr=False)
    warnings: tuple[str, ...] = ()  # for the user, as Docker Compose warns (unset variables, ...)

    def locate(self, path: tuple[str | int, ...]) -> tuple[str, int, int] | None:
        """(file, line, column) of the node that gave ``path`` (the last file that set it)."""
        return self.provenance.locate(tuple(path))


def _names_in_files(parsed: Mapping[str, Sequence[Document]]) -> list[tuple[str, Any, Any]]:
    """Every top-level ``name:`` of every document, in order."""
    found: list[tuple[str, Any, Any]] = []
    for name, docs in parsed.items():
        for doc in docs:
            if not isinstance(doc.data, dict):
                continue
            value = doc.data.get("name")
            if isinstance(value, (Reset, Override)):
                value = value.value
            if value:
                found.append((name, value, doc))
    return found


def _project_name(
    options: LoadOptions, setting: discovery.Setting, parsed: Mapping[str, Sequence[Document]], notes: files.Notes
) -> str:
    if options.project_name:
        if discovery.normalize_project_name(options.project_name) != options.project_name:
            raise discovery.invalid_project_name(options.project_name)
        return options.project_name
    from_env = setting.environment.get("COMPOSE_PROJECT_NAME")
    if from_env:
        if discovery.normalize_project_name(from_env) != from_env:
            raise discovery.invalid_project_name(from_env)
        return from_env
    named = _names_in_files(parsed)
    if not named:
        return discovery.normalize_project_name(os.path.basename(setting.working_dir))
    _file, value, doc = named[-1]
    if options.interpolate and isinstance(value, str):
        value = interpolate({"name": value}, setting.environment, doc.source, on_unset=notes.unset)["name"]
    text = value if isinstance(value, str) else str(value)
    return discovery.normalize_project_name(text) if options.normalize else text


def _normalize(data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    from compose.loader.normalize import normalize

    return normalize(data, **kwargs)


def load_project(options: LoadOptions, services: Sequence[str] = ()) -> LoadedProject:
    """Load, merge and normalise the project ``options`` describe.

    ``services`` limits the result to those services and their dependencies (and
    enables their profiles), as ``docker compose config SERVICE...`` does.
    """
    setting = discovery.discover(
        files=options.files,
        project_directory=options.project_directory,
        env_files=options.env_files,
        profiles=options.profiles,
        environ=options.environ,
        cwd=options.cwd,
    )
    if not setting.files:
        raise ConfigError(
            "no configuration file provided: not found",
            hint="name one with -f, or create compose.yaml in this directory or a parent",
        )
    notes = files.Notes(list(setting.warnings))
    provenance = files.Provenance()
    ctx = files.Context(
        environment=setting.environment,
        working_dir=setting.working_dir,
        provenance=provenance,
        notes=notes,
        interpolate=options.interpolate,
        stdin=options.stdin,
    )
    parsed = {name: files.parse_file(name, ctx) for name in setting.files}
    name = _project_name(options, setting, parsed, notes)
    environment = {**setting.environment, "COMPOSE_PROJECT_NAME": name}

    ctx = ctx.but(environment=environment)
    data = files.load_files(setting.files, ctx, parsed)
    if not options.resolve_paths:
        data = files.relative_to(data, notes.resolved_paths, setting.working_dir)
    if not data:
        raise ConfigError("empty compose file", file=setting.files[0])
    if not name:
        raise ConfigError("project name must not be empty", hint="use --project-name to set a valid name")

    defined = data.get("services") or {}
    if not isinstance(defined, dict):
        raise ConfigError("services must be a mapping", path=("services",))
    if options.interpolate:
        chosen = profiles.select(defined, setting.profiles, tuple(services), provenance.locate)
    else:
        # Without interpolation Docker Compose prints the model itself: every service,
        # no profile applied, no selection, no consistency check.
        chosen = profiles.Selection(dict(defined), {}, setting.profiles)
    data = {**data, "services": chosen.services}
    # --no-normalize leaves out the implied values (default network, names, ...), but
    # paths are still resolved and, with interpolation, values still typed.
    data = _normalize(
        data,
        working_dir=setting.working_dir,
        environ=environment,
        project_name=name,
        resolve_paths=options.resolve_paths,
        typed=options.interpolate,
        implied=options.normalize,
        locate=provenance.locate,
    )
    project = LoadedProject(
        data=data,
        name=name,
        working_dir=setting.working_dir,
        config_files=setting.files,
        environment=environment,
        profiles=chosen.profiles,
        disabled=chosen.disabled,
        provenance=provenance,
        warnings=tuple(notes.warnings),
    )
    if options.consistency and options.interpolate:
        check_project(data, project.locate, disabled=tuple(chosen.disabled))
    return project
