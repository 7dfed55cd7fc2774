"""An attached ``up`` after its plan ran: stream logs, then stop everything when it ends.

Ends when every attached container has stopped, when one exits with
``--abort-on-container-exit`` (``--exit-code-from`` picks whose exit code is returned), or
on Ctrl-C: the project's containers are stopped (a second Ctrl-C kills them) and the exit
code is 130, as Docker Compose's.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

import trio

from compose.project_state import read_state
from compose.reconcile.attach import Attached, LogPrinter
from compose.reconcile.lifecycle import Lifecycle
from compose.reconcile.progress import Progress
from compose.reconcile.session import Session


def attach_targets(session: Session, names: Iterable[str], args: argparse.Namespace) -> set[str]:
    selected = set(names)
    if args.attach:
        return set(args.attach) & selected
    base = set(args.services) if args.services and not args.attach_dependencies else selected
    return {n for n in base if session.project.services[n].attach is not False} - set(args.no_attach)


async def run_attached(session: Session, names: Iterable[str], progress: Progress, args: argparse.Namespace,
                       began: str = "") -> int:
    """``began``: when this ``up`` started (RFC 3339); containers started before only show new lines."""
    import sys

    rt = session.rt
    names = set(names)
    state = await trio.to_thread.run_sync(lambda: read_state(session.project.name, containers=rt.containers,
                                                             oneoff=False))
    wanted = attach_targets(session, names, args)
    containers = [c for c in state.containers if c.service in wanted]
    width = max((len(c.log_name) for c in containers), default=0) + 1  # Docker Compose pads one more
    ansi = getattr(args, "ansi", "auto")
    color = not args.no_color and ansi != "never" and (ansi == "always" or sys.stdout.isatty())
    printer = LogPrinter(width, color, args.timestamps, not args.no_log_prefix)
    progress.message(f"Attaching to {', '.join(sorted(c.log_name for c in containers))}")
    life = Lifecycle(rt, session.project.name, progress, session, args.timeout)

    async def interrupt(force: bool) -> None:
        if force:
            life.timeout = 0
            progress.message("Killing...")
        else:
            progress.message("Gracefully Stopping... press Ctrl+C again to force")
        await life.stop(names)

    one_shot = frozenset(dep.target for name in names for dep in session.graph.dependencies(name).values()
                         if dep.condition == "service_completed_successfully")
    attached = Attached(containers, rt.containers.follow_logs, printer,
                        lambda cid: rt.containers.get(cid).state.exit_code, one_shot=one_shot,
                        new_lines_only=frozenset(c.id for c in containers if began and c.active
                                                 and c.started_at and c.started_at < began))
    outcome, detail = await attached.run(abort_on_exit=args.abort_on_container_exit or args.abort_on_container_failure,
                                         on_interrupt=interrupt,
                                         failures_only=args.abort_on_container_failure
                                         and not args.abort_on_container_exit)
    if outcome == "abort":
        progress.message("Aborting on container exit...")
        with trio.CancelScope(shield=True):
            await life.stop(names)
    if outcome == "interrupt":
        return 130
    if args.exit_code_from:
        codes = [code for c, code in attached.exited if c.service == args.exit_code_from]
        if codes:
            return codes[0]
        final = await trio.to_thread.run_sync(lambda: read_state(session.project.name, containers=rt.containers))
        return next((c.exit_code for c in final.of_service(args.exit_code_from)), 0)
    if outcome == "abort" and detail is not None:
        return int(detail[1])  # type: ignore[index]
    return 0


__all__ = ["attach_targets", "run_attached"]
