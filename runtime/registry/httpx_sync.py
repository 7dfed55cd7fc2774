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
    import httpcore  # httpx imports it only when its first transport is made
    import httpx
finally:
    for _name in _HIDDEN:
        if sys.modules.get(_name, 0) is None:
            del sys.modules[_name]

# httpcore reads a response 64 KiB at a time, each read a trip through h11, httpcore and httpx
# and a hand-over of the GIL between a pull's download and unpack threads; reads of up to 1 MiB
# (what the socket has, no more) took a loopback pull of 210 MB in 10 layers from ~1.9 s to
# ~1.65 s (benchmarks/README.md). The attribute is httpcore's own per-connection read size.
httpcore.HTTP11Connection.READ_NUM_BYTES = 1 << 20

__all__ = ["httpx"]
