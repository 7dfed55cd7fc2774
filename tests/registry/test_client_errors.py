"""A server that is not a registry, answered in one line."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def html_server():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"<html><body>Welcome to a web server</body></html>"
            self.send_response(200 if self.path == "/" else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_html_answer_is_one_line(html_server, state_root):
    from runtime.api.registry import Registry, RegistryProtocolError
    from runtime.registry.config import RegistryConfig

    with Registry(state_root, config=RegistryConfig(certs_dirs=())) as api, \
            pytest.raises(RegistryProtocolError) as info:
        api.pull(f"{html_server}/some/image:1")
    message = str(info.value)
    assert "\n" not in message
    assert "does not answer as a registry" in message and "HTML page" in message
    assert f"{html_server}/some/image:1" in message


def test_invalid_reference(state_root):
    from runtime.api.images import InvalidReference
    from runtime.api.registry import Registry
    from runtime.registry.config import RegistryConfig

    with Registry(state_root, config=RegistryConfig(certs_dirs=())) as api, \
            pytest.raises(InvalidReference, match="must be lowercase"):
        api.pull("127.0.0.1:1/Upper/case")
