"""``ADD <http(s) URL>``: the download, as BuildKit's HTTP source does it.

The body goes to a private temporary file of mode 0600 (the mode BuildKit gives it); its time
is the response's ``Last-Modified`` when there is one. The name it gets in a destination
directory is the ``filename`` of a ``Content-Disposition`` header, else the last component of
the URL's path, else ``__unnamed__``. ``ADD --checksum=sha256:<hex>`` is verified before the
file is used. httpx is used when it is installed, the standard library's client otherwise.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import os
import posixpath
import re
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from runtime.build.errors import BuildError

TIMEOUT = 60.0
_CHUNK = 1 << 20


def file_name(url: str, disposition: str | None) -> str:
    if disposition:
        match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition, re.IGNORECASE)
        if match:
            name = posixpath.basename(urllib.parse.unquote(match.group(1)).replace("\\", "/"))
            if name not in ("", ".", ".."):
                return name
    name = posixpath.basename(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    return name if name not in ("", ".", "..") else "__unnamed__"


def parse_checksum(text: str) -> tuple[str, str]:
    algo, sep, hexdigest = text.partition(":")
    if not sep or algo not in ("sha256", "sha384", "sha512") or not re.fullmatch(r"[0-9a-f]+", hexdigest) \
            or len(hexdigest) != hashlib.new(algo).digest_size * 2:
        raise BuildError(f"invalid checksum {text!r}: expected sha256:<64 hex digits> (or sha384/sha512)")
    return algo, hexdigest


def _download_httpx(url: str, out: BinaryIO, hasher: hashlib._Hash) -> dict[str, str]:
    import httpx

    with httpx.Client(follow_redirects=True, timeout=TIMEOUT) as client, client.stream("GET", url) as response:
        if response.status_code >= 400:
            raise BuildError(f"ADD {url}: invalid response status {response.status_code}")
        for chunk in response.iter_bytes(_CHUNK):
            hasher.update(chunk)
            out.write(chunk)
        return {k.lower(): v for k, v in response.headers.items()}


def _download_stdlib(url: str, out: BinaryIO, hasher: hashlib._Hash) -> dict[str, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            while chunk := response.read(_CHUNK):
                hasher.update(chunk)
                out.write(chunk)
            return {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        raise BuildError(f"ADD {url}: invalid response status {exc.code}") from None
    except urllib.error.URLError as exc:
        raise BuildError(f"ADD {url}: {exc.reason}") from None


@contextlib.contextmanager
def fetched(url: str, checksum: str | None = None) -> Iterator[tuple[Path, str]]:
    """(a temporary file holding the body of ``url``, the name it gets); removed afterwards."""
    if not url.startswith(("http://", "https://")):
        raise BuildError(f"ADD {url}: only http:// and https:// URLs can be downloaded")
    algo, expected = parse_checksum(checksum) if checksum else ("sha256", None)
    hasher = hashlib.new(algo)
    with tempfile.TemporaryDirectory(prefix="pycompose-add-") as tmp:
        path = Path(tmp) / "body"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    import httpx  # noqa: F401
                except ImportError:
                    headers = _download_stdlib(url, out, hasher)
                else:
                    headers = _fetch_httpx_errors(url, out, hasher)
        except OSError as exc:
            raise BuildError(f"ADD {url}: {exc.strerror or exc}") from None
        os.chmod(path, 0o600)
        if expected is not None and hasher.hexdigest() != expected:
            raise BuildError(f"ADD {url}: digest mismatch {algo}:{hasher.hexdigest()}: {checksum}")
        modified = headers.get("last-modified")
        if modified:
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                when = email.utils.parsedate_to_datetime(modified).timestamp()
                os.utime(path, (when, when))
        yield path, file_name(url, headers.get("content-disposition"))


def _fetch_httpx_errors(url: str, out: BinaryIO, hasher: hashlib._Hash) -> dict[str, str]:
    import httpx

    try:
        return _download_httpx(url, out, hasher)
    except httpx.HTTPError as exc:
        raise BuildError(f"ADD {url}: {exc or type(exc).__name__}") from None
