"""Progress lines, the live view, log prefixes and which services an attached ``up`` follows."""

from __future__ import annotations

import argparse
import io
import time

import trio

from compose.graph import ServiceGraph
from compose.model import project_from_dict
from compose.project_state import ContainerView
from compose.reconcile.attach import Attached, LogPrinter
from compose.reconcile.foreground import attach_targets
from compose.reconcile.progress import Progress
from compose.reconcile.session import Session


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_progress_lines() -> None:
    out = io.StringIO()
    p = Progress("auto", out)
    p.event("Container", "p-web-1", "Recreate", "environment changed")
    p.event("Network", "p_default", "Created")
    assert out.getvalue() == " Container p-web-1  Recreate (environment changed)\n Network p_default  Created\n"


def test_live_progress_redraws_one_row_per_resource() -> None:
    out = _Tty()
    p = Progress("auto", out)
    p.event("Container", "a", "Starting")
    p.event("Container", "b", "Starting")
    p.event("Container", "a", "Started")
    text = out.getvalue()
    assert "\x1b[2A" in text  # moved up over the two rows to redraw them
    assert text.rstrip("\n").splitlines()[-2].endswith("Container a  Started")


def test_json_progress_and_options() -> None:
    import json

    out = io.StringIO()
    Progress("json", out).event("Container", "a", "Recreate", "image changed")
    assert json.loads(out.getvalue()) == {"id": "Container a", "status": "Recreate", "text": "image changed"}
    from compose.reconcile.progress import progress_for

    opts = argparse.Namespace(progress="auto", ansi="never", dry_run=False)
    assert not progress_for(opts).live


def test_quiet_progress_prints_nothing() -> None:
    out = io.StringIO()
    Progress("quiet", out).event("Container", "a", "Started")
    assert out.getvalue() == ""


def test_log_prefix_padding_color_and_timestamps() -> None:
    out = io.StringIO()
    printer = LogPrinter(8, color=False, timestamps=True, out=out)
    printer.line("p-db-1", 0, "hello\n", "2026-01-01T00:00:00Z")
    assert out.getvalue() == "p-db-1   | 2026-01-01T00:00:00Z hello\n"
    colored = io.StringIO()
    LogPrinter(6, color=True, out=colored).line("p-db-1", 1, "x")
    assert colored.getvalue().startswith("\x1b[33mp-db-1 | \x1b[0m")
    bare = io.StringIO()
    LogPrinter(6, color=False, prefix=False, out=bare).line("p-db-1", 0, "x")
    assert bare.getvalue() == "x\n"


def _session() -> Session:
    project = project_from_dict({"name": "p", "services": {
        "db": {"image": "busybox"}, "web": {"image": "busybox", "depends_on": {"db": {
            "condition": "service_started"}}}, "quiet": {"image": "busybox", "attach": False}}})
    return Session(project, ServiceGraph.from_project(project), "/w", ())


def test_attach_targets() -> None:
    s = _session()

    def ns(**kw: object) -> argparse.Namespace:
        base = {"attach": [], "no_attach": [], "services": [], "attach_dependencies": False}
        return argparse.Namespace(**{**base, **kw})

    assert attach_targets(s, {"db", "web", "quiet"}, ns()) == {"db", "web"}
    assert attach_targets(s, {"db", "web"}, ns(services=["web"])) == {"web"}
    assert attach_targets(s, {"db", "web"}, ns(services=["web"], attach_dependencies=True)) == {"db", "web"}
    assert attach_targets(s, {"db", "web", "quiet"}, ns(no_attach=["db"])) == {"web"}
    assert attach_targets(s, {"db", "web", "quiet"}, ns(attach=["quiet"])) == {"quiet"}


def _view(service: str) -> ContainerView:
    return ContainerView(id=service, name=f"p-{service}-1", service=service, number=1, status="running",
                         labels={"com.docker.compose.project": "p"})


async def test_attached_ends_when_all_exit_and_aborts_on_first_exit_except_one_shots() -> None:
    codes = {"job": 0, "server": 3}

    def follow(cid: str, emit, tail=None) -> None:  # type: ignore[no-untyped-def]
        emit(type("E", (), {"text": f"{cid} says hi", "time": ""})())
        if cid == "server":  # exit only once the job's exit is reported, so the order is fixed
            deadline = time.monotonic() + 10
            while "job-1 exited" not in out.getvalue() and time.monotonic() < deadline:
                time.sleep(0.01)

    out = io.StringIO()
    attached = Attached([_view("job"), _view("server")], follow, LogPrinter(10, False, out=out),
                        lambda cid: codes[cid], one_shot=frozenset({"job"}))

    async def never(force: bool) -> None:
        raise AssertionError("no interrupt expected")

    outcome, detail = await attached.run(abort_on_exit=True, on_interrupt=never)
    assert outcome == "abort"
    assert detail[0].service == "server" and detail[1] == 3  # the one-shot job's exit 0 did not abort
    assert "job-1 exited with code 0" in out.getvalue()
    assert "p-job-1" not in out.getvalue()  # Docker Compose prints names without the project
    codes["server"] = 0
    calm = Attached([_view("job"), _view("server")], follow, LogPrinter(10, False, out=io.StringIO()),
                    lambda cid: codes[cid])
    assert (await calm.run(abort_on_exit=True, on_interrupt=never, failures_only=True))[0] == "done"
    plain = Attached([_view("job")], follow, LogPrinter(10, False, out=io.StringIO()), lambda cid: 0)
    assert (await plain.run(abort_on_exit=False, on_interrupt=never))[0] == "done"
    await trio.sleep(0)


def test_log_name_drops_the_project_unless_the_service_named_its_container() -> None:
    labels = {"com.docker.compose.project": "p"}
    assert ContainerView(id="x", name="p-web-2", service="web", number=2, status="running",
                         labels=labels).log_name == "web-2"
    assert ContainerView(id="y", name="my-web", service="web", number=1, status="running",
                         labels=labels).log_name == "my-web"
