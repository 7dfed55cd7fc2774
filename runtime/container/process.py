"""The container's first process from an image config and overrides, by Docker's rules.

* ENTRYPOINT/CMD: an overridden entrypoint drops the image's CMD; an overridden command
  replaces CMD; the process runs ``entrypoint + cmd``. An empty result is an error.
* Environment: the image's, then the overrides by key; PATH defaults to Docker's; HOSTNAME,
  HOME (from the user's passwd entry) and TERM (with a tty) are added when missing.
* User: ``name``, ``uid``, ``name:group``, ``uid:gid`` resolved against the image's
  ``/etc/passwd`` and ``/etc/group``; supplementary groups from ``/etc/group`` membership, plus
  ``group_add``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runtime.container.spec import DEFAULT_PATH, Process, User
from runtime.errors import RuntimeFailure


@dataclass(frozen=True)
class ImageProcess:
    """The parts of an image config that shape the process."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    working_dir: str = ""
    user: str = ""


@dataclass(frozen=True)
class Overrides:
    entrypoint: tuple[str, ...] | None = None
    command: tuple[str, ...] | None = None
    env: tuple[str, ...] = ()  # KEY=value, or KEY alone to unset nothing (kept as given)
    working_dir: str | None = None
    user: str | None = None
    group_add: tuple[str, ...] = ()
    tty: bool = False
    stdin: bool = False
    hostname: str = ""


def shell_form(command: str) -> tuple[str, ...]:
    return ("/bin/sh", "-c", command)


def argv(image: ImageProcess, ov: Overrides) -> tuple[str, ...]:
    if ov.entrypoint is not None:
        entry = ov.entrypoint
        cmd = ov.command if ov.command is not None else ()
    else:
        entry = image.entrypoint
        cmd = ov.command if ov.command is not None else image.cmd
    args = tuple(entry) + tuple(cmd)
    if not args:
        raise RuntimeFailure("no command specified: the image has no ENTRYPOINT or CMD and none was given")
    return args


def merge_env(*layers: tuple[str, ...]) -> tuple[str, ...]:
    """Later layers win by key; order of first appearance is kept (as Docker does)."""
    merged: dict[str, str] = {}
    for layer in layers:
        for item in layer:
            key, sep, value = item.partition("=")
            if not key:
                continue
            merged[key] = value if sep else merged.get(key, "")
    return tuple(f"{k}={v}" for k, v in merged.items())


def _read_table(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def resolve_user(rootfs: Path, spec: str, group_add: tuple[str, ...] = ()) -> tuple[User, str]:
    """(User, home directory) for ``spec`` inside the image at ``rootfs``."""
    passwd = [r for r in _read_table(rootfs / "etc/passwd") if len(r) >= 7]
    groups = [r for r in _read_table(rootfs / "etc/group") if len(r) >= 3]
    name_part, _, group_part = (spec or "0").partition(":")
    entry = next((r for r in passwd if r[0] == name_part), None)
    if entry is None and name_part.isdigit():
        entry = next((r for r in passwd if r[2] == name_part), None)
    if entry is None and not name_part.isdigit():
        raise RuntimeFailure(f"unable to find user {name_part}: no matching entries in passwd file")
    if entry is not None:
        uid, gid, name, home = int(entry[2]), int(entry[3]), entry[0], entry[5] or "/"
    else:
        uid, gid, name, home = int(name_part), 0, name_part, "/"
    if group_part:
        gid = _group_id(groups, group_part)
    additional: list[int] = []
    if not group_part:
        for g in groups:
            members = g[3].split(",") if len(g) > 3 and g[3] else []
            if name in members and int(g[2]) not in additional:
                additional.append(int(g[2]))
    for extra in group_add:
        g = _group_id(groups, extra)
        if g not in additional:
            additional.append(g)
    return User(uid, gid, tuple(additional), name), home


def _group_id(groups: list[list[str]], spec: str) -> int:
    for g in groups:
        if g[0] == spec:
            return int(g[2])
    if spec.isdigit():
        return int(spec)
    raise RuntimeFailure(f"unable to find group {spec}: no matching entries in group file")


def build(rootfs: Path, image: ImageProcess, ov: Overrides) -> Process:
    user, home = resolve_user(rootfs, ov.user if ov.user is not None else image.user, ov.group_add)
    env = merge_env(image.env, ov.env)
    keys = {item.partition("=")[0] for item in env}
    defaults = []
    if "PATH" not in keys:
        defaults.append(f"PATH={DEFAULT_PATH}")
    if "HOSTNAME" not in keys and ov.hostname:
        defaults.append(f"HOSTNAME={ov.hostname}")
    if ov.tty and "TERM" not in keys:
        defaults.append("TERM=xterm")
    if "HOME" not in keys:
        defaults.append(f"HOME={home}")
    return Process(
        args=argv(image, ov),
        env=tuple(defaults) + env,
        cwd=ov.working_dir or image.working_dir or "/",
        user=user,
        terminal=ov.tty,
        stdin=ov.stdin,
    )
