"""Stopping a container without waiting out a grace period that cannot help.

The kernel drops a signal sent to the init process of a PID namespace unless that process
has a handler for it (pid_namespaces(7)): a plain ``sleep`` as PID 1 never sees SIGTERM, and
Docker waits the whole grace period (10 s by default) before SIGKILL. Here, when the
container's PID 1 is the init of its own namespace and ``SigCgt`` in ``/proc/PID/status``
lacks the stop signal, the grace period is zero: SIGKILL at once, since waiting is certain
to change nothing.
"""

from __future__ import annotations

import signal as signal_mod

from runtime.api.containers import Containers


def _status_fields(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as f:
            return {k: v.strip() for k, _, v in (line.partition(":") for line in f)}
    except OSError:
        return {}


def signal_number(name: str) -> int:
    name = name.upper()
    if name.isdigit():
        return int(name)
    return int(signal_mod.Signals[name if name.startswith("SIG") else "SIG" + name])


def catches(pid: int, sig: str) -> bool:
    """Whether signal ``sig`` can reach ``pid`` if it is the init of its own PID namespace.

    True when unsure (the process is gone, or is not a namespace's init)."""
    fields = _status_fields(pid)
    ns_pids = fields.get("NSpid", "").split()
    if not fields or len(ns_pids) < 2 or ns_pids[-1] != "1":
        return True
    try:
        caught = int(fields.get("SigCgt", "0"), 16)
        number = signal_number(sig)
    except (ValueError, KeyError):
        return True
    return bool(caught & (1 << (number - 1)))


def effective_timeout(pid: int, sig: str, timeout: float) -> float:
    return timeout if pid <= 0 or catches(pid, sig) else 0.0


def stop(containers: Containers, cid: str, timeout: float | None = None) -> None:
    """Stop ``cid`` with its stop signal; SIGKILL after ``timeout`` (its grace period if None)."""
    info = containers.get(cid)
    spec = info.record.spec
    grace = spec.stop_grace_period if timeout is None else timeout
    if info.state.status in ("running", "paused", "restarting"):
        grace = effective_timeout(info.state.pid, spec.stop_signal, grace)
    containers.stop(cid, timeout=grace)


__all__ = ["catches", "effective_timeout", "signal_number", "stop"]
