"""One test per message form of the schema check: where it points, what it says."""

from __future__ import annotations

import pytest

from compose.errors import ConfigError
from compose.loader.yamlsource import parse_document
from compose.validate import validate_file


def error_of(text: str) -> ConfigError:
    doc = parse_document(text, "compose.yaml")
    with pytest.raises(ConfigError) as info:
        validate_file(doc.data, doc.source)
    return info.value


CASES = {
    "unknown key with suggestion": (
        "services:\n  web:\n    imagee: nginx\n",
        "compose.yaml:3:5: services.web: unknown key 'imagee' (did you mean 'image'?)",
    ),
    "unknown top-level key": (
        "services: {}\nservice:\n  web: {}\n",
        "compose.yaml:2:1: unknown key 'service' (did you mean 'services'?)",
    ),
    "unknown top-level key without near miss": (
        "services: {}\nzzz: 1\n",
        "compose.yaml:2:1: unknown key 'zzz' (extension keys must start with 'x-')",
    ),
    "unknown key in a oneOf branch (long port syntax)": (
        "services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        hots_ip: 127.0.0.1\n",
        "compose.yaml:6:9: services.web.ports[0]: unknown key 'hots_ip' (did you mean 'host_ip'?)",
    ),
    "unknown key lists the allowed keys of a small mapping": (
        "services:\n  web:\n    image: x\n    logging:\n      zzz: json-file\n",
        "compose.yaml:5:7: services.web.logging: unknown key 'zzz' (allowed: driver, options)",
    ),
    "unknown key that belongs deeper": (
        "services:\n  web:\n    image: x\n    dockerfile: Dockerfile.dev\n",
        "compose.yaml:4:5: services.web: unknown key 'dockerfile' ('dockerfile' belongs under 'build')",
    ),
    "unknown key that belongs under a named entry": (
        "services:\n  web:\n    image: x\n    aliases: [api]\n",
        "compose.yaml:4:5: services.web: unknown key 'aliases' ('aliases' belongs under 'networks.<name>')",
    ),
    "unknown key that belongs in a list item": (
        "networks:\n  back:\n    subnet: 10.5.0.0/16\n",
        "compose.yaml:3:5: networks.back: unknown key 'subnet' ('subnet' belongs under 'ipam.config')",
    ),
    "service outside services": (
        "web:\n  image: nginx\n",
        "compose.yaml:1:1: unknown key 'web' (a service definition belongs under 'services:' ('services.web'))",
    ),
    "service settings without a service name": (
        "services:\n  image: nginx\n",
        "compose.yaml:2:3: services.image: must be a mapping, not a string ('nginx') ('image' is a setting of a "
        "service: put it under the service's name, as in services.web.image)",
    ),
    "invalid name in a mapping of names": (
        "services:\n  'my web':\n    image: x\n",
        "compose.yaml:2:3: services: invalid name 'my web' "
        "(names may contain only letters, digits, '.', '_' and '-')",
    ),
    "type: single": (
        "services:\n  web:\n    image: [nginx]\n",
        "compose.yaml:3:5: services.web.image: must be a string, not a list",
    ),
    "type: alternatives, none fits": (
        "services:\n  web:\n    build: 5\n",
        "compose.yaml:3:5: services.web.build: must be a string or a mapping, not an integer (5)",
    ),
    "type: inside the fitting branch": (
        "services:\n  web:\n    image: x\n    environment:\n      A: [1]\n",
        "compose.yaml:5:7: services.web.environment.A: must be a string, a number, a boolean or null, not a list",
    ),
    "type: list item": (
        "services:\n  web:\n    image: x\n    cap_add:\n      - ALL\n      - {x: 1}\n",
        "compose.yaml:6:9: services.web.cap_add[1]: must be a string, not a mapping",
    ),
    "type: whole file": (
        "- services\n",
        "compose.yaml:1:1: the file must be a mapping, not a list",
    ),
    "enum with suggestion": (
        "services:\n  web:\n    image: x\n    cgroup: hosts\n",
        "compose.yaml:4:5: services.web.cgroup: 'hosts' is not one of 'host', 'private' (did you mean 'host'?)",
    ),
    "enum in a mapping form of depends_on": (
        "services:\n  web:\n    image: x\n    depends_on:\n      db:\n        condition: healthy\n",
        "compose.yaml:6:9: services.web.depends_on.db.condition: 'healthy' is not one of 'service_started', "
        "'service_healthy', 'service_completed_successfully' (did you mean 'service_healthy'?)",
    ),
    "required key": (
        "services:\n  web:\n    image: x\n    depends_on:\n      db:\n        required: true\n",
        "compose.yaml:5:7: services.web.depends_on.db: missing required key 'condition'",
    ),
    "pattern explained in words": (
        "services:\n  web:\n    image: x\n    pull_policy: sometimes\n",
        "compose.yaml:4:5: services.web.pull_policy: 'sometimes' is not valid here (use always, never, missing, "
        "build, refresh, daily, weekly or every_<duration> (e.g. every_12h))",
    ),
    "minimum": (
        "services:\n  web:\n    image: x\n    cpu_count: -1\n",
        "compose.yaml:4:5: services.web.cpu_count: must be greater than or equal to 0 (got -1)",
    ),
    "maximum": (
        "services:\n  web:\n    image: x\n    oom_score_adj: 1001\n",
        "compose.yaml:4:5: services.web.oom_score_adj: must be less than or equal to 1000 (got 1001)",
    ),
    "duplicate list item points at the repeat": (
        "services:\n  web:\n    image: x\n    dns_opt:\n      - use-vc\n      - rotate\n      - use-vc\n",
        "compose.yaml:7:9: services.web.dns_opt[2]: 'use-vc' is listed more than once (also at [0]) "
        "(items must be unique)",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_message(name: str) -> None:
    text, expected = CASES[name]
    assert error_of(text).render() == expected


def test_error_carries_structured_fields() -> None:
    err = error_of("services:\n  web:\n    imagee: nginx\n")
    assert (err.file, err.line, err.column) == ("compose.yaml", 3, 5)
    assert err.path == ("services", "web")
    assert err.hint == "did you mean 'image'?"


def test_deepest_problem_wins_over_shallow_ones() -> None:
    # two problems: a wrong top-level type and an unknown key deep inside a service
    err = error_of("name: [x]\nservices:\n  web:\n    image: x\n    healthcheck:\n      intervall: 5s\n")
    assert err.path == ("services", "web", "healthcheck")
    assert "unknown key 'intervall'" in err.message


def test_reset_items_are_removed_before_validation_and_paths_stay_right() -> None:
    text = "services:\n  web:\n    image: x\n    ports:\n      - !reset 80\n      - {target: 80, bad: 1}\n"
    err = error_of(text)
    assert err.path == ("services", "web", "ports", 1)
    assert (err.line, err.column) == (6, 22)  # the unknown key 'bad'


def test_reset_and_override_values() -> None:
    doc = parse_document("services:\n  web:\n    image: !reset null\n    build: !override .\n", "c.yaml")
    validate_file(doc.data, doc.source)
    bad = parse_document("services:\n  web:\n    image: !override [x]\n", "c.yaml")
    with pytest.raises(ConfigError, match="must be a string"):
        validate_file(bad.data, bad.source)


def test_extensions_are_accepted_everywhere_the_spec_allows() -> None:
    doc = parse_document(
        "x-common: &c {a: 1}\nservices:\n  web:\n    image: x\n    x-note: hi\n"
        "    logging: {driver: json-file, x-more: 1}\nnetworks:\n  n: {x-k: v}\n",
        "c.yaml",
    )
    validate_file(doc.data, doc.source)


def test_nested_alternatives_are_followed_by_type() -> None:
    from jsonschema import Draft7Validator

    from compose.validate.messages import best_error, describe

    node = {"oneOf": [{"type": "string"}, {"oneOf": [{"type": "array", "items": {"type": "string"}},
                                                     {"type": "null"}]}]}
    problem = describe(best_error(Draft7Validator(node).iter_errors([1])))
    assert (problem.path, problem.message) == ((0,), "must be a string, not an integer (1)")
    problem = describe(best_error(Draft7Validator(node).iter_errors(5)))
    assert problem.message == "the file must be a string, a list or null, not an integer (5)"


def test_merged_document_is_located_through_the_locator() -> None:
    from compose.validate import validate_merged

    where = {("services", "web", "depends_on", "db"): ("b.yaml", 4, 7)}
    merged = {"services": {"web": {"image": "x", "depends_on": {"db": {"restart": True, "bad": 1}}}}}
    with pytest.raises(ConfigError) as info:
        validate_merged(merged, lambda path: where.get(tuple(path[:4])))
    assert info.value.render() == ("b.yaml:4:7: services.web.depends_on.db: unknown key 'bad' "
                                   "(allowed: condition, required, restart)")
    # what Docker Compose accepts: the override leaves out the condition an earlier file set
    validate_merged({"services": {"web": {"image": "x", "depends_on": {
        "db": {"condition": "service_healthy", "restart": True}}}}}, lambda path: None)
