"""Service -> container spec, labels, mounts and network request, without a runtime."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compose.convert import labels as L
from compose.convert.container import Context, container_spec, overrides
from compose.convert.mounts import image_volume_requests, mount_requests, runtime_mount, volumes_from_entries
from compose.convert.network import network_request, network_spec
from compose.errors import ConfigError
from compose.model import project_from_dict
from compose.reconcile.stopping import catches, signal_number
from runtime.api.containers import Process
from runtime.api.images import ContainerConfig, Healthcheck


def proj(service: dict, **top: object):
    return project_from_dict({"name": "p", "services": {"s": {"image": "busybox", **service}}, **top})


def spec_of(service: dict, image: ContainerConfig | None = None, **top: object):
    p = proj(service, **top)
    ctx = Context(image or ContainerConfig(), {"k": "v"})
    return container_spec(p.services["s"], ctx, Process(args=("true",)))


def test_labels_follow_docker_compose() -> None:
    p = proj({"labels": {"mine": "1"}, "depends_on": {"db": {"condition": "service_healthy", "restart": True}}})
    labels = L.container_labels(p, p.services["s"], 2, config_hash="abc", image_id="sha256:x", working_dir="/w",
                                config_files=("/w/compose.yaml",))
    assert labels["mine"] == "1"
    assert labels[L.PROJECT] == "p" and labels[L.SERVICE] == "s" and labels[L.NUMBER] == "2"
    assert labels[L.ONEOFF] == "False" and labels[L.CONFIG_HASH] == "abc"
    assert labels[L.DEPENDS_ON] == "db:service_healthy:true"
    assert labels[L.CONFIG_FILES] == "/w/compose.yaml" and labels[L.WORKING_DIR] == "/w"
    assert L.container_name(p, p.services["s"], 2) == "p-s-2"


@pytest.mark.parametrize(("service", "field", "expected"), [
    ({"read_only": True}, "readonly_rootfs", True),
    ({"hostname": "h"}, "hostname", "h"),
    ({"stop_signal": "SIGINT"}, "stop_signal", "SIGINT"),
    ({"stop_grace_period": "3s"}, "stop_grace_period", 3.0),
    ({"shm_size": "1m"}, "shm_size", 1024 * 1024),
    ({"init": True}, "init", True),
    ({"dns": ["1.1.1.1"]}, "dns", ("1.1.1.1",)),
    ({"extra_hosts": ["a=10.0.0.1"]}, "extra_hosts", (("a", "10.0.0.1"),)),
    ({"sysctls": {"net.core.somaxconn": 1024}}, "sysctls", (("net.core.somaxconn", "1024"),)),
    ({"oom_score_adj": 100}, "oom_score_adj", 100),
    ({"security_opt": ["no-new-privileges:true"]}, "no_new_privileges", True),
])
def test_settings_table(service: dict, field: str, expected: object) -> None:
    assert getattr(spec_of(service), field) == expected


def test_resources_restart_and_capabilities() -> None:
    spec = spec_of({"mem_limit": "64m", "cpus": 0.5, "pids_limit": 20, "restart": "on-failure:3",
                    "cap_add": ["NET_ADMIN"], "cap_drop": ["CHOWN"]})
    assert spec.resources.memory == 64 * 1024 * 1024
    assert spec.resources.cpu_quota == 50_000 and spec.resources.pids_limit == 20
    assert (spec.restart.name, spec.restart.max_retries) == ("on-failure", 3)
    assert "CAP_NET_ADMIN" in spec.capabilities and "CAP_CHOWN" not in spec.capabilities
    limits = spec_of({"deploy": {"resources": {"limits": {"memory": "32m"}}}})
    assert limits.resources.memory == 32 * 1024 * 1024
    assert spec_of({"labels": {"a": "b"}}).labels == (("k", "v"),)  # the context's labels, already merged


def test_healthcheck_merges_with_the_image() -> None:
    image = ContainerConfig(healthcheck=Healthcheck(("CMD", "true"), interval_ns=int(5e9), retries=7))
    hc = spec_of({"healthcheck": {"timeout": "2s"}}, image).healthcheck
    assert hc is not None
    assert (hc.test, hc.interval, hc.timeout, hc.retries) == (("CMD", "true"), 5.0, 2.0, 7)
    assert spec_of({"healthcheck": {"disable": True}}, image).healthcheck is None
    assert spec_of({}, ContainerConfig()).healthcheck is None
    assert spec_of({}, ContainerConfig(stop_signal="SIGQUIT")).stop_signal == "SIGQUIT"


def test_overrides_carry_the_process_settings() -> None:
    p = proj({"command": ["a", "b"], "entrypoint": ["e"], "environment": {"X": "1", "UNSET": None},
              "working_dir": "/w", "user": "1000", "tty": True})
    ov = overrides(p.services["s"])
    assert ov.command == ("a", "b") and ov.entrypoint == ("e",)
    assert ov.env == ("X=1",) and ov.working_dir == "/w" and ov.user == "1000" and ov.tty


def test_mount_requests_table(tmp_path: Path) -> None:
    secret = tmp_path / "s.txt"
    secret.write_text("shh")
    p = proj({
        "volumes": [
            {"type": "volume", "source": "data", "target": "/data", "volume": {"nocopy": True}},
            {"type": "volume", "target": "/anon"},
            {"type": "bind", "source": str(tmp_path), "target": "/b", "read_only": True,
             "bind": {"create_host_path": True, "propagation": "rshared"}},
            {"type": "tmpfs", "target": "/t", "tmpfs": {"size": 1024, "mode": 0o1777}},
        ],
        "tmpfs": ["/run:size=1m"],
        "secrets": [{"source": "file"}, {"source": "inline", "target": "x", "uid": "5", "mode": 0o400}],
        "configs": [{"source": "env"}],
    }, volumes={"data": {"name": "p_data"}},
        secrets={"file": {"file": str(secret)}, "inline": {"content": "hello"}},
        configs={"env": {"environment": "CONF"}})
    reqs = mount_requests(p, p.services["s"], {"CONF": "c=1"})
    kinds = [(r.kind, r.target) for r in reqs]
    assert kinds == [("volume", "/data"), ("anonymous", "/anon"), ("bind", "/b"), ("tmpfs", "/t"),
                     ("tmpfs", "/run"), ("file", "/run/secrets/file"), ("file", "/run/secrets/x"), ("file", "/env")]
    assert reqs[0].source == "p_data" and reqs[0].nocopy
    assert reqs[5].source == str(secret) and reqs[5].content is None
    assert (reqs[6].content, reqs[6].uid, reqs[6].mode) == (b"hello", 5, 0o400)
    assert reqs[7].content == b"c=1"
    assert runtime_mount(reqs[2], str(tmp_path)).options == ("rbind", "ro", "rshared")
    assert runtime_mount(reqs[3], "").options == ("nosuid", "nodev", "noexec", "size=1024", "mode=1777")
    assert runtime_mount(reqs[4], "").options[-1] == f"size={1024 * 1024}"
    extra = image_volume_requests(("/anon", "/var/lib/x"), reqs)
    assert [(r.kind, r.target) for r in extra] == [("anonymous", "/var/lib/x")]
    with pytest.raises(ConfigError, match="CONF"):
        mount_requests(p, p.services["s"], {})


def test_volumes_from_entries() -> None:
    p = proj({"volumes_from": ["db:ro", "container:other"]})
    assert volumes_from_entries(p.services["s"]) == (("service", "db", True), ("container", "other", False))


def test_network_request_and_spec() -> None:
    p = proj({"networks": {"front": {"aliases": ["www"]}}, "ports": [
        {"target": 80, "published": "8080", "protocol": "tcp", "mode": "ingress"}]},
        networks={"front": {"name": "p_front", "labels": {"x": "y"}}})
    req = network_request(p, p.services["s"], "cid", "p-s-1")
    assert req.mode == "bridge" and [e.network for e in req.networks] == ["p_front"]
    assert req.networks[0].aliases == ("s", "p-s-1", "www")
    assert (req.ports[0].target, req.ports[0].published) == (80, "8080")
    spec = network_spec(p, p.networks["front"])
    labels = dict(spec.labels)
    assert spec.name == "p_front" and labels[L.NETWORK] == "front" and labels[L.PROJECT] == "p" and labels["x"] == "y"
    host = proj({"network_mode": "host"})
    assert network_request(host, host.services["s"], "c", "n").mode == "host"


def test_stop_signal_reachability_of_a_plain_process() -> None:
    # this test process is not the init of a PID namespace: signals always reach it
    assert catches(os.getpid(), "SIGTERM")
    assert signal_number("TERM") == 15 and signal_number("SIGKILL") == 9 and signal_number("2") == 2
