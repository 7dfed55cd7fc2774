"""The container's filesystem view, set up inside its new mount namespace (between fork and exec).

Order: make every mount private; bind the rootfs onto itself; mount /proc, a minimal /dev
(tmpfs with null, zero, full, random, urandom, tty, devpts with its own instance, shm, mqueue),
a read-only /sys, the generated /etc files and the user's mounts; pivot_root into it; then
mask and write-protect the kernel paths Docker protects and, if asked, make the root read-only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from runtime.container.securejoin import secure_join
from runtime.container.spec import ContainerSpec, Device, Mount
from runtime.linux import libc

INIT_PATH = "/sbin/docker-init"  # where Docker mounts its init, and so do we

# (name, major, minor) of the device nodes every container gets, as Docker (runc) creates them
DEFAULT_DEVICES: tuple[Device, ...] = (
    Device("/dev/null", "c", 1, 3), Device("/dev/zero", "c", 1, 5), Device("/dev/full", "c", 1, 7),
    Device("/dev/random", "c", 1, 8), Device("/dev/urandom", "c", 1, 9), Device("/dev/tty", "c", 5, 0),
)
DEV_LINKS = (("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"), ("/proc/self/fd/1", "stdout"),
             ("/proc/self/fd/2", "stderr"), ("pts/ptmx", "ptmx"), ("/proc/kcore", "core"))
# option word -> (flag to set, flag to clear); unknown words go to the filesystem as data
MOUNT_FLAGS: dict[str, tuple[int, int]] = {
    "ro": (libc.MS_RDONLY, 0), "rw": (0, libc.MS_RDONLY), "nosuid": (libc.MS_NOSUID, 0), "suid": (0, libc.MS_NOSUID),
    "nodev": (libc.MS_NODEV, 0), "dev": (0, libc.MS_NODEV), "noexec": (libc.MS_NOEXEC, 0),
    "exec": (0, libc.MS_NOEXEC), "bind": (libc.MS_BIND, 0), "rbind": (libc.MS_BIND | libc.MS_REC, 0),
    "noatime": (libc.MS_NOATIME, 0), "relatime": (libc.MS_RELATIME, 0),
}
PROPAGATION = {"private": libc.MS_PRIVATE, "rprivate": libc.MS_PRIVATE | libc.MS_REC, "shared": libc.MS_SHARED,
               "rshared": libc.MS_SHARED | libc.MS_REC, "slave": libc.MS_SLAVE,
               "rslave": libc.MS_SLAVE | libc.MS_REC}


def parse_options(options: tuple[str, ...]) -> tuple[int, int, str]:
    """(flags, propagation flags, data) for mount option words."""
    flags = propagation = 0
    data: list[str] = []
    for opt in options:
        if opt in MOUNT_FLAGS:
            on, off = MOUNT_FLAGS[opt]
            flags = (flags | on) & ~off
        elif opt in PROPAGATION:
            propagation = PROPAGATION[opt]
        else:
            data.append(opt)
    return flags, propagation, ",".join(data)


def _ensure_target(target: Path, *, directory: bool) -> None:
    if target.exists() or target.is_symlink():
        return
    if directory:
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()


def _mount_user(root: Path, m: Mount) -> None:
    target = secure_join(root, m.destination)
    flags, propagation, data = parse_options(m.options)
    if m.type == "bind":
        _ensure_target(target, directory=os.path.isdir(m.source) or not os.path.exists(m.source))
        rec = libc.MS_REC if "bind" not in m.options else 0
        libc.mount(m.source, target, None, libc.MS_BIND | rec)
        if flags & ~(libc.MS_BIND | libc.MS_REC):
            libc.mount(None, target, None, libc.MS_BIND | libc.MS_REMOUNT | (flags & ~libc.MS_REC))
    else:
        _ensure_target(target, directory=True)
        libc.mount(m.source or m.type, target, m.type, flags, data or None)
    if propagation:
        libc.mount(None, target, None, propagation)


def _setup_dev(root: Path, spec: ContainerSpec) -> None:
    dev = root / "dev"
    _ensure_target(dev, directory=True)
    libc.mount("tmpfs", dev, "tmpfs", libc.MS_NOSUID | libc.MS_STRICTATIME, "mode=755,size=65536k")
    for d in (*DEFAULT_DEVICES, *spec.devices):
        path = secure_join(root, d.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        kind = stat.S_IFCHR if d.type == "c" else stat.S_IFBLK
        with contextlib.suppress(FileExistsError):
            os.mknod(path, kind | d.file_mode, os.makedev(d.major, d.minor))
        os.chmod(path, d.file_mode)
    for target, name in DEV_LINKS:
        with contextlib.suppress(FileExistsError):
            os.symlink(target, dev / name)
    (dev / "pts").mkdir(exist_ok=True)
    libc.mount("devpts", dev / "pts", "devpts", libc.MS_NOSUID | libc.MS_NOEXEC,
               "newinstance,ptmxmode=0666,mode=0620,gid=5")
    (dev / "shm").mkdir(exist_ok=True)
    libc.mount("shm", dev / "shm", "tmpfs", libc.MS_NOSUID | libc.MS_NOEXEC | libc.MS_NODEV,
               f"mode=1777,size={spec.shm_size}")
    (dev / "mqueue").mkdir(exist_ok=True)
    if spec.namespace("ipc").mode != "host":
        libc.mount("mqueue", dev / "mqueue", "mqueue", libc.MS_NOSUID | libc.MS_NOEXEC | libc.MS_NODEV)


def _host_cgroup_mounts() -> list[tuple[str, str, str]]:
    """(mount point, type, options) of the host's cgroup hierarchies under /sys/fs/cgroup."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            point = left.split()[4]
            fstype, _source, *rest = right.split()
            if fstype in ("cgroup", "cgroup2") and point.startswith("/sys/fs/cgroup"):
                opts = [o for o in (rest[0] if rest else "").split(",") if o not in ("rw", "ro")]
                out.append((point, fstype, ",".join(opts)))
    return out


def _setup_cgroup(root: Path, spec: ContainerSpec) -> None:
    """``/sys/fs/cgroup`` as Docker shows it: the container's own cgroup, read-only.

    With a private cgroup namespace (the default) every hierarchy of the host is mounted anew
    inside the namespace, so its root is the container's cgroup and its limit files are the
    container's (v1: a tmpfs with one directory per controller and the host's symlinks such as
    ``cpu -> cpu,cpuacct``; v2: one cgroup2 mount). ``cgroup: host`` shows the host's tree.
    Read-only unless the container is privileged."""
    target = root / "sys" / "fs" / "cgroup"
    if not target.is_dir():
        return
    ro = 0 if spec.privileged else libc.MS_RDONLY
    flags = libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC
    mounts = _host_cgroup_mounts()
    if spec.namespace("cgroup").mode == "host":
        libc.mount("/sys/fs/cgroup", target, None, libc.MS_BIND | libc.MS_REC)
        libc.mount(None, target, None, libc.MS_BIND | libc.MS_REMOUNT | flags | ro)
        return
    top = [m for m in mounts if m[0] == "/sys/fs/cgroup"]
    if top and top[0][1] == "cgroup2":  # a pure v2 host
        libc.mount("cgroup2", target, "cgroup2", flags | ro, top[0][2] or None)
        return
    libc.mount("tmpfs", target, "tmpfs", flags, "mode=755")
    for point, fstype, opts in mounts:
        name = point[len("/sys/fs/cgroup/"):]
        if not name or "/" in name:
            continue
        (target / name).mkdir(exist_ok=True)
        with contextlib.suppress(OSError):  # a hierarchy this kernel will not mount again here
            libc.mount("cgroup" if fstype == "cgroup" else "cgroup2", target / name, fstype, flags | ro,
                       opts or None)
    with contextlib.suppress(OSError):
        for entry in os.scandir("/sys/fs/cgroup"):
            if entry.is_symlink() and not (target / entry.name).exists():
                os.symlink(os.readlink(entry.path), target / entry.name)
    if ro:
        libc.mount(None, target, None, libc.MS_REMOUNT | libc.MS_BIND | flags | ro)


def prepare(root: Path, spec: ContainerSpec, etc_files: dict[str, Path], init_binary: str | None) -> None:
    """Build the container's mount tree under ``root`` (we are in its new mount namespace)."""
    libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
    libc.mount(root, root, None, libc.MS_BIND | libc.MS_REC)
    proc = root / "proc"
    _ensure_target(proc, directory=True)
    libc.mount("proc", proc, "proc", libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)
    _setup_dev(root, spec)
    sys_dir = root / "sys"
    _ensure_target(sys_dir, directory=True)
    sys_flags = libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC | (0 if spec.privileged else libc.MS_RDONLY)
    if spec.namespace("network").mode == "host":
        libc.mount("/sys", sys_dir, None, libc.MS_BIND | libc.MS_REC)
        libc.mount(None, sys_dir, None, libc.MS_BIND | libc.MS_REMOUNT | sys_flags)
    else:
        libc.mount("sysfs", sys_dir, "sysfs", sys_flags)
    _setup_cgroup(root, spec)
    for dest, source in etc_files.items():
        target = secure_join(root, dest)
        _ensure_target(target, directory=False)
        libc.mount(source, target, None, libc.MS_BIND)
    if init_binary:
        target = secure_join(root, INIT_PATH)
        _ensure_target(target, directory=False)
        libc.mount(init_binary, target, None, libc.MS_BIND)
        libc.mount(None, target, None, libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY)
    for m in spec.mounts:
        _mount_user(root, m)


def pivot(root: Path) -> None:
    """Make ``root`` the root of this mount namespace and detach the old one."""
    os.chdir(root)
    libc.pivot_root(".", ".")
    libc.umount(".", libc.MNT_DETACH)
    os.chdir("/")


def protect(spec: ContainerSpec) -> None:
    """After pivot_root: masked paths, read-only paths, read-only root."""
    if not spec.privileged:
        for path in spec.masked_paths:
            try:
                if os.path.isdir(path):
                    libc.mount("tmpfs", path, "tmpfs", libc.MS_RDONLY)
                else:
                    libc.mount("/dev/null", path, None, libc.MS_BIND)
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    raise
        for path in spec.readonly_paths:
            try:
                libc.mount(path, path, None, libc.MS_BIND | libc.MS_REC)
                libc.mount(None, path, None, libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY | libc.MS_REC)
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    raise
    if spec.readonly_rootfs:
        libc.mount(None, "/", None, libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY)
