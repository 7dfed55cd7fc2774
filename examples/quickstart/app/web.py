"""A tiny web service: every request to / increments a counter kept in Redis."""

import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REDIS = (os.environ.get("REDIS_HOST", "redis"), 6379)


def redis(*args: str) -> str:
    """Send one command in RESP; the reply as text ("" for a missing key)."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
    with socket.create_connection(REDIS, timeout=3) as s:
        s.sendall(payload.encode())
        reply = s.makefile("rb")
        line = reply.readline().strip().decode()
        kind, rest = line[:1], line[1:]
        if kind == "-":
            raise RuntimeError(f"redis: {rest}")
        if kind == "$":
            size = int(rest)
            return "" if size < 0 else reply.read(size + 2)[:size].decode()
        return rest  # +simple string, :integer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            body = b"ok\n"
        else:
            count = int(redis("INCR", "hits"))
            body = f"Hello from {socket.gethostname()}! This page has been seen {count} times.\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    print("web: listening on :8000", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
