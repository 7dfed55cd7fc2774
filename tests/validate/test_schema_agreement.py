"""Our schema accepts and refuses exactly what Docker Compose's schema does.

The reference is compose-go v2.9.1's schema (the one Docker Compose v2.40 applies),
read from ``../shared/reference``; without it (a user's clone) only the parts that
need no reference run. The corpus: every shared compose fixture, the repository's
conformance cases, and a seeded generated corpus of valid documents and typical
mistakes (see ``schema_corpus``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft7Validator
from schema_corpus import (
    CONFORMANCE,
    FIXTURES,
    REFERENCE,
    examples,
    file_documents,
    generated_corpus,
    mutate,
    yaml_files,
)

from compose.validate.schema import schema

needs_reference = pytest.mark.skipif(not REFERENCE.exists(), reason="reference data (../shared) not present")


@pytest.fixture(scope="module")
def ours() -> Draft7Validator:
    return Draft7Validator(schema())


@pytest.fixture(scope="module")
def reference() -> Draft7Validator:
    return Draft7Validator(json.loads(REFERENCE.read_text()))


def _disagreements(ours: Draft7Validator, reference: Draft7Validator, docs: list[tuple[str, Any]]) -> list[str]:
    out = []
    for name, doc in docs:
        mine, theirs = ours.is_valid(doc), reference.is_valid(doc)
        if mine != theirs:
            out.append(f"{name}: ours {'accepts' if mine else 'refuses'}, reference "
                       f"{'accepts' if theirs else 'refuses'}: {json.dumps(doc)[:400]}")
    return out


def test_schema_is_a_valid_draft7_schema() -> None:
    Draft7Validator.check_schema(schema())


def test_every_definition_is_used() -> None:
    text = json.dumps(schema())
    unused = [name for name in schema()["definitions"] if f'"#/definitions/{name}"' not in text]
    assert unused == []


@needs_reference
def test_fixtures_same_verdict(ours: Draft7Validator, reference: Draft7Validator) -> None:
    files = yaml_files(FIXTURES)
    assert len(files) >= 100
    docs = [(str(p.relative_to(FIXTURES)), d) for p in files for d in file_documents(p)]
    assert _disagreements(ours, reference, docs) == []
    # the corpus holds both verdicts (wrong-composefile is refused)
    assert {ours.is_valid(d) for _, d in docs} == {True, False}


@needs_reference
def test_conformance_cases_same_verdict(ours: Draft7Validator, reference: Draft7Validator) -> None:
    files = yaml_files(CONFORMANCE)
    if not files:
        pytest.skip("no conformance cases in this checkout yet")
    docs = [(str(p.relative_to(CONFORMANCE)), d) for p in files for d in file_documents(p)]
    assert _disagreements(ours, reference, docs) == []


@needs_reference
@pytest.mark.parametrize("seed", range(4))
def test_generated_corpus_same_verdict(ours: Draft7Validator, reference: Draft7Validator, seed: int) -> None:
    both = [schema(), json.loads(REFERENCE.read_text())]
    docs = [(f"seed {seed} #{i}", d) for i, d in enumerate(generated_corpus(both, seed, 1500))]
    assert _disagreements(ours, reference, docs) == []
    verdicts = [ours.is_valid(d) for _, d in docs]
    # a corpus that is all valid or all invalid would prove nothing
    assert 0.15 < sum(verdicts) / len(verdicts) < 0.85


def test_generator_makes_valid_and_broken_documents(ours: Draft7Validator) -> None:
    import random

    rng = random.Random(7)
    valid = [examples(schema(), rng) for _ in range(200)]
    assert sum(ours.is_valid(d) for d in valid) > 150
    broken = [mutate(d, rng) for d in valid if ours.is_valid(d)]
    assert any(not ours.is_valid(d) for d in broken)


@needs_reference
def test_comparison_detects_a_changed_schema(reference: Draft7Validator) -> None:
    """The generated corpus is sharp enough to notice a one-word change to the schema."""
    import copy

    changed = copy.deepcopy(schema())
    changed["definitions"]["service"]["properties"]["cgroup"]["enum"] = ["host"]
    altered = Draft7Validator(changed)
    both = [schema(), json.loads(REFERENCE.read_text())]
    docs = [(f"#{i}", d) for i, d in enumerate(generated_corpus(both, 0, 1500))]
    assert _disagreements(altered, reference, docs) != []


@needs_reference
def test_mutated_fixtures_same_verdict(ours: Draft7Validator, reference: Draft7Validator) -> None:
    """Real files, each broken (or extended) in a few typical ways."""
    import random

    rng = random.Random(5)
    files = yaml_files(FIXTURES)
    originals = [(str(p.relative_to(FIXTURES)), d) for p in files for d in file_documents(p)]
    docs = []
    for name, doc in originals:
        for i in range(8):
            mutated = doc
            for _ in range(rng.choice([1, 1, 2])):
                mutated = mutate(mutated, rng)
            docs.append((f"{name} mutation {i}", mutated))
    assert _disagreements(ours, reference, docs) == []
    verdicts = [ours.is_valid(d) for _, d in docs]
    assert 0.15 < sum(verdicts) / len(verdicts) < 0.85
