#!/usr/bin/env bash
# One command: set up (Debian chromium for the browser tests, Debian postgresql for the PostgreSQL pass)
# and run the whole test suite twice over the backends: everything on the embedded DuckDB, then the
# ingestion and indicator tests again on a real PostgreSQL server the tests start themselves.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
bash scripts/install_browser.sh
bash scripts/install_postgres.sh
bash scripts/install_office.sh

run_pass() {  # name, then pytest arguments; exit 5 (no tests collected) is a failure, not a pass
  local name="$1"; shift
  echo "=== test pass: $name ==="
  set +e
  # both cores of the CI machine (pytest-xdist); a later -n in the arguments wins
  python -m pytest -n 2 "$@"
  local rc=$?
  set -e
  if [ "$rc" = "5" ]; then echo "pytest collected no tests in the $name pass: failing" >&2; return 1; fi
  return "$rc"
}

rc_duckdb=0; rc_postgres=0
DASHBOARD_TEST_BACKEND=duckdb run_pass "DuckDB" "$@" || rc_duckdb=$?
DASHBOARD_TEST_BACKEND=postgres run_pass "PostgreSQL" "$@" || rc_postgres=$?
exit $(( rc_duckdb != 0 ? rc_duckdb : rc_postgres ))
