"""A compose project as Kubernetes manifests (``pycompose bridge convert``).

Per service: a Deployment, or a StatefulSet when it mounts a named volume (each named volume
then a ``volumeClaimTemplate``: one PersistentVolumeClaim per replica); a Service with its
ports (``ports`` and ``expose``; ``LoadBalancer`` when some are published, so DNS by service
name keeps working inside the cluster); ``configs`` and ``secrets`` become ConfigMaps and
Secrets mounted where the service expects them; healthchecks become liveness and readiness
probes; ``deploy.resources``/``mem_limit``/``cpus`` become resources; ``depends_on`` is written
as an annotation (Kubernetes starts pods in no order: the notes say so). Every setting with no
Kubernetes equivalent gives one warning line: nothing is dropped silently.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from pathlib import Path
from typing import Any

KUBERNETES_VERSION = "1.31.0"
HANDLED = {
    "name", "image", "build", "command", "entrypoint", "environment", "env_file", "working_dir", "user", "ports",
    "expose", "volumes", "configs", "secrets", "healthcheck", "deploy", "mem_limit", "mem_reservation", "cpus",
    "depends_on", "restart", "privileged", "cap_add", "cap_drop", "read_only", "tty", "stdin_open", "hostname",
    "extra_hosts", "dns", "dns_search", "dns_opt", "stop_grace_period", "labels", "annotations", "platform",
    "tmpfs", "shm_size", "scale", "profiles", "networks", "container_name", "pull_policy", "post_start",
    "pre_stop", "develop", "extensions", "label_file", "pids_limit",
}


def dns_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (name or "x")[:63].rstrip("-")


def _unset(value: Any, default: Any) -> bool:
    return value == default or value in (None, "", (), {}) or (hasattr(value, "__len__") and len(value) == 0)


def _command(test: tuple[str, ...]) -> list[str] | None:
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        return ["/bin/sh", "-c", " ".join(test[1:])]
    if test[0] == "CMD":
        return list(test[1:])
    return ["/bin/sh", "-c", " ".join(test)]


def _quantity_cpu(cpus: float) -> str:
    return f"{round(cpus * 1000)}m"


class Converter:
    def __init__(self, project: Any) -> None:
        self.project = project
        self.warnings: list[str] = []
        self.docs: list[dict[str, Any]] = []

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def labels(self, service: str) -> dict[str, str]:
        return {"app.kubernetes.io/name": dns_name(service), "app.kubernetes.io/part-of": dns_name(self.project.name),
                "com.docker.compose.service": dns_name(service)}

    # -- the whole project -----------------------------------------------------------------------
    def convert(self) -> list[dict[str, Any]]:
        for name, cfg in sorted(self.project.configs.items()):
            self.docs.append(self._file_object("ConfigMap", name, cfg))
        for name, sec in sorted(self.project.secrets.items()):
            self.docs.append(self._file_object("Secret", name, sec))
        for name in sorted(self.project.services):
            self._service(name, self.project.services[name])
        if len(self.project.networks) > 1:
            self.warn("networks: Kubernetes has one flat pod network; the project's networks do not isolate "
                      "services there (add NetworkPolicies to restrict traffic)")
        return self.docs

    def _file_object(self, kind: str, name: str, obj: Any) -> dict[str, Any]:
        meta = {"name": dns_name(f"{self.project.name}-{name}"), "labels": {"app.kubernetes.io/part-of":
                                                                           dns_name(self.project.name)}}
        if obj.external:
            self.warn(f"{kind.lower()}s.{name}: external, so not exported (create it in the cluster)")
        content: bytes = b""
        if obj.content:
            content = obj.content.encode()
        elif obj.file and Path(obj.file).is_file():
            content = Path(obj.file).read_bytes()
        elif obj.environment:
            import os

            content = os.environ.get(obj.environment, "").encode()
        key = Path(obj.file).name if obj.file else name
        if kind == "Secret":
            return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque",
                    "data": {key: base64.b64encode(content).decode()}}
        try:
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {key: content.decode()}}
        except UnicodeDecodeError:
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                    "binaryData": {key: base64.b64encode(content).decode()}}

    # -- one service -----------------------------------------------------------------------------
    def _service(self, name: str, s: Any) -> None:
        where = f"services.{name}"
        for f in dataclasses.fields(s):
            if f.name in HANDLED:
                continue
            value = getattr(s, f.name)
            default = f.default if f.default is not dataclasses.MISSING else None
            if not _unset(value, default):
                self.warn(f"{where}.{f.name}: no Kubernetes equivalent, not exported")
        container: dict[str, Any] = {"name": dns_name(name), "image": s.image_name(self.project.name)}
        if s.build is not None:
            self.warn(f"{where}.build: the cluster cannot build; push {container['image']} to a registry it can "
                      "pull from (pycompose build --push)")
        if s.entrypoint is not None:
            container["command"] = list(s.entrypoint)
        if s.command is not None:
            container["args"] = list(s.command)
        env = []
        for key, value in sorted(s.environment.items()):
            if value is None:
                self.warn(f"{where}.environment.{key}: taken from the shell at run time; exported without a value")
                value = ""
            env.append({"name": key, "value": str(value)})
        if env:
            container["env"] = env
        if s.working_dir:
            container["workingDir"] = s.working_dir
        ports = self._ports(name, s, container)
        security: dict[str, Any] = {}
        if s.privileged:
            security["privileged"] = True
        caps = {}
        if s.cap_add:
            caps["add"] = [c.removeprefix("CAP_") for c in s.cap_add]
        if s.cap_drop:
            caps["drop"] = [c.removeprefix("CAP_") for c in s.cap_drop]
        if caps:
            security["capabilities"] = caps
        if s.read_only:
            security["readOnlyRootFilesystem"] = True
        if s.user:
            uid, _, gid = s.user.partition(":")
            if uid.isdigit() and (not gid or gid.isdigit()):
                security["runAsUser"] = int(uid)
                if gid:
                    security["runAsGroup"] = int(gid)
            else:
                self.warn(f"{where}.user: {s.user!r} is a name; Kubernetes needs numeric IDs (runAsUser)")
        if security:
            container["securityContext"] = security
        if s.tty:
            container["tty"] = True
        if s.stdin_open:
            container["stdin"] = True
        resources = self._resources(s)
        if resources:
            container["resources"] = resources
        if s.healthcheck is not None and not s.healthcheck.disable:
            probe = self._probe(s.healthcheck)
            if probe:
                container["livenessProbe"] = probe
                container["readinessProbe"] = dict(probe)
        lifecycle = {}
        for key, hook in (("postStart", s.post_start), ("preStop", s.pre_stop)):
            if hook:
                lifecycle[key] = {"exec": {"command": list(hook[0].command or ())}}
                if len(hook) > 1:
                    self.warn(f"{where}.{'post_start' if key == 'postStart' else 'pre_stop'}: Kubernetes runs one "
                              "hook; only the first is exported")
        if lifecycle:
            container["lifecycle"] = lifecycle
        pod: dict[str, Any] = {"containers": [container]}
        volumes, claims = self._volumes(name, s, container, pod)
        if volumes:
            pod["volumes"] = volumes
        if s.hostname:
            pod["hostname"] = dns_name(s.hostname)
        if s.extra_hosts:
            aliases: dict[str, list[str]] = {}
            for entry in s.extra_hosts:
                host, _, ip = entry.replace("=", ":", 1).partition(":")
                aliases.setdefault(ip, []).append(host)
            pod["hostAliases"] = [{"ip": ip, "hostnames": names} for ip, names in aliases.items()]
        if s.dns or s.dns_search or s.dns_opt:
            pod["dnsConfig"] = {k: v for k, v in (("nameservers", list(s.dns)), ("searches", list(s.dns_search)),
                                                  ("options", [{"name": o} for o in s.dns_opt])) if v}
        if s.stop_grace_period is not None:
            pod["terminationGracePeriodSeconds"] = int(s.stop_grace_period)
        if s.platform:
            os_, _, arch = s.platform.partition("/")
            pod["nodeSelector"] = {"kubernetes.io/os": os_, **({"kubernetes.io/arch": arch.split("/")[0]}
                                                               if arch else {})}
        restart = s.restart
        if restart == "no" or restart.startswith("on-failure"):
            self.warn(f"{where}.restart: {restart!r}: Deployments and StatefulSets always restart their pods")
        annotations = {}
        if s.depends_on:
            annotations["com.docker.compose.depends-on"] = ",".join(
                f"{dep}:{d.condition}" for dep, d in sorted(s.depends_on.items()))
            self.warn(f"{where}.depends_on: Kubernetes starts pods in no order; the dependency is kept as an "
                      "annotation (make the service retry until its dependencies answer)")
        labels = self.labels(name)
        template: dict[str, Any] = {"metadata": {"labels": labels, **({"annotations": annotations}
                                                                       if annotations else {})}, "spec": pod}
        spec: dict[str, Any] = {"replicas": s.replicas, "selector": {"matchLabels": labels}, "template": template}
        kind = "StatefulSet" if claims else "Deployment"
        if claims:
            spec["serviceName"] = dns_name(name)
            spec["volumeClaimTemplates"] = claims
        meta: dict[str, Any] = {"name": dns_name(name), "labels": labels}
        if s.labels:
            meta["annotations"] = {k: str(v) for k, v in s.labels.items()}
        self.docs.append({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec})
        self.docs.append(self._kube_service(name, ports, bool(claims)))

    def _ports(self, name: str, s: Any, container: dict[str, Any]) -> list[dict[str, Any]]:
        seen: dict[tuple[int, str], dict[str, Any]] = {}
        for p in s.ports:
            protocol = (p.protocol or "tcp").upper()
            if protocol not in ("TCP", "UDP", "SCTP"):
                continue
            entry = {"name": f"{protocol.lower()}-{p.target}", "port": p.target, "targetPort": p.target,
                     "protocol": protocol}
            if p.published and str(p.published).isdigit():
                entry["port"] = int(str(p.published))
                entry["published"] = True
            seen[(p.target, protocol)] = entry
        for e in s.expose:
            port, _, proto = str(e).partition("/")
            if port.isdigit():
                protocol = (proto or "tcp").upper()
                seen.setdefault((int(port), protocol), {"name": f"{protocol.lower()}-{port}", "port": int(port),
                                                        "targetPort": int(port), "protocol": protocol})
        if seen:
            container["ports"] = [{"containerPort": t, "protocol": proto} for t, proto in sorted(seen)]
        return [seen[k] for k in sorted(seen)]

    def _kube_service(self, name: str, ports: list[dict[str, Any]], stateful: bool) -> dict[str, Any]:
        spec: dict[str, Any] = {"selector": self.labels(name)}
        published = any([p.pop("published", False) for p in ports])  # a list: every entry loses the key
        if ports:
            spec["ports"] = ports
            if published:
                spec["type"] = "LoadBalancer"
        else:
            spec["clusterIP"] = "None"  # headless: the name still resolves to the pods
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": dns_name(name),
                                                                     "labels": self.labels(name)}, "spec": spec}

    def _resources(self, s: Any) -> dict[str, Any]:
        limits: dict[str, str] = {}
        requests: dict[str, str] = {}
        res = s.deploy.resources if s.deploy is not None else None
        cpus = (res.limits.cpus if res and res.limits else 0) or s.cpus
        memory = (res.limits.memory if res and res.limits else 0) or s.mem_limit
        if cpus:
            limits["cpu"] = _quantity_cpu(cpus)
        if memory:
            limits["memory"] = str(memory)
        rcpus = res.reservations.cpus if res and res.reservations else 0
        rmem = (res.reservations.memory if res and res.reservations else 0) or s.mem_reservation
        if rcpus:
            requests["cpu"] = _quantity_cpu(rcpus)
        if rmem:
            requests["memory"] = str(rmem)
        return {k: v for k, v in (("limits", limits), ("requests", requests)) if v}

    def _probe(self, hc: Any) -> dict[str, Any] | None:
        command = _command(hc.test)
        if command is None:
            return None
        probe: dict[str, Any] = {"exec": {"command": command}}
        if hc.interval:
            probe["periodSeconds"] = max(1, int(hc.interval))
        if hc.timeout:
            probe["timeoutSeconds"] = max(1, int(hc.timeout))
        if hc.retries:
            probe["failureThreshold"] = hc.retries
        if hc.start_period:
            probe["initialDelaySeconds"] = int(hc.start_period)
        return probe

    def _volumes(self, name: str, s: Any, container: dict[str, Any], pod: dict[str, Any]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        where = f"services.{name}"
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        for i, v in enumerate(s.volumes):
            if v.type == "volume" and v.source:
                claim = dns_name(v.source)
                if not any(c["metadata"]["name"] == claim for c in claims):
                    claims.append({"metadata": {"name": claim}, "spec": {
                        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
                mounts.append({"name": claim, "mountPath": v.target, **({"readOnly": True} if v.read_only else {})})
            elif v.type in ("volume", "tmpfs"):
                vol = f"scratch-{i}"
                volumes.append({"name": vol, "emptyDir": {"medium": "Memory"} if v.type == "tmpfs" else {}})
                mounts.append({"name": vol, "mountPath": v.target})
            else:
                self.warn(f"{where}.volumes: {v.type} mount {v.source or ''}:{v.target} has no portable Kubernetes "
                          "equivalent (a hostPath would tie the pod to one node): not exported")
        for i, t in enumerate(s.tmpfs):
            volumes.append({"name": f"tmpfs-{i}", "emptyDir": {"medium": "Memory"}})
            mounts.append({"name": f"tmpfs-{i}", "mountPath": t.split(":")[0]})
        if s.shm_size:
            volumes.append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": str(s.shm_size)}})
            mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
        for kind, refs, default_dir in (("configMap", s.configs, "/"), ("secret", s.secrets, "/run/secrets/")):
            top = self.project.configs if kind == "configMap" else self.project.secrets
            for ref in refs:
                obj = top.get(ref.source)
                if obj is None:
                    continue
                key = Path(obj.file).name if obj.file else ref.source
                vol = dns_name(f"{kind}-{ref.source}")
                source = {"name": dns_name(f"{self.project.name}-{ref.source}")} if kind == "configMap" else \
                    {"secretName": dns_name(f"{self.project.name}-{ref.source}")}
                if ref.mode is not None:
                    source["defaultMode"] = ref.mode
                volumes.append({"name": vol, kind: source})
                target = ref.target if ref.target.startswith("/") else default_dir + (ref.target or ref.source)
                mounts.append({"name": vol, "mountPath": target, "subPath": key, "readOnly": True})
        if mounts:
            container["volumeMounts"] = mounts
        return volumes, claims


def dump(docs: list[dict[str, Any]]) -> str:
    """One YAML stream, ``---`` between objects, no anchors (every object stands alone)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump_all(docs, Dumper=Dumper, sort_keys=False)


def convert(project: Any) -> tuple[list[dict[str, Any]], list[str]]:
    c = Converter(project)
    return c.convert(), c.warnings


def validate(docs: list[dict[str, Any]], version: str = KUBERNETES_VERSION) -> list[str]:
    """Errors of each manifest against the Kubernetes OpenAPI schemas (kubernetes-validate)."""
    import kubernetes_validate

    errors = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    return errors
