"""The result cache of ``pycompose config``: a hit prints exactly what a load prints, and
any change of any input (each kind of file, a variable, an option, a new file) misses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import compose.loader.load as load_module
from compose.cli.main import main
from compose.loader import observe, resultcache

REPO = Path(__file__).resolve().parents[2]

COMPOSE = """\
name: demo
services:
  web:
    image: "nginx:${TAG}"
    extends: {file: base.yaml, service: base}
    env_file: [web.env]
    label_file: [web.labels]
    environment:
      UNSET_HERE: "${NOT_SET_ANYWHERE}"
  tools:
    image: busybox
    profiles: [x]
include:
  - inc/compose.yaml
"""
FILES = {
    "compose.yaml": COMPOSE,
    ".env": "TAG=1.0\n",
    "base.yaml": "services:\n  base:\n    environment:\n      FROM_BASE: '1'\n",
    "web.env": "A=1\n",
    "web.labels": "L=1\n",
    "inc/compose.yaml": "services:\n  db:\n    image: postgres:${DB_TAG:-15}\n",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "demo"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    monkeypatch.chdir(root)
    for name in list(os.environ):
        if name.startswith("COMPOSE_") or name in ("TAG", "DB_TAG", "NOT_SET_ANYWHERE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYCOMPOSE_CACHE", os.fspath(tmp_path / "cache"))
    return root


class Loads:
    """Counts the real loads (a hit makes none)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = load_module.load_project

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(load_module, "load_project", counting)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Loads:
    return Loads(monkeypatch)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _uncached(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str, str]:
    """The output of a load with the cache off (the ``PYCOMPOSE_CACHE`` line of
    ``--environment`` put back as it reads with the cache on)."""
    on = os.environ["PYCOMPOSE_CACHE"]
    with monkeypatch.context() as m:
        m.setenv("PYCOMPOSE_CACHE", "off")
        code, out, err = _run(capsys, *argv)
    return code, out.replace("PYCOMPOSE_CACHE=off\n", f"PYCOMPOSE_CACHE={on}\n"), err


def _entries(project: Path) -> list[Path]:
    return sorted(p for p in (project.parent / "cache" / "config").rglob("*") if p.is_file())


@pytest.mark.parametrize("argv", [
    ["config"], ["config", "--format", "json"], ["config", "-q"], ["config", "--services"],
    ["config", "--hash", "*"], ["config", "--environment"], ["config", "--variables"],
    ["config", "--no-interpolate"], ["config", "web"],
])
def test_hit_is_byte_identical_to_a_load(project: Path, loads: Loads, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    expected = _uncached(capsys, monkeypatch, *argv)
    assert expected[0] == 0
    assert loads.count == 1
    assert _run(capsys, *argv) == expected  # miss: loads and stores
    assert loads.count == 2
    assert len(_entries(project)) == 1
    assert _run(capsys, *argv) == expected  # hit: the same bytes, warnings included
    assert loads.count == 2


def test_warnings_are_printed_again_on_a_hit(project: Path, loads: Loads, capsys: pytest.CaptureFixture[str]) -> None:
    first = _run(capsys, "config", "-q")
    again = _run(capsys, "config", "-q")
    assert loads.count == 1
    assert "NOT_SET_ANYWHERE" in first[2]
    assert again == first


def _write(name: str, text: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def change(root: Path, _mp: pytest.MonkeyPatch) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return change


def _setenv(name: str, value: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def change(_root: Path, mp: pytest.MonkeyPatch) -> None:
        mp.setenv(name, value)
    return change


# Each changes one input of the load, and with it the output.
CHANGES = {
    "compose file": _write("compose.yaml", COMPOSE.replace("nginx:", "httpd:")),
    ".env": _write(".env", "TAG=2.0\n"),
    "env_file": _write("web.env", "A=2\n"),
    "label_file": _write("web.labels", "L=2\n"),
    "extends file": _write("base.yaml", "services:\n  base:\n    environment:\n      FROM_BASE: '2'\n"),
    "include file": _write("inc/compose.yaml", "services:\n  db:\n    image: mysql\n"),
    "include .env appears": _write("inc/.env", "DB_TAG=16\n"),
    "override file appears": _write("compose.override.yaml", "services:\n  extra:\n    image: busybox\n"),
    "environment variable": _setenv("TAG", "3.0"),
    "unrelated variable": _setenv("SOMETHING_ELSE", "x"),
}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_any_input_change_misses(kind: str, project: Path, loads: Loads, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    before = _run(capsys, "config")
    assert _run(capsys, "config") == before
    assert loads.count == 1
    CHANGES[kind](project, monkeypatch)
    after = _run(capsys, "config")
    assert loads.count == 2
    assert after == _uncached(capsys, monkeypatch, "config")
    if kind != "unrelated variable":
        assert after[1] != before[1]
    assert _run(capsys, "config") == after  # and the new result is reused in turn
    assert loads.count == 3  # (the _uncached run) and no more


def test_an_env_file_option_and_its_content_are_inputs(project: Path, loads: Loads,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (project / "other.env").write_text("TAG=7\n")
    first = _run(capsys, "--env-file", "other.env", "config", "--format", "json")
    assert '"nginx:7"' in first[1]
    (project / "other.env").write_text("TAG=8\n")
    second = _run(capsys, "--env-file", "other.env", "config", "--format", "json")
    assert loads.count == 2
    assert '"nginx:8"' in second[1]


@pytest.mark.parametrize("argv", [["-p", "other", "config"], ["config", "--format", "json"],
                                  ["--profile", "x", "config"], ["config", "--no-normalize"]])
def test_options_are_part_of_the_key(project: Path, loads: Loads, capsys: pytest.CaptureFixture[str],
                                     argv: list[str]) -> None:
    base = _run(capsys, "config")
    other = _run(capsys, *argv)
    assert loads.count == 2
    assert other[0] == 0 and other != base


def test_same_content_rewritten_still_hits(project: Path, loads: Loads, capsys: pytest.CaptureFixture[str]) -> None:
    first = _run(capsys, "config")
    (project / "compose.yaml").write_text(COMPOSE)  # new modification time, same bytes
    assert _run(capsys, "config") == first
    assert loads.count == 1


def test_errors_are_never_cached(project: Path, loads: Loads, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "compose.yaml").write_text("services:\n  web:\n    imagee: nginx\n")
    for _ in range(2):
        code, _out, err = _run(capsys, "config", "-q")
        assert code == 1 and "imagee" in err
    assert loads.count == 2
    assert _entries(project) == []


def test_off_disables_it(project: Path, loads: Loads, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYCOMPOSE_CACHE", "off")
    _run(capsys, "config")
    _run(capsys, "config")
    assert loads.count == 2
    assert _entries(project) == []


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"key": "other"}', b"\xff\xfe"])
def test_damaged_entry_is_ignored_and_replaced(project: Path, loads: Loads, capsys: pytest.CaptureFixture[str],
                                               damage: bytes) -> None:
    first = _run(capsys, "config")
    [entry] = _entries(project)
    entry.write_bytes(damage)
    assert _run(capsys, "config") == first
    assert loads.count == 2
    assert _run(capsys, "config") == first
    assert loads.count == 2


def test_standard_input_is_not_cached(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for _ in range(2):
        run = subprocess.run([sys.executable, "-m", "compose", "-f", "-", "config", "--services"], cwd=project,
                             env=env, input="services:\n  a:\n    image: x\n", capture_output=True, text=True)
        assert run.returncode == 0 and run.stdout == "a\n"
    assert _entries(project) == []


def test_a_hit_imports_neither_loader_nor_yaml_nor_model(project: Path) -> None:
    probe = ("import sys\nfrom compose.cli.main import main\ncode = main(['config', '-q'])\n"
             "heavy = sorted(m for m in sys.modules if m == 'yaml' or m.startswith(('compose.model', "
             "'compose.loader.load', 'compose.loader.yamlsource', 'compose.validate.document', 'jsonschema', "
             "'trio', 'pyroute2')))\n"
             "print(code, heavy)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=project, env=env, capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0].startswith("0 ['compose.loader.load'")  # the first run loads
    assert runs[1] == "0 []\n"


def test_observations_are_asked_again() -> None:
    with observe.recording() as rec:
        assert observe.exists(__file__)
        assert not observe.isdir(__file__)
        text = observe.read_text(__file__)
    assert text == Path(__file__).read_text()
    assert [q for q, _p, _a in rec.observations] == ["exists", "isdir", "content"]
    assert observe.still_true(rec.observations)
    assert not observe.still_true([("content", __file__, "0" * 64)])
    assert not observe.still_true([("exists", __file__, False)])
    assert not observe.still_true([("unknown", __file__, True)])
    assert not observe.still_true([("exists",)])


def test_key_covers_options_cwd_environment_and_code(tmp_path: Path) -> None:
    code = resultcache.code_fingerprint()
    base = resultcache.key_for({"a": 1}, "/x", {"V": "1"}, code)
    assert base == resultcache.key_for({"a": 1}, "/x", {"V": "1"}, code)
    others = {resultcache.key_for({"a": 2}, "/x", {"V": "1"}, code),
              resultcache.key_for({"a": 1}, "/y", {"V": "1"}, code),
              resultcache.key_for({"a": 1}, "/x", {"V": "2"}, code),
              resultcache.key_for({"a": 1}, "/x", {"V": "1"}, "other")}
    assert base not in others and len(others) == 4
    (tmp_path / "compose").mkdir()
    (tmp_path / "compose" / "m.py").write_text("x = 1\n")
    before = resultcache.code_fingerprint(tmp_path)
    (tmp_path / "compose" / "m.py").write_text("x = 22\n")
    assert resultcache.code_fingerprint(tmp_path) != before


def test_output_file_is_written_on_a_hit(project: Path, loads: Loads, capsys: pytest.CaptureFixture[str]) -> None:
    expected = _run(capsys, "config")[1]
    for name in ("first.yaml", "second.yaml"):
        assert _run(capsys, "config", "-o", str(project.parent / name))[:2] == (0, "")
        assert (project.parent / name).read_text() == expected
    assert loads.count == 1  # where the output goes is not part of the key
