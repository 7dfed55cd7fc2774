"""``pycompose image …``: output shapes and flags as ``docker image …`` prints them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.images import TestImage, file, layer, write_archive

from compose.cli.commands.image import go_value, human_duration, human_size, render_template
from compose.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("size", "text"), [(0, "0B"), (999, "999B"), (1000, "1kB"), (723_456, "723kB"),
                                            (1_982_391, "1.98MB"), (4_260_000, "4.26MB"), (211_000_000, "211MB"),
                                            (1_500_000_000, "1.5GB")])
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(("seconds", "text"), [(0.5, "Less than a second"), (1, "1 second"), (30, "30 seconds"),
                                               (60, "About a minute"), (300, "5 minutes"), (3600, "About an hour"),
                                               (7200, "2 hours"), (3 * 86400, "3 days"), (20 * 86400, "2 weeks"),
                                               (90 * 86400, "3 months"), (800 * 86400, "2 years")])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_templates() -> None:
    row = {"Config": {"Cmd": ["sh", "-c"], "Labels": {"b": "2", "a": "1"}, "Entrypoint": None}, "Id": "x"}
    assert render_template("{{.Id}} {{.Config.Cmd}} {{json .Config.Cmd}}", row) == 'x [sh -c] ["sh","-c"]'
    assert render_template("{{ .Config.Labels }}|{{.Config.Entrypoint}}", row) == "map[a:1 b:2]|<no value>"
    assert go_value(True) == "true"


@pytest.fixture
def loaded(capsys: pytest.CaptureFixture[str], state_root, busybox_archive: Path) -> str:
    code, out, _ = run(capsys, "image", "load", "-i", str(busybox_archive))
    assert code == 0 and out == "Loaded image: busybox:latest\n"
    return "busybox:latest"


def test_ls_inspect_history_tag(capsys: pytest.CaptureFixture[str], loaded: str) -> None:
    _code, out, _ = run(capsys, "image", "ls")
    lines = out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert lines[1].split()[:3] == ["busybox", "latest", lines[1].split()[2]] and len(lines) == 2
    assert run(capsys, "image", "tag", "busybox", "localhost:5000/tools/bb:v2")[0] == 0
    _, out, _ = run(capsys, "image", "ls", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {(r["Repository"], r["Tag"]) for r in rows} == {("busybox", "latest"), ("localhost:5000/tools/bb", "v2")}
    assert set(rows[0]) == {"Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository", "SharedSize",
                            "Size", "Tag", "UniqueSize", "VirtualSize"}
    _, out, _ = run(capsys, "image", "ls", "-q")
    assert len(out.split()) == 1 and len(out.strip()) == 12
    _, out, _ = run(capsys, "image", "ls", "--filter", "reference=localhost:5000/*/*", "--format",
                    "{{.Repository}}:{{.Tag}}")
    assert out == "localhost:5000/tools/bb:v2\n"
    _, out, _ = run(capsys, "image", "ls", "busybox", "--format", "table {{.Repository}}\\t{{.Tag}}")
    assert out.split() == ["REPOSITORY", "TAG", "busybox", "latest"]
    _, out, _ = run(capsys, "image", "ls", "--filter", "dangling=true", "-q")
    assert out == ""

    _code, out, _ = run(capsys, "image", "inspect", "busybox")
    [info] = json.loads(out)
    for key in ("Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "Config", "Architecture", "Os",
                "Size", "GraphDriver", "RootFS", "Metadata"):
        assert key in info
    assert info["RepoTags"] == ["busybox:latest", "localhost:5000/tools/bb:v2"]
    assert info["Config"]["Cmd"] == ["sh"] and info["RootFS"]["Type"] == "layers"
    _, out, _ = run(capsys, "image", "inspect", "-f", "{{.Os}}/{{.Architecture}} {{.Config.Cmd}}", "busybox")
    assert out.strip().endswith(" [sh]") and out.startswith("linux/")

    _, out, _ = run(capsys, "image", "history", "busybox")
    lines = out.splitlines()
    assert lines[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert len(lines) == 4 and lines[2].startswith("<missing>") and not lines[1].startswith("<missing>")


def test_rm_and_prune_output(capsys: pytest.CaptureFixture[str], loaded: str) -> None:
    code, out, err = run(capsys, "image", "rm", "busybox", "nothere")
    assert code == 1
    assert out.splitlines()[0] == "Untagged: busybox:latest"
    assert out.splitlines()[1].startswith("Deleted: sha256:")
    assert err.strip() == "pycompose: No such image: nothere"
    code, out, _ = run(capsys, "image", "prune", "-f")
    assert code == 0 and out == "Total reclaimed space: 0B\n"


def test_prune_reports_what_it_deleted(capsys: pytest.CaptureFixture[str], state_root, tmp_path: Path) -> None:
    image = TestImage([layer([file("a", "1" * 5000)])], tags=[])
    run(capsys, "image", "load", "-i", str(write_archive(tmp_path / "a.tar", [image])))
    _code, out, _ = run(capsys, "image", "prune", "-f")
    assert out.splitlines() == ["Deleted Images:", f"deleted: {image.id}", "", out.splitlines()[-1]]
    assert out.splitlines()[-1].startswith("Total reclaimed space: ") and not out.endswith(": 0B\n")


def test_import_and_save(capsys: pytest.CaptureFixture[str], state_root, tmp_path: Path) -> None:
    (tmp_path / "root.tar").write_bytes(layer([file("hello", "hi")]))
    code, out, _ = run(capsys, "image", "import", str(tmp_path / "root.tar"), "mine:1", "-c", "CMD [\"/hello\"]",
                       "--change", "ENV A=b", "-m", "imported")
    assert code == 0 and out.startswith("sha256:") and len(out.strip()) == 71
    _, out, _ = run(capsys, "image", "inspect", "-f", "{{json .Config.Cmd}} {{.Config.Env}} {{.Comment}}", "mine:1")
    assert out == '["/hello"] [A=b] imported\n'
    assert run(capsys, "image", "save", "-o", str(tmp_path / "out.tar"), "mine:1")[0] == 0
    assert run(capsys, "image", "rm", "mine:1")[0] == 0
    code, out, _ = run(capsys, "image", "load", "-i", str(tmp_path / "out.tar"))
    assert out == "Loaded image: mine:1\n"


def test_untagged_load_prints_id(capsys: pytest.CaptureFixture[str], state_root, tmp_path: Path) -> None:
    image = TestImage([layer([file("a")])], tags=[])
    _, out, _ = run(capsys, "image", "load", "-i", str(write_archive(tmp_path / "a.tar", [image])))
    assert out == f"Loaded image ID: {image.id}\n"


def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], state_root, tmp_path: Path) -> None:
    (tmp_path / "bad.tar").write_bytes(b"\x1f\x8b" + b"not gzip at all" * 10)
    code, _, err = run(capsys, "image", "load", "-i", str(tmp_path / "bad.tar"))
    assert code == 1 and err.count("\n") == 1 and err.startswith("pycompose: ")
    code, _, err = run(capsys, "image", "tag", "busybox", "Bad:Name")
    assert code == 1 and err.count("\n") == 1
    code, _, err = run(capsys, "image", "load", "-i", str(tmp_path / "absent.tar"))
    assert code == 1 and err == f"pycompose: open {tmp_path / 'absent.tar'}: no such file or directory\n"


def test_help_does_not_import_heavy_modules() -> None:
    code = ("import sys; from compose.cli.main import main; main(['help', 'image']); "
            "print(sorted(m for m in ('trio', 'pyroute2', 'jsonschema', 'zstandard', 'runtime.images') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str], state_root) -> None:
    code, _, err = run(capsys, "image", "ls", "-f")
    assert code == 1 and err == "pycompose: image ls: argument -f/--filter: expected one argument\n"
