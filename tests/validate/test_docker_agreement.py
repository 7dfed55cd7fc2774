"""Single-mistake files: Docker Compose refuses them too, and names the same node.

Documents are generated from our schema (then broken once) and written as JSON, which
is YAML; Docker Compose's schema errors start with the offending path, which must be
the path we report. ``include`` is left out: Docker Compose v2.40 consumes it before
validating, so mistakes in it go unreported there (we report them).
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from schema_corpus import examples, mutate

from compose.validate.messages import best_error, describe
from compose.validate.schema import schema, validator
from tests.oracle import oracle_binary

pytestmark = pytest.mark.oracle

COUNT = 60


def _plain(doc: Any) -> Any:
    """No interpolation markers: Docker Compose would interpolate and type-cast first."""
    doc = json.loads(json.dumps(doc).replace("${X}", "v").replace("$", ""))
    if isinstance(doc, dict):
        doc.pop("include", None)
    return doc


def _broken_documents(seed: int, count: int) -> list[Any]:
    rng = random.Random(seed)
    out: list[Any] = []
    while len(out) < count:
        base = _plain(examples(schema(), rng))
        if not validator().is_valid(base):
            continue
        doc = mutate(base, rng)
        if isinstance(doc, dict) and "include" not in doc and not validator().is_valid(doc):
            out.append(doc)
    return out


def test_docker_compose_refuses_and_names_the_same_path(tmp_path: Path) -> None:
    binary = oracle_binary()
    if binary is None:
        pytest.skip("Docker Compose oracle not installed (python tests/oracle.py)")
    mismatches = []
    compared = 0
    for doc in _broken_documents(1, COUNT):
        (tmp_path / "compose.yaml").write_text(json.dumps(doc))
        run = subprocess.run([str(binary), "-p", "case", "config", "-q"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
        problem = describe(best_error(validator().iter_errors(doc)))
        ours = ".".join(str(p) for p in problem.path)
        message = run.stderr.strip()
        if run.returncode == 0:
            mismatches.append(f"Docker Compose accepts what we refuse ({ours}: {problem.message})")
            continue
        if not message.startswith("validating "):
            continue  # refused before the schema (e.g. 'services must be a mapping')
        compared += 1
        theirs = message.split(": ", 1)[1].split(" ", 1)[0]
        if theirs != ours and (ours or theirs in schema()["properties"]):
            mismatches.append(f"ours {ours!r}: {problem.message} | Docker Compose: {message}")
    assert mismatches == []
    assert compared >= COUNT // 3  # the rest were refused before the schema check
