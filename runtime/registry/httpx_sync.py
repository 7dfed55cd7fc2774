"""``httpx`` for the registry client, imported without what it does not need here.

* httpcore imports trio, if it is installed, for its async locks; the registry client only uses
  httpx's synchronous client, and importing trio costs ~0.12 s of every registry command.
* httpx imports its command-line client (click, rich, pygments: ~0.05 s) when click is installed.

So each of those not loaded yet is hidden while httpx and httpcore load (httpx defers httpcore
to the first transport it makes, so both are imported here) ("import trio" raises ImportError;
httpcore then takes trio as absent, which only its async API under trio would notice) and
unhidden right after, so a later ``import trio`` (the reconciler's) works as usual.
"""

from __future__ import annotations

import sys

_HIDDEN = [name for name in ("trio", "click") if name not in sys.modules]
for _name in _HIDDEN:
    sys.modules[_name] = None  # type: ignore[assignment]
try:
    import httpcore  # noqa: F401  (httpx imports it only when its first transport is made)
    import httpx
finally:
    for _name in _HIDDEN:
        if sys.modules.get(_name, 0) is None:
            del sys.modules[_name]

__all__ = ["httpx"]
