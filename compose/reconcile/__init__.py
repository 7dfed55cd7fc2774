"""Carrying out plans with trio: ``up`` (:mod:`.executor`), ``down`` and the other lifecycle commands.

* :mod:`.session` — the loaded project and the runtime facades one command works with;
* :mod:`.replica` — creating one container of a service (mounts, volumes, files, spec);
* :mod:`.conditions` — waiting on ``depends_on`` conditions;
* :mod:`.stopping` — stopping without waiting out a grace period nobody listens to;
* :mod:`.executor` — the ``up`` plan, in dependency layers with bounded parallelism;
* :mod:`.lifecycle` — ``down``, ``stop``, ``start``, ``restart``, ``rm``;
* :mod:`.attach` — log streaming of an attached ``up``;
* :mod:`.progress` — the lines (or live view) of each container's state.

See ``DESIGN.md`` beside this file.
"""
