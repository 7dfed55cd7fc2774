"""A service's mounts as requests: ``volumes``, ``tmpfs``, ``volumes_from``, ``secrets``, ``configs``.

Each entry becomes one :class:`MountRequest` (rules as a table: :data:`BUILDERS` by volume type).
The request says *what* to mount; the reconciler resolves it against the host (the named or
anonymous volume's path, a bind source to create, a secret file to write) and then
:func:`runtime_mount` gives the runtime's :class:`Mount`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from compose.errors import ConfigError
from compose.model import FileRef, Project, Service, ServiceVolume
from runtime.api.containers import Mount

SECRETS_DIR = "/run/secrets"
TMPFS_DEFAULTS = ("nosuid", "nodev", "noexec")


@dataclass(frozen=True)
class MountRequest:
    """One mount of a container, before its host side exists.

    ``kind``: ``bind`` (``source`` a host path), ``volume`` (``source`` the volume's engine name),
    ``anonymous`` (a fresh volume, or the one the previous container had at ``target``),
    ``tmpfs``, or ``file`` (a secret or config: ``content`` written with ``uid``/``gid``/``mode``,
    or ``source`` a host file bound as is).
    """

    kind: str
    target: str
    source: str = ""
    read_only: bool = False
    propagation: str = ""
    create_host_path: bool = False
    nocopy: bool = False
    subpath: str = ""
    tmpfs_size: int = 0
    tmpfs_mode: int = 0
    content: bytes | None = None
    uid: int = 0
    gid: int = 0
    mode: int = 0o444


def _bind(project: Project, v: ServiceVolume) -> MountRequest:
    bind = v.bind
    return MountRequest("bind", v.target, v.source, v.read_only, propagation=bind.propagation if bind else "",
                        create_host_path=bool(bind and bind.create_host_path))


def _volume(project: Project, v: ServiceVolume) -> MountRequest:
    opts = v.volume
    nocopy, subpath = (opts.nocopy, opts.subpath) if opts else (False, "")
    if not v.source:
        return MountRequest("anonymous", v.target, read_only=v.read_only, nocopy=nocopy)
    top = project.volumes.get(v.source)
    if top is None:
        raise ConfigError(f"service {v.target!r} refers to undefined volume {v.source}",
                          path=("volumes", v.source))
    return MountRequest("volume", v.target, top.name or f"{project.name}_{v.source}", v.read_only,
                        nocopy=nocopy, subpath=subpath)


def _tmpfs(project: Project, v: ServiceVolume) -> MountRequest:
    t = v.tmpfs
    return MountRequest("tmpfs", v.target, read_only=v.read_only, tmpfs_size=t.size if t else 0,
                        tmpfs_mode=t.mode if t else 0)


BUILDERS: dict[str, Callable[[Project, ServiceVolume], MountRequest]] = {
    "bind": _bind,
    "volume": _volume,
    "tmpfs": _tmpfs,
}


def _tmpfs_short(entry: str) -> MountRequest:
    """A ``tmpfs:`` entry: ``/run`` or ``/run:size=64m,mode=1777``."""
    target, _, options = entry.partition(":")
    size, mode, read_only = 0, 0, False
    for word in filter(None, options.split(",")):
        key, _, value = word.partition("=")
        if key == "size":
            size = _size(value)
        elif key == "mode":
            mode = int(value, 8)
        elif key == "ro":
            read_only = True
    return MountRequest("tmpfs", target, read_only=read_only, tmpfs_size=size, tmpfs_mode=mode)


def _size(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = text.lower().rstrip("b")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _file_ref(project: Project, ref: FileRef, kind: str, environ: dict[str, str]) -> MountRequest:
    table = project.secrets if kind == "secret" else project.configs
    top = table.get(ref.source)
    if top is None:
        raise ConfigError(f"{kind} {ref.source!r} is not defined", path=(f"{kind}s", ref.source))
    if kind == "secret":
        target = ref.target or ref.source
        target = target if target.startswith("/") else posixpath.join(SECRETS_DIR, target)
    else:
        target = ref.target or "/" + ref.source
        target = target if target.startswith("/") else "/" + target
    uid, gid = int(ref.uid or 0), int(ref.gid or 0)
    mode = ref.mode if ref.mode is not None else 0o444
    if top.file and not (ref.uid or ref.gid or ref.mode is not None):
        return MountRequest("file", target, top.file, read_only=True)
    if top.file:
        try:
            with open(top.file, "rb") as f:
                content = f.read()
        except OSError as exc:
            raise ConfigError(f"{kind} {ref.source}: cannot read {top.file}: {exc.strerror}") from None
    elif top.environment:
        if top.environment not in environ:
            raise ConfigError(f"{kind} {ref.source}: environment variable {top.environment} is not set")
        content = environ[top.environment].encode()
    elif top.external:
        raise ConfigError(f"{kind} {ref.source}: external {kind}s need a swarm, which pycompose does not run")
    else:
        content = top.content.encode()
    return MountRequest("file", target, read_only=True, content=content, uid=uid, gid=gid, mode=mode)


def mount_requests(project: Project, service: Service, environ: dict[str, str] | None = None
                   ) -> tuple[MountRequest, ...]:
    """Every mount of ``service`` except ``volumes_from`` (which needs the other container)."""
    env = dict(environ or {})
    out: list[MountRequest] = []
    for v in service.volumes:
        builder = BUILDERS.get(v.type)
        if builder is None:
            raise ConfigError(f"volume type {v.type!r} is not supported", path=("services", service.name, "volumes"))
        out.append(builder(project, v))
    out.extend(_tmpfs_short(t) for t in service.tmpfs)
    out.extend(_file_ref(project, ref, "secret", env) for ref in service.secrets)
    out.extend(_file_ref(project, ref, "config", env) for ref in service.configs)
    return tuple(out)


def image_volume_requests(image_volumes: tuple[str, ...], taken: tuple[MountRequest, ...]) -> tuple[MountRequest, ...]:
    """Anonymous volumes for the image's ``VOLUME`` paths that no mount already covers."""
    targets = {posixpath.normpath(m.target) for m in taken}
    return tuple(MountRequest("anonymous", path) for path in image_volumes
                 if posixpath.normpath(path) not in targets)


def volumes_from_entries(service: Service) -> tuple[tuple[str, str, bool], ...]:
    """(``service`` or ``container``, name, read only) of each ``volumes_from`` entry."""
    out = []
    for entry in service.volumes_from:
        kind = "service"
        if entry.startswith("container:"):
            kind, entry = "container", entry[len("container:"):]
        name, _, mode = entry.partition(":")
        out.append((kind, name, mode == "ro"))
    return tuple(out)


def runtime_mount(req: MountRequest, host_source: str) -> Mount:
    """The runtime's mount for a resolved request (``host_source``: the path on the host)."""
    access = "ro" if req.read_only else "rw"
    if req.kind == "tmpfs":
        options = [*TMPFS_DEFAULTS]
        if req.tmpfs_size:
            options.append(f"size={req.tmpfs_size}")
        if req.tmpfs_mode:
            options.append(f"mode={req.tmpfs_mode:o}")
        if req.read_only:
            options.append("ro")
        return Mount(req.target, "tmpfs", "tmpfs", tuple(options))
    options = ["rbind", access]
    if req.propagation:
        options.append(req.propagation)
    elif req.kind == "bind":
        options.append("rprivate")
    return Mount(req.target, "bind", host_source, tuple(options))


__all__ = ["BUILDERS", "SECRETS_DIR", "MountRequest", "image_volume_requests", "mount_requests", "runtime_mount",
           "volumes_from_entries"]
