"""``docker compose publish``: the compose application as an OCI artifact.

Pure parts (no host access beyond reading the project's files): the checks that refuse or ask
before anything is sent (:func:`pre_checks`), the layers (:func:`layers`: one per compose file,
the files it ``extends``, the env files with ``--with-env``, an ``image-digests.yaml`` override
with ``--resolve-image-digests``) and the manifest in its OCI 1.1 or 1.0 shape
(:func:`manifest`). The layouts and the wording of the refusals are Docker Compose's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from compose import __version__
from compose.errors import UsageError

ARTIFACT_TYPE = "application/vnd.docker.compose.project"
FILE_MEDIA_TYPE = "application/vnd.docker.compose.file+yaml"
ENVFILE_MEDIA_TYPE = "application/vnd.docker.compose.envfile"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_CONFIG_MEDIA_TYPE_1_0 = "application/vnd.docker.compose.config.empty.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
EMPTY = b"{}"
OCI_VERSIONS = ("1.0", "1.1")


@dataclass(frozen=True)
class Layer:
    media_type: str
    data: bytes
    annotations: Mapping[str, str] = field(default_factory=dict)

    def descriptor(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": digest_of(self.data), "size": len(self.data),
                "annotations": dict(self.annotations)}


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ---- checks -------------------------------------------------------------------------------------
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Private key", re.compile(r"-----BEGIN ((RSA|DSA|EC|OPENSSH|PGP|ENCRYPTED) )?PRIVATE KEY( BLOCK)?-----")),
    ("AWS Client ID", re.compile(r"\b(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}\b")),
    ("GitHub Token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b")),
    ("JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}")),
    ("Slack Token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
)
KEY_VALUE = re.compile(r"^\s*-?\s*[\"']?([A-Za-z0-9_.-]+)[\"']?\s*[:=]\s*(.*?)\s*$")


@dataclass(frozen=True)
class Finding:
    type: str
    key: str
    value: str


def scan_text(text: str) -> list[Finding]:
    """Values that look like credentials (keys, tokens): what the publish check warns about."""
    found = []
    for line in text.splitlines():
        for kind, pattern in SECRET_PATTERNS:
            match = pattern.search(line)
            if match:
                kv = KEY_VALUE.match(line)
                key = kv.group(1) if kv else ""
                found.append(Finding(kind, key, match.group(0)))
                break
    return found


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def one_line(message: str) -> str:
    """Docker Compose's multi-line message as the one line an error is here (same words)."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def only_build_sections(project: Any) -> str | None:
    names = [s.name for s in project.services.values() if not s.image and s.build is not None]
    if not names:
        return None
    return ("your Compose stack cannot be published as it only contains a build section for service(s):\n"
            + "".join(f"- {json.dumps(n)}\n" for n in sorted(names)))


def bind_mounts(project: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in sorted(project.services):
        binds = [f"{v.source}:{v.target}:{'ro' if v.read_only else 'rw'}"
                 for v in project.services[name].volumes if v.type == "bind"]
        if binds:
            found[name] = binds
    return found


def declared_env_files(config_files: tuple[str, ...], working_dir: str) -> dict[str, list[str]]:
    """Service -> the env files its compose files declare (absolute paths); the loaded model
    has already folded them into ``environment``."""
    out: dict[str, list[str]] = {}
    for path in config_files:
        with open(path, "rb") as f:
            data = f.read()
        for name, paths in _env_file_paths(data, working_dir).items():
            out.setdefault(name, []).extend(paths)
    return out


def _env_file_paths(data: bytes, base_dir: str) -> dict[str, list[str]]:
    import yaml

    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError:
        return {}
    services = doc.get("services") if isinstance(doc, dict) else None
    out: dict[str, list[str]] = {}
    for name, service in (services or {}).items() if isinstance(services, dict) else ():
        entries = service.get("env_file") if isinstance(service, dict) else None
        items = [entries] if isinstance(entries, str) else entries if isinstance(entries, list) else []
        for item in items:
            raw = item.get("path") if isinstance(item, dict) else item
            if isinstance(raw, str):
                out.setdefault(str(name), []).append(os.path.normpath(os.path.join(base_dir, raw)))
    return out


def sensitive_data(project: Any, config_files: tuple[str, ...], env_files: Mapping[str, list[str]]
                   ) -> list[Finding]:
    found: list[Finding] = []
    for path in config_files:
        found += scan_text(_read(path))
    for paths in env_files.values():
        for path in paths:
            found += scan_text(_read(path))
    for obj in (*project.configs.values(), *project.secrets.values()):
        if obj.file:
            found += scan_text(_read(obj.file))
    return found


def environment_variables(project: Any, with_env: bool, env_files: Mapping[str, list[str]]
                          ) -> dict[str, dict[str, str | None]]:
    """Services' environments and configs read from the environment; without ``--with-env`` any of
    them refuses the publication (Docker Compose's message)."""
    variables: dict[str, dict[str, str | None]] = {}
    errors: list[str] = []
    for name in sorted(project.services):
        service = project.services[name]
        if service.env_file or env_files.get(name):
            errors.append(f"service {json.dumps(name)} has env_file declared.")
        if service.environment:
            errors.append(f"service {json.dumps(name)} has environment variable(s) declared.")
            variables[name] = dict(service.environment)
    for key in sorted(project.configs):
        config = project.configs[key]
        if config.environment:
            name = config.name or key
            errors.append(f"config {json.dumps(name)} is declare as an environment variable.")
            variables[name] = {name: config.environment}
    if errors and not with_env:
        raise UsageError(one_line("".join(e + "\n" for e in errors)
                                  + "To avoid leaking sensitive data, you must either explicitly allow the sending of "
                           "environment variables by using the --with-env flag,\n"
                                    "or remove sensitive data from your Compose configuration"))
    return variables


Confirm = Callable[[str], bool]


def pre_checks(project: Any, config_files: tuple[str, ...], working_dir: str, *, with_env: bool,
               confirm: Confirm) -> bool:
    """Docker Compose's checks before a publication, in its order: a service with only a build
    section refuses; bind mounts, credential-like values and environment variables each need a
    yes from ``confirm(question)``. False: not confirmed, nothing is to be sent."""
    message = only_build_sections(project)
    if message:
        raise UsageError(one_line(message))
    binds = bind_mounts(project)
    if binds:
        text = ("you are about to publish bind mounts declaration within your OCI artifact.\n"
                "only the bind mount declarations will be added to the OCI artifact (not content)\n"
                "please double check that you are not mounting potential user's sensitive directories or data\n")
        for name, values in binds.items():
            text += name + "".join(v + "\n" for v in values)
        if not confirm(text + "Are you ok to publish these bind mount declarations?"):
            return False
    env_files = declared_env_files(config_files, working_dir)
    secrets = sensitive_data(project, config_files, env_files)
    if secrets:
        text = ("you are about to publish sensitive data within your OCI artifact.\n"
                "please double check that you are not leaking sensitive data\n")
        for s in secrets:
            text += f"{s.type}\n{json.dumps(s.key)}: {s.value}\n"
        if not confirm(text + "Are you ok to publish these sensitive data?"):
            return False
    variables = environment_variables(project, with_env, env_files)
    if variables:
        text = ("you are about to publish environment variables within your OCI artifact.\n"
                "please double check that you are not leaking sensitive data\n")
        for name, values in variables.items():
            text += f"Service/Config  {name}\n" + "".join(f"{k}={'' if v is None else v}\n" for k, v in values.items())
        if not confirm(text + "Are you ok to publish these environment variables?"):
            return False
    return True


# ---- layers -------------------------------------------------------------------------------------
def _hashed(path: str, suffix: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest() + suffix


def _rewrite(data: bytes, base_dir: str, env_files: dict[str, str], ext_files: dict[str, str]) -> bytes:
    """A compose file's bytes, with its ``env_file`` and local ``extends.file`` paths replaced by
    the names their layers get (``<sha256 of the absolute path>.env`` / ``.yaml``); unchanged
    (byte for byte) when it has neither."""
    import yaml

    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError:
        return data
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, dict):
        return data
    changed = False
    for service in services.values():
        if not isinstance(service, dict):
            continue
        entries = service.get("env_file")
        if isinstance(entries, (str, list)):
            items = [entries] if isinstance(entries, str) else list(entries)
            for i, item in enumerate(items):
                raw = item.get("path") if isinstance(item, dict) else item
                if not isinstance(raw, str):
                    continue
                path = os.path.normpath(os.path.join(base_dir, raw))
                env_files[path] = _hashed(path, ".env")
                items[i] = {**item, "path": env_files[path]} if isinstance(item, dict) else env_files[path]
            service["env_file"] = items[0] if isinstance(entries, str) else items
            changed = True
        extends = service.get("extends")
        if isinstance(extends, dict) and isinstance(extends.get("file"), str):
            path = os.path.normpath(os.path.join(base_dir, extends["file"]))
            if os.path.exists(path):
                ext_files[path] = _hashed(path, ".yaml")
                extends["file"] = ext_files[path]
                changed = True
    if not changed:
        return data
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False).encode()


def _file_layer(name: str, data: bytes, **extra: str) -> Layer:
    return Layer(FILE_MEDIA_TYPE, data, {"com.docker.compose.file": os.path.basename(name),
                                         "com.docker.compose.version": __version__, **extra})


def layers(config_files: tuple[str, ...], working_dir: str, *, with_env: bool,
           image_digests: Mapping[str, str] | None = None) -> list[Layer]:
    """The artifact's layers in Docker Compose's order: the compose files, the files they extend
    (recursively), the env files (with ``--with-env``), the image digests override."""
    env_files: dict[str, str] = {}
    ext_files: dict[str, str] = {}
    out = []
    for path in config_files:
        with open(path, "rb") as f:
            data = f.read()
        out.append(_file_layer(path, _rewrite(data, working_dir, env_files, ext_files)))
    done: set[str] = set()
    pending = dict(ext_files)
    while pending:
        more: dict[str, str] = {}
        for path, name in pending.items():
            done.add(path)
            with open(path, "rb") as f:
                data = f.read()
            out.append(_file_layer(name, _rewrite(data, os.path.dirname(path), env_files, more),
                                   **{"com.docker.compose.extends": "true"}))
        pending = {p: n for p, n in more.items() if p not in done}
    if with_env:
        for path, name in env_files.items():
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue  # as Docker Compose: an unreadable env file is left out
            out.append(Layer(ENVFILE_MEDIA_TYPE, data, {"com.docker.compose.envfile": name,
                                                        "com.docker.compose.version": __version__}))
    if image_digests is not None:
        import yaml

        override = {"services": {name: {"image": image_digests[name]} for name in sorted(image_digests)}}
        out.append(_file_layer("image-digests.yaml", yaml.safe_dump(override, sort_keys=False).encode()))
    return out


# ---- manifest -----------------------------------------------------------------------------------
def manifest(layer_list: list[Layer], oci_version: str, *, created: datetime | None = None
             ) -> tuple[bytes, list[bytes]]:
    """The manifest bytes and the blobs it needs (config first), in the shape of ``oci_version``:
    1.1 has ``artifactType`` and the empty config; 1.0 no ``artifactType`` and a config whose
    media type says what the artifact is."""
    if oci_version not in OCI_VERSIONS:
        raise UsageError(f"unsupported OCI version: {oci_version}")
    config = {"mediaType": EMPTY_MEDIA_TYPE if oci_version == "1.1" else EMPTY_CONFIG_MEDIA_TYPE_1_0,
              "digest": digest_of(EMPTY), "size": len(EMPTY)}
    if oci_version == "1.1":
        config["data"] = "e30="  # base64 of {}, as the OCI empty descriptor carries it
    when = (created or datetime.now(UTC)).astimezone().replace(microsecond=0)
    body: dict[str, Any] = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE}
    if oci_version == "1.1":
        body["artifactType"] = ARTIFACT_TYPE
    body["config"] = config
    body["layers"] = [layer.descriptor() for layer in layer_list]
    body["annotations"] = {"com.docker.compose.version": __version__,
                           "org.opencontainers.image.created": when.isoformat()}
    return json.dumps(body, separators=(",", ":")).encode(), [EMPTY, *(layer.data for layer in layer_list)]


INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"


def app_index(images: list[dict[str, Any]], subject: dict[str, Any]) -> bytes:
    """``publish --app``: the index of the application's images (their manifest descriptors, each
    pushed into the artifact's repository) whose ``subject`` is the compose artifact, as Docker
    Compose writes it."""
    body = {"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": images, "subject": subject,
            "annotations": {"com.docker.compose.version": __version__}}
    return json.dumps(body, separators=(",", ":")).encode()


__all__ = ["ARTIFACT_TYPE", "ENVFILE_MEDIA_TYPE", "FILE_MEDIA_TYPE", "INDEX_MEDIA_TYPE", "Finding", "Layer",
           "app_index", "layers", "manifest", "pre_checks", "scan_text"]
