#!/usr/bin/env bash
# The main job: set up pycompose on this machine (Debian 12, as root) and bring the quickstart
# project up: a Python web service, Redis with a named volume and a healthcheck, and a worker.
#
# Usage (from anywhere):  bash examples/quickstart/run.sh
#
# Steps, each skipped when already done:
#   1. Debian packages: mmdebstrap (builds the base image), iptables (published ports),
#      python3-venv (only when the running Python cannot host pycompose).
#   2. pycompose itself (`pip install -e .`; into ./.venv when the system Python is
#      externally managed).
#   3. The image pycompose-quickstart:latest: Debian 12 minbase + python3 + redis, made with
#      mmdebstrap into a tarball (cached in $QUICKSTART_CACHE) and imported with
#      `pycompose image import`. No registry.
#   4. `pycompose -f examples/quickstart/compose.yaml up -d --wait`, which builds the web and
#      worker image (quickstart-app) from app/Dockerfile on that base the first time.
#
# Environment: QUICKSTART_IMAGE (image name), QUICKSTART_CACHE (tarball directory),
# WEB_PORT (host port of the web service, 8080), QUICKSTART_SKIP_UP=1 (set up only).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

IMAGE="${QUICKSTART_IMAGE:-pycompose-quickstart:latest}"
CACHE="${QUICKSTART_CACHE:-/var/cache/pycompose}"
SUITE=bookworm
PACKAGES=python3,redis-server,redis-tools,procps
COMPOSE_FILE="$HERE/compose.yaml"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  echo "run.sh: run it as root (containers need namespaces, cgroups and mounts)" >&2
  exit 1
fi

# -- 1. Debian packages ---------------------------------------------------------------------------
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
apt_install mmdebstrap iptables ca-certificates

# -- 2. pycompose ---------------------------------------------------------------------------------
PY=python3
if ! "$PY" -c 'import compose.cli.main, trio, pyroute2, jsonschema, yaml' 2>/dev/null; then
  if "$PY" -m pip --version >/dev/null 2>&1 && "$PY" -m pip install --quiet --disable-pip-version-check -e . \
      2>/dev/null; then
    :
  else
    apt_install python3-venv python3-pip
    say "Installing pycompose into $REPO/.venv"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    PY="$REPO/.venv/bin/python"
    "$PY" -m pip install --quiet --disable-pip-version-check -e .
  fi
fi
pycompose() { "$PY" -m compose "$@"; }

# -- 3. the base image ----------------------------------------------------------------------------
if ! pycompose image inspect "$IMAGE" >/dev/null 2>&1; then
  key="$(printf '%s' "$SUITE:$PACKAGES" | sha256sum | cut -c1-12)"
  tarball="$CACHE/quickstart-$SUITE-$key.tar"
  if [ ! -f "$tarball" ]; then
    say "Building a Debian $SUITE root filesystem with mmdebstrap (once per machine)"
    mkdir -p "$CACHE"
    tmp="${tarball%.tar}.part.tar"  # mmdebstrap picks the output format from the extension
    mmdebstrap --quiet --variant=minbase --include="$PACKAGES" "$SUITE" "$tmp"
    mv "$tmp" "$tarball"
  fi
  say "Importing $tarball as $IMAGE"
  pycompose image import "$tarball" "$IMAGE" >/dev/null
fi

# -- 4. up ----------------------------------------------------------------------------------------
if [ "${QUICKSTART_SKIP_UP:-0}" = 1 ]; then
  exit 0
fi
say "Starting the quickstart project"
pycompose -f "$COMPOSE_FILE" up -d --wait

PORT="${WEB_PORT:-8080}"
run="$PY -m compose -f examples/quickstart/compose.yaml"
[ "$PY" = python3 ] && type -P pycompose >/dev/null && run="pycompose -f examples/quickstart/compose.yaml"
cat <<EOF

The quickstart is up (from $REPO):

  Open it:        curl http://127.0.0.1:$PORT/     (each request counts a visit in Redis)
  Its containers: $run ps
  Follow logs:    $run logs -f
  A shell:        $run exec web bash
  Take it down:   $run down        (add -v to also delete the Redis volume)
EOF
