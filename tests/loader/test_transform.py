"""Short-to-long rewrites: one test per entry of ``CANONICAL``, plus the parsers."""

from __future__ import annotations

import pytest

from compose.errors import ConfigError
from compose.loader.transform import CANONICAL, canonical
from compose.loader.yamlsource import Override, Reset, parse_document


def svc(**fields: object) -> dict:
    return canonical({"services": {"web": fields}})["services"]["web"]


# (pattern, input document, path to look at, expected value)
ENTRIES = [
    (("services", "*", "build"), {"services": {"w": {"build": "./app"}}}, ("services", "w", "build"),
     {"context": "./app"}),
    (("services", "*", "build", "secrets", "*"), {"services": {"w": {"build": {"secrets": ["s"]}}}},
     ("services", "w", "build", "secrets"), [{"source": "s"}]),
    (("services", "*", "build", "provenance"), {"services": {"w": {"build": {"provenance": True}}}},
     ("services", "w", "build", "provenance"), "true"),
    (("services", "*", "build", "sbom"), {"services": {"w": {"build": {"sbom": False}}}},
     ("services", "w", "build", "sbom"), "false"),
    (("services", "*", "build", "additional_contexts"),
     {"services": {"w": {"build": {"additional_contexts": ["a=./x", "b=c=d"]}}}},
     ("services", "w", "build", "additional_contexts"), {"a": "./x", "b": "c=d"}),
    (("services", "*", "build", "ssh"), {"services": {"w": {"build": {"ssh": ["default", "k=/p"]}}}},
     ("services", "w", "build", "ssh"), {"default": None, "k": "/p"}),
    (("services", "*", "build", "ulimits", "*"), {"services": {"w": {"build": {"ulimits": {"nofile": 5}}}}},
     ("services", "w", "build", "ulimits"), {"nofile": 5}),
    (("services", "*", "depends_on"), {"services": {"w": {"depends_on": ["db"]}}}, ("services", "w", "depends_on"),
     {"db": {"condition": "service_started", "required": True}}),
    (("services", "*", "env_file"), {"services": {"w": {"env_file": "a.env"}}}, ("services", "w", "env_file"),
     [{"path": "a.env", "required": True}]),
    (("services", "*", "label_file"), {"services": {"w": {"label_file": "l"}}}, ("services", "w", "label_file"),
     ["l"]),
    (("services", "*", "extends"), {"services": {"w": {"extends": "base"}}}, ("services", "w", "extends"),
     {"service": "base"}),
    (("services", "*", "gpus"), {"services": {"w": {"gpus": "all"}}}, ("services", "w", "gpus"),
     [{"count": "all"}]),
    (("services", "*", "networks"), {"services": {"w": {"networks": ["a", "b"]}}}, ("services", "w", "networks"),
     {"a": None, "b": None}),
    (("services", "*", "models"), {"services": {"w": {"models": ["m"]}}}, ("services", "w", "models"),
     {"m": None}),
    (("services", "*", "volumes", "*"), {"services": {"w": {"volumes": ["/anon"]}}}, ("services", "w", "volumes"),
     [{"type": "volume", "target": "/anon", "volume": {}}]),
    (("services", "*", "dns"), {"services": {"w": {"dns": "1.1.1.1"}}}, ("services", "w", "dns"), ["1.1.1.1"]),
    (("services", "*", "devices", "*"), {"services": {"w": {"devices": ["/dev/a:/dev/b"]}}},
     ("services", "w", "devices"), [{"source": "/dev/a", "target": "/dev/b", "permissions": "rwm"}]),
    (("services", "*", "secrets", "*"), {"services": {"w": {"secrets": ["s"]}}}, ("services", "w", "secrets"),
     [{"source": "s"}]),
    (("services", "*", "configs", "*"), {"services": {"w": {"configs": ["c"]}}}, ("services", "w", "configs"),
     [{"source": "c"}]),
    (("services", "*", "ports"), {"services": {"w": {"ports": [80]}}}, ("services", "w", "ports"),
     [{"mode": "ingress", "target": 80, "protocol": "tcp"}]),
    (("services", "*", "ulimits", "*"), {"services": {"w": {"ulimits": {"nproc": 3}}}}, ("services", "w", "ulimits"),
     {"nproc": 3}),
    (("services", "*", "develop", "watch", "*", "ignore"),
     {"services": {"w": {"develop": {"watch": [{"path": ".", "ignore": "x"}]}}}},
     ("services", "w", "develop", "watch", 0, "ignore"), ["x"]),
    (("services", "*", "develop", "watch", "*", "include"),
     {"services": {"w": {"develop": {"watch": [{"path": ".", "include": "y"}]}}}},
     ("services", "w", "develop", "watch", 0, "include"), ["y"]),
    (("volumes", "*"), {"volumes": {"v": {"external": {"name": "real"}}}}, ("volumes", "v"),
     {"external": True, "name": "real"}),
    (("networks", "*"), {"networks": {"n": {"external": {"name": "real"}}}}, ("networks", "n"),
     {"external": True, "name": "real"}),
    (("secrets", "*"), {"secrets": {"s": {"external": {"name": "real"}}}}, ("secrets", "s"),
     {"external": True, "name": "real"}),
    (("configs", "*"), {"configs": {"c": {"external": {"name": "real"}}}}, ("configs", "c"),
     {"external": True, "name": "real"}),
    (("include", "*"), {"include": ["other.yaml"]}, ("include",), [{"path": "other.yaml"}]),
]


def _at(data: object, path: tuple) -> object:
    for key in path:
        data = data[key]  # type: ignore[index]
    return data


@pytest.mark.parametrize(("pattern", "doc", "path", "expected"), ENTRIES, ids=lambda x: ".".join(map(str, x))
                         if isinstance(x, tuple) and x and isinstance(x[0], str) else None)
def test_entry(pattern: tuple, doc: dict, path: tuple, expected: object) -> None:
    assert _at(canonical(doc), path) == expected


def test_every_entry_has_a_test() -> None:
    assert {e[0] for e in ENTRIES} == set(CANONICAL)


def test_input_is_not_modified() -> None:
    doc = {"services": {"w": {"depends_on": {"db": {"condition": "service_healthy"}}}}}
    canonical(doc)
    assert doc == {"services": {"w": {"depends_on": {"db": {"condition": "service_healthy"}}}}}


def test_long_forms_are_kept_and_completed() -> None:
    assert svc(depends_on={"db": {"condition": "service_healthy"}})["depends_on"] == {
        "db": {"condition": "service_healthy", "required": True}}
    assert svc(env_file=[{"path": "a", "required": False}, "b"])["env_file"] == [
        {"path": "a", "required": False}, {"path": "b", "required": True}]


def test_tags_are_kept_around_rewritten_values() -> None:
    out = canonical({"services": {"w": {"ports": Reset(["80"]), "networks": Override(["a"])}}})["services"]["w"]
    assert out["ports"] == Reset([{"mode": "ingress", "target": 80, "protocol": "tcp"}])
    assert out["networks"] == Override({"a": None})


def test_conflicting_external_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="conflict"):
        canonical({"volumes": {"v": {"name": "a", "external": {"name": "b"}}}})


@pytest.mark.parametrize(("spec", "expected"), [
    ("80", [{"mode": "ingress", "target": 80, "protocol": "tcp"}]),
    ("8080:80/udp", [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "udp"}]),
    ("127.0.0.1::80", [{"mode": "ingress", "host_ip": "127.0.0.1", "target": 80, "protocol": "tcp"}]),
    ("[::1]:53:53", [{"mode": "ingress", "host_ip": "::1", "target": 53, "published": "53", "protocol": "tcp"}]),
    ("9000-9001:80", [{"mode": "ingress", "target": 80, "published": "9000-9001", "protocol": "tcp"}]),
    ("1-2:1-2/SCTP", [{"mode": "ingress", "target": 1, "published": "1", "protocol": "sctp"},
                      {"mode": "ingress", "target": 2, "published": "2", "protocol": "sctp"}]),
])
def test_port_short_syntax(spec: str, expected: list) -> None:
    assert svc(ports=[spec])["ports"] == expected


def test_port_range_comes_sorted_as_text() -> None:
    assert [p["target"] for p in svc(ports=["8-10"])["ports"]] == [10, 8, 9]


@pytest.mark.parametrize(("spec", "message"), [
    ("80:80:80:80", "invalid IP address 80:80"),
    ("80/xyz", "invalid protocol"),
    ("abc:80", "invalid host port"),
    ("8000-8002:9000-9001", "differ in size"),
    ("70000", "invalid container port"),
    ("1.2.3.4:", "no container port"),
    ("8080/tcp/udp", "invalid protocol 'tcp/udp'"),
])
def test_port_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        svc(ports=[spec])


def test_port_error_points_at_the_file() -> None:
    doc = parse_document("services:\n  web:\n    ports:\n      - '1:2:3:4'\n", "compose.yaml")
    with pytest.raises(ConfigError) as info:
        canonical(doc.data, source=doc.source)
    assert info.value.render().startswith("compose.yaml:4:9: services.web.ports[0]: invalid port '1:2:3:4'")


@pytest.mark.parametrize(("spec", "expected"), [
    ("./d:/d:ro", {"type": "bind", "source": "./d", "target": "/d", "read_only": True,
                   "bind": {"create_host_path": True}}),
    ("data:/d:nocopy", {"type": "volume", "source": "data", "target": "/d", "volume": {"nocopy": True}}),
    ("~/x:/x:z,rshared", {"type": "bind", "source": "~/x", "target": "/x",
                          "bind": {"selinux": "z", "propagation": "rshared", "create_host_path": True}}),
    ("/anon/../b/", {"type": "volume", "target": "/b", "volume": {}}),
    ("/a", {"type": "volume", "target": "/a"}),
    ("c:/x:/y", {"type": "bind", "source": "c:/x", "target": "/y", "bind": {"create_host_path": True}}),
    ("${A:-x}:/d", {"type": "volume", "source": "${A:-x}", "target": "/d", "volume": {}}),
    ("./d:/d:cached", {"type": "bind", "source": "./d", "target": "/d", "bind": {"create_host_path": True}}),
])
def test_volume_short_syntax(spec: str, expected: dict) -> None:
    assert svc(volumes=[spec])["volumes"] == [expected]


@pytest.mark.parametrize(("spec", "message"), [("", "empty"), ("::/x", "empty section"),
                                               ("./a:/b:ro:x", "too many colons")])
def test_volume_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        svc(volumes=[spec])


def test_device_errors() -> None:
    with pytest.raises(ConfigError, match="invalid device"):
        svc(devices=["/a:/b:rw:x"])


def test_key_value_errors() -> None:
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        svc(build={"additional_contexts": ["novalue"]})


def test_ssh_errors() -> None:
    with pytest.raises(ConfigError, match="invalid ssh key"):
        svc(build={"ssh": ["key"]})


def test_type_errors_name_the_path() -> None:
    with pytest.raises(ConfigError) as info:
        svc(depends_on="db")
    assert info.value.path == ("services", "web", "depends_on")


@pytest.mark.parametrize(("fields", "expected"), [
    ({"ports": ["${P}:80", 81]}, {"ports": ["${P}:80", 81]}),
    ({"volumes": ["::/x"]}, {"volumes": ["::/x"]}),
    ({"devices": ["a:b:c:d"]}, {"devices": [{"source": "", "target": "", "permissions": "rwm"}]}),
    ({"build": {"additional_contexts": ["novalue"]}}, {"build": {"additional_contexts": ["novalue"]}}),
])
def test_lenient_keeps_what_does_not_parse(fields: dict, expected: dict) -> None:
    assert canonical({"services": {"web": fields}}, lenient=True)["services"]["web"] == expected


def test_empty_dns_entries_are_dropped() -> None:
    assert svc(dns="")["dns"] == []
    assert svc(dns=["", "1.1.1.1"])["dns"] == ["1.1.1.1"]
