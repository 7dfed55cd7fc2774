"""The registry HTTP client: endpoints, TLS, auth retries and error mapping.

``RegistryClient.repository("mongo")`` gives a :class:`Repository` for
``docker.io/library/mongo``; ``Repository.request(method, path)`` sends a request to
``/v2/<name>/<path>`` of the registry (or, for Docker Hub reads, of each mirror in turn, then
the origin), authorising as the registry asks: anonymous, basic, or a Bearer token for the
right scope (``pull``, ``pull,push``). Non-auth statuses (200, 404, …) are returned to the
caller; failures to connect, TLS failures, HTML answers, 401 after authenticating and 403
become one-line :class:`RegistryError` subclasses naming the reference.

Endpoint probing (``GET /v2/``) is done once per endpoint and client: it picks the scheme
(``https``, or ``http`` for insecure and plain-HTTP loopback registries) and remembers the
challenge, so tokens are fetched before the first real request (streamed uploads need not be
sent twice).
"""

from __future__ import annotations

import contextlib
import os
import ssl
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from runtime.images.errors import InvalidReference
from runtime.images.reference import Reference, parse
from runtime.registry.auth import Challenge, TokenCache, basic_header, parse_challenges, scope_of
from runtime.registry.config import DOCKER_HUB, DOCKER_HUB_ORIGIN, RegistryConfig, is_loopback
from runtime.registry.errors import (
    RegistryAuthError,
    RegistryError,
    RegistryProtocolError,
    RegistryTLSError,
    RegistryUnreachable,
)
from runtime.registry.httpx_sync import httpx

USER_AGENT = "pycompose/0.1 (registry client)"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
Content = bytes | Iterable[bytes] | Iterator[bytes] | None


@dataclass
class Endpoint:
    """One base URL serving a registry: the origin, or a mirror of Docker Hub."""

    host: str  # host[:port] as written in references (the key of credentials and certs.d)
    base: str = ""  # scheme://host[:port], known after probing
    mirror: bool = False
    domain: str = ""  # the reference's registry (whose credentials apply)
    http: httpx.Client | None = None
    challenge: Challenge | None = None
    probed: bool = False


def _trust_system_store(ctx: ssl.SSLContext) -> None:
    """The system's CAs, as ``ssl.create_default_context`` trusts them, but from the hashed
    directory when there is one: OpenSSL then reads a CA when a chain needs it, instead of
    parsing the whole bundle (~30-80 ms) for every command, most of which talk plain HTTP to a
    loopback registry or to one CA."""
    paths = ssl.get_default_verify_paths()
    chosen = os.environ.get(paths.openssl_cafile_env)  # SSL_CERT_FILE: a bundle of the user's
    system = chosen is None or os.path.realpath(chosen) == os.path.realpath(paths.openssl_cafile)
    if system and paths.capath:
        with contextlib.suppress(OSError), os.scandir(paths.capath) as entries:
            if any(e.name.endswith(".0") for e in entries):
                ctx.load_verify_locations(capath=paths.capath)
                return
    ctx.load_default_certs()


def _ssl_context(config: RegistryConfig, host: str, verify: bool) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies peer and host name unless told not to
    if not verify:  # no CA store to load
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    _trust_system_store(ctx)
    cert_dir = config.cert_dir(host)
    if cert_dir is not None:
        for ca in sorted(cert_dir.glob("*.crt")):
            ctx.load_verify_locations(cafile=str(ca))
        cert, key = cert_dir / "client.cert", cert_dir / "client.key"
        if cert.is_file() and key.is_file():
            ctx.load_cert_chain(str(cert), str(key))
    return ctx


def _is_html(response: httpx.Response) -> bool:
    return "text/html" in response.headers.get("content-type", "").lower()


def _tls_verify_failure(exc: BaseException) -> bool:
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text or "hostname" in text.lower()


def _connect_failure(exc: httpx.TransportError, host: str, what: str) -> RegistryError:
    text = str(exc) or type(exc).__name__
    if _tls_verify_failure(exc) or isinstance(exc.__cause__, ssl.SSLError):
        return RegistryTLSError(
            f"{what}: TLS failure talking to {host} ({text}); add its CA as "
            f"/etc/pycompose/certs.d/{host}/ca.crt or list it in insecure-registries")
    if isinstance(exc, httpx.TimeoutException):
        return RegistryUnreachable(f"{what}: registry {host} did not answer in time; check that it is running")
    if "Name or service not known" in text or "nodename nor servname" in text or "Temporary failure in name" in text:
        return RegistryUnreachable(f"{what}: no such host {host!r}; check the registry name")
    return RegistryUnreachable(f"{what}: cannot reach registry {host} ({text}); check the name and that it runs")


class RegistryClient:
    """Connections, tokens and credentials shared by every repository of one pull or push."""

    def __init__(self, config: RegistryConfig | None = None, credentials: Any = None) -> None:
        self.config = config if config is not None else RegistryConfig.load()
        self._credentials = credentials
        self._credentials_loaded = credentials is not None
        self.tokens = TokenCache()
        self._endpoints: dict[str, list[Endpoint]] = {}
        self._lock = threading.Lock()
        self._credentials_lock = threading.Lock()
        # loading the system's CA store costs ~70 ms: once per host and mode, not per connection
        self._ssl: dict[tuple[str, bool], ssl.SSLContext] = {}

    # -- credentials ------------------------------------------------------------------

    def credentials_for(self, host: str) -> tuple[str, str] | None:
        if not self._credentials_loaded:
            with self._credentials_lock:  # a push asks from several threads at once
                if not self._credentials_loaded:
                    from runtime.registry.credentials import Credentials

                    self._credentials = Credentials()
                    self._credentials_loaded = True
        if self._credentials is None:
            return None
        key = "https://index.docker.io/v1/" if host == DOCKER_HUB else host
        found = self._credentials.get(key)
        if found is None and key != host:
            found = self._credentials.get(host)
        return found

    # -- endpoints --------------------------------------------------------------------

    def endpoints(self, domain: str) -> list[Endpoint]:
        with self._lock:
            found = self._endpoints.get(domain)
            if found is None:
                found = []
                if domain == DOCKER_HUB:
                    for url in self.config.mirrors:
                        host = url.split("://", 1)[1].split("/", 1)[0]
                        found.append(Endpoint(host, base=url.rstrip("/"), mirror=True, domain=domain))
                    if self.config.mirror_fallback or not found:
                        found.append(Endpoint(DOCKER_HUB_ORIGIN, base=f"https://{DOCKER_HUB_ORIGIN}", domain=domain))
                else:
                    found.append(Endpoint(domain, domain=domain))
                self._endpoints[domain] = found
            return found

    def _http(self, endpoint: Endpoint, verify: bool) -> httpx.Client:
        ctx = self._ssl.get((endpoint.host, verify))
        if ctx is None:
            ctx = self._ssl[endpoint.host, verify] = _ssl_context(self.config, endpoint.host, verify)
        return httpx.Client(verify=ctx, timeout=TIMEOUT, follow_redirects=True,
                            headers={"User-Agent": USER_AGENT},
                            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8))

    def probe(self, endpoint: Endpoint, what: str) -> None:
        """Pick the scheme of ``endpoint`` and learn its challenge (``GET /v2/``)."""
        with self._lock:
            if endpoint.probed:
                return
            insecure = self.config.is_insecure(endpoint.host)
            if endpoint.base:
                bases = [endpoint.base]
            elif insecure or is_loopback(endpoint.host):
                bases = [f"https://{endpoint.host}", f"http://{endpoint.host}"]
            else:
                bases = [f"https://{endpoint.host}"]
            last: RegistryError | None = None
            for base in bases:
                http = self._http(endpoint, verify=not insecure)
                try:
                    response = http.get(f"{base}/v2/")
                except httpx.TransportError as exc:
                    http.close()
                    last = _connect_failure(exc, endpoint.host, what)
                    if isinstance(last, RegistryTLSError) and not insecure and _tls_verify_failure(exc):
                        raise last from None  # speaks TLS with a certificate we do not trust
                    continue
                if _is_html(response) or response.status_code not in (200, 401):
                    http.close()
                    last = RegistryProtocolError(
                        f"{what}: {base} does not answer as a registry (HTTP {response.status_code}"
                        f"{', an HTML page' if _is_html(response) else ''}); check the registry name")
                    continue
                endpoint.base, endpoint.http, endpoint.probed = base, http, True
                if response.status_code == 401:
                    challenges = parse_challenges(response.headers.get_list("www-authenticate"))
                    endpoint.challenge = next((c for c in challenges if c.scheme == "bearer"),
                                              challenges[0] if challenges else Challenge("basic"))
                return
            assert last is not None
            raise last

    # -- auth -------------------------------------------------------------------------

    def authorization(self, endpoint: Endpoint, scope: str, what: str, *, fresh: bool = False) -> str | None:
        challenge = endpoint.challenge
        if challenge is None:
            return None
        creds = self.credentials_for(endpoint.domain)
        if challenge.scheme == "basic":
            return basic_header(*creds) if creds else None
        if challenge.scheme != "bearer":
            raise RegistryAuthError(f"{what}: registry {endpoint.host} asks for unsupported "
                                    f"authentication {challenge.scheme!r}")
        realm, service = challenge.get("realm"), challenge.get("service")
        key = (realm, service, scope)
        if fresh:
            self.tokens.drop(key)
        token = self.tokens.get(key)
        if token is None:
            token, expires = self._fetch_token(endpoint, realm, service, scope, creds, what)
            self.tokens.put(key, token, expires)
        return f"Bearer {token}"

    def _fetch_token(self, endpoint: Endpoint, realm: str, service: str, scope: str,
                     creds: tuple[str, str] | None, what: str) -> tuple[str, int | None]:
        if not realm:
            raise RegistryProtocolError(f"{what}: registry {endpoint.host} sent a Bearer challenge without realm")
        params = {"scope": scope}
        if service:
            params["service"] = service
        headers = {"Authorization": basic_header(*creds)} if creds else {}
        assert endpoint.http is not None
        try:
            response = endpoint.http.get(realm, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise _connect_failure(exc, httpx.URL(realm).host or realm, what) from None
        if response.status_code in (401, 403):
            hint = "check the credentials (pycompose login)" if creds else "log in first (pycompose login)"
            raise RegistryAuthError(f"{what}: unauthorized: the token server of {endpoint.host} refused "
                                    f"{'the credentials' if creds else 'anonymous access'}; {hint}")
        if response.status_code != 200 or _is_html(response):
            raise RegistryProtocolError(f"{what}: token server {realm} answered HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise RegistryProtocolError(f"{what}: token server {realm} answered something that is not JSON") from None
        token = data.get("token") or data.get("access_token")
        if not isinstance(token, str) or not token:
            raise RegistryProtocolError(f"{what}: token server {realm} answered without a token")
        expires = data.get("expires_in")
        return token, expires if isinstance(expires, int) else None

    # -- repositories -----------------------------------------------------------------

    def repository(self, ref: str | Reference) -> Repository:
        try:
            parsed = ref if isinstance(ref, Reference) else parse(ref, default_tag=False)
        except InvalidReference:
            raise
        return Repository(self, parsed)

    def close(self) -> None:
        with self._lock:
            for endpoints in self._endpoints.values():
                for endpoint in endpoints:
                    if endpoint.http is not None:
                        endpoint.http.close()
            self._endpoints.clear()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Repository:
    """One repository of one registry: ``/v2/<name>/…``."""

    def __init__(self, client: RegistryClient, ref: Reference) -> None:
        self.client = client
        self.ref = ref
        self.name = ref.path
        self.domain = ref.domain

    @property
    def what(self) -> str:
        return self.ref.familiar()

    def request(self, method: str, path: str, *, actions: tuple[str, ...] = ("pull",),
                headers: dict[str, str] | None = None, content: Content = None,
                stream: bool = False) -> httpx.Response:
        """Send ``method`` to ``/v2/<name>/<path>`` (an absolute URL or ``/v2/…`` path is kept).

        Reads (``actions == ("pull",)``) of Docker Hub go to each mirror in turn, then the
        origin: a mirror that fails or has no such content (404) is skipped. With
        ``stream=True`` the caller must close the response.
        """
        endpoints = self.client.endpoints(self.domain)
        if actions != ("pull",):
            endpoints = [e for e in endpoints if not e.mirror]
        if not endpoints:
            raise RegistryError(f"{self.what}: Docker Hub is reached only through mirrors here (mirror-fallback is "
                                f"false in the registry settings); push to another registry")
        last: RegistryError | None = None
        for i, endpoint in enumerate(endpoints):
            final = i == len(endpoints) - 1
            try:
                response = self._send(endpoint, method, path, actions, headers, content, stream)
            except RegistryError as exc:
                if final or not endpoint.mirror:
                    raise
                last = exc
                continue
            if endpoint.mirror and not final and (response.status_code == 404 or response.status_code >= 500):
                response.close()
                continue
            return response
        assert last is not None
        raise last

    def url(self, endpoint: Endpoint, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        if path.startswith("/"):
            return f"{endpoint.base}{path}"
        return f"{endpoint.base}/v2/{self.name}/{path}"

    def _send(self, endpoint: Endpoint, method: str, path: str, actions: tuple[str, ...],
              headers: dict[str, str] | None, content: Content, stream: bool) -> httpx.Response:
        self.client.probe(endpoint, self.what)
        assert endpoint.http is not None
        scope = scope_of(self.name, actions)
        retriable = content is None or isinstance(content, bytes)
        for attempt in range(2):
            auth = self.client.authorization(endpoint, scope, self.what, fresh=attempt > 0)
            sent = dict(headers or {})
            if auth:
                sent["Authorization"] = auth
            request = endpoint.http.build_request(method, self.url(endpoint, path), headers=sent, content=content)
            try:
                response = endpoint.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                raise _connect_failure(exc, endpoint.host, self.what) from None
            if response.status_code == 401 and attempt == 0 and retriable:
                challenges = parse_challenges(response.headers.get_list("www-authenticate"))
                if challenges:
                    new = next((c for c in challenges if c.scheme == "bearer"), challenges[0])
                    # a scope the registry names (e.g. for a cross-repo mount) is ours to ask for
                    endpoint.challenge = Challenge(new.scheme, tuple((k, v) for k, v in new.params if k != "scope"))
                    if new.get("scope"):
                        scope = new.get("scope")
                response.close()
                continue
            break
        if response.status_code in (401, 403):
            if stream:
                response.read()
            raise self._denied(endpoint, response, auth is not None)
        if _is_html(response) and response.status_code != 200:
            response.close()
            raise RegistryProtocolError(
                f"{self.what}: {endpoint.base} answered an HTML page (HTTP {response.status_code}), "
                f"not the registry API; check the registry name and any proxy in between")
        return response

    def _denied(self, endpoint: Endpoint, response: httpx.Response, authed: bool) -> RegistryAuthError:
        detail = error_message(response)
        creds = self.client.credentials_for(endpoint.domain)
        if response.status_code == 403 or (authed and creds):
            return RegistryAuthError(
                f"{self.what}: access denied by {endpoint.host} ({detail or 'denied'}); the repository does not "
                f"exist or may require 'pycompose login {self.domain}'")
        return RegistryAuthError(
            f"{self.what}: unauthorized ({detail or 'authentication required'}); "
            f"{'check the credentials' if creds else 'log in first'}: pycompose login {self.domain}")


def error_message(response: httpx.Response) -> str:
    """``code: message`` of the registry's JSON error body, or ``""``."""
    try:
        data = response.json()
    except (ValueError, httpx.ResponseNotRead, UnicodeDecodeError):
        return ""
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ""
    first = errors[0]
    return f"{str(first.get('code', '')).lower().replace('_', ' ')}: {first.get('message', '')}".strip(": ")


def error_code(response: httpx.Response) -> str:
    try:
        data = response.json()
        return str(data["errors"][0].get("code", ""))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, httpx.ResponseNotRead):
        return ""


__all__ = ["Endpoint", "RegistryClient", "Repository", "error_code", "error_message"]
