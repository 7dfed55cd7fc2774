"""Fetching one blob into the content store: streamed, hashed, verified, resumed.

The body is written to a temp file of the pull's ingest session while it is hashed. A
dropped connection is resumed with ``Range: bytes=<n>-`` (a registry that answers 200
instead of 206 starts the file over). When the body ends, its size and sha256 must equal
the descriptor's; only then is the file fsynced and renamed to ``blobs/sha256/<hex>``. A
mismatch removes the temp file: nothing of a corrupt blob is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable

from runtime.images.content import CHUNK, ContentStore, IngestSession
from runtime.images.errors import DigestMismatch
from runtime.registry.client import Repository, error_code, error_message
from runtime.registry.errors import RegistryError, RegistryNotFound, RegistryProtocolError, RegistryUnreachable
from runtime.registry.httpx_sync import httpx

RESUME_ATTEMPTS = 5
_DROPPED = (httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout, httpx.WriteError)

Progress = Callable[[int, int], None]


def _open(repo: Repository, digest: str, offset: int, urls: tuple[str, ...]) -> httpx.Response:
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    last: RegistryError | None = None
    for url in urls:  # foreign layers: their URLs first, as Docker does, then the registry
        if not url.startswith(("https://", "http://")):
            continue
        try:
            response = repo.request("GET", url, headers=headers, stream=True)
        except RegistryError as exc:
            last = exc
            continue
        if response.status_code in (200, 206):
            return response
        response.close()
    response = repo.request("GET", f"blobs/{digest}", headers=headers, stream=True)
    if response.status_code in (200, 206):
        return response
    response.read()
    code = error_code(response)
    response.close()
    if response.status_code == 404 or code == "BLOB_UNKNOWN":
        detail = error_message(response) or "blob unknown"
        raise RegistryNotFound(f"{repo.what}: blob {digest} not found in the registry ({detail})")
    if last is not None:
        raise last
    raise RegistryProtocolError(f"{repo.what}: fetching blob {digest} failed: HTTP {response.status_code} "
                                f"{error_message(response)}".rstrip())


def fetch_blob(repo: Repository, content: ContentStore, session: IngestSession, digest: str, size: int,
               progress: Progress | None = None, urls: tuple[str, ...] = ()) -> None:
    """Download ``digest`` (``size`` bytes) into ``content`` unless it is there already."""
    if content.has(digest):
        return
    tmp = session.temp_path("pull")
    hasher = hashlib.sha256()
    done = 0
    attempts = 0
    try:
        with open(tmp, "wb") as out:
            while True:
                response = _open(repo, digest, done, urls)
                try:
                    if done and response.status_code == 200:  # no range support: start over
                        out.seek(0)
                        out.truncate()
                        hasher = hashlib.sha256()
                        done = 0
                    try:
                        for chunk in response.iter_bytes():  # as received: a drop loses nothing read
                            hasher.update(chunk)
                            out.write(chunk)
                            done += len(chunk)
                            if done > size >= 0:
                                break
                            if progress is not None:
                                progress(done, size)
                    except _DROPPED as exc:
                        attempts += 1
                        if attempts > RESUME_ATTEMPTS:
                            raise RegistryUnreachable(f"{repo.what}: download of {digest} kept failing "
                                                      f"({exc or type(exc).__name__}); try again") from None
                        continue
                finally:
                    response.close()
                if done < size and attempts < RESUME_ATTEMPTS:
                    attempts += 1  # the server closed the body early: ask for the rest
                    continue
                break
            out.flush()
            os.fsync(out.fileno())
        actual = f"sha256:{hasher.hexdigest()}"
        if done != size or actual != digest:
            raise DigestMismatch(f"{repo.what}: blob {digest} failed verification (got {done} bytes with digest "
                                 f"{actual}, expected {size} bytes); nothing was kept, the registry or a proxy "
                                 f"serves corrupt content")
        content.adopt(tmp, digest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def fetch_small(repo: Repository, digest: str, size: int, limit: int = 8 << 20) -> bytes:
    """A config or other small blob, verified in memory."""
    response = _open(repo, digest, 0, ())
    try:
        data = b""
        for chunk in response.iter_bytes(CHUNK):
            data += chunk
            if len(data) > limit:
                raise RegistryProtocolError(f"{repo.what}: blob {digest} is larger than {limit} bytes")
    except _DROPPED as exc:
        raise RegistryUnreachable(f"{repo.what}: connection dropped while fetching {digest} ({exc}); "
                                  f"try again") from None
    finally:
        response.close()
    actual = f"sha256:{hashlib.sha256(data).hexdigest()}"
    if actual != digest or (size >= 0 and len(data) != size):
        raise DigestMismatch(f"{repo.what}: blob {digest} failed verification (content is {actual}); "
                             f"nothing was kept")
    return data
