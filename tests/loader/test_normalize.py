"""Normalisation: defaults, implied values, typed fields, env files, unused resources."""

from __future__ import annotations

from pathlib import Path

import pytest

from compose.errors import ConfigError
from compose.loader.normalize import DEFAULTS, config_json, escape_dollars, normalize, set_defaults
from compose.loader.transform import canonical


def project(doc: dict, tmp: Path | str = "/proj", environ: dict | None = None, **kw: object) -> dict:
    return normalize(canonical(doc), working_dir=str(tmp), environ=environ or {}, project_name="p", **kw)


def web(fields: dict, **kw: object) -> dict:
    return project({"services": {"web": {"image": "x", **fields}}}, **kw)["services"]["web"]


DEFAULT_ENTRIES = [
    (("services", "*", "build"), {"services": {"w": {"build": {"dockerfile": "D"}}}},
     ("services", "w", "build"), {"dockerfile": "D", "context": "."}),
    (("services", "*", "secrets", "*"), {"services": {"w": {"secrets": [{"source": "s"}]}}},
     ("services", "w", "secrets", 0), {"source": "s", "target": "/run/secrets/s"}),
    (("services", "*", "ports", "*"), {"services": {"w": {"ports": [{"target": 1}]}}},
     ("services", "w", "ports", 0), {"target": 1, "protocol": "tcp", "mode": "ingress"}),
    (("services", "*", "deploy", "resources", "reservations", "devices", "*"),
     {"services": {"w": {"deploy": {"resources": {"reservations": {"devices": [{"driver": "n"}]}}}}}},
     ("services", "w", "deploy", "resources", "reservations", "devices", 0), {"driver": "n", "count": "all"}),
    (("services", "*", "gpus", "*"), {"services": {"w": {"gpus": [{"device_ids": ["0"]}]}}},
     ("services", "w", "gpus", 0), {"device_ids": ["0"]}),
]


@pytest.mark.parametrize(("pattern", "doc", "path", "expected"), DEFAULT_ENTRIES)
def test_default_entry(pattern: tuple, doc: dict, path: tuple, expected: object) -> None:
    out = set_defaults(doc)
    for key in path:
        out = out[key]
    assert out == expected


def test_every_default_has_a_test() -> None:
    assert {e[0] for e in DEFAULT_ENTRIES} == set(DEFAULTS)


def test_minimal_service() -> None:
    assert project({"services": {"web": {"image": "x"}}}) == {
        "name": "p",
        "services": {"web": {"command": None, "entrypoint": None, "image": "x", "networks": {"default": None}}},
        "networks": {"default": {"name": "p_default", "ipam": {}}},
    }


def test_network_mode_and_provider_skip_the_default_network() -> None:
    out = project({"services": {"a": {"image": "x", "network_mode": "host"},
                                "b": {"provider": {"type": "t"}}}})
    assert "networks" not in out
    assert "networks" not in out["services"]["a"]


def test_resource_names() -> None:
    out = project({
        "services": {"web": {"image": "x", "networks": ["a", "b", "c"], "volumes": ["vol:/v", "ext:/w"]}},
        "networks": {"a": None, "b": {"external": True}, "c": {"name": "own"}},
        "volumes": {"vol": {}, "ext": {"external": True}},
    })
    assert {k: n["name"] for k, n in out["networks"].items()} == {"a": "p_a", "b": "b", "c": "own"}
    assert {k: n["name"] for k, n in out["volumes"].items()} == {"vol": "p_vol", "ext": "ext"}


def test_unused_resources_are_left_out() -> None:
    out = project({"services": {"web": {"image": "x", "network_mode": "none"}},
                   "networks": {"n": {}}, "volumes": {"v": {}}, "secrets": {"s": {"file": "f"}},
                   "configs": {"c": {"file": "f"}}})
    assert set(out) == {"name", "services"}


def test_implied_dependencies() -> None:
    out = project({"services": {
        "web": {"image": "x", "links": ["db:alias", "cache"], "volumes_from": ["data:ro", "container:c"],
                "ipc": "service:shm", "depends_on": ["db"]},
        "db": {"image": "x"}, "cache": {"image": "x"}, "data": {"image": "x"}, "shm": {"image": "x"},
    }})
    assert out["services"]["web"]["depends_on"] == {
        "db": {"condition": "service_started", "required": True},
        "cache": {"condition": "service_started", "restart": True, "required": True},
        "data": {"condition": "service_started", "required": True},
        "shm": {"condition": "service_started", "restart": True, "required": True},
    }


def test_build_defaults_and_args() -> None:
    build = web({"build": {"context": "app", "args": ["A=1", "FROM_ENV", "UNSET"]}}, environ={"FROM_ENV": "e"})["build"]
    assert build == {"context": "/proj/app", "dockerfile": "Dockerfile", "args": {"A": "1", "FROM_ENV": "e"}}
    assert "dockerfile" not in web({"build": {"dockerfile_inline": "FROM x"}})["build"]


def test_environment_names_take_the_environment() -> None:
    env = web({"environment": ["A=1", "B", "C", "D="]}, environ={"B": "b"})["environment"]
    assert env == {"A": "1", "B": "b", "C": None, "D": ""}


def test_scale_sets_deploy_replicas() -> None:
    assert web({"scale": 2, "deploy": {}})["deploy"]["replicas"] == 2


def test_pull_policy_alias() -> None:
    assert web({"pull_policy": "if_not_present"})["pull_policy"] == "missing"


@pytest.mark.parametrize(("fields", "expected"), [
    ({"command": "echo 'a b'"}, {"command": ["echo", "a b"]}),
    ({"command": []}, {"command": []}),
    ({"mem_limit": "1g"}, {"mem_limit": "1073741824"}),
    ({"cpus": "0.5"}, {"cpus": 0.5}),
    ({"stop_grace_period": "90s"}, {"stop_grace_period": "1m30s"}),
    ({"labels": ["a=1", "b"]}, {"labels": {"a": "1", "b": ""}}),
    ({"extra_hosts": {"h": ["1.1.1.1", "[::1]"]}}, {"extra_hosts": ["h=1.1.1.1", "h=::1"]}),
    ({"extra_hosts": ["b:2.2.2.2", "a=1.1.1.1"]}, {"extra_hosts": ["a=1.1.1.1", "b=2.2.2.2"]}),
    ({"ulimits": {"a": 0, "b": 5, "c": {"soft": 1, "hard": 2}}},
     {"ulimits": {"a": {}, "b": 5, "c": {"soft": 1, "hard": 2}}}),
    ({"healthcheck": {"test": "true", "interval": "0s"}},
     {"healthcheck": {"test": ["CMD-SHELL", "true"], "interval": "0s"}}),
    ({"deploy": {}}, {"deploy": {"resources": {}, "placement": {}}}),
    ({"gpus": "all"}, {"gpus": [{"count": -1}]}),
    ({"privileged": False, "init": False}, {"init": False}),
    ({"dns": "8.8.8.8", "tmpfs": "/run"}, {"dns": ["8.8.8.8"], "tmpfs": ["/run"]}),
    ({"x-custom": 1, "environment": {}}, {}),
    ({"expose": [80, "90/udp"]}, {"expose": ["80", "90/udp"]}),
    ({"develop": {"watch": [{"path": "/src", "action": "rebuild"}]}},
     {"develop": {"watch": [{"path": "/src", "action": "rebuild", "exec": {"command": None}}]}}),
    ({"blkio_config": {"weight_device": [{"path": "/dev/a", "weight": 10}]}},
     {"blkio_config": {"weight_device": [{"Path": "/dev/a", "Weight": 10}]}}),
])
def test_typed_fields(fields: dict, expected: dict) -> None:
    out = web(fields)
    for key in ("command", "entrypoint", "image", "networks"):
        if key not in expected:
            out.pop(key)
    assert out == expected


@pytest.mark.parametrize(("fields", "message"), [
    ({"mem_limit": "lots"}, "invalid size"),
    ({"stop_grace_period": "soon"}, "invalid duration"),
    ({"extra_hosts": ["nohost"]}, "missing IP"),
    ({"environment": ["A =1"]}, "trailing space"),
    ({"command": "echo 'x"}, "invalid command line"),
])
def test_bad_values(fields: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        web(fields)
    assert info.value.path[:2] == ("services", "web")


def test_env_files(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("A=from-a\nB=from-a\nREF=${B}-x\n")
    (tmp_path / "b.env").write_text("B=from-b\nC=$OUTSIDE\n")
    out = web({"env_file": ["a.env", {"path": "b.env"}, {"path": "missing.env", "required": False}],
               "environment": {"A": "own"}}, tmp=tmp_path, environ={"OUTSIDE": "o"})
    assert out["environment"] == {"A": "own", "B": "from-b", "REF": "from-a-x", "C": "o"}
    assert "env_file" not in out


def test_missing_env_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found") as info:
        web({"env_file": "nope.env"}, tmp=tmp_path)
    assert info.value.path == ("services", "web", "env_file", 0)


def test_label_files(tmp_path: Path) -> None:
    (tmp_path / "l").write_text("a=1\nb=2\n")
    assert web({"label_file": "l", "labels": {"b": "own"}}, tmp=tmp_path)["labels"] == {"a": "1", "b": "own"}


def test_secret_and_config_content() -> None:
    out = project({"services": {"web": {"image": "x", "secrets": ["s"], "configs": ["c", "d"]}},
                   "secrets": {"s": {"environment": "S"}}, "configs": {"c": {"environment": "C"},
                                                                        "d": {"content": "inline"}}},
                  environ={"S": "secret", "C": "conf"})
    assert out["secrets"]["s"] == {"name": "p_s", "environment": "S"}
    assert out["configs"]["c"] == {"name": "p_c", "environment": "C"}
    assert out["configs"]["d"] == {"name": "p_d", "content": "inline"}


def test_top_level_extensions_are_kept() -> None:
    assert project({"services": {}, "x-a": {"b": 1}})["x-a"] == {"b": 1}


def test_version_is_dropped() -> None:
    assert "version" not in project({"version": "3", "services": {}})


def test_paths_are_kept_when_asked() -> None:
    assert web({"volumes": ["./d:/d"]}, resolve_paths=False)["volumes"][0]["source"] == "./d"


def test_escape_dollars() -> None:
    assert escape_dollars({"a$": ["$x", 1, None]}) == {"a$$": ["$$x", 1, None]}


def test_raw_env_files(tmp_path: Path) -> None:
    (tmp_path / "r.env").write_text("# c\nA='{\"k\": 1}'\n  B=$X\nFROM_ENV\nUNSET\n\n")
    out = web({"env_file": [{"path": "r.env", "format": "raw"}]}, tmp=tmp_path, environ={"FROM_ENV": "e"})
    assert out["environment"] == {"A": "'{\"k\": 1}'", "B": "$X", "FROM_ENV": "e"}


def test_raw_env_file_key_with_blank(tmp_path: Path) -> None:
    (tmp_path / "r.env").write_text("A B=1\n")
    with pytest.raises(ConfigError, match="whitespaces"):
        web({"env_file": [{"path": "r.env", "format": "raw"}]}, tmp=tmp_path)


def test_unknown_env_file_format(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("A=1\n")
    with pytest.raises(ConfigError, match="unsupported env_file format"):
        web({"env_file": [{"path": "a.env", "format": "yaml"}]}, tmp=tmp_path)


def test_models_are_kept_in_the_model_but_not_printed() -> None:
    out = project({"services": {"web": {"image": "x", "models": ["m"]}},
                   "models": {"m": {"model": "ai/x", "context_size": 10}, "unused": {"model": "y"}}})
    assert out["models"] == {"m": {"model": "ai/x", "context_size": 10}}
    assert "models" not in config_json(out)


def test_config_json_escapes_only_interpolated_models() -> None:
    model = {"name": "p", "services": {"w": {"image": "a$b"}}}
    assert config_json(model)["services"]["w"]["image"] == "a$$b"
    assert config_json(model, interpolated=False)["services"]["w"]["image"] == "a$b"


def test_keep_unused() -> None:
    out = project({"services": {"web": {"image": "x", "network_mode": "none"}}, "volumes": {"v": {}}},
                  keep_unused=True)
    assert out["volumes"] == {"v": {"name": "p_v"}}


def test_errors_are_located() -> None:
    doc = canonical({"services": {"web": {"image": "x", "mem_limit": "lots"}}})

    def locate(path: tuple) -> tuple[str, int, int] | None:
        return ("compose.yaml", 4, 16) if path == ("services", "web", "mem_limit") else None

    with pytest.raises(ConfigError) as info:
        normalize(doc, working_dir="/p", environ={}, project_name="p", locate=locate)
    assert info.value.render().startswith("compose.yaml:4:16: services.web.mem_limit: invalid size 'lots'")


def test_untyped_model() -> None:
    out = project({"services": {"web": {"image": "x", "command": "echo hi", "environment": ["HOME"],
                                        "mem_limit": "1g", "x-e": 1, "scale": 2, "deploy": {},
                                        "build": {"args": ["UNSET"]}}},
                   "networks": {"unused": {}}, "x-top": 1}, environ={"HOME": "/h"}, typed=False)
    assert out == {
        "name": "p",
        "services": {"web": {"image": "x", "command": "echo hi", "environment": ["HOME"], "mem_limit": "1g",
                             "x-e": 1, "scale": 2, "deploy": {}, "networks": {"default": None},
                             "build": {"args": None, "context": "/proj", "dockerfile": "Dockerfile"}}},
        "networks": {"unused": {"name": "p_unused"}, "default": {"name": "p_default"}},
        "x-top": 1,
    }


def test_without_implied_values() -> None:
    out = project({"services": {"web": {"image": "x", "links": ["db"], "build": "app", "secrets": ["s"],
                                        "pull_policy": "if_not_present"},
                                "db": {"image": "y"}},
                   "secrets": {"s": {"file": "s.txt"}}}, implied=False)
    web = out["services"]["web"]
    assert "depends_on" not in web and "networks" not in web
    assert web["build"] == {"context": "/proj/app"}
    assert web["secrets"] == [{"source": "s", "target": "/run/secrets/s"}]
    assert web["pull_policy"] == "if_not_present"
    assert out["secrets"] == {"s": {"file": "/proj/s.txt"}}
    assert "networks" not in out


def test_untyped_without_implied_values_keeps_the_files_name() -> None:
    out = project({"services": {"web": {"image": "x"}}}, typed=False, implied=False)
    assert "name" not in out
    assert project({"name": "own", "services": {}}, typed=False, implied=False)["name"] == "own"


def test_empty_lists_as_docker_carries_them() -> None:
    out = project({"services": {"web": {"image": "x", "command": [], "cap_add": [], "x-e": []}}, "x-top": {"a": []}},
                  typed=False)
    assert out["services"]["web"]["command"] is None
    assert out["services"]["web"]["x-e"] is None
    assert out["services"]["web"]["cap_add"] == []
    assert out["x-top"] == {"a": None}
    assert project({"services": {}, "x-top": {"a": [], "b": [[]]}})["x-top"] == {"a": None, "b": [None]}
