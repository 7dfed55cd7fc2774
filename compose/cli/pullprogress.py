"""Per-layer progress of a pull (or push), drawn as Docker's CLI draws it.

* terminal: one line per layer (``<id>: Downloading  [====>   ]  1.2MB/4.5MB``), redrawn in
  place with cursor movements;
* plain (not a terminal): one line each time a layer changes status, no byte counts;
* ``json``: one JSON object per event, Docker's ``{"status", "id", "progressDetail"}`` shape.

Events are objects with ``id``, ``status``, ``current`` and ``total`` attributes
(``runtime.api.registry.PullEvent``); lines without an id are printed as they are.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from compose.cli.render import size_human

BAR_WIDTH = 50


def bar(current: int, total: int) -> str:
    if total <= 0:
        return f"{size_human(current)}"
    filled = min(BAR_WIDTH, int(BAR_WIDTH * current / total))
    body = "=" * max(filled - 1, 0) + (">" if filled < BAR_WIDTH else "=") + " " * (BAR_WIDTH - filled)
    return f"[{body}]  {size_human(current)}/{size_human(total)}"


class PullProgress:
    """Callable with events; ``mode`` is ``tty``, ``plain``, ``json`` or ``quiet``."""

    def __init__(self, out: Any = None, mode: str | None = None) -> None:
        self.out = out or sys.stdout
        if mode in (None, "auto"):
            mode = "tty" if getattr(self.out, "isatty", lambda: False)() else "plain"
        self.mode = mode
        self._lines: dict[str, str] = {}
        self._order: list[str] = []
        self._last_status: dict[str, str] = {}
        self._drawn = 0
        self._lock = threading.Lock()

    def message(self, text: str) -> None:
        """A line outside the layer table ("Digest: …", "Status: …")."""
        with self._lock:
            if self.mode == "quiet":
                return
            if self.mode == "json":
                self._write(json.dumps({"status": text}) + "\n")
                return
            self._write(text + "\n")
            self._drawn = 0
            self._order.clear()
            self._lines.clear()

    def __call__(self, event: Any) -> None:
        with self._lock:
            if self.mode == "quiet":
                return
            if self.mode == "json":
                doc: dict[str, Any] = {"status": event.status, "id": event.id}
                if event.total or event.current:
                    doc["progressDetail"] = {"current": event.current, "total": event.total}
                    doc["progress"] = bar(event.current, event.total)
                self._write(json.dumps(doc) + "\n")
                return
            if event.status.startswith(("Pulling from", "Pushing to", "The push refers to")):
                self._write(f"{event.id}: {event.status}\n")
                self._drawn = 0
                self._order.clear()
                self._lines.clear()
                return
            if self.mode == "plain":
                if self._last_status.get(event.id) != event.status:
                    self._last_status[event.id] = event.status
                    self._write(f"{event.id}: {event.status}\n")
                return
            text = f"{event.id}: {event.status}"
            if event.status in ("Downloading", "Extracting", "Pushing") and event.total:
                text += f"  {bar(event.current, event.total)}"
            if event.id not in self._lines:
                self._order.append(event.id)
            self._lines[event.id] = text
            self._redraw()

    def _redraw(self) -> None:
        up = f"\x1b[{self._drawn}A" if self._drawn else ""
        body = "".join(f"\x1b[2K{self._lines[i]}\n" for i in self._order)
        self._write(up + body)
        self._drawn = len(self._order)

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
