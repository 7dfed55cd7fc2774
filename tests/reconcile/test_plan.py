"""The planner without a runtime: desired vs actual state gives the expected actions."""

from __future__ import annotations

import pytest

from compose.errors import ConfigError
from compose.graph import ServiceGraph
from compose.model import project_from_dict
from compose.plan import (
    CREATE,
    KEEP,
    RECREATE,
    REMOVE,
    RESTART,
    START,
    Desired,
    UpOptions,
    changed_keys,
    plan_up,
)
from compose.project_state import ContainerView, ProjectState


def project(services: dict, **top: object):
    data = {"name": "p", "services": {n: {"image": "busybox", **s} for n, s in services.items()},
            "networks": {"default": {"name": "p_default"}}, **top}
    proj = project_from_dict(data)
    return proj, ServiceGraph.from_project(proj)


def container(service: str, number: int = 1, *, status: str = "running", config_hash: str = "h",
              image_id: str = "img", cid: str = "") -> ContainerView:
    return ContainerView(id=cid or f"{service}{number}", name=f"p-{service}-{number}", service=service,
                         number=number, status=status, config_hash=config_hash, image_id=image_id,
                         created=f"2026-01-01T00:00:0{number}Z")


def desired(*names: str, **hashes: str) -> Desired:
    return Desired({n: hashes.get(n, "h") for n in names}, dict.fromkeys(names, "img"))


def actions(plan, service: str) -> list[tuple[str, int]]:
    return [(a.action, a.number) for a in plan.services[service].actions]


def test_fresh_project_creates_everything_in_dependency_layers() -> None:
    proj, graph = project({"db": {}, "api": {"depends_on": {"db": {"condition": "service_started"}}},
                           "web": {"depends_on": {"api": {"condition": "service_started"}}}})
    plan = plan_up(proj, graph, ProjectState("p"), desired("db", "api", "web"), UpOptions())
    assert plan.layers == (("db",), ("api",), ("web",))
    assert all(actions(plan, s) == [(CREATE, 1)] for s in ("db", "api", "web"))
    assert plan.networks == ("p_default",)
    assert not plan.noop


def test_unchanged_running_project_is_a_noop() -> None:
    proj, graph = project({"db": {}, "web": {}})
    state = ProjectState("p", (container("db"), container("web")), networks=("p_default",))
    plan = plan_up(proj, graph, state, desired("db", "web"), UpOptions(), existing_networks=["p_default"])
    assert plan.noop
    assert actions(plan, "db") == [(KEEP, 1)]


def test_changed_hash_recreates_with_the_changed_settings_named() -> None:
    proj, graph = project({"db": {}, "web": {}})
    state = ProjectState("p", (container("db"), container("web", config_hash="old")))
    d = Desired({"db": "h", "web": "new"}, {"db": "img", "web": "img"},
                previous={"old": {"image": "busybox", "environment": {"A": "1"}}},
                current={"web": {"image": "busybox", "environment": {"A": "2"}}})
    plan = plan_up(proj, graph, state, d, UpOptions())
    web = plan.services["web"].actions[0]
    assert (web.action, web.reason) == (RECREATE, "environment changed")
    assert actions(plan, "db") == [(KEEP, 1)]


def test_image_change_recreates() -> None:
    proj, graph = project({"db": {}})
    plan = plan_up(proj, graph, ProjectState("p", (container("db", image_id="older"),)), desired("db"), UpOptions())
    assert plan.services["db"].actions[0].reason == "image changed"


def test_no_recreate_and_force_recreate() -> None:
    proj, graph = project({"db": {}})
    state = ProjectState("p", (container("db", config_hash="old"),))
    assert actions(plan_up(proj, graph, state, desired("db"), UpOptions(no_recreate=True)), "db") == [(KEEP, 1)]
    state = ProjectState("p", (container("db"),))
    forced = plan_up(proj, graph, state, desired("db"), UpOptions(force_recreate=True))
    assert forced.services["db"].actions[0].reason == "--force-recreate"


def test_stopped_container_is_started_not_recreated() -> None:
    proj, graph = project({"db": {}})
    state = ProjectState("p", (container("db", status="exited"),))
    assert actions(plan_up(proj, graph, state, desired("db"), UpOptions()), "db") == [(START, 1)]
    assert actions(plan_up(proj, graph, state, desired("db"), UpOptions(no_start=True)), "db") == [(KEEP, 1)]


def test_dependent_with_restart_true_restarts_when_its_dependency_is_recreated() -> None:
    proj, graph = project({"db": {}, "api": {"depends_on": {"db": {"condition": "service_started",
                                                                    "restart": True}}},
                           "web": {"depends_on": {"db": {"condition": "service_started"}}}})
    state = ProjectState("p", (container("db", config_hash="old"), container("api"), container("web")))
    plan = plan_up(proj, graph, state, desired("db", "api", "web"), UpOptions())
    assert actions(plan, "db") == [(RECREATE, 1)]
    assert actions(plan, "api") == [(RESTART, 1)]
    assert actions(plan, "web") == [(KEEP, 1)]


def test_scale_up_fills_numbers_and_scale_down_removes_the_highest() -> None:
    proj, graph = project({"w": {"deploy": {"replicas": 3}}})
    state = ProjectState("p", (container("w", 1), container("w", 3)))
    assert actions(plan_up(proj, graph, state, desired("w"), UpOptions()), "w") == \
        [(KEEP, 1), (KEEP, 3), (CREATE, 2)]
    down = plan_up(proj, graph, state, desired("w"), UpOptions(scale={"w": 1}))
    assert actions(down, "w") == [(KEEP, 1), (REMOVE, 3)]


def test_scale_with_a_container_name_is_refused() -> None:
    proj, graph = project({"w": {"container_name": "fixed", "scale": 2}})
    with pytest.raises(ConfigError, match="can't be scaled"):
        plan_up(proj, graph, ProjectState("p"), desired("w"), UpOptions())


def test_orphans_are_listed_and_removed_only_when_asked() -> None:
    proj, graph = project({"db": {}})
    state = ProjectState("p", (container("db"), container("old")))
    plan = plan_up(proj, graph, state, desired("db"), UpOptions(), existing_networks=["p_default"])
    assert [c.name for c in plan.orphans] == ["p-old-1"] and not plan.remove_orphans
    assert plan.noop
    plan = plan_up(proj, graph, state, desired("db"), UpOptions(remove_orphans=True))
    assert "Container p-old-1  Remove (orphan)" in plan.lines()


def test_selected_services_bring_their_dependencies_unless_no_deps() -> None:
    proj, graph = project({"db": {}, "web": {"depends_on": {"db": {"condition": "service_started"}}}, "x": {}})
    plan = plan_up(proj, graph, ProjectState("p"), desired("db", "web"), UpOptions(services=("web",)))
    assert sorted(plan.services) == ["db", "web"]
    plan = plan_up(proj, graph, ProjectState("p"), desired("web"), UpOptions(services=("web",), no_deps=True))
    assert sorted(plan.services) == ["web"]


@pytest.mark.parametrize(("a", "b", "refused"), [
    ("8080:80", "8080:81", True),
    ("127.0.0.1:8080:80", "127.0.0.2:8080:80", False),
    ("127.0.0.1:8080:80", "8080:80", True),
    ("8080:80", "8080:80/udp", False),
    ("80", "80", False),
])
def test_one_host_port_published_twice_is_refused(a: str, b: str, refused: bool) -> None:
    def port(text: str) -> dict:
        proto = "udp" if text.endswith("/udp") else "tcp"
        parts = text.removesuffix("/udp").split(":")
        target = int(parts[-1])
        published = parts[-2] if len(parts) > 1 else ""
        host_ip = parts[0] if len(parts) == 3 else ""
        return {"target": target, "published": published, "host_ip": host_ip, "protocol": proto, "mode": "ingress"}

    proj, graph = project({"a": {"ports": [port(a)]}, "b": {"ports": [port(b)]}})
    if refused:
        with pytest.raises(ConfigError, match="8080"):
            plan_up(proj, graph, ProjectState("p"), desired("a", "b"), UpOptions())
    else:
        plan_up(proj, graph, ProjectState("p"), desired("a", "b"), UpOptions())


def test_changed_keys_in_order() -> None:
    assert changed_keys({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == ("b", "c")
    assert changed_keys(None, {"a": 1}) == ()


def test_dry_run_lines() -> None:
    proj, graph = project({"db": {}}, volumes={"data": {"name": "p_data"}})
    plan = plan_up(proj, graph, ProjectState("p"), desired("db"), UpOptions())
    assert plan.lines() == ["Network p_default  Create", "Volume p_data  Create", "Container p-db-1  Create"]


def test_a_service_in_another_service_network_namespace_is_recreated_with_it() -> None:
    proj, graph = project({"db": {}, "side": {"network_mode": "service:db"}, "top": {
        "depends_on": {"side": {"condition": "service_started", "restart": True}}}})
    state = ProjectState("p", (container("db", config_hash="old"), container("side"), container("top")))
    plan = plan_up(proj, graph, state, desired("db", "side", "top"), UpOptions())
    assert actions(plan, "side") == [(RECREATE, 1)]
    assert plan.services["side"].actions[0].reason == "db was recreated"
    assert actions(plan, "top") == [(RESTART, 1)]
