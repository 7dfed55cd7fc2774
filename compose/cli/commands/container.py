"""``pycompose container run|create|start|ls|inspect|stop|kill|restart|pause|unpause|rm|exec|logs|wait|top``,
and ``commit|export`` (in ``container_commit.py``).

A small ``docker run``/``ps``/``exec``/``logs`` for single containers: flags become a
:class:`ContainerSpec` here, and everything else goes through ``runtime.api.containers``.
Heavy imports stay inside functions so ``pycompose --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

SUBCOMMANDS = ("rename", "run", "create", "start", "ls", "ps", "inspect", "stop", "kill", "restart", "pause",
               "unpause", "rm", "exec", "logs", "wait", "top", "commit", "export", "attach", "cp", "port", "stats")
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """Docker's RAM sizes: ``64m``, ``1g``, ``512k``, ``1024`` (bytes)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*", text.lower())
    if not m:
        raise ValueError(f"invalid size: {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def parse_duration(text: str) -> float:
    """Go durations: ``30s``, ``1m30s``, ``500ms``; a bare number is seconds."""
    from compose.model.units import parse_duration as seconds

    text = text.strip()
    return float(text) if re.fullmatch(r"\d+(\.\d+)?", text) else seconds(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
    for name in ("run", "create"):
        p = sub.add_parser(name, help=f"{name.capitalize()} a new container", add_help=False)
        p.add_argument("--help", action="help", help="show this help message and exit")
        _spec_flags(p)
        if name == "run":
            p.add_argument("-d", "--detach", action="store_true", help="Run in the background, print the id")
            p.add_argument("--rm", action="store_true", help="Remove the container when it exits")
        p.add_argument("image", metavar="IMAGE", help="Image reference (or '-' with --rootfs)")
        p.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")
    p = sub.add_parser("start", help="Start stopped containers")
    p.add_argument("containers", nargs="+")
    for name in ("ls", "ps"):
        p = sub.add_parser(name, help="List containers")
        p.add_argument("-a", "--all", action="store_true")
        p.add_argument("-q", "--quiet", action="store_true")
        p.add_argument("-n", "--last", type=int, default=-1, help="Show n last created containers (includes all "
                                                                     "states)")
        p.add_argument("-l", "--latest", action="store_true", help="Show the latest created container (includes "
                                                                   "all states)")
    p = sub.add_parser("rename", help="Rename a container")
    p.add_argument("container")
    p.add_argument("new_name", metavar="NEW_NAME")
    p = sub.add_parser("inspect", help="Show low-level information as JSON")
    p.add_argument("containers", nargs="+")
    for name, text in (("stop", "Stop running containers"), ("restart", "Restart containers")):
        p = sub.add_parser(name, help=text)
        p.add_argument("-t", "--timeout", type=float, default=None)
        p.add_argument("-s", "--signal", default=None)
        p.add_argument("containers", nargs="+")
    p = sub.add_parser("kill", help="Kill running containers")
    p.add_argument("-s", "--signal", default="SIGKILL")
    p.add_argument("containers", nargs="+")
    for name in ("pause", "unpause", "wait", "top"):
        p = sub.add_parser(name, help=f"{name.capitalize()} containers")
        p.add_argument("containers", nargs="+")
    p = sub.add_parser("rm", help="Remove containers")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("containers", nargs="+")
    p = sub.add_parser("exec", help="Run a command in a running container")
    p.add_argument("-i", "--interactive", action="store_true")
    p.add_argument("-t", "--tty", action="store_true")
    p.add_argument("-d", "--detach", action="store_true")
    p.add_argument("-e", "--env", action="append", default=[])
    p.add_argument("-u", "--user", default=None)
    p.add_argument("-w", "--workdir", default=None)
    p.add_argument("--privileged", action="store_true", help="Give extended privileges to the command")
    p.add_argument("container")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p = sub.add_parser("logs", help="Fetch the logs of a container")
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("-t", "--timestamps", action="store_true")
    p.add_argument("-n", "--tail", default="all")
    p.add_argument("container")
    from compose.cli.commands import container_commit, container_tools

    container_commit.add_parsers(sub)
    container_tools.add_parsers(sub)


def _spec_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--name")
    a("--rootfs", help="Run from this root filesystem directory instead of an image")
    a("-e", "--env", action="append", default=[])
    a("-u", "--user")
    a("-w", "--workdir")
    a("--entrypoint")
    a("-h", "--hostname", default="")
    a("-t", "--tty", action="store_true")
    a("-i", "--interactive", action="store_true")
    a("--read-only", action="store_true")
    a("--privileged", action="store_true")
    a("--cap-add", action="append", default=[])
    a("--cap-drop", action="append", default=[])
    a("--security-opt", action="append", default=[])
    a("-m", "--memory")
    a("--memory-swap")
    a("--memory-reservation")
    a("--cpus", type=float)
    a("--cpu-shares", "-c", type=int)
    a("--cpuset-cpus")
    a("--pids-limit", type=int)
    a("--oom-score-adj", type=int)
    a("--ulimit", action="append", default=[])
    a("--sysctl", action="append", default=[])
    a("--restart", default="no")
    a("--health-cmd")
    a("--health-interval", default="30s")
    a("--health-timeout", default="30s")
    a("--health-retries", type=int, default=3)
    a("--health-start-period", default="0s")
    a("--health-start-interval", default="5s")
    a("--no-healthcheck", action="store_true")
    a("--init", action="store_true")
    a("--stop-signal")
    a("--stop-timeout", type=float)
    a("--log-driver", default="json-file")
    a("--log-opt", action="append", default=[])
    a("--group-add", action="append", default=[])
    a("--ipc", default="private")
    a("--pid", default="private")
    a("--uts", default="private")
    a("--cgroupns", default="private", choices=("host", "private"), help="Cgroup namespace to use (host|private)")
    a("--network", "--net", default="private")
    a("--tmpfs", action="append", default=[])
    a("-v", "--volume", action="append", default=[])
    a("--device", action="append", default=[])
    a("--shm-size")
    a("-l", "--label", action="append", default=[])
    a("--dns", action="append", default=[])
    a("--add-host", action="append", default=[])


def run(opts: Any, args: argparse.Namespace) -> int:
    from runtime.api.containers import Containers

    containers = Containers()
    handler = globals()[f"_cmd_{args.subcommand}"]
    try:
        return int(handler(containers, args) or 0)
    finally:
        for notice in dict.fromkeys(containers.notices):
            print(f"pycompose: {notice}", file=sys.stderr)


# ---- create / run -----------------------------------------------------------------------------
def _mode(value: str, kind: str) -> str:
    if value in ("", "private", "default", "bridge", "shareable"):
        return "private"
    if value == "none" and kind == "network":
        return "none"
    if value == "host":
        return "host"
    if value.startswith(("container:", "service:")):
        return "container:" + value.partition(":")[2]
    from runtime.api import RuntimeFailure

    raise RuntimeFailure(f"invalid {kind} mode {value!r}")


def _create(containers: Any, args: argparse.Namespace) -> Any:
    import shlex
    from pathlib import Path

    from runtime.api import RuntimeFailure
    from runtime.api import containers as api
    from runtime.container import restart as restart_rules
    from runtime.linux import capabilities

    cid = containers.new_id()
    image_id = ""
    managed = False
    image_cfg = api.ImageProcess()
    image_health = None
    stop_signal = ""
    if args.rootfs:
        rootfs = Path(args.rootfs).resolve()
    else:
        from runtime.api.images import ImageStore

        store = ImageStore(containers.state)
        image = store.resolve(args.image)
        cfg = image.config
        image_cfg = api.ImageProcess(entrypoint=cfg.entrypoint or (), cmd=cfg.cmd or (), env=cfg.env,
                                     working_dir=cfg.working_dir, user=cfg.user)
        image_health, stop_signal = cfg.healthcheck, cfg.stop_signal
        image_id = image.id
        rootfs = store.prepare_rootfs(image.id, cid)
        managed = True
    try:
        entrypoint = None
        if args.entrypoint is not None:
            entrypoint = tuple(shlex.split(args.entrypoint)) if args.entrypoint else ()
        command = tuple(args.command) if args.command else None
        ov = api.Overrides(entrypoint=entrypoint, command=command, env=tuple(_env_items(args.env)),
                           working_dir=args.workdir, user=args.user, group_add=tuple(args.group_add),
                           tty=args.tty, stdin=args.interactive, hostname=args.hostname or cid[:12])
        process = containers.build_process(rootfs, image_cfg, ov)
        seccomp, nnp = "default", False
        for opt in args.security_opt:
            key, _, value = opt.partition("=" if "=" in opt else ":")
            if key == "seccomp":
                seccomp = "unconfined" if value == "unconfined" else str(Path(value).resolve())
            elif key == "no-new-privileges":
                nnp = value in ("", "true")
            else:
                raise RuntimeFailure(f"unsupported security option {opt!r}")
        res = api.Resources(
            memory=parse_size(args.memory) if args.memory else None,
            memory_swap=(-1 if args.memory_swap == "-1" else parse_size(args.memory_swap)) if args.memory_swap
            else None,
            memory_reservation=parse_size(args.memory_reservation) if args.memory_reservation else None,
            cpu_quota=int(args.cpus * 100_000) if args.cpus else None,
            cpu_shares=args.cpu_shares, cpuset_cpus=args.cpuset_cpus, pids_limit=args.pids_limit,
        )
        health = None
        if args.health_cmd and not args.no_healthcheck:
            health = api.Healthcheck(("CMD-SHELL", args.health_cmd), parse_duration(args.health_interval),
                                     parse_duration(args.health_timeout), args.health_retries,
                                     parse_duration(args.health_start_period),
                                     parse_duration(args.health_start_interval))
        elif image_health is not None and not args.no_healthcheck:
            health = api.Healthcheck(image_health.test, (image_health.interval_ns or 30e9) / 1e9,
                                     (image_health.timeout_ns or 30e9) / 1e9, image_health.retries or 3,
                                     image_health.start_period_ns / 1e9, (image_health.start_interval_ns or 5e9) / 1e9)
        log_opts = dict(o.partition("=")[::2] for o in args.log_opt)
        mounts = [_volume(v) for v in args.volume]
        for t in args.tmpfs:
            dest, _, options = t.partition(":")
            mounts.append(api.Mount(dest, "tmpfs", "tmpfs", tuple(o for o in ("nosuid", "nodev", "noexec",
                                                                                   *options.split(",")) if o)))
        namespaces = (
            api.Namespace("mount"), api.Namespace("pid", _mode(args.pid, "pid")),
            api.Namespace("uts", _mode(args.uts, "uts")), api.Namespace("ipc", _mode(args.ipc, "ipc")),
            api.Namespace("network", "private" if _mode(args.network, "network") == "none"
                          else _mode(args.network, "network")),
            api.Namespace("cgroup", "host" if args.cgroupns == "host" else "private"),
        )
        spec = api.ContainerSpec(
            process=process, hostname=args.hostname, readonly_rootfs=args.read_only,
            mounts=tuple(mounts), namespaces=namespaces, resources=res, oom_score_adj=args.oom_score_adj,
            capabilities=capabilities.resolve(capabilities.DOCKER_DEFAULT, tuple(args.cap_add), tuple(args.cap_drop),
                                              args.privileged),
            privileged=args.privileged, no_new_privileges=nnp, seccomp=seccomp,
            rlimits=tuple(_ulimit(u) for u in args.ulimit),
            sysctls=tuple(tuple(s.split("=", 1)) for s in args.sysctl),  # type: ignore[misc]
            devices=tuple(_device(d) for d in args.device), init=args.init,
            extra_hosts=tuple(tuple(h.split(":", 1)) for h in args.add_host),  # type: ignore[misc]
            dns=tuple(args.dns), shm_size=parse_size(args.shm_size) if args.shm_size else 64 * 1024 * 1024,
            stop_signal=args.stop_signal or stop_signal or "SIGTERM",
            stop_grace_period=args.stop_timeout if args.stop_timeout is not None else 10.0,
            restart=restart_rules.parse(args.restart), healthcheck=health,
            log=api.LogConfig(args.log_driver, parse_size(log_opts["max-size"]) if "max-size" in log_opts else 0,
                              int(log_opts.get("max-file", "1"))),
            labels=tuple(tuple(lbl.split("=", 1)) if "=" in lbl else (lbl, "") for lbl in args.label),  # type: ignore[misc]
        )
        if getattr(args, "rm", False) and spec.restart.name != "no":
            raise RuntimeFailure("conflicting options: cannot specify both --restart and --rm")
        return containers.create(spec, rootfs=rootfs, cid=cid, name=args.name, image=args.image if not args.rootfs
                                 else "", image_id=image_id, rootfs_managed=managed,
                                 auto_remove=bool(getattr(args, "rm", False)))
    except BaseException:
        if managed:
            from runtime.api.images import ImageStore

            ImageStore(containers.state).release_rootfs(cid)
        raise


def _env_items(items: list[str]) -> list[str]:
    out = []
    for item in items:
        if "=" in item:
            out.append(item)
        elif item in os.environ:
            out.append(f"{item}={os.environ[item]}")
    return out


def _volume(text: str) -> Any:
    from runtime.api import RuntimeFailure
    from runtime.api.containers import Mount

    parts = text.split(":")
    if len(parts) < 2 or not parts[0].startswith("/"):
        raise RuntimeFailure(f"invalid volume {text!r}: only host-path binds SRC:DST[:ro] are supported here")
    options = tuple(parts[2].split(",")) if len(parts) > 2 else ("rw",)
    return Mount(parts[1], "bind", parts[0], ("rbind", *options))


def _ulimit(text: str) -> Any:
    from runtime.api.containers import Rlimit

    name, _, values = text.partition("=")
    soft, _, hard = values.partition(":")
    return Rlimit(name, int(soft), int(hard or soft))


def _device(text: str) -> Any:
    from runtime.api.containers import Device

    host, _, rest = text.partition(":")
    inside = rest.partition(":")[0] or host
    st = os.stat(host)
    import stat

    kind = "c" if stat.S_ISCHR(st.st_mode) else "b"
    return Device(inside, kind, os.major(st.st_rdev), os.minor(st.st_rdev))


def _cmd_create(containers: Any, args: argparse.Namespace) -> int:
    print(_create(containers, args).id)
    return 0


def _cmd_run(containers: Any, args: argparse.Namespace) -> int:
    record = _create(containers, args)
    try:
        containers.start(record.id)
    except BaseException:
        if args.rm:
            containers.remove(record.id, force=True)
        raise
    if args.detach:
        print(record.id)
        return 0
    if args.rm:
        containers.attach(record.id)
    restore = _attach(containers, record.id, args)
    try:
        containers.follow_logs(record.id, _print_entry)
        code = containers.wait(record.id)
    finally:
        restore()
    if args.rm:
        containers.remove(record.id, force=True)
    return code


def _attach(containers: Any, cid: str, args: argparse.Namespace) -> Any:
    """Like ``docker run`` attached: stdin to the container (raw terminal with -it), and
    SIGINT/SIGTERM/SIGHUP passed on to it (sig-proxy). Returns what undoes it."""
    import signal

    saved_tty = None
    if args.interactive:
        fd = containers.attach_stdin(cid)
        if fd is not None:
            if args.tty and os.isatty(0):
                import termios
                import tty

                saved_tty = termios.tcgetattr(0)
                tty.setraw(0)
            import threading

            threading.Thread(target=_copy_stdin, args=(fd,), daemon=True).start()
    previous = {}
    if not args.tty:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, lambda s, _f: _proxy(containers, cid, s))

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if saved_tty is not None:
            import termios

            termios.tcsetattr(0, termios.TCSADRAIN, saved_tty)

    return restore


def _proxy(containers: Any, cid: str, sig: int) -> None:
    import contextlib
    import signal

    from runtime.api import PyComposeError

    with contextlib.suppress(PyComposeError):
        containers.kill(cid, signal=signal.Signals(sig).name)


def _copy_stdin(fd: int) -> None:
    try:
        while data := os.read(0, 65536):
            os.write(fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)


def _print_entry(entry: Any, timestamps: bool = False) -> None:
    out = sys.stdout if entry.stream == "stdout" else sys.stderr
    text = f"{entry.time} {entry.text}" if timestamps else entry.text
    out.write(text)
    out.flush()


# ---- the others ---------------------------------------------------------------------------------
def _cmd_start(containers: Any, args: argparse.Namespace) -> int:
    for ref in args.containers:
        containers.start(ref)
        print(ref)
    return 0


def _cmd_rename(containers: Any, args: argparse.Namespace) -> int:
    containers.rename(args.container, args.new_name)
    return 0


def _cmd_ls(containers: Any, args: argparse.Namespace) -> int:
    last = 1 if args.latest else args.last
    infos = containers.list(all=args.all or last >= 0)
    if last >= 0:  # the last created, newest first, whatever their state (as docker ps -n/-l)
        infos = sorted(infos, key=lambda i: i.record.created, reverse=True)[:last]
    if args.quiet:
        for info in infos:
            print(info.record.id[:12])
        return 0
    rows = [("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES")]
    from runtime.api.containers import _ago

    for info in infos:
        command = " ".join(info.record.spec.process.args)
        command = json.dumps(command if len(command) <= 20 else command[:19] + "…", ensure_ascii=False)
        rows.append((info.record.id[:12], info.record.image or "<rootfs>", command,
                     f"{_ago(info.record.created)} ago", info.status_text, info.record.name))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


_cmd_ps = _cmd_ls


def _cmd_inspect(containers: Any, args: argparse.Namespace) -> int:
    print(json.dumps([containers.inspect(ref) for ref in args.containers], indent=4))
    return 0


def _each(containers: Any, refs: list[str], action: Any) -> int:
    from runtime.api import PyComposeError

    code = 0
    for ref in refs:
        try:
            action(ref)
            print(ref)
        except PyComposeError as exc:
            print(f"pycompose: {exc.render()}", file=sys.stderr)
            code = 1
    return code


def _cmd_stop(containers: Any, args: argparse.Namespace) -> int:
    return _each(containers, args.containers, lambda r: containers.stop(r, timeout=args.timeout, signal=args.signal))


def _cmd_restart(containers: Any, args: argparse.Namespace) -> int:
    return _each(containers, args.containers, lambda r: containers.restart(r, timeout=args.timeout))


def _cmd_kill(containers: Any, args: argparse.Namespace) -> int:
    return _each(containers, args.containers, lambda r: containers.kill(r, signal=args.signal))


def _cmd_pause(containers: Any, args: argparse.Namespace) -> int:
    return _each(containers, args.containers, containers.pause)


def _cmd_unpause(containers: Any, args: argparse.Namespace) -> int:
    return _each(containers, args.containers, containers.unpause)


def _cmd_rm(containers: Any, args: argparse.Namespace) -> int:
    return _each(containers, args.containers, lambda r: containers.remove(r, force=args.force))


def _cmd_wait(containers: Any, args: argparse.Namespace) -> int:
    for ref in args.containers:
        print(containers.wait(ref))
    return 0


def _cmd_top(containers: Any, args: argparse.Namespace) -> int:
    for ref in args.containers:
        print("PID    CMD")
        for pid, cmd in containers.top(ref):
            print(f"{pid:<6} {cmd}")
    return 0


def _cmd_exec(containers: Any, args: argparse.Namespace) -> int:
    from runtime.api import RuntimeFailure

    if not args.command:
        raise RuntimeFailure("exec needs a command")
    if args.detach:
        pid = os.fork()
        if pid:
            return 0
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        code = containers.exec(args.container, tuple(args.command), env=tuple(_env_items(args.env)), user=args.user,
                               workdir=args.workdir, stdio=(devnull, devnull, devnull))
        os._exit(code)
    return containers.exec(args.container, tuple(args.command), env=tuple(_env_items(args.env)), user=args.user,
                           workdir=args.workdir, tty=args.tty, interactive=args.interactive,
                           privileged=args.privileged)


def _cmd_logs(containers: Any, args: argparse.Namespace) -> int:
    tail = None if args.tail == "all" else int(args.tail)
    if args.follow:
        containers.follow_logs(args.container, lambda e: _print_entry(e, args.timestamps), tail=tail)
        return 0
    for entry in containers.logs(args.container, tail=tail):
        _print_entry(entry, args.timestamps)
    return 0


def _cmd_commit(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.container_commit import cmd_commit

    return cmd_commit(containers, args)


def _cmd_export(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.container_commit import cmd_export

    return cmd_export(containers, args)


def _cmd_attach(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.container_tools import cmd_attach

    return cmd_attach(containers, args)


def _cmd_cp(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.container_tools import cmd_cp

    return cmd_cp(containers, args)


def _cmd_port(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.container_tools import cmd_port

    return cmd_port(containers, args)


def _cmd_stats(containers: Any, args: argparse.Namespace) -> int:
    from compose.cli.commands.container_tools import cmd_stats

    return cmd_stats(containers, args)
