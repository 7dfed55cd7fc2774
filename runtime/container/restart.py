"""Restart policies, decided as Docker's daemon decides them.

``no`` never restarts; ``always`` and ``unless-stopped`` restart after any exit unless the
user stopped the container; ``on-failure[:N]`` restarts after a non-zero exit, at most N
times when N > 0. The delay starts at 100 ms and doubles after each restart, up to one minute,
and falls back to 100 ms once the container had run for 10 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.container.spec import RestartPolicy
from runtime.errors import RuntimeFailure

INITIAL_DELAY = 0.1
MAX_DELAY = 60.0
RESET_AFTER = 10.0
POLICIES = ("no", "always", "on-failure", "unless-stopped")


def parse(text: str) -> RestartPolicy:
    """``no``, ``always``, ``unless-stopped``, ``on-failure`` or ``on-failure:N``."""
    name, _, count = (text or "no").partition(":")
    if name not in POLICIES:
        raise RuntimeFailure(f"invalid restart policy {text!r}")
    if count and (name != "on-failure" or not count.isdigit()):
        raise RuntimeFailure(f"invalid restart policy {text!r}: maximum retry count only applies to on-failure")
    return RestartPolicy(name, int(count or 0))


def should_restart(policy: RestartPolicy, exit_code: int, *, stopped_by_user: bool, restart_count: int) -> bool:
    if stopped_by_user or policy.name == "no":
        return False
    if policy.name in ("always", "unless-stopped"):
        return True
    if exit_code == 0:
        return False
    return policy.max_retries <= 0 or restart_count < policy.max_retries


@dataclass(frozen=True)
class Backoff:
    delay: float = 0.0

    def next(self, ran_for: float) -> Backoff:
        """The delay before the next restart, given how long the last run lasted."""
        if ran_for >= RESET_AFTER or self.delay == 0.0:
            return Backoff(INITIAL_DELAY)
        return Backoff(min(self.delay * 2, MAX_DELAY))
