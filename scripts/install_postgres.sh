#!/usr/bin/env bash
# The PostgreSQL pass of the tests needs Debian's postgresql server binaries; install them when missing.
# The tests start and stop their own throw-away server (tests/pg_server.py); nothing is left running.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && id postgres >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "[setup] installing Debian postgresql"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# the package's own cluster is not used: do not let it start a service
$SUDO apt-get install -y -qq postgresql >/dev/null
