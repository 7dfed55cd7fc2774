"""compose/cli/pullprogress.py: terminal, plain and JSON renderings of pull events."""

from __future__ import annotations

import io
import json

from compose.cli.pullprogress import PullProgress
from runtime.api.registry import PullEvent


def feed(mode: str) -> str:
    out = io.StringIO()
    p = PullProgress(out, mode)
    p.message("Using default tag: latest")
    p(PullEvent("latest", "Pulling from library/busybox"))
    p(PullEvent("aaaaaaaaaaaa", "Already exists"))
    p(PullEvent("bbbbbbbbbbbb", "Pulling fs layer"))
    p(PullEvent("bbbbbbbbbbbb", "Downloading", 1000, 4000))
    p(PullEvent("bbbbbbbbbbbb", "Downloading", 2000, 4000))
    p(PullEvent("bbbbbbbbbbbb", "Pull complete"))
    p.message("Digest: sha256:" + "0" * 64)
    return out.getvalue()


def test_plain_lines_one_per_status_change():
    assert feed("plain").splitlines() == [
        "Using default tag: latest",
        "latest: Pulling from library/busybox",
        "aaaaaaaaaaaa: Already exists",
        "bbbbbbbbbbbb: Pulling fs layer",
        "bbbbbbbbbbbb: Downloading",
        "bbbbbbbbbbbb: Pull complete",
        "Digest: sha256:" + "0" * 64,
    ]


def test_json_is_dockers_shape():
    docs = [json.loads(line) for line in feed("json").splitlines()]
    assert docs[0] == {"status": "Using default tag: latest"}
    assert docs[1] == {"status": "Pulling from library/busybox", "id": "latest"}
    downloading = [d for d in docs if d.get("status") == "Downloading"]
    assert downloading[0]["progressDetail"] == {"current": 1000, "total": 4000}
    assert downloading[1]["progress"].startswith("[") and downloading[1]["progress"].endswith("4kB")


def test_terminal_redraws_layer_lines_in_place():
    text = feed("tty")
    assert "\x1b[2A" in text  # back over the two layer lines to redraw them
    last_frame = text.rsplit("\x1b[2A", 1)[1]
    assert "aaaaaaaaaaaa: Already exists" in last_frame
    assert "bbbbbbbbbbbb: Pull complete" in last_frame


def test_quiet_prints_nothing():
    assert feed("quiet") == ""
