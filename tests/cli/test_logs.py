"""``logs`` end to end: prefixes, --no-log-prefix, -t, --tail, --since/--until, --index, -f; and the
time parsing of --since/--until."""

from __future__ import annotations

import json
import re
import time

import pytest

from compose.cli.commands.logs import decode, parse_when, render_fast
from tests.e2e import conftest as e2e
from tests.e2e.conftest import Project

net_env, busybox_tar, project = e2e.net_env, e2e.busybox_tar, e2e.project

APP = """
services:
  a:
    image: busybox
    command: ["sh", "-c", "for i in 1 2 3 4 5; do echo a$$i; done; echo a-err >&2"]
  b:
    image: busybox
    command: ["sh", "-c", "echo b1; echo b2"]
    scale: 2
"""

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


def _up(p: Project) -> None:
    p.write(APP)
    p.run("up", "-d")
    p.run("wait", "a", "b")


@pytest.mark.integration
def test_logs_prefixes_tail_timestamps_and_index(project: Project) -> None:
    _up(project)
    # Docker Compose's prefix: the name without the project, padded to the longest name + 1
    a, b1, b2 = "a-1", "b-1", "b-2"
    out = project.run("logs", "--no-color", "a").stdout.splitlines()
    assert out == [f"a-1  | a{i}" for i in range(1, 6)] + ["a-1  | a-err"]
    assert project.run("logs", "--no-log-prefix", "a").stdout.split() == ["a1", "a2", "a3", "a4", "a5", "a-err"]
    assert project.run("logs", "--no-log-prefix", "--tail", "2", "a").stdout.split() == ["a5", "a-err"]
    assert project.run("logs", "--no-log-prefix", "--tail", "0", "a").stdout == ""
    stamped = project.run("logs", "--no-log-prefix", "-t", "a").stdout.splitlines()
    assert all(STAMP.match(line) for line in stamped) and stamped[0].endswith(" a1")
    every = project.run("logs", "--no-color").stdout.splitlines()
    assert {line.split(" | ")[0].strip() for line in every} == {a, b1, b2}
    assert len(every) == 6 + 2 + 2
    only = project.run("logs", "--no-color", "--index", "2", "b").stdout.splitlines()
    assert only == ["b-2  | b1", "b-2  | b2"]
    colored = project.run("--ansi", "always", "logs", "a").stdout
    assert "\x1b[" in colored
    assert project.run("logs", "nope", check=False).returncode == 1


@pytest.mark.integration
def test_logs_since_until_and_follow(project: Project) -> None:
    project.write("""
services:
  ticker:
    image: busybox
    command: ["sh", "-c", "echo early; sleep 2; echo late; sleep 1; echo last"]
""")
    project.run("up", "-d")
    follow = project.run("logs", "-f", "--no-log-prefix", "ticker").stdout.split()
    assert follow == ["early", "late", "last"]  # -f returns once the container has stopped
    stamps = project.run("logs", "--no-log-prefix", "-t", "ticker").stdout.splitlines()
    late_at = stamps[1].split()[0]
    assert project.run("logs", "--no-log-prefix", "--since", late_at, "ticker").stdout.split() == ["late", "last"]
    assert project.run("logs", "--no-log-prefix", "--until", late_at, "ticker").stdout.split() == ["early", "late"]
    assert project.run("logs", "--no-log-prefix", "--since", "1h", "ticker").stdout.split() == follow
    assert project.run("logs", "--no-log-prefix", "--until", "1h", "ticker").stdout == ""


def test_parse_when_accepts_rfc3339_unix_and_durations() -> None:
    now = 1_700_000_000.0
    assert parse_when("2023-11-14T22:13:20Z") == "2023-11-14T22:13:20.000000000Z"
    assert parse_when("2023-11-14T23:13:20+01:00") == "2023-11-14T22:13:20.000000000Z"
    assert parse_when("1700000000") == "2023-11-14T22:13:20.000000000Z"
    assert parse_when("1h30m", now) == time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(now - 5400))
    assert parse_when("") == ""
    with pytest.raises(Exception, match="invalid value"):
        parse_when("yesterday")


def test_decode_whole_file_and_damaged_lines() -> None:
    good = b'{"log":"a\\n","stream":"stdout","time":"t1"}\n{"log":"b\\n","stream":"stderr","time":"t2"}\n'
    assert [e["log"] for e in decode(good)] == ["a\n", "b\n"]
    assert [e["log"] for e in decode(good + b'{"log":"unfinished')] == ["a\n", "b\n"]
    damaged = good.replace(b'{"log":"b', b'{"log:"b')
    assert [e["log"] for e in decode(damaged)] == ["a\n"]
    assert decode(b"") == []


TRICKY = ['say "hi"\n', "a/b\n", "tab\there\n", "ctrl \x1b[31mred\n", "no newline", "ünïcödé ✓\n", "\n",
          "emoji 😀\n", "bell\x07\n", "", '{"log":"inner","stream":"stdout"}\n', "plain\n"]


def _log(texts: list[str]) -> bytes:
    return "".join(json.dumps({"log": t, "stream": "stderr" if i % 2 else "stdout",
                               "time": f"2026-01-01T00:00:00.{i:09d}Z"}, ensure_ascii=False, separators=(",", ":"))
                   + "\n" for i, t in enumerate(texts)).encode()


@pytest.mark.parametrize("tail", [None, 0, 1, 3, 100])
def test_fast_rendering_prints_what_the_decoder_path_prints(tail: int | None) -> None:
    data = _log(TRICKY)
    entries = decode(data)
    if tail is not None:
        entries = entries[-tail:] if tail else []
    expected = "".join(f"web-1 | {e['log'].removesuffix(chr(10))}\n" for e in entries).encode()
    assert render_fast(data, b"web-1 | ", timestamps=False, tail=tail) == expected


def test_fast_rendering_declines_what_it_cannot_do_exactly() -> None:
    assert render_fast(_log(["back\\slash\n"]), b"", timestamps=False, tail=None) is None
    assert render_fast(_log(["x\n"]), b"", timestamps=True, tail=None) is None
    assert render_fast(b'{"other":1}\n', b"", timestamps=False, tail=None) is None
    assert render_fast(b"", b"", timestamps=False, tail=None) == b""
