"""The dev mode's loop: file changes in, one action per rule and batch out.

``watchfiles`` (inotify) reports changes in batches: a batch ends when nothing has changed for
``STEP_MS`` (or after ``DEBOUNCE_MS`` at most), so an editor's save or a ``git checkout`` of a
thousand files is one batch. Each batch is split by rule (:mod:`compose.watch.rules`); per rule:

* ``sync`` writes the changed files (and deletes the deleted ones) into every running replica
  through the runtime (``Containers.sync``), then ``sync+restart`` restarts them and
  ``sync+exec`` runs the rule's command in each;
* ``restart`` restarts the service's containers; ``rebuild`` runs ``up -d --build --no-deps``
  for the service, which rebuilds its image and recreates only it; then (``--prune``, on by
  default as in Docker Compose) the project's dangling images go: the image the rebuild
  superseded is removed at once, since its containers are gone by then (Docker Compose prunes
  before recreating, so the superseded image stays until the next rebuild).

The compose files the project was loaded from (every ``-f`` file, ``.env``/``--env-file``,
``env_file``, ``include`` and ``extends`` files) are watched too: an edit re-runs ``up -d`` —
the loader and the plan, recreating only the services whose config changed — and a broken edit
prints the loader's one-line error and changes nothing. Every action is one line on stderr
(``--progress json``: one JSON object a line).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compose.errors import ConfigError
from compose.watch.rules import SYNC_ACTIONS, Rule, rules_of, watched_roots

DEBOUNCE_MS = 500
STEP_MS = 30
IDLE_MS = 1000  # how often an idle watch wakes up (to notice Ctrl-C)
LOOK_S = 3.0  # how often an idle watch looks for new replicas (after a change, at once)


def cli_prefix(opts: Any) -> list[str]:
    """``python -m compose`` with the global options of this command."""
    argv = [sys.executable, "-m", "compose"]
    for f in opts.files:
        argv += ["-f", f]
    if opts.project_name:
        argv += ["-p", opts.project_name]
    if opts.project_directory:
        argv += ["--project-directory", opts.project_directory]
    for e in opts.env_files:
        argv += ["--env-file", e]
    for p in opts.profiles:
        argv += ["--profile", p]
    return argv


class Watcher:
    def __init__(self, opts: Any, session: Any, services: Sequence[str], *, quiet: bool = False,
                 json_lines: bool = False, out: Any = None, prune: bool = True) -> None:
        self.opts = opts
        self.prune = prune
        self.session = session
        self.services = list(services) or sorted(session.project.services)
        self.quiet = quiet
        self.json_lines = json_lines
        self.out = out or sys.stderr
        self.rules = rules_of(session.project, self.services)
        self.synced: dict[tuple[str, int], set[str]] = {}
        self.started = False
        self.last_look = 0.0
        if not self.rules:
            raise ConfigError("none of the selected services is configured for watch, consider setting a "
                              "'develop' section")
        for rule in self.rules:
            if rule.action == "rebuild" and session.project.services[rule.service].build is None:
                raise ConfigError(f"service {rule.service}: develop.watch action rebuild needs a build section "
                                  "(or use restart)", path=("services", rule.service, "develop", "watch"))

    # -- output ----------------------------------------------------------------------------------
    def say(self, action: str, service: str, text: str, files: Sequence[str] = (), elapsed: float | None = None,
            ) -> None:
        if self.json_lines:
            record = {"action": action, "service": service, "files": list(files), "message": text}
            if elapsed is not None:
                record["elapsed_ms"] = round(elapsed * 1000, 1)
            print(json.dumps(record), file=self.out, flush=True)
        elif not self.quiet or action in ("error", "reload-error"):
            took = f" ({elapsed * 1000:.0f} ms)" if elapsed is not None else ""
            print(f"{text}{took}", file=self.out, flush=True)

    # -- the loop --------------------------------------------------------------------------------
    def config_files(self) -> set[Path]:
        files = {Path(f).resolve() for f in self.session.config_files}
        files |= {Path(f).resolve() for f in getattr(self.session, "env_files", ())}
        for service in self.session.project.services.values():
            for env_file in getattr(service, "env_file", ()) or ():
                path = getattr(env_file, "path", env_file)
                if isinstance(path, str):
                    files.add(Path(path).resolve())
        return files

    def run(self, stop: threading.Event | None = None, ready: threading.Event | None = None) -> None:
        import watchfiles

        self.initial_sync()
        roots = watched_roots(self.rules)
        configs = self.config_files()
        roots = sorted(set(roots) | {c.parent for c in configs})
        roots = [r for r in roots if not any(r != o and r.is_relative_to(o) for o in roots)]
        enabled = False
        # yield_on_timeout: the first (empty) batch says the inotify watches are in place, so
        # "Watch enabled" is only printed once no change can be missed any more
        for batch in watchfiles.watch(*roots, debounce=DEBOUNCE_MS, step=STEP_MS, stop_event=stop,
                                      raise_interrupt=False, rust_timeout=IDLE_MS, yield_on_timeout=True,
                                      watch_filter=None):
            if not enabled:
                enabled = True
                self.say("watch", "", "Watch enabled")
                if ready is not None:
                    ready.set()
            if batch:
                self.handle({Path(p) for _change, p in batch}, configs)
                configs = self.config_files()
            if batch or time.monotonic() - self.last_look >= LOOK_S:
                self.catch_up()

    def handle(self, changed: set[Path], configs: set[Path]) -> None:
        if changed & configs:
            self.reload(sorted(str(p) for p in changed & configs))
        for rule in self.rules:
            mine = sorted(p for p in changed if rule.matches(p))
            if mine:
                try:
                    self.act(rule, mine)
                except Exception as exc:  # one failed action must not end the dev mode
                    self.say("error", rule.service, f"{rule.action} of {rule.service!r} failed: {exc}")

    def containers(self, service: str) -> list[Any]:
        from compose.project_state import read_state

        state = read_state(self.session.project.name, containers=self.session.rt.containers, oneoff=False)
        return [c for c in state.of_service(service) if c.status == "running"]

    def act(self, rule: Rule, paths: list[Path]) -> None:
        start = time.monotonic()
        names = [p.name for p in paths]
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        what = f"{len(paths)} change{'s' if len(paths) != 1 else ''}: {shown}"
        api = self.session.rt.containers
        if rule.action in SYNC_ACTIONS:
            changes = [(p if p.exists() or p.is_symlink() else None, rule.container_path(p)) for p in paths]
            replicas = self.containers(rule.service)
            for c in replicas:
                api.sync(c.id, changes)
            self.say("sync", rule.service, f'Syncing "{rule.service}" after {what}', names,
                     time.monotonic() - start)
            if rule.action == "sync+restart":
                self.restart(rule.service)
            elif rule.action == "sync+exec" and rule.exec_command:
                for c in replicas:
                    self.exec(rule, c)
        elif rule.action == "restart":
            self.say("restart", rule.service, f'Restarting "{rule.service}" after {what}', names)
            self.restart(rule.service)
        elif rule.action == "rebuild":
            self.say("rebuild", rule.service, f'Rebuilding "{rule.service}" after {what}', names)
            done = subprocess.run([*cli_prefix(self.opts), "up", "-d", "--build", "--no-deps", rule.service],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["failed"])[-1]
                self.say("error", rule.service, f'Rebuilding "{rule.service}" failed: {last}')
            else:
                self.say("rebuilt", rule.service, f'"{rule.service}" rebuilt and recreated', names,
                         time.monotonic() - start)
                if self.prune:
                    self.prune_images(rule.service)

    def prune_images(self, service: str) -> None:
        """The project's dangling images (built for it, no longer tagged, used by no container)."""
        from compose.convert import labels as L
        from runtime.api import PyComposeError

        try:
            removed, _reclaimed = self.session.rt.images.prune(
                filters={"label": [f"{L.PROJECT}={self.session.project.name}"]})
        except PyComposeError as exc:
            self.say("error", service, f"Pruning dangling images failed: {exc}")
            return
        deleted = [r.subject for r in removed if r.action == "deleted"]
        if deleted:
            short = ", ".join(d.removeprefix("sha256:")[:12] for d in deleted)
            self.say("prune", service, f"Removed {len(deleted)} dangling image{'s' if len(deleted) != 1 else ''}: "
                                       f"{short}")

    def restart(self, service: str) -> None:
        start = time.monotonic()
        for c in self.containers(service):
            self.session.rt.containers.restart(c.id)
        self.say("restarted", service, f'"{service}" restarted', (), time.monotonic() - start)

    def exec(self, rule: Rule, container: Any) -> None:
        assert rule.exec_command is not None
        read, write = os.pipe()
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            code = self.session.rt.containers.exec(
                container.id, rule.exec_command, env=rule.exec_env, user=rule.exec_user or None,
                workdir=rule.exec_workdir or None, privileged=rule.exec_privileged, stdio=(null, write, write))
        finally:
            os.close(write)
            os.close(null)
        with os.fdopen(read, "r", errors="replace") as f:
            output = f.read()
        for line in output.splitlines():
            print(f"{container.name}  | {line}", file=self.out, flush=True)
        self.say("exec", rule.service, f'Ran {" ".join(rule.exec_command)!r} in "{container.name}" '
                                       f"(exit code {code})")

    def catch_up(self) -> None:
        """A replica that appeared since the last look (restarted into a new container, recreated
        by a reload or a rebuild, scaled up) gets every file of its sync rules: it starts from
        its image, which does not have what was synced into the one before it."""
        self.last_look = time.monotonic()
        for rule in self.rules:
            if rule.action not in SYNC_ACTIONS or not rule.path.exists():
                continue
            current = {c.id: c for c in self.containers(rule.service)}
            known = self.synced.setdefault((rule.service, rule.index), set() if self.started else set(current))
            for cid, c in current.items():
                if cid not in known:
                    self.session.rt.containers.sync(c.id, [(rule.path, rule.target)])
                    self.say("sync", rule.service, f'Synced "{c.name}" (new container) from {rule.path}')
            known.clear()
            known.update(current)
        self.started = True

    def initial_sync(self) -> None:
        for rule in self.rules:
            if rule.initial_sync and rule.action in SYNC_ACTIONS and rule.path.exists():
                for c in self.containers(rule.service):
                    self.session.rt.containers.sync(c.id, [(rule.path, rule.target)])
                self.say("sync", rule.service, f'Initial sync of "{rule.service}": {rule.path} -> {rule.target}')

    def reload(self, files: list[str]) -> None:
        """A compose file changed: the loader and the plan again (``up -d``), or the error."""
        from dataclasses import replace

        from compose.reconcile.session import load_session

        start = time.monotonic()
        names = [os.path.basename(f) for f in files]
        try:
            session = replace(load_session(self.opts), runtime=self.session.rt)
        except ConfigError as exc:
            self.say("reload-error", "", f"Not reloading: {exc.render() if hasattr(exc, 'render') else exc}",
                     names)
            return
        self.session = session
        self.rules = rules_of(session.project, [s for s in self.services if s in session.project.services])
        done = subprocess.run([*cli_prefix(self.opts), "up", "-d", *self.services], capture_output=True,
                              text=True, check=False)
        lines = [line for line in done.stderr.splitlines() if "Recreate" in line or "Creat" in line
                 or "error" in line.lower()]
        for line in lines:
            self.say("reload", "", line.strip())
        self.say("reload", "", f"Reloaded after {', '.join(names)} changed", names, time.monotonic() - start)
