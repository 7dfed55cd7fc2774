"""What a command tells the user about each resource: ``Container proj-web-1  Started``.

Plain lines, in Docker Compose's words, on standard error. On a terminal (``--progress
tty``/``auto``), the same events update one line per resource in place.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

DONE = {"Created", "Started", "Stopped", "Removed", "Running", "Healthy", "Exited", "Recreated", "Restarted",
        "Waiting", "Killed"}


class Progress:
    """``mode``: Docker Compose's ``--progress`` (auto, tty, plain, json, quiet)."""

    def __init__(self, mode: str = "auto", out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        tty = self.out.isatty()
        self.live = mode == "tty" or (mode == "auto" and tty)
        self.quiet = mode == "quiet"
        self.json = mode == "json"
        self._rows: dict[str, str] = {}
        self._drawn = 0
        self._lock = threading.Lock()

    def event(self, kind: str, name: str, status: str, detail: str = "") -> None:
        if self.quiet:
            return
        text = f"{kind} {name}  {status}" + (f" ({detail})" if detail else "")
        with self._lock:
            if self.json:
                import json

                record = {"id": f"{kind} {name}", "status": status, **({"text": detail} if detail else {})}
                self.out.write(json.dumps(record) + "\n")
                self.out.flush()
                return
            if not self.live:
                self.out.write(f" {text}\n")
                self.out.flush()
                return
            key = f"{kind} {name}"
            self._rows[key] = (" \u2714 " if status in DONE else " \u280b ") + text
            if self._drawn:
                self.out.write(f"\x1b[{self._drawn}A")
            for row in self._rows.values():
                self.out.write(f"\x1b[2K{row}\n")
            self._drawn = len(self._rows)
            self.out.flush()

    def message(self, text: str) -> None:
        if self.quiet:
            return
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()
            self._drawn = 0
            self._rows.clear()


def progress_for(opts: object) -> Progress:
    """The progress output the global options ask for (``--ansi never`` means no live view)."""
    mode = getattr(opts, "progress", "auto")
    if getattr(opts, "dry_run", False) or (mode == "auto" and getattr(opts, "ansi", "auto") == "never"):
        mode = "plain"
    return Progress(mode)


__all__ = ["Progress", "progress_for"]
