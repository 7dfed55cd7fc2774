"""A compose service, turned into what the runtime runs: labels, mounts, a container spec, a network request.

* :mod:`compose.convert.labels` — the ``com.docker.compose.*`` labels of containers, networks, volumes;
* :mod:`compose.convert.mounts` — ``volumes``, ``tmpfs``, ``volumes_from``, ``secrets``, ``configs`` as
  mount requests (resolved to host paths by the reconciler, which owns volumes and files);
* :mod:`compose.convert.container` — the :class:`ContainerSpec` of one replica;
* :mod:`compose.convert.network` — the :class:`ContainerNetworkRequest` of one replica.

Everything here is pure: no file is written and no runtime state is read.
"""
