"""The service dependency graph: edges from every key, layers, subsets, cycles."""

from __future__ import annotations

from typing import Any

import pytest

from compose.errors import ConfigError, CycleError
from compose.graph import ServiceGraph, service_dependencies
from compose.model import project_from_dict


def _project(services: dict[str, dict[str, Any]]) -> Any:
    return project_from_dict({"name": "p", "services": services})


def _graph(services: dict[str, dict[str, Any]], **kw: Any) -> ServiceGraph:
    return ServiceGraph.from_project(_project(services), **kw)


def _dep(condition: str = "service_started", required: bool = True) -> dict[str, Any]:
    return {"condition": condition, "required": required}


@pytest.mark.parametrize(
    ("key", "value", "target", "via"),
    [
        ("depends_on", {"db": _dep("service_healthy")}, "db", "depends_on"),
        ("links", ["db:database"], "db", "links"),
        ("links", ["db"], "db", "links"),
        ("network_mode", "service:db", "db", "network_mode"),
        ("ipc", "service:db", "db", "ipc"),
        ("pid", "service:db", "db", "pid"),
        ("uts", "service:db", "db", "uts"),
        ("cgroup", "service:db", "db", "cgroup"),
        ("volumes_from", ["db:ro"], "db", "volumes_from"),
        ("volumes_from", ["db"], "db", "volumes_from"),
    ],
)
def test_each_key_makes_an_edge(key: str, value: Any, target: str, via: str) -> None:
    graph = _graph({"web": {key: value}, "db": {}})
    deps = graph.dependencies("web")
    assert list(deps) == [target]
    assert deps[target].via == via
    assert graph.dependents("db") == {"web"}
    assert graph.start_layers() == [{"db"}, {"web"}]


def test_no_edge_for_container_forms_and_host_modes() -> None:
    project = _project({"web": {"volumes_from": ["container:abc"], "network_mode": "host", "ipc": "container:x",
                                "pid": "host"}})
    assert service_dependencies(project.services["web"]) == []


def test_depends_on_keeps_condition_and_explicit_entry_wins() -> None:
    project = _project({"web": {"depends_on": {"db": {"condition": "service_healthy", "required": True,
                                                      "restart": True}},
                                "links": ["db"]}, "db": {}})
    (dep,) = service_dependencies(project.services["web"])
    assert (dep.target, dep.via, dep.condition, dep.restart) == ("db", "depends_on", "service_healthy", True)


def test_layers_run_in_parallel_and_stop_reverses() -> None:
    graph = _graph({
        "web": {"depends_on": {"api": _dep(), "static": _dep()}},
        "api": {"depends_on": {"db": _dep(), "cache": _dep()}},
        "db": {}, "cache": {}, "static": {}, "worker": {"depends_on": {"db": _dep()}},
    })
    assert graph.start_layers() == [{"db", "cache", "static"}, {"api", "worker"}, {"web"}]
    assert graph.stop_layers() == [{"web"}, {"api", "worker"}, {"db", "cache", "static"}]


def test_subset_with_dependencies_and_dependents() -> None:
    graph = _graph({
        "web": {"depends_on": {"api": _dep()}}, "api": {"depends_on": {"db": _dep()}}, "db": {}, "other": {},
    })
    assert graph.with_dependencies(["web"]) == {"web", "api", "db"}
    assert graph.with_dependencies(["api"]) == {"api", "db"}
    assert graph.with_dependents(["db"]) == {"db", "api", "web"}
    assert graph.start_layers(graph.with_dependencies(["api"])) == [{"db"}, {"api"}]
    assert graph.start_layers(["web", "db"]) == [{"web", "db"}]  # a subset ignores edges leaving it
    with pytest.raises(ConfigError):
        graph.with_dependencies(["nope"])


def test_cycle_trail_matches_docker_compose() -> None:
    # compose-go's loader test: "dependency cycle detected: service1 -> service2 -> service3 -> service1"
    services = {
        "service1": {"depends_on": {"service2": _dep()}},
        "service2": {"depends_on": {"service3": _dep()}},
        "service3": {"depends_on": {"service1": _dep()}},
    }
    with pytest.raises(CycleError) as info:
        _graph(services)
    assert info.value.trail == ("service1", "service2", "service3", "service1")
    assert "service1 -> service2 -> service3 -> service1" in info.value.render()


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(CycleError) as info:
        _graph({"service1": {"depends_on": {"service1": _dep()}}})
    assert info.value.trail == ("service1", "service1")


def test_cycle_found_in_name_order_and_located() -> None:
    # B -> D -> C -> B, searched from A first (A -> B leads into it), as compose-go's graph test
    services = {
        "A": {"depends_on": {"B": _dep()}},
        "B": {"depends_on": {"D": _dep()}},
        "C": {"depends_on": {"B": _dep()}},
        "D": {"depends_on": {"C": _dep()}},
    }
    calls: list[tuple[str | int, ...]] = []

    def locate(path: tuple[str | int, ...]) -> tuple[str, int, int]:
        calls.append(path)
        return ("compose.yaml", 7, 5)

    with pytest.raises(CycleError) as info:
        _graph(services, locate=locate)
    assert info.value.trail == ("B", "D", "C", "B")
    assert info.value.render().startswith("compose.yaml:7:5: services.B.depends_on: ")
    assert calls == [("services", "B", "depends_on")]


def test_cycle_through_implicit_edges() -> None:
    with pytest.raises(CycleError) as info:
        _graph({"a": {"network_mode": "service:b"}, "b": {"volumes_from": ["a"]}})
    assert info.value.trail == ("a", "b", "a")


def test_missing_dependency() -> None:
    with pytest.raises(ConfigError) as info:
        _graph({"web": {"depends_on": {"db": _dep()}}})
    assert 'service "web" depends on undefined service "db"' in info.value.render()
    # an optional dependency on a missing service is dropped, as Docker Compose does
    graph = _graph({"web": {"depends_on": {"db": _dep(required=False)}}})
    assert graph.dependencies("web") == {}


def test_disabled_dependency_names_the_profile() -> None:
    disabled = _project({"db": {"profiles": ["debug"]}}).services
    with pytest.raises(ConfigError) as info:
        _graph({"web": {"depends_on": {"db": _dep()}}}, disabled=disabled)
    assert "disabled" in info.value.render() and "debug" in info.value.render()


def test_no_cycle_in_a_diamond() -> None:
    graph = _graph({
        "top": {"depends_on": {"l": _dep(), "r": _dep()}},
        "l": {"depends_on": {"bottom": _dep()}}, "r": {"depends_on": {"bottom": _dep()}}, "bottom": {},
    })
    assert graph.find_cycle() is None
    assert graph.start_layers() == [{"bottom"}, {"l", "r"}, {"top"}]


def test_dependency_order_lists_dependencies_first() -> None:
    graph = _graph({"a": {"depends_on": {"z": _dep()}}, "m": {}, "z": {"depends_on": {"y": _dep()}}, "y": {}})
    assert graph.in_dependency_order() == ["y", "z", "a", "m"]
    assert graph.in_dependency_order(["z"]) == ["y", "z"]
