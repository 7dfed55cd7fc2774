"""Healthcheck state, as Docker keeps it: a status, a failing streak and the last five probes.

Pure logic with explicit times, so the tests drive it without sleeping. The supervisor asks
``delay()`` when to probe next, runs the probe (exec in the container with a timeout) and
passes the result to ``record()``.

* Until the first success and within ``start_period``, probes come every ``start_interval``
  and failures do not count.
* After that, every ``interval``; ``retries`` consecutive failures make it ``unhealthy``;
  one success makes it ``healthy``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runtime.container.spec import Healthcheck

STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"
KEEP = 5
MAX_OUTPUT = 4096


@dataclass(frozen=True)
class Probe:
    start: str
    end: str
    exit_code: int
    output: str


@dataclass
class HealthState:
    check: Healthcheck
    started_at: float  # monotonic time the container started
    status: str = STARTING
    failing_streak: int = 0
    log: list[Probe] = field(default_factory=list)

    def in_start_period(self, now: float) -> bool:
        return self.status == STARTING and now - self.started_at < self.check.start_period

    def delay(self, now: float) -> float:
        if self.in_start_period(now):
            return self.check.start_interval
        return self.check.interval

    def record(self, probe: Probe, now: float) -> None:
        self.log = ([*self.log, Probe(probe.start, probe.end, probe.exit_code, probe.output[:MAX_OUTPUT])])[-KEEP:]
        if probe.exit_code == 0:
            self.status = HEALTHY
            self.failing_streak = 0
            return
        if self.in_start_period(now):
            return
        self.failing_streak += 1
        if self.failing_streak >= self.check.retries:
            self.status = UNHEALTHY

    def to_json(self) -> dict:
        return {
            "Status": self.status,
            "FailingStreak": self.failing_streak,
            "Log": [{"Start": p.start, "End": p.end, "ExitCode": p.exit_code, "Output": p.output} for p in self.log],
        }


def probe_argv(test: tuple[str, ...]) -> tuple[str, ...] | None:
    """The command a probe runs, or None when the check is disabled (``NONE`` / empty)."""
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD":
        return tuple(test[1:])
    if test[0] == "CMD-SHELL":
        return ("/bin/sh", "-c", " ".join(test[1:]))
    return ("/bin/sh", "-c", " ".join(test))
