#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian 12 machine (as root), then runs it.
# Usage: bash tests/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: busybox-static and mmdebstrap make the test images, skopeo is the
# independent OCI implementation for interop tests, tini is the init for `init: true`,
# libseccomp2 applies seccomp filters, iproute2 is only used by tests to look at the host, iptables
# carries masquerading and published ports (iptables-restore/iptables-save), docker-registry is
# the real registry (distribution v2) the pull and push tests run on 127.0.0.1, apache2-utils
# (htpasswd) and openssl make its basic-auth users and the test CA, gcc and libc6-dev
# build the small static programs of the security tests, git serves the git build contexts (git daemon).
APT_PACKAGES=(busybox-static mmdebstrap skopeo tini libseccomp2 iproute2 procps iptables docker-registry apache2-utils openssl
              gcc libc6-dev git)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
python3 tests/oracle.py >/dev/null   # Docker Compose v2 binary, kept apart (see tests/oracle.py)
exec python3 -m pytest -p no:cacheprovider -q "$@"
