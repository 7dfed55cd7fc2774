"""How the network layer makes its netlink changes: through the run root's link helper
(``runtime.network.linkd``), which has the netlink library loaded, or in this process.

    links = Links(state)
    links.start()                       # early, off the critical path: the helper starts meanwhile
    links.call("ensure_bridge", network=rec.to_json())

``call`` asks the helper and raises the ``RuntimeFailure`` it reports. With no helper running
or starting, the operation runs here and a helper starts in the background for the calls and
commands after it (waiting for a start would cost a command more than the import); if it dies
during a request, the operation runs here too (they are idempotent).
``PYCOMPOSE_LINK_HELPER=off`` makes every call run here.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from runtime.errors import RuntimeFailure
from runtime.state import StateRoot

MODULE = "runtime.network.linkd"


class Links:
    def __init__(self, state: StateRoot) -> None:
        self.state = state
        self.enabled = os.environ.get("PYCOMPOSE_LINK_HELPER", "on") != "off"
        self._socket: Path | None = None
        self._starting: threading.Thread | None = None
        self._guard = threading.Lock()

    def start(self) -> None:
        """Have the helper start (if it is not running) while this command does other work."""
        with self._guard:
            if not self.enabled or self._socket is not None or self._starting is not None:
                return
            self._starting = threading.Thread(target=self._ensure, name="link-helper", daemon=True)
            self._starting.start()

    def call(self, op: str, **args: Any) -> Any:
        path = self._helper()
        if path is not None:
            from runtime.supervisor import protocol

            try:
                reply, _ = protocol.request(str(path), {"op": op, "args": args}, timeout=120)
            except (OSError, ValueError):
                self._socket = None  # gone (killed, or idle-exited just now): the next call starts one
            else:
                if reply.get("ok"):
                    return reply.get("result")
                if reply.get("internal"):
                    raise RuntimeFailure(f"network: {op}: {reply.get('error')}", errno=reply.get("errno"))
                raise RuntimeFailure(str(reply.get("error")), errno=reply.get("errno"))
        from runtime.network import linkops

        return linkops.OPS[op](**args)

    def stop(self) -> bool:
        """Have a running helper exit (tests, benchmarks; it exits by itself when idle)."""
        from runtime import daemons
        from runtime.network import linkd

        self._socket = None
        return daemons.shutdown(linkd.socket_path(self.state))

    def _helper(self) -> Path | None:
        """The helper's socket: the one started by ``start`` (waited for), or one running
        already. With neither, this call runs here and a helper starts for the next ones."""
        if not self.enabled:
            return None
        starting = self._starting
        if starting is not None:
            starting.join()
        if self._socket is None:
            from runtime import daemons
            from runtime.network import linkd

            path = linkd.socket_path(self.state)
            if daemons.ping(path):
                self._socket = path
            else:
                self.start()
        return self._socket

    def _ensure(self) -> None:
        from runtime import daemons
        from runtime.network import linkd

        try:
            self._socket = daemons.ensure(self.state, MODULE, linkd.socket_path(self.state),
                                          extra_paths=_library_paths())
        except (OSError, RuntimeFailure):
            self._socket = None
            self.enabled = False  # this command does its own netlink work from now on
        finally:
            self._starting = None


def _library_paths() -> tuple[str, ...]:
    """Where the netlink library is installed (the helper runs without ``site``)."""
    from importlib.util import find_spec

    spec = find_spec("pyroute2")
    if spec is None or not spec.submodule_search_locations:
        return ()
    return (str(Path(next(iter(spec.submodule_search_locations))).parent),)
