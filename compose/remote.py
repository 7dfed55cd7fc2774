"""``-f oci://HOST/REPO:TAG``: a compose application published with ``publish``, as Docker Compose
loads it. The artifact is pulled (verified blob by blob) into
``$PYCOMPOSE_CACHE/oci/<manifest digest>/``: each compose-file layer under its own name, in the
manifest's order (files it ``extends`` and env files under the names the published files use
for them), and those compose files take the place of the ``oci://`` entry."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from compose.errors import UsageError

PREFIX = "oci://"
FILE_MEDIA_TYPE = "application/vnd.docker.compose.file+yaml"
ENVFILE_MEDIA_TYPE = "application/vnd.docker.compose.envfile"


def _cache_base() -> Path:
    from compose.validate.cache import cache_root

    root = cache_root()
    return (root if root is not None else Path(tempfile.gettempdir()) / f"pycompose-{os.getuid()}") / "oci"


def _safe(name: str) -> str:
    base = os.path.basename(name)
    if base in ("", ".", ".."):
        raise UsageError(f"the artifact names a file {name!r} that cannot be written")
    return base


def fetch(ref: str) -> list[str]:
    """The compose files of the artifact ``ref`` (without ``oci://``), written to the cache."""
    from runtime.api.push import pull_artifact

    artifact = pull_artifact(ref)
    layers = artifact.manifest.get("layers", [])
    if not any(layer.get("mediaType") == FILE_MEDIA_TYPE for layer in layers):
        raise UsageError(f"{ref} is not a compose application (no compose file layer)")
    local = _cache_base() / artifact.manifest_digest.partition(":")[2]
    files: list[str] = []
    staged = Path(tempfile.mkdtemp(prefix=".tmp-", dir=_mkdirs(local.parent))) if not local.is_dir() else None
    for i, layer in enumerate(layers):
        kind = layer.get("mediaType")
        notes = layer.get("annotations") or {}
        if kind == FILE_MEDIA_TYPE:
            name = _safe(notes.get("com.docker.compose.file") or "compose.yaml")
            if notes.get("com.docker.compose.extends") != "true":
                name = f"{i:02d}-{name}"  # two layers may carry the same base name
                files.append(str(local / name))
        elif kind == ENVFILE_MEDIA_TYPE:
            name = _safe(notes.get("com.docker.compose.envfile") or f"{i:02d}.env")
        else:
            continue
        if staged is not None:
            (staged / name).write_bytes(artifact.blobs[layer["digest"]])
    if staged is not None:
        try:
            staged.rename(local)
        except OSError:  # another command wrote the same artifact first: same content
            shutil.rmtree(staged, ignore_errors=True)
    return files


def _mkdirs(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def expand(files: tuple[str, ...]) -> tuple[str, ...]:
    """``files`` with each ``oci://`` entry replaced by the compose files it holds."""
    if not any(f.startswith(PREFIX) for f in files):
        return files
    out: list[str] = []
    for f in files:
        out.extend(fetch(f[len(PREFIX):]) if f.startswith(PREFIX) else [f])
    return tuple(out)
