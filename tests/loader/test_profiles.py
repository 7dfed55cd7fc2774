"""Profiles, the dependency check on inactive services, and service selection."""

from __future__ import annotations

import pytest

from compose.errors import ConfigError
from compose.loader.profiles import has_profile, select

STARTED = {"condition": "service_started", "required": True}
SERVICES = {
    "web": {"image": "w", "depends_on": {"api": STARTED}},
    "api": {"image": "a", "depends_on": {"db": {"condition": "service_started", "required": False}}},
    "db": {"image": "d", "profiles": ["db"]},
    "tool": {"image": "t", "profiles": ["tools", "x"], "depends_on": {"web": STARTED}},
}


@pytest.mark.parametrize(
    ("own", "enabled", "active"),
    [([], [], True), (["a"], [], False), (["a"], ["b"], False), (["a", "b"], ["b"], True), (["a"], ["*"], True)],
)
def test_has_profile(own: list[str], enabled: list[str], active: bool) -> None:
    assert has_profile({"profiles": own}, enabled) is active


def test_select_by_profiles() -> None:
    assert sorted(select(SERVICES, ()).services) == ["api", "web"]
    assert sorted(select(SERVICES, ("x",)).services) == ["api", "tool", "web"]
    assert sorted(select(SERVICES, ("*",)).disabled) == []


def test_selection_takes_dependencies_and_enables_profiles() -> None:
    chosen = select(SERVICES, (), ("tool",))
    assert sorted(chosen.services) == ["api", "tool", "web"]
    assert set(chosen.profiles) == {"tools", "x"}
    only_api = select(SERVICES, (), ("api",))
    assert list(only_api.services) == ["api"]
    # the optional dependency on the inactive db is skipped, and dropped from depends_on
    assert "db" not in only_api.services
    assert "depends_on" not in only_api.services["api"]


def test_dependencies_left_out_are_dropped() -> None:
    services = {"web": {"depends_on": {"api": STARTED}}, "api": {}}
    with_api = select(services, (), ("web",)).services
    assert with_api["web"]["depends_on"] == {"api": STARTED}
    assert services["web"]["depends_on"] == {"api": STARTED}  # the input is untouched


def test_errors() -> None:
    with pytest.raises(ConfigError, match="no such service: nope"):
        select(SERVICES, (), ("nope",))
    broken = {"web": {"depends_on": {"db": STARTED}}, "db": {"profiles": ["db"]}}
    with pytest.raises(ConfigError, match='service "web" depends on undefined service "db"'):
        select(broken, ())
    with pytest.raises(ConfigError, match="undefined service"):
        select({"web": {"depends_on": {"ghost": STARTED}}}, ())
    assert sorted(select(broken, ("db",)).services) == ["db", "web"]
