"""Which sysctls a container may set: only those of a namespace the container owns.

Docker's rule (runc's validation): IPC sysctls (``kernel.msg*``, ``kernel.sem``,
``kernel.shm*``, ``fs.mqueue.*``) need a private IPC namespace, ``net.*`` a private network
namespace, ``kernel.domainname`` a private UTS namespace. Anything else would change the
host and is refused.
"""

from __future__ import annotations

from runtime.container.spec import ContainerSpec
from runtime.errors import RuntimeFailure

IPC_NAMES = frozenset({"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                       "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"})
# (prefix or exact name, the namespace kind that must be private)
RULES: tuple[tuple[str, str, bool], ...] = (
    ("fs.mqueue.", "ipc", True),
    ("net.", "network", True),
    ("kernel.domainname", "uts", False),
)


def validate(spec: ContainerSpec) -> None:
    for key, _value in spec.sysctls:
        kind = _namespace_of(key)
        if kind is None:
            raise RuntimeFailure(f"sysctl {key!r} is not allowed: it is not namespaced and would change the host")
        if spec.namespace(kind).mode != "private":
            raise RuntimeFailure(f"sysctl {key!r} is not allowed: the container shares the {kind} namespace")


def _namespace_of(key: str) -> str | None:
    if key in IPC_NAMES:
        return "ipc"
    for prefix, kind, is_prefix in RULES:
        if (is_prefix and key.startswith(prefix)) or key == prefix:
            return kind
    return None
