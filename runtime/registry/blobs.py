"""Fetching one blob into the content store: streamed, hashed, verified, resumed.

The body is written to the blob's partial file (``partial/sha256-<hex>`` beside the store,
held under an ``flock`` while it grows) while it is hashed. A dropped connection is resumed
with ``Range: bytes=<n>-``, and so is the download of a process that was killed: the next one
finds the partial file, hashes what it holds and asks for the rest (a registry that answers 200
instead of 206 starts the file over). When the body ends, its size and sha256 must equal the
descriptor's; only then is the file fsynced and renamed to ``blobs/sha256/<hex>``. A mismatch
empties the file (once more from the start, if it began with kept bytes) and removes it:
nothing of a corrupt blob is kept.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import BinaryIO

from runtime.images.content import CHUNK, ContentStore
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


def fetch_blob(repo: Repository, content: ContentStore, digest: str, size: int,
               progress: Progress | None = None, urls: tuple[str, ...] = ()) -> None:
    """Download ``digest`` (``size`` bytes) into ``content`` unless it is there already (see the
    module doc); the bytes of an earlier, interrupted download of it are kept and continued."""
    if content.has(digest):
        return
    with content.partial(digest) as part:
        if part is None:  # another process fetched it meanwhile
            return
        resumed = os.fstat(part.fileno()).st_size
        try:
            _download(repo, part, digest, size, progress, urls)
        except DigestMismatch:
            if not resumed:
                raise
            _download(repo, part, digest, size, progress, urls, restart=True)  # the kept bytes were bad
        content.adopt_partial(digest)


def _download(repo: Repository, out: BinaryIO, digest: str, size: int, progress: Progress | None,
              urls: tuple[str, ...], restart: bool = False) -> None:
    """Continue the partial file ``out`` to the whole blob, verified; on a mismatch it is emptied."""
    hasher = hashlib.sha256()
    if restart:
        out.seek(0)
        out.truncate()
    out.seek(0)
    while chunk := out.read(CHUNK):  # what an earlier process received, hashed again
        hasher.update(chunk)
    done = out.tell()
    if done > size:
        out.seek(0)
        out.truncate()
        hasher, done = hashlib.sha256(), 0
    attempts = 0
    while not 0 < size == done:  # a kept file may hold the whole blob already
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
            out.flush()
        if done < size and attempts < RESUME_ATTEMPTS:
            attempts += 1  # the server closed the body early: ask for the rest
            continue
        break
    os.fsync(out.fileno())
    actual = f"sha256:{hasher.hexdigest()}"
    if done != size or actual != digest:
        out.seek(0)
        out.truncate()
        raise DigestMismatch(f"{repo.what}: blob {digest} failed verification (got {done} bytes with digest "
                             f"{actual}, expected {size} bytes); nothing was kept, the registry or a proxy "
                             f"serves corrupt content")


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
