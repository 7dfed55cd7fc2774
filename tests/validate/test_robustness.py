"""Whatever the document, validation answers with a ConfigError or nothing, and
every error is located, named by its path and rendered on one line."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schema_corpus import examples, mutate

from compose.errors import ConfigError
from compose.loader.yamlsource import SourceMap
from compose.validate import validate_file
from compose.validate.schema import schema

KEYS = st.sampled_from(["services", "web", "image", "ports", "volumes", "networks", "build", "x-a", "deploy",
                        "environment", "healthcheck", "test", "target", "external", "name", "0", ""])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2000, 2000), st.floats(allow_nan=False),
                    st.text(max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(KEYS, inner, max_size=4)), max_leaves=25)


def _check(doc: object) -> None:
    source = SourceMap("compose.yaml", {(): (1, 1)})
    try:
        validate_file(doc, source)
    except ConfigError as err:
        text = err.render()
        assert "\n" not in text
        assert text.startswith("compose.yaml:")
        assert err.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_arbitrary_documents(doc: dict[str, object]) -> None:
    _check(doc)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["web", "db", "a b"]), VALUES, max_size=3))
def test_arbitrary_services(services: dict[str, object]) -> None:
    _check({"services": services})


@pytest.mark.parametrize("seed", range(3))
def test_mutated_examples(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        _check(mutate(examples(schema(), rng), rng))


@pytest.mark.parametrize("doc", [None, [], "services", 5, True])
def test_non_mapping_file(doc: object) -> None:
    with pytest.raises(ConfigError, match="the file must be a mapping"):
        validate_file(doc, SourceMap("compose.yaml"))


SERVICE_KEYS = st.sampled_from(["image", "build", "links", "volumes_from", "depends_on", "networks", "volumes",
                                "secrets", "configs", "models", "tmpfs", "deploy", "scale", "cpus", "mem_limit",
                                "healthcheck", "develop", "ports", "gpus", "container_name", "network_mode",
                                "ipc", "extends", "platform", "pids_limit", "blkio_config"])


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["web", "db"]), st.one_of(SCALARS, st.dictionaries(SERVICE_KEYS, VALUES,
                                                                                          max_size=5)), max_size=2),
    st.dictionaries(st.sampled_from(["volumes", "secrets", "configs", "networks", "models"]),
                    st.dictionaries(st.sampled_from(["data", "s", "c"]), VALUES, max_size=2), max_size=3),
)
def test_semantic_rules_on_arbitrary_projects(services: dict[str, object], sections: dict[str, object]) -> None:
    """Every rule (not just the first to fire) copes with any shape of data."""
    from compose.validate.semantics import findings

    for finding in findings({"services": services, **sections}, disabled=("off",)):
        assert finding.message and "\n" not in finding.message
        assert finding.path
