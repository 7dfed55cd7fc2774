"""Output shapes shared by the commands: Docker's table layout, go-units durations and sizes."""

from __future__ import annotations

import pytest

from compose.cli.render import (
    ago,
    bytes_human,
    human_duration,
    json_lines,
    parse_time,
    quoted_command,
    size_human,
    table,
    use_color,
)


def test_table_pads_like_docker_tabwriter() -> None:
    out = table(("NAME", "STATUS"), [("a", "Up 1 second"), ("a-much-longer-name", "Exited (0)")])
    assert out.splitlines() == [
        "NAME                 STATUS",
        "a                    Up 1 second",
        "a-much-longer-name   Exited (0)",
    ]
    assert table(("A", "B"), []) == "A         B\n"  # minimum width 10


@pytest.mark.parametrize(("seconds", "text"), [
    (0.5, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"),
    (119, "About a minute"), (120, "2 minutes"), (3599, "59 minutes"), (3600, "About an hour"),
    (7200, "2 hours"), (47 * 3600, "47 hours"), (3 * 86400, "3 days"), (20 * 86400, "2 weeks"),
    (90 * 86400, "3 months"), (800 * 86400, "2 years"),
])
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_times() -> None:
    assert parse_time("2024-01-01T00:00:00.5Z") == 1704067200.5
    assert parse_time("") is None and parse_time("0001-01-01T00:00:00Z") is None
    assert ago("2024-01-01T00:00:00Z", now=1704067200 + 300) == "5 minutes ago"
    assert ago("") == ""


def test_sizes_and_command() -> None:
    assert bytes_human(1536) == "1.5KiB" and bytes_human(64 * 1024 * 1024) == "64MiB" and bytes_human(0) == "0B"
    assert size_human(123_000_000) == "123MB" and size_human(999) == "999B"
    assert quoted_command(["sh", "-c", "echo hello world"]) == '"sh -c echo hello wo…"'
    assert quoted_command(["sleep", "1"]) == '"sleep 1"'
    assert json_lines([{"a": 1}, {"b": [2]}]) == '{"a":1}\n{"b":[2]}\n'


def test_use_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Pipe:
        def isatty(self) -> bool:
            return False

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color("always", Pipe()) and not use_color("never", Terminal())
    assert use_color("auto", Terminal()) and not use_color("auto", Pipe())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Terminal())
