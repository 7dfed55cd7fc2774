"""Creating one container of a service: resolve its mounts on the host, then create it.

Mount requests (:mod:`compose.convert.mounts`) become host paths here: named volumes are
ensured and, on first use, filled from the image as Docker fills them (unless ``nocopy``);
an anonymous volume is the one the previous container had at the same path (as Docker
Compose keeps them across recreation), else a new one; a bind source is created when
``create_host_path`` allows it; a secret or config with content is written into the
container's own directory with its uid, gid and mode.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from compose.convert import labels as L
from compose.convert.container import Context, build_process, container_spec
from compose.convert.mounts import (
    MountRequest,
    image_volume_requests,
    mount_requests,
    runtime_mount,
    volumes_from_entries,
)
from compose.errors import ConfigError
from compose.model import Service
from compose.project_state import ContainerView, ProjectState
from compose.reconcile.session import Session
from runtime.api import RuntimeFailure
from runtime.api.containers import Mount
from runtime.api.images import Image


@dataclass(frozen=True)
class PendingFile:
    path: Path
    content: bytes
    uid: int
    gid: int
    mode: int


def join_targets(session: Session, service: Service, state: ProjectState) -> dict[str, str]:
    """``service:X``/``container:X`` namespace values -> the container ID to join."""
    out: dict[str, str] = {}
    for key in ("network_mode", "pid", "ipc", "uts", "cgroup"):
        value: str = getattr(service, key)
        if value.startswith("service:"):
            target = value.partition(":")[2]
            running = [c for c in state.of_service(target) if c.active] or state.of_service(target)
            if not running:
                raise RuntimeFailure(f"service {service.name} uses {key} {value}: no container of {target} exists")
            out[value] = running[0].id
        elif value.startswith("container:"):
            ref = value.partition(":")[2]
            out[value] = session.rt.containers.get(ref).record.id
    return out


def _anonymous_of(previous: ContainerView | None, session: Session) -> dict[str, str]:
    """target -> volume name of the previous container's volumes."""
    if previous is None:
        return {}
    out = {}
    for m in previous.mounts:
        if m.type == "bind" and (name := session.rt.volumes.name_of(m.source)) is not None:
            out[posixpath.normpath(m.destination)] = name
    return out


def _image_dir(rootfs: Path, target: str) -> Path | None:
    path = Path(os.path.realpath(rootfs / target.lstrip("/")))
    root = Path(os.path.realpath(rootfs))
    if path != root and root not in path.parents:
        return None  # a symlink pointing out of the image
    return path if path.is_dir() else None


def resolve_mounts(session: Session, service: Service, image: Image, rootfs: Path, files_dir: Path,
                   state: ProjectState, previous: ContainerView | None) -> tuple[list[Mount], list[PendingFile]]:
    project = session.project
    requests = mount_requests(project, service, dict(session.environment))
    requests += image_volume_requests(image.config.volumes, requests)
    previous_volumes = _anonymous_of(previous, session)
    mounts: list[Mount] = []
    files: list[PendingFile] = []
    for i, req in enumerate(requests):
        if req.kind == "bind":
            if not os.path.exists(req.source):
                if not req.create_host_path:
                    raise RuntimeFailure(f'invalid mount config for type "bind": bind source path does not exist: '
                                         f"{req.source}")
                os.makedirs(req.source, exist_ok=True)
            mounts.append(runtime_mount(req, req.source))
        elif req.kind in ("volume", "anonymous"):
            mounts.append(_volume_mount(session, service, req, image, rootfs, previous_volumes))
        elif req.kind == "tmpfs":
            mounts.append(runtime_mount(req, ""))
        elif req.content is not None:
            path = files_dir / f"{i}-{posixpath.basename(req.target) or 'file'}"
            files.append(PendingFile(path, req.content, req.uid, req.gid, req.mode))
            mounts.append(runtime_mount(req, os.fspath(path)))
        else:
            if not os.path.exists(req.source):
                raise RuntimeFailure(f"{req.target}: source file {req.source} does not exist")
            mounts.append(runtime_mount(req, req.source))
    for kind, name, read_only in volumes_from_entries(service):
        mounts.extend(_volumes_from(session, state, kind, name, read_only))
    return mounts, files


def _volume_mount(session: Session, service: Service, req: MountRequest, image: Image, rootfs: Path,
                  previous: Mapping[str, str]) -> Mount:
    vols = session.rt.volumes
    if req.kind == "volume":
        if vols.find(req.source) is None:
            key = next((k for k, v in session.project.volumes.items() if (v.name or "") == req.source), "")
            raise RuntimeFailure(f"volume {req.source} (volumes.{key}) does not exist")
        name = req.source
    else:
        name = previous.get(posixpath.normpath(req.target), "")
        if not name or vols.find(name) is None:
            name = vols.new_anonymous({L.PROJECT: session.project.name, L.SERVICE: service.name}).name
    source = vols.mount_source(name)
    if not req.nocopy:
        src = _image_dir(rootfs, req.target)
        if src is not None:
            vols.populate(name, src)
    if req.subpath:
        source = source / req.subpath
        if not source.is_dir():
            raise RuntimeFailure(f"volume {name}: subpath {req.subpath} does not exist")
    return runtime_mount(req, os.fspath(source))


def _volumes_from(session: Session, state: ProjectState, kind: str, name: str, read_only: bool) -> list[Mount]:
    if kind == "service":
        found = state.of_service(name)
        if not found:
            raise RuntimeFailure(f"volumes_from {name}: the service has no container")
        mounts = found[0].mounts
    else:
        mounts = session.rt.containers.get(name).record.spec.mounts
    out = []
    for m in mounts:
        if m.type != "bind":
            continue
        options = tuple(o for o in m.options if o not in ("ro", "rw")) + (("ro",) if read_only or "ro" in m.options
                                                                          else ("rw",))
        out.append(Mount(m.destination, m.type, m.source, options))
    return out


def write_files(files: list[PendingFile]) -> None:
    for f in files:
        f.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(f.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, f.content)
            os.fchown(fd, f.uid, f.gid)
            os.fchmod(fd, f.mode)
        finally:
            os.close(fd)


def create_replica(session: Session, service: Service, number: int, name: str, *, config_hash: str, image: Image,
                   state: ProjectState, previous: ContainerView | None = None, oneoff: bool = False) -> str:
    """Create container ``name`` (replica ``number``) of ``service``; its ID. ``oneoff``: a ``run``
    container (labelled so, never counted as a replica)."""
    rt = session.rt
    cid = rt.containers.new_id()
    rootfs = rt.images.prepare_rootfs(image.id, cid)
    try:
        mounts, files = resolve_mounts(session, service, image, rootfs, rt.files_dir(cid), state, previous)
        write_files(files)  # before the container exists: a created container always has its files
        labels = L.container_labels(session.project, service, number, config_hash=config_hash, image_id=image.id,
                                    working_dir=session.working_dir, config_files=session.config_files,
                                    env_files=session.env_files, replace=previous.id if previous else "",
                                    oneoff=oneoff)
        ctx = Context(image.config, labels, tuple(mounts), join_targets(session, service, state))
        spec = container_spec(service, ctx, build_process(service, ctx, rootfs))
        rt.containers.create(spec, rootfs=rootfs, cid=cid, name=name, image=service.image_name(session.project.name),
                             image_id=image.id, rootfs_managed=True)
    except BaseException:
        rt.images.release_rootfs(cid)
        rt.forget(cid)
        raise
    return cid


def resolve_image(session: Session, service: Service) -> Image:
    from runtime.api.images import ImageNotFound

    ref = service.image_name(session.project.name)
    try:
        return session.rt.images.resolve(ref, service.platform or None)
    except ImageNotFound:
        hint = "build it first" if service.build else "pull it with 'pycompose pull' or load it with 'image load'"
        raise ConfigError(f"image {ref} for service {service.name} is not in the image store ({hint})",
                          path=("services", service.name, "image")) from None


__all__ = ["PendingFile", "create_replica", "join_targets", "resolve_image", "resolve_mounts", "write_files"]
