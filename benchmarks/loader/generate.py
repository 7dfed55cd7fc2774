"""A realistic compose project of N services for benchmarking the loader.

Web front ends, workers, databases and caches with the keys real files use: build
and image, ports, named and bind volumes, environment in both syntaxes, depends_on
with conditions, healthchecks, networks with aliases, deploy resources, logging,
labels, secrets, configs and ``x-`` anchors merged with ``<<``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HEADER = """\
name: bench
x-logging: &logging
  driver: json-file
  options:
    max-size: 10m
    max-file: "3"
x-common: &common
  restart: unless-stopped
  logging: *logging
  labels:
    com.example.team: platform
    com.example.tier: backend
"""

KINDS = ("web", "worker", "db", "cache", "api")


def service(i: int) -> str:
    kind = KINDS[i % len(KINDS)]
    name = f"{kind}{i}"
    lines = [f"  {name}:", "    <<: *common"]
    if kind == "api":
        lines += ["    build:", f"      context: ./src/{name}", "      args:", "        VERSION: \"1.2.3\"",
                  "      target: runtime"]
    else:
        image = {"web": "nginx:1.27", "worker": "python:3.12-slim", "db": "postgres:16",
                 "cache": "redis:7-alpine"}[kind]
        lines.append(f"    image: {image}")
    lines.append(f"    hostname: {name}")
    if kind in ("web", "api"):
        lines += ["    ports:", f"      - \"{8000 + i}:80\"", f"      - \"127.0.0.1:{9000 + i}:9000/tcp\""]
    if kind == "worker":
        lines += ["    command: [\"python\", \"-m\", \"worker\", \"--queue\", \"q" + str(i) + "\"]"]
    lines += ["    environment:", f"      SERVICE_NAME: {name}", "      LOG_LEVEL: info",
              f"      DATABASE_URL: postgres://app:secret@db{(i // 5) * 5 + 2}:5432/app"]
    if kind == "db":
        lines += ["    volumes:", f"      - {name}-data:/var/lib/postgresql/data",
                  "      - ./init:/docker-entrypoint-initdb.d:ro",
                  "    healthcheck:", "      test: [\"CMD-SHELL\", \"pg_isready -U app\"]",
                  "      interval: 10s", "      timeout: 5s", "      retries: 5", "      start_period: 30s",
                  "    secrets:", "      - db_password", "    shm_size: 256m"]
    if kind == "cache":
        lines += ["    volumes:", "      - type: volume", f"        source: {name}-data", "        target: /data",
                  "    healthcheck:", "      test: [\"CMD\", \"redis-cli\", \"ping\"]", "      interval: 5s",
                  "    tmpfs:", "      - /tmp:size=64m"]
    deps = []
    if kind in ("web", "worker", "api") and i >= 5:
        base = (i // 5) * 5 - 5
        deps = [f"db{base + 2}", f"cache{base + 3}"]
    if deps:
        lines += ["    depends_on:"]
        for d in deps:
            lines += [f"      {d}:", "        condition: service_healthy"]
    lines += ["    networks:", "      front:" if kind in ("web", "api") else "      back:",
              f"        aliases: [{name}-alias]"]
    if kind in ("web", "api"):
        lines += ["      back: {}"]
    if kind == "worker":
        lines += ["    deploy:", "      resources:", "        limits:", "          cpus: \"0.50\"",
                  "          memory: 256M", "        reservations:", "          memory: 128M",
                  "    configs:", "      - source: app_config", "        target: /etc/app/config.yaml"]
    if kind == "web":
        lines += ["    ulimits:", "      nofile:", "        soft: 20000", "        hard: 40000",
                  "    stop_grace_period: 20s", "    cap_drop: [ALL]", "    cap_add: [NET_BIND_SERVICE]"]
    return "\n".join(lines)


def compose_file(count: int = 50) -> str:
    out = [HEADER, "services:"]
    out += [service(i) for i in range(count)]
    out += ["networks:", "  front:", "    driver: bridge", "  back:", "    internal: true", "volumes:"]
    out += [f"  {KINDS[i % 5]}{i}-data:" for i in range(count) if KINDS[i % 5] in ("db", "cache")]
    out += ["secrets:", "  db_password:", "    file: ./secrets/db_password.txt",
            "configs:", "  app_config:", "    file: ./config/app.yaml", ""]
    return "\n".join(out)


def write_project(directory: Path, count: int = 50) -> Path:
    """The compose file and the files it refers to, under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for sub in ("init", "secrets", "config"):
        (directory / sub).mkdir(exist_ok=True)
    (directory / "secrets" / "db_password.txt").write_text("secret\n")
    (directory / "config" / "app.yaml").write_text("debug: false\n")
    for i in range(count):
        if KINDS[i % 5] == "api":
            ctx = directory / "src" / f"api{i}"
            ctx.mkdir(parents=True, exist_ok=True)
            (ctx / "Dockerfile").write_text("FROM scratch AS runtime\n")
    path = directory / "compose.yaml"
    path.write_text(compose_file(count))
    return path


if __name__ == "__main__":
    sys.stdout.write(compose_file(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
