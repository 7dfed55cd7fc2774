"""The Kubernetes export: every compose file of the conformance corpus gives manifests that
validate against the Kubernetes schemas; golden outputs for three projects; the mapping."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compose.errors import PyComposeError
from compose.kube.convert import KUBERNETES_VERSION, convert, dump, validate
from tests.conformance.harness import environment, fixture_cases, own_cases

kubernetes_validate = pytest.importorskip("kubernetes_validate")
REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"


def _load(cwd: Path, args: tuple[str, ...] = (), env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    from compose.loader.load import LoadOptions, load_project
    from compose.model import project_from_dict

    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("-f", "--file", dest="files", action="append", default=[])
    p.add_argument("-p", "--project-name")
    p.add_argument("--project-directory")
    p.add_argument("--env-file", dest="env_files", action="append", default=[])
    p.add_argument("--profile", dest="profiles", action="append", default=[])
    ns, _ = p.parse_known_args(list(args))
    options = LoadOptions(files=tuple(ns.files), project_name=ns.project_name, project_directory=ns.project_directory,
                          env_files=tuple(ns.env_files), profiles=tuple(ns.profiles),
                          environ=env if env is not None else dict(os.environ), cwd=str(cwd))
    return project_from_dict(load_project(options).data)


CASES = [c for c in own_cases() + fixture_cases()]


def test_every_loadable_corpus_file_exports_valid_manifests() -> None:
    checked, failures = 0, []
    for case in CASES:
        try:
            project = _load(case.cwd, case.args, environment(case))
        except (PyComposeError, OSError):
            continue  # the cases of invalid input
        docs, warnings = convert(project)
        errors = validate(docs, KUBERNETES_VERSION)
        if errors:
            failures.append(f"{case.id}: {errors[0]}")
        checked += 1
        assert all(isinstance(w, str) and "\n" not in w for w in warnings)
    assert checked > 150, checked
    assert not failures, failures[:5]


@pytest.mark.parametrize("name", ["quickstart", "mongo", "secrets"])
def test_golden(name: str) -> None:
    directory = {"quickstart": REPO / "examples" / "quickstart", "mongo": REPO / "examples" / "mongo",
                 "secrets": GOLDEN / "secrets-project"}[name]
    args = ("-f", "mongo.yml") if name == "mongo" else ()
    docs, warnings = convert(_load(directory, args, {"HOME": "/root", "PATH": os.environ["PATH"]}))
    got = dump(docs) + "".join(f"# WARN {w}\n" for w in warnings)
    expected = (GOLDEN / f"{name}.yaml").read_text()
    assert got == expected


def test_mapping_of_the_secrets_project() -> None:
    docs, warnings = convert(_load(GOLDEN / "secrets-project"))
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("Secret", "demo-db-password") in kinds and ("ConfigMap", "demo-app-config") in kinds
    assert ("StatefulSet", "db") in kinds and ("Deployment", "web") in kinds and ("Service", "web") in kinds
    web = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "web")
    assert web["spec"]["replicas"] == 3
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"cpu": "500m", "memory": "134217728"}}
    assert container["readinessProbe"]["exec"]["command"] == ["/bin/sh", "-c", "wget -q -O- localhost:80"]
    service = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "web")
    assert service["spec"]["type"] == "LoadBalancer" and service["spec"]["ports"][0]["port"] == 8080
    assert any("network_mode" in w for w in warnings) and any("depends_on" in w for w in warnings)


def test_cli_writes_files_and_checks(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    done = subprocess.run([sys.executable, "-m", "compose", "bridge", "convert", "--check", "-o", str(out)],
                          cwd=GOLDEN / "secrets-project", capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (out / "web-deployment.yaml").is_file() and (out / "db-statefulset.yaml").is_file()
    assert "WARN" in done.stderr
