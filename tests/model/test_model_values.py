"""The value objects of the model, one behaviour at a time."""

from __future__ import annotations

import pytest

from compose.errors import ConfigError
from compose.model import (
    DeviceRequest,
    FileRef,
    Healthcheck,
    PortMapping,
    Restart,
    Service,
    ServiceVolume,
    Ulimit,
    dump,
    load,
    project_from_dict,
)


def test_port_range_and_ephemeral() -> None:
    port = load(PortMapping, {"mode": "ingress", "target": 80, "published": "8000-8010", "protocol": "tcp"})
    assert port.published_range == (8000, 8010)
    assert load(PortMapping, {"target": 80, "published": "8080"}).published_range == (8080, 8080)
    assert load(PortMapping, {"target": 80}).published_range is None


def test_port_target_must_be_a_number() -> None:
    with pytest.raises(ConfigError) as info:
        load(PortMapping, {"target": "http"}, ("services", "web", "ports", 0))
    assert info.value.path == ("services", "web", "ports", 0, "target")


def test_ulimit_single_and_pair() -> None:
    assert load(Ulimit, 65535).limits == (65535, 65535)
    assert load(Ulimit, {"soft": 1, "hard": 2}).limits == (1, 2)
    assert dump(load(Ulimit, 7)) == 7
    assert dump(load(Ulimit, {"soft": 1, "hard": 2})) == {"soft": 1, "hard": 2}


def test_healthcheck_durations_and_shell_form() -> None:
    hc = load(Healthcheck, {"test": "curl -f localhost", "interval": "1m30s", "timeout": "500ms",
                            "retries": 3})
    assert hc.test == ("CMD-SHELL", "curl -f localhost")
    assert (hc.interval, hc.timeout, hc.retries, hc.start_period) == (90.0, 0.5, 3, None)
    assert not hc.disabled
    assert load(Healthcheck, {"test": ["NONE"]}).disabled
    assert load(Healthcheck, {"disable": True}).disabled
    assert dump(hc)["interval"] == "1m30s"


def test_bad_duration_names_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        load(Healthcheck, {"interval": "soon"}, ("services", "db", "healthcheck"))
    assert info.value.path == ("services", "db", "healthcheck", "interval")


def test_volume_kinds() -> None:
    bind = load(ServiceVolume, {"type": "bind", "source": "/a", "target": "/b", "read_only": True,
                                "bind": {"create_host_path": True, "propagation": "rshared"}})
    assert bind.bind is not None and bind.bind.create_host_path and bind.bind.propagation == "rshared"
    tmpfs = load(ServiceVolume, {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "1048576", "mode": 493}})
    assert tmpfs.tmpfs is not None and (tmpfs.tmpfs.size, tmpfs.tmpfs.mode) == (1 << 20, 0o755)
    vol = load(ServiceVolume, {"type": "volume", "source": "v", "target": "/v", "volume": {"nocopy": True}})
    assert vol.volume is not None and vol.volume.nocopy
    assert dump(vol) == {"type": "volume", "source": "v", "target": "/v", "volume": {"nocopy": True}}


def test_file_ref_mode_is_octal_text() -> None:
    ref = load(FileRef, {"source": "s", "target": "/run/secrets/s", "mode": "0440", "uid": "1005"})
    assert ref.mode == 0o440 and ref.uid == "1005"
    assert dump(ref)["mode"] == "0440"


def test_gpu_count_all() -> None:
    assert load(DeviceRequest, {"count": "all", "capabilities": ["gpu"]}).count == -1
    assert load(DeviceRequest, {"count": 2}).count == 2


def test_command_forms() -> None:
    assert load(Service, {"command": None}).command is None
    assert load(Service, {"command": []}).command == ()
    assert load(Service, {"command": ["echo", "a b"]}).command == ("echo", "a b")
    assert load(Service, {"command": 'echo "a b"'}).command == ("echo", "a b")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, Restart("no", 0)),
        ({"restart": "always"}, Restart("always", 0)),
        ({"restart": "on-failure:3"}, Restart("on-failure", 3)),
        ({"restart": "unless-stopped"}, Restart("unless-stopped", 0)),
        ({"deploy": {"restart_policy": {"condition": "on-failure", "max_attempts": 2}}}, Restart("on-failure", 2)),
        ({"deploy": {"restart_policy": {"condition": "any"}}}, Restart("always", 0)),
        ({"deploy": {"restart_policy": {"condition": "none"}}}, Restart("no", 0)),
    ],
)
def test_restart_policy(data: dict, expected: Restart) -> None:
    assert load(Service, data).restart_policy == expected


def test_replicas_scale_wins_then_deploy() -> None:
    assert load(Service, {}).replicas == 1
    assert load(Service, {"deploy": {"replicas": 3}}).replicas == 3
    assert load(Service, {"scale": 2, "deploy": {"replicas": 2}}).replicas == 2
    assert load(Service, {"scale": 0}).replicas == 0


def test_image_name_defaults_to_project_and_service() -> None:
    project = project_from_dict({"name": "demo", "services": {"web": {"build": {"context": "."}},
                                                             "db": {"image": "postgres"}}})
    assert project.services["web"].image_name("demo") == "demo-web"
    assert project.services["db"].image_name("demo") == "postgres"


def test_sizes_and_stop_timeout() -> None:
    svc = load(Service, {"mem_limit": "536870912", "shm_size": "64m", "stop_grace_period": "1m"})
    assert (svc.mem_limit, svc.shm_size, svc.stop_timeout) == (512 << 20, 64 << 20, 60.0)
    assert load(Service, {}).stop_timeout == 10.0


def test_networks_by_priority() -> None:
    svc = load(Service, {"networks": {"b": None, "a": None, "z": {"priority": 5}}})
    assert svc.network_names() == ("z", "a", "b")


def test_unknown_and_extension_keys_are_kept() -> None:
    svc = load(Service, {"image": "x", "x-custom": {"k": [1]}, "newer_key": 1})
    assert svc.extensions == {"x-custom": {"k": (1,)}, "newer_key": 1}
    assert dump(svc)["x-custom"] == {"k": [1]}


def test_project_names_its_parts_and_is_hashable() -> None:
    project = project_from_dict({
        "name": "p",
        "services": {"web": {"image": "nginx", "environment": {"A": "1", "B": None}}},
        "networks": {"default": {"name": "p_default", "ipam": {}}},
        "volumes": {"data": {"name": "p_data"}},
    })
    web = project.service("web")
    assert web.name == "web" and web.environment == {"A": "1", "B": None}
    assert project.networks["default"].key == "default" and project.networks["default"].name == "p_default"
    assert project.volumes["data"].key == "data"
    assert hash(project) == hash(project_from_dict(dump(project)))
    with pytest.raises(ConfigError):
        project.service("nope")
    with pytest.raises(AttributeError):
        web.image = "other"  # type: ignore[misc]


def test_wrong_shape_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        project_from_dict({"services": {"web": {"ports": "80"}}})
    assert info.value.path is not None and info.value.path[:3] == ("services", "web", "ports")
    with pytest.raises(ConfigError):
        project_from_dict({"services": []})


def test_public_api_is_pinned() -> None:
    import compose.model

    assert sorted(compose.model.__all__) == [
        "BindOptions", "Blkio", "BuildSpec", "Config", "ConfigRef", "CredentialSpec", "DependsOn", "Deploy",
        "Develop", "Device", "DeviceRequest", "EnvFile", "Extends", "FileRef", "FrozenDict", "Healthcheck", "Hook",
        "ImageOptions", "Ipam", "IpamPool", "Logging", "Model", "Network", "Placement", "PortMapping", "Project",
        "Provider", "Resource", "Resources", "Restart", "RestartPolicy", "Secret", "SecretRef", "Service",
        "ServiceModel", "ServiceNetwork", "ServiceVolume", "ThrottleDevice", "TmpfsOptions", "Ulimit",
        "UpdateConfig", "Volume", "VolumeOptions", "WatchRule", "WeightDevice", "dump", "freeze", "load",
        "project_from_dict", "project_to_dict", "thaw",
    ]
    for name in compose.model.__all__:
        assert getattr(compose.model, name) is not None


def test_unknown_key_where_no_extensions_exist() -> None:
    from compose.model import EnvFile

    with pytest.raises(ConfigError) as info:
        load(EnvFile, {"path": "a.env", "bogus": 1}, ("services", "web", "env_file", 0))
    assert info.value.path == ("services", "web", "env_file", 0, "bogus")
