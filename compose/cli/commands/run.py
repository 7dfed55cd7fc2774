"""``pycompose run``: a one-off container of a service, with its command and overrides.

The service's dependencies are brought up first (as ``up`` would, conditions included) unless
``--no-deps``; the one-off container is labelled ``com.docker.compose.oneoff=True``, named
``<project>-<service>-run-<12 hex>`` (or ``--name``), publishes no port unless
``--service-ports`` or ``-p``, and has no restart policy. Attached, its output is streamed and
its exit code is ``run``'s; ``--rm`` removes it (and its anonymous volumes) afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from dataclasses import replace
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("-d", "--detach", action="store_true", help="Run container in background and print container ID")
    a("--rm", action="store_true", help="Automatically remove the container when it exits")
    a("--name", default="", help="Assign a name to the container")
    a("-e", "--env", action="append", default=[], metavar="KEY=VAL", help="Set environment variables")
    a("-l", "--label", action="append", default=[], metavar="KEY=VAL", help="Add or override a label")
    a("-u", "--user", default=None, help="Run as specified username or uid")
    a("-w", "--workdir", default=None, help="Working directory inside the container")
    a("-v", "--volume", action="append", default=[], metavar="SRC:DST[:OPTS]", help="Bind mount a volume")
    a("-p", "--publish", action="append", default=[], metavar="[IP:]HOST:CONTAINER",
      help="Publish a container's port(s) to the host")
    a("--entrypoint", default=None, help="Override the entrypoint of the image")
    a("--no-deps", action="store_true", help="Don't start linked services")
    a("--service-ports", action="store_true",
      help="Run command with all service's ports enabled and mapped to the host")
    a("-i", "--interactive", action="store_true", default=True, help="Keep STDIN open even if not attached")
    a("-t", "--tty", action="store_true", help="Allocate a pseudo-TTY")
    a("-T", "--no-TTY", dest="no_tty", action="store_true", help="Disable pseudo-TTY allocation")
    a("--use-aliases", action="store_true", help="Use the service's network aliases in the network(s)")
    a("--remove-orphans", action="store_true", help="Remove containers for services not defined in the Compose file")
    a("--cap-add", action="append", default=[], help="Add Linux capabilities")
    a("--cap-drop", action="append", default=[], help="Drop Linux capabilities")
    a("--pull", choices=("always", "missing", "never"), default="missing", help="Pull image before running")
    a("--quiet-pull", action="store_true", help="Pull without printing progress information")
    a("--build", action="store_true", help="Build image before starting container (not supported yet)")
    a("service", metavar="SERVICE")
    a("command", nargs=argparse.REMAINDER, metavar="COMMAND")


def one_off_service(service: Any, args: argparse.Namespace, working_dir: str, environ: dict[str, str]) -> Any:
    """The service as ``run`` creates it: the command line's overrides applied."""
    import shlex

    from compose.cli.commands.exec import env_items
    from compose.errors import UsageError
    from compose.loader.transform.ports import parse_port
    from compose.loader.transform.volumes import parse_volume
    from compose.model.fields import freeze, load
    from compose.model.parts import PortMapping, ServiceVolume

    changes: dict[str, Any] = {"restart": "", "container_name": "", "scale": None}
    if args.command:
        changes["command"] = tuple(args.command)
    if args.entrypoint is not None:
        changes["entrypoint"] = tuple(shlex.split(args.entrypoint))
        if not args.command:
            changes["command"] = ()
    if args.env:
        env = dict(service.environment)
        env.update(item.partition("=")[::2] for item in env_items(args.env, environ))
        changes["environment"] = freeze(env)
    if args.label:
        labels = dict(service.labels)
        labels.update(item.partition("=")[::2] for item in args.label)
        changes["labels"] = freeze(labels)
    if args.user is not None:
        changes["user"] = args.user
    if args.workdir is not None:
        changes["working_dir"] = args.workdir
    ports = list(service.ports) if args.service_ports else []
    for spec in args.publish:
        try:
            ports += [load(PortMapping, p) for p in parse_port(spec)]
        except ValueError as exc:
            raise UsageError(f"invalid -p {spec!r}: {exc}") from None
    changes["ports"] = tuple(ports)
    volumes = list(service.volumes)
    for spec in args.volume:
        try:
            data = parse_volume(spec)
        except ValueError as exc:
            raise UsageError(f"invalid -v {spec!r}: {exc}") from None
        if data.get("type") == "bind":
            data["source"] = os.path.normpath(os.path.join(working_dir, os.path.expanduser(data["source"])))
        volumes = [v for v in volumes if v.target != data.get("target")] + [load(ServiceVolume, data)]
    changes["volumes"] = tuple(volumes)
    if args.cap_add:
        changes["cap_add"] = tuple(service.cap_add) + tuple(args.cap_add)
    if args.cap_drop:
        changes["cap_drop"] = tuple(service.cap_drop) + tuple(args.cap_drop)
    changes["tty"] = not args.no_tty and (args.tty or (sys.stdin.isatty() and not args.detach))
    changes["stdin_open"] = bool(args.interactive)
    return replace(service, **changes)


def run(opts: Any, args: argparse.Namespace) -> int:
    import trio

    started = trio.run(_run, opts, args)
    if started is None:
        return 0
    rt, cid = started
    return _attached(rt, rt.containers, cid, args)  # in the main thread: signals are passed on from here


async def _run(opts: Any, args: argparse.Namespace) -> tuple[Any, str] | None:
    """Dependencies up, the one-off container created and started; (runtime, its ID) when
    ``run`` stays attached to it."""
    import trio

    from compose.plan import Plan, ServicePlan, UpOptions, plan_up
    from compose.project_state import read_state
    from compose.reconcile.desired import desired_state
    from compose.reconcile.executor import Executor
    from compose.reconcile.progress import Progress
    from compose.reconcile.replica import create_replica, resolve_image
    from compose.reconcile.session import Runtime, load_session

    session = load_session(opts, services=(args.service,))
    base = session.project.service(args.service)
    rt = Runtime.open()
    session = replace(session, runtime=rt)
    service = one_off_service(base, args, session.working_dir, dict(os.environ))
    progress = Progress(opts.progress)
    deps = sorted(session.graph.with_dependencies([args.service]) - {args.service}) if not args.no_deps else []
    name = args.name or f"{session.project.name}-{args.service}-run-{secrets.token_hex(6)}"
    if opts.dry_run:
        return None
    from compose.prepare import ensure_images

    ensure_images(session, [*deps, args.service], pull=args.pull, build=True if args.build else None,
                  quiet=args.quiet_pull)
    with rt.state.lock(f"project-{session.project.name}"):
        up_opts = UpOptions(services=tuple(deps), no_deps=True, remove_orphans=args.remove_orphans)
        desired = desired_state(session, set(deps))
        state = read_state(session.project.name, containers=rt.containers, oneoff=False)
        if deps:
            plan = plan_up(session.project, session.graph, state, desired, up_opts,
                           existing_networks=[r.name for r in rt.networks.list()],
                           existing_volumes=[r.name for r in rt.volumes.list()])
            for dep, config_hash in desired.hashes.items():
                rt.remember_config(config_hash, desired.current[dep])
        else:
            plan = Plan(session.project.name, (), {})
        executor = Executor(session, progress, dict(desired.hashes))
        await executor.execute(plan)
        own = Plan(session.project.name, (), {args.service: ServicePlan(args.service, ())})
        await executor.run(executor.ensure_networks, own)
        await executor.run(executor.ensure_volumes, own)
        await executor.refresh()
        if deps:
            await executor.wait_dependencies(args.service, plan)
        image = resolve_image(session, service)
        assert executor.state is not None
        cid = await trio.to_thread.run_sync(
            lambda: create_replica(session, service, 1, name, config_hash="", image=image, state=executor.state,
                                   oneoff=True))
    try:
        await trio.to_thread.run_sync(_start, session, service, cid, name, args.use_aliases, executor.state)
    except BaseException:
        if args.rm:
            _remove(rt, cid)
        raise
    if args.detach:
        print(name)
        return None
    return rt, cid


def _start(session: Any, service: Any, cid: str, name: str, use_aliases: bool, state: Any) -> None:
    """Start the one-off container on the service's networks: known there by its own name only,
    unless ``--use-aliases`` (then by the service's name and aliases too, as a replica is)."""
    from compose.convert.network import network_request
    from compose.reconcile.replica import join_targets

    rt = session.rt
    req = network_request(session.project, service, cid, name, join=join_targets(session, service, state))
    if not use_aliases:
        req = replace(req, networks=tuple(replace(ep, aliases=(name,)) for ep in req.networks))
    hook = rt.networks.hook(req, files_dir=rt.containers.store.dir(cid)) if req.mode == "bridge" else None
    rt.containers.start(cid, network_setup=hook)


def _attached(rt: Any, containers: Any, cid: str, args: argparse.Namespace) -> int:
    from compose.cli.commands.container import _attach, _print_entry

    if args.rm:
        containers.attach(cid)
    tty = containers.get(cid).record.spec.process.terminal
    restore = _attach(containers, cid, argparse.Namespace(interactive=args.interactive, tty=tty))
    try:
        containers.follow_logs(cid, _print_entry)
        code = containers.wait(cid)
    finally:
        restore()
    if args.rm:
        _remove(rt, cid)
    return code


def _remove(rt: Any, cid: str) -> None:
    """The one-off container, its network endpoint and its anonymous volumes."""
    record = rt.containers.get(cid).record
    anonymous = []
    for m in record.spec.mounts:
        volume = rt.volumes.name_of(m.source) if m.type == "bind" else None
        if volume and (found := rt.volumes.find(volume)) is not None and found.anonymous:
            anonymous.append(volume)
    rt.containers.remove(cid, force=True)
    rt.networks.teardown(cid)
    for volume in anonymous:
        rt.volumes.remove(volume)
