"""``pycompose up``: create and start the project's containers, as ``docker compose up``.

Plan first (:func:`compose.plan.plan_up`), print it with ``--dry-run``, else carry it out
(:class:`compose.reconcile.executor.Executor`). Detached (``-d``) it returns once every
container is started (with ``--wait``: running or healthy); attached it streams the logs
until the containers stop, Ctrl-C stopping them (a second Ctrl-C kills them).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from compose.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("services", nargs="*", metavar="SERVICE")
    a("-d", "--detach", action="store_true", help="Detached mode: run containers in the background")
    a("-w", "--watch", action="store_true", help="Watch source code and rebuild/refresh containers when files are "
                                               "updated")
    a("--force-recreate", action="store_true", help="Recreate containers even if their configuration hasn't changed")
    a("--no-recreate", action="store_true", help="If containers already exist, don't recreate them")
    a("--no-deps", action="store_true", help="Don't start linked services")
    a("--no-start", action="store_true", help="Don't start the services after creating them")
    a("--remove-orphans", action="store_true", help="Remove containers for services not defined in the Compose file")
    a("--scale", action="append", default=[], metavar="SERVICE=NUM", help="Scale SERVICE to NUM instances")
    a("--wait", action="store_true", help="Wait for services to be running|healthy. Implies detached mode.")
    a("--wait-timeout", type=float, default=0, metavar="SECONDS", help="Maximum duration to wait for the project")
    a("-t", "--timeout", type=float, default=None, metavar="SECONDS", help="Shutdown timeout in seconds")
    a("--abort-on-container-exit", action="store_true", help="Stops all containers if any container was stopped")
    a("--abort-on-container-failure", action="store_true",
      help="Stops all containers if any container exited with failure")
    a("--exit-code-from", metavar="SERVICE", help="Return the exit code of the selected service container")
    a("--attach", action="append", default=[], metavar="SERVICE", help="Restrict attaching to the specified services")
    a("--no-attach", action="append", default=[], metavar="SERVICE", help="Do not attach (stream logs) to services")
    a("--attach-dependencies", action="store_true", help="Automatically attach to log output of dependent services")
    a("--timestamps", action="store_true", help="Show timestamps")
    a("--no-log-prefix", action="store_true", help="Don't print prefix in logs")
    a("--no-color", action="store_true", help="Produce monochrome output")
    a("--build", action="store_true", help="Build images before starting containers")
    a("--no-build", action="store_true", help="Don't build an image, even if it's policy")
    a("--pull", choices=("always", "missing", "never"), default="missing", help="Pull image before running")
    a("--quiet-pull", action="store_true", help="Pull without printing progress information")
    a("-y", "--yes", action="store_true", help="Assume \"yes\" as answer to all prompts")


def _scale(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        name, sep, num = item.partition("=")
        if not sep or not num.isdigit():
            raise UsageError(f"invalid --scale {item!r}: expected SERVICE=NUM")
        out[name] = int(num)
    return out


def _check_flags(args: argparse.Namespace) -> None:
    if args.force_recreate and args.no_recreate:
        raise UsageError("--force-recreate and --no-recreate are incompatible")
    if args.exit_code_from:
        args.abort_on_container_exit = True
    if args.detach and (args.abort_on_container_exit or args.abort_on_container_failure):
        raise UsageError("--abort-on-container-exit and --detach are incompatible")
    if args.wait:
        args.detach = True


def run(opts: Any, args: argparse.Namespace) -> int:
    _check_flags(args)
    if getattr(args, "watch", False) and not opts.dry_run:
        from compose.cli.commands.watch import up_with_watch

        return up_with_watch(opts, args)
    args.ansi = opts.ansi
    began = _now()
    cache_key = _noop_key(opts, args)
    if cache_key is not None and _cached_noop(opts, cache_key):
        return 0
    from dataclasses import replace

    from compose.plan import UpOptions, plan_up, selected_services
    from compose.project_state import read_state
    from compose.reconcile.desired import desired_state
    from compose.reconcile.progress import progress_for
    from compose.reconcile.session import Runtime, load_session

    with _recording(cache_key) as recorder:
        session = load_session(opts, services=tuple(args.services))
    scale = _scale(args.scale)
    for name in scale:
        session.project.service(name)
    if args.exit_code_from:
        session.project.service(args.exit_code_from)
    up_opts = UpOptions(services=tuple(args.services), force_recreate=args.force_recreate,
                        no_recreate=args.no_recreate, no_deps=args.no_deps, no_start=args.no_start,
                        remove_orphans=args.remove_orphans, scale=scale)
    rt = Runtime.open()
    session = replace(session, runtime=rt)
    progress = progress_for(opts)
    names = selected_services(session.project, session.graph, up_opts)
    if not opts.dry_run:
        rt.networks.preload()  # the link helper starts on the other core while images and the plan are made
        from compose.prepare import ensure_images

        ensure_images(session, names, pull=args.pull, build=True if args.build else False if args.no_build else None,
                      quiet=getattr(args, "quiet_pull", False))

    def planned() -> tuple[Any, Any, Any]:
        state = read_state(session.project.name, containers=rt.containers, oneoff=False)
        desired = desired_state(session, names, state)
        plan = plan_up(session.project, session.graph, state, desired, up_opts,
                       existing_networks=[r.name for r in rt.networks.list()],
                       existing_volumes=[r.name for r in rt.volumes.list()])
        return state, desired, plan

    def remember_noop(state: Any, plan: Any) -> None:
        if recorder is not None and plan.noop and not plan.orphans and not rt.containers.notices:
            from compose.reconcile import noopcache

            noopcache.capture(cache_key, recorder.observations, rt.state.root, session.project.name,
                              [v.id for v in state.containers], plan.lines(), recorder.warnings)

    with rt.state.lock(f"project-{session.project.name}"):
        state, desired, plan = planned()
        if opts.dry_run:
            for line in plan.lines():
                print(f"DRY-RUN MODE -  {line}", file=sys.stderr)
            return 0
        if plan.noop and args.detach and not args.wait:
            for line in plan.lines():  # nothing to do: say so without starting the machinery
                progress.message(f" {line}")
            remember_noop(state, plan)
            return 0
        for name, config_hash in desired.hashes.items():
            rt.remember_config(config_hash, desired.current[name])
        import trio

        from compose.reconcile.executor import Executor

        executor = Executor(session, progress, dict(desired.hashes), timeout=args.timeout)
        trio.run(executor.execute, plan)
        if recorder is not None:  # the next identical ``up -d`` is most likely a no-op: prepare its answer
            state, _desired, after = planned()
            remember_noop(state, after)
    if args.no_start or (args.detach and not args.wait):
        return 0
    return trio.run(_after, session, names, progress, args, began)


def _noop_key(opts: Any, args: argparse.Namespace) -> str | None:
    """The key of a plain ``up -d`` whose no-op result may be reused (:mod:`compose.reconcile.noopcache`)."""
    if (not args.detach or args.wait or args.force_recreate or opts.dry_run or "-" in opts.files
            or getattr(args, "build", False)):
        return None
    from compose.loader import resultcache

    if not resultcache.enabled():
        return None
    import os

    from compose.reconcile import noopcache

    options = {"global": {name: getattr(opts, name) for name in opts.__dataclass_fields__},
               "command": {"up": vars(args)}}
    return noopcache.key(options, os.getcwd(), os.environ)


def _cached_noop(opts: Any, cache_key: str) -> bool:
    import os

    from compose.reconcile import noopcache
    from compose.reconcile.progress import progress_for
    from runtime.state import FileLock, StateRoot

    state = StateRoot.from_env(dict(os.environ))
    if not state.locks.is_dir():
        return False
    found = noopcache.hit(cache_key, state.root, lambda project: FileLock(state.locks / f"project-{project}.lock"))
    if found is None:
        return False
    warnings, lines = found
    for warning in warnings:
        print(f"WARN[0000] {warning}", file=sys.stderr)
    progress = progress_for(opts)
    for line in lines:
        progress.message(f" {line}")
    return True


def _nothing() -> Any:
    import contextlib

    return contextlib.nullcontext()


def _recording(cache_key: str | None) -> Any:
    if cache_key is None:
        return _nothing()
    from compose.loader import observe

    return observe.recording()


def _now() -> str:
    import time

    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + f".{ns % 10**9:09d}Z"


async def _after(session: Any, names: set[str], progress: Any, args: argparse.Namespace, began: str) -> int:
    if args.wait:
        from compose.reconcile.waiting import wait_project

        return await wait_project(session, names, progress, timeout=args.wait_timeout or None)
    if args.detach:
        return 0
    from compose.reconcile.foreground import run_attached

    return await run_attached(session, names, progress, args, began)
