"""The service configuration hash: stable, order-blind, sensitive to what matters, Docker's bytes."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compose.hashing import EXCLUDED, changed_settings, describe_changes, hashed_config, service_hash
from compose.model import Service, load, project_from_dict
from compose.model.fields import specs
from tests.oracle import oracle_binary

HERE = Path(__file__).parent
SINK = json.loads((HERE / "model" / "data" / "sink.json").read_text())
WEB: dict[str, Any] = SINK["services"]["web"]
FIXTURES = HERE.parent.parent / "shared" / "reference" / "compose-fixtures"


def _svc(data: dict[str, Any]) -> Service:
    return load(Service, data)


def _shuffled(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {k: _shuffled(value[k], rnd) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rnd) for v in value]
    return value


def test_equal_configs_equal_hash() -> None:
    assert service_hash(_svc(WEB)) == service_hash(_svc(json.loads(json.dumps(WEB))))
    assert len(service_hash(_svc(WEB))) == 64


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=2**32))
def test_key_order_does_not_matter(seed: int) -> None:
    shuffled = _shuffled(WEB, random.Random(seed))
    assert service_hash(_svc(shuffled)) == service_hash(_svc(WEB))


@pytest.mark.parametrize("key", [k for k in WEB if k not in EXCLUDED])
def test_removing_an_included_setting_changes_the_hash(key: str) -> None:
    without = {k: v for k, v in WEB.items() if k != key}
    if key in ("command", "entrypoint"):
        without[key] = None  # always present in the canonical form; null = the image's
    assert service_hash(_svc(without)) != service_hash(_svc(WEB))
    assert changed_settings(_svc(WEB), _svc(without)) == (key,)


@given(st.sampled_from([k for k in WEB if k not in EXCLUDED and isinstance(WEB[k], dict) and WEB[k]]),
       st.text(min_size=1, max_size=8))
def test_a_new_entry_in_a_mapping_setting_changes_the_hash(key: str, name: str) -> None:
    changed = json.loads(json.dumps(WEB))
    target = changed[key]
    # put a fresh entry into the mapping (or into its first nested mapping)
    if name in target:
        return
    sample = next(iter(target.values()))
    target[name] = sample
    assert service_hash(_svc(changed)) != service_hash(_svc(WEB))
    assert key in changed_settings(_svc(WEB), _svc(changed))


@pytest.mark.parametrize(
    ("key", "value"),
    [("build", {"context": "/elsewhere"}), ("pull_policy", "never"), ("scale", 7),
     ("depends_on", {"x": {"condition": "service_started", "required": True}}), ("profiles", ["other"]),
     ("x-note", "extensions do not count")],
)
def test_excluded_settings_do_not_change_the_hash(key: str, value: Any) -> None:
    changed = {**WEB, key: value}
    assert service_hash(_svc(changed)) == service_hash(_svc(WEB))
    assert changed_settings(_svc(WEB), _svc(changed)) == ()


def test_replicas_excluded_but_rest_of_deploy_counts() -> None:
    base = {"image": "x", "deploy": {"replicas": 1, "resources": {"limits": {"memory": "1024"}}}}
    more = {"image": "x", "deploy": {"replicas": 5, "resources": {"limits": {"memory": "1024"}}}}
    bigger = {"image": "x", "deploy": {"replicas": 1, "resources": {"limits": {"memory": "2048"}}}}
    assert service_hash(_svc(base)) == service_hash(_svc(more))
    assert changed_settings(_svc(base), _svc(bigger)) == ("deploy",)
    assert "replicas" not in hashed_config(_svc(more))["deploy"]


def test_describe_changes_for_messages() -> None:
    old = _svc({"image": "nginx", "environment": {"A": "1"}, "ports": [{"target": 80}]})
    new = _svc({"image": "nginx", "environment": {"A": "2"}, "ports": [{"target": 81}]})
    assert describe_changes(old, new) == "environment, ports changed"
    assert describe_changes(old, old) == "configuration changed"


def test_every_exclusion_is_a_known_setting_with_a_reason() -> None:
    keys = {s.key for s in specs(Service)}
    for key, reason in EXCLUDED.items():
        assert key in keys and len(reason) > 20


def _uses_env_files(path: Path) -> bool:
    # `docker compose config --hash` skips env_file resolution; `up` (and we) do not.
    return "env_file" in path.read_text()


def _fixtures() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml") and not _uses_env_files(p))


@pytest.mark.oracle
@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_same_hash_as_docker_compose(path: Path) -> None:
    binary = oracle_binary()
    if binary is None:
        pytest.skip("Docker Compose oracle not installed")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(binary), "-f", path.name, "config", *args], cwd=path.parent, env=env,
                              capture_output=True, text=True, check=False)

    as_json = run("--format", "json")
    if as_json.returncode != 0:
        pytest.skip("Docker Compose refuses this fixture")
    project = project_from_dict(json.loads(as_json.stdout.replace("$$", "$")))
    mine = "".join(f"{name} {service_hash(project.services[name])}\n" for name in sorted(project.services))
    assert mine == run("--hash", "*").stdout
